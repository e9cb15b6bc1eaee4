"""Every write to the organisation map goes through here (pages, API, imports). The rules:

- a contact works at an account and reports (solid line) to, or has a dotted line to, another contact of the same
  customer — the same top-level group; never to themselves, never in a circle, never to someone who has left;
- a change carries the version the writer read; a stale change is refused and the first one survives;
- every change of what the map shows (TRACKED_FIELDS) closes the contact's open `ContactState` and opens a new one,
  so `map_as_of` can draw the map of any past moment;
- when someone leaves (`mark_left`), their place stays on the map, vacant; their direct reports move to the leaver's
  manager (each move is a change of its own, audited and in the history), and a departing champion raises an alert.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kam.accounts.models import Account
from kam.core.services import StaleObject, lock_for_update
from kam.stakeholders.choices import Attitude
from kam.stakeholders.models import TRACKED_FIELDS, Contact, ContactState

__all__ = ["StaleObject"]

# What a writer may set on a contact (the account is set when it is added, and may move within the customer).
CONTACT_FIELDS = (
    "account",
    "first_name",
    "last_name",
    "title",
    "business_unit",
    "location",
    "email",
    "phone",
    "reports_to",
    "dotted_line_to",
    "buying_role",
    "attitude",
    "influence",
    "level",
    "relationship_owner",
    "relationship_now",
    "relationship_desired",
    "notes",
)
MAX_CHAIN = 10_000  # a reporting chain longer than any company: a safety stop for the cycle check


def group_of(account: Account) -> int:
    """The id of the account's customer: its top-level account."""
    return int(account.tree_path.strip("/").split("/")[0])


def _in_group(group_id: int):
    root = Account.objects.only("tree_path").get(pk=group_id)
    return Account.objects.filter(tree_path__startswith=root.tree_path)


# History ----------------------------------------------------------------------------------------------------------


def _state_values(contact: Contact) -> dict:
    values = {name: getattr(contact, name) for name in TRACKED_FIELDS}
    return {
        "account_id": values["account_id"],
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "title": values["title"],
        "business_unit": values["business_unit"],
        "reports_to_contact_id": values["reports_to_id"],
        "dotted_line_to_contact_id": values["dotted_line_to_id"],
        "buying_role": values["buying_role"],
        "attitude": values["attitude"],
        "influence": values["influence"],
        "level": values["level"],
        "relationship_owner_user_id": values["relationship_owner_id"],
        "relationship_now": values["relationship_now"],
        "relationship_desired": values["relationship_desired"],
        "left_on": values["left_on"],
    }


def record_state(contact: Contact, at: dt.datetime | None = None) -> ContactState | None:
    """Close the contact's open state and open one with what it shows now — unless nothing the map shows changed."""
    at = at or timezone.now()
    values = _state_values(contact)
    current = ContactState.objects.filter(contact=contact, valid_to__isnull=True).first()
    if current is not None:
        if all(getattr(current, name) == value for name, value in values.items()):
            return current
        current.valid_to = at
        current.save(update_fields=["valid_to"])
    group = group_of(Account.objects.only("tree_path").get(pk=contact.account_id))
    return ContactState.objects.create(contact=contact, group_id=group, valid_from=at, **values)


def map_as_of(account: Account, moment: dt.datetime) -> list[ContactState]:
    """The customer's map (the account's whole group) as it was at `moment`: each person's state then. People who
    had left by that day are included, marked by `left_on` (their place was vacant)."""
    group = group_of(account)
    return list(
        ContactState.objects.filter(group_id=group, valid_from__lte=moment)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=moment))
        .order_by("last_name", "first_name", "contact_id")
    )


# Contacts ---------------------------------------------------------------------------------------------------------


def _check_links(contact: Contact) -> dict:
    """The solid and dotted lines: within the customer, not to oneself, not to a leaver, no circle of managers."""
    errors = {}
    group = group_of(Account.objects.only("tree_path").get(pk=contact.account_id))
    for name in ("reports_to", "dotted_line_to"):
        other = getattr(contact, name)
        if other is None:
            continue
        if contact.pk is not None and other.pk == contact.pk:
            errors[name] = "A person cannot report to themselves."
            continue
        other_group = group_of(Account.objects.only("tree_path").get(pk=other.account_id))
        if other_group != group:
            errors[name] = f"{other.name} works for another customer: reporting lines stay within one customer."
            continue
        if other.left_on is not None:
            errors[name] = f"{other.name} left on {other.left_on:%Y-%m-%d}: choose who took over."
    manager = contact.reports_to
    if contact.pk is not None and manager is not None and "reports_to" not in errors:
        seen, chain = set(), manager
        steps = 0
        while chain is not None and steps < MAX_CHAIN:
            if chain.pk == contact.pk:
                errors["reports_to"] = (
                    f"{manager.name} reports (directly or through others) to {contact.name}: that would make a circle."
                )
                break
            if chain.pk in seen:
                break
            seen.add(chain.pk)
            chain = Contact.objects.filter(pk=chain.reports_to_id).first() if chain.reports_to_id else None
            steps += 1
    return errors


