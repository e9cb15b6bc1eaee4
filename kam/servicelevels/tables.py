"""The service-level lists (their columns drive the CSV/XLSX exports) and how their times are shown: in the client's
time zone, with the zone named, and in UTC."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from kam.core.tables import KamTable
from kam.servicelevels.models import BusinessCalendar, ClientRequest, ClockState, Obligation, SlaState

TIME = "%Y-%m-%d %H:%M"
NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


@dataclass(frozen=True)
class Moment:
    """One instant as people read it: the client's wall clock (zone named) and UTC."""

    instant: dt.datetime
    zone: str

    @property
    def local(self) -> str:
        return f"{self.instant.astimezone(ZoneInfo(self.zone)):{TIME}} {self.zone}"

    @property
    def utc(self) -> str:
        return f"{self.instant.astimezone(dt.UTC):{TIME}} UTC"

    def __str__(self):
        return self.local if self.zone == "UTC" else f"{self.local} ({self.utc})"


def moment(instant: dt.datetime | None, zone: str) -> Moment | None:
    return None if instant is None else Moment(instant, zone or "UTC")


def client_zone(request: ClientRequest) -> str:
    """The time zone of the client's calendar (UTC for a request without one)."""
    return request.calendar.time_zone if request.calendar_id else "UTC"


CLOCK_BADGE = {
    ClockState.RUNNING: "sla-on_track",
    ClockState.AT_RISK: "sla-at_risk",
    ClockState.BREACHED: "sla-breached",
    ClockState.PAUSED: "sla-paused",
    ClockState.MET: "sla-met",
    ClockState.MISSED: "sla-missed",
    ClockState.NONE: "sla-none",
}
STATE_BADGE = {
    SlaState.ON_TRACK: "sla-on_track",
    SlaState.AT_RISK: "sla-at_risk",
    SlaState.BREACHED: "sla-breached",
    SlaState.MET: "sla-met",
    SlaState.NONE: "sla-none",
}


def state_badge(state: str) -> str:
    return STATE_BADGE.get(state, "sla-none")


FLAG_BADGE = {"overdue": "sla-breached", "due soon": "sla-at_risk", "open": "sla-none", "done": "sla-met"}


def badge(text, css: str):
    return format_html('<span class="badge {}">{}</span>', css, text)


def next_due(request: ClientRequest) -> tuple[str, dt.datetime] | None:
    """The clock that falls due next, of those still running: ("first response" | "resolution", due instant)."""
    running = (ClockState.RUNNING, ClockState.AT_RISK, ClockState.BREACHED)
    dues = []
    if request.response_state in running and request.response_due_at:
        dues.append((request.response_due_at, "first response"))
    if request.resolution_state in running and request.resolution_due_at:
        dues.append((request.resolution_due_at, "resolution"))
    if not dues:
        return None
    due, name = min(dues)
    return name, due


class RequestTable(KamTable):
    reference = tables.Column(accessor="pk", verbose_name="Reference", order_by=("pk",))
    subject = tables.Column()
    account = tables.Column(order_by=("account__name", "account__account_number"))
    kind = tables.Column(verbose_name="Type")
    priority = tables.Column()
    status = tables.Column()
    sla_state = tables.Column(verbose_name="SLA")
    due = tables.Column(empty_values=(), orderable=False, verbose_name="Next due (client's time)")
    assignee = tables.Column(order_by=("assignee__full_name", "assignee__email"))
    # Ties broken by id: pages never repeat or skip a request, and newest first reads the request_newest_first index.
    opened_at = tables.DateTimeColumn(verbose_name="Opened (UTC)", format="Y-m-d H:i", order_by=("opened_at", "pk"))
    escalation_level = tables.Column(verbose_name="Level", attrs=NUM)

    class Meta:
        model = ClientRequest
        fields = (
            "reference",
            "subject",
            "account",
            "kind",
            "priority",
            "status",
            "sla_state",
            "due",
            "assignee",
            "opened_at",
            "escalation_level",
        )
        attrs = {"class": "table", "data-testid": "requests"}
        order_by = ("-opened_at",)
        empty_text = "No requests match."

    def render_reference(self, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record.reference)

    def value_reference(self, record=None, value=None):
        return record.reference

    def render_account(self, record):
        return format_html('<a href="{}?tab=service">{}</a>', record.account.get_absolute_url(), record.account.name)

    def value_account(self, record=None, value=None):
        return record.account.name

    def render_sla_state(self, record, value):
        return badge(value, state_badge(record.sla_state))

    def render_due(self, record):
        found = next_due(record)
        if found is None:
            return "—"
        name, due = found
        return format_html('{} <span class="meta">{}</span>', moment(due, client_zone(record)).local, name)

    def value_due(self, record=None, value=None):
        found = next_due(record)
        return "" if found is None else found[1].isoformat()

    def render_assignee(self, value):
        return value.display_name

    def value_assignee(self, record=None, value=None):
        return value.email if value else ""


