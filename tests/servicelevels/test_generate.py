"""The generated client requests and obligations (kam/servicelevels/generate.py): the clocks are the services' own —
re-planned and replayed through `services` they come out the same — the escalations are the ones the scheduler
would have made, the tenant is as its last sweep left it, and the obligations are those the daily job makes."""

import datetime as dt
import random
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db.models import Count, Max

from kam.accounts.models import Account
from kam.core.generate import generate
from kam.servicelevels import services
from kam.servicelevels.calendar import WorkingCalendar
from kam.servicelevels.generate import Clockwork, datetime_writer, instant, micros
from kam.servicelevels.models import (
    OPEN_STATUSES,
    BusinessCalendar,
    ClientRequest,
    ClockState,
    Escalation,
    Obligation,
    ObligationStatus,
    RequestEvent,
)

SCALE = 0.04  # 8,000 customers, 80 key accounts: 8,000 requests, 240 of them open

pytestmark = pytest.mark.django_db

CLOCK_FIELDS = [
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
    "first_response_at",
    "resolved_at",
    "closed_at",
    "paused_at",
    "sla_state",
    "next_check_at",
]


def last_sweep(ctx) -> dt.datetime:
    return ctx.now.replace(second=0, microsecond=0)


def replay(request: ClientRequest, now: dt.datetime) -> ClientRequest:
    """The request made again through the services on an unsaved copy: opened, then its status changes (the first
    response of a closed request is on the request, not in its timeline), then brought to `now`."""
    copy = ClientRequest(
        account=request.account,
        kind=request.kind,
        priority=request.priority,
        opened_at=request.opened_at,
        calendar=services.calendar_for(request.account),
    )
    services._plan_clocks(copy)
    services._summarise(copy)
    services._advance(copy, copy.opened_at, escalate=False, save=False)
    changes = list(
        request.events.filter(kind="status").order_by("at", "pk").values_list("from_status", "to_status", "at")
    )
    if request.first_response_at and (not changes or changes[0][0] != "new"):
        changes.insert(0, ("new", "in_progress", request.first_response_at))
    for old, new, at in changes:
        services._apply_status(copy, old, new, at)
        copy.status = new
        services._advance(copy, at, escalate=False, save=False)
    services._advance(copy, now, escalate=False, save=False)
    return copy


def test_the_clockwork_gives_the_calendars_own_answers():
    rng = random.Random(5)
    first, last = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2028, 1, 1, tzinfo=dt.UTC)
    calendars = [c.working_calendar() for c in BusinessCalendar.objects.all()] + [WorkingCalendar.twenty_four_seven()]
    for calendar in calendars:
        work = Clockwork(calendar, first, last)
        # Random instants, DST changes, holidays and the very edges of working days.
        starts = [
            first + dt.timedelta(seconds=rng.randint(0, 700 * 86_400), microseconds=rng.randint(0, 3))
            for _ in range(300)
        ]
        if not calendar.around_the_clock:
            starts += [instant(o) for o in work.openings[200:260]] + [instant(c) for c in work.closings[200:260]]
        for start in starts:
            for seconds in (0, 1, 6 * 3600, 8 * 3600, 24 * 3600, rng.randint(0, 100 * 3600)):
                due = calendar.add_working_seconds(start, seconds)
                assert instant(work.add(micros(start), seconds)) == due, (calendar.time_zone, start, seconds)
                end = start + dt.timedelta(seconds=rng.randint(-3600, 400_000))
                assert work.between(micros(start), micros(end)) == calendar.working_seconds_between(start, end)


def test_instants_are_written_as_the_database_reads_them():
    write = datetime_writer(SimpleNamespace(vendor="postgresql"))
    rng = random.Random(1)
    for value in [0, 1, 59_999_999, *(rng.randint(0, 4_000_000_000 * 1_000_000) for _ in range(2000))]:
        assert dt.datetime.fromisoformat(write(value)) == instant(value)
    assert (
        write(None) is None
        and write(micros(dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC))) == "2026-11-28T09:00:00+00:00"
    )


