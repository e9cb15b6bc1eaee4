"""Every write of service levels and client requests: policies and overrides, calendars, obligations, the request
workflow with its SLA clocks, escalations and the scheduler's sweep. Pages and the API call these; each raises a
ValidationError (keyed by field where there is one) for bad input, and every save is audited (KamModel)."""

import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kam.accounts.models import Account, AccountTeamMember
from kam.core.roles import Role
from kam.core.services import lock_for_update
from kam.servicelevels.calendar import WorkingCalendar
from kam.servicelevels.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    AccountServiceSettings,
    BusinessCalendar,
    ClientRequest,
    ClockMode,
    ClockState,
    Escalation,
    EscalationLevel,
    EscalationTrigger,
    EventKind,
    Holiday,
    Obligation,
    ObligationStatus,
    PolicyKind,
    PolicyOverride,
    Priority,
    RequestEvent,
    RequestKind,
    RequestStatus,
    SlaPolicy,
    SlaState,
    TargetUnit,
)

FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # clocks of different machines disagree a little


# Policies ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectivePolicy:
    """A policy as it applies to one account: the programme's target unless the account's charter overrides it."""

    policy: SlaPolicy
    target: int
    unit: str
    clock: str
    overridden: bool

    @property
    def key(self):
        return self.policy.key

    def budget_seconds(self, calendar: WorkingCalendar) -> int:
        """The clock's budget in seconds of counting time: business days are the calendar's working days."""
        if self.unit == TargetUnit.HOURS:
            return self.target * 3600
        if self.unit == TargetUnit.DAYS:
            per_day = 86_400 if self.clock == ClockMode.AROUND_THE_CLOCK else calendar.working_day_seconds
            return self.target * per_day
        raise ValidationError(f"{self.policy}: a request clock counts hours or days, not {self.unit}.")

    def describe(self, calendar: BusinessCalendar | None = None) -> str:
        if self.policy.kind == PolicyKind.CADENCE:
            return {1: "Every month", 3: "Every quarter", 6: "Every half-year", 12: "Every year"}.get(
                self.target, f"Every {self.target} months"
            )
        business = self.clock == ClockMode.BUSINESS
        amount = f"{self.target} {'working ' if business and self.unit == TargetUnit.DAYS else ''}" + (
            ("day" if self.target == 1 else "days")
            if self.unit == TargetUnit.DAYS
            else ("hour" if self.target == 1 else "hours")
        )
        if business and self.unit == TargetUnit.HOURS:
            amount += " of business time"
        what = "First response" if self.policy.kind == PolicyKind.RESPONSE else "Resolved"
        scope = ""
        if self.policy.priority_set:
            scope = " (" + ", ".join(sorted(self.policy.priority_set)) + " requests)"
        where = ""
        if business and calendar is not None:
            where = f"; {calendar.hours_label}"
        elif not business:
            where = "; around the clock"
        return f"{what} within {amount}{scope}{where}"


def effective_policies(account: Account, kinds=None) -> list[EffectivePolicy]:
    overrides = {o.policy_id: o for o in PolicyOverride.objects.filter(account=account)}
    policies = SlaPolicy.objects.filter(active=True)
    if kinds:
        policies = policies.filter(kind__in=kinds)
    result = []
    for policy in policies:
        override = overrides.get(policy.pk)
        source = override or policy
        result.append(EffectivePolicy(policy, source.target, source.unit, source.clock, override is not None))
    return result


def request_policy(account: Account, kind: str, priority: str, policies=None) -> EffectivePolicy | None:
    """The first active policy of `kind` (response / resolution) that applies to the priority."""
    for effective in policies if policies is not None else effective_policies(account, kinds=[kind]):
        if effective.policy.kind == kind and effective.policy.applies_to(priority):
            return effective
    return None


def calendar_for(account: Account) -> BusinessCalendar | None:
    """The account's own calendar, else the one naming its region, else the programme default."""
    own = AccountServiceSettings.objects.filter(account=account).select_related("calendar").first()
    if own is not None and own.calendar is not None:
        return own.calendar
    calendars = list(BusinessCalendar.objects.all())
    region = (account.region or "").strip().casefold()
    if region:
        for calendar in calendars:
            if region in {r.strip().casefold() for r in calendar.regions.split(",")}:
                return calendar
    return next((c for c in calendars if c.is_default), None)


def commitment_table(account: Account) -> list[tuple[str, str]]:
    """The account's commitments as the charter's SLA section lists them: (responsibility, commitment)."""
    calendar = calendar_for(account)
    return [(e.policy.responsibility, e.describe(calendar)) for e in effective_policies(account)]


def set_override(account: Account, policy: SlaPolicy, target: int, unit: str, clock: str) -> PolicyOverride:
    _check_target(policy, target, unit, clock)
    override = PolicyOverride.objects.filter(account=account, policy=policy).first() or PolicyOverride(
        account=account, policy=policy
    )
    override.target, override.unit, override.clock = target, unit, clock
    override.save()
    return override


