"""The service-level pages: requests (list, new, detail and its workflow, comments, escalation, edit), the queue,
compliance, policies, the default path, calendars, an account's service levels, obligations and the account tab.
Who may open which page is in tests/servicelevels/access.py; here: what the pages show and do. Times are fixed by
passing them to the services (`opened_at=`, `now=`, `at=`), never by waiting."""

import csv
import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from kam.accounts.models import Account
from kam.notifications.models import Notification
from kam.servicelevels import services
from kam.servicelevels.models import (
    BusinessCalendar,
    ClientRequest,
    ClockState,
    EscalationLevel,
    Holiday,
    Obligation,
    PolicyOverride,
    SlaPolicy,
)

pytestmark = pytest.mark.django_db
SYDNEY = ZoneInfo("Australia/Sydney")


def syd(*args):
    return dt.datetime(*args, tzinfo=SYDNEY)


@pytest.fixture
def apac(portfolio):
    """The own group is an Asia-Pacific client (Sydney's working calendar) and a key account."""
    Account.objects.filter(pk=portfolio.own.pk).update(region="APAC", is_key_account=True)
    portfolio.own.refresh_from_db()
    return portfolio.own


def open_request(account, opened, **extra):
    extra.setdefault("subject", "Line 3 is down")
    return services.open_request(account, opened_at=opened, now=opened + dt.timedelta(minutes=1), **extra)


def text(response) -> str:
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def follow(client, response):
    assert response.status_code == 302, text(response)[:500]
    return client.get(response["Location"])


# Requests: list and export ---------------------------------------------------------------------------------------


def test_the_list_shows_the_requests_in_scope_and_exports_them(login, users, apac, portfolio):
    mine = open_request(apac, syd(2026, 11, 16, 9, 0), kind="critical_issue")
    theirs = open_request(portfolio.other, syd(2026, 11, 16, 9, 0), subject="Invoice question")
    client = login(users.kam)
    page = text(client.get(reverse("servicelevels:request_list")))
    assert mine.reference in page and theirs.reference not in page
    assert "2026-11-16 17:00 Australia/Sydney" in page  # next due, in the client's time

    rows = csv_rows(client.get(reverse("servicelevels:request_list") + "?export=csv"))
    assert rows[0][:4] == ["Reference", "Subject", "Account", "Type"]
    assert [row[:4] for row in rows[1:]] == [[mine.reference, "Line 3 is down", "Own Group", "Critical issue"]]
    assert rows[1][rows[0].index("Next due (client's time)")] == "2026-11-16T06:00:00+00:00"

    xlsx = client.get(reverse("servicelevels:request_list") + "?export=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")

    partial = text(client.get(reverse("servicelevels:request_list") + "?priority=critical", HTTP_HX_REQUEST="true"))
    assert partial.lstrip().startswith('<div id="results">') and mine.reference in partial


def test_the_list_finds_a_request_by_reference_and_filters_by_sla_state(login, users, apac):
    late = open_request(apac, syd(2026, 11, 9, 9, 0), subject="Old question")
    services.sweep(now=syd(2026, 11, 16, 9, 0))
    fresh = open_request(apac, syd(2026, 11, 16, 9, 0), subject="New question")
    client = login(users.kam)
    found = text(client.get(reverse("servicelevels:request_list") + f"?q={late.reference}"))
    assert late.reference in found and fresh.reference not in found
    breached = text(client.get(reverse("servicelevels:request_list") + "?sla_state=breached"))
    assert late.reference in breached and fresh.reference not in breached
    closed = text(client.get(reverse("servicelevels:request_list") + "?is_open=false"))
    assert "Nothing matches these filters" in closed


# Requests: opening one -------------------------------------------------------------------------------------------


def test_the_new_request_form_preselects_the_account_and_the_clients_time_zone(login, users, apac):
    page = text(login(users.kam).get(reverse("servicelevels:request_add") + f"?account={apac.pk}"))
    assert f'<option value="{apac.pk}" selected>Own Group (OWN-1)</option>' in page
    assert '<option value="Australia/Sydney" selected>' in page
    assert 'name="subject" maxlength="200" autofocus' in page  # the account is chosen: the subject comes first


