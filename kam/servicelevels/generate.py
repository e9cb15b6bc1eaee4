"""Client requests with their SLA clocks, and the key accounts' obligations, of a generated tenant (`kam generate`,
kam/core/generate.py).

At scale 1, after the accounts steps:

- 200,000 client requests over the generated months up to the moment of generation, about three quarters on the
  2,000 key accounts themselves, the rest on their subsidiaries and plants (bigger groups ask more): inquiries 45 %,
  issues 35 %, change requests 15 %, critical issues 5 % (critical priority; the others low, normal or high), by
  e-mail, phone, portal, chat or in meetings, from two to four named contacts per group, assigned to the account's
  key account manager.
  Requests arrive in the client's local working hours (the country's time zone); the clocks count the hours of the
  calendar `services.calendar_for` gives the account (its region's, else the programme default). About 3 % are open
  and recent — new, acknowledged, in progress or waiting on the client — the rest resolved or closed, most answered
  and solved within their clocks, some late.
- Every clock is what the services would have computed for the programme's policies (`services._plan_clocks`,
  `_apply_status`, `_advance`), met or missed for the finished ones, and for the open ones as the scheduler's last
  sweep left them: the sweep runs each minute, so the tenant's state is the one at the last whole minute before
  generation (`next_check_at` is after it; a sweep then finds nothing to do). Each clock that turned at risk or
  breached while it ran has its one automatic `Escalation` (level 1 at risk, level 2 breached, the moment the
  minutely sweep — or a status change — saw it), with the people it went to; the request's `escalation_level` is the
  highest. No notifications are written.
- Up to three `RequestEvent`s per request: opened; then the first response (open and resolved requests), the wait
  for the client, the resolution and the closing — as many as fit (a closed request shows opened, resolved and
  closed; its first response is on the request itself). Escalations are in their own rows, not in the timeline.
- The key accounts' cadence obligations (quarterly review, monthly KPI update, annual plan update) from the month
  their team was formed (or the first generated month) to the period after the current one, as
  `services.generate_obligations` makes them; past ones done by the key account manager with evidence (most) or
  still open (overdue: more often the recent ones).

The clock arithmetic runs through `Clockwork`: the working intervals of each calendar over the generated span, read
once from `WorkingCalendar` itself, so that a due time is two binary searches instead of a walk through the days.
The results are the calendar's own, to the microsecond (tests/servicelevels/test_generate.py checks them against
the services).
"""

import datetime as dt
import math
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from kam.accounts.generate import COUNTRIES
from kam.accounts.models import Account, AccountTeamMember
from kam.core.generate import step
from kam.core.roles import Role
from kam.servicelevels import services
from kam.servicelevels.calendar import WorkingCalendar
from kam.servicelevels.models import (
    OPEN_STATUSES,
    BusinessCalendar,
    ClientRequest,
    ClockMode,
    ClockState,
    Escalation,
    EscalationLevel,
    EscalationTrigger,
    EventKind,
    Obligation,
    ObligationStatus,
    PolicyKind,
    Priority,
    RequestEvent,
    RequestKind,
    RequestStatus,
    SlaPolicy,
)

REQUESTS = 200_000  # at scale 1
OPEN_SHARE = 0.03
ON_KEY_ACCOUNT = 0.70  # the rest on a subsidiary or plant of the group

