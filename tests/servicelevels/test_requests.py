"""Client requests: clocks against hand-computed expectations, the workflow's rules, escalation exactly once, the
sweep, obligations and the commitments table."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from kam.accounts.models import Account
from kam.core.roles import Role
from kam.notifications.models import Notification
from kam.servicelevels import services
from kam.servicelevels.models import (
    BusinessCalendar,
    ClientRequest,
    ClockState,
    Escalation,
    Obligation,
    SlaPolicy,
    SlaState,
)
from tests import factories

SYDNEY = ZoneInfo("Australia/Sydney")
UTC = dt.UTC


def syd(*args):
    return dt.datetime(*args, tzinfo=SYDNEY)


@pytest.fixture
def apac(portfolio):
    """The own group is an Asia-Pacific client: its clocks count Sydney's working days."""
    Account.objects.filter(pk=portfolio.own.pk).update(region="APAC")
    portfolio.own.refresh_from_db()
    return portfolio.own


def open_critical(account, opened, now=None, **extra):
    return services.open_request(
        account,
        subject="Line 3 is down",
        kind="critical_issue",
        opened_at=opened,
        now=now or opened + dt.timedelta(minutes=1),
        **extra,
    )


def test_friday_evening_in_sydney(apac):
    # Friday 27 Nov 2026 17:55 AEDT (UTC+11), after hours: the clocks start on Monday 09:00.
    request = open_critical(apac, syd(2026, 11, 27, 17, 55))
    assert request.calendar.time_zone == "Australia/Sydney"
    assert request.priority == "critical"  # a critical issue is critical
    # First response: 1 working day = 8 h → Monday 30 Nov 17:00 AEDT; at risk after 6 h → 15:00.
    assert request.response_due_at == syd(2026, 11, 30, 17, 0)
    assert request.response_at_risk_at == syd(2026, 11, 30, 15, 0)
    # Resolution: 3 working days = 24 h → Wednesday 2 Dec 17:00; at risk after 18 h → Wednesday 11:00.
    assert request.resolution_due_at == syd(2026, 12, 2, 17, 0)
    assert request.resolution_at_risk_at == syd(2026, 12, 2, 11, 0)
    assert request.sla_state == SlaState.ON_TRACK
    assert request.next_check_at == syd(2026, 11, 30, 15, 0)


def test_pause_over_the_holidays_then_resume(apac):
    # Wednesday 23 Dec 09:00: 24 working hours = Wed 8 + Thu 8 + (Fri 25 and Mon 28 are holidays) Tue 29 8.
    request = open_critical(apac, syd(2026, 12, 23, 9, 0))
    assert request.resolution_due_at == syd(2026, 12, 29, 17, 0)
    request = services.change_status(request, "acknowledged", at=syd(2026, 12, 23, 9, 30), now=syd(2026, 12, 23, 9, 30))
    assert request.response_state == ClockState.MET
    # Waiting on the client from Thursday 13:00: 4 h that day + 8 h on Tuesday 29 remain.
    request = services.change_status(
        request, "waiting_on_client", at=syd(2026, 12, 24, 13, 0), now=syd(2026, 12, 24, 13, 0)
    )
    assert request.resolution_state == ClockState.PAUSED
    assert request.resolution_remaining == 12 * 3600
    assert request.next_check_at is None  # nothing can happen while paused
    # Back on Wednesday 30 Dec 10:00: 7 h that day, 5 h on Thursday 31 → 14:00.
    request = services.change_status(request, "in_progress", at=syd(2026, 12, 30, 10, 0), now=syd(2026, 12, 30, 10, 0))
    assert request.resolution_due_at == syd(2026, 12, 31, 14, 0)
    # At risk once only 6 h of the 24 remain: 12 − 6 = 6 working hours after 10:00 → Wednesday 16:00.
    assert request.resolution_at_risk_at == syd(2026, 12, 30, 16, 0)
    assert request.resolution_state == ClockState.RUNNING


