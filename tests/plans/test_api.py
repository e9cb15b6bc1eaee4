"""The plans' REST API: create and read, text sections with optimistic concurrency, rows, the workflow, next year's
plan, compare, quality, and bad input refused cleanly (never a 500)."""

import pytest

from kam.plans.models import AccountPlan, PlanVersion, Risk
from kam.users.models import ApiToken

from .conftest import YEAR, fill

JSON = "application/json"
HUGE = 2**70


@pytest.fixture
def as_user():
    def headers(user):
        return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'tests')[1]}"}

    return headers


@pytest.fixture
def kam(users, as_user):
    return as_user(users.kam)


def _v1(plan_id):
    return f"/api/v1/plans/{plan_id}/versions/1"


def test_create_and_read_a_plan(client, kam, key_account):
    response = client.post(
        f"/api/v1/accounts/{key_account.pk}/plan", {"start_year": YEAR, "horizon_years": 4}, content_type=JSON, **kam
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account"]["id"] == key_account.pk and body["end_year"] == YEAR + 3
    assert [(v["number"], v["year"], v["status"]) for v in body["versions"]] == [(1, YEAR, "draft")]
    plan_id = body["id"]

    again = client.post(f"/api/v1/accounts/{key_account.pk}/plan", {"start_year": YEAR}, content_type=JSON, **kam)
    assert again.status_code == 409 and AccountPlan.objects.filter(account=key_account).count() == 1

    read = client.get(f"/api/v1/plans/{plan_id}", **kam)
    assert read.status_code == 200 and read.json()["title"] == f"{key_account.name} account plan"
    listed = client.get("/api/v1/plans", **kam).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == plan_id


def test_create_refuses_bad_input(client, kam, portfolio, key_account):
    not_key = client.post(
        f"/api/v1/accounts/{portfolio.own_child.pk}/plan", {"start_year": YEAR}, content_type=JSON, **kam
    )
    assert not_key.status_code == 422 and not_key.json()["errors"][0]["field"] == "account"
    horizon = client.post(
        f"/api/v1/accounts/{key_account.pk}/plan", {"start_year": YEAR, "horizon_years": 9}, content_type=JSON, **kam
    )
    assert horizon.status_code == 422 and horizon.json()["errors"][0]["field"] == "horizon_years"
    other = client.post(f"/api/v1/accounts/{portfolio.other.pk}/plan", {"start_year": YEAR}, content_type=JSON, **kam)
    assert other.status_code == 404  # another team's account does not exist for the KAM
    assert not AccountPlan.objects.exists()


def test_version_sections_need_the_version_read(client, kam, plan):
    read = client.get(_v1(plan.pk), **kam)
    assert read.status_code == 200 and read.json()["status"] == "draft"
    etag = read["ETag"]

    first = client.patch(_v1(plan.pk), {"situation": "Growing fast"}, content_type=JSON, HTTP_IF_MATCH=etag, **kam)
    assert first.status_code == 200, first.content
    assert first.json()["situation"] == "Growing fast" and first["ETag"] != etag

    stale = client.patch(_v1(plan.pk), {"situation": "Overwrite"}, content_type=JSON, HTTP_IF_MATCH=etag, **kam)
    assert stale.status_code == 412
    missing = client.patch(_v1(plan.pk), {"situation": "Blind"}, content_type=JSON, **kam)
    assert missing.status_code == 428
    assert PlanVersion.objects.get(plan=plan, number=1).situation == "Growing fast"

    too_long = client.patch(
        _v1(plan.pk), {"competitors": "x" * 20_001, "version": first.json()["version"]}, content_type=JSON, **kam
    )
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "competitors"


def test_rows_are_added_changed_and_deleted(client, kam, users, plan):
    items = f"{_v1(plan.pk)}/items"
    goal = client.post(f"{items}/objectives", {"side": "client", "title": "Cut cost"}, content_type=JSON, **kam)
    assert goal.status_code == 201, goal.content
    goal_id = goal.json()["id"]
    kpi = client.post(
        f"{items}/kpis", {"objective_id": goal_id, "metric": "Cost", "baseline": "100"}, content_type=JSON, **kam
    )
    assert kpi.status_code == 201 and kpi.json()["item_kind"] == "kpi"
    target = client.post(
        f"{items}/targets", {"kpi_id": kpi.json()["id"], "period": YEAR, "target": "90"}, content_type=JSON, **kam
    )
    assert target.status_code == 201
    risk = client.post(
        f"{items}/risks",
        {"title": "Price war", "category": "competitive", "likelihood": 4, "impact": 5, "owner_id": users.kam.pk},
        content_type=JSON,
        **kam,
    )
    assert risk.status_code == 201 and risk.json()["score"] == 20
    risk_id, risk_version = risk.json()["id"], risk.json()["version"]

    url = f"/api/v1/plan-items/risks/{risk_id}"
    changed = client.patch(url, {"mitigation": "Value case", "version": risk_version}, content_type=JSON, **kam)
    assert changed.status_code == 200 and changed.json()["mitigation"] == "Value case"
    stale = client.patch(url, {"mitigation": "Lost", "version": risk_version}, content_type=JSON, **kam)
    assert stale.status_code == 412
    blind = client.patch(url, {"mitigation": "Lost"}, content_type=JSON, **kam)
    assert blind.status_code == 428
    assert Risk.objects.get(pk=risk_id).mitigation == "Value case"

    full = client.get(_v1(plan.pk), **kam).json()
    assert [o["title"] for o in full["objectives"]] == ["Cut cost"]
    assert [t["target"] for t in full["targets"]] == ["90.0000"]  # decimals as strings, at the stored precision
    assert [r["id"] for r in full["risks"]] == [risk_id]

    assert client.delete(url, **kam).status_code == 204
    assert not Risk.objects.filter(pk=risk_id).exists()
    # Deleting the objective takes its KPI and the KPI's target with it.
    assert client.delete(f"/api/v1/plan-items/objectives/{goal_id}", **kam).status_code == 204
    full = client.get(_v1(plan.pk), **kam).json()
    assert full["objectives"] == full["kpis"] == full["targets"] == full["risks"] == []


def test_row_input_is_checked(client, kam, plan, draft, users):
    items = f"{_v1(plan.pk)}/items"
    unknown_kind = client.post(f"{items}/widgets", {"title": "X"}, content_type=JSON, **kam)
    assert unknown_kind.status_code == 422
    missing = client.post(f"{items}/risks", {"title": "No scores"}, content_type=JSON, **kam)
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"category", "likelihood", "impact"}
    out_of_range = client.post(
        f"{items}/risks",
        {"title": "R", "category": "financial", "likelihood": 6, "impact": 1},
        content_type=JSON,
        **kam,
    )
    assert out_of_range.status_code == 422 and out_of_range.json()["errors"][0]["field"] == "likelihood"
    wrong_field = client.post(f"{items}/objectives", {"title": "O", "metric": "M"}, content_type=JSON, **kam)
    assert wrong_field.status_code == 422 and wrong_field.json()["errors"][0]["field"] == "metric"
    foreign = client.post(f"{items}/kpis", {"objective_id": HUGE, "metric": "M"}, content_type=JSON, **kam)
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "objective_id"
    no_objective = client.post(f"{items}/kpis", {"objective_id": 999_999, "metric": "M"}, content_type=JSON, **kam)
    assert no_objective.status_code == 422 and no_objective.json()["errors"][0]["field"] == "objective_id"
    computed = fill(draft, users.kam)["kpi"]
    bad_kpi = client.patch(
        f"/api/v1/plan-items/kpis/{computed.pk}", {"source": "entered", "version": computed.version}, **kam,
        content_type=JSON,
    )  # fmt: skip
    assert bad_kpi.status_code == 422 and bad_kpi.json()["errors"][0]["field"] == "computed_metric"
    null_title = client.patch(
        f"/api/v1/plan-items/kpis/{computed.pk}", {"metric": None, "version": computed.version}, **kam,
        content_type=JSON,
    )  # fmt: skip
    assert null_title.status_code == 422 and null_title.json()["errors"][0]["field"] == "metric"
    assert not Risk.objects.filter(title="No scores").exists()