class ObligationTable(KamTable):
    account = tables.Column(order_by=("account__name", "account__account_number"))
    policy = tables.Column(verbose_name="Commitment", order_by=("policy__position", "policy__pk"))
    period_label = tables.Column(verbose_name="Period", order_by=("period_start",))
    due_date = tables.DateColumn(verbose_name="Due", format="Y-m-d")
    flag = tables.Column(empty_values=(), orderable=False, verbose_name="Flag")
    done_on = tables.DateColumn(verbose_name="Done on", format="Y-m-d")
    done_by = tables.Column(verbose_name="By", order_by=("done_by__email",))
    evidence = tables.Column(orderable=False)
    act = tables.Column(empty_values=(), orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        model = Obligation
        fields = ("account", "policy", "period_label", "due_date", "flag", "done_on", "done_by", "evidence")
        attrs = {"class": "table", "data-testid": "obligations"}
        order_by = ("due_date",)
        empty_text = "No obligations match."

    def __init__(self, *args, can_change=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()
        self.can_change = can_change

    def render_account(self, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record.account.name)

    def value_account(self, record=None, value=None):
        return record.account.name

    def render_policy(self, record):
        return record.policy.responsibility

    def value_policy(self, record=None, value=None):
        return record.policy.responsibility

    def render_flag(self, record):
        flag = record.flag(self.today)
        return badge(flag.capitalize(), FLAG_BADGE[flag])

    def value_flag(self, record=None, value=None):
        return record.flag(self.today)

    def render_evidence(self, value):
        return value if len(value) <= 80 else value[:79] + "…"

    def render_act(self, record):
        if not self.can_change:
            return ""
        if record.status == "done":
            return format_html(
                '<form class="inline" method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" '
                'value="{}"><button class="link" type="submit">Reopen</button></form>',
                reverse("servicelevels:obligation_reopen", args=[record.pk]),
                self.csrf_token,
            )
        return format_html('<a href="{}">Mark done</a>', reverse("servicelevels:obligation_done", args=[record.pk]))

    @property
    def csrf_token(self):
        from django.middleware.csrf import get_token

        return get_token(self.request) if self.request is not None else ""


class CalendarTable(KamTable):
    name = tables.Column(linkify=True)
    time_zone = tables.Column()
    hours = tables.Column(empty_values=(), orderable=False, verbose_name="Working hours")
    regions = tables.Column(verbose_name="Used by regions")
    is_default = tables.BooleanColumn(verbose_name="Programme default", yesno="Yes,—")
    holiday_count = tables.Column(verbose_name="Holidays", attrs=NUM)

    class Meta:
        model = BusinessCalendar
        fields = ("name", "time_zone", "hours", "regions", "is_default", "holiday_count")
        attrs = {"class": "table", "data-testid": "calendars"}
        order_by = ("name",)
        empty_text = "No calendars: clocks count around the clock until you add one."

    def render_hours(self, record):
        return record.hours_label

    def value_hours(self, record=None, value=None):
        return record.hours_label
