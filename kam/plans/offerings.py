"""Writes to the offerings catalogue (the columns of every whitespace matrix), shared by the pages and the API.

Who may call them is decided before (the permission choke point); here: what the catalogue itself refuses."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from kam.core.services import lock_for_update
from kam.plans.models import Offering

OFFERING_FIELDS = ("name", "category", "description", "position", "is_active")


def _clean_name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the offering."})
    return name


@transaction.atomic
def save_offering(data: dict, user, *, offering: Offering | None = None, expected_version: int | None = None):
    """Create an offering (no `offering`) or change one; names are unique whatever their case."""
    unknown = sorted(set(data) - set(OFFERING_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a field of an offering."))
    if offering is None:
        offering = Offering()
    else:
        offering = lock_for_update(offering, expected_version)
    for name, value in data.items():
        if name in ("category", "description"):
            value = (value or "").strip()
        setattr(offering, name, value)
    offering.name = _clean_name(offering.name)
    clash = Offering.objects.filter(name__iexact=offering.name).exclude(pk=offering.pk).first()
    if clash is not None:
        raise ValidationError({"name": f"The catalogue has an offering called {clash.name} already."})
    try:
        offering.full_clean(validate_unique=False)
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    try:
        with transaction.atomic():
            offering.save()
    except IntegrityError:
        raise ValidationError({"name": f"The catalogue has an offering called {offering.name} already."}) from None
    return offering


@transaction.atomic
def delete_offering(offering: Offering, user, expected_version: int | None = None) -> None:
    """Delete an offering nobody has mapped yet. Cells keep what was learnt about the client, so an offering with
    cells is not deleted (the database protects them too): retire it instead (active off), its column stays until
    its cells are emptied."""
    offering = lock_for_update(offering, expected_version)
    used = offering.cells.count()
    if used:
        raise ValidationError(
            {
                "offering": f"{offering} is mapped in {used} whitespace cell{'s' if used != 1 else ''}: it cannot be "
                "deleted. Retire it instead (untick Active): its cells are kept and it leaves new matrices."
            }
        )
    try:
        with transaction.atomic():
            offering.delete()
    except ProtectedError:
        raise ValidationError({"offering": f"{offering} is mapped in whitespace cells: retire it instead."}) from None