def test_the_new_request_form_only_offers_accounts_the_user_works_on(login, users, apac, portfolio):
    client = login(users.kam)
    page = text(client.get(reverse("servicelevels:request_add")))
    assert "Own Group (OWN-1)" in page and "Own Subsidiary (OWN-1-1)" in page and "Other Group" not in page
    response = client.post(
        reverse("servicelevels:request_add"),
        {
            "account": portfolio.other.pk,
            "subject": "Sneaky",
            "kind": "inquiry",
            "priority": "normal",
            "channel": "email",
            "opened_at": "2026-11-16T09:00",
            "zone": "UTC",
        },
    )
    assert response.status_code == 200 and "Select a valid choice" in text(response)
    assert not ClientRequest.objects.exists()


def test_with_many_accounts_the_account_is_typed_by_its_number(login, users, apac, portfolio, monkeypatch):
    from kam.servicelevels import forms

    monkeypatch.setattr(forms, "CHOOSER_LIMIT", 1)
    client = login(users.kam)
    page = text(client.get(reverse("servicelevels:request_add") + f"?account={apac.pk}"))
    assert 'name="account" value="OWN-1"' in page and '<select name="account"' not in page
    hidden = client.post(reverse("servicelevels:request_add"), _new_request(account="OTH-1"))
    assert hidden.context["form"].errors["account"] == ["No account with this number that you can work on."]
    saved = client.post(reverse("servicelevels:request_add"), _new_request(account="OWN-1-1"))
    assert saved.status_code == 302 and ClientRequest.objects.get().account == portfolio.own_child


def _new_request(**overrides):
    return {
        "subject": "Line 3 is down",
        "kind": "critical_issue",
        "priority": "normal",
        "channel": "phone",
        "requester": "Ana Silva",
        "description": "",
        "assignee": "",
        "opened_at": "2026-11-13T17:55",
        "zone": "Australia/Sydney",
        "external_id": "",
        **overrides,
    }


def test_a_backdated_request_gets_its_clocks_in_the_clients_working_hours(login, users, apac):
    client = login(users.kam)
    response = client.post(reverse("servicelevels:request_add"), _new_request(account=apac.pk))
    request = ClientRequest.objects.get()
    assert response["Location"] == request.get_absolute_url()
    # Friday 17:55 in Sydney, after hours: one working day → Monday 17:00; three → Wednesday 17:00.
    assert request.opened_at == syd(2026, 11, 13, 17, 55)
    assert request.response_due_at == syd(2026, 11, 16, 17, 0)
    assert request.resolution_due_at == syd(2026, 11, 18, 17, 0)
    assert request.priority == "critical" and request.assignee == users.kam
    detail = follow(client, response)
    assert messages_of(detail) == [
        f"{request.reference} opened: first response due 2026-11-16 17:00 Australia/Sydney; "
        "resolution due 2026-11-18 17:00 Australia/Sydney."
    ]


def test_the_services_refusals_land_on_the_new_request_form(login, users, apac, portfolio):
    client = login(users.kam)
    future = client.post(
        reverse("servicelevels:request_add"),
        _new_request(account=apac.pk, opened_at="2099-01-01T09:00", assignee=portfolio.other_kam.pk),
    )
    assert future.status_code == 200
    errors = future.context["form"].errors
    assert errors["opened_at"] == ["A request cannot have been opened in the future."]
    assert "not on this account's team" in errors["assignee"][0]
    duplicate_source = open_request(apac, syd(2026, 11, 16, 9, 0), external_id="T-1")
    again = client.post(reverse("servicelevels:request_add"), _new_request(account=apac.pk, external_id="T-1"))
    assert again.context["form"].errors["external_id"] == ["A request with the id T-1 exists already."]
    assert list(ClientRequest.objects.all()) == [duplicate_source]


# Requests: the detail page and its workflow ------------------------------------------------------------------------


