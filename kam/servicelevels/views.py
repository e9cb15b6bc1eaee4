"""Pages of kam.servicelevels: client requests (list, new, detail with the workflow, comments and escalation), the
queue of what is at risk or late, compliance, the programme's policies, default escalation path and calendars, one
account's service levels, the obligations, and the account page's "Requests & SLAs" tab.

Every page asks the permission choke point first (PermissionMixin, `restrict`); every write calls
kam.servicelevels.services, whose ValidationErrors come back onto the forms."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView, View
from django.views.generic.edit import FormView

from kam.accounts.models import Account
from kam.core.exports import csv_response
from kam.core.forms import add_validation_errors
from kam.core.permissions import ADD, CHANGE, DELETE, VIEW, has_global_scope, role_allows
from kam.core.services import StaleObject
from kam.core.views import ObjectDetailView, ObjectListView, PermissionMixin
from kam.servicelevels import analysis, services
from kam.servicelevels.filtersets import CalendarFilterSet, ObligationFilterSet, RequestFilterSet
from kam.servicelevels.forms import (
    AccountCalendarForm,
    CalendarForm,
    CommentForm,
    ComplianceForm,
    EscalateForm,
    HolidayForm,
    LevelFormSet,
    ObligationDoneForm,
    OverrideForm,
    PolicyForm,
    RequestEditForm,
    RequestForm,
    StatusForm,
    accounts_for_requests,
    autofocus_first,
    path_initial,
    steps_from,
)
from kam.servicelevels.models import (
    OPEN_STATUSES,
    AccountServiceSettings,
    BusinessCalendar,
    ClientRequest,
    ClockMode,
    ClockState,
    EscalationLevel,
    EventKind,
    Holiday,
    Obligation,
    ObligationStatus,
    PolicyKind,
    PolicyOverride,
    RequestStatus,
    SlaPolicy,
    SlaState,
)
from kam.servicelevels.tables import (
    CLOCK_BADGE,
    FLAG_BADGE,
    CalendarTable,
    ObligationTable,
    RequestTable,
    client_zone,
    moment,
    state_badge,
)
from kam.teams.services import managers_by_account

# What the workflow's buttons say, by target status (and, for "in progress", where the request comes from).
STATUS_BUTTONS = {
    RequestStatus.ACKNOWLEDGED: "Acknowledge",
    RequestStatus.IN_PROGRESS: "Start work",
    RequestStatus.WAITING_ON_CLIENT: "Wait on the client",
    RequestStatus.RESOLVED: "Resolve",
    RequestStatus.CLOSED: "Close",
}
CLOCK_NAMES = {"response": "First response", "resolution": "Resolution"}


def _status_button(current: str, target: str) -> str:
    if target == RequestStatus.IN_PROGRESS:
        if current in (RequestStatus.RESOLVED, RequestStatus.CLOSED):
            return "Reopen"
        if current == RequestStatus.WAITING_ON_CLIENT:
            return "Client answered: resume"
    return STATUS_BUTTONS.get(target, RequestStatus(target).label)


def _next_url(request, default: str) -> str:
    """`?next=` when it is a path on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _wall_clock_now(zone: str) -> dt.datetime:
    """Now on the wall clocks of `zone`, to the minute (a form's default time)."""
    return timezone.now().astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)


def _hours(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60:02d} min" if rest else f"{hours} h"


@dataclass
class Attention:
    """Why a request is in the queue: its worst clock."""

    request: ClientRequest
    clock: str
    state: str
    due: dt.datetime | None
    manager: object = None

    @property
    def breached(self) -> bool:
        return self.state in (ClockState.BREACHED, ClockState.MISSED)

    @property
    def clock_name(self) -> str:
        return CLOCK_NAMES[self.clock]

    @property
    def state_label(self) -> str:
        return ClockState(self.state).label

    @property
    def badge(self) -> str:
        return CLOCK_BADGE[self.state]

    @property
    def due_moment(self):
        return moment(self.due, client_zone(self.request))


ATTENTION_STATES = (ClockState.BREACHED, ClockState.MISSED, ClockState.AT_RISK)
FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


def _worst_clock(response_state, response_due, resolution_state, resolution_due):
    """The clock that put a request in the queue — a breached (or missed) one before an at-risk one, then the one
    due first — as (urgency key, clock, state, due), or None."""
    found = []
    for clock, state, due in (
        ("response", response_state, response_due),
        ("resolution", resolution_state, resolution_due),
    ):
        if state in ATTENTION_STATES:
            breached = state in (ClockState.BREACHED, ClockState.MISSED)
            found.append(((not breached, due is None, due or FAR), clock, state, due))
    return min(found, key=lambda item: item[0]) if found else None