KINDS = [
    (RequestKind.INQUIRY, 45),
    (RequestKind.ISSUE, 35),
    (RequestKind.CHANGE_REQUEST, 15),
    (RequestKind.CRITICAL_ISSUE, 5),
]
PRIORITIES = {  # kind: (low, normal, high) weights; a critical issue is critical
    RequestKind.INQUIRY: (30, 60, 10),
    RequestKind.ISSUE: (15, 55, 30),
    RequestKind.CHANGE_REQUEST: (25, 60, 15),
}
CHANNELS = ["email", "portal", "phone", "chat", "meeting", "other"]
CHANNEL_WEIGHTS = {"default": (50, 20, 14, 10, 5, 1), RequestKind.CRITICAL_ISSUE: (30, 5, 45, 15, 5, 0)}
SUBJECTS = {
    RequestKind.INQUIRY: [
        "Question about invoice {invoice}",
        "Price list {year} for {line}",
        "Delivery date for order {order}",
        "Certificate of conformity for batch {batch}",
        "Lead times for {line}",
        "Copy of the framework agreement",
        "Payment terms on invoice {invoice}",
        "Contact for {line} in {site}",
        "Volume discount for {year}",
        "Product data sheets for {line}",
    ],
    RequestKind.ISSUE: [
        "Late delivery of order {order}",
        "Wrong quantity delivered on order {order}",
        "Damaged goods in shipment {shipment}",
        "Invoice {invoice} does not match the order",
        "Portal login not working for {site}",
        "Quality complaint on batch {batch}",
        "Missing documentation for order {order}",
        "Credit note for invoice {invoice} not received",
    ],
    RequestKind.CHANGE_REQUEST: [
        "Change delivery address for {site}",
        "Add the {site} plant to the framework agreement",
        "New EDI format from {month}",
        "Update the contact persons for {site}",
        "Change order {order}: quantities",
        "Switch {line} to consignment stock",
        "New packaging for {line} from {month}",
    ],
    RequestKind.CRITICAL_ISSUE: [
        "Production line stopped in {site}: part {part} missing",
        "Recall risk on batch {batch}",
        "Ordering system down: orders not confirmed",
        "Safety issue reported on a {line} unit",
        "Urgent shipment {shipment} held at customs",
    ],
}
DESCRIPTIONS = {
    RequestKind.INQUIRY: ["Needed for their budget round.", "Asked in the monthly call.", "For their auditors."],
    RequestKind.ISSUE: [
        "Second time this quarter.",
        "Their warehouse flagged it on receipt.",
        "Purchasing copied in; they expect an answer this week.",
    ],
    RequestKind.CHANGE_REQUEST: ["From the next call-off.", "Agreed in principle in the last review."],
    RequestKind.CRITICAL_ISSUE: [
        "Line stands still until the part arrives; their plant manager called.",
        "Their quality lead wants a containment plan today.",
    ],
}
RESOLUTIONS = {
    RequestKind.INQUIRY: ["Answered with the documents.", "Sent the figures.", "Explained; the client confirmed."],
    RequestKind.ISSUE: [
        "Replacement shipped.",
        "Credit note issued.",
        "Corrected the order and informed logistics.",
        "Access restored.",
    ],
    RequestKind.CHANGE_REQUEST: ["Change made in the ERP.", "Contract amendment signed.", "Set up from next month."],
    RequestKind.CRITICAL_ISSUE: [
        "Part sent by express; line running again.",
        "Batch quarantined, containment plan agreed.",
        "Workaround in place, root cause fixed.",
    ],
}
WAITING_NOTES = ["Asked for the order numbers.", "Waiting for photos of the damage.", "Asked for their sign-off."]
FIRST_NAMES = [
    "Anna", "Ben", "Carla", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Luca", "Maria",
    "Nils", "Olivia", "Pablo", "Rosa", "Sven", "Tomas", "Ulla", "Vera", "Yuki", "Zoe", "Kenji", "Sarah", "James",
]  # fmt: skip
LAST_NAMES = [
    "Schmidt", "Martin", "de Vries", "Rossi", "Garcia", "Miller", "Taylor", "Keller", "Lindqvist", "Tanaka",
    "Weber", "Bernard", "Jansen", "Bianchi", "Lopez", "Brown", "Meier", "Berg", "Sato", "Fischer", "Moreau",
]  # fmt: skip
CITIES = ["Hamburg", "Lyon", "Utrecht", "Turin", "Bilbao", "Austin", "Leeds", "Basel", "Malmo", "Osaka"]
LINES = ["Components", "Systems", "Services", "Spare parts"]
CLIENT_ZONES = {  # requests arrive in the client's working hours
    "DE": "Europe/Berlin",
    "FR": "Europe/Paris",
    "NL": "Europe/Amsterdam",
    "IT": "Europe/Rome",
    "ES": "Europe/Madrid",
    "US": "America/New_York",
    "GB": "Europe/London",
    "CH": "Europe/Zurich",
    "SE": "Europe/Stockholm",
    "JP": "Asia/Tokyo",
}
# Working seconds from the first response to the resolution (log-normal: median, spread), per kind.
RESOLUTION_WORK = {
    RequestKind.INQUIRY: (4 * 3600, 1.0),
    RequestKind.ISSUE: (10 * 3600, 1.0),
    RequestKind.CHANGE_REQUEST: (30 * 3600, 0.9),
    RequestKind.CRITICAL_ISSUE: (7 * 3600, 0.8),
}
FIRST_RESPONSE_WORK = (5400, 1.0)  # working seconds to the first response: median 1.5 h; about 5 % after 8 h
ANSWERED_AT_ONCE = 0.55  # inquiries whose first answer solves them
EVIDENCE = {
    "quarterly_review": [
        "Minutes of the {label} review in the account folder.",
        "Review deck {label} shared with the client.",
        "Quarterly review held on site; minutes in the CRM.",
    ],
    "monthly_kpi_update": [
        "KPI report {label} sent to the client.",
        "Monthly scorecard {label} e-mailed.",
        "KPI dashboard walked through in the monthly call.",
    ],
    "annual_plan_update": [
        "Account plan {label} approved by the sponsor.",
        "Plan {label} reviewed with the client's purchasing lead.",
    ],
}