def test_the_detail_shows_both_clocks_in_the_clients_time_and_utc(login, users, apac):
    request = open_request(apac, syd(2026, 11, 16, 9, 0), kind="critical_issue")
    page = text(login(users.sponsor).get(request.get_absolute_url()))
    # First response: due Monday 17:00 (06:00 UTC), at risk from 15:00 (04:00 UTC); resolution Wednesday 17:00.
    for shown in (
        "2026-11-16 17:00 Australia/Sydney",
        "2026-11-16 06:00 UTC",
        "2026-11-16 15:00 Australia/Sydney",
        "2026-11-16 04:00 UTC",
        "2026-11-18 17:00 Australia/Sydney",
        "2026-11-18 11:00 Australia/Sydney",
    ):
        assert shown in page, shown
    assert '<span class="badge sla-on_track">On track</span>' in page
    assert "Key account manager" in page and "sponsor@example.com" in page  # the path, level 3
    # A sponsor reads; the workflow's buttons and the comment box are for those who work on it.
    assert 'data-testid="status-form"' not in page and 'data-testid="comment-form"' not in page


def test_a_sponsor_cannot_move_a_request(login, users, apac):
    request = open_request(apac, syd(2026, 11, 16, 9, 0))
    response = login(users.sponsor).post(
        reverse("servicelevels:request_status", args=[request.pk]), {"status": "acknowledged", "zone": "UTC"}
    )
    assert response.status_code == 403
    assert ClientRequest.objects.get(pk=request.pk).status == "new"


def test_the_workflow_from_the_page(login, users, apac):
    # A resolution clock that cannot run out while the test runs: a late clock is escalated at the real "now", and a
    # status change cannot be backdated before the request's last change.
    services.set_override(apac, SlaPolicy.objects.get(key="critical_resolution"), 10_000, "days", "business")
    request = open_request(apac, syd(2026, 11, 16, 9, 0), kind="critical_issue")
    client = login(users.kam)
    url = reverse("servicelevels:request_status", args=[request.pk])
    page = text(client.get(request.get_absolute_url()))
    for button in ("Acknowledge", "Start work", "Wait on the client", "Resolve"):
        assert f">{button}</button>" in page
    assert ">Close</button>" not in page  # not from "new"

    acknowledged = client.post(url, {"status": "acknowledged", "at": "2026-11-16T10:00", "zone": "Australia/Sydney"})
    request.refresh_from_db()
    assert request.status == "acknowledged" and request.first_response_at == syd(2026, 11, 16, 10, 0)
    assert request.response_state == ClockState.MET
    assert messages_of(follow(client, acknowledged)) == [
        f"{request.reference} is now acknowledged. First response met."
    ]

    waiting = client.post(url, {"status": "waiting_on_client", "at": "2026-11-16T12:00", "zone": "Australia/Sydney"})
    assert "paused until the client answers" in messages_of(follow(client, waiting))[0]
    request.refresh_from_db()
    assert request.resolution_state == ClockState.PAUSED
    assert request.resolution_remaining == (10_000 * 8 - 3) * 3600  # 09:00–12:00 used
    assert "79997 h of working time left" in text(client.get(request.get_absolute_url()))

    # Resolving needs a note: the page says so and nothing changes.
    refused = client.post(url, {"status": "resolved", "at": "2026-11-16T13:00", "zone": "Australia/Sydney"})
    assert refused.status_code == 200 and "Say how it was resolved." in text(refused)
    assert ClientRequest.objects.get(pk=request.pk).status == "waiting_on_client"

    resolved = client.post(
        url, {"status": "resolved", "at": "2026-11-16T13:00", "zone": "Australia/Sydney", "note": "Restarted"}
    )
    assert messages_of(follow(client, resolved)) == [f"{request.reference} is now resolved. Resolution met."]
    page = text(client.get(request.get_absolute_url()))
    assert ">Reopen</button>" in page and ">Close</button>" in page
    assert "waiting on client → resolved" in page and "Restarted" in page  # the timeline