def clear_override(account: Account, policy: SlaPolicy) -> None:
    for override in PolicyOverride.objects.filter(account=account, policy=policy):
        override.delete()


def set_account_calendar(account: Account, calendar: BusinessCalendar | None) -> AccountServiceSettings:
    row = AccountServiceSettings.objects.filter(account=account).first() or AccountServiceSettings(account=account)
    row.calendar = calendar
    row.save()
    return row


def save_policy(policy: SlaPolicy, data: dict, expected_version: int | None = None) -> SlaPolicy:
    with transaction.atomic():
        if policy.pk:
            policy = lock_for_update(policy, expected_version)
        for name, value in data.items():
            setattr(policy, name, value)
        _check_target(policy, policy.target, policy.unit, policy.clock)
        policy.full_clean()
        policy.save()
    return policy


def _check_target(policy: SlaPolicy, target, unit, clock):
    errors = {}
    if target is None or not 1 <= int(target) <= 10_000:
        errors["target"] = "Give a target between 1 and 10,000."
    if policy.kind == PolicyKind.CADENCE and unit != TargetUnit.MONTHS:
        errors["unit"] = "A recurring commitment repeats every so many months: use months."
    if policy.kind != PolicyKind.CADENCE and unit == TargetUnit.MONTHS:
        errors["unit"] = "A request clock counts hours or days."
    if clock not in ClockMode.values:
        errors["clock"] = "Choose business hours or around the clock."
    if policy.priorities:
        unknown = policy.priority_set - set(Priority.values)
        if unknown:
            errors["priorities"] = (
                f"Unknown priorit{'y' if len(unknown) == 1 else 'ies'}: {', '.join(sorted(unknown))}."
            )
    if errors:
        raise ValidationError(errors)


# Calendars ------------------------------------------------------------------------------------------------------

CALENDAR_FIELDS = ("name", "time_zone", "weekdays", "day_start", "day_end", "regions", "is_default")


def _weekdays_text(value) -> str | None:
    """ "0,1,2,3,4" from a comma-separated text or an iterable of day numbers; None when it is not 0–6 days."""
    parts = value.split(",") if isinstance(value, str) else list(value or ())
    days = set()
    for part in parts:
        text = str(part).strip()
        if not text:
            continue
        if not text.isdigit() or not 0 <= int(text) <= 6:
            return None
        days.add(int(text))
    return ",".join(str(day) for day in sorted(days)) if days else None