def test_a_scale_gives_its_requests_with_a_realistic_mix():
    ctx = generate(scale=SCALE)

    requests = ClientRequest.objects.all()
    assert requests.count() == ctx.counts["client requests"] == 8_000
    kinds = Counter(requests.values_list("kind", flat=True))
    assert 0.40 < kinds["inquiry"] / 8_000 < 0.50 and 0.03 < kinds["critical_issue"] / 8_000 < 0.07
    assert set(requests.filter(kind="critical_issue").values_list("priority", flat=True)) == {"critical"}
    assert set(requests.exclude(kind="critical_issue").values_list("priority", flat=True)) == {"low", "normal", "high"}
    open_requests = requests.filter(status__in=OPEN_STATUSES)
    assert open_requests.count() == 240
    assert set(open_requests.values_list("status", flat=True)) == set(OPEN_STATUSES)
    assert requests.filter(status="closed").count() > 6_000 and requests.filter(status="resolved").exists()
    # Open ones are recent; every request belongs to a key account's group; most to the key account itself.
    assert open_requests.filter(opened_at__lt=ctx.now - dt.timedelta(days=46)).count() == 0
    keys = set(Account.objects.filter(is_key_account=True).values_list("pk", flat=True))
    on_keys = requests.filter(account__in=keys).count()
    assert 0.6 < on_keys / 8_000 < 0.85
    asking = Account.objects.filter(client_requests__isnull=False).distinct().values_list("tree_path", flat=True)
    assert all(int(path.split("/")[1]) in keys for path in asking)
    # Assigned like services.open_request does it, with the calendar services.calendar_for gives.
    for request in requests.select_related("account").order_by("?")[:100]:
        assert request.assignee == services.default_assignee(request.account)
        assert request.calendar == services.calendar_for(request.account)
        assert request.requester.endswith(".example>") and request.subject
    # The timeline: opened first, at most three rows.
    per_request = RequestEvent.objects.values("request").annotate(n=Count("id"))
    assert per_request.count() == 8_000 and max(row["n"] for row in per_request) <= 3
    assert RequestEvent.objects.filter(kind="opened").count() == 8_000
    assert ctx.counts["request events"] == RequestEvent.objects.count()
    # The ids follow the openings.
    ordered = list(requests.order_by("pk").values_list("opened_at", flat=True))
    assert ordered == sorted(ordered)


def test_replanned_and_replayed_through_the_services_the_clocks_are_the_same():
    ctx = generate(scale=SCALE)
    now = last_sweep(ctx)
    rng = random.Random(3)

    open_ids = list(ClientRequest.objects.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True))
    sample = rng.sample(open_ids, min(200, len(open_ids)))
    for request in ClientRequest.objects.filter(pk__in=sample).select_related("account", "calendar"):
        copy = ClientRequest(
            account=request.account, priority=request.priority, opened_at=request.opened_at, calendar=request.calendar
        )
        services._plan_clocks(copy)
        assert (copy.response_due_at, copy.response_at_risk_at, copy.response_budget) == (
            request.response_due_at,
            request.response_at_risk_at,
            request.response_budget,
        )
        if request.resolution_due_at is not None:  # not paused
            assert (copy.resolution_due_at, copy.resolution_at_risk_at) == (
                request.resolution_due_at,
                request.resolution_at_risk_at,
            )

    # The whole lifecycle, for open and finished ones, critical issues included.
    others = list(ClientRequest.objects.exclude(pk__in=sample).values_list("pk", flat=True))
    critical = list(ClientRequest.objects.filter(kind="critical_issue").values_list("pk", flat=True))
    replayed = sample[:60] + rng.sample(others, 120) + rng.sample(critical, 60)
    for request in ClientRequest.objects.filter(pk__in=replayed).select_related("account", "calendar"):
        copy = replay(request, now)
        expected = {name: getattr(copy, name) for name in CLOCK_FIELDS}
        assert {name: getattr(request, name) for name in CLOCK_FIELDS} == expected, request.pk

    states = Counter(ClientRequest.objects.values_list("response_state", flat=True))
    assert states["met"] > states["missed"] > 0
    assert ClientRequest.objects.filter(resolution_state="missed").exists()
    open_states = Counter(ClientRequest.objects.filter(status__in=OPEN_STATUSES).values_list("sla_state", flat=True))
    assert open_states["on_track"] and open_states["at_risk"] + open_states["breached"]


