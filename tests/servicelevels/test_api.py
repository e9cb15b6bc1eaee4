"""The service-level API (/api/v1/requests…, /api/v1/sla/…, /api/v1/accounts/{id}/service-levels…,
/api/v1/obligations…). Who may call what is in tests/servicelevels/access.py; here: what the calls do, and that bad
input comes back as 422 field errors in the one error shape, stale versions as 412 and missing ones as 428."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kam.accounts.models import Account
from kam.servicelevels import services
from kam.servicelevels.models import BusinessCalendar, ClientRequest, Obligation, SlaPolicy
from kam.users.models import ApiToken

pytestmark = pytest.mark.django_db
SYDNEY = ZoneInfo("Australia/Sydney")


def syd(*args):
    return dt.datetime(*args, tzinfo=SYDNEY)


@pytest.fixture
def apac(portfolio):
    Account.objects.filter(pk=portfolio.own.pk).update(region="APAC", is_key_account=True)
    portfolio.own.refresh_from_db()
    return portfolio.own


@pytest.fixture
def api(client, users):
    """api(role name or user).get/post/patch/put/delete with that user's token."""
    tokens = {}

    class Caller:
        def __init__(self, who):
            user = getattr(users, who) if isinstance(who, str) else who
            if user.pk not in tokens:
                tokens[user.pk] = ApiToken.issue(user, "tests")[1]
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[user.pk]}"}

        def get(self, url, data=None, **extra):
            return client.get(url, data, **self.headers, **extra)

        def delete(self, url, **extra):
            return client.delete(url, **self.headers, **extra)

        def send(self, method, url, body=None, **extra):
            return getattr(client, method)(url, body or {}, content_type="application/json", **self.headers, **extra)

        def post(self, url, body=None, **extra):
            return self.send("post", url, body, **extra)

        def patch(self, url, body=None, **extra):
            return self.send("patch", url, body, **extra)

        def put(self, url, body=None, **extra):
            return self.send("put", url, body, **extra)

    return Caller


def errors(response) -> dict:
    """{field: [messages]} of a 422, after checking the one error shape."""
    body = response.json()
    assert response.status_code == 422, body
    assert set(body) == {"detail", "errors"} and body["detail"], body
    found = {}
    for item in body["errors"]:
        assert set(item) == {"field", "message"}, item
        found.setdefault(item["field"], []).append(item["message"])
    return found


def open_request(account, opened, **extra):
    extra.setdefault("subject", "Line 3 is down")
    return services.open_request(account, opened_at=opened, now=opened + dt.timedelta(minutes=1), **extra)


# Opening requests ------------------------------------------------------------------------------------------------


def test_a_request_opened_through_the_api_has_its_clocks_in_the_clients_hours(api, users, apac):
    response = api("kam").post(
        "/api/v1/requests",
        {
            "account_id": apac.pk,
            "subject": "Line 3 is down",
            "kind": "critical_issue",
            "channel": "phone",
            "requester": "Ana Silva",
            "opened_at": "2026-11-13T17:55:00+11:00",
        },
    )
    body = response.json()
    assert response.status_code == 201, body
    assert body["reference"] == f"R-{body['id']:06d}" and body["priority"] == "critical"
    assert body["account"] == {"id": apac.pk, "name": "Own Group", "account_number": "OWN-1"}
    assert body["assignee"]["email"] == users.kam.email and body["time_zone"] == "Australia/Sydney"
    assert body["opened_at"] == "2026-11-13T06:55:00Z"
    # Friday after hours → Monday 17:00 AEDT (06:00 UTC); at risk from 15:00 (04:00 UTC). Entered after the fact,
    # it is late already.
    assert body["response_clock"] == {
        "mode": "business",
        "state": "breached",
        "budget_seconds": 8 * 3600,
        "due_at": "2026-11-16T06:00:00Z",
        "at_risk_at": "2026-11-16T04:00:00Z",
        "remaining_seconds": None,
    }
    assert body["resolution_clock"]["due_at"] == "2026-11-18T06:00:00Z"
    assert body["allowed_next"] == ["acknowledged", "in_progress", "waiting_on_client", "resolved"]
    assert dt.datetime.fromisoformat(body["resolution_clock"]["due_at"]) == syd(2026, 11, 18, 17, 0)