def attention(request: ClientRequest) -> Attention | None:
    worst = _worst_clock(
        request.response_state, request.response_due_at, request.resolution_state, request.resolution_due_at
    )
    return Attention(request, *worst[1:]) if worst else None


def queue_order(user) -> list[tuple]:
    """Every open request at risk or breached in the user's scope, most urgent first, as light tuples (urgency, pk,
    clock, state, due): sorting reads five columns per request; whole rows are built for the page shown only."""
    rows = (
        ClientRequest.objects.restrict(user, VIEW)
        .filter(status__in=OPEN_STATUSES, sla_state__in=(SlaState.AT_RISK, SlaState.BREACHED))
        .values_list("pk", "response_state", "response_due_at", "resolution_state", "resolution_due_at")
    )
    entries = []
    for pk, *clocks in rows:
        worst = _worst_clock(*clocks)
        if worst is not None:
            entries.append(((*worst[0], pk), pk, *worst[1:]))
    entries.sort(key=lambda entry: entry[0])
    return entries


def queue_rows(user, entries=None) -> list[Attention]:
    """Attention rows (request, worst clock, key account manager) for `entries` of `queue_order` (default: all)."""
    entries = queue_order(user) if entries is None else list(entries)
    requests = ClientRequest.objects.select_related("account", "assignee", "calendar").in_bulk(
        [entry[1] for entry in entries]
    )
    rows = [Attention(requests[pk], clock, state, due) for _, pk, clock, state, due in entries if pk in requests]
    managers = managers_by_account({row.request.account_id: row.request.account for row in rows}.values())
    for row in rows:
        row.manager = managers.get(row.request.account_id)
    return rows


# Client requests ------------------------------------------------------------------------------------------------


class RequestListView(ObjectListView):
    model = ClientRequest
    table_class = RequestTable
    filterset_class = RequestFilterSet
    subnav_template = "servicelevels/_nav.html"
    title = "Client requests"
    export_stem = "client-requests"
    add_url_name = "servicelevels:request_add"
    add_label = "New request"
    empty_message = "No client requests yet. Log one when a client asks: its SLA clocks start at once."

    def get_queryset(self):
        return super().get_queryset().select_related("account", "assignee", "calendar")


