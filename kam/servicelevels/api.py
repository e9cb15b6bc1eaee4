"""Service levels over REST: client requests (workflow, comments, escalations, the queue), SLA compliance, the
programme's policies, default escalation path and calendars, one account's service levels (its own values, calendar
and path), and the obligations. Every write goes through kam.servicelevels.services; every read and write asks the
permission choke point (`restricted` / `get_restricted`) first. Times are ISO 8601 with their offset; a time
without one is refused (422), never guessed."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AwareDatetime, Field

from kam.accounts.api import Pagination
from kam.accounts.models import Account
from kam.core.api import (
    ERRORS,
    WRITE_ERRORS,
    InputSchema,
    api_field_names,
    etag,
    expected_version,
    filtered,
    get_restricted,
    optional_version,
    refuse_nulls,
    restricted,
)
from kam.core.permissions import ADD, CHANGE, DELETE, VIEW, has_global_scope
from kam.servicelevels import services
from kam.servicelevels.filtersets import ObligationFilterSet, RequestFilterSet
from kam.servicelevels.models import (
    AccountServiceSettings,
    BusinessCalendar,
    Channel,
    ClientRequest,
    ClockMode,
    EscalationLevel,
    Holiday,
    Obligation,
    PolicyOverride,
    Priority,
    RequestEvent,
    RequestKind,
    RequestStatus,
    SlaPolicy,
    SlaState,
    TargetUnit,
)

router = Router(tags=["servicelevels"])

BIG_ID = 2**63 - 1
# The closed sets come from the models, so the API's schema follows them.
KindLiteral = Literal[tuple(RequestKind.values)]
PriorityLiteral = Literal[tuple(Priority.values)]
ChannelLiteral = Literal[tuple(Channel.values)]
StatusLiteral = Literal[tuple(RequestStatus.values)]
SlaStateLiteral = Literal[tuple(SlaState.values)]
UnitLiteral = Literal[tuple(TargetUnit.values)]
ClockLiteral = Literal[tuple(ClockMode.values)]
FlagLiteral = Literal["overdue", "due soon", "open", "done"]


# Helpers -------------------------------------------------------------------------------------------------------


def _body_account(request, account_id: int, field: str = "account_id") -> Account:
    """An account named in a body: one the user sees, else a field error (it is input, not the resource)."""
    account = Account.objects.visible_to(request.user).filter(pk=account_id).first()
    if account is None:
        raise ValidationError({field: f"No account with id {account_id} that you can see."})
    return account


def _body_user(user_id: int | None, field: str):
    if user_id is None:
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ValidationError({field: f"No active user with id {user_id}."})
    return user


def _global_rules(request, model, action):
    """The programme's rules (its default path) are changed by programme leads and administrators only."""
    restricted(request, model, action)
    if not has_global_scope(request.user):
        raise PermissionDenied("Only the programme lead and administrators change the programme's rules.")


class RequestAccountRef(Schema):
    id: int
    name: str
    account_number: str


class RequestUserRef(Schema):
    id: int
    email: str
    name: str = Field(description="The full name, or the e-mail address when there is none.")


def _user(user) -> dict | None:
    return None if user is None else {"id": user.pk, "email": user.email, "name": user.display_name}


def _account(account) -> dict:
    return {"id": account.pk, "name": account.name, "account_number": account.account_number}


# Client requests -----------------------------------------------------------------------------------------------


class RequestClockOut(Schema):
    mode: str = Field(description="business (the client's working hours) or clock (around the clock).")
    state: str = Field(description="running (on track), at_risk, breached, paused, met or missed.")
    budget_seconds: int | None = Field(description="The commitment in seconds of counting time.")
    due_at: dt.datetime | None = Field(description="While the clock runs.")
    at_risk_at: dt.datetime | None
    remaining_seconds: int | None = Field(None, description="While paused (waiting on the client, resolved).")