def test_bad_requests_are_field_errors(api, users, apac, portfolio):
    kam = api("kam")
    unknown = kam.post("/api/v1/requests", {"account_id": 987654, "subject": "Hello"})
    assert errors(unknown) == {"account_id": ["No account with id 987654 that you can see."]}
    # Another team's account does not exist for this user: the same answer as an unknown one.
    hidden = kam.post("/api/v1/requests", {"account_id": portfolio.other.pk, "subject": "Hello"})
    assert list(errors(hidden)) == ["account_id"]
    naive = kam.post("/api/v1/requests", {"account_id": apac.pk, "subject": "Hello", "opened_at": "2026-11-13T17:55"})
    assert list(errors(naive)) == ["opened_at"] and "timezone" in errors(naive)["opened_at"][0]
    future = kam.post(
        "/api/v1/requests", {"account_id": apac.pk, "subject": "Hello", "opened_at": "2099-01-01T09:00:00Z"}
    )
    assert errors(future) == {"opened_at": ["A request cannot have been opened in the future."]}
    kind = kam.post("/api/v1/requests", {"account_id": apac.pk, "subject": "Hello", "kind": "complaint"})
    assert list(errors(kind)) == ["kind"]
    blank = kam.post("/api/v1/requests", {"account_id": apac.pk, "subject": ""})
    assert list(errors(blank)) == ["subject"]
    stranger = kam.post(
        "/api/v1/requests", {"account_id": apac.pk, "subject": "Hello", "assignee_id": portfolio.other_kam.pk}
    )
    assert "not on this account's team" in errors(stranger)["assignee_id"][0]
    nobody = kam.post("/api/v1/requests", {"account_id": apac.pk, "subject": "Hello", "assignee_id": 999999})
    assert errors(nobody) == {"assignee_id": ["No active user with id 999999."]}
    assert not ClientRequest.objects.exists()


# The workflow ----------------------------------------------------------------------------------------------------


def test_the_workflow_refuses_jumps_and_times_before_the_opening(api, apac):
    request = open_request(apac, syd(2026, 11, 16, 9, 0))
    url = f"/api/v1/requests/{request.pk}/status"
    kam = api("kam")
    jump = kam.post(url, {"status": "closed"})
    assert errors(jump) == {
        "status": ["A request that is new cannot become closed; it can become: acknowledged, in progress, "
                   "waiting on client, resolved."]
    }  # fmt: skip
    early = kam.post(url, {"status": "resolved", "note": "Fixed", "at": "2026-11-16T08:00:00+11:00"})
    assert errors(early) == {"at": ["This is before the request was opened (2026-11-15 22:00 UTC)."]}
    no_note = kam.post(url, {"status": "resolved", "at": "2026-11-16T10:00:00+11:00"})
    assert errors(no_note) == {"note": ["Say how it was resolved."]}
    naive = kam.post(url, {"status": "acknowledged", "at": "2026-11-16T10:00:00"})
    assert list(errors(naive)) == ["at"]
    unknown = kam.post(url, {"status": "done"})
    assert list(errors(unknown)) == ["status"]
    assert ClientRequest.objects.get(pk=request.pk).status == "new"

    resolved = kam.post(url, {"status": "resolved", "note": "Restarted", "at": "2026-11-16T10:00:00+11:00"})
    body = resolved.json()
    assert resolved.status_code == 200, body
    assert body["status"] == "resolved" and body["resolved_at"] == "2026-11-15T23:00:00Z"
    assert body["response_clock"]["state"] == "met" and body["allowed_next"] == ["closed", "in_progress"]
    assert resolved["ETag"] == f'"{body["version"]}"'
    events = kam.get(f"/api/v1/requests/{request.pk}/events").json()
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in events] == [
        ("opened", "", "new"),
        ("status", "new", "resolved"),
    ]
    assert events[1]["note"] == "Restarted" and events[1]["actor"]["email"] == "kam@example.com"