def test_the_page_refuses_what_the_workflow_forbids(login, users, apac):
    request = open_request(apac, syd(2026, 11, 16, 9, 0))
    client = login(users.kam)
    url = reverse("servicelevels:request_status", args=[request.pk])
    jump = client.post(url, {"status": "closed", "zone": "UTC"})
    assert jump.status_code == 200
    assert "cannot become closed; it can become: acknowledged, in progress, waiting on client, resolved" in text(jump)
    early = client.post(url, {"status": "acknowledged", "at": "2026-11-16T08:00", "zone": "Australia/Sydney"})
    assert "before the request was opened (2026-11-15 22:00 UTC)" in text(early)
    nothing = client.post(url, {"zone": "UTC"})
    assert "Choose what the request becomes." in text(nothing)
    assert ClientRequest.objects.get(pk=request.pk).status == "new"


def test_comments_go_on_the_timeline(login, users, apac):
    request = open_request(apac, syd(2026, 11, 16, 9, 0))
    client = login(users.kam)
    url = reverse("servicelevels:request_comment", args=[request.pk])
    empty = client.post(url, {"note": "  "})
    assert empty.status_code == 200 and "This field is required." in text(empty)
    added = client.post(url, {"note": "Called Ana back"})
    assert added["Location"].endswith("#timeline")
    assert "Called Ana back" in text(follow(client, added))
    assert request.events.filter(kind="comment", actor=users.kam).count() == 1


def test_escalating_by_hand_names_the_next_level_and_notifies_it(login, users, apac):
    request = open_request(apac, syd(2026, 11, 16, 9, 0))
    client = login(users.kam)
    url = reverse("servicelevels:request_escalate", args=[request.pk])
    page = text(client.get(url))
    assert "Escalating moves it to level 1 (Key account manager: kam@example.com)" in page
    blank = client.post(url, {"reason": ""})
    assert blank.status_code == 200 and blank.context["form"].errors["reason"]
    done = client.post(url, {"reason": "The client's CEO called"})
    assert messages_of(follow(client, done)) == [
        f"{request.reference} escalated to level 1; notified: kam@example.com."
    ]
    assert Notification.objects.filter(user=users.kam, title__startswith="Escalation").count() == 1
    for _ in range(2):
        client.post(url, {"reason": "Again"})
    top = client.post(url, {"reason": "Once more"})
    assert "Already at the top of the escalation path (level 3)." in text(top)
    assert ClientRequest.objects.get(pk=request.pk).escalation_level == 3


def test_editing_a_request_starts_the_resolution_clock_and_refuses_stale_forms(login, users, apac):
    request = open_request(apac, syd(2026, 11, 16, 9, 0), subject="Question")
    client = login(users.kam)
    url = reverse("servicelevels:request_edit", args=[request.pk])
    form = client.get(url).context["form"]
    data = {**form.initial, "priority": "critical", "assignee": users.kam.pk, "description": ""}
    saved = client.post(url, data)
    assert messages_of(follow(client, saved)) == [f"{request.reference} saved."]
    request.refresh_from_db()
    assert request.priority == "critical" and request.resolution_due_at == syd(2026, 11, 18, 17, 0)
    stale = client.post(url, {**data, "subject": "Overwritten"})  # still the version read before the save
    assert stale.status_code == 200 and "changed by someone else" in text(stale)
    assert ClientRequest.objects.get(pk=request.pk).subject == "Question"


# The queue and compliance ----------------------------------------------------------------------------------------