class RequestOut(Schema):
    id: int
    reference: str
    account: RequestAccountRef
    external_id: str
    kind: str
    priority: str
    channel: str
    subject: str
    description: str
    requester: str
    assignee: RequestUserRef | None
    status: str
    allowed_next: list[str] = Field(description="The statuses the workflow allows next.")
    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    time_zone: str = Field(description="The client's time zone (its calendar's); the clocks count its hours.")
    response_clock: RequestClockOut | None
    resolution_clock: RequestClockOut | None
    sla_state: str = Field(description="The worst clock: on_track, at_risk, breached or none.")
    escalation_level: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_account(obj):
        return _account(obj.account)

    @staticmethod
    def resolve_assignee(obj):
        return _user(obj.assignee)

    @staticmethod
    def resolve_allowed_next(obj):
        return list(services.allowed_next(obj.status))

    @staticmethod
    def resolve_time_zone(obj):
        return obj.calendar.time_zone if obj.calendar_id else "UTC"

    @staticmethod
    def resolve_response_clock(obj):
        return _clock(obj, "response")

    @staticmethod
    def resolve_resolution_clock(obj):
        return _clock(obj, "resolution")


def _clock(obj: ClientRequest, name: str) -> dict | None:
    state = getattr(obj, f"{name}_state")
    if state == "none":
        return None
    return {
        "mode": getattr(obj, f"{name}_clock"),
        "state": state,
        "budget_seconds": getattr(obj, f"{name}_budget"),
        "due_at": getattr(obj, f"{name}_due_at"),
        "at_risk_at": getattr(obj, f"{name}_at_risk_at"),
        "remaining_seconds": obj.resolution_remaining if name == "resolution" else None,
    }


class RequestIn(InputSchema):
    account_id: int = Field(description="The client's account.")
    subject: str = Field(min_length=1, max_length=200)
    kind: KindLiteral = "inquiry"
    priority: PriorityLiteral = Field("normal", description="A critical issue is always critical.")
    channel: ChannelLiteral = "email"
    description: str = Field("", max_length=20000)
    requester: str = Field("", max_length=200, description="Who at the client asked (free text).")
    assignee_id: int | None = Field(None, description="Default: the account's key account manager.")
    opened_at: AwareDatetime | None = Field(
        None, description="When the client asked, with its offset (the clocks start here); default: now."
    )
    external_id: str = Field("", max_length=64, description="The request's id in the source system.")


class RequestPatch(InputSchema):
    subject: str | None = Field(None, min_length=1, max_length=200)
    kind: KindLiteral | None = None
    priority: PriorityLiteral | None = None
    channel: ChannelLiteral | None = None
    description: str | None = Field(None, max_length=20000)
    requester: str | None = Field(None, max_length=200)
    assignee_id: int | None = Field(None, description="null: nobody.")
    version: int | None = Field(None, description="The version you read; or send If-Match.")


class RequestStatusIn(InputSchema):
    status: StatusLiteral
    at: AwareDatetime | None = Field(None, description="When it happened, with its offset; default: now.")
    note: str = Field("", max_length=20000, description="Required to resolve: how it was resolved.")
    version: int | None = Field(None, description="The version you read (or If-Match): checked when sent.")


class RequestCommentIn(InputSchema):
    note: str = Field(min_length=1, max_length=20000)


class RequestEscalateIn(InputSchema):
    reason: str = Field(min_length=1, max_length=4000, description="Why it needs the next level: they read it.")


class RequestEventOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    from_status: str
    to_status: str
    note: str
    actor: RequestUserRef | None

    @staticmethod
    def resolve_actor(obj):
        return _user(obj.actor)


class RequestEscalationOut(Schema):
    id: int
    level: int
    trigger: str = Field(description="at_risk, breach (the scheduler) or manual.")
    clock: str
    reason: str
    at: dt.datetime
    by: RequestUserRef | None
    notified: list[RequestUserRef]

    @staticmethod
    def resolve_by(obj):
        return _user(obj.by)

    @staticmethod
    def resolve_notified(obj):
        return [_user(user) for user in obj.notified.all()]


class RequestFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Search subject, requester, source id, or R-000042")
    account: int | None = Field(None, ge=1, le=BIG_ID)
    status: StatusLiteral | None = None
    is_open: bool | None = Field(None, description="true: open (new … waiting on client); false: resolved or closed")
    kind: KindLiteral | None = None
    priority: PriorityLiteral | None = None
    sla_state: SlaStateLiteral | None = None
    assignee: int | None = Field(None, ge=1, le=BIG_ID)
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None


def _requests(request, action=VIEW):
    return restricted(request, ClientRequest, action).select_related("account", "assignee", "calendar")


def _get_request(request, request_id: int, action=VIEW) -> ClientRequest:
    obj = _requests(request, action).filter(pk=request_id).first()
    if obj is None:
        raise Http404
    return obj


