"""Every write to charters goes through here: pages, API, tests. The rules:

- the template has the ten sections (fixed keys and numbers); titles and texts are the programme lead's to write;
- an account has one charter, made from the template as it is that day (later template edits do not touch it);
- every saved change of a charter is a new version (1, 2, …) with the full content; a save that changes nothing
  makes none; a stale save (someone saved in between) is refused and the first one survives;
- sign-off records our approver (the signed-in user: the programme lead, an administrator or the account's key
  account manager), the client's signatory and the signing date (not in the future, not before the version
  existed); the signed version is frozen, and the next edit starts a new draft.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from kam.accounts.models import Account, AccountTeamMember
from kam.charters.choices import CharterStatus, CollaborationTool, MeetingCadence
from kam.charters.defaults import KEYS, default_sections
from kam.charters.models import CONTENT_FIELDS, SIGN_OFF, Charter, CharterTemplate, CharterVersion
from kam.core.permissions import has_global_scope, role_allows
from kam.core.services import StaleObject, lock_for_update

MAX_TITLE = 120
MAX_BODY = 20_000
MAX_GUIDANCE = 2_000
MAX_FIELD = 10_000
MAX_KPIS = 30
MAX_KPI_TEXT = 200
MAX_NOTE = 300
KEY_ACCOUNT_MANAGER = "key_account_manager"


# What other apps tell us ------------------------------------------------------------------------------------------


def commitment_table(account) -> list[tuple[str, str]]:
    """The account's service-level commitments as (responsibility, commitment) rows (kam.servicelevels)."""
    from kam.servicelevels.services import commitment_table as commitments

    return [(str(responsibility), str(commitment)) for responsibility, commitment in commitments(account)]


def service_levels_url(account) -> str:
    """Where the account's service-level commitments are edited."""
    return reverse("servicelevels:account_policies", args=[account.pk])


def current_manager_ids(account) -> set[int]:
    """The key account managers of the account and of the groups above it (their scope includes it)."""
    ids = [account.pk, *account.ancestor_ids()]
    return set(
        AccountTeamMember.objects.filter(
            AccountTeamMember.active_q(), account_id__in=ids, team_role=KEY_ACCOUNT_MANAGER
        ).values_list("user_id", flat=True)
    )


def account_snapshot(account) -> dict:
    """The account as a signed charter remembers it."""
    from django.contrib.auth import get_user_model

    managers = get_user_model().objects.filter(pk__in=current_manager_ids(account)).order_by("email")
    return {
        "name": account.name,
        "account_number": account.account_number,
        "key_account_manager": ", ".join(m.display_name for m in managers),
    }


def may_sign_off(user, charter: Charter) -> bool:
    """Our approver: the programme lead, an administrator, or the account's own key account manager — not every key
    account manager who can see the account (a colleague on its team in a support role, say)."""
    if not role_allows(user, SIGN_OFF, Charter):
        return False
    return has_global_scope(user) or user.pk in current_manager_ids(charter.account)


# The template -----------------------------------------------------------------------------------------------------


@transaction.atomic
def update_template(sections: dict, expected_version: int | None = None) -> CharterTemplate:
    """Change the template's sections: `sections` maps a section key to the parts that change (title, body,
    guidance). Existing charters keep what they copied."""
    template = CharterTemplate.objects.select_for_update().order_by("pk").first()
    if template is None:
        template = CharterTemplate(sections=default_sections())
    if expected_version is not None and template.version != expected_version:
        raise StaleObject(template.version)
    errors = {}
    unknown = sorted(set(sections) - set(KEYS))
    if unknown:
        errors["sections"] = f"Unknown section(s): {', '.join(unknown)}. The sections are: {', '.join(KEYS)}."
    current = {s["key"]: dict(s) for s in template.sections}
    for default in default_sections():  # a section missing from the stored row comes back with its default
        current.setdefault(default["key"], default)
    for key, change in sections.items():
        if key not in current:
            continue
        for part, limit in (("title", MAX_TITLE), ("body", MAX_BODY), ("guidance", MAX_GUIDANCE)):
            if part not in change:
                continue
            value = (change[part] or "").strip()
            if part == "title" and not value:
                errors[f"{key}.title"] = "Give the section a title."
            elif len(value) > limit:
                errors[f"{key}.{part}"] = f"At most {limit:,} characters (this has {len(value):,})."
            else:
                current[key][part] = value
    if errors:
        raise ValidationError(errors)
    template.sections = [{**current[key], "key": key, "number": number} for number, key in enumerate(KEYS, start=1)]
    template.save()
    return template