def test_the_queue_puts_breached_first_then_the_soonest_due(login, users, apac, portfolio):
    breached = open_request(apac, syd(2026, 11, 13, 9, 0), subject="Late answer")
    at_risk_later = open_request(apac, syd(2026, 11, 16, 9, 30), subject="At risk, due Tuesday 09:30")
    at_risk_sooner = open_request(apac, syd(2026, 11, 16, 9, 0), subject="At risk, due 17:00")
    open_request(apac, syd(2026, 11, 16, 15, 0), subject="On track")
    open_request(portfolio.other, syd(2026, 11, 9, 9, 0), subject="Another team's late one")
    services.sweep(now=syd(2026, 11, 16, 15, 30))
    client = login(users.kam)
    page = client.get(reverse("servicelevels:queue"))
    assert [r.request.pk for r in page.context["page"].object_list] == [
        breached.pk,
        at_risk_sooner.pk,
        at_risk_later.pk,
    ]
    assert "1 breached, 2 at risk" in text(page)
    rows = csv_rows(client.get(reverse("servicelevels:queue") + "?export=csv"))
    assert rows[0][:3] == ["Reference", "Subject", "Account"]
    assert [(r[0], r[9], r[10], r[12]) for r in rows[1:]] == [
        (breached.reference, "First response", "Breached", "2026-11-13 17:00 Australia/Sydney"),
        (at_risk_sooner.reference, "First response", "At risk", "2026-11-16 17:00 Australia/Sydney"),
        (at_risk_later.reference, "First response", "At risk", "2026-11-17 09:30 Australia/Sydney"),
    ]
    assert rows[1][4] == "kam@example.com"  # the key account manager


def test_an_empty_queue_says_nothing_is_at_risk(login, users, apac):
    open_request(apac, syd(2026, 11, 16, 9, 0))
    page = text(login(users.kam).get(reverse("servicelevels:queue")))
    assert "Nothing at risk." in page and 'data-testid="queue"' not in page


def test_compliance_per_account_with_a_total_line_and_export(login, users, apac, portfolio):
    answered = open_request(apac, syd(2026, 11, 2, 9, 0))
    services.change_status(answered, "acknowledged", at=syd(2026, 11, 2, 10, 0), now=syd(2026, 11, 2, 10, 0))
    open_request(apac, syd(2026, 11, 3, 9, 0))  # never answered: a breach of the 24 hours
    open_request(portfolio.other, syd(2026, 11, 3, 9, 0))  # another team's
    client = login(users.kam)
    page = client.get(reverse("servicelevels:compliance") + "?period=2026-11&group_by=account")
    report = page.context["report"]
    assert report["label"] == "2026-11" and report["total"].requests == 2
    assert [row.label for row in report["rows"]] == ["Own Group (OWN-1)"]
    assert 'data-testid="compliance-total"' in text(page) and "50.0 %" in text(page)
    rows = csv_rows(client.get(reverse("servicelevels:compliance") + "?period=2026-11&export=csv"))
    assert rows[0][:3] == ["Account", "Requests", "First response ≤ 24 h %"]
    assert [row[:3] for row in rows[1:]] == [
        ["Own Group (OWN-1)", "2", "50.000000"],
        ["All requests", "2", "50.000000"],
    ]
    bad = client.get(reverse("servicelevels:compliance") + "?period=2026-13")
    assert bad.context["report"] is None and "has no month 13" in text(bad)


# The programme's rules -----------------------------------------------------------------------------------------------


def test_a_lead_edits_a_policy_and_sees_the_services_refusals(login, users):
    policy = SlaPolicy.objects.get(key="first_response")
    client = login(users.lead)
    url = reverse("servicelevels:policy_edit", args=[policy.pk])
    data = {
        "responsibility": "Response to client inquiries",
        "target": 4,
        "unit": "months",
        "clock": "business",
        "priorities": "",
        "at_risk_percent": 80,
        "due_soon_days": 14,
        "position": 10,
        "active": "on",
        "version": policy.version,
    }
    refused = client.post(url, data)
    assert refused.context["form"].errors["unit"] == ["A request clock counts hours or days."]
    saved = client.post(url, {**data, "unit": "hours"})
    assert saved["Location"] == reverse("servicelevels:policy_list")
    policy.refresh_from_db()
    assert (policy.target, policy.unit, policy.at_risk_percent) == (4, "hours", 80)
    stale = client.post(url, {**data, "unit": "days"})
    assert "changed by someone else" in text(stale)
    listing = text(client.get(reverse("servicelevels:policy_list")))
    assert "4 hours" in listing and "80 %" in listing


