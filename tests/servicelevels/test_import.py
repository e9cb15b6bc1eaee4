"""requests.csv (DEFINITIONS §11): atomic, row/column/reason reports, history written as the file gives it."""

import pytest

from kam.accounts.importers import run_import
from kam.servicelevels.models import ClientRequest, ClockState, Escalation

HEADER = "request_id,account_number,priority,subject,created_at,first_response_at,resolved_at\n"


@pytest.fixture
def accounts(portfolio):
    return portfolio


def test_a_valid_file_creates_requests_with_their_history(accounts):
    data = (
        HEADER
        + "Q-1,OWN-1,critical,Line down,2025-03-02T09:00:00+01:00,2025-03-02T09:30:00+01:00,2025-03-03T10:00:00+01:00\n"
        + "Q-2,OTH-1,normal,Question,2025-03-05T10:00:00Z,,\n"
        + 'Q-3,OWN-1-1,normal,"Never answered, resolved",2025-04-01T08:00:00Z,,2025-04-09T08:00:00Z\n'
    ).encode()
    assert run_import("requests", data, "requests.csv", apply=False).summary()["created"] == 3
    assert ClientRequest.objects.count() == 0  # a check writes nothing
    report = run_import("requests", data, "requests.csv", apply=True)
    assert report.ok, report.errors
    first = ClientRequest.objects.get(external_id="Q-1")
    assert first.kind == "critical_issue" and first.status == "resolved"
    assert first.response_state == ClockState.MET and first.resolution_state == ClockState.MET
    second = ClientRequest.objects.get(external_id="Q-2")
    assert second.status == "new" and second.first_response_at is None
    assert second.response_state == ClockState.BREACHED  # a year old and unanswered
    third = ClientRequest.objects.get(external_id="Q-3")
    assert third.first_response_at is None and third.resolved_at is not None  # §6: never answered stays so
    assert third.response_state == ClockState.MISSED
    assert not Escalation.objects.exists()  # the past is not escalated
    # The same file again changes nothing; a later export that adds the first response completes the request.
    assert run_import("requests", data, "requests.csv", apply=True).summary()["unchanged"] == 3
    later = HEADER + "Q-2,OTH-1,normal,Question,2025-03-05T10:00:00Z,2025-03-05T11:00:00Z,\n"
    assert run_import("requests", later.encode(), "requests.csv", apply=True).summary()["updated"] == 1
    second.refresh_from_db()
    assert second.status == "acknowledged" and second.response_state == ClockState.MET  # answered within the hour


def test_bad_rows_are_reported_and_nothing_is_written(accounts):
    data = (
        HEADER
        + "Q-1,OWN-1,critical,Fine,2025-03-02T09:00:00Z,,\n"
        + "Q-2,NOPE,normal,Unknown account,2025-03-02T09:00:00Z,,\n"
        + "Q-3,OWN-1,urgentish,Bad priority,2025-03-02T09:00:00Z,,\n"
        + "Q-4,OWN-1,normal,No zone,2025-03-02T09:00:00,,\n"
        + "Q-5,OWN-1,normal,Resolved first,2025-03-02T09:00:00Z,,2025-03-01T09:00:00Z\n"
        + "Q-1,OWN-1,normal,Duplicate,2025-03-02T09:00:00Z,,\n"
    ).encode()
    report = run_import("requests", data, "requests.csv", apply=True)
    assert not report.ok
    reasons = {(e["row"], e["column"]): e["reason"] for e in report.errors}
    assert reasons[(3, "account_number")] == "no account with this account number in KAM"
    assert "not a priority" in reasons[(4, "priority")]
    assert "no time zone" in reasons[(5, "created_at")]
    assert reasons[(6, "resolved_at")] == "before the request was created (created_at)"
    assert "duplicate" in reasons[(7, "request_id")]
    assert ClientRequest.objects.count() == 0


def test_a_contradiction_with_kam_is_an_error(accounts):
    run_import(
        "requests",
        (HEADER + "Q-1,OWN-1,normal,A,2025-03-02T09:00:00Z,2025-03-02T10:00:00Z,\n").encode(),
        "r.csv",
        apply=True,
    )
    report = run_import(
        "requests",
        (HEADER + "Q-1,OWN-1,normal,A,2025-03-02T09:00:00Z,2025-03-02T11:00:00Z,\n").encode(),
        "r.csv",
        apply=True,
    )
    assert [e["column"] for e in report.errors] == ["first_response_at"]