REQUEST_FIELDS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "account_id",
    "external_id",
    "kind",
    "priority",
    "channel",
    "subject",
    "description",
    "requester",
    "assignee_id",
    "status",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "calendar_id",
    "response_clock",
    "response_budget",
    "response_due_at",
    "response_at_risk_at",
    "response_state",
    "resolution_clock",
    "resolution_budget",
    "resolution_due_at",
    "resolution_at_risk_at",
    "resolution_remaining",
    "resolution_state",
    "paused_at",
    "sla_state",
    "next_check_at",
    "escalation_level",
]
EVENT_FIELDS = [
    "created_at",
    "updated_at",
    "version",
    "account_id",
    "request_id",
    "at",
    "actor_id",
    "kind",
    "from_status",
    "to_status",
    "note",
]
ESCALATION_FIELDS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "account_id",
    "request_id",
    "level",
    "trigger",
    "clock",
    "reason",
    "at",
    "by_id",
]
OBLIGATION_FIELDS = [
    "created_at",
    "updated_at",
    "version",
    "account_id",
    "policy_id",
    "period_start",
    "period_label",
    "due_date",
    "status",
    "done_on",
    "done_by_id",
    "evidence",
]

# Instants are integer microseconds since the epoch (UTC) while generating: exact, and cheap to compare and add.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICRO = 1_000_000
MINUTE = 60 * MICRO
HOUR = 3600 * MICRO
DAY = 86_400 * MICRO
RUNNING = (ClockState.RUNNING, ClockState.AT_RISK, ClockState.BREACHED)


def micros(instant: dt.datetime) -> int:
    return (instant - EPOCH) // dt.timedelta(microseconds=1)


def instant(value: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=value)