def test_the_programme_path_is_set_by_the_lead(login, users):
    client = login(users.lead)
    url = reverse("servicelevels:escalation_path")
    form = {
        "levels-TOTAL_FORMS": "3",
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "9",
        "levels-0-team_role": "key_account_manager",
        "levels-0-user": "",
        "levels-1-team_role": "team_leader",
        "levels-1-user": users.lead.pk,
        "levels-2-team_role": "",
        "levels-2-user": "",
    }
    refused = client.post(url, form)
    assert "Level 2: name either a team role or a person." in text(refused)
    saved = client.post(url, {**form, "levels-1-team_role": ""})
    assert saved["Location"] == reverse("servicelevels:policy_list")
    levels = list(EscalationLevel.objects.filter(account__isnull=True).order_by("level"))
    assert [(lv.team_role, lv.user) for lv in levels] == [("key_account_manager", None), ("", users.lead)]


def test_calendars_are_added_edited_and_keep_one_default(login, users):
    client = login(users.lead)
    blank = text(client.get(reverse("servicelevels:calendar_add")))
    assert 'value="4" id="id_weekdays_4" checked' in blank and 'value="5" id="id_weekdays_5" checked' not in blank
    form = {
        "name": "Singapore",
        "time_zone": "Asia/Singapore",
        "weekdays": ["0", "1", "2", "3", "4"],
        "day_start": "09:00",
        "day_end": "08:00",
        "regions": "SEA, ASEAN",
        "is_default": "on",
    }
    refused = client.post(reverse("servicelevels:calendar_add"), form)
    assert "The working day must end after it starts (09:00)" in text(refused)
    saved = client.post(reverse("servicelevels:calendar_add"), {**form, "day_end": "18:00"})
    singapore = BusinessCalendar.objects.get(name="Singapore")
    assert saved["Location"] == singapore.get_absolute_url()
    assert singapore.is_default and BusinessCalendar.objects.filter(is_default=True).count() == 1
    assert singapore.regions == "SEA, ASEAN" and singapore.hours_label == "Mon–Fri 09:00–18:00, Asia/Singapore"
    edit = client.post(
        reverse("servicelevels:calendar_edit", args=[singapore.pk]),
        {**form, "day_end": "18:00", "is_default": "", "version": singapore.version},
    )
    assert "make another calendar the default instead" in text(edit)


def test_holidays_are_added_once_and_removed(login, users):
    calendar = BusinessCalendar.objects.get(time_zone="Australia/Sydney")
    client = login(users.lead)
    url = reverse("servicelevels:holiday_add", args=[calendar.pk])
    added = client.post(url, {"date": "2027-12-31", "name": "New Year's Eve"})
    assert added["Location"] == calendar.get_absolute_url()
    holiday = Holiday.objects.get(calendar=calendar, date=dt.date(2027, 12, 31))
    twice = client.post(url, {"date": "2027-12-31", "name": "Again"})
    assert twice.context["form"].errors["date"] == [
        "2027-12-31 is a holiday in this calendar already (New Year's Eve)."
    ]
    removed = client.post(reverse("servicelevels:holiday_delete", args=[calendar.pk, holiday.pk]))
    assert removed.status_code == 302 and not Holiday.objects.filter(pk=holiday.pk).exists()


# One account's service levels --------------------------------------------------------------------------------------


