"""Relationship service levels (seed 000's SLA table) and client requests with SLA clocks and escalation.

- `BusinessCalendar` + `Holiday`: the client's working hours, time zone and holidays; SLA clocks count them.
- `SlaPolicy`: the programme's commitments as data (first response, critical resolution, and the cadences: quarterly
  review, monthly KPI update, annual plan update); `PolicyOverride` is one account's own value from its charter.
- `AccountServiceSettings`: which calendar an account's clocks use.
- `Obligation`: one dated occurrence of a cadence commitment for one key account (e.g. "Quarterly review, 2026-Q4").
- `ClientRequest` (+ `RequestEvent`, `Escalation`): a client's inquiry, issue, critical issue or change request,
  its workflow, its two clocks (first response, resolution) and the escalations along the account's path.
"""

import datetime as dt
from functools import cache, cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from kam.accounts.models import AccountScopedModel
from kam.core.models import KamModel
from kam.core.roles import Role

# The programme's rules (calendars, policies, the default escalation path) are read by every role and changed by the
# programme lead and administrators only.
READ_ONLY_FOR_TEAMS = {
    Role.KEY_ACCOUNT_MANAGER: frozenset({"view"}),
    Role.EXECUTIVE_SPONSOR: frozenset({"view"}),
    Role.VIEWER: frozenset({"view"}),
}

# Work on an account's requests, obligations and service settings: its key account manager opens, updates and
# escalates requests and sets the commitments its charter promises; executive sponsors and viewers read them.
TEAM_WORK = {
    Role.KEY_ACCOUNT_MANAGER: frozenset({"view", "add", "change"}),
    Role.EXECUTIVE_SPONSOR: frozenset({"view"}),
    Role.VIEWER: frozenset({"view"}),
}


@cache
def known_time_zones() -> frozenset[str]:
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


def validate_time_zone(value: str):
    if value not in known_time_zones():
        raise ValidationError(f"“{value}” is not a known time zone; use an IANA name such as Europe/Berlin.")


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
weekdays_validator = RegexValidator(
    r"^[0-6](,[0-6])*$", "Working days as numbers 0 (Monday) to 6 (Sunday), comma-separated, e.g. 0,1,2,3,4."
)