def test_absurd_and_unknown_ids_are_not_found(client, kam, plan):
    assert client.get(f"/api/v1/plans/{HUGE}", **kam).status_code == 404
    assert client.get(f"/api/v1/plans/{plan.pk}/versions/{HUGE}", **kam).status_code == 404
    assert client.get(f"/api/v1/plans/{plan.pk}/versions/2", **kam).status_code == 404
    assert client.get(f"/api/v1/plans/{HUGE}/versions/1/quality", **kam).status_code == 404
    assert (
        client.post(f"/api/v1/accounts/{HUGE}/plan", {"start_year": YEAR}, content_type=JSON, **kam).status_code == 404
    )
    body = {"title": "T", "category": "financial", "likelihood": 1, "impact": 1}
    assert (
        client.post(f"/api/v1/plans/{HUGE}/versions/1/items/risks", body, content_type=JSON, **kam).status_code == 404
    )
    assert client.patch(f"/api/v1/plan-items/risks/{HUGE}", {"version": 1}, content_type=JSON, **kam).status_code == 404
    assert client.delete(f"/api/v1/plan-items/risks/{HUGE}", **kam).status_code == 404
    assert client.post(f"/api/v1/plans/{HUGE}/versions/1/submit", {}, content_type=JSON, **kam).status_code == 404
    assert client.post(f"/api/v1/plans/{HUGE}/next-year", {}, content_type=JSON, **kam).status_code == 404
    compare = client.get(f"/api/v1/plans/{plan.pk}/compare?from_version={HUGE}", **kam)
    assert compare.status_code == 422