class RequestCreateView(PermissionMixin, FormView):
    model = ClientRequest
    action = ADD
    form_class = RequestForm
    template_name = "servicelevels/request_form.html"

    def accounts(self):
        return accounts_for_requests(self.request.user)

    def preselected(self):
        try:
            pk = int(self.request.GET.get("account", ""))
        except ValueError:
            return None
        return self.accounts().filter(pk=pk).first()

    def zone(self):
        account = self.preselected()
        calendar = services.calendar_for(account) if account is not None else None
        return calendar.time_zone if calendar is not None else settings.TIME_ZONE

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(accounts=self.accounts(), zone=self.zone())
        return kwargs

    def get_initial(self):
        return {"account": self.preselected(), "opened_at": _wall_clock_now(self.zone())}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account"] = self.preselected()
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            request = services.open_request(
                data["account"],
                subject=data["subject"],
                by=self.request.user,
                kind=data["kind"],
                priority=data["priority"],
                channel=data["channel"],
                description=data["description"],
                requester=data["requester"],
                assignee=data["assignee"],
                opened_at=data["opened_at"],
                external_id=data["external_id"].strip(),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        due = []
        zone = client_zone(request)
        if request.response_due_at:
            due.append(f"first response due {moment(request.response_due_at, zone).local}")
        if request.resolution_due_at:
            due.append(f"resolution due {moment(request.resolution_due_at, zone).local}")
        messages.success(
            self.request, f"{request.reference} opened" + (f": {'; '.join(due)}." if due else " (no SLA clock).")
        )
        return HttpResponseRedirect(request.get_absolute_url())


def _clock(request: ClientRequest, name: str) -> dict | None:
    state = getattr(request, f"{name}_state")
    if state == ClockState.NONE:
        return None
    zone = client_zone(request)
    mode = getattr(request, f"{name}_clock")
    done_at = request.first_response_at if name == "response" else request.resolved_at
    remaining = request.resolution_remaining if name == "resolution" else None
    return {
        "key": name,
        "name": CLOCK_NAMES[name],
        "state": ClockState(state).label,
        "badge": CLOCK_BADGE[state],
        "mode": ClockMode(mode).label if mode else "—",
        "budget": _hours(getattr(request, f"{name}_budget")),
        "due": moment(getattr(request, f"{name}_due_at"), zone),
        "at_risk": moment(getattr(request, f"{name}_at_risk_at"), zone),
        "done": moment(done_at, zone),
        "remaining": _hours(remaining) if remaining is not None else None,
    }


def _status_label(status: str) -> str:
    return RequestStatus(status).label.lower() if status in RequestStatus.values else status


def _status_change(event) -> str:
    if not event.to_status or event.kind == EventKind.OPENED:
        return ""
    if not event.from_status:
        return _status_label(event.to_status)
    return f"{_status_label(event.from_status)} → {_status_label(event.to_status)}"


def _path_rows(account) -> list[dict]:
    """The account's escalation path with who is at each level today."""
    from kam.teams.roles import catalogue

    roles = catalogue()
    rows = []
    for level in services.escalation_path(account):
        people = services.people_at(level, account) if account is not None else ([level.user] if level.user else [])
        role = roles.get(level.team_role)
        rows.append(
            {
                "level": level.level,
                "who": str(level.user) if level.user_id else (role.name if role else level.team_role),
                "people": ", ".join(p.display_name for p in people) or "nobody yet: the programme leads are told",
                "is_account_path": level.account_id is not None,
            }
        )
    return rows


class RequestDetailView(ObjectDetailView):
    model = ClientRequest
    template_name = "servicelevels/request_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("account", "assignee", "calendar")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.object
        zone = client_zone(request)
        path = _path_rows(request.account)
        can_change = self.can(CHANGE)
        context.update(
            zone=zone,
            opened=moment(request.opened_at, zone),
            first_response=moment(request.first_response_at, zone),
            resolved=moment(request.resolved_at, zone),
            closed=moment(request.closed_at, zone),
            clocks=[c for c in (_clock(request, "response"), _clock(request, "resolution")) if c],
            sla_badge=state_badge(request.sla_state),
            path=path,
            path_is_own=any(row["is_account_path"] for row in path),
            manager=managers_by_account([request.account]).get(request.account_id),
            events=[
                {"event": event, "at": moment(event.at, zone), "change": _status_change(event)}
                for event in request.events.select_related("actor").order_by("at", "pk")
            ],
            escalations=[
                {
                    "escalation": e,
                    "at": moment(e.at, zone),
                    "notified": ", ".join(p.display_name for p in e.notified.all()),
                }
                for e in request.escalations.select_related("by").prefetch_related("notified")
            ],
            transitions=[(s, _status_button(request.status, s)) for s in services.allowed_next(request.status)]
            if can_change
            else [],
            can_escalate=can_change and request.is_open and request.escalation_level < len(path),
            status_form=kwargs.get("status_form") or StatusForm(zone=zone, initial={"zone": zone}),
            comment_form=kwargs.get("comment_form") or CommentForm(),
        )
        return context


class RequestStatusView(RequestDetailView):
    """POST: move the request to the status its button names."""

    action = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        self.object = client_request = self.get_object()
        form = StatusForm(request.POST, zone=client_zone(client_request))
        if form.is_valid():
            data = form.cleaned_data
            before = client_request.status
            try:
                client_request = services.change_status(
                    client_request, data["status"], request.user, at=data["at"], note=data["note"]
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, self._said(client_request, before))
                return HttpResponseRedirect(client_request.get_absolute_url())
        return self.render_to_response(self.get_context_data(status_form=form))

    @staticmethod
    def _said(client_request, before: str) -> str:
        text = f"{client_request.reference} is now {client_request.get_status_display().lower()}."
        if before == RequestStatus.NEW and client_request.response_state in (ClockState.MET, ClockState.MISSED):
            text += f" First response {ClockState(client_request.response_state).label.lower()}."
        if client_request.resolution_state == ClockState.PAUSED:
            text += " The resolution clock is paused until the client answers."
        elif client_request.resolution_state in (ClockState.MET, ClockState.MISSED):
            text += f" Resolution {ClockState(client_request.resolution_state).label.lower()}."
        return text


class RequestCommentView(RequestDetailView):
    action = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        self.object = client_request = self.get_object()
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                services.comment(client_request, form.cleaned_data["note"], request.user)
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, "Comment added to the timeline.")
                return HttpResponseRedirect(client_request.get_absolute_url() + "#timeline")
        return self.render_to_response(self.get_context_data(comment_form=form))