@router.get(
    "/requests",
    response={200: list[RequestOut], **ERRORS},
    summary="Client requests of the accounts you see, newest first",
)
@paginate(Pagination)
def list_requests(request, filters: Query[RequestFilters]):
    return filtered(request, RequestFilterSet, _requests(request), filters).order_by("-opened_at", "-pk")


@router.post(
    "/requests",
    response={201: RequestOut, **WRITE_ERRORS},
    summary="Open a client request: its first-response and resolution clocks start at `opened_at`",
)
def create_request(request, payload: RequestIn):
    restricted(request, ClientRequest, ADD)
    account = _body_account(request, payload.account_id)
    assignee = _body_user(payload.assignee_id, "assignee_id")
    with api_field_names(assignee="assignee_id"):
        obj = services.open_request(
            account,
            subject=payload.subject,
            by=request.user,
            kind=payload.kind,
            priority=payload.priority,
            channel=payload.channel,
            description=payload.description,
            requester=payload.requester,
            assignee=assignee,
            opened_at=payload.opened_at,
            external_id=payload.external_id.strip(),
        )
    return Status(201, _get_request(request, obj.pk))


class RequestQueueOut(Schema):
    request: RequestOut
    clock: str = Field(description="The clock that needs attention: response or resolution.")
    clock_state: str = Field(description="at_risk, breached or missed.")
    due_at: dt.datetime | None = Field(description="That clock's due time (null: paused with no time left).")
    key_account_manager: RequestUserRef | None


@router.get(
    "/requests/queue",
    response={200: list[RequestQueueOut], **ERRORS},
    summary="Open requests at risk or breached, most urgent first (breached before at risk, then by due time)",
)
@paginate(Pagination)
def request_queue(request):
    from kam.servicelevels.views import queue_rows

    restricted(request, ClientRequest, VIEW)
    return [
        {
            "request": row.request,
            "clock": row.clock,
            "clock_state": row.state,
            "due_at": row.due,
            "key_account_manager": _user(row.manager),
        }
        for row in queue_rows(request.user)
    ]


@router.get("/requests/{request_id}", response={200: RequestOut, **ERRORS}, summary="One client request")
def get_request(request, request_id: int, response: HttpResponse):
    obj = _get_request(request, request_id)
    response["ETag"] = etag(obj)
    return obj


