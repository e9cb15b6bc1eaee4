"""Every write to the programme's coverage and cadence rules goes through here (pages and API).

- A coverage rule uses the fields its kind needs and leaves the others blank:
  has_attitude needs an `attitude`; role_owned takes a `buying_role` (blank: every current contact); role_covered_by
  needs a `buying_role` and a `team_role` of the team role catalogue and takes a `min_strength`. Fields a kind does
  not use must be blank (`min_strength` None, i.e. 0).
- A cadence rule is `days` (1–730) for a segment (blank: every segment) and a buying role (blank: every contact);
  there is one rule per (segment, buying role).
- A change carries the version the writer read; a stale change (or deletion) is refused and the first one survives.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from kam.core.services import StaleObject, lock_for_update
from kam.selection.choices import Segment
from kam.stakeholders.choices import BuyingRole, CoverageRuleKind, Strength
from kam.stakeholders.models import CadenceRule, CoverageRule

__all__ = ["StaleObject"]

COVERAGE_FIELDS = ("name", "kind", "segment", "attitude", "buying_role", "team_role", "min_strength", "is_active")
CADENCE_FIELDS = ("segment", "buying_role", "days", "is_active")

# kind -> (fields it requires, fields it may set); every other kind-specific field must be blank.
KIND_FIELDS = {
    CoverageRuleKind.HAS_ATTITUDE: (("attitude",), ("attitude",)),
    CoverageRuleKind.ROLE_OWNED: ((), ("buying_role",)),
    CoverageRuleKind.ROLE_COVERED_BY: (("buying_role", "team_role"), ("buying_role", "team_role", "min_strength")),
}
KIND_SPECIFIC = ("attitude", "buying_role", "team_role", "min_strength")

# In words, for the pages, the API and the user guide.
KIND_HELP = {
    CoverageRuleKind.HAS_ATTITUDE: "At least one of the customer's current contacts has the attitude (e.g. a "
    "champion). Uses: attitude.",
    CoverageRuleKind.ROLE_OWNED: "Every current contact in the buying role (blank: every current contact) has a "
    "relationship owner who is an active user. Uses: buying role (optional).",
    CoverageRuleKind.ROLE_COVERED_BY: "At least one current contact in the buying role is owned by someone who holds "
    "the team role on the contact's account (or a parent account), with a relationship at least the minimum "
    "strength. Uses: buying role, team role, minimum strength.",
}
FIELD_LABELS = {
    "attitude": "an attitude",
    "buying_role": "a buying role",
    "team_role": "a team role",
    "min_strength": "a minimum strength",
}


def _blank(name: str, value) -> bool:
    if name == "min_strength":
        return value in (None, Strength.NONE)
    return value in (None, "")


def _unknown(data: dict, allowed) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a field of this rule."))


def _clean_text(data: dict) -> dict:
    return {name: value.strip() if isinstance(value, str) else value for name, value in data.items()}


def _kind_errors(rule: CoverageRule) -> dict:
    """The fields the rule's kind needs but lacks, and the fields it does not use but has."""
    if rule.kind not in KIND_FIELDS:
        return {}  # full_clean names the kind
    required, allowed = KIND_FIELDS[CoverageRuleKind(rule.kind)]
    label = CoverageRuleKind(rule.kind).label
    errors = {}
    for name in required:
        if _blank(name, getattr(rule, name)):
            errors[name] = f"A rule of the kind “{label}” needs {FIELD_LABELS[name]}."
    for name in KIND_SPECIFIC:
        if name not in allowed and not _blank(name, getattr(rule, name)):
            errors[name] = f"A rule of the kind “{label}” does not use {FIELD_LABELS[name]}: leave it blank."
    if "team_role" not in errors and rule.team_role:
        from kam.teams.roles import catalogue

        roles = catalogue()
        if rule.team_role not in roles:
            names = ", ".join(sorted(roles))
            errors["team_role"] = f"“{rule.team_role}” is not a role of the team role catalogue ({names})."
    return errors


def _full_clean(instance, errors: dict) -> None:
    """Model validation (choices, lengths, ranges) plus `errors`; one ValidationError with all of them."""
    try:
        instance.full_clean(validate_constraints=False, validate_unique=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_coverage_rule(data: dict, user, rule: CoverageRule | None = None, expected_version: int | None = None):
    """Add a coverage rule (`rule` None) or change `rule` with `data` (COVERAGE_FIELDS; a change sends only what
    changes). Fields the kind does not use must be blank; a stale change raises StaleObject."""
    _unknown(data, COVERAGE_FIELDS)
    data = _clean_text(data)
    if data.get("min_strength") is None and "min_strength" in data:
        data["min_strength"] = Strength.NONE
    for name in ("segment", "attitude", "buying_role", "team_role"):
        if name in data and data[name] is None:
            data[name] = ""
    rule = CoverageRule() if rule is None else lock_for_update(rule, expected_version)
    for name, value in data.items():
        setattr(rule, name, value)
    _full_clean(rule, _kind_errors(rule))
    rule.save()
    return rule


@transaction.atomic
def delete_coverage_rule(rule: CoverageRule, user, expected_version: int | None = None) -> None:
    """Delete a coverage rule (refused with StaleObject when it changed since `expected_version`); the audit log keeps
    it. Accounts are no longer checked against it."""
    lock_for_update(rule, expected_version).delete()


def _describe(segment: str, buying_role: str) -> str:
    where = Segment(segment).label if segment else "every segment"
    who = BuyingRole(buying_role).label.lower() + "s" if buying_role else "every contact"
    return f"{who} in {where}"


@transaction.atomic
def save_cadence_rule(data: dict, user, rule: CadenceRule | None = None, expected_version: int | None = None):
    """Add a cadence rule (`rule` None) or change `rule` with `data` (CADENCE_FIELDS). One rule per (segment, buying
    role): a second is refused with a message naming the first. A stale change raises StaleObject."""
    _unknown(data, CADENCE_FIELDS)
    data = _clean_text(data)
    for name in ("segment", "buying_role"):
        if name in data and data[name] is None:
            data[name] = ""
    rule = CadenceRule() if rule is None else lock_for_update(rule, expected_version)
    for name, value in data.items():
        setattr(rule, name, value)
    errors = {}
    if rule.days is None:
        errors["days"] = "Say how often, in days (1 to 730)."
    elif isinstance(rule.days, int) and not 1 <= rule.days <= 730:
        errors["days"] = "Between 1 and 730 days."
    if isinstance(rule.segment, str) and isinstance(rule.buying_role, str):
        existing = (
            CadenceRule.objects.filter(segment=rule.segment, buying_role=rule.buying_role).exclude(pk=rule.pk).first()
        )
        if existing is not None:
            errors["buying_role"] = (
                f"There is already a cadence rule for {_describe(rule.segment, rule.buying_role)}: “{existing}”. "
                "Change that one instead."
            )
    _full_clean(rule, errors)
    rule.save()
    return rule


@transaction.atomic
def delete_cadence_rule(rule: CadenceRule, user, expected_version: int | None = None) -> None:
    """Delete a cadence rule (refused with StaleObject when it changed since `expected_version`). The contacts it
    covered fall back to the next most specific rule (see kam.stakeholders.cadence)."""
    lock_for_update(rule, expected_version).delete()