class RequestObjectMixin(PermissionMixin):
    """Pages about one request that the user may change."""

    model = ClientRequest
    action = CHANGE

    def get_request_object(self) -> ClientRequest:
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                self.get_queryset().select_related("account", "assignee", "calendar"), pk=self.kwargs["pk"]
            )
        return self._object

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.get_request_object()
        context["cancel_url"] = self.get_request_object().get_absolute_url()
        return context


class RequestEscalateView(RequestObjectMixin, FormView):
    form_class = EscalateForm
    template_name = "servicelevels/escalate_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        client_request = self.get_request_object()
        path = _path_rows(client_request.account)
        level = client_request.escalation_level + 1
        context.update(
            path=path,
            next_level=next((row for row in path if row["level"] == level), None),
            title=f"Escalate {client_request.reference}",
        )
        return context

    def form_valid(self, form):
        client_request = self.get_request_object()
        try:
            escalation = services.escalate(client_request, self.request.user, form.cleaned_data["reason"])
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        people = ", ".join(p.display_name for p in escalation.notified.all()) or "nobody"
        messages.success(
            self.request, f"{client_request.reference} escalated to level {escalation.level}; notified: {people}."
        )
        return HttpResponseRedirect(client_request.get_absolute_url())


class RequestEditView(RequestObjectMixin, FormView):
    form_class = RequestEditForm
    template_name = "servicelevels/form.html"
    editable = ("subject", "kind", "priority", "channel", "requester", "description", "assignee")

    def get_initial(self):
        client_request = self.get_request_object()
        initial = {name: getattr(client_request, name) for name in self.editable}
        initial["version"] = client_request.version
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = f"Edit {self.get_request_object()}"
        context["submit_label"] = "Save"
        return context

    def form_valid(self, form):
        client_request = self.get_request_object()
        data = {name: form.cleaned_data[name] for name in self.editable if name in form.changed_data}
        if not data:
            messages.info(self.request, "Nothing changed.")
            return HttpResponseRedirect(client_request.get_absolute_url())
        try:
            client_request = services.update_request(
                client_request, data, by=self.request.user, expected_version=form.cleaned_data.get("version")
            )
        except (StaleObject, ValidationError) as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{client_request.reference} saved.")
        return HttpResponseRedirect(client_request.get_absolute_url())


class QueueView(PermissionMixin, TemplateView):
    """What needs attention now: open requests at risk or breached, across the programme (the user's scope)."""

    model = ClientRequest
    template_name = "servicelevels/queue.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            header = [
                "Reference",
                "Subject",
                "Account",
                "Account number",
                "Key account manager",
                "Assignee",
                "Type",
                "Priority",
                "Status",
                "Clock",
                "Clock state",
                "Due (UTC)",
                "Due (client's time)",
                "Escalation level",
            ]
            rows = [
                [
                    r.request.reference,
                    r.request.subject,
                    r.request.account.name,
                    r.request.account.account_number,
                    r.manager.email if r.manager else "",
                    r.request.assignee.email if r.request.assignee else "",
                    r.request.get_kind_display(),
                    r.request.get_priority_display(),
                    r.request.get_status_display(),
                    r.clock_name,
                    r.state_label,
                    r.due.isoformat() if r.due else "",
                    r.due_moment.local if r.due else "",
                    r.request.escalation_level,
                ]
                for r in queue_rows(request.user)
            ]
            return csv_response([header, *rows], "sla-queue")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entries = queue_order(self.request.user)
        page = Paginator(entries, 50).get_page(self.request.GET.get("page"))
        page.object_list = queue_rows(self.request.user, page.object_list)
        context["page"] = page
        context["breached"] = sum(1 for entry in entries if entry[3] in (ClockState.BREACHED, ClockState.MISSED))
        context["at_risk"] = len(entries) - context["breached"]
        return context