def test_reopened_after_resolution_resumes_the_remaining_time(apac):
    request = open_critical(apac, syd(2026, 11, 30, 9, 0))
    request = services.change_status(request, "in_progress", at=syd(2026, 11, 30, 10, 0), now=syd(2026, 11, 30, 10, 0))
    request = services.change_status(
        request, "resolved", at=syd(2026, 11, 30, 12, 0), note="Restarted the line", now=syd(2026, 11, 30, 12, 0)
    )
    assert request.resolution_state == ClockState.MET
    assert request.resolution_remaining == 21 * 3600
    assert request.resolved_at == syd(2026, 11, 30, 12, 0)
    # Reopened the next morning at 09:00: 21 h remain → Tuesday 8 + Wednesday 8 + Thursday 5 → Thursday 14:00.
    request = services.change_status(request, "in_progress", at=syd(2026, 12, 1, 9, 0), now=syd(2026, 12, 1, 9, 0))
    assert request.resolved_at is None
    assert request.resolution_due_at == syd(2026, 12, 3, 14, 0)
    assert request.is_open


def test_the_workflow_refuses_what_it_does_not_allow(apac):
    request = open_critical(apac, syd(2026, 11, 30, 9, 0))
    with pytest.raises(ValidationError) as error:
        services.change_status(request, "closed", now=syd(2026, 11, 30, 9, 5))
    assert "cannot become closed" in error.value.message_dict["status"][0]
    with pytest.raises(ValidationError) as error:
        services.change_status(request, "resolved", at=syd(2026, 11, 30, 8, 0), note="x", now=syd(2026, 11, 30, 9, 5))
    assert "before the request was opened" in error.value.message_dict["at"][0]
    with pytest.raises(ValidationError) as error:
        services.change_status(request, "resolved", note="", now=syd(2026, 11, 30, 9, 5))
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.change_status(request, "acknowledged", at=syd(2026, 12, 30, 9, 0), now=syd(2026, 11, 30, 9, 5))
    assert "future" in error.value.message_dict["at"][0]
    with pytest.raises(ValidationError) as error:
        services.open_request(apac, subject="  ", opened_at=syd(2026, 12, 30, 9, 0), now=syd(2026, 11, 30, 9, 5))
    assert set(error.value.message_dict) == {"subject", "opened_at"}


def test_sweep_escalates_at_risk_then_breach_once_each(apac, users):
    leader = factories.make_user(Role.KEY_ACCOUNT_MANAGER)
    factories.add_member(apac, leader, "team_leader")
    request = open_critical(apac, syd(2026, 11, 30, 9, 0))
    assert request.assignee == users.kam
    # Monday 15:00: the first-response clock has used 6 of its 8 h → at risk → level 1 (the key account manager).
    result = services.sweep(now=syd(2026, 11, 30, 15, 0))
    assert (result.checked, result.escalated) == (1, 1)
    request.refresh_from_db()
    assert request.response_state == ClockState.AT_RISK and request.sla_state == SlaState.AT_RISK
    assert request.escalation_level == 1
    assert Notification.objects.filter(user=users.kam, title__contains=request.reference).count() == 1
    # Sweeping again at the same moment does nothing.
    assert services.sweep(now=syd(2026, 11, 30, 15, 30)).escalated == 0
    # Monday 17:00: breached → level 2, the account team leader.
    services.sweep(now=syd(2026, 11, 30, 17, 0))
    request.refresh_from_db()
    assert request.response_state == ClockState.BREACHED and request.sla_state == SlaState.BREACHED
    assert request.escalation_level == 2
    escalation = Escalation.objects.get(request=request, trigger="breach")
    assert list(escalation.notified.all()) == [leader]
    assert services.sweep(now=syd(2026, 11, 30, 18, 0)).escalated == 0
    assert Escalation.objects.filter(request=request).count() == 2


def test_two_schedulers_with_stale_copies_escalate_once(apac):
    request = open_critical(apac, syd(2026, 11, 30, 9, 0))
    first = ClientRequest.objects.get(pk=request.pk)
    second = ClientRequest.objects.get(pk=request.pk)  # read before the first one wrote
    now = syd(2026, 11, 30, 17, 30)
    made = services._advance(first, now) + services._advance(second, now)
    assert len(made) == 1
    assert Escalation.objects.filter(request=request, trigger="breach", clock="response").count() == 1