def _resolve(data: dict, account_hint: Account | None) -> dict:
    """Links given as objects or primary keys."""
    from django.contrib.auth import get_user_model

    resolved, errors = dict(data), {}
    for name, model in (("reports_to", Contact), ("dotted_line_to", Contact), ("account", Account)):
        if name not in data:
            continue
        value = data[name]
        if value in (None, ""):
            resolved[name] = None
            continue
        # Read again even when given an object: its stored state decides (a stale copy could hide a departure).
        resolved[name] = model.objects.filter(pk=getattr(value, "pk", value)).first()
        if resolved[name] is None:
            errors[name] = f"No such {model._meta.verbose_name}."
    if data.get("relationship_owner") not in (None, ""):
        owner = data["relationship_owner"]
        if not hasattr(owner, "pk"):
            owner = get_user_model().objects.filter(pk=owner).first()
        if owner is None or not owner.is_active:
            errors["relationship_owner"] = "Choose an active user."
        resolved["relationship_owner"] = owner
    elif "relationship_owner" in data:
        resolved["relationship_owner"] = None
    if errors:
        raise ValidationError(errors)
    return resolved


@transaction.atomic
def save_contact(
    account: Account,
    data: dict,
    user,
    contact: Contact | None = None,
    expected_version: int | None = None,
    *,
    external_id: str = "",
    at: dt.datetime | None = None,
) -> Contact:
    """Add a contact to `account` (the group or a subsidiary), or change `contact`. `data` holds CONTACT_FIELDS;
    `account` in it moves the person to another account of the same customer."""
    unknown = sorted(set(data) - set(CONTACT_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a field of a contact."))
    data = _resolve(data, account)
    if contact is None:
        contact = Contact(account=account, external_id=external_id)
    else:
        contact = lock_for_update(contact, expected_version)
        if contact.left_on is not None and set(data) - {"notes"}:
            raise ValidationError({"left_on": f"{contact.name} left on {contact.left_on:%Y-%m-%d}: the record is kept "
                                              "as it was (notes may still change)."})  # fmt: skip
    for name, value in data.items():
        if isinstance(value, str) and name not in ("notes",):
            value = value.strip()
        setattr(contact, name, value)
    if data.get("account") is not None and contact.pk is not None:
        new_group = group_of(data["account"])
        old_group = group_of(Account.objects.get(pk=Contact.objects.get(pk=contact.pk).account_id))
        if new_group != old_group:
            raise ValidationError({"account": "A person moves within the customer only (its subsidiaries)."})
    errors = _check_links(contact)
    if errors:
        raise ValidationError(errors)
    try:
        contact.full_clean(exclude=["account", "reports_to", "dotted_line_to", "relationship_owner", "external_id"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    contact.save()
    record_state(contact, at)
    return contact


@transaction.atomic
def mark_left(contact: Contact, left_on: dt.date, user, expected_version: int | None = None, *, at=None):
    """The person left the company on `left_on` (not in the future). Their place stays on the map, vacant; their
    direct reports move to their manager (or to nobody, if they had none). A departing champion alerts the account's
    key account manager and the relationship owner. Returns the contacts that moved."""
    from kam.notifications.services import notify
    from kam.teams.services import managers_by_account

    contact = lock_for_update(contact, expected_version)
    if contact.left_on is not None:
        raise ValidationError({"left_on": f"{contact.name} left on {contact.left_on:%Y-%m-%d} already."})
    if left_on > timezone.localdate():
        raise ValidationError({"left_on": "A departure is recorded once it happened: not a future date."})
    contact.left_on = left_on
    contact.save()
    record_state(contact, at)
    moved = []
    for report in Contact.objects.select_for_update().filter(reports_to=contact).order_by("pk"):
        report.reports_to_id = contact.reports_to_id
        report.save()
        record_state(report, at)
        moved.append(report)
    if contact.attitude == Attitude.CHAMPION:
        account = Account.objects.get(pk=contact.account_id)
        notify(
            [contact.relationship_owner, managers_by_account([account]).get(account.pk)],
            f"Champion left: {contact.name} ({contact.title or 'no title'}) left {account.name}",
            body=f"{contact.name} left on {left_on:%Y-%m-%d}. Find who took over and who else champions us.",
            url=contact.get_absolute_url(),
            account=account,
        )
    return moved