class ComplianceView(PermissionMixin, TemplateView):
    """SLA compliance and time to first response and resolution, per account, manager, segment or month."""

    model = ClientRequest
    template_name = "servicelevels/compliance.html"

    def report(self):
        form = ComplianceForm(self.request.GET or None)
        period = group_by = ""
        if form.is_bound and form.is_valid():
            period, group_by = form.cleaned_data["period"], form.cleaned_data["group_by"]
        elif form.is_bound:
            return form, None
        try:
            start, end, label = analysis.period_bounds(period)
        except ValueError as error:
            form.add_error("period", str(error))
            return form, None
        group_by = group_by or "account"
        total, rows = analysis.compliance(ClientRequest.objects.restrict(self.request.user, VIEW), group_by, start, end)
        return form, {"total": total, "rows": rows, "label": label, "group_by": group_by, "start": start, "end": end}

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            form, report = self.report()
            if report is not None:
                header = [
                    dict(ComplianceForm.base_fields["group_by"].choices)[report["group_by"]],
                    "Requests",
                    "First response ≤ 24 h %",
                    "Critical requests",
                    "Critical resolved ≤ 72 h %",
                    "Met their own clocks %",
                    "Median hours to first response",
                    "P90 hours to first response",
                    "Median hours to resolution",
                    "P90 hours to resolution",
                ]
                rows = [
                    [
                        row.label,
                        row.requests,
                        row.first_response_percent,
                        row.critical,
                        row.critical_resolution_percent,
                        row.met_clock_percent,
                        row.median_response_hours,
                        row.p90_response_hours,
                        row.median_resolution_hours,
                        row.p90_resolution_hours,
                    ]
                    for row in [*report["rows"], report["total"]]
                ]
                return csv_response([header, *rows], f"sla-compliance-{report['label']}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, report = self.report()
        context.update(form=form, report=report)
        return context


# The programme's rules: policies, the default escalation path, calendars ----------------------------------------


def _applies_to(policy: SlaPolicy) -> str:
    if policy.kind == PolicyKind.CADENCE:
        return "Every key account"
    if not policy.priority_set:
        return "Every request"
    return ", ".join(sorted(policy.priority_set)).capitalize() + " requests"


class PolicyListView(PermissionMixin, TemplateView):
    model = SlaPolicy
    template_name = "servicelevels/policy_list.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            header = [
                "Key",
                "Responsibility",
                "Kind",
                "Applies to",
                "Target",
                "Unit",
                "Clock",
                "At risk at %",
                "Active",
            ]
            rows = [
                [
                    p.key,
                    p.responsibility,
                    p.get_kind_display(),
                    _applies_to(p),
                    p.target,
                    p.unit,
                    p.get_clock_display(),
                    p.at_risk_percent,
                    "Yes" if p.active else "No",
                ]
                for p in self.get_queryset()
            ]
            return csv_response([header, *rows], "sla-policies")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            policies=[(policy, _applies_to(policy)) for policy in self.get_queryset()],
            path=_path_rows(None),
            calendars=BusinessCalendar.objects.restrict(user, VIEW),
            can_change=self.can(CHANGE),
            can_change_path=has_global_scope(user) and role_allows(user, CHANGE, EscalationLevel),
        )
        return context


class PolicyEditView(PermissionMixin, FormView):
    model = SlaPolicy
    action = CHANGE
    form_class = PolicyForm
    template_name = "servicelevels/form.html"

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, instance=self.get_object())
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = self.get_object()
        context.update(
            title=f"Edit “{policy}”",
            intro=f"{policy.get_kind_display()} ({policy.key}). Requests keep the clocks they were given when they "
            "were opened; a change applies to requests opened from now on. An account's charter may override "
            "the target on its Service levels page.",
            submit_label="Save",
            cancel_url=reverse("servicelevels:policy_list"),
        )
        return context

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            policy = services.save_policy(self.get_object(), data, expected_version=form.cleaned_data.get("version"))
        except (StaleObject, ValidationError) as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Policy “{policy}” saved.")
        return HttpResponseRedirect(reverse("servicelevels:policy_list"))


def _path_errors(error: ValidationError) -> list[str]:
    return [m for messages_ in getattr(error, "message_dict", {"": error.messages}).values() for m in messages_]