def test_workflow_next_year_and_compare(client, kam, users, leader, as_user, plan, draft):
    rows = fill(draft, users.kam)
    lead = as_user(leader)
    submit = client.post(f"{_v1(plan.pk)}/submit", {}, content_type=JSON, **kam)
    assert submit.status_code == 200 and submit.json()["status"] == "in_review"

    # The KAM manages the account but does not lead its team: they may not approve, whatever the version's state.
    forbidden = client.post(f"{_v1(plan.pk)}/approve", {}, content_type=JSON, **kam)
    assert forbidden.status_code == 403
    assert PlanVersion.objects.get(pk=draft.pk).status == "in_review"

    no_note = client.post(f"{_v1(plan.pk)}/return-to-draft", {"note": ""}, content_type=JSON, **lead)
    assert no_note.status_code == 422
    back = client.post(f"{_v1(plan.pk)}/return-to-draft", {"note": "Add a risk owner"}, content_type=JSON, **lead)
    assert back.status_code == 200 and back.json()["status"] == "draft"
    assert back.json()["review_note"] == "Add a risk owner"

    client.post(f"{_v1(plan.pk)}/submit", {}, content_type=JSON, **kam)
    stale = client.post(f"{_v1(plan.pk)}/approve", {"version": 1}, content_type=JSON, **lead)
    assert stale.status_code == 412
    approved = client.post(f"{_v1(plan.pk)}/approve", {}, content_type=JSON, **lead)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == leader.display_name

    frozen = client.patch(_v1(plan.pk), {"situation": "Late", "version": approved.json()["version"]}, **kam,
                          content_type=JSON)  # fmt: skip
    assert frozen.status_code == 422
    risk = Risk.objects.get(pk=rows["risk"].pk)
    frozen_row = client.delete(f"/api/v1/plan-items/risks/{risk.pk}", **kam)
    assert frozen_row.status_code == 422 and Risk.objects.filter(pk=risk.pk).exists()

    nxt = client.post(f"/api/v1/plans/{plan.pk}/next-year", {}, content_type=JSON, **kam)
    assert nxt.status_code == 201, nxt.content
    assert (nxt.json()["number"], nxt.json()["year"], nxt.json()["status"]) == (2, YEAR + 1, "draft")
    assert len(nxt.json()["risks"]) == 1
    again = client.post(f"/api/v1/plans/{plan.pk}/next-year", {}, content_type=JSON, **kam)
    assert again.status_code == 422

    new_risk = nxt.json()["risks"][0]
    edited = client.patch(
        f"/api/v1/plan-items/risks/{new_risk['id']}", {"impact": 5, "version": new_risk["version"]}, **kam,
        content_type=JSON,
    )  # fmt: skip
    assert edited.status_code == 200
    added = client.post(
        f"/api/v1/plans/{plan.pk}/versions/2/items/actions", {"title": "Exec sponsor dinner"}, content_type=JSON, **kam
    )
    assert added.status_code == 201

    compare = client.get(f"/api/v1/plans/{plan.pk}/compare", **kam)
    assert compare.status_code == 200, compare.content
    body = compare.json()
    assert (body["from_version"], body["to_version"]) == (1, 2)
    assert body["changed_sections"] == ["action", "risk"]
    sections = {s["key"]: s for s in body["sections"]}
    assert sections["risk"]["changed"][0]["fields"] == ["impact"]
    assert sections["risk"]["changed"][0]["before"]["id"] == risk.pk
    assert [a["text"] for a in sections["action"]["added"]] == ["Exec sponsor dinner"]

    listed = client.get(f"/api/v1/plans/{plan.pk}", **kam).json()
    assert [(v["number"], v["status"]) for v in listed["versions"]] == [(2, "draft"), (1, "approved")]