def test_a_stale_status_change_is_refused_when_a_version_is_sent(api, apac):
    request = open_request(apac, syd(2026, 11, 16, 9, 0))
    response = api("kam").post(
        f"/api/v1/requests/{request.pk}/status", {"status": "acknowledged", "version": request.version - 1}
    )
    assert response.status_code == 412 and response.json()["errors"][0]["field"] == "version"


def test_patch_needs_the_version_and_refuses_a_stale_one(api, users, apac):
    request = open_request(apac, syd(2026, 11, 16, 9, 0), subject="Question")
    kam = api("kam")
    url = f"/api/v1/requests/{request.pk}"
    etag = kam.get(url)["ETag"]
    missing = kam.patch(url, {"subject": "No version"})
    assert missing.status_code == 428
    first = kam.patch(url, {"priority": "critical"}, HTTP_IF_MATCH=etag)
    assert first.status_code == 200, first.json()
    assert first.json()["resolution_clock"]["due_at"] == "2026-11-18T06:00:00Z"  # counted from the opening
    assert first["ETag"] != etag
    stale = kam.patch(url, {"subject": "Second writer"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    stranger = kam.patch(url, {"assignee_id": 999999, "version": first.json()["version"]})
    assert errors(stranger) == {"assignee_id": ["No active user with id 999999."]}
    nulls = kam.patch(url, {"subject": None, "version": first.json()["version"]})
    assert list(errors(nulls)) == ["subject"]
    assert ClientRequest.objects.get(pk=request.pk).subject == "Question"


def test_comments_and_escalations(api, users, apac):
    request = open_request(apac, syd(2026, 11, 16, 9, 0))
    kam = api("kam")
    comment = kam.post(f"/api/v1/requests/{request.pk}/comments", {"note": "Called back"})
    assert comment.status_code == 201 and comment.json()["kind"] == "comment"
    assert list(errors(kam.post(f"/api/v1/requests/{request.pk}/comments", {"note": ""}))) == ["note"]
    escalated = kam.post(f"/api/v1/requests/{request.pk}/escalations", {"reason": "CEO called"})
    body = escalated.json()
    assert escalated.status_code == 201, body
    assert (body["level"], body["trigger"], body["reason"]) == (1, "manual", "CEO called")
    assert [person["email"] for person in body["notified"]] == ["kam@example.com"]
    assert kam.get(f"/api/v1/requests/{request.pk}").json()["escalation_level"] == 1
    listed = kam.get(f"/api/v1/requests/{request.pk}/escalations").json()
    assert [e["id"] for e in listed] == [body["id"]]
    assert list(errors(kam.post(f"/api/v1/requests/{request.pk}/escalations", {"reason": ""}))) == ["reason"]


def test_lists_are_scoped_filtered_and_the_queue_is_most_urgent_first(api, users, apac, portfolio):
    breached = open_request(apac, syd(2026, 11, 13, 9, 0), subject="Late answer")
    at_risk = open_request(apac, syd(2026, 11, 16, 9, 0), subject="At risk")
    calm = open_request(apac, syd(2026, 11, 16, 15, 0), subject="Calm")
    theirs = open_request(portfolio.other, syd(2026, 11, 9, 9, 0), subject="Theirs")
    services.sweep(now=syd(2026, 11, 16, 15, 30))
    kam = api("kam")
    listed = kam.get("/api/v1/requests").json()
    assert listed["count"] == 3 and theirs.pk not in [r["id"] for r in listed["items"]]
    assert [r["id"] for r in kam.get("/api/v1/requests", {"sla_state": "breached"}).json()["items"]] == [breached.pk]
    assert [r["id"] for r in kam.get("/api/v1/requests", {"q": calm.reference}).json()["items"]] == [calm.pk]
    assert kam.get("/api/v1/requests", {"status": "bogus"}).status_code == 422
    assert kam.get("/api/v1/requests", {"is_open": "false"}).json()["count"] == 0
    assert kam.get("/api/v1/requests", {"is_open": "true", "opened_from": "2026-11-14"}).json()["count"] == 2
    assert kam.get("/api/v1/requests", {"opened_to": "2026-11-13"}).json()["items"][0]["id"] == breached.pk
    queue = kam.get("/api/v1/requests/queue").json()["items"]
    assert [(row["request"]["id"], row["clock"], row["clock_state"]) for row in queue] == [
        (breached.pk, "response", "breached"),
        (at_risk.pk, "response", "at_risk"),
    ]
    assert queue[0]["due_at"] == "2026-11-13T06:00:00Z" and queue[0]["key_account_manager"]["email"] == users.kam.email
    assert [row["request"]["id"] for row in api("lead").get("/api/v1/requests/queue").json()["items"]] == [
        theirs.pk,
        breached.pk,
        at_risk.pk,
    ]


# Compliance ----------------------------------------------------------------------------------------------------


def test_compliance_per_month_and_a_bad_period(api, apac):
    answered = open_request(apac, syd(2026, 11, 2, 9, 0))
    services.change_status(answered, "acknowledged", at=syd(2026, 11, 2, 10, 0), now=syd(2026, 11, 2, 10, 0))
    open_request(apac, syd(2026, 10, 5, 9, 0))
    kam = api("kam")
    body = kam.get("/api/v1/sla/compliance", {"period": "2026", "group_by": "month"}).json()
    assert body["period"] == "2026" and body["group_by"] == "month"
    assert body["start"] == "2026-01-01T00:00:00Z" and body["end"] == "2027-01-01T00:00:00Z"
    assert [(row["label"], row["requests"], row["first_response_percent"]) for row in body["rows"]] == [
        ("2026-10", 1, "0.000000"),
        ("2026-11", 1, "100.000000"),
    ]
    assert body["total"]["requests"] == 2 and body["total"]["median_response_hours"] == "1.000000"
    bad = kam.get("/api/v1/sla/compliance", {"period": "last year"})
    assert list(errors(bad)) == ["period"]
    assert kam.get("/api/v1/sla/compliance", {"group_by": "colour"}).status_code == 422


# Policies, the default path, calendars -------------------------------------------------------------------------------


def test_policy_changes_need_a_fresh_version_and_valid_units(api):
    policy = SlaPolicy.objects.get(key="first_response")
    lead = api("lead")
    url = f"/api/v1/sla/policies/{policy.pk}"
    assert lead.patch(url, {"target": 4}).status_code == 428
    assert errors(lead.patch(url, {"unit": "months", "version": policy.version})) == {
        "unit": ["A request clock counts hours or days."]
    }
    saved = lead.patch(
        url, {"target": 4, "unit": "hours", "priorities": ["high", "critical"], "version": policy.version}
    )
    assert saved.status_code == 200, saved.json()
    assert (saved.json()["target"], saved.json()["priorities"]) == (4, ["critical", "high"])
    assert lead.patch(url, {"target": 5, "version": policy.version}).status_code == 412
    assert [p["key"] for p in api("viewer").get("/api/v1/sla/policies").json()][:2] == [
        "first_response",
        "critical_resolution",
    ]


def test_the_default_path_is_replaced_by_a_lead_and_checked(api, users):
    lead = api("lead")
    refused = lead.put("/api/v1/sla/escalation-path", {"levels": [{"team_role": "wizard"}]})
    assert errors(refused) == {"levels": ["Level 1: “wizard” is not a team role in the catalogue."]}
    team_member = lead.put("/api/v1/sla/escalation-path", {"levels": [{"user_id": users.kam.pk}]})
    assert errors(team_member) == {
        "levels": [
            "Level 1: kam@example.com cannot see every account (the programme's path), so cannot be escalated to."
        ]
    }
    empty = lead.put("/api/v1/sla/escalation-path", {"levels": []})
    assert errors(empty) == {"levels": ["The programme's path needs at least one level."]}
    saved = lead.put(
        "/api/v1/sla/escalation-path",
        {"levels": [{"team_role": "key_account_manager"}, {"user_id": users.lead.pk}]},
    )
    body = saved.json()
    assert saved.status_code == 200, body
    assert body["is_default"] and [(lv["level"], lv["team_role"]) for lv in body["levels"]] == [
        (1, "key_account_manager"),
        (2, ""),
    ]
    assert body["levels"][1]["user"]["email"] == users.lead.email
    assert api("kam").put("/api/v1/sla/escalation-path", {"levels": []}).status_code == 403


def test_calendars_and_holidays(api):
    lead = api("lead")
    bad = lead.post(
        "/api/v1/sla/calendars",
        {"name": "Mars", "time_zone": "Mars/Olympus", "weekdays": [0, 9], "day_start": "17:00", "day_end": "09:00"},
    )
    assert set(errors(bad)) == {"time_zone", "weekdays", "day_end"}
    created = lead.post(
        "/api/v1/sla/calendars",
        {"name": "Singapore", "time_zone": "Asia/Singapore", "regions": ["SEA"], "is_default": True},
    )
    body = created.json()
    assert created.status_code == 201, body
    assert body["weekdays"] == [0, 1, 2, 3, 4] and body["day_start"] == "09:00" and body["is_default"]
    assert BusinessCalendar.objects.filter(is_default=True).get().name == "Singapore"
    duplicate = lead.post("/api/v1/sla/calendars", {"name": "singapore", "time_zone": "Asia/Singapore"})
    assert errors(duplicate) == {"name": ["A calendar named “singapore” exists already."]}
    url = f"/api/v1/sla/calendars/{body['id']}"
    assert lead.patch(url, {"day_end": "18:00"}).status_code == 428
    patched = lead.patch(url, {"day_end": "18:00"}, HTTP_IF_MATCH=lead.get(url)["ETag"])
    assert patched.status_code == 200 and patched.json()["day_end"] == "18:00"
    holiday = lead.post(f"{url}/holidays", {"date": "2027-02-06", "name": "Chinese New Year"})
    assert holiday.status_code == 201
    again = lead.post(f"{url}/holidays", {"date": "2027-02-06", "name": "Again"})
    assert errors(again) == {"date": ["2027-02-06 is a holiday in this calendar already (Chinese New Year)."]}
    assert lead.delete(f"{url}/holidays/{holiday.json()['id']}").status_code == 204
    assert lead.get(url).json()["holidays"] == []


def test_absurd_ids_in_paths_are_not_found(api):
    # schemathesis: 2**64 and more overflowed SQLite's integer in a foreign-key lookup (a 500).
    response = api("lead").delete("/api/v1/sla/calendars/34543936160486268928/holidays/-56")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"time_zone": ""}, "time_zone"),
        ({"day_start": "00:00:00Z"}, "day_start"),  # schemathesis: an offset is not a wall-clock time (was a 500)
        ({"day_start": "9:00"}, "day_start"),
        ({"day_end": "24:00"}, "day_end"),
        ({"weekdays": [-1]}, "weekdays"),
        ({"weekdays": []}, "weekdays"),
    ],
)
def test_calendar_input_is_refused_with_a_field_error(api, body, field):
    response = api("lead").post("/api/v1/sla/calendars", {"name": "Odd", "time_zone": "Europe/Paris", **body})
    assert response.status_code == 422, response.content
    assert field in errors(response)