class EscalationPathView(PermissionMixin, TemplateView):
    """The programme's default escalation path (accounts without their own use it): programme lead, administrator."""

    model = EscalationLevel
    action = CHANGE
    template_name = "servicelevels/escalation_path.html"

    def dispatch(self, request, *args, **kwargs):
        # KAMs change their own accounts' paths (model permission), never the programme's.
        if request.user.is_authenticated and not has_global_scope(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        default = EscalationLevel.objects.filter(account__isnull=True).order_by("level")
        context["formset"] = kwargs.get("formset") or LevelFormSet(initial=path_initial(default), prefix="levels")
        context["path"] = _path_rows(None)
        return context

    def post(self, request, *args, **kwargs):
        formset = LevelFormSet(request.POST, prefix="levels")
        if formset.is_valid():
            try:
                levels = services.set_escalation_path(None, steps_from(formset))
            except ValidationError as error:
                return self.render_to_response(self.get_context_data(formset=formset, errors=_path_errors(error)))
            messages.success(request, f"The programme's escalation path has {len(levels)} levels.")
            return HttpResponseRedirect(reverse("servicelevels:policy_list"))
        return self.render_to_response(self.get_context_data(formset=formset))


class CalendarListView(ObjectListView):
    model = BusinessCalendar
    table_class = CalendarTable
    filterset_class = CalendarFilterSet
    subnav_template = "servicelevels/_nav.html"
    title = "Working calendars"
    export_stem = "calendars"
    add_url_name = "servicelevels:calendar_add"
    add_label = "New calendar"
    empty_message = "No working calendars yet: clocks count around the clock until one is added."

    def get_queryset(self):
        return super().get_queryset().annotate(holiday_count=Count("holidays"))


class CalendarDetailView(ObjectDetailView):
    model = BusinessCalendar
    template_name = "servicelevels/calendar_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        calendar = self.object
        today = timezone.localdate()
        holidays = list(calendar.holidays.all())
        context.update(
            upcoming=[h for h in holidays if h.date >= today],
            past=[h for h in holidays if h.date < today][-20:],
            holiday_form=HolidayForm(),
            can_add_holiday=self.can(ADD, Holiday),
            can_delete_holiday=self.can(DELETE, Holiday),
            accounts_using=AccountServiceSettings.objects.filter(calendar=calendar).count(),
            regions=[r.strip() for r in calendar.regions.split(",") if r.strip()],
        )
        return context


class CalendarEditView(PermissionMixin, FormView):
    model = BusinessCalendar
    form_class = CalendarForm
    template_name = "core/object_edit.html"

    def dispatch(self, request, *args, **kwargs):
        self.action = CHANGE if "pk" in kwargs else ADD
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, instance=self.get_object() or BusinessCalendar())
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        calendar = self.get_object()
        context.update(
            object=calendar,
            verbose_name="working calendar",
            cancel_url=calendar.get_absolute_url() if calendar else reverse("servicelevels:calendar_list"),
        )
        return context

    def form_valid(self, form):
        try:
            calendar = services.save_calendar(
                self.get_object() or BusinessCalendar(),
                form.service_data(),
                expected_version=form.cleaned_data.get("version"),
            )
        except (StaleObject, ValidationError) as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Calendar “{calendar}” saved: {calendar.hours_label}.")
        return HttpResponseRedirect(calendar.get_absolute_url())


class HolidayAddView(PermissionMixin, FormView):
    model = Holiday
    action = ADD
    form_class = HolidayForm
    template_name = "servicelevels/form.html"

    def get_calendar(self):
        return get_object_or_404(BusinessCalendar.objects.restrict(self.request.user, VIEW), pk=self.kwargs["pk"])

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        autofocus_first(form)
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        calendar = self.get_calendar()
        context.update(
            title=f"Add a holiday to {calendar}",
            intro="No clock counts on a holiday: requests opened before it are due a working day later.",
            submit_label="Add the holiday",
            cancel_url=calendar.get_absolute_url(),
        )
        return context

    def form_valid(self, form):
        calendar = self.get_calendar()
        try:
            holiday = services.add_holiday(calendar, form.cleaned_data["date"], form.cleaned_data["name"])
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{holiday} added to {calendar}.")
        return HttpResponseRedirect(calendar.get_absolute_url())


class HolidayDeleteView(PermissionMixin, View):
    model = Holiday
    action = DELETE
    http_method_names = ["post"]

    def post(self, request, pk, holiday):
        holiday = get_object_or_404(self.get_queryset().select_related("calendar"), pk=holiday, calendar_id=pk)
        services.delete_holiday(holiday)
        messages.success(request, f"{holiday} removed from {holiday.calendar}.")
        return HttpResponseRedirect(holiday.calendar.get_absolute_url())


# One account's service levels -------------------------------------------------------------------------------------


def may_change_service_settings(user) -> bool:
    """Administrators, programme leads and key account managers (on the accounts they see)."""
    return all(
        role_allows(user, action, model)
        for action, model in ((CHANGE, AccountServiceSettings), (CHANGE, PolicyOverride), (CHANGE, EscalationLevel))
    )