def test_the_key_account_manager_sets_the_accounts_own_commitments(login, users, apac):
    client = login(users.kam)
    url = reverse("servicelevels:account_policies", args=[apac.pk])
    policy = SlaPolicy.objects.get(key="first_response")
    saved = client.post(
        url, {"form": "override", "policy_id": policy.pk, f"p{policy.pk}-target": 4, f"p{policy.pk}-unit": "hours",
              f"p{policy.pk}-clock": "clock"}
    )  # fmt: skip
    page = text(follow(client, saved))
    assert "First response within 4 hours; around the clock" in page and "Charter's own" in page
    review = SlaPolicy.objects.get(key="quarterly_review")
    refused = client.post(
        url, {"form": "override", "policy_id": review.pk, f"p{review.pk}-target": 2, f"p{review.pk}-unit": "hours",
              f"p{review.pk}-clock": "business"}
    )  # fmt: skip
    assert refused.status_code == 200 and "repeats every so many months: use months" in text(refused)
    client.post(url, {"form": "clear", "policy_id": policy.pk})
    assert not PolicyOverride.objects.filter(account=apac).exists()

    london = BusinessCalendar.objects.get(time_zone="Europe/London")
    client.post(url, {"form": "calendar", "calendar": london.pk})
    assert services.calendar_for(apac) == london
    client.post(
        url,
        {
            "form": "path",
            "levels-TOTAL_FORMS": "1",
            "levels-INITIAL_FORMS": "0",
            "levels-0-team_role": "executive_sponsor",
            "levels-0-user": "",
        },
    )
    assert [lv.team_role for lv in services.escalation_path(apac)] == ["executive_sponsor"]
    client.post(url, {"form": "path_default"})
    assert not EscalationLevel.objects.filter(account=apac).exists()


def test_a_viewer_reads_an_accounts_service_levels_but_cannot_change_them(login, users, apac):
    client = login(users.viewer)
    url = reverse("servicelevels:account_policies", args=[apac.pk])
    page = text(client.get(url))
    assert "What the charter promises" in page and 'name="form"' not in page
    policy = SlaPolicy.objects.get(key="first_response")
    response = client.post(
        url, {"form": "override", "policy_id": policy.pk, f"p{policy.pk}-target": 4, f"p{policy.pk}-unit": "hours",
              f"p{policy.pk}-clock": "clock"}
    )  # fmt: skip
    assert response.status_code == 403 and not PolicyOverride.objects.exists()


# Obligations and the account tab -----------------------------------------------------------------------------------


def test_obligations_are_flagged_filtered_done_with_evidence_and_reopened(login, users, apac):
    services.generate_obligations(today=dt.date(2026, 1, 10), periods_ahead=0)  # long overdue by now
    client = login(users.kam)
    overdue = client.get(reverse("servicelevels:obligation_list") + "?flag=overdue&export=csv")
    rows = csv_rows(overdue)
    assert rows[0] == ["Account", "Commitment", "Period", "Due", "Flag", "Done on", "By", "Evidence"]
    assert {(r[1], r[2], r[4]) for r in rows[1:]} == {
        ("Account reviews", "2026-Q1", "overdue"),
        ("Performance tracking", "2026-01", "overdue"),
    }
    obligation = Obligation.objects.get(account=apac, period_label="2026-Q1")
    url = reverse("servicelevels:obligation_done", args=[obligation.pk])
    back = reverse("accounts:account", args=[apac.pk]) + "?tab=service"
    blank = client.post(url, {"evidence": "", "done_on": "2026-03-20", "next": back})
    assert blank.status_code == 200 and blank.context["form"].errors["evidence"]
    done = client.post(url, {"evidence": "QBR minutes", "done_on": "2026-03-20", "next": back})
    assert done["Location"] == back
    obligation.refresh_from_db()
    assert (obligation.status, obligation.done_on, obligation.done_by) == ("done", dt.date(2026, 3, 20), users.kam)
    reopened = client.post(reverse("servicelevels:obligation_reopen", args=[obligation.pk]))
    assert reopened["Location"] == reverse("servicelevels:obligation_list")
    assert Obligation.objects.get(pk=obligation.pk).status == "open"