def test_quality_score_and_findings(client, kam, users, plan, draft):
    from kam.stakeholders.models import CoverageRule

    CoverageRule.objects.all().delete()  # the plan's own checks here (coverage: tests/plans/test_quality.py)
    empty = client.get(f"{_v1(plan.pk)}/quality", **kam)
    assert empty.status_code == 200
    assert empty.json() == {"number": 1, "score": 100, "checks": 1, "passed": 1, "findings": []}
    risk = client.post(
        f"{_v1(plan.pk)}/items/risks",
        {"title": "Churn", "category": "relationship", "likelihood": 2, "impact": 2},
        content_type=JSON,
        **kam,
    ).json()
    report = client.get(f"{_v1(plan.pk)}/quality", **kam).json()
    assert (report["score"], report["checks"], report["passed"]) == (50, 2, 1)
    assert report["findings"] == [
        {
            "rule": "risk_without_mitigation",
            "message": "Risk “Churn” has no mitigation.",
            "item_kind": "risk",
            "item_id": risk["id"],
        }
    ]


def test_scope_and_roles(client, users, portfolio, as_user, plan):
    other_kam = as_user(portfolio.other_kam)
    assert client.get(f"/api/v1/plans/{plan.pk}", **other_kam).status_code == 404
    assert client.get("/api/v1/plans", **other_kam).json()["count"] == 0
    sponsor = as_user(users.sponsor)
    assert client.get(_v1(plan.pk), **sponsor).status_code == 200
    refused = client.patch(_v1(plan.pk), {"situation": "Mine", "version": 1}, content_type=JSON, **sponsor)
    assert refused.status_code == 403
    assert client.get(f"/api/v1/plans/{plan.pk}").status_code == 401


def test_our_goal_is_evaluated_through_the_api_after_approval(client, kam, draft, users):
    from kam.plans import services

    rows = fill(draft, users.kam)
    services.submit(draft, users.kam)
    services.approve(draft, users.lead)
    url = f"/api/v1/plan-items/objectives/{rows['ours'].pk}/evaluate"
    response = client.post(url, {"achieved": False, "version": rows["ours"].version}, content_type=JSON, **kam)
    assert response.status_code == 200, response.content
    assert response.json()["achieved"] is False and response["ETag"]
    # A stale version fails its precondition; the client's goal is refused with a field error; unknown ids are 404.
    assert client.post(url, {"achieved": True, "version": 1}, content_type=JSON, **kam).status_code == 412
    goal = f"/api/v1/plan-items/objectives/{rows['goal'].pk}/evaluate"
    response = client.post(goal, {"achieved": True, "version": rows["goal"].version}, content_type=JSON, **kam)
    assert response.status_code in (400, 422) and "achieved" in response.content.decode()
    missing = f"/api/v1/plan-items/objectives/{HUGE}/evaluate"
    assert client.post(missing, {"achieved": True}, content_type=JSON, **kam).status_code == 404