class BusinessCalendar(KamModel):
    """When a client's clock runs: working days and hours in the client's time zone, minus holidays."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(
        max_length=64, default="Europe/Berlin", validators=[validate_time_zone], help_text="IANA name."
    )
    weekdays = models.CharField(
        "working days",
        max_length=13,
        default="0,1,2,3,4",
        validators=[weekdays_validator],
        help_text="0 = Monday … 6 = Sunday, comma-separated.",
    )
    day_start = models.TimeField("working day starts", default=dt.time(9, 0))
    day_end = models.TimeField("working day ends", default=dt.time(17, 0))
    regions = models.CharField(
        max_length=200,
        blank=True,
        help_text="Account regions (comma-separated, e.g. EMEA) whose accounts use this calendar unless set otherwise.",
    )
    is_default = models.BooleanField(
        "programme default", default=False, help_text="Used for accounts whose region no calendar names."
    )

    permission_actions = READ_ONLY_FOR_TEAMS

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"),
            models.CheckConstraint(
                condition=Q(day_end__gt=models.F("day_start")), name="calendar_day_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("servicelevels:calendar", args=[self.pk])

    @classmethod
    def scope_filter(cls, user):
        return Q()

    @property
    def weekday_set(self) -> frozenset[int]:
        return frozenset(int(day) for day in self.weekdays.split(",") if day.strip())

    @property
    def hours_label(self) -> str:
        days = sorted(self.weekday_set)
        if days and days == list(range(days[0], days[-1] + 1)):
            span = f"{WEEKDAY_NAMES[days[0]]}–{WEEKDAY_NAMES[days[-1]]}" if len(days) > 1 else WEEKDAY_NAMES[days[0]]
        else:
            span = ", ".join(WEEKDAY_NAMES[d] for d in days)
        return f"{span} {self.day_start:%H:%M}–{self.day_end:%H:%M}, {self.time_zone}"

    def working_calendar(self):
        from kam.servicelevels.calendar import WorkingCalendar

        return WorkingCalendar(
            time_zone=self.time_zone,
            weekdays=self.weekday_set,
            day_start=self.day_start,
            day_end=self.day_end,
            holidays=frozenset(self.holidays.values_list("date", flat=True)),
        )


class Holiday(KamModel):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100)

    permission_actions = READ_ONLY_FOR_TEAMS

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_calendar_day")]

    def __str__(self):
        return f"{self.name} ({self.date:%Y-%m-%d})"

    def get_absolute_url(self):
        return self.calendar.get_absolute_url()

    @classmethod
    def scope_filter(cls, user):
        return Q()


class PolicyKind(models.TextChoices):
    RESPONSE = "response", "First response to a request"
    RESOLUTION = "resolution", "Resolution of a request"
    CADENCE = "cadence", "Recurring commitment"


class TargetUnit(models.TextChoices):
    HOURS = "hours", "hours"
    DAYS = "days", "days"
    MONTHS = "months", "months"


class ClockMode(models.TextChoices):
    BUSINESS = "business", "business hours of the client's calendar"
    AROUND_THE_CLOCK = "clock", "around the clock (24×7)"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class SlaPolicy(KamModel):
    """One commitment of the programme. Request policies (response, resolution) set a clock on each request they
    apply to; cadence policies become dated obligations per key account. An account's charter may override the
    target (PolicyOverride)."""

    key = models.CharField(
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", "Lower-case letters, digits and _ only.")],
        help_text="A short fixed name for the API, e.g. first_response.",
    )
    responsibility = models.CharField(
        max_length=120, help_text="As the charter's SLA table names it, e.g. Response to client inquiries."
    )
    kind = models.CharField(max_length=12, choices=PolicyKind.choices)
    priorities = models.CharField(
        max_length=60,
        blank=True,
        help_text="Request policies: the priorities it applies to (comma-separated: low, normal, high, critical); "
        "blank = every request.",
    )
    target = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10_000)])
    unit = models.CharField(max_length=8, choices=TargetUnit.choices)
    clock = models.CharField(
        max_length=10,
        choices=ClockMode.choices,
        default=ClockMode.BUSINESS,
        help_text="Request policies: what time counts. Days in business hours are working days.",
    )
    at_risk_percent = models.PositiveSmallIntegerField(
        "at risk at (% of the time used)",
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="A running clock is flagged at risk once this share of its time is used.",
    )
    due_soon_days = models.PositiveSmallIntegerField(
        default=14, validators=[MaxValueValidator(366)], help_text="Cadence policies: flag an obligation this early."
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    permission_actions = READ_ONLY_FOR_TEAMS

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self):
        return self.responsibility

    def get_absolute_url(self):
        return reverse("servicelevels:policy_list")

    @classmethod
    def scope_filter(cls, user):
        return Q()

    @property
    def priority_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.priorities.split(",") if p.strip())

    def applies_to(self, priority: str) -> bool:
        return not self.priority_set or priority in self.priority_set


class AccountServiceSettings(AccountScopedModel):
    """An account's own service settings: the calendar its clocks use (blank: the calendar of its region, else the
    programme default)."""

    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE, related_name="service_settings")
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL)

    permission_actions = TEAM_WORK

    class Meta:
        verbose_name = "account service settings"
        verbose_name_plural = "account service settings"

    def __str__(self):
        return f"Service settings of {self.account}"

    def get_absolute_url(self):
        return reverse("servicelevels:account_policies", args=[self.account_id])


class PolicyOverride(AccountScopedModel):
    """The account's charter sets its own target for one commitment (e.g. first response within 4 hours)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="sla_overrides")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="overrides")
    target = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10_000)])
    unit = models.CharField(max_length=8, choices=TargetUnit.choices)
    clock = models.CharField(max_length=10, choices=ClockMode.choices, default=ClockMode.BUSINESS)

    permission_actions = {**TEAM_WORK, Role.KEY_ACCOUNT_MANAGER: frozenset({"view", "add", "change", "delete"})}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "policy"], name="one_override_per_account_policy")]

    def __str__(self):
        return f"{self.policy} for {self.account}"

    def get_absolute_url(self):
        return reverse("servicelevels:account_policies", args=[self.account_id])