def test_the_account_tab_shows_requests_most_urgent_first_obligations_commitments_and_compliance(login, users, apac):
    calm = open_request(apac, syd(2026, 11, 16, 15, 0), subject="Calm one")
    late = open_request(apac, syd(2026, 11, 13, 9, 0), subject="Late one")
    services.sweep(now=syd(2026, 11, 16, 15, 30))
    last_year = open_request(apac, syd(2025, 6, 2, 9, 0), subject="Last year's")
    services.change_status(last_year, "acknowledged", at=syd(2025, 6, 2, 11, 0), now=syd(2025, 6, 2, 11, 0))
    services.change_status(
        last_year, "resolved", at=syd(2025, 6, 2, 12, 0), note="Answered", now=syd(2025, 6, 2, 12, 0)
    )
    services.generate_obligations(today=dt.date(2026, 11, 20), periods_ahead=1)
    client = login(users.kam)
    response = client.get(reverse("accounts:account", args=[apac.pk]) + "?tab=service")
    page = text(response)
    assert page.index(late.reference) < page.index(calm.reference)
    assert last_year.reference not in page.split('data-testid="account-requests"')[1].split("</table>")[0]
    assert f"/requests/new/?account={apac.pk}" in page
    labels = [row["obligation"].period_label for row in response.context["sla_obligations"]]
    assert labels == ["2026-11", "2026-Q4", "2026"]  # the next of each commitment
    assert "First response within 1 working day; Mon–Fri 09:00–17:00, Australia/Sydney" in page
    compliance = response.context["sla_compliance"]
    assert compliance["label"] == "2025" and compliance["total"].requests == 1
    assert "100.0 %" in page.split('data-testid="account-compliance"')[1]
    sponsor_page = text(login(users.sponsor).get(reverse("accounts:account", args=[apac.pk]) + "?tab=service"))
    assert "/requests/new/" not in sponsor_page and late.reference in sponsor_page


def test_request_text_is_escaped(login, users, apac):
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    request = open_request(apac, syd(2026, 11, 16, 9, 0), subject=hostile, requester=hostile)
    services.comment(request, hostile, users.kam)
    client = login(users.kam)
    for url in (
        request.get_absolute_url(),
        reverse("servicelevels:request_list"),
        reverse("accounts:account", args=[apac.pk]) + "?tab=service",
    ):
        page = text(client.get(url))
        assert "<script>alert(1)" not in page and "onerror=alert(2)>" not in page, url
        assert "&lt;script&gt;" in page, url


def test_templates_have_no_inline_script_or_style():
    for path in Path("kam/templates/servicelevels").rglob("*.html"):
        content = path.read_text(encoding="utf-8")
        assert "<script" not in content and "style=" not in content and "<style" not in content, path


# Query budgets ---------------------------------------------------------------------------------------------------


def _grow(account, users, first_day):
    """Requests with a timeline, escalations and comments: a page's query count must not grow with them."""
    made = []
    for hour in (9, 10, 11, 12):
        request = open_request(account, syd(2026, 11, first_day, hour, 0), kind="critical_issue", requester="Ana")
        services.comment(request, "Called back", users.kam)
        services.escalate(request, users.kam, "The client's CEO called", now=syd(2026, 11, first_day, hour, 30))
        made.append(request)
    services.sweep(now=syd(2026, 11, first_day + 3, 16, 0))
    return made


@pytest.mark.parametrize(
    "page", ["request_list", "request_list_filtered", "detail", "queue", "obligations", "account_tab"]
)
def test_pages_run_a_fixed_number_of_queries(page, login, users, apac):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = _grow(apac, users, 2)[0]
    services.generate_obligations(today=dt.date(2026, 11, 20), periods_ahead=0)
    urls = {
        "request_list": reverse("servicelevels:request_list"),
        "request_list_filtered": reverse("servicelevels:request_list") + f"?account={apac.pk}&sort=-account",
        "detail": first.get_absolute_url(),
        "queue": reverse("servicelevels:queue"),
        "obligations": reverse("servicelevels:obligation_list"),
        "account_tab": reverse("accounts:account", args=[apac.pk]) + "?tab=service",
    }
    client = login(users.kam)
    client.get(urls[page])  # warm caches (sessions, content types)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(urls[page]).status_code == 200
        return len(queries)

    small = count()
    _grow(apac, users, 9)
    for request in ClientRequest.objects.filter(account=apac):
        services.comment(request, "Another note", users.kam)
    services.generate_obligations(today=dt.date(2026, 12, 20), periods_ahead=2)
    assert count() == small