def ceil_minute(value: int) -> int:
    return -(-value // MINUTE) * MINUTE


class Clockwork:
    """`WorkingCalendar.add_working_seconds` and `working_seconds_between` for instants within [first, last], on
    integer microseconds. The calendar's working intervals over that span are read once from the calendar itself
    (ordered and disjoint, DST and holidays applied as it applies them), with the working time before each; an
    instant's working position is then a binary search, and so is the instant at a position. Same results as the
    calendar to the microsecond, including its rules at the edges: a zero budget starts at the next opening, and a
    budget that runs out exactly at a closing is due at that closing."""

    def __init__(self, calendar: WorkingCalendar, first: dt.datetime, last: dt.datetime):
        self.around_the_clock = calendar.around_the_clock
        self.first, self.last = micros(first), micros(last)
        self.openings, self.closings, self.before = [], [], [0]
        if not self.around_the_clock:
            for opening, closing in calendar._working_intervals_from(first.astimezone(dt.UTC)):
                if opening > last:
                    break
                start, end = micros(opening), micros(closing)
                self.openings.append(start)
                self.closings.append(end)
                self.before.append(self.before[-1] + end - start)
        self.upto = self.before[1:]  # working time up to each interval's closing

    def _check(self, value: int):
        if not self.first <= value <= self.last:
            raise ValueError(f"{instant(value)} is outside the span this clockwork was built for")

    def _position(self, value: int) -> tuple[int, int]:
        """Working microseconds from `first` to `value`, and the first interval closing after `value`."""
        index = bisect_right(self.closings, value)
        if index < len(self.openings) and self.openings[index] < value:
            return self.before[index] + value - self.openings[index], index
        return self.before[index], index

    def add(self, start: int, seconds: int) -> int:
        """The instant at which `seconds` of working time have elapsed since `start`."""
        self._check(start)
        if self.around_the_clock:
            return start + seconds * MICRO
        position, first = self._position(start)
        target = position + seconds * MICRO
        # The first interval whose closing reaches the target; never one that closed before the start (a zero
        # budget at a closing waits for the next opening).
        index = max(bisect_left(self.upto, target), first)
        if index >= len(self.openings):
            raise ValueError(f"{instant(start)} + {seconds} s runs past the span of this clockwork")
        due = self.openings[index] + target - self.before[index]
        self._check(due)
        return due

    def between(self, start: int, end: int) -> int:
        """Whole seconds of working time in [start, end), rounded down."""
        if end <= start:
            return 0
        self._check(start)
        self._check(end)
        if self.around_the_clock:
            return (end - start) // MICRO
        return (self._position(end)[0] - self._position(start)[0]) // MICRO

    # The calendar's names: the services' own functions (`services._due`) take a clockwork for a calendar.
    add_working_seconds = add
    working_seconds_between = between


@dataclass(frozen=True)
class ClockPlan:
    """One clock as `services._plan_clocks` sets it for a calendar and priority: its mode, its budget and the policy
    (whose at-risk share the services read)."""

    mode: str
    budget: int  # seconds
    policy: SlaPolicy
    work: Clockwork

    def due(self, start: int) -> tuple[int, int]:
        """Due and at-risk instants of the clock started at `start` with its whole budget."""
        return services._due(self.work, start, self.budget, self.budget, self.policy)


def crossings(
    at_risk: int, due: int, opened: int, *, stop: int | None, now: int, change: int | None = None
) -> list[tuple[str, int]]:
    """The automatic escalations of one clock: (trigger, when). The clock runs from `opened` until `stop` (a status
    change that stops it, before `_advance` looks: the first response, a pause, the resolution) or, if None, past
    `now` (the last sweep). It is advanced — and escalates what it newly crossed — at the opening, at the minutely
    sweeps and at `change`, a status change that leaves it running. A clock that is first seen breached escalates
    the breach only (`services._advance`)."""

    def moment(crossing):
        if crossing <= opened:
            return opened
        when = ceil_minute(crossing)
        if change is not None and crossing <= change < when and (stop is None or change < stop):
            when = change
        if (stop is not None and when >= stop) or (stop is None and when > now):
            return None
        return when

    risk_moment, due_moment = moment(at_risk), moment(due)
    made = []
    if risk_moment is not None and risk_moment != due_moment:
        made.append((EscalationTrigger.AT_RISK, risk_moment))
    if due_moment is not None:
        made.append((EscalationTrigger.BREACH, due_moment))
    return made


@dataclass
class Clocks:
    """What `services._summarise` reads of a request (instants as microseconds) and what it sets."""

    is_open: bool
    response_state: str
    response_due_at: int | None
    response_at_risk_at: int | None
    resolution_state: str
    resolution_due_at: int | None
    resolution_at_risk_at: int | None
    sla_state: str = ""
    next_check_at: int | None = None

    def summarised(self) -> "Clocks":
        services._summarise(self)
        return self


def _lognormal(rng, median_and_spread) -> int:
    median, spread = median_and_spread
    return max(60, int(rng.lognormvariate(math.log(median), spread)))


def _calendar_for_region(calendars: list[BusinessCalendar], region: str) -> BusinessCalendar | None:
    """`services.calendar_for` for an account without service settings of its own (every generated account)."""
    region = (region or "").strip().casefold()
    if region:
        for calendar in calendars:
            if region in {r.strip().casefold() for r in calendar.regions.split(",")}:
                return calendar
    return next((c for c in calendars if c.is_default), None)


class Escalator:
    """Who an automatic escalation of a generated request goes to and what its reason says, as `services._escalate`
    decides it: the level on the programme's path (generated accounts have no path of their own), its named person
    or the holders of its team role on the group's key account (only they have teams), else the programme leads,
    with the reason saying so."""

    def __init__(self, first_account_id: int, last_account_id: int):
        from kam.teams.roles import catalogue

        self.path = list(EscalationLevel.objects.filter(account__isnull=True).order_by("level"))
        self.roles = catalogue()
        self.holders = defaultdict(list)  # (account id, team role) → user ids, in the services' order
        members = (
            AccountTeamMember.objects.filter(
                AccountTeamMember.active_q(), account_id__gte=first_account_id, account_id__lte=last_account_id
            )
            .order_by("pk")
            .values_list("account_id", "team_role", "user_id")
        )
        for account_id, team_role, user_id in members:
            self.holders[account_id, team_role].append(user_id)
        self.leads = list(
            get_user_model()
            .objects.filter(role=Role.PROGRAMME_LEAD, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        self._cache = {}

    def level(self, trigger: str) -> int:
        number = services.AUTO_LEVEL[trigger]
        return min(number, len(self.path)) if self.path else number

    def reason_and_people(self, level_number: int, group_root: int) -> tuple[str, list[int]]:
        key = (level_number, group_root)
        if key not in self._cache:
            level = next((s for s in self.path if s.level == level_number), None)
            people = []
            if level is not None:
                people = (
                    [level.user_id] if level.user_id else list(dict.fromkeys(self.holders[group_root, level.team_role]))
                )
            reason = ""
            if not people:
                holder = getattr(self.roles.get(level.team_role), "name", level.team_role) if level else "anyone"
                reason = f"(No {holder} on this account: the programme leads were told.)"
                people = self.leads
            self._cache[key] = (reason, people)
        return self._cache[key]


def datetime_writer(ctx):
    """A function writing an instant (microseconds, or None) as the column expects it in a raw insert: ISO text on
    PostgreSQL (made from the numbers, with each day's date written once: about three times faster than a datetime's
    isoformat for 2.4 million values), what Django sends elsewhere."""
    if ctx.vendor != "postgresql":
        adapt = connection.ops.adapt_datetimefield_value
        return lambda when: None if when is None else adapt(instant(when))
    days = {}

    def write(when):
        if when is None:
            return None
        seconds, fraction = divmod(when, MICRO)
        day, second = divmod(seconds, 86_400)
        date = days.get(day)
        if date is None:
            date = days[day] = (EPOCH + dt.timedelta(days=day)).date().isoformat()
        minute, second = divmod(second, 60)
        hour, minute = divmod(minute, 60)
        if fraction:
            return f"{date}T{hour:02d}:{minute:02d}:{second:02d}.{fraction:06d}+00:00"
        return f"{date}T{hour:02d}:{minute:02d}:{second:02d}+00:00"

    return write


def _subject_maker(rng, now_moment):
    """Subjects from the vocabulary, drawing only the numbers a template uses."""
    randint, choice = rng.randint, rng.choice
    fill = {
        "invoice": lambda: f"{randint(400_000, 999_999)}",
        "order": lambda: f"PO-{randint(10_000, 99_999)}",
        "batch": lambda: f"B{randint(1000, 9999)}-{randint(10, 99)}",
        "shipment": lambda: f"S{randint(100_000, 999_999)}",
        "part": lambda: f"{randint(1000, 9999)}-{randint(100, 999)}",
        "line": lambda: choice(LINES),
        "site": lambda: choice(CITIES),
        "year": lambda: now_moment.year + (1 if now_moment.month >= 10 else 0),
        "month": lambda: f"{now_moment.year}-{randint(1, 12):02d}",
    }
    templates = {kind: [(text, re.findall(r"{(\w+)}", text)) for text in texts] for kind, texts in SUBJECTS.items()}

    def subject(kind):
        text, names = choice(templates[kind])
        return text.format(**{name: fill[name]() for name in names}) if names else text

    return subject


@step("servicelevels.requests", order=60)
def client_requests(ctx):
    """Client requests with their clocks, timelines and escalations (COPY); see the module docstring."""
    rng = ctx.rng("servicelevels.requests")
    portfolio = ctx.shared["accounts"]
    random, randint, choice, choices = rng.random, rng.randint, rng.choice, rng.choices
    # The scheduler sweeps each minute: the tenant is as its last sweep left it.
    now_moment = ctx.now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    now = micros(now_moment)
    first_day = portfolio.months[0]
    first = micros(dt.datetime.combine(first_day, dt.time(0), tzinfo=dt.UTC))
    span_days = (now_moment.date() - first_day).days + 1

    # -- calendars and clock plans, as services.calendar_for and services._plan_clocks choose them. All read here:
    # on PostgreSQL the rows are written by COPY while they are made, and the connection runs nothing else meanwhile.
    calendars = list(BusinessCalendar.objects.all())  # the services' order (by name)
    span = (instant(first) - dt.timedelta(days=7), now_moment + dt.timedelta(days=400))
    working = {c.pk: c.working_calendar() for c in calendars}
    working[None] = WorkingCalendar.twenty_four_seven()  # no calendar at all: the services count real time
    works = {pk: Clockwork(calendar, *span) for pk, calendar in working.items()}
    calendar_of_region = {}
    for _weight, _currency, region, _form in COUNTRIES.values():
        calendar = _calendar_for_region(calendars, region)
        calendar_of_region[region] = calendar.pk if calendar else None
    policies = [
        services.EffectivePolicy(policy, policy.target, policy.unit, policy.clock, False)
        for policy in SlaPolicy.objects.filter(active=True, kind__in=[PolicyKind.RESPONSE, PolicyKind.RESOLUTION])
    ]
    plans = {}
    for calendar_id in set(calendar_of_region.values()):
        for priority in Priority:
            for kind in (PolicyKind.RESPONSE, PolicyKind.RESOLUTION):
                effective = services.request_policy(None, kind, priority, policies)
                if effective is None:
                    plans[calendar_id, priority, kind] = None
                    continue
                around = effective.clock == ClockMode.AROUND_THE_CLOCK
                budget = effective.budget_seconds(working[None] if around else working[calendar_id])
                work = works[None] if around else works[calendar_id]
                plans[calendar_id, priority, kind] = ClockPlan(effective.clock, budget, effective.policy, work)

    def plan(calendar_id, priority, kind) -> ClockPlan | None:
        return plans[calendar_id, priority, kind]

    # -- who asks: the key accounts (by size) and the subsidiaries and plants of their groups
    key_ids = set(portfolio.key_account_ids)
    members, group_size, by_id = defaultdict(list), defaultdict(float), {}
    for account in portfolio.accounts:
        if account.group_root in key_ids:
            by_id[account.id] = account
            group_size[account.group_root] += account.size
            if account.id != account.group_root:
                members[account.group_root].append(account)
    roots = portfolio.key_account_ids
    root_weights = [math.sqrt(group_size[pk]) for pk in roots]
    names = dict(
        Account._base_manager.filter(
            pk__gte=portfolio.first_account_id, pk__lte=portfolio.last_account_id, is_key_account=True
        ).values_list("pk", "name")
    )
    domains = {pk: re.sub(r"[^a-z0-9]", "", names.get(pk, "client").split()[0].lower()) + ".example" for pk in roots}
    contacts = {}

    def requester(root: int) -> str:
        if root not in contacts:
            people = []
            for _ in range(randint(2, 4)):
                first_name, last_name = choice(FIRST_NAMES), choice(LAST_NAMES)
                mailbox = f"{first_name}.{last_name}".lower().replace(" ", "")
                people.append(f"{first_name} {last_name} <{mailbox}@{domains[root]}>")
            contacts[root] = people
        return choice(contacts[root])

    zones = {country: ZoneInfo(CLIENT_ZONES.get(country, "UTC")) for country in COUNTRIES}
    kinds, kind_weights = zip(*KINDS, strict=True)

    def arrival(account, day: dt.date) -> int:
        """An instant on the client's local `day`: mostly working hours, some early or late, a few any time."""
        draw = random()
        if draw < 0.82:
            minute = randint(8 * 60, 18 * 60 - 1)
        elif draw < 0.95:
            minute = randint(6 * 60, 8 * 60 - 1) if random() < 0.4 else randint(18 * 60, 22 * 60 - 1)
        else:
            minute = randint(0, 24 * 60 - 1)
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60, randint(0, 59)))
        return micros(local.replace(tzinfo=zones.get(account.country, dt.UTC)))

    def working_day(pick) -> dt.date:
        """A day from `pick()`, weekends mostly drawn again (a few clients write on Saturdays)."""
        day = pick()
        for _ in range(10):
            if day.weekday() < 5 or random() < 0.1:
                break
            day = pick()
        return day

    def any_day() -> dt.date:
        # Slightly more requests lately: a mix of a uniform draw and the later of two.
        x = random() if random() > 0.15 else max(random(), random())
        return first_day + dt.timedelta(days=min(span_days - 1, int(x * span_days)))

    def recent_day() -> dt.date:
        age = rng.expovariate(1 / 3) if random() < 0.8 else rng.uniform(0, 40)
        return (now_moment - dt.timedelta(days=min(age, 45))).date()

    def draw_request(is_open: bool):
        root = choices(roots, cum_weights=root_cum)[0]
        account = by_id[root] if random() < ON_KEY_ACCOUNT or not members[root] else choice(members[root])
        kind = choices(kinds, kind_weights)[0]
        priority = (
            Priority.CRITICAL
            if kind == RequestKind.CRITICAL_ISSUE
            else choices((Priority.LOW, Priority.NORMAL, Priority.HIGH), PRIORITIES[kind])[0]
        )
        calendar_id = calendar_of_region[COUNTRIES[account.country][2]]
        response = plan(calendar_id, priority, PolicyKind.RESPONSE)
        work = response.work if response else works[calendar_id]
        for _ in range(50):
            opened = arrival(account, working_day(recent_day if is_open else any_day))
            if not first <= opened <= now:
                continue
            first_response = work.add(opened, _lognormal(rng, FIRST_RESPONSE_WORK))
            if is_open:
                if first_response <= now and random() < 0.92:
                    draw = random()
                    status = (
                        RequestStatus.ACKNOWLEDGED
                        if draw < 0.25
                        else RequestStatus.IN_PROGRESS
                        if draw < 0.75
                        else RequestStatus.WAITING_ON_CLIENT
                    )
                    paused = None
                    if status == RequestStatus.WAITING_ON_CLIENT:
                        if first_response + MINUTE > now:
                            status = RequestStatus.IN_PROGRESS  # answered a moment ago: not waiting yet
                        else:
                            paused = randint(first_response + MINUTE, now)
                    return (opened, account, kind, priority, calendar_id, status, first_response, paused, None, None)
                return (opened, account, kind, priority, calendar_id, RequestStatus.NEW, None, None, None, None)
            if kind == RequestKind.INQUIRY and random() < ANSWERED_AT_ONCE:
                resolved = first_response
            else:
                resolved = work.add(first_response, _lognormal(rng, RESOLUTION_WORK[kind]))
            if resolved > now:
                continue  # still open at generation: draw another day
            closed = resolved + int(rng.uniform(0.5, 7) * 86_400) * MICRO
            status = RequestStatus.CLOSED if closed <= now else RequestStatus.RESOLVED
            closed = closed if status == RequestStatus.CLOSED else None
            return (opened, account, kind, priority, calendar_id, status, first_response, None, resolved, closed)
        return None

    root_cum, total = [], 0.0
    for weight in root_weights:
        total += weight
        root_cum.append(total)
    count = ctx.scaled(REQUESTS)
    open_count = round(count * OPEN_SHARE)
    drawn = []
    while len(drawn) < count:
        request = draw_request(is_open=len(drawn) < open_count)
        if request is not None:
            drawn.append(request)
    drawn.sort(key=lambda r: (r[0], r[1].id))  # ids in the order the requests came in

    escalator = Escalator(portfolio.first_account_id, portfolio.last_account_id)
    first_request = ctx.next_id(ClientRequest)
    first_escalation = ctx.next_id(Escalation)
    escalations, notified, timeline = [], [], []
    stamp = ctx.timestamp()
    channel_weights = {kind: CHANNEL_WEIGHTS.get(kind, CHANNEL_WEIGHTS["default"]) for kind in kinds}

    value = datetime_writer(ctx)
    subject = _subject_maker(rng, now_moment)

    open_statuses = frozenset(OPEN_STATUSES)

    def rows():
        for offset, (
            opened,
            account,
            kind,
            priority,
            calendar_id,
            status,
            answered,
            paused,
            resolved,
            closed,
        ) in enumerate(drawn):
            pk = first_request + offset
            is_open = status in open_statuses
            made = []  # (clock, trigger, when)
            # First response: runs from the opening until the request leaves "new".
            response = plan(calendar_id, priority, PolicyKind.RESPONSE)
            response_row = ("", None, None, None, ClockState.NONE.value)
            response_state, response_due, response_risk = ClockState.NONE, None, None
            if response is not None:
                response_due, response_risk = due, at_risk = response.due(opened)
                if answered is None:
                    response_state = services._clock_state(due, at_risk, now)
                else:  # services._apply_status: leaving "new" is the first response
                    response_state = ClockState.MET if answered <= due else ClockState.MISSED
                made += [
                    ("response", trigger, when)
                    for trigger, when in crossings(at_risk, due, opened, stop=answered, now=now)
                ]
                response_row = (response.mode, response.budget, value(due), value(at_risk), str(response_state))
            # Resolution: runs from the opening until a pause (waiting on the client) or the resolution.
            resolution = plan(calendar_id, priority, PolicyKind.RESOLUTION)
            resolution_row = ("", None, None, None, None, ClockState.NONE.value)
            resolution_state, resolution_due, resolution_risk = ClockState.NONE, None, None
            if resolution is not None:
                due, at_risk = resolution.due(opened)
                stop = paused if paused is not None else resolved
                # Leaving "new" for acknowledged or in progress is a status change that leaves it running.
                change = answered if answered is not None and (stop is None or answered < stop) else None
                made += [
                    ("resolution", trigger, when)
                    for trigger, when in crossings(at_risk, due, opened, stop=stop, now=now, change=change)
                ]
                if stop is None:
                    resolution_state = services._clock_state(due, at_risk, now)
                    resolution_due, resolution_risk = due, at_risk
                    resolution_row = (resolution.mode, resolution.budget, value(due), value(at_risk), None)
                else:  # services._pause_resolution: keeps what was left, forgets the instants
                    remaining = resolution.work.between(stop, due) if stop < due else 0
                    late = stop > due
                    if paused is not None:
                        resolution_state = ClockState.BREACHED if late else ClockState.PAUSED
                    else:
                        resolution_state = ClockState.MISSED if late else ClockState.MET
                    resolution_row = (resolution.mode, resolution.budget, None, None, remaining)
                resolution_row += (str(resolution_state),)
            clocks = Clocks(
                is_open, response_state, response_due, response_risk, resolution_state, resolution_due, resolution_risk
            ).summarised()
            level = 0
            root = account.group_root
            for clock, trigger, when in made:
                number = escalator.level(trigger)
                reason, people = escalator.reason_and_people(number, root)
                escalation_id = first_escalation + len(escalations)
                escalations.append(
                    (
                        escalation_id,
                        stamp,
                        stamp,
                        1,
                        account.id,
                        pk,
                        number,
                        str(trigger),
                        clock,
                        reason,
                        value(when),
                        None,
                    )
                )
                notified.extend((escalation_id, user) for user in people)
                level = max(level, number)
            assignee = account.owner_id
            channel = choices(CHANNELS, channel_weights[kind])[0]
            actor = None if channel == "portal" else assignee
            timeline.append(
                (pk, account.id, assignee, actor, kind, channel, status, opened, answered, paused, resolved, closed)
            )
            yield (
                pk,
                stamp,
                stamp,
                1,
                account.id,
                f"{ctx.prefix}-SR-{offset + 1:07d}" if channel == "portal" else "",
                kind.value,
                priority.value,
                channel,
                subject(kind),
                choice(DESCRIPTIONS[kind]) if random() < 0.4 else "",
                requester(root),
                assignee,
                status.value,
                value(opened),
                value(answered),
                value(resolved),
                value(closed),
                calendar_id,
                *response_row,
                *resolution_row,
                value(paused),
                str(clocks.sla_state),
                value(clocks.next_check_at),
                level,
            )

    requests = ctx.insert(ClientRequest, REQUEST_FIELDS, rows())
    events = ctx.insert(RequestEvent, EVENT_FIELDS, _events(ctx, timeline, rng))
    escalation_count = ctx.insert(Escalation, ESCALATION_FIELDS, escalations)
    ctx.insert(Escalation.notified.through, ["escalation_id", "user_id"], notified)
    return {"client requests": requests, "request events": events, "escalations": escalation_count}


def _events(ctx, timeline, rng):
    """Up to three timeline rows per request: opened, and the status changes that fit (see the module docstring)."""
    stamp = ctx.timestamp()
    choice = rng.choice

    value = datetime_writer(ctx)
    for pk, account_id, assignee, actor, kind, channel, status, opened, answered, paused, resolved, closed in timeline:
        head = (stamp, stamp, 1, account_id, pk)
        yield (
            *head,
            value(opened),
            actor,
            EventKind.OPENED.value,
            "",
            RequestStatus.NEW.value,
            f"Opened via {channel}.",
        )
        if resolved is not None:
            before = RequestStatus.NEW if answered == resolved else RequestStatus.IN_PROGRESS
            if status == RequestStatus.RESOLVED and before == RequestStatus.IN_PROGRESS:
                yield (*head, value(answered), assignee, EventKind.STATUS.value, "new", "in_progress", "")
            yield (
                *head,
                value(resolved),
                assignee,
                EventKind.STATUS.value,
                before.value,
                "resolved",
                choice(RESOLUTIONS[kind]),
            )
            if closed is not None:
                yield (*head, value(closed), assignee, EventKind.STATUS.value, "resolved", "closed", "")
        elif answered is not None:
            first_status = (
                status
                if status != RequestStatus.WAITING_ON_CLIENT
                else (RequestStatus.IN_PROGRESS if rng.random() < 0.6 else RequestStatus.ACKNOWLEDGED)
            )
            yield (*head, value(answered), assignee, EventKind.STATUS.value, "new", first_status.value, "")
            if paused is not None:
                yield (
                    *head,
                    value(paused),
                    assignee,
                    EventKind.STATUS.value,
                    first_status.value,
                    "waiting_on_client",
                    choice(WAITING_NOTES),
                )


@step("servicelevels.obligations", order=61)
def obligations(ctx):
    """Each key account's cadence obligations from its team's start (or the first generated month) to the period
    after the current one, as `services.generate_obligations` names and dates them; past ones mostly done by the
    key account manager with evidence, some (recent ones more often) still open."""
    rng = ctx.rng("servicelevels.obligations")
    portfolio = ctx.shared["accounts"]
    today = timezone.localdate(ctx.now)
    policies = list(SlaPolicy.objects.filter(active=True, kind=PolicyKind.CADENCE))
    managers = {
        account_id: (user_id, start)
        for account_id, user_id, start in AccountTeamMember._base_manager.filter(
            account_id__gte=portfolio.first_account_id,
            account_id__lte=portfolio.last_account_id,
            team_role="key_account_manager",
        )
        .order_by("pk")
        .values_list("account_id", "user_id", "start_date")
    }
    owners = {a.id: a.owner_id for a in portfolio.accounts if a.is_key}
    stamp = ctx.timestamp()
    rows = []
    for account_id in portfolio.key_account_ids:
        manager, started = managers.get(account_id, (owners.get(account_id), portfolio.months[0]))
        since = max(started, portfolio.months[0])
        for policy in policies:
            months = policy.target
            _, upcoming_end, _ = services.period_of(today, months)
            _, last_end, _ = services.period_of(upcoming_end + dt.timedelta(days=1), months)  # one period ahead
            day = since
            while True:
                start, end, label = services.period_of(day, months)
                if start > last_end:
                    break
                status, done_on, done_by, evidence = ObligationStatus.OPEN, None, None, ""
                if end < today:
                    age = (today - end).days
                    if rng.random() < (0.97 if age > 90 else 0.8):
                        status = ObligationStatus.DONE
                        done = end - dt.timedelta(days=rng.randint(0, min(20, (end - start).days)))
                        if rng.random() < 0.1:
                            done = end + dt.timedelta(days=rng.randint(1, 15))  # a little late
                        done_on, done_by = min(done, today).isoformat(), manager
                        texts = EVIDENCE.get(policy.key, ["Done: see the account folder."])
                        evidence = rng.choice(texts).format(label=label)
                rows.append(
                    (
                        stamp,
                        stamp,
                        2 if status == ObligationStatus.DONE else 1,
                        account_id,
                        policy.pk,
                        start.isoformat(),
                        label,
                        end.isoformat(),
                        status.value,
                        done_on,
                        done_by,
                        evidence,
                    )
                )
                day = end + dt.timedelta(days=1)
    return {"obligations": ctx.insert(Obligation, OBLIGATION_FIELDS, rows)}