class AccountPoliciesView(PermissionMixin, TemplateView):
    """An account's calendar, its commitments (the programme's, or its charter's own) and its escalation path."""

    model = Account
    template_name = "servicelevels/account_policies.html"

    def get_account(self) -> Account:
        if not hasattr(self, "_account"):
            self._account = get_object_or_404(Account.objects.restrict(self.request.user, VIEW), pk=self.kwargs["pk"])
        return self._account

    def url(self):
        return reverse("servicelevels:account_policies", args=[self.get_account().pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.get_account()
        own = AccountServiceSettings.objects.filter(account=account).select_related("calendar").first()
        calendar = services.calendar_for(account)
        if own is not None and own.calendar_id:
            source = "its own"
        elif calendar is not None and not calendar.is_default:
            source = f"from its region ({account.region})"
        elif calendar is not None:
            source = "the programme default"
        else:
            source = "none: clocks count around the clock"
        override_forms = kwargs.get("override_forms", {})
        policies = []
        for effective in services.effective_policies(account):
            policy = effective.policy
            form = override_forms.get(policy.pk) or OverrideForm(
                initial={"target": effective.target, "unit": effective.unit, "clock": effective.clock},
                prefix=f"p{policy.pk}",
            )
            policies.append(
                {
                    "effective": effective,
                    "policy": policy,
                    "text": effective.describe(calendar),
                    "programme": services.EffectivePolicy(
                        policy, policy.target, policy.unit, policy.clock, False
                    ).describe(calendar),
                    "form": form,
                }
            )
        own_levels = list(EscalationLevel.objects.filter(account=account).order_by("level"))
        context.update(
            account=account,
            object=account,
            calendar=calendar,
            calendar_source=source,
            calendar_form=kwargs.get("calendar_form")
            or AccountCalendarForm(initial={"calendar": own.calendar_id if own else None}),
            policies=policies,
            path=_path_rows(account),
            path_is_own=bool(own_levels),
            path_formset=kwargs.get("path_formset")
            or LevelFormSet(initial=path_initial(own_levels or services.escalation_path(account)), prefix="levels"),
            path_errors=kwargs.get("path_errors", []),
            commitments=services.commitment_table(account),
            can_edit=may_change_service_settings(self.request.user),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not may_change_service_settings(request.user):
            raise PermissionDenied
        account = self.get_account()
        which = request.POST.get("form")
        handler = {
            "calendar": self._calendar,
            "override": self._override,
            "clear": self._clear,
            "path": self._path,
            "path_default": self._path_default,
        }.get(which)
        if handler is None:
            messages.error(request, "Choose what to change.")
            return HttpResponseRedirect(self.url())
        return handler(request, account)

    def _calendar(self, request, account):
        form = AccountCalendarForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(calendar_form=form))
        services.set_account_calendar(account, form.cleaned_data["calendar"])
        chosen = services.calendar_for(account)
        messages.success(
            request,
            f"New requests of {account} count {chosen.hours_label if chosen else 'around the clock'}; open requests "
            "keep their clocks.",
        )
        return HttpResponseRedirect(self.url())

    def _policy(self, request):
        raw = request.POST.get("policy_id", "")
        return SlaPolicy.objects.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None

    def _override(self, request, account):
        policy = self._policy(request)
        if policy is None:
            messages.error(request, "Choose the commitment to change.")
            return HttpResponseRedirect(self.url())
        form = OverrideForm(request.POST, prefix=f"p{policy.pk}")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.set_override(account, policy, data["target"], data["unit"], data["clock"])
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, f"{account}'s own commitment for “{policy}” saved.")
                return HttpResponseRedirect(self.url())
        return self.render_to_response(self.get_context_data(override_forms={policy.pk: form}))

    def _clear(self, request, account):
        policy = self._policy(request)
        if policy is None:
            messages.error(request, "Choose the commitment to return to the programme's value.")
        else:
            services.clear_override(account, policy)
            messages.success(request, f"“{policy}” follows the programme's value again for {account}.")
        return HttpResponseRedirect(self.url())

    def _path(self, request, account):
        formset = LevelFormSet(request.POST, prefix="levels")
        if not formset.is_valid():
            return self.render_to_response(self.get_context_data(path_formset=formset))
        steps = steps_from(formset)
        if not steps:
            return self.render_to_response(
                self.get_context_data(
                    path_formset=formset,
                    path_errors=["Name at least one level, or go back to the programme's default path."],
                )
            )
        try:
            services.set_escalation_path(account, steps)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(path_formset=formset, path_errors=_path_errors(error)))
        messages.success(request, f"{account} has its own escalation path of {len(steps)} levels.")
        return HttpResponseRedirect(self.url())

    def _path_default(self, request, account):
        services.set_escalation_path(account, [])
        messages.success(request, f"{account} follows the programme's escalation path again.")
        return HttpResponseRedirect(self.url())


# Obligations ----------------------------------------------------------------------------------------------------


class ObligationListView(ObjectListView):
    model = Obligation
    table_class = ObligationTable
    filterset_class = ObligationFilterSet
    subnav_template = "servicelevels/_nav.html"
    title = "Obligations"
    export_stem = "obligations"
    empty_message = (
        "No obligations yet. The scheduler plans each key account's reviews, KPI updates and plan updates ahead: "
        "designate key accounts in Selection."
    )

    def get_queryset(self):
        return super().get_queryset().select_related("account", "policy", "done_by")

    def get_table(self, data, paginate=True):
        table = super().get_table(data, paginate)
        table.can_change = self.can(CHANGE)
        return table