# One account's service levels --------------------------------------------------------------------------------------


def test_an_accounts_service_levels_overrides_path_and_calendar(api, users, apac, portfolio):
    kam = api("kam")
    base = f"/api/v1/accounts/{apac.pk}/service-levels"
    body = kam.get(base).json()
    assert body["calendar"]["source"] == "region" and body["calendar"]["calendar"]["time_zone"] == "Australia/Sydney"
    assert body["escalation_path"]["is_default"]
    assert [lv["people"] for lv in body["escalation_path"]["levels"]][0] == [
        {"id": users.kam.pk, "email": users.kam.email, "name": users.kam.display_name}
    ]
    first = next(p for p in body["policies"] if p["key"] == "first_response")
    assert not first["overridden"] and first["commitment"].startswith("First response within 1 working day")

    override = kam.put(f"{base}/overrides/first_response", {"target": 4, "unit": "hours", "clock": "clock"})
    assert override.status_code == 200, override.json()
    assert override.json()["overridden"] and override.json()["commitment"] == (
        "First response within 4 hours; around the clock"
    )
    assert errors(kam.put(f"{base}/overrides/quarterly_review", {"target": 2, "unit": "days"})) == {
        "unit": ["A recurring commitment repeats every so many months: use months."]
    }
    assert kam.put(f"{base}/overrides/no_such_policy", {"target": 2, "unit": "days"}).status_code == 404
    assert kam.delete(f"{base}/overrides/first_response").status_code == 204
    assert not next(p for p in kam.get(base).json()["policies"] if p["key"] == "first_response")["overridden"]

    path = kam.put(f"{base}/escalation-path", {"levels": [{"team_role": "executive_sponsor"}]})
    assert path.status_code == 200 and not path.json()["is_default"]
    assert path.json()["levels"][0]["people"][0]["email"] == users.sponsor.email
    assert kam.put(f"{base}/escalation-path", {"levels": []}).json()["is_default"]
    outsider = kam.put(f"{base}/escalation-path", {"levels": [{"user_id": portfolio.other_kam.pk}]})
    assert errors(outsider) == {
        "levels": ["Level 1: other-kam@example.com cannot see this account, so cannot be escalated to."]
    }

    london = BusinessCalendar.objects.get(time_zone="Europe/London")
    chosen = kam.put(f"{base}/calendar", {"calendar_id": london.pk}).json()
    assert chosen["source"] == "account" and chosen["calendar"]["id"] == london.pk
    assert errors(kam.put(f"{base}/calendar", {"calendar_id": 999999})) == {
        "calendar_id": ["No calendar with id 999999."]
    }
    assert kam.put(f"{base}/calendar", {"calendar_id": None}).json()["source"] == "region"
    assert kam.get(f"/api/v1/accounts/{portfolio.other.pk}/service-levels").status_code == 404