@router.patch(
    "/requests/{request_id}",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="Change what describes a request (If-Match or version required); a priority with a resolution "
    "commitment starts its clock from the opening",
)
def update_request(request, request_id: int, payload: RequestPatch, response: HttpResponse):
    obj = _get_request(request, request_id, CHANGE)
    data = payload.dict(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    refuse_nulls(data, "subject", "kind", "priority", "channel", "description", "requester")
    if "assignee_id" in data:
        data["assignee"] = _body_user(data.pop("assignee_id"), "assignee_id")
    with api_field_names(assignee="assignee_id"):
        obj = services.update_request(obj, data, by=request.user, expected_version=version)
    obj = _get_request(request, obj.pk)
    response["ETag"] = etag(obj)
    return obj


@router.post(
    "/requests/{request_id}/status",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="Move a request along its workflow (new → acknowledged → in progress → waiting on client → resolved → "
    "closed; reopening allowed); `at` may be backdated, never before the opening or the last change",
)
def change_status(request, request_id: int, payload: RequestStatusIn, response: HttpResponse):
    obj = _get_request(request, request_id, CHANGE)
    version = optional_version(request, payload.version)
    obj = services.change_status(
        obj, payload.status, request.user, at=payload.at, note=payload.note, expected_version=version
    )
    obj = _get_request(request, obj.pk)
    response["ETag"] = etag(obj)
    return obj


@router.post(
    "/requests/{request_id}/comments",
    response={201: RequestEventOut, **WRITE_ERRORS},
    summary="Add a comment to the request's timeline",
)
def add_comment(request, request_id: int, payload: RequestCommentIn):
    obj = _get_request(request, request_id, CHANGE)
    event = services.comment(obj, payload.note, request.user)
    return Status(201, event)


@router.get(
    "/requests/{request_id}/events",
    response={200: list[RequestEventOut], **ERRORS},
    summary="The request's timeline, oldest first",
)
def list_events(request, request_id: int):
    obj = _get_request(request, request_id)
    return restricted(request, RequestEvent, VIEW).filter(request=obj).select_related("actor").order_by("at", "pk")


@router.post(
    "/requests/{request_id}/escalations",
    response={201: RequestEscalationOut, **WRITE_ERRORS},
    summary="Escalate the request one level up its account's path, with a reason (the level is notified)",
)
def escalate(request, request_id: int, payload: RequestEscalateIn):
    obj = _get_request(request, request_id, CHANGE)
    escalation = services.escalate(obj, request.user, payload.reason)
    return Status(201, escalation)


@router.get(
    "/requests/{request_id}/escalations",
    response={200: list[RequestEscalationOut], **ERRORS},
    summary="The request's escalations, oldest first",
)
def list_escalations(request, request_id: int):
    obj = _get_request(request, request_id)
    return obj.escalations.select_related("by").prefetch_related("notified").order_by("at", "pk")


# Compliance ----------------------------------------------------------------------------------------------------


class SlaComplianceRowOut(Schema):
    key: str
    label: str
    requests: int
    first_response_percent: Decimal | None = Field(description="First response within 24 h, % of the requests.")
    critical: int
    critical_resolution_percent: Decimal | None = Field(description="Critical ones resolved within 72 h, %.")
    met_clock_percent: Decimal | None = Field(description="Requests with a clock that met it (business hours), %.")
    median_response_hours: Decimal | None
    p90_response_hours: Decimal | None
    median_resolution_hours: Decimal | None
    p90_resolution_hours: Decimal | None


class SlaComplianceOut(Schema):
    period: str
    start: dt.datetime
    end: dt.datetime = Field(description="Exclusive.")
    group_by: str
    total: SlaComplianceRowOut
    rows: list[SlaComplianceRowOut]


class SlaComplianceQuery(Schema):
    period: str | None = Field(None, max_length=20, description="2025, 2026-Q3 or 2026-11; blank: the last full year.")
    group_by: Literal["account", "kam", "segment", "month"] = "account"


def _row(row) -> dict:
    return {name: getattr(row, name) for name in SlaComplianceRowOut.model_fields}


@router.get(
    "/sla/compliance",
    response={200: SlaComplianceOut, **ERRORS},
    summary="SLA compliance and time to first response and resolution (median, p90) of the requests opened in a "
    "period, per account, key account manager, segment or month",
)
def compliance(request, params: Query[SlaComplianceQuery]):
    from kam.servicelevels import analysis

    requests = restricted(request, ClientRequest, VIEW)
    try:
        start, end, label = analysis.period_bounds(params.period)
    except ValueError as error:
        raise ValidationError({"period": str(error)}) from None
    total, rows = analysis.compliance(requests, params.group_by, start, end)
    return {
        "period": label,
        "start": start,
        "end": end,
        "group_by": params.group_by,
        "total": _row(total),
        "rows": [_row(row) for row in rows],
    }


# Policies and the default escalation path ----------------------------------------------------------------------


class SlaPolicyOut(Schema):
    id: int
    key: str
    responsibility: str
    kind: str = Field(description="response, resolution or cadence.")
    priorities: list[str] = Field(description="Request policies: the priorities it applies to; empty: all.")
    target: int
    unit: str
    clock: str
    at_risk_percent: int
    due_soon_days: int
    active: bool
    position: int
    version: int

    @staticmethod
    def resolve_priorities(obj):
        return sorted(obj.priority_set)


class SlaPolicyPatch(InputSchema):
    responsibility: str | None = Field(None, min_length=1, max_length=120)
    priorities: list[PriorityLiteral] | None = Field(None, description="Empty: every request.")
    target: int | None = Field(None, ge=1, le=10_000)
    unit: UnitLiteral | None = None
    clock: ClockLiteral | None = None
    at_risk_percent: int | None = Field(None, ge=1, le=99)
    due_soon_days: int | None = Field(None, ge=0, le=366)
    active: bool | None = None
    position: int | None = Field(None, ge=0, le=32767)
    version: int | None = Field(None, description="The version you read; or send If-Match.")


@router.get("/sla/policies", response={200: list[SlaPolicyOut], **ERRORS}, summary="The programme's SLA policies")
def list_policies(request):
    return restricted(request, SlaPolicy, VIEW)


@router.patch(
    "/sla/policies/{policy_id}",
    response={200: SlaPolicyOut, **WRITE_ERRORS},
    summary="Change a policy (programme lead, administrator; If-Match or version required). Open requests keep "
    "their clocks",
)
def update_policy(request, policy_id: int, payload: SlaPolicyPatch, response: HttpResponse):
    policy = get_restricted(request, SlaPolicy, CHANGE, policy_id)
    data = payload.dict(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    refuse_nulls(data, *(name for name in SlaPolicyPatch.model_fields if name != "version"))
    if "priorities" in data:
        data["priorities"] = ",".join(dict.fromkeys(data["priorities"]))
    policy = services.save_policy(policy, data, expected_version=version)
    response["ETag"] = etag(policy)
    return policy


class SlaLevelIn(InputSchema):
    team_role: str = Field("", max_length=32, description="A team role of the catalogue, e.g. team_leader …")
    user_id: int | None = Field(None, description="… or a named person.")


class SlaPathIn(InputSchema):
    levels: list[SlaLevelIn] = Field(max_length=9, description="Level 1 first; the list replaces the path.")


class SlaLevelOut(Schema):
    level: int
    team_role: str
    user: RequestUserRef | None
    people: list[RequestUserRef] = Field(description="Who is at this level today (the account's path only).")


class SlaPathOut(Schema):
    account_id: int | None
    is_default: bool = Field(description="The programme's default path (the account has none of its own).")
    levels: list[SlaLevelOut]


def _path_out(account) -> dict:
    levels = (
        services.escalation_path(account)
        if account is not None
        else list(EscalationLevel.objects.filter(account__isnull=True).select_related("user").order_by("level"))
    )
    return {
        "account_id": account.pk if account is not None else None,
        "is_default": not any(level.account_id for level in levels),
        "levels": [
            {
                "level": level.level,
                "team_role": level.team_role,
                "user": _user(level.user),
                "people": [_user(p) for p in services.people_at(level, account)] if account is not None else [],
            }
            for level in levels
        ],
    }


def _steps(payload: SlaPathIn) -> list[dict]:
    return [
        {"team_role": level.team_role, "user": _body_user(level.user_id, f"levels.{number}.user_id")}
        for number, level in enumerate(payload.levels)
    ]


@router.get(
    "/sla/escalation-path",
    response={200: SlaPathOut, **ERRORS},
    summary="The programme's default escalation path (accounts without their own use it)",
)
def get_default_path(request):
    restricted(request, EscalationLevel, VIEW)
    return _path_out(None)


@router.put(
    "/sla/escalation-path",
    response={200: SlaPathOut, **WRITE_ERRORS},
    summary="Replace the programme's default escalation path (programme lead, administrator)",
)
def set_default_path(request, payload: SlaPathIn):
    _global_rules(request, EscalationLevel, CHANGE)
    services.set_escalation_path(None, _steps(payload))
    return _path_out(None)


# Calendars -----------------------------------------------------------------------------------------------------


class SlaHolidayOut(Schema):
    id: int
    date: dt.date
    name: str


# Working hours are local wall-clock times of the calendar's zone, written HH:MM. (OpenAPI's "time" format is RFC 3339's
# full-time, which carries a UTC offset: a working day starting "09:00+01:00" would be wrong half the year.)
WallClock = Annotated[
    str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="Local wall-clock time, HH:MM (24 h).")
]


def _wall_clock(value: str | None) -> dt.time | None:
    return None if value is None else dt.time(int(value[:2]), int(value[3:5]))


class SlaCalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    weekdays: list[int] = Field(description="Working days: 0 = Monday … 6 = Sunday.")
    day_start: WallClock
    day_end: WallClock
    regions: list[str]
    is_default: bool
    holidays: list[SlaHolidayOut]
    version: int

    @staticmethod
    def resolve_weekdays(obj):
        return sorted(obj.weekday_set)

    @staticmethod
    def resolve_day_start(obj):
        return f"{obj.day_start:%H:%M}"

    @staticmethod
    def resolve_day_end(obj):
        return f"{obj.day_end:%H:%M}"

    @staticmethod
    def resolve_regions(obj):
        return [r.strip() for r in obj.regions.split(",") if r.strip()]

    @staticmethod
    def resolve_holidays(obj):
        return list(obj.holidays.all())


class SlaCalendarIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    time_zone: str = Field(max_length=64, description="IANA name, e.g. Australia/Sydney.")
    weekdays: list[int] = Field([0, 1, 2, 3, 4], max_length=7, description="0 = Monday … 6 = Sunday.")
    day_start: WallClock = "09:00"
    day_end: WallClock = "17:00"
    regions: list[str] = Field([], max_length=20, description="Account regions that use this calendar.")
    is_default: bool = Field(False, description="Becomes the programme default (the previous one stops being it).")


class SlaCalendarPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    time_zone: str | None = Field(None, max_length=64)
    weekdays: list[int] | None = Field(None, max_length=7)
    day_start: WallClock | None = None
    day_end: WallClock | None = None
    regions: list[str] | None = Field(None, max_length=20)
    is_default: bool | None = None
    version: int | None = Field(None, description="The version you read; or send If-Match.")


class SlaHolidayIn(InputSchema):
    date: dt.date
    name: str = Field(min_length=1, max_length=100)


def _calendar_data(data: dict) -> dict:
    for name in ("day_start", "day_end"):
        if name in data:
            data[name] = _wall_clock(data[name])
    if "regions" in data and data["regions"] is not None:
        data["regions"] = ", ".join(region.strip() for region in data["regions"] if region.strip())
    return data


def _calendars(request, action=VIEW):
    return restricted(request, BusinessCalendar, action).prefetch_related("holidays")


@router.get("/sla/calendars", response={200: list[SlaCalendarOut], **ERRORS}, summary="The working calendars")
def list_calendars(request):
    return _calendars(request)


@router.post(
    "/sla/calendars",
    response={201: SlaCalendarOut, **WRITE_ERRORS},
    summary="Add a working calendar (programme lead, administrator)",
)
def create_calendar(request, payload: SlaCalendarIn):
    restricted(request, BusinessCalendar, ADD)
    calendar = services.save_calendar(BusinessCalendar(), _calendar_data(payload.dict()))
    return Status(201, _calendars(request).get(pk=calendar.pk))


@router.get("/sla/calendars/{calendar_id}", response={200: SlaCalendarOut, **ERRORS}, summary="One calendar")
def get_calendar(request, calendar_id: int, response: HttpResponse):
    calendar = _calendars(request).filter(pk=calendar_id).first()
    if calendar is None:
        raise Http404
    response["ETag"] = etag(calendar)
    return calendar


@router.patch(
    "/sla/calendars/{calendar_id}",
    response={200: SlaCalendarOut, **WRITE_ERRORS},
    summary="Change a calendar (programme lead, administrator; If-Match or version required). Open requests keep "
    "their due times until they resume",
)
def update_calendar(request, calendar_id: int, payload: SlaCalendarPatch, response: HttpResponse):
    calendar = get_restricted(request, BusinessCalendar, CHANGE, calendar_id)
    data = payload.dict(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    refuse_nulls(data, *(name for name in SlaCalendarPatch.model_fields if name != "version"))
    calendar = services.save_calendar(calendar, _calendar_data(data), expected_version=version)
    calendar = _calendars(request).get(pk=calendar.pk)
    response["ETag"] = etag(calendar)
    return calendar


@router.post(
    "/sla/calendars/{calendar_id}/holidays",
    response={201: SlaHolidayOut, **WRITE_ERRORS},
    summary="Add a holiday: no clock counts on it (programme lead, administrator)",
)
def add_holiday(request, calendar_id: int, payload: SlaHolidayIn):
    restricted(request, Holiday, ADD)
    calendar = get_restricted(request, BusinessCalendar, VIEW, calendar_id)
    return Status(201, services.add_holiday(calendar, payload.date, payload.name))


@router.delete(
    "/sla/calendars/{calendar_id}/holidays/{holiday_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a holiday (programme lead, administrator)",
)
def delete_holiday(request, calendar_id: int, holiday_id: int):
    # The calendar by primary key first: a foreign-key lookup with an absurd id would overflow SQLite's integer.
    calendar = get_restricted(request, BusinessCalendar, VIEW, calendar_id)
    holiday = restricted(request, Holiday, DELETE).filter(pk=holiday_id, calendar=calendar).first()
    if holiday is None:
        raise Http404
    services.delete_holiday(holiday)
    return Status(204, None)


# One account's service levels ----------------------------------------------------------------------------------


class SlaEffectivePolicyOut(Schema):
    key: str
    responsibility: str
    kind: str
    target: int
    unit: str
    clock: str
    overridden: bool = Field(description="The account's charter sets its own value.")
    commitment: str = Field(description="As the charter's SLA table words it.")


class SlaCommitmentOut(Schema):
    responsibility: str
    commitment: str


class SlaAccountCalendarOut(Schema):
    calendar: SlaCalendarOut | None
    source: Literal["account", "region", "default", "none"] = Field(
        description="The account's own choice, its region's calendar, the programme default, or none (24×7)."
    )


class SlaAccountOut(Schema):
    account: RequestAccountRef
    calendar: SlaAccountCalendarOut
    policies: list[SlaEffectivePolicyOut]
    escalation_path: SlaPathOut
    commitments: list[SlaCommitmentOut]


class SlaOverrideIn(InputSchema):
    target: int = Field(ge=1, le=10_000)
    unit: UnitLiteral = Field(description="hours or days for request clocks; months for recurring commitments.")
    clock: ClockLiteral = "business"


class SlaAccountCalendarIn(InputSchema):
    calendar_id: int | None = Field(description="null: follow the account's region, else the programme default.")


def _account_calendar(account) -> dict:
    own = AccountServiceSettings.objects.filter(account=account).values_list("calendar_id", flat=True).first()
    calendar = services.calendar_for(account)
    if calendar is None:
        source = "none"
    elif own:
        source = "account"
    elif calendar.is_default:
        source = "default"
    else:
        source = "region"
    return {
        "calendar": BusinessCalendar.objects.prefetch_related("holidays").get(pk=calendar.pk) if calendar else None,
        "source": source,
    }


def _effective_out(effective, calendar) -> dict:
    return {
        "key": effective.policy.key,
        "responsibility": effective.policy.responsibility,
        "kind": effective.policy.kind,
        "target": effective.target,
        "unit": effective.unit,
        "clock": effective.clock,
        "overridden": effective.overridden,
        "commitment": effective.describe(calendar),
    }


def _service_levels(account) -> dict:
    calendar = services.calendar_for(account)
    return {
        "account": _account(account),
        "calendar": _account_calendar(account),
        "policies": [_effective_out(e, calendar) for e in services.effective_policies(account)],
        "escalation_path": _path_out(account),
        "commitments": [{"responsibility": r, "commitment": c} for r, c in services.commitment_table(account)],
    }


def _account_for_change(request, account_id: int, *models) -> Account:
    for model in models:
        restricted(request, model, CHANGE)
    return get_restricted(request, Account, VIEW, account_id)


def _policy(key: str) -> SlaPolicy:
    policy = SlaPolicy.objects.filter(key=key).first()
    if policy is None:
        raise Http404
    return policy


@router.get(
    "/accounts/{account_id}/service-levels",
    response={200: SlaAccountOut, **ERRORS},
    summary="What the account is promised: its calendar, the effective commitments (own or the programme's), its "
    "escalation path, and the commitments as the charter lists them",
)
def account_service_levels(request, account_id: int):
    restricted(request, AccountServiceSettings, VIEW)
    account = get_restricted(request, Account, VIEW, account_id)
    return _service_levels(account)


@router.put(
    "/accounts/{account_id}/service-levels/overrides/{policy_key}",
    response={200: SlaEffectivePolicyOut, **WRITE_ERRORS},
    summary="Set the account's own value for one commitment (from its charter)",
)
def set_override(request, account_id: int, policy_key: str, payload: SlaOverrideIn):
    account = _account_for_change(request, account_id, PolicyOverride)
    policy = _policy(policy_key)
    services.set_override(account, policy, payload.target, payload.unit, payload.clock)
    effective = next(e for e in services.effective_policies(account) if e.policy.pk == policy.pk)
    return _effective_out(effective, services.calendar_for(account))


@router.delete(
    "/accounts/{account_id}/service-levels/overrides/{policy_key}",
    response={204: None, **WRITE_ERRORS},
    summary="The account follows the programme's value for this commitment again",
)
def clear_override(request, account_id: int, policy_key: str):
    restricted(request, PolicyOverride, DELETE)
    account = get_restricted(request, Account, VIEW, account_id)
    services.clear_override(account, _policy(policy_key))
    return Status(204, None)


@router.put(
    "/accounts/{account_id}/service-levels/escalation-path",
    response={200: SlaPathOut, **WRITE_ERRORS},
    summary="Replace the account's own escalation path; an empty list returns it to the programme's default",
)
def set_account_path(request, account_id: int, payload: SlaPathIn):
    account = _account_for_change(request, account_id, EscalationLevel)
    services.set_escalation_path(account, _steps(payload))
    return _path_out(account)


@router.put(
    "/accounts/{account_id}/service-levels/calendar",
    response={200: SlaAccountCalendarOut, **WRITE_ERRORS},
    summary="Choose the account's working calendar (null: its region's, else the programme default); new requests "
    "count it",
)
def set_account_calendar(request, account_id: int, payload: SlaAccountCalendarIn):
    account = _account_for_change(request, account_id, AccountServiceSettings)
    calendar = None
    if payload.calendar_id is not None:
        calendar = restricted(request, BusinessCalendar, VIEW).filter(pk=payload.calendar_id).first()
        if calendar is None:
            raise ValidationError({"calendar_id": f"No calendar with id {payload.calendar_id}."})
    services.set_account_calendar(account, calendar)
    return _account_calendar(account)


# Obligations ---------------------------------------------------------------------------------------------------


class SlaObligationOut(Schema):
    id: int
    account: RequestAccountRef
    policy_key: str
    commitment: str
    period_start: dt.date
    period_label: str
    due_date: dt.date
    status: str
    flag: str = Field(description="overdue, due soon, open or done (today).")
    done_on: dt.date | None
    done_by: RequestUserRef | None
    evidence: str
    version: int

    @staticmethod
    def resolve_account(obj):
        return _account(obj.account)

    @staticmethod
    def resolve_policy_key(obj):
        return obj.policy.key

    @staticmethod
    def resolve_commitment(obj):
        return obj.policy.responsibility

    @staticmethod
    def resolve_flag(obj):
        return obj.flag(timezone.localdate())

    @staticmethod
    def resolve_done_by(obj):
        return _user(obj.done_by)


class SlaObligationFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Search account, commitment, period")
    account: int | None = Field(None, ge=1, le=BIG_ID)
    policy: str | None = Field(None, max_length=40, description="A cadence policy's key, e.g. quarterly_review")
    status: Literal["open", "done"] | None = None
    flag: FlagLiteral | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None


class SlaObligationDoneIn(InputSchema):
    evidence: str = Field(min_length=1, max_length=20000, description="What shows it was done.")
    done_on: dt.date | None = Field(None, description="Default: today; not in the future.")
    version: int | None = Field(None, description="The version you read (or If-Match): checked when sent.")


def _obligations(request, action=VIEW):
    return restricted(request, Obligation, action).select_related("account", "policy", "done_by")


@router.get(
    "/obligations",
    response={200: list[SlaObligationOut], **ERRORS},
    summary="Dated obligations of the key accounts you see (reviews, KPI updates, plan updates), by due date",
)
@paginate(Pagination)
def list_obligations(request, filters: Query[SlaObligationFilters]):
    return filtered(request, ObligationFilterSet, _obligations(request), filters).order_by("due_date", "pk")


def _obligation(request, obligation_id: int) -> Obligation:
    obligation = _obligations(request, CHANGE).filter(pk=obligation_id).first()
    if obligation is None:
        raise Http404
    return obligation


@router.post(
    "/obligations/{obligation_id}/done",
    response={200: SlaObligationOut, **WRITE_ERRORS},
    summary="Mark an obligation done, with the evidence",
)
def complete_obligation(request, obligation_id: int, payload: SlaObligationDoneIn, response: HttpResponse):
    obligation = _obligation(request, obligation_id)
    version = optional_version(request, payload.version)
    obligation = services.complete_obligation(
        obligation, request.user, payload.evidence, payload.done_on, expected_version=version
    )
    obligation = _obligations(request).get(pk=obligation.pk)
    response["ETag"] = etag(obligation)
    return obligation


@router.post(
    "/obligations/{obligation_id}/reopen",
    response={200: SlaObligationOut, **WRITE_ERRORS},
    summary="Open a done obligation again (its evidence is kept in the audit trail)",
)
def reopen_obligation(request, obligation_id: int, response: HttpResponse):
    obligation = services.reopen_obligation(_obligation(request, obligation_id))
    obligation = _obligations(request).get(pk=obligation.pk)
    response["ETag"] = etag(obligation)
    return obligation


__all__ = ["router"]