class ObligationMixin(PermissionMixin):
    model = Obligation
    action = CHANGE

    def get_obligation(self) -> Obligation:
        if not hasattr(self, "_obligation"):
            self._obligation = get_object_or_404(
                self.get_queryset().select_related("account", "policy"), pk=self.kwargs["pk"]
            )
        return self._obligation

    def back_url(self):
        return _next_url(self.request, reverse("servicelevels:obligation_list"))


class ObligationDoneView(ObligationMixin, FormView):
    form_class = ObligationDoneForm
    template_name = "servicelevels/form.html"

    def get_initial(self):
        return {"done_on": timezone.localdate(), "version": self.get_obligation().version}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obligation = self.get_obligation()
        context.update(
            title=f"{obligation.policy.responsibility} {obligation.period_label}: done",
            intro=f"{obligation.account}, due {obligation.due_date:%Y-%m-%d}. Say what shows it was done; the "
            "evidence is kept with the obligation and in the audit trail.",
            submit_label="Mark done",
            cancel_url=self.back_url(),
            next=self.request.GET.get("next", ""),
        )
        return context

    def form_valid(self, form):
        obligation = self.get_obligation()
        try:
            obligation = services.complete_obligation(
                obligation,
                self.request.user,
                form.cleaned_data["evidence"],
                form.cleaned_data["done_on"],
                expected_version=form.cleaned_data.get("version"),
            )
        except (StaleObject, ValidationError) as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{obligation.policy.responsibility} {obligation.period_label} of {obligation.account} marked done "
            f"on {obligation.done_on:%Y-%m-%d}.",
        )
        return HttpResponseRedirect(self.back_url())


class ObligationReopenView(ObligationMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        obligation = services.reopen_obligation(self.get_obligation())
        messages.success(
            request,
            f"{obligation.policy.responsibility} {obligation.period_label} of {obligation.account} is open again.",
        )
        return HttpResponseRedirect(self.back_url())


# The account page's tab -----------------------------------------------------------------------------------------


def account_tab_context(request, account) -> dict:
    """What this app's tab on the account page shows (the account is already permission-checked)."""
    user = request.user
    today = timezone.localdate()
    open_requests = list(
        ClientRequest.objects.restrict(user, VIEW)
        .filter(account=account, status__in=OPEN_STATUSES)
        .select_related("assignee", "calendar")
    )
    rows = []
    for client_request in open_requests:
        found = attention(client_request)
        upcoming = [
            getattr(client_request, f"{clock}_due_at")
            for clock in ("response", "resolution")
            if getattr(client_request, f"{clock}_state") in (ClockState.RUNNING, ClockState.AT_RISK)
        ]
        due = min((d for d in upcoming if d), default=None)
        rows.append(
            {
                "request": client_request,
                "badge": state_badge(client_request.sla_state),
                "due": moment(found.due if found else due, client_zone(client_request)),
                "order": (
                    {SlaState.BREACHED: 0, SlaState.AT_RISK: 1}.get(client_request.sla_state, 2),
                    (found.due if found else due) or dt.datetime.max.replace(tzinfo=dt.UTC),
                ),
            }
        )
    rows.sort(key=lambda row: row["order"])
    # The overdue ones, and the next one of each commitment.
    obligations, seen = [], set()
    for obligation in (
        Obligation.objects.restrict(user, VIEW)
        .filter(account=account, status=ObligationStatus.OPEN)
        .select_related("policy")
        .order_by("due_date", "policy__position")[:200]
    ):
        if obligation.due_date < today or obligation.policy_id not in seen:
            obligations.append(obligation)
            seen.add(obligation.policy_id)
    context = {
        "sla_requests": rows,
        "sla_can_add_request": role_allows(user, ADD, ClientRequest),
        "sla_can_change": role_allows(user, CHANGE, Obligation),
        "sla_obligations": [
            {"obligation": o, "flag": o.flag(today), "badge": FLAG_BADGE[o.flag(today)]} for o in obligations
        ],
        "sla_commitments": services.commitment_table(account),
    }
    start, end, label = analysis.period_bounds(None)
    total, _rows = analysis.compliance(
        ClientRequest.objects.restrict(user, VIEW).filter(account=account), "account", start, end
    )
    context["sla_compliance"] = {"total": total, "label": label}
    return context