def test_manual_escalation_needs_a_reason_and_stops_at_the_top(apac, users):
    request = open_critical(apac, syd(2026, 11, 30, 9, 0))
    with pytest.raises(ValidationError):
        services.escalate(request, users.kam, "")
    for _ in range(3):
        services.escalate(request, users.kam, "Client's CEO called")
        request.refresh_from_db()
    assert request.escalation_level == 3
    with pytest.raises(ValidationError) as error:
        services.escalate(request, users.kam, "Again")
    assert "top of the escalation path" in error.value.message_dict["reason"][0]
    # Nobody holds the team leader role here: the programme leads were told instead.
    level_two = Escalation.objects.get(request=request, level=2)
    assert list(level_two.notified.all()) == [users.lead]
    assert "programme leads were told" in level_two.reason


def test_around_the_clock_override_counts_real_hours(apac):
    policy = SlaPolicy.objects.get(key="first_response")
    services.set_override(apac, policy, 24, "hours", "clock")
    request = open_critical(apac, syd(2026, 11, 27, 17, 55))
    assert request.response_due_at == syd(2026, 11, 28, 17, 55)
    table = dict(services.commitment_table(apac))
    assert table["Response to client inquiries"] == "First response within 24 hours; around the clock"
    assert table["Issue resolution"] == (
        "Resolved within 3 working days (critical requests); Mon–Fri 09:00–17:00, Australia/Sydney"
    )
    assert table["Account reviews"] == "Every quarter"


def test_a_new_critical_priority_starts_the_resolution_clock_from_the_opening(apac):
    request = services.open_request(
        apac, subject="Question", opened_at=syd(2026, 11, 30, 9, 0), now=syd(2026, 11, 30, 9, 1)
    )
    assert request.resolution_state == ClockState.NONE
    request = services.update_request(request, {"priority": "critical"})
    assert request.resolution_due_at == syd(2026, 12, 2, 17, 0)
    request = services.update_request(request, {"priority": "normal"})
    assert request.resolution_state == ClockState.NONE and request.resolution_due_at is None


def test_assignee_must_be_on_the_team(apac, portfolio):
    with pytest.raises(ValidationError) as error:
        services.open_request(apac, subject="Hello", assignee=portfolio.other_kam)
    assert "not on this account's team" in error.value.message_dict["assignee"][0]


def test_obligations_are_generated_ahead_once(apac):
    Account.objects.filter(pk=apac.pk).update(is_key_account=True)
    created = services.generate_obligations(today=dt.date(2026, 11, 28))
    # quarterly: 2026-Q4 and 2027-Q1; monthly: 2026-11 and 2026-12; annual: 2026 and 2027.
    assert created == 6
    labels = set(Obligation.objects.filter(account=apac).values_list("period_label", flat=True))
    assert labels == {"2026-Q4", "2027-Q1", "2026-11", "2026-12", "2026", "2027"}
    assert Obligation.objects.get(account=apac, period_label="2026-Q4").due_date == dt.date(2026, 12, 31)
    assert services.generate_obligations(today=dt.date(2026, 11, 28)) == 0
    obligation = Obligation.objects.get(account=apac, period_label="2026-11")
    assert obligation.flag(dt.date(2026, 11, 28)) == "due soon"
    assert obligation.flag(dt.date(2026, 12, 1)) == "overdue"
    with pytest.raises(ValidationError):
        services.complete_obligation(obligation, None, "")
    done = services.complete_obligation(obligation, None, "KPI mail sent 27 Nov")
    assert done.flag(dt.date(2026, 12, 1)) == "done"


def test_calendar_follows_the_region_unless_the_account_sets_one(apac, portfolio):
    assert services.calendar_for(apac).time_zone == "Australia/Sydney"
    assert services.calendar_for(portfolio.other) == BusinessCalendar.objects.get(is_default=True)
    london = BusinessCalendar.objects.get(time_zone="Europe/London")
    services.set_account_calendar(apac, london)
    assert services.calendar_for(apac) == london


def test_period_labels():
    assert services.period_of(dt.date(2026, 11, 28), 3) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026-Q4")
    assert services.period_of(dt.date(2026, 2, 10), 6)[2] == "2026-H1"
    assert services.period_of(dt.date(2026, 12, 31), 1) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31), "2026-12")
