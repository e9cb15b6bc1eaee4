"""Account teams over REST: the role catalogue, the service model per segment, the programme's team rules, the team
of an account (members, handovers, charter), the coverage check and the workload board. Every write goes through
kam.teams.services; every read and write asks the permission choke point (`restricted` / `get_restricted`) first."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kam.accounts.api import Pagination
from kam.accounts.models import Account, AccountTeamMember
from kam.core.api import (
    ERRORS,
    WRITE_ERRORS,
    InputSchema,
    api_field_names,
    etag,
    expected_version,
    get_restricted,
    optional_version,
    refuse_nulls,
    restricted,
)
from kam.core.permissions import ADD, CHANGE, VIEW
from kam.core.services import StaleObject, lock_for_update
from kam.teams import analysis, services
from kam.teams.models import (
    KEY_ACCOUNT_MANAGER,
    Handover,
    PersonCapacity,
    ProgrammeSettings,
    ServiceModel,
    TeamRoleDefinition,
)
from kam.teams.roles import catalogue

router = Router(tags=["teams"])

CadenceLiteral = Literal["monthly", "quarterly", "half_yearly", "yearly"]
KEY_HELP = "Lower-case letters, digits and _ only, e.g. finance_partner; fixed once the role exists."


# Helpers -------------------------------------------------------------------------------------------------------


def _active_user(user_id: int, field: str, *, active: bool = True):
    users = get_user_model().objects.filter(pk=user_id)
    user = (users.filter(is_active=True) if active else users).first()
    if user is None:
        raise ValidationError({field: "No such active user." if active else "No such user."})
    return user


class UserRef(Schema):
    id: int
    email: str
    name: str = Field(description="The full name, or the e-mail address when there is none.")

    @staticmethod
    def resolve_name(obj):
        return obj["name"] if isinstance(obj, dict) else obj.display_name


def _user(user) -> dict | None:
    return None if user is None else {"id": user.pk, "email": user.email, "name": user.display_name}


class TeamAccountRef(Schema):
    id: int
    name: str
    account_number: str


def _account(account) -> dict:
    return {"id": account.pk, "name": account.name, "account_number": account.account_number}


# The role catalogue --------------------------------------------------------------------------------------------


class RoleOut(Schema):
    id: int
    key: str
    name: str
    responsibilities: str
    required_per_key_account: bool
    position: int
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RoleIn(InputSchema):
    key: str = Field(min_length=1, max_length=32, description=KEY_HELP)
    name: str = Field(min_length=1, max_length=80)
    responsibilities: str = Field("", max_length=10000, description="What this role does for the account.")
    required_per_key_account: bool = Field(False, description="The coverage check flags key accounts without it.")
    position: int = Field(100, ge=0, le=32767, description="Order in lists.")
    active: bool = Field(True, description="Inactive roles cannot be given to new members.")


class RolePatch(InputSchema):
    key: str | None = Field(None, max_length=32, description="Cannot change: send it only as it is, or leave it out.")
    name: str | None = Field(None, min_length=1, max_length=80)
    responsibilities: str | None = Field(None, max_length=10000)
    required_per_key_account: bool | None = None
    position: int | None = Field(None, ge=0, le=32767)
    active: bool | None = None
    version: int | None = Field(None, description="The version you read; or send If-Match.")


@router.get("/teams/roles", response={200: list[RoleOut], **ERRORS}, summary="The role catalogue, in list order")
@paginate(Pagination)
def list_roles(request):
    return restricted(request, TeamRoleDefinition, VIEW)


@router.post(
    "/teams/roles",
    response={201: RoleOut, **WRITE_ERRORS},
    summary="Add a role to the catalogue (programme lead, administrator)",
)
def create_role(request, payload: RoleIn):
    restricted(request, TeamRoleDefinition, ADD)
    role = TeamRoleDefinition(**payload.dict())
    with transaction.atomic():
        role.full_clean()
        role.save()
    return Status(201, role)


@router.patch(
    "/teams/roles/{role_id}",
    response={200: RoleOut, **WRITE_ERRORS},
    summary="Change a role (If-Match or version required); its key cannot change, the key account manager role "
    "cannot be switched off",
)
def update_role(request, role_id: int, payload: RolePatch, response: HttpResponse):
    role = get_restricted(request, TeamRoleDefinition, CHANGE, role_id)
    data = payload.dict(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    refuse_nulls(data, "key", "name", "responsibilities", "required_per_key_account", "position", "active")
    with transaction.atomic():
        role = lock_for_update(role, version)
        if "key" in data and data["key"] != role.key:
            raise ValidationError(
                {"key": f"The key of a role cannot change (it is “{role.key}”): members and imports refer to it."}
            )
        if role.key == KEY_ACCOUNT_MANAGER and data.get("active") is False:
            raise ValidationError(
                {"active": "The key account manager role cannot be switched off: every key account needs one."}
            )
        for name, value in data.items():
            setattr(role, name, value)
        role.full_clean()
        role.save()
    response["ETag"] = etag(role)
    return role


# Service models ------------------------------------------------------------------------------------------------


class RuleOut(Schema):
    role_key: str
    role_name: str
    min_members: int
    expected_allocation_percent: int


class ServiceModelOut(Schema):
    id: int
    segment: str
    segment_name: str
    workload_weight: Decimal
    review_cadence: str
    in_person_meetings_per_year: int
    promised_service: str
    roles: list[RuleOut]
    version: int
    updated_at: dt.datetime


class RuleIn(InputSchema):
    role_key: str = Field(min_length=1, max_length=32, description="A role of the catalogue.")
    min_members: int = Field(1, ge=1, le=20)
    expected_allocation_percent: int = Field(
        0, ge=0, le=100, description="The least total share of time the role's members give the account."
    )


class ServiceModelIn(InputSchema):
    workload_weight: Decimal = Field(
        ge=0, le=10, max_digits=4, decimal_places=2, description="1 = an average key account on the workload board."
    )
    review_cadence: CadenceLiteral
    in_person_meetings_per_year: int = Field(ge=0, le=365)
    promised_service: str = Field(max_length=10000)
    roles: list[RuleIn] = Field(max_length=30, description="Every role rule of the segment: the list replaces them.")
    version: int | None = Field(None, description="The version you read (or If-Match): checked when sent.")


def _service_model_out(model: ServiceModel) -> dict:
    return {
        "id": model.pk,
        "segment": model.segment,
        "segment_name": model.get_segment_display(),
        "workload_weight": model.workload_weight,
        "review_cadence": model.review_cadence,
        "in_person_meetings_per_year": model.in_person_meetings_per_year,
        "promised_service": model.promised_service,
        "roles": [
            {
                "role_key": rule.role.key,
                "role_name": rule.role.name,
                "min_members": rule.min_members,
                "expected_allocation_percent": rule.expected_allocation_percent,
            }
            for rule in model.roles.all()
        ],
        "version": model.version,
        "updated_at": model.updated_at,
    }


@router.get(
    "/teams/service-models",
    response={200: list[ServiceModelOut], **ERRORS},
    summary="What a key account of each segment gets: the roles on its team, their time, the promised service",
)
def list_service_models(request):
    models = restricted(request, ServiceModel, VIEW).prefetch_related("roles__role")
    return [_service_model_out(model) for model in models]


@router.put(
    "/teams/service-models/{model_id}",
    response={200: ServiceModelOut, **WRITE_ERRORS},
    summary="Replace a segment's service model and its role rules (programme lead, administrator)",
)
def save_service_model(request, model_id: int, payload: ServiceModelIn, response: HttpResponse):
    model = get_restricted(request, ServiceModel, CHANGE, model_id)
    data = payload.dict()
    version = optional_version(request, data.pop("version"))
    rules_in = data.pop("roles")
    current = set(model.roles.values_list("role__key", flat=True))
    roles = catalogue()
    errors = {}
    for i, rule in enumerate(rules_in):
        role = roles.get(rule["role_key"])
        if role is None or (not role.active and role.key not in current):
            names = ", ".join(sorted(r.key for r in roles.values() if r.active))
            errors[f"roles.{i}.role_key"] = f"“{rule['role_key']}” is not an active role of the catalogue ({names})."
    if errors:
        raise ValidationError(errors)
    rules = [
        {
            "role": roles[rule["role_key"]],
            "min_members": rule["min_members"],
            "expected_allocation_percent": rule["expected_allocation_percent"],
        }
        for rule in rules_in
    ]
    with transaction.atomic():
        model = lock_for_update(model, version)
        services.save_service_model(model, data, rules)
    model = ServiceModel.objects.prefetch_related("roles__role").get(pk=model.pk)
    response["ETag"] = etag(model)
    return _service_model_out(model)


# The programme's team rules ------------------------------------------------------------------------------------


class SettingsOut(Schema):
    accounts_per_manager_limit: int
    accounts_per_manager_warning: int
    default_team_charter: str
    version: int


class SettingsPatch(InputSchema):
    accounts_per_manager_limit: int | None = Field(None, ge=1, le=100, description="Above this: over capacity.")
    accounts_per_manager_warning: int | None = Field(None, ge=1, le=100, description="Above this: a warning.")
    default_team_charter: str | None = Field(None, max_length=20000)
    version: int | None = Field(None, description="The version you read (or If-Match): checked when sent.")


@router.get("/teams/settings", response={200: SettingsOut, **ERRORS}, summary="The programme's team rules")
def get_settings(request, response: HttpResponse):
    restricted(request, ProgrammeSettings, VIEW)
    current = ProgrammeSettings.current()
    response["ETag"] = etag(current)
    return current


@router.patch(
    "/teams/settings",
    response={200: SettingsOut, **WRITE_ERRORS},
    summary="Change the team rules (programme lead, administrator); the warning must come at or before the limit",
)
def update_settings(request, payload: SettingsPatch, response: HttpResponse):
    restricted(request, ProgrammeSettings, CHANGE)
    data = payload.dict(exclude_unset=True)
    version = optional_version(request, data.pop("version", None))
    refuse_nulls(data, *SettingsPatch.model_fields)
    with transaction.atomic():
        current = ProgrammeSettings.objects.select_for_update().order_by("pk").first() or ProgrammeSettings.current()
        if version is not None and current.version != version:
            raise StaleObject(current.version)
        current = services.update_settings(data)
    response["ETag"] = etag(current)
    return current


# The team of an account ----------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    account_id: int
    user: UserRef
    team_role: str
    role_name: str
    allocation_percent: int
    start_date: dt.date
    end_date: dt.date | None
    active: bool = Field(description="On the team today.")
    version: int


class EndedMemberOut(MemberOut):
    removed: bool = Field(
        description="The membership had not taken effect yet (it started today or later): it was withdrawn, not kept "
        "as history."
    )


def _member_out(member: AccountTeamMember, roles: dict | None = None, today: dt.date | None = None) -> dict:
    roles = catalogue() if roles is None else roles
    role = roles.get(member.team_role)
    return {
        "id": member.pk,
        "account_id": member.account_id,
        "user": _user(member.user),
        "team_role": member.team_role,
        "role_name": role.name if role is not None else member.team_role,
        "allocation_percent": member.allocation_percent,
        "start_date": member.start_date,
        "end_date": member.end_date,
        "active": member.is_active_on(today or timezone.localdate()),
        "version": member.version,
    }


class MemberIn(InputSchema):
    user_id: int
    team_role: str = Field(max_length=32, description="A key of the role catalogue, e.g. key_account_manager.")
    allocation_percent: int = Field(100, description="Share of the person's time, 0–100.")
    start_date: dt.date | None = Field(None, description="Default: today.")
    end_date: dt.date | None = Field(None, description="The last day on the team; null: open-ended.")


class MemberPatch(InputSchema):
    team_role: str | None = Field(None, max_length=32)
    allocation_percent: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = Field(None, description="null: open-ended.")
    version: int | None = Field(None, description="The version you read; or send If-Match.")


class EndIn(InputSchema):
    end_date: dt.date | None = Field(
        None, description="Their last day on the team; default: they leave now (access ends at once)."
    )


@router.get(
    "/accounts/{account_id}/team",
    response={200: list[MemberOut], **ERRORS},
    summary="Every membership of the account's team, current and past, oldest first",
)
def list_team(request, account_id: int):
    account = get_restricted(request, Account, VIEW, account_id)
    members = (
        restricted(request, AccountTeamMember, VIEW)
        .filter(account=account)
        .select_related("user")
        .order_by("start_date", "pk")
    )
    roles, today = catalogue(), timezone.localdate()
    return [_member_out(member, roles, today) for member in members]


@router.post(
    "/accounts/{account_id}/team",
    response={201: MemberOut, **WRITE_ERRORS},
    summary="Put someone on the account's team (programme lead, administrator): membership opens the account to them",
)
def add_member(request, account_id: int, payload: MemberIn):
    restricted(request, AccountTeamMember, ADD)
    account = get_restricted(request, Account, VIEW, account_id)
    user = _active_user(payload.user_id, "user_id")
    with api_field_names(user="user_id"):
        member = services.add_member(
            account, user, payload.team_role, payload.allocation_percent, payload.start_date, payload.end_date
        )
    return Status(201, _member_out(member))


@router.patch(
    "/teams/members/{member_id}",
    response={200: MemberOut, **WRITE_ERRORS},
    summary="Change a membership's role, allocation or dates (If-Match or version required)",
)
def update_member(request, member_id: int, payload: MemberPatch, response: HttpResponse):
    member = get_restricted(request, AccountTeamMember, CHANGE, member_id)
    data = payload.dict(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    refuse_nulls(data, "team_role", "allocation_percent", "start_date")
    with api_field_names(user="user_id"):
        member = services.update_member(member, data, expected_version=version)
    response["ETag"] = etag(member)
    return _member_out(member)


@router.post(
    "/teams/members/{member_id}/end",
    response={200: EndedMemberOut, **WRITE_ERRORS},
    summary="The member leaves the team: the membership ends (kept as history; one not yet in effect is withdrawn) "
    "and with it their access",
)
def end_member(request, member_id: int, payload: EndIn | None = None):
    member = get_restricted(request, AccountTeamMember, CHANGE, member_id)
    member_pk = member.pk
    with api_field_names(user="user_id"):
        member = services.end_member(member, payload.end_date if payload else None)
    removed = member.pk is None or not AccountTeamMember.objects.filter(pk=member_pk).exists()
    member.pk = member_pk
    out = _member_out(member)
    return {**out, "active": out["active"] and not removed, "removed": removed}


# Handovers -----------------------------------------------------------------------------------------------------


class HandoverOut(Schema):
    id: int
    account: TeamAccountRef
    from_user: UserRef | None
    to_user: UserRef
    handed_over_on: dt.date
    note: str
    by: UserRef | None
    created_at: dt.datetime


class HandoverIn(InputSchema):
    to_user_id: int = Field(description="The new key account manager.")
    note: str = Field(max_length=10000, description="Relationships, open work, commitments, what to watch.")
    on: dt.date | None = Field(None, description="The new manager's first day; default: today.")


class HandoverAllIn(HandoverIn):
    from_user_id: int = Field(description="The leaving key account manager.")


class HandoverFilters(Schema):
    account_id: int | None = Field(None, ge=1, le=2**63 - 1)  # beyond: an overflow in the database driver


@router.post(
    "/accounts/{account_id}/handover",
    response={201: HandoverOut, **WRITE_ERRORS},
    summary="Hand the key account over to a new key account manager, with a note (programme lead, administrator)",
)
def hand_over(request, account_id: int, payload: HandoverIn):
    restricted(request, AccountTeamMember, CHANGE)
    restricted(request, Handover, ADD)
    account = get_restricted(request, Account, VIEW, account_id)
    to_user = _active_user(payload.to_user_id, "to_user_id")
    with api_field_names(to_user="to_user_id", user="to_user_id"):
        handover = services.hand_over(account, to_user, payload.note, request.user, payload.on)
    return Status(201, handover)


@router.get(
    "/teams/handovers",
    response={200: list[HandoverOut], **ERRORS},
    summary="Handovers of the accounts you see, newest first",
)
@paginate(Pagination)
def list_handovers(request, filters: Query[HandoverFilters]):
    handovers = restricted(request, Handover, VIEW).select_related("account", "from_user", "to_user", "by")
    if filters.account_id is not None:
        handovers = handovers.filter(account_id=filters.account_id)
    return handovers


@router.post(
    "/teams/handover-all",
    response={200: list[HandoverOut], **WRITE_ERRORS},
    summary="A key account manager leaves: every key account they manage passes to someone else, all or none",
)
def hand_over_all(request, payload: HandoverAllIn):
    restricted(request, AccountTeamMember, CHANGE)
    restricted(request, Handover, ADD)
    from_user = _active_user(payload.from_user_id, "from_user_id", active=False)  # people who left are deactivated
    to_user = _active_user(payload.to_user_id, "to_user_id")
    with api_field_names(to_user="to_user_id", user="to_user_id"):
        handovers = services.hand_over_all(from_user, to_user, payload.note, request.user, payload.on)
    if not handovers:
        on = payload.on or timezone.localdate()
        raise ValidationError({"from_user_id": f"{from_user} manages no key account on {on:%Y-%m-%d}."})
    return handovers


# Team charter --------------------------------------------------------------------------------------------------


class CharterIn(InputSchema):
    text: str = Field(max_length=20000, description="Empty (or the programme's default): follow the default.")
    version: int | None = Field(None, description="The account's version you read (or If-Match): checked when sent.")


class CharterOut(Schema):
    account_id: int
    text: str = Field(description="The charter the team works by.")
    is_default: bool = Field(description="The team follows the programme's default charter.")
    version: int = Field(description="The account's version.")


@router.put(
    "/accounts/{account_id}/team-charter",
    response={200: CharterOut, **WRITE_ERRORS},
    summary="Write the team's charter; empty text goes back to the programme's default",
)
def set_team_charter(request, account_id: int, payload: CharterIn, response: HttpResponse):
    account = get_restricted(request, Account, CHANGE, account_id)
    version = optional_version(request, payload.version)
    default = ProgrammeSettings.current().default_team_charter
    text = payload.text.strip()
    if text == default.strip():
        text = ""  # unchanged: keep following the programme's default (as the page does)
    account = services.set_team_charter(account, text, expected_version=version)
    response["ETag"] = etag(account)
    return {
        "account_id": account.pk,
        "text": account.team_charter or default,
        "is_default": not account.team_charter,
        "version": account.version,
    }


# Coverage and workload -----------------------------------------------------------------------------------------


class CoverageRowOut(Schema):
    account: TeamAccountRef
    segment: str
    segment_name: str
    manager: UserRef | None
    covered: bool
    problems: list[str]


class CoverageFilters(Schema):
    status: Literal["gaps", "covered"] | None = None
    q: str | None = Field(None, max_length=200, description="Search account name or number")


@router.get(
    "/teams/coverage",
    response={200: list[CoverageRowOut], **ERRORS},
    summary="Each key account you see against its segment's service model: what its team is missing",
)
@paginate(Pagination)
def coverage(request, filters: Query[CoverageFilters]):
    accounts = analysis.key_accounts() & restricted(request, Account, VIEW)
    rows = analysis.coverage(accounts)
    if filters.status == "gaps":
        rows = [r for r in rows if not r.covered]
    elif filters.status == "covered":
        rows = [r for r in rows if r.covered]
    query = (filters.q or "").strip().lower()
    if query:
        rows = [r for r in rows if query in r.account.name.lower() or query in r.account.account_number.lower()]
    return [
        {
            "account": _account(r.account),
            "segment": r.segment,
            "segment_name": r.segment_name,
            "manager": _user(r.manager),
            "covered": r.covered,
            "problems": r.problems,
        }
        for r in rows
    ]


class WorkloadUserOut(UserRef):
    role: str


class WorkloadRowOut(Schema):
    user: WorkloadUserOut
    limit: int = Field(description="The person's own limit of key accounts, or the programme's.")
    key_accounts: int = Field(description="Key accounts managed as key account manager.")
    weighted: Decimal = Field(description="Σ the workload weights of those accounts' segments.")
    memberships: int = Field(description="Active memberships in any role.")
    allocation: int = Field(description="Σ allocation % over the active memberships.")
    status: str = Field(description="ok, warning or over")
    notes: list[str]


class WorkloadFilters(Schema):
    status: Literal["ok", "warning", "over"] | None = None
    q: str | None = Field(None, max_length=200, description="Search name or e-mail")


@router.get(
    "/teams/workload",
    response={200: list[WorkloadRowOut], **ERRORS},
    summary="People × key accounts: accounts managed (raw and weighted), time allocated, against the limits "
    "(programme lead, administrator)",
)
@paginate(Pagination)
def workload(request, filters: Query[WorkloadFilters]):
    restricted(request, AccountTeamMember, CHANGE)  # the board shows every team: for those who staff them
    rows = analysis.workload()
    if filters.status:
        rows = [r for r in rows if r.status == filters.status]
    query = (filters.q or "").strip().lower()
    if query:
        rows = [r for r in rows if query in (r.user.full_name or "").lower() or query in r.user.email.lower()]
    return [
        {
            "user": {**_user(r.user), "role": r.user.role},
            "limit": r.limit,
            "key_accounts": r.key_accounts,
            "weighted": r.weighted,
            "memberships": r.memberships,
            "allocation": r.allocation,
            "status": r.status,
            "notes": r.notes,
        }
        for r in rows
    ]


class PersonCapacityIn(InputSchema):
    accounts_limit: int | None = Field(
        None, ge=0, le=100, description="Their own limit of key accounts; null: the programme's limit."
    )
    note: str = Field("", max_length=300)


class PersonCapacityOut(Schema):
    user_id: int
    accounts_limit: int | None
    note: str


@router.put(
    "/teams/people/{user_id}/capacity",
    response={200: PersonCapacityOut, **WRITE_ERRORS},
    summary="A person's own limit of key accounts (null: back to the programme's)",
)
def set_capacity(request, user_id: int, payload: PersonCapacityIn):
    restricted(request, PersonCapacity, CHANGE)
    user = _active_user(user_id, "user_id", active=False)
    capacity = services.set_capacity(user, payload.accounts_limit, payload.note)
    return {
        "user_id": user.pk,
        "accounts_limit": capacity and capacity.accounts_limit,
        "note": capacity.note if capacity else "",
    }


__all__ = ["router"]