# Obligations ---------------------------------------------------------------------------------------------------


def test_obligations_are_listed_by_flag_and_done_with_evidence(api, users, apac):
    services.generate_obligations(today=dt.date(2026, 1, 10), periods_ahead=0)
    kam = api("kam")
    overdue = kam.get("/api/v1/obligations", {"flag": "overdue", "account": apac.pk}).json()
    assert {(o["policy_key"], o["period_label"], o["flag"]) for o in overdue["items"]} == {
        ("quarterly_review", "2026-Q1", "overdue"),
        ("monthly_kpi_update", "2026-01", "overdue"),
    }
    assert kam.get("/api/v1/obligations", {"policy": "annual_plan_update"}).json()["count"] == 1
    obligation = Obligation.objects.get(account=apac, period_label="2026-Q1")
    url = f"/api/v1/obligations/{obligation.pk}/done"
    assert list(errors(kam.post(url, {"evidence": ""}))) == ["evidence"]
    assert errors(kam.post(url, {"evidence": "Minutes", "done_on": "2099-01-01"})) == {
        "done_on": ["This date is in the future."]
    }
    assert kam.post(url, {"evidence": "Minutes", "version": obligation.version + 5}).status_code == 412
    done = kam.post(url, {"evidence": "QBR minutes", "done_on": "2026-03-20", "version": obligation.version})
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["flag"], done.json()["done_by"]["email"]) == (
        "done",
        "done",
        users.kam.email,
    )
    assert errors(kam.post(url, {"evidence": "Twice"})) == {"status": ["This obligation is done already."]}
    reopened = kam.post(f"/api/v1/obligations/{obligation.pk}/reopen")
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