def save_calendar(calendar: BusinessCalendar, data: dict, expected_version: int | None = None) -> BusinessCalendar:
    """Create (no pk) or change a working calendar. A known time zone, working days 0–6, a day that ends after it
    starts and a unique name are checked; making a calendar the programme default takes the flag from the previous
    one (there is at most one), and the default is not simply switched off: another calendar takes over instead."""
    from kam.servicelevels.models import known_time_zones

    unknown = set(data) - set(CALENDAR_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    with transaction.atomic():
        was_default = False
        if calendar.pk:
            calendar = lock_for_update(calendar, expected_version)
            was_default = calendar.is_default
        for name, value in data.items():
            setattr(calendar, name, value.strip() if isinstance(value, str) else value)
        errors = {}
        if not calendar.name:
            errors["name"] = "Name the calendar, e.g. Europe (Berlin)."
        elif BusinessCalendar.objects.filter(name__iexact=calendar.name).exclude(pk=calendar.pk).exists():
            errors["name"] = f"A calendar named “{calendar.name}” exists already."
        if calendar.time_zone not in known_time_zones():
            errors["time_zone"] = (
                f"“{calendar.time_zone}” is not a known time zone; use an IANA name such as Europe/Berlin."
            )
        weekdays = _weekdays_text(calendar.weekdays)
        if weekdays is None:
            errors["weekdays"] = "Choose at least one working day (0 = Monday … 6 = Sunday)."
        else:
            calendar.weekdays = weekdays
        if not isinstance(calendar.day_start, dt.time) or not isinstance(calendar.day_end, dt.time):
            errors["day_end"] = "Give the times the working day starts and ends."
        elif calendar.day_end <= calendar.day_start:
            errors["day_end"] = (
                f"The working day must end after it starts ({calendar.day_start:%H:%M}); overnight shifts are not "
                "supported."
            )
        calendar.regions = ", ".join(r.strip() for r in (calendar.regions or "").split(",") if r.strip())
        if was_default and not calendar.is_default:
            errors["is_default"] = (
                "Accounts without a calendar of their own or of their region use the programme default: make another "
                "calendar the default instead."
            )
        if errors:
            raise ValidationError(errors)
        if calendar.is_default:
            for other in BusinessCalendar.objects.select_for_update().filter(is_default=True).exclude(pk=calendar.pk):
                other.is_default = False
                other.save()
        calendar.full_clean()
        calendar.save()
    return calendar


def add_holiday(calendar: BusinessCalendar, date: dt.date, name: str) -> Holiday:
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Name the holiday, e.g. Christmas Day."
    if not isinstance(date, dt.date):
        errors["date"] = "Give the holiday's date."
    else:
        existing = Holiday.objects.filter(calendar=calendar, date=date).first()
        if existing is not None:
            errors["date"] = f"{date:%Y-%m-%d} is a holiday in this calendar already ({existing.name})."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Holiday.objects.create(calendar=calendar, date=date, name=name.strip()[:100])
    except IntegrityError:  # added concurrently
        raise ValidationError({"date": f"{date:%Y-%m-%d} is a holiday in this calendar already."}) from None


def delete_holiday(holiday: Holiday) -> None:
    holiday.delete()


# Client requests: opening and the clocks ------------------------------------------------------------------------


def _now():
    return timezone.now()


def default_assignee(account: Account):
    """The account's key account manager (a subsidiary's: its group's), else the account's owner."""
    from kam.teams.services import managers_by_account

    return managers_by_account([account]).get(account.pk) or account.owner


def _may_work_on(user, account: Account) -> bool:
    if user.role in (Role.ADMIN, Role.PROGRAMME_LEAD):
        return True
    return Account.objects.filter(Account.scope_filter(user), pk=account.pk).exists()


def open_request(
    account: Account,
    *,
    subject: str,
    by=None,
    kind: str = RequestKind.INQUIRY,
    priority: str = Priority.NORMAL,
    channel: str = "email",
    description: str = "",
    requester: str = "",
    assignee=None,
    opened_at: dt.datetime | None = None,
    external_id: str = "",
    escalate: bool = True,
    now: dt.datetime | None = None,
) -> ClientRequest:
    now = now or _now()
    opened_at = opened_at or now
    errors = {}
    if not (subject or "").strip():
        errors["subject"] = "Say in a few words what the client asked."
    if kind not in RequestKind.values:
        errors["kind"] = f"Choose one of: {', '.join(RequestKind.values)}."
    if priority not in Priority.values:
        errors["priority"] = f"Choose one of: {', '.join(Priority.values)}."
    if kind == RequestKind.CRITICAL_ISSUE:
        priority = Priority.CRITICAL  # a critical issue is critical by definition: its resolution clock applies
    if opened_at.tzinfo is None:
        errors["opened_at"] = "Give the time with its time zone (e.g. 2026-11-27T17:55:00+11:00)."
    elif opened_at > now + FUTURE_TOLERANCE:
        errors["opened_at"] = "A request cannot have been opened in the future."
    if assignee is not None and (not assignee.is_active or not _may_work_on(assignee, account)):
        errors["assignee"] = f"{assignee} is not on this account's team, so cannot work on its requests."
    if external_id and ClientRequest.objects.filter(external_id=external_id).exists():
        errors["external_id"] = f"A request with the id {external_id} exists already."
    if errors:
        raise ValidationError(errors)
    calendar = calendar_for(account)
    request = ClientRequest(
        account=account,
        subject=subject.strip(),
        kind=kind,
        priority=priority,
        channel=channel,
        description=description,
        requester=requester,
        assignee=assignee or default_assignee(account),
        opened_at=opened_at,
        external_id=external_id,
        calendar=calendar,
    )
    _plan_clocks(request)
    _summarise(request)
    with transaction.atomic():
        request.save()
        _event(request, EventKind.OPENED, by, opened_at, to_status=request.status, note=f"Opened via {channel}.")
        # A request entered after the fact may be at risk or late already; escalations need the saved row.
        _advance(request, now, escalate=escalate)
    return request


def _plan_clocks(request: ClientRequest):
    """Budgets and due instants from the account's effective policies, counted from the opening."""
    policies = effective_policies(request.account, kinds=[PolicyKind.RESPONSE, PolicyKind.RESOLUTION])
    response = request_policy(request.account, PolicyKind.RESPONSE, request.priority, policies)
    if response is not None:
        calendar = request.clock_calendar(response.clock)
        request.response_clock = response.clock
        request.response_budget = response.budget_seconds(calendar)
        request.response_due_at, request.response_at_risk_at = _due(
            calendar, request.opened_at, request.response_budget, request.response_budget, response.policy
        )
        request.response_state = ClockState.RUNNING
    resolution = request_policy(request.account, PolicyKind.RESOLUTION, request.priority, policies)
    if resolution is not None:
        _start_resolution_clock(request, resolution)


def _start_resolution_clock(request, resolution: EffectivePolicy):
    calendar = request.clock_calendar(resolution.clock)
    request.resolution_clock = resolution.clock
    request.resolution_budget = resolution.budget_seconds(calendar)
    request.resolution_due_at, request.resolution_at_risk_at = _due(
        calendar, request.opened_at, request.resolution_budget, request.resolution_budget, resolution.policy
    )
    request.resolution_remaining = None
    request.resolution_state = ClockState.RUNNING


def _risk_percent(request, clock_name: str) -> int:
    policy = request_policy(
        request.account, PolicyKind.RESPONSE if clock_name == "response" else PolicyKind.RESOLUTION, request.priority
    )
    return policy.policy.at_risk_percent if policy else 75


def _due(calendar: WorkingCalendar, start, remaining: int, budget: int, policy: SlaPolicy, risk_percent=None):
    """Due and at-risk instants of a clock that (re)starts at `start` with `remaining` of its `budget` left. At risk
    once `risk_percent` of the whole budget is used, i.e. when what remains falls to the rest."""
    percent = risk_percent if risk_percent is not None else policy.at_risk_percent
    reserve = budget - budget * percent // 100  # seconds left when the clock turns at risk
    due = calendar.add_working_seconds(start, remaining)
    at_risk = calendar.add_working_seconds(start, remaining - reserve) if remaining > reserve else start
    return due, at_risk


def _clock_state(due, at_risk, now) -> str:
    if now >= due:
        return ClockState.BREACHED
    if now >= at_risk:
        return ClockState.AT_RISK
    return ClockState.RUNNING


RUNNING_STATES = (ClockState.RUNNING, ClockState.AT_RISK, ClockState.BREACHED)
AUTO_LEVEL = {EscalationTrigger.AT_RISK: 1, EscalationTrigger.BREACH: 2}


def _advance(request: ClientRequest, now, escalate=True, save=True) -> list[Escalation]:
    """Bring the running clocks' states to `now`, escalate each clock that newly turned at risk or breached, and
    set when the sweep must look again. Returns the escalations made."""
    crossed = []
    for name in ("response", "resolution"):
        state = getattr(request, f"{name}_state")
        due = getattr(request, f"{name}_due_at")
        if state not in RUNNING_STATES or due is None:
            continue
        new_state = _clock_state(due, getattr(request, f"{name}_at_risk_at"), now)
        order = RUNNING_STATES.index
        if order(new_state) > order(state):
            setattr(request, f"{name}_state", new_state)
            crossed.append(
                (name, EscalationTrigger.BREACH if new_state == ClockState.BREACHED else EscalationTrigger.AT_RISK)
            )
    _summarise(request)
    made = []
    if escalate and request.pk and request.is_open:
        for name, trigger in crossed:
            # The escalation level is saved with the clocks below (one UPDATE, one audit record), unless not saving.
            escalation = _escalate_automatically(request, name, trigger, now, persist_level=not save)
            if escalation is not None:
                made.append(escalation)
    if save:
        request.save()
    return made


def _summarise(request: ClientRequest):
    states = {request.response_state, request.resolution_state}
    if states & {ClockState.BREACHED, ClockState.MISSED}:
        request.sla_state = SlaState.BREACHED
    elif ClockState.AT_RISK in states:
        request.sla_state = SlaState.AT_RISK
    elif states == {ClockState.NONE}:
        request.sla_state = SlaState.NONE
    elif states <= {ClockState.MET, ClockState.NONE}:
        request.sla_state = SlaState.MET  # every clock stopped in time
    else:
        request.sla_state = SlaState.ON_TRACK
    upcoming = []
    for name in ("response", "resolution"):
        state = getattr(request, f"{name}_state")
        if state == ClockState.RUNNING:
            upcoming.append(getattr(request, f"{name}_at_risk_at"))
        elif state == ClockState.AT_RISK:
            upcoming.append(getattr(request, f"{name}_due_at"))
    request.next_check_at = min(upcoming) if upcoming and request.is_open else None


def _event(request, kind, actor, at, from_status="", to_status="", note=""):
    return RequestEvent.objects.create(
        account_id=request.account_id,
        request=request,
        at=at,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


# The workflow ---------------------------------------------------------------------------------------------------


def allowed_next(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def change_status(
    request: ClientRequest,
    to_status: str,
    by=None,
    *,
    at: dt.datetime | None = None,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    escalate: bool = True,
) -> ClientRequest:
    now = now or _now()
    with transaction.atomic():
        request = lock_for_update(request, expected_version)
        at = at or now
        old = request.status
        errors = {}
        if to_status not in RequestStatus.values:
            errors["status"] = f"Unknown status “{to_status}”."
        elif to_status not in allowed_next(old):
            options = ", ".join(RequestStatus(s).label.lower() for s in allowed_next(old)) or "nothing"
            errors["status"] = (
                f"A request that is {RequestStatus(old).label.lower()} cannot become "
                f"{RequestStatus(to_status).label.lower()}; it can become: {options}."
            )
        if at.tzinfo is None:
            errors["at"] = "Give the time with its time zone."
        elif at < request.opened_at:
            errors["at"] = f"This is before the request was opened ({request.opened_at:%Y-%m-%d %H:%M} UTC)."
        elif at > now + FUTURE_TOLERANCE:
            errors["at"] = "This is in the future."
        else:
            last = (
                request.events.filter(kind__in=(EventKind.OPENED, EventKind.STATUS))
                .order_by("-at")
                .values_list("at", flat=True)
                .first()
            )
            if last and at < last:
                errors["at"] = f"This is before the request's last status change ({last:%Y-%m-%d %H:%M} UTC)."
        if to_status == RequestStatus.RESOLVED and not (note or "").strip():
            errors["note"] = "Say how it was resolved."
        if errors:
            raise ValidationError(errors)
        _apply_status(request, old, to_status, at)
        request.status = to_status
        _event(request, EventKind.STATUS, by, at, old, to_status, note)
        _advance(request, now, escalate=escalate)
    return request


def _apply_status(request: ClientRequest, old: str, new: str, at):
    if old == RequestStatus.NEW and request.first_response_at is None:
        # Leaving "new" is the first response: the client has heard from us (an acknowledgement, a question, a fix).
        request.first_response_at = at
        if request.response_state in RUNNING_STATES:
            request.response_state = ClockState.MET if at <= request.response_due_at else ClockState.MISSED
    if old == RequestStatus.WAITING_ON_CLIENT or (
        old in (RequestStatus.RESOLVED, RequestStatus.CLOSED) and new == RequestStatus.IN_PROGRESS
    ):
        _resume_resolution(request, at)
    if old in (RequestStatus.RESOLVED, RequestStatus.CLOSED) and new == RequestStatus.IN_PROGRESS:
        request.resolved_at = None
        request.closed_at = None
    if new == RequestStatus.WAITING_ON_CLIENT:
        _pause_resolution(request, at, final=False)
        request.paused_at = at
    if new == RequestStatus.RESOLVED:
        _pause_resolution(request, at, final=True)
        request.resolved_at = at
    if new == RequestStatus.CLOSED:
        request.closed_at = at


def _pause_resolution(request, at, final: bool):
    """Stop the resolution clock at `at`, keeping the working seconds it had left (for a resume or a reopening)."""
    if request.resolution_state not in RUNNING_STATES and request.resolution_state != ClockState.PAUSED:
        return
    if request.resolution_state == ClockState.PAUSED:
        remaining = request.resolution_remaining or 0
        breached = remaining == 0
    else:
        calendar = request.clock_calendar(request.resolution_clock)
        due = request.resolution_due_at
        remaining = calendar.working_seconds_between(at, due) if at < due else 0
        breached = at > due
    request.resolution_remaining = remaining
    request.resolution_due_at = None
    request.resolution_at_risk_at = None
    if final:
        request.resolution_state = ClockState.MISSED if breached else ClockState.MET
    else:
        # A breach stays a breach while the client is asked; otherwise the clock simply stands still.
        request.resolution_state = ClockState.BREACHED if breached else ClockState.PAUSED


def _resume_resolution(request, at):
    request.paused_at = None
    if request.resolution_remaining is None or not request.resolution_budget:
        return
    calendar = request.clock_calendar(request.resolution_clock)
    remaining = request.resolution_remaining
    if remaining == 0:
        # Already out of time: due "now", breached at once.
        request.resolution_due_at = request.resolution_at_risk_at = at
        request.resolution_state = ClockState.BREACHED
    else:
        request.resolution_due_at, request.resolution_at_risk_at = _due(
            calendar, at, remaining, request.resolution_budget, None, _risk_percent(request, "resolution")
        )
        # _advance turns it at risk again if it was; its at-risk escalation happened once and is not repeated.
        request.resolution_state = ClockState.RUNNING
    request.resolution_remaining = None


def update_request(request: ClientRequest, data: dict, by=None, expected_version: int | None = None) -> ClientRequest:
    """Edit the describing fields; a new priority that brings a resolution commitment starts its clock (counted from
    the opening), one that drops it removes the clock."""
    editable = {"subject", "description", "requester", "channel", "kind", "priority", "assignee"}
    unknown = set(data) - editable
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    with transaction.atomic():
        request = lock_for_update(request, expected_version)
        errors = {}
        if "subject" in data and not (data["subject"] or "").strip():
            errors["subject"] = "Say in a few words what the client asked."
        assignee = data.get("assignee")
        if assignee is not None and (not assignee.is_active or not _may_work_on(assignee, request.account)):
            errors["assignee"] = f"{assignee} is not on this account's team, so cannot work on its requests."
        if data.get("kind") == RequestKind.CRITICAL_ISSUE:
            data = {**data, "priority": Priority.CRITICAL}
        if errors:
            raise ValidationError(errors)
        old_assignee = request.assignee_id
        for name, value in data.items():
            setattr(request, name, value.strip() if name == "subject" else value)
        if "priority" in data and request.is_open:
            resolution = request_policy(request.account, PolicyKind.RESOLUTION, request.priority)
            if resolution is not None and request.resolution_state == ClockState.NONE:
                _start_resolution_clock(request, resolution)
                if request.status == RequestStatus.WAITING_ON_CLIENT:
                    _pause_resolution(request, request.paused_at or _now(), final=False)
            elif resolution is None and request.resolution_state != ClockState.NONE:
                request.resolution_clock = ""
                request.resolution_budget = request.resolution_due_at = request.resolution_at_risk_at = None
                request.resolution_remaining = None
                request.resolution_state = ClockState.NONE
        if request.assignee_id != old_assignee and request.assignee_id:
            from kam.notifications.services import notify

            _event(request, EventKind.ASSIGNED, by, _now(), note=f"Assigned to {request.assignee}.")
            notify(
                [request.assignee],
                f"{request.reference} assigned to you: {request.subject}",
                f"{request.account}: {request.get_kind_display()}, {request.get_priority_display().lower()} priority.",
                request.get_absolute_url(),
                request.account,
            )
        _advance(request, _now())
    return request


def comment(request: ClientRequest, text: str, by=None) -> RequestEvent:
    if not (text or "").strip():
        raise ValidationError({"note": "Write the comment."})
    return _event(request, EventKind.COMMENT, by, _now(), note=text.strip())


# Escalation -----------------------------------------------------------------------------------------------------


# During a sweep, escalation paths, the people at each level and the programme leads are read once per account and
# level, not once per escalation (a sweep may escalate hundreds of requests of the same accounts).
_sweep_memo: ContextVar[dict | None] = ContextVar("sweep_memo", default=None)


def _memoised(key, compute):
    memo = _sweep_memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def escalation_path(account: Account) -> list[EscalationLevel]:
    """The account's own path if it has one, else the programme default."""
    return _memoised(("path", getattr(account, "pk", None)), lambda: _escalation_path(account))


def _escalation_path(account: Account) -> list[EscalationLevel]:
    own = list(EscalationLevel.objects.filter(account=account).select_related("user").order_by("level"))
    if own:
        return own
    return _memoised("default_path", _default_path)


def _default_path() -> list[EscalationLevel]:
    return list(EscalationLevel.objects.filter(account__isnull=True).select_related("user").order_by("level"))


def _prefetch_paths(accounts):
    """During a sweep: the escalation paths and the people on them for a batch's accounts, in two queries."""
    memo = _sweep_memo.get()
    accounts = [a for a in accounts if ("path", a.pk) not in memo]
    if not accounts:
        return
    own = {}
    for level in (
        EscalationLevel.objects.filter(account__in=accounts).select_related("user").order_by("account_id", "level")
    ):
        own.setdefault(level.account_id, []).append(level)
    default = _memoised("default_path", _default_path)
    for account in accounts:
        memo[("path", account.pk)] = own.get(account.pk) or default
    roles = {level.team_role for path in [default, *own.values()] for level in path if level.team_role}
    wanted = {pk for account in accounts for pk in (account.pk, *account.ancestor_ids())}
    holders: dict[tuple[int, str], list] = {}
    for member in (
        AccountTeamMember.objects.filter(AccountTeamMember.active_q(), account_id__in=wanted, team_role__in=roles)
        .select_related("user")
        .order_by("start_date", "pk")
    ):
        holders.setdefault((member.account_id, member.team_role), []).append(member.user)
    for account in accounts:
        for level in memo[("path", account.pk)]:
            if level.user_id:
                people = [level.user]
            else:
                chain = [account.pk, *reversed(account.ancestor_ids())]
                people = next((holders[(pk, level.team_role)] for pk in chain if (pk, level.team_role) in holders), [])
            memo[("people", level.pk, account.pk)] = people


def people_at(level: EscalationLevel, account: Account) -> list:
    """Who is at this level for this account: the named person, or the active holders of the team role on the
    account, else on the nearest parent account that has one (a subsidiary's escalations reach the group's team)."""
    return _memoised(("people", level.pk, account.pk), lambda: _people_at(level, account))


def _people_at(level: EscalationLevel, account: Account) -> list:
    if level.user_id:
        return [level.user]
    for account_id in [account.pk, *reversed(account.ancestor_ids())]:
        members = [
            m.user
            for m in AccountTeamMember.objects.filter(
                AccountTeamMember.active_q(), account_id=account_id, team_role=level.team_role
            ).select_related("user")
        ]
        if members:
            return members
    return []


def _may_be_escalated_to(user, account: Account | None) -> bool:
    if not user.is_active:
        return False
    if account is None:
        return user.role in (Role.ADMIN, Role.PROGRAMME_LEAD)
    return _may_work_on(user, account)  # global roles, or the account is in their scope


def set_escalation_path(account: Account | None, steps: list[dict]) -> list[EscalationLevel]:
    """Replace the account's path (or, with account None, the programme default). Each step names a team role or a
    user. An empty list for an account returns it to the programme default."""
    from kam.teams.roles import catalogue

    roles = catalogue()
    errors = []
    for number, step in enumerate(steps, start=1):
        role, user = (step.get("team_role") or "").strip(), step.get("user")
        if bool(role) == bool(user):
            errors.append(f"Level {number}: name either a team role or a person.")
        elif role and role not in roles:
            errors.append(f"Level {number}: “{role}” is not a team role in the catalogue.")
        elif user is not None and not _may_be_escalated_to(user, account):
            # An escalation tells its level the request and the account: only to someone who may see them.
            where = "this account" if account is not None else "every account (the programme's path)"
            errors.append(f"Level {number}: {user} cannot see {where}, so cannot be escalated to.")
    if account is None and not steps:
        errors.append("The programme's path needs at least one level.")
    if len(steps) > 9:
        errors.append("At most 9 levels.")
    if errors:
        raise ValidationError({"levels": errors})
    with transaction.atomic():
        for level in EscalationLevel.objects.filter(account=account):
            level.delete()
        return [
            EscalationLevel.objects.create(
                account=account, level=number, team_role=(step.get("team_role") or "").strip(), user=step.get("user")
            )
            for number, step in enumerate(steps, start=1)
        ]


def _escalate(request, level_number, trigger, clock, reason, by, now, persist_level=True):
    from kam.notifications.services import notify

    path = escalation_path(request.account)
    level_number = min(level_number, len(path)) if path else level_number
    level = next((step for step in path if step.level == level_number), None)
    people = people_at(level, request.account) if level else []
    if not people:
        from kam.teams.roles import catalogue

        roles = _memoised("catalogue", catalogue)
        holder = getattr(roles.get(level.team_role), "name", level.team_role) if level else "anyone"
        reason = (reason + " " if reason else "") + f"(No {holder} on this account: the programme leads were told.)"
        people = _memoised(
            "leads", lambda: list(get_user_model().objects.filter(role=Role.PROGRAMME_LEAD, is_active=True))
        )
    escalation = Escalation.objects.create(
        account_id=request.account_id,
        request=request,
        level=level_number,
        trigger=trigger,
        clock=clock,
        reason=reason,
        at=now,
        by=by,
    )
    escalation.notified.add(*people)
    if request.escalation_level < level_number:
        request.escalation_level = level_number
        if persist_level:
            ClientRequest.objects.filter(pk=request.pk).update(escalation_level=level_number)
    what = {
        EscalationTrigger.AT_RISK: f"{clock} time is running out",
        EscalationTrigger.BREACH: f"{clock} time is exceeded",
        EscalationTrigger.MANUAL: "escalated by hand",
    }[trigger]
    _event(request, EventKind.ESCALATED, by, now, note=f"Escalated to level {level_number}: {what}. {reason}".strip())
    notify(
        people,
        f"Escalation: {request.reference} {request.subject} ({request.account})",
        f"Level {level_number} — {what}. {reason}".strip(),
        request.get_absolute_url(),
        request.account,
    )
    return escalation


def _escalate_automatically(request, clock, trigger, now, persist_level=True):
    """Once per request, clock and trigger, even with several schedulers: the unique constraint decides."""
    level_before = request.escalation_level
    try:
        with transaction.atomic():
            return _escalate(request, AUTO_LEVEL[trigger], trigger, clock, "", None, now, persist_level)
    except IntegrityError:
        request.escalation_level = level_before
        return None  # another scheduler escalated it a moment ago


def escalate(request: ClientRequest, by, reason: str, now=None) -> Escalation:
    """A person moves the request one level up its path, saying why."""
    now = now or _now()
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why it needs escalating: the next level reads it."})
    if not request.is_open:
        raise ValidationError({"reason": "Only an open request can be escalated; reopen it first."})
    path = escalation_path(request.account)
    if request.escalation_level >= len(path):
        raise ValidationError({"reason": f"Already at the top of the escalation path (level {len(path)})."})
    with transaction.atomic():
        return _escalate(request, request.escalation_level + 1, EscalationTrigger.MANUAL, "", reason.strip(), by, now)


# The scheduler's sweep ------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    checked: int = 0
    escalated: int = 0


def sweep(now: dt.datetime | None = None, batch: int = 500) -> SweepResult:
    """Advance every open request whose next clock moment has come (at risk, breach), escalating once each. Rows are
    claimed with SKIP LOCKED (PostgreSQL), so two schedulers share the work instead of doing it twice; the unique
    constraint on automatic escalations is the second guard (and SQLite's, where writes are serialised)."""
    now = now or _now()
    result = SweepResult()
    calendars: dict[int, WorkingCalendar] = {}
    seen: set[int] = set()
    token = _sweep_memo.set({})
    try:
        return _sweep_batches(now, batch, result, calendars, seen)
    finally:
        _sweep_memo.reset(token)


def _sweep_batches(now, batch, result, calendars, seen) -> SweepResult:
    from kam.core.models import snapshot

    while True:
        with transaction.atomic():
            due = (
                ClientRequest.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(next_check_at__lte=now, status__in=OPEN_STATUSES)
                .select_related("account", "calendar")
                .order_by("next_check_at", "pk")[:batch]
            )
            rows = list(due)
            # Advancing moves each row's next moment past `now`; a row seen twice would mean it did not (a bug):
            # stop rather than loop.
            if not rows or all(request.pk in seen for request in rows):
                return result
            _prefetch_paths({request.account_id: request.account for request in rows}.values())
            for request in rows:
                seen.add(request.pk)
                request._stored_state = snapshot(request)  # just read under lock: the audit's "before" is this
                if request.calendar_id is not None:
                    if request.calendar_id not in calendars:
                        calendars[request.calendar_id] = request.calendar.working_calendar()
                    request.__dict__["working_calendar"] = calendars[request.calendar_id]
                result.checked += 1
                result.escalated += len(_advance(request, now))


# Obligations ----------------------------------------------------------------------------------------------------


def period_of(day: dt.date, months: int) -> tuple[dt.date, dt.date, str]:
    """The calendar-aligned period of `months` months holding `day`: (first day, last day, label)."""
    index = (day.year * 12 + day.month - 1) // months * months
    start = dt.date(index // 12, index % 12 + 1, 1)
    end_index = index + months
    end = dt.date(end_index // 12, end_index % 12 + 1, 1) - dt.timedelta(days=1)
    if months == 1:
        label = f"{start:%Y-%m}"
    elif months == 3:
        label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    elif months == 6:
        label = f"{start.year}-H{(start.month - 1) // 6 + 1}"
    elif months == 12:
        label = f"{start.year}"
    else:
        label = f"{start:%Y-%m}–{end:%Y-%m}"
    return start, end, label


def generate_obligations(today: dt.date | None = None, periods_ahead: int = 1) -> int:
    """Make sure each key account has its obligations for the current period of every cadence commitment and the
    next `periods_ahead`. Idempotent: existing ones are kept (the unique constraint backs it). Returns how many were
    created."""
    today = today or timezone.localdate()
    policies = list(SlaPolicy.objects.filter(active=True, kind=PolicyKind.CADENCE))
    if not policies:
        return 0
    overrides = {
        (o.account_id, o.policy_id): o.target for o in PolicyOverride.objects.filter(policy__kind=PolicyKind.CADENCE)
    }
    created = 0
    accounts = Account.objects.filter(is_key_account=True).values_list("pk", flat=True)
    for account_id in accounts.iterator():
        wanted = []
        for policy in policies:
            months = overrides.get((account_id, policy.pk), policy.target)
            day = today
            for _ in range(periods_ahead + 1):
                start, end, label = period_of(day, months)
                wanted.append((policy, start, end, label))
                day = end + dt.timedelta(days=1)
        existing = set(
            Obligation.objects.filter(account_id=account_id, policy__in=policies).values_list(
                "policy_id", "period_start"
            )
        )
        for policy, start, end, label in wanted:
            if (policy.pk, start) in existing:
                continue
            try:
                with transaction.atomic():
                    Obligation.objects.create(
                        account_id=account_id, policy=policy, period_start=start, period_label=label, due_date=end
                    )
                created += 1
            except IntegrityError:
                continue  # created concurrently
    return created


def complete_obligation(
    obligation: Obligation, by, evidence: str, done_on: dt.date | None = None, expected_version=None
) -> Obligation:
    today = timezone.localdate()
    done_on = done_on or today
    errors = {}
    if not (evidence or "").strip():
        errors["evidence"] = "Say what shows it was done (minutes, a link, the deck's name)."
    if done_on > today:
        errors["done_on"] = "This date is in the future."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        obligation = lock_for_update(obligation, expected_version)
        if obligation.status == ObligationStatus.DONE:
            raise ValidationError({"status": "This obligation is done already."})
        obligation.status = ObligationStatus.DONE
        obligation.done_on = done_on
        obligation.done_by = by
        obligation.evidence = evidence.strip()
        obligation.save()
    return obligation


def reopen_obligation(obligation: Obligation, expected_version=None) -> Obligation:
    with transaction.atomic():
        obligation = lock_for_update(obligation, expected_version)
        obligation.status = ObligationStatus.OPEN
        obligation.done_on = None
        obligation.done_by = None
        obligation.save()
    return obligation


def open_requests_q() -> Q:
    return Q(status__in=OPEN_STATUSES)