def test_escalations_are_the_schedulers_and_it_finds_nothing_left_to_do():
    ctx = generate(scale=SCALE)
    now = last_sweep(ctx)

    assert Escalation.objects.count() == ctx.counts["escalations"] > 0
    assert not Escalation.objects.filter(at__gt=now).exists()
    levels = dict(Escalation.objects.values("request").annotate(top=Max("level")).values_list("request", "top"))
    assert dict(ClientRequest.objects.filter(escalation_level__gt=0).values_list("pk", "escalation_level")) == levels
    made = set(Escalation.objects.values_list("request", "clock", "trigger"))
    for request in ClientRequest.objects.filter(status__in=OPEN_STATUSES):
        for clock in ("response", "resolution"):
            state = getattr(request, f"{clock}_state")
            if state == ClockState.AT_RISK:
                assert (request.pk, clock, "at_risk") in made
                assert (request.pk, clock, "breach") not in made
            if state == ClockState.BREACHED and getattr(request, f"{clock}_due_at") is not None:
                assert (request.pk, clock, "breach") in made
            if state == ClockState.RUNNING:
                assert not {(request.pk, clock, "at_risk"), (request.pk, clock, "breach")} & made
        assert request.next_check_at is None or request.next_check_at > now
    # An escalation names the people it went to: the key account manager at level 1, the programme leads at level 2
    # (the generated teams have no team leader, and the reason says so).
    level_one = Escalation.objects.filter(level=1).select_related("request").first()
    assert list(level_one.notified.values_list("pk", flat=True)) == [level_one.request.assignee_id]
    level_two = Escalation.objects.filter(level=2).first()
    assert "programme leads were told" in level_two.reason and level_two.notified.exists()

    # The tenant is as the last sweep left it ...
    assert (services.sweep(now=now).checked, Escalation.objects.count()) == (0, ctx.counts["escalations"])
    # ... and two working hours later the sweep escalates each clock that crossed a threshold, once.
    later = BusinessCalendar.objects.get(is_default=True).working_calendar().add_working_seconds(now, 2 * 3600)
    expected = 0
    for request in ClientRequest.objects.filter(status__in=OPEN_STATUSES, next_check_at__lte=later):
        for clock in ("response", "resolution"):
            state, due = getattr(request, f"{clock}_state"), getattr(request, f"{clock}_due_at")
            at_risk = getattr(request, f"{clock}_at_risk_at")
            crossed = (state == ClockState.RUNNING and at_risk <= later) or (
                state == ClockState.AT_RISK and due <= later
            )
            expected += bool(crossed)
    result = services.sweep(now=later)
    assert result.escalated == expected > 0
    assert services.sweep(now=later).escalated == 0


def test_obligations_are_the_daily_jobs_and_past_ones_mostly_done():
    ctx = generate(scale=SCALE)
    today = ctx.now.date()

    assert Obligation.objects.count() == ctx.counts["obligations"] > 0
    assert services.generate_obligations(today=today) == 0  # the job finds every one it would make
    past = Obligation.objects.filter(due_date__lt=today)
    done = past.filter(status=ObligationStatus.DONE)
    assert done.count() > 0.85 * past.count()
    assert all(
        o.evidence and o.done_by_id == o.account.owner_id and o.done_on <= today
        for o in done.select_related("account")[:200]
    )
    assert not Obligation.objects.filter(due_date__gte=today, status=ObligationStatus.DONE).exists()
    assert set(Obligation.objects.values_list("account_id", flat=True)) == set(
        Account.objects.filter(is_key_account=True).values_list("pk", flat=True)
    )


def test_every_requests_summary_is_the_services_summary_of_its_clocks():
    generate(scale=0.005)

    for request in ClientRequest.objects.all():
        stored = (request.sla_state, request.next_check_at)
        services._summarise(request)
        assert (request.sla_state, request.next_check_at) == stored, request.pk