# Charters ---------------------------------------------------------------------------------------------------------


def _version_content(charter: Charter) -> dict:
    return charter.content()


def _add_version(charter: Charter, user, note: str) -> CharterVersion:
    return CharterVersion.objects.create(
        charter=charter,
        account_id=charter.account_id,
        number=charter.latest_number,
        content=_version_content(charter),
        note=(note or "").strip()[:MAX_NOTE],
        created_by=user if getattr(user, "pk", None) else None,
    )


@transaction.atomic
def create_charter(account: Account, user, note: str = "") -> Charter:
    """The account's charter, copied from the programme template as it is now: version 1."""
    Account.objects.select_for_update().filter(pk=account.pk).first()  # one creation at a time per account
    if Charter.objects.filter(account_id=account.pk).exists():
        raise ValidationError({"account": f"{account} has a charter already: edit it instead."})
    template = CharterTemplate.current()
    charter = Charter(
        account=account,
        sections=[
            {"key": s["key"], "number": s["number"], "title": s["title"], "body": s["body"]} for s in template.sections
        ],
        latest_number=1,
        created_by=user if getattr(user, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            charter.save()
    except IntegrityError:  # created at the same moment by someone else
        raise ValidationError({"account": f"{account} has a charter already: edit it instead."}) from None
    _add_version(charter, user, note or "Created from the programme template.")
    return charter


def clean_kpis(value) -> list[dict]:
    """KPIs as a list of {name, target, measure}; each needs a name."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationError({"kpis": "A list of KPIs: each with a name, a target and how it is measured."})
    if len(value) > MAX_KPIS:
        raise ValidationError({"kpis": f"At most {MAX_KPIS} KPIs (this has {len(value)})."})
    kpis = []
    for n, item in enumerate(value, start=1):
        item = item if isinstance(item, dict) else {}
        kpi = {part: str(item.get(part) or "").strip() for part in ("name", "target", "measure")}
        if not kpi["name"]:
            raise ValidationError({"kpis": f"KPI {n}: give it a name."})
        for part, text in kpi.items():
            if len(text) > MAX_KPI_TEXT:
                raise ValidationError({"kpis": f"KPI {n}: the {part} has more than {MAX_KPI_TEXT} characters."})
        kpis.append(kpi)
    return kpis


def _clean_fields(data: dict) -> dict:
    cleaned, errors = {}, {}
    for name in ("client_goals", "communication_preferences", "client_responsibilities"):
        if name in data:
            value = (data[name] or "").strip()
            if len(value) > MAX_FIELD:
                errors[name] = f"At most {MAX_FIELD:,} characters (this has {len(value):,})."
            cleaned[name] = value
    if "other_tools" in data:
        value = (data["other_tools"] or "").strip()
        if len(value) > 300:
            errors["other_tools"] = "At most 300 characters."
        cleaned["other_tools"] = value
    if "meeting_cadence" in data:
        value = data["meeting_cadence"] or ""
        if value and value not in MeetingCadence.values:
            errors["meeting_cadence"] = f"Choose one of: {', '.join(MeetingCadence.values)} (or leave it empty)."
        cleaned["meeting_cadence"] = value
    if "collaboration_tools" in data:
        tools = data["collaboration_tools"] or []
        unknown = [t for t in tools if t not in CollaborationTool.values]
        if unknown:
            errors["collaboration_tools"] = (
                f"Unknown tool(s): {', '.join(map(str, unknown))}. Choose from: {', '.join(CollaborationTool.values)}."
            )
        cleaned["collaboration_tools"] = [t for t in CollaborationTool.values if t in tools]
    if "kpis" in data:
        try:
            cleaned["kpis"] = clean_kpis(data["kpis"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def update_charter(charter: Charter, data: dict, user, expected_version: int | None = None, note: str = "") -> Charter:
    """Save a change of the charter as its next version. `data` may hold `sections` ({key: body}) and any of the
    structured fields. A change that changes nothing makes no version; the charter is returned as it is."""
    charter = lock_for_update(charter, expected_version)
    before = charter.content()
    errors = {}
    sections = data.get("sections") or {}
    unknown = sorted(set(sections) - {s["key"] for s in charter.sections})
    if unknown:
        errors["sections"] = f"Unknown section(s): {', '.join(unknown)}. The sections are: {', '.join(KEYS)}."
    new_sections = []
    for section in charter.sections:
        section = dict(section)
        if section["key"] in sections:
            body = (sections[section["key"]] or "").strip()
            if len(body) > MAX_BODY:
                errors[f"section_{section['key']}"] = f"At most {MAX_BODY:,} characters (this has {len(body):,})."
            section["body"] = body
        new_sections.append(section)
    try:
        fields = _clean_fields({k: v for k, v in data.items() if k in CONTENT_FIELDS})
    except ValidationError as error:
        errors.update(error.message_dict)
        fields = {}
    if len((note or "").strip()) > MAX_NOTE:
        errors["note"] = f"At most {MAX_NOTE} characters."
    if errors:
        raise ValidationError(errors)
    charter.sections = new_sections
    for name, value in fields.items():
        setattr(charter, name, value)
    if charter.content() == before:
        return charter
    charter.latest_number += 1
    charter.status = CharterStatus.DRAFT
    charter.save()
    _add_version(charter, user, note)
    return charter


@transaction.atomic
def sign_off(
    charter: Charter,
    user,
    client_signatory_name: str,
    signed_on,
    client_signatory_title: str = "",
    expected_version: int | None = None,
) -> CharterVersion:
    """Sign the charter's newest version: `user` is our approver. The version is frozen from now on."""
    if not may_sign_off(user, charter):
        raise PermissionDenied(
            "Only the account's key account manager, the programme lead or an administrator signs off a charter."
        )
    charter = lock_for_update(charter, expected_version)
    version = CharterVersion.objects.select_for_update().get(charter=charter, number=charter.latest_number)
    version.charter = charter  # the locked instance: the version's status reads its signed version
    if version.is_signed:
        raise ValidationError(
            f"Version {version.number} is signed already (on {version.signed_on:%Y-%m-%d}). Edit the charter to start "
            "a new draft."
        )
    errors = {}
    name = (client_signatory_name or "").strip()
    title = (client_signatory_title or "").strip()
    if not name:
        errors["client_signatory_name"] = "Give the name of the person who signs for the client."
    elif len(name) > 200:
        errors["client_signatory_name"] = "At most 200 characters."
    if len(title) > 200:
        errors["client_signatory_title"] = "At most 200 characters."
    today = timezone.localdate()
    created_on = timezone.localdate(version.created_at)
    if signed_on is None:
        errors["signed_on"] = "Give the date the charter was signed."
    elif signed_on > today:
        errors["signed_on"] = f"The signing date cannot be in the future (today is {today:%Y-%m-%d})."
    elif signed_on < created_on:
        errors["signed_on"] = (
            f"Version {version.number} was written on {created_on:%Y-%m-%d}: it cannot have been signed before that."
        )
    if errors:
        raise ValidationError(errors)
    # What the client signed, as it is now: the commitments and the account's name stay with the signed version.
    version.content = {
        **version.content,
        "commitments": [list(row) for row in commitment_table(charter.account)],
        "account": account_snapshot(charter.account),
    }
    version.approved_by = user
    version.client_signatory_name = name
    version.client_signatory_title = title
    version.signed_on = signed_on
    version.signed_at = timezone.now()
    version.save()
    charter.signed_version = version
    charter.status = CharterStatus.SIGNED
    charter.save()
    return version