class EscalationLevel(KamModel):
    """One step of an escalation path: whom a request goes to at this level. Rows without account are the
    programme's default path; an account with rows of its own uses only those."""

    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="escalation_levels"
    )
    level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(9)])
    team_role = models.CharField(
        max_length=32, blank=True, help_text="The account team role at this level (e.g. team_leader)."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="A named person instead of a team role.",
    )

    # The programme's default path (account empty) is changed by global roles only: the services check it.
    permission_actions = {**TEAM_WORK, Role.KEY_ACCOUNT_MANAGER: frozenset({"view", "add", "change", "delete"})}

    class Meta:
        ordering = ["account_id", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "level"], condition=Q(account__isnull=False), name="one_account_escalation_level"
            ),
            models.UniqueConstraint(
                fields=["level"], condition=Q(account__isnull=True), name="one_default_escalation_level"
            ),
            models.CheckConstraint(
                condition=~Q(team_role="") | Q(user__isnull=False), name="escalation_level_names_someone"
            ),
        ]

    def __str__(self):
        return f"Level {self.level}"

    def get_absolute_url(self):
        if self.account_id:
            return reverse("servicelevels:account_policies", args=[self.account_id])
        return reverse("servicelevels:policy_list")

    @classmethod
    def scope_filter(cls, user):
        from kam.accounts.models import Account

        return Q(account__isnull=True) | Q(account__in=Account.objects.filter(Account.scope_filter(user)).values("pk"))

    @property
    def audit_account_id(self):
        return self.account_id


class ObligationStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class Obligation(AccountScopedModel):
    """One dated occurrence of a cadence commitment on a key account, generated ahead by the scheduler."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="obligations")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="obligations")
    period_start = models.DateField()
    period_label = models.CharField(max_length=20, help_text="e.g. 2026-Q4, 2026-11, 2026.")
    due_date = models.DateField(db_index=True)
    status = models.CharField(max_length=8, choices=ObligationStatus.choices, default=ObligationStatus.OPEN)
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence = models.TextField(blank=True, help_text="What shows it was done: minutes, a link, the deck's name.")

    permission_actions = TEAM_WORK

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "policy", "period_start"], name="one_obligation_per_period")
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="obligation_open_by_due")]

    def __str__(self):
        return f"{self.policy.responsibility} {self.period_label}"

    def get_absolute_url(self):
        return reverse("accounts:account", args=[self.account_id]) + "?tab=service"

    def flag(self, today: dt.date) -> str:
        """overdue / due soon / open / done, as of `today`."""
        if self.status == ObligationStatus.DONE:
            return "done"
        if self.due_date < today:
            return "overdue"
        if (self.due_date - today).days <= self.policy.due_soon_days:
            return "due soon"
        return "open"


class RequestKind(models.TextChoices):
    INQUIRY = "inquiry", "Inquiry"
    ISSUE = "issue", "Issue"
    CRITICAL_ISSUE = "critical_issue", "Critical issue"
    CHANGE_REQUEST = "change_request", "Change request"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    PORTAL = "portal", "Portal"
    CHAT = "chat", "Chat (Slack, Teams…)"
    MEETING = "meeting", "Meeting"
    OTHER = "other", "Other"


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_ON_CLIENT = "waiting_on_client", "Waiting on client"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (
    RequestStatus.NEW,
    RequestStatus.ACKNOWLEDGED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.WAITING_ON_CLIENT,
)

# The workflow: from each status, where a request may go next. Reopening (resolved/closed → in progress) is allowed.
TRANSITIONS = {
    RequestStatus.NEW: (
        RequestStatus.ACKNOWLEDGED,
        RequestStatus.IN_PROGRESS,
        RequestStatus.WAITING_ON_CLIENT,
        RequestStatus.RESOLVED,
    ),
    RequestStatus.ACKNOWLEDGED: (RequestStatus.IN_PROGRESS, RequestStatus.WAITING_ON_CLIENT, RequestStatus.RESOLVED),
    RequestStatus.IN_PROGRESS: (RequestStatus.WAITING_ON_CLIENT, RequestStatus.RESOLVED),
    RequestStatus.WAITING_ON_CLIENT: (RequestStatus.IN_PROGRESS, RequestStatus.RESOLVED),
    RequestStatus.RESOLVED: (RequestStatus.CLOSED, RequestStatus.IN_PROGRESS),
    RequestStatus.CLOSED: (RequestStatus.IN_PROGRESS,),
}


class ClockState(models.TextChoices):
    NONE = "none", "No target"
    RUNNING = "running", "On track"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    MISSED = "missed", "Missed"


class SlaState(models.TextChoices):
    """The request's worst clock, for queues and filters."""

    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"
    NONE = "none", "—"


class ClientRequest(AccountScopedModel):
    """A client's request and its SLA clocks.

    Each clock (first response, resolution) has a budget in seconds of its calendar's counting time (business or
    around the clock), fixed when the request is opened from the account's effective policy. While a clock runs it
    has a due instant and an at-risk instant; while it is paused (waiting on the client, or resolved) it keeps the
    working seconds it had left instead, so pausing never shortens what remains. `next_check_at` is the earliest
    instant at which a clock's state changes by itself: the scheduler's sweep reads only requests whose moment has
    come (an index range), not every open request."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="client_requests")
    external_id = models.CharField(
        max_length=64, blank=True, help_text="The request's id in the source system (requests.csv request_id)."
    )
    kind = models.CharField("type", max_length=16, choices=RequestKind.choices, default=RequestKind.INQUIRY)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    requester = models.CharField(max_length=200, blank=True, help_text="Who at the client asked (name, e-mail).")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_requests"
    )
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.NEW)
    opened_at = models.DateTimeField(help_text="When the client asked: the clocks start here.")
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    response_clock = models.CharField(max_length=10, choices=ClockMode.choices, blank=True)
    response_budget = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds of counting time.")
    response_due_at = models.DateTimeField(null=True, blank=True)
    response_at_risk_at = models.DateTimeField(null=True, blank=True)
    response_state = models.CharField(max_length=10, choices=ClockState.choices, default=ClockState.NONE)
    resolution_clock = models.CharField(max_length=10, choices=ClockMode.choices, blank=True)
    resolution_budget = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds of counting time.")
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_at_risk_at = models.DateTimeField(null=True, blank=True)
    resolution_remaining = models.PositiveIntegerField(
        null=True, blank=True, help_text="While paused: seconds of counting time left."
    )
    resolution_state = models.CharField(max_length=10, choices=ClockState.choices, default=ClockState.NONE)
    paused_at = models.DateTimeField(null=True, blank=True)
    sla_state = models.CharField(max_length=10, choices=SlaState.choices, default=SlaState.NONE)
    next_check_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    permission_actions = TEAM_WORK

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = "client request"
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="one_request_per_external_id"
            ),
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True) | Q(first_response_at__gte=models.F("opened_at")),
                name="request_response_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("opened_at")),
                name="request_resolution_after_opening",
            ),
        ]
        indexes = [
            models.Index(fields=["next_check_at"], condition=Q(next_check_at__isnull=False), name="request_sweep"),
            models.Index(fields=["sla_state", "opened_at"], name="request_attention"),
            # The list's default order (newest first): a page of 25 reads 25 index entries instead of sorting all.
            models.Index(fields=["-opened_at", "-id"], name="request_newest_first"),
            models.Index(fields=["account", "opened_at"], name="request_by_account"),
            models.Index(fields=["status", "opened_at"], name="request_by_status"),
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

    def get_absolute_url(self):
        return reverse("servicelevels:request", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"R-{self.pk:06d}" if self.pk else "R-new"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @cached_property
    def working_calendar(self):
        from kam.servicelevels.calendar import WorkingCalendar

        if self.calendar_id is None:
            return WorkingCalendar.twenty_four_seven()
        return self.calendar.working_calendar()

    def clock_calendar(self, mode: str):
        from kam.servicelevels.calendar import WorkingCalendar

        if mode == ClockMode.AROUND_THE_CLOCK:
            return WorkingCalendar.twenty_four_seven()
        return self.working_calendar


class EventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    STATUS = "status", "Status changed"
    COMMENT = "comment", "Comment"
    ESCALATED = "escalated", "Escalated"
    CLOCK = "clock", "Clock"
    ASSIGNED = "assigned", "Assigned"


class RequestEvent(AccountScopedModel):
    """The request's timeline: what happened, when, by whom."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(ClientRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)

    permission_actions = TEAM_WORK

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return self.request.get_absolute_url()


class EscalationTrigger(models.TextChoices):
    AT_RISK = "at_risk", "At risk"
    BREACH = "breach", "Breached"
    MANUAL = "manual", "Manual"


class Escalation(AccountScopedModel):
    """A request moved up its account's escalation path. Automatic escalations are unique per request, clock and
    trigger: two schedulers racing on the same request insert one row (the database refuses the second)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(ClientRequest, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    trigger = models.CharField(max_length=10, choices=EscalationTrigger.choices)
    clock = models.CharField(max_length=12, blank=True, help_text="response or resolution (automatic ones).")
    reason = models.TextField(blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notified = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    permission_actions = TEAM_WORK

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "clock", "trigger"],
                condition=~Q(trigger="manual"),
                name="one_automatic_escalation_per_clock_and_trigger",
            )
        ]
        indexes = [models.Index(fields=["at"], name="escalation_by_time")]

    def __str__(self):
        return f"Escalation to level {self.level} ({self.get_trigger_display()})"

    def get_absolute_url(self):
        return self.request.get_absolute_url()
