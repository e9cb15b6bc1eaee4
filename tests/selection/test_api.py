"""The selection API (/api/v1/selection/…): scoring models, runs and their results, ratings and designation.
Who may call what is in tests/test_access_matrix.py; here: what the calls do."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam.accounts.models import Account
from kam.audit.models import ObjectChange
from kam.selection import services
from kam.selection.choices import DesignationStatus, RunStatus
from kam.selection.models import AccountRating, KeyAccountDesignation, ScoringModel, SelectionRun
from kam.users.models import ApiToken
from tests import factories

API = "/api/v1/selection"
FIGURES = (
    "revenue_t12m",
    "gross_profit_t12m",
    "revenue_p12m",
    "gross_margin",
    "growth_yoy",
    "growth_cagr",
    "wallet",
    "share_of_wallet",
    "wallet_headroom",
    "potential_operating_profit",
    "product_lines",
    "countries",
    "subsidiaries",
    "market_leader",
    "innovation_partner",
    "reference_value",
    "complexity",
)


@pytest.fixture
def api(client, users):
    """api(role).get/post/… with that role's token."""
    tokens = {}

    class Caller:
        def __init__(self, role):
            if role not in tokens:
                tokens[role] = ApiToken.issue(getattr(users, role), "tests")[1]
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[role]}"}

        def get(self, url, **extra):
            return client.get(url, **self.headers, **extra)

        def delete(self, url, **extra):
            return client.delete(url, **self.headers, **extra)

        def send(self, method, url, body=None, **extra):
            if method == "generic":  # a POST with an empty body
                return client.generic("POST", url, b"", **self.headers, **extra)
            return getattr(client, method)(url, body or {}, content_type="application/json", **self.headers, **extra)

        def post(self, url, body=None, **extra):
            return self.send("post", url, body, **extra)

        def patch(self, url, body=None, **extra):
            return self.send("patch", url, body, **extra)

        def put(self, url, body=None, **extra):
            return self.send("put", url, body, **extra)

    return Caller


def build_accounts(count, prefix="S"):
    """`count` top-level EUR accounts with T12M and P12M revenue, and a wallet for most of them."""
    accounts = []
    for i in range(1, count + 1):
        account = factories.make_account(f"{prefix} Company {i:03d}", account_number=f"{prefix}-{i:03d}")
        factories.fact(account, "2026-06", 1000 * i, 100 * (i % 7 + 1))
        factories.fact(account, "2025-06", 900 * i + 50 * (i % 3), 90 * i)
        if i % 5:
            factories.wallet(account, 2026, 5000 * i + 20_000 * (i % 4))
        accounts.append(account)
    return accounts


def done_run(user, name="Default", **model_fields):
    model = services.create_model(name=name, **({"criteria": default()} | model_fields))
    run = services.execute_run(services.start_run(model, user).pk)
    assert run.status == RunStatus.DONE, run.message
    return run


def default():
    from kam.selection.config import default_criteria

    return default_criteria()


# Scoring models --------------------------------------------------------------------------------------------------


def test_create_update_and_delete_a_model(api, users):
    lead = api("lead")
    created = lead.post(
        f"{API}/models",
        {
            "name": "Growth",
            "criteria": [
                {"criterion": "revenue_t12m", "weight": 0.6},
                {"criterion": "wallet", "weight": "0.4", "normalisation": "bands", "bands": [1000000, "5000000"]},
            ],
            "as_of": "2026-03",
            "wallet_threshold": "250000.50",
            "quadrant_names": {"strategic": "Grow together"},
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["as_of"] == "2026-03" and body["version"] == 1
    assert body["criteria"][1] == {
        "criterion": "wallet",
        "weight": "0.4",
        "normalisation": "bands",
        "direction": "higher",
        "bands": ["1000000", "5000000"],
    }
    assert body["wallet_threshold"] == "250000.50" and body["pop_threshold"] is None
    assert body["quadrant_names"]["strategic"] == "Grow together" and body["quadrant_names"]["develop"] == "Develop"
    url = f"{API}/models/{body['id']}"

    read = lead.get(url)
    assert read.status_code == 200 and read["ETag"] == '"1"'
    assert lead.patch(url, {"description": "Blind"}).status_code == 428
    updated = lead.patch(url, {"description": "Revenue first", "as_of": None}, HTTP_IF_MATCH=read["ETag"])
    assert updated.status_code == 200, updated.content
    assert updated["ETag"] == '"2"' and updated.json()["as_of"] is None
    rows = lead.patch(url, {"criteria": [{"criterion": "growth_yoy", "weight": 2}], "version": 2})
    assert rows.status_code == 200, rows.content
    assert rows.json()["criteria"] == [
        {"criterion": "growth_yoy", "weight": "2", "normalisation": "min_max", "direction": "higher", "bands": []}
    ]
    stale = lead.patch(url, {"description": "Second writer", "version": 2})
    assert stale.status_code == 412 and stale.json()["errors"][0]["field"] == "version"
    assert ScoringModel.objects.get(pk=body["id"]).description == "Revenue first"

    listed = lead.get(f"{API}/models").json()
    assert listed["count"] == 1 and listed["items"][0]["name"] == "Growth"
    assert lead.delete(url).status_code == 204
    assert not ScoringModel.objects.filter(pk=body["id"]).exists()
    actions = list(
        ObjectChange.objects.filter(object_id=body["id"], content_type__model="scoringmodel")
        .order_by("id")
        .values_list("action", "source")
    )
    assert actions == [("create", "api"), ("update", "api"), ("update", "api"), ("delete", "api")]


def test_a_model_without_criteria_gets_the_default_score(api, users):
    body = api("admin").post(f"{API}/models", {"name": "Plain"}).json()
    assert [c["criterion"] for c in body["criteria"]] == [
        "revenue_t12m",
        "gross_margin",
        "growth_yoy",
        "wallet",
        "wallet_headroom",
    ]


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        (
            {"criteria": [{"criterion": "revenue_t12m", "weight": 0}, {"criterion": "wallet", "weight": "0"}]},
            "criteria",
            "The weights add up to 0: give at least one criterion a positive weight.",
        ),
        (
            {"criteria": [{"criterion": "wallet", "weight": 1, "normalisation": "bands", "bands": [10, 5]}]},
            "criteria",
            "Wallet size (EUR): band thresholds must rise; 10 is followed by 5.",
        ),
        ({"criteria": []}, "criteria", "Add at least one criterion."),
        ({"criteria": [{"criterion": "made_up", "weight": 1}]}, "criteria", "Criterion 1: “made_up” is not a known"),
        ({"criteria": [{"criterion": "wallet", "weight": "abc"}]}, "criteria.0.weight", "decimal"),
        ({"as_of": "2026-13"}, "as_of", "pattern"),
        ({"quadrant_names": {"premium": "Premium"}}, "quadrant_names", "“premium” is not a quadrant"),
        ({"pop_threshold": -5}, "pop_threshold", "cannot be negative"),
        ({"name": ""}, "name", "at least 1 character"),
        ({"quadrant_names": {"strategic": "A\x00B"}}, "quadrant_names", "NUL"),
        (
            {"criteria": [{"criterion": "wallet", "weight": 1, "normalisation": "bands", "bands": ["1e999999999"]}]},
            "criteria.0.bands.0",
            "no more than 32 digits",
        ),
    ],
)
def test_bad_configuration_is_a_422_with_the_message(api, users, payload, field, message):
    response = api("lead").post(f"{API}/models", {"name": "Bad", **payload})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "The request has invalid fields."
    assert any(e["field"] == field and message in e["message"] for e in body["errors"]), body
    assert not ScoringModel.objects.exists()


def test_a_bad_update_changes_nothing(api, users):
    model = services.create_model(name="Kept", criteria=default())
    response = api("lead").patch(
        f"{API}/models/{model.pk}",
        {"criteria": [{"criterion": "revenue_t12m", "weight": 0}], "version": model.version},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "criteria", "message": "The weights add up to 0: give at least one criterion a positive weight."}
    ]
    model.refresh_from_db()
    assert model.version == 1 and model.criteria == default()
    duplicate = services.create_model(name="Other", criteria=default())
    clash = api("lead").patch(f"{API}/models/{duplicate.pk}", {"name": "Kept", "version": 1})
    assert clash.status_code == 422 and clash.json()["errors"][0]["field"] == "name"


# Runs ------------------------------------------------------------------------------------------------------------


def test_a_run_end_to_end(api, users):
    build_accounts(12)
    lead = api("lead")
    model = lead.post(f"{API}/models", {"name": "Default"}).json()
    started = lead.post(f"{API}/models/{model['id']}/runs")
    assert started.status_code == 202, started.content
    queued = started.json()
    assert queued["status"] == "queued" and queued["model_name"] == "Default" and queued["model_version"] == 1
    assert lead.get(f"{API}/runs/{queued['id']}/results").status_code == 409  # not computed yet

    services.execute_run(queued["id"])  # the worker's part
    run = SelectionRun.objects.get(pk=queued["id"])
    body = lead.get(f"{API}/runs/{run.pk}").json()
    assert body["status"] == "done" and body["progress"] == 100 and body["as_of"] == "2026-06"
    assert body["population"] == 12 and body["classified"] == run.classified
    assert body["segment_counts"] == run.segment_counts and body["config"] == run.config
    assert Decimal(body["thresholds"]["wallet_threshold"]) == run.wallet_threshold
    assert body["thresholds"]["pop_basis"] == "headroom"
    assert isinstance(body["duration_ms"], int)

    page = lead.get(f"{API}/runs/{run.pk}/results").json()
    assert page["count"] == 12 and [r["rank"] for r in page["items"]] == list(range(1, 13))
    rows = {r.rank: r for r in run.results.select_related("account")}
    for item in page["items"]:
        row = rows[item["rank"]]
        assert item["account"] == {
            "id": row.account_id,
            "name": row.account.name,
            "account_number": row.account.account_number,
            "is_key_account": False,
        }
        assert Decimal(item["score"]) == row.score and item["segment"] == row.segment
        assert item["segment_name"] == run.quadrant_name(row.segment)
        for name in FIGURES:
            expected = getattr(row, name)
            assert (None if item[name] is None else Decimal(str(item[name]))) == expected, name
        assert set(item["contributions"]) == {c["criterion"] for c in run.config["criteria"]}
        for criterion, got in item["contributions"].items():
            ours = row.contributions[criterion]
            assert Decimal(got["normalised"]) == ours["n"] and Decimal(got["points"]) == ours["c"], criterion
            value = getattr(row, criterion)
            assert (None if got["value"] is None else Decimal(got["value"])) == value, criterion
        assert sum(Decimal(c["points"]) for c in item["contributions"].values()) == pytest.approx(
            row.score, abs=Decimal("0.00001")
        )

    listed = lead.get(f"{API}/runs?status=done&scoring_model={model['id']}").json()
    assert [r["id"] for r in listed["items"]] == [run.pk]
    assert lead.get(f"{API}/runs?status=failed").json()["count"] == 0
    assert lead.delete(f"{API}/runs/{run.pk}").status_code == 204
    assert not SelectionRun.objects.filter(pk=run.pk).exists() and not run.results.exists()


def test_results_filters_and_pagination(api, users):
    accounts = build_accounts(15)
    Account.objects.filter(pk__in=[a.pk for a in accounts[:3]]).update(is_key_account=True)
    run = done_run(users.lead)
    lead = api("lead")
    url = f"{API}/runs/{run.pk}/results"

    second = lead.get(f"{url}?page=2&page_size=4").json()
    assert second["count"] == 15 and [r["rank"] for r in second["items"]] == [5, 6, 7, 8]
    assert lead.get(f"{url}?page_size=501").status_code == 422

    segment = run.results.order_by("rank").first().segment
    by_segment = lead.get(f"{url}?segment={segment}").json()
    assert by_segment["count"] == run.results.filter(segment=segment).count()
    assert {r["segment"] for r in by_segment["items"]} == {segment}
    assert lead.get(f"{url}?segment=premium").status_code == 422

    found = lead.get(f"{url}?q=s-007").json()["items"]
    assert [r["account"]["account_number"] for r in found] == ["S-007"]
    assert lead.get(f"{url}?q=company 01").json()["count"] == 6  # S Company 010 … 015
    keys = lead.get(f"{url}?key_account=true").json()
    assert keys["count"] == 3 and all(r["account"]["is_key_account"] for r in keys["items"])
    assert lead.get(f"{url}?key_account=false").json()["count"] == 12
    ranks = [r["rank"] for r in lead.get(f"{url}?key_account=false&page_size=500").json()["items"]]
    assert ranks == sorted(ranks)


def test_segments_matrix_capacity_and_retiering(api, users):
    accounts = build_accounts(20)
    Account.objects.filter(pk=accounts[0].pk).update(is_key_account=True)
    factories.make_user("key_account_manager")  # the portfolio's KAM and this one: 2 managers
    first = done_run(users.lead, name="Default")
    run = services.execute_run(services.start_run(first.scoring_model, users.lead).pk)
    run.refresh_from_db()  # the thresholds as stored (execute_run returns them unrounded)
    lead = api("lead")

    segments = lead.get(f"{API}/runs/{run.pk}/segments").json()
    assert [s["segment"] for s in segments["segments"]] == [
        "strategic",
        "develop",
        "maintain",
        "serve_efficiently",
        "unclassified",
    ]
    assert sum(s["accounts"] for s in segments["segments"]) == 20 == segments["population"]
    assert {s["segment"]: s["accounts"] for s in segments["segments"] if s["accounts"]} == run.segment_counts
    assert sum(s["key_accounts"] for s in segments["segments"]) == 1

    matrix = lead.get(f"{API}/runs/{run.pk}/matrix").json()
    assert len(matrix["points"]) == run.classified
    assert all(p["segment"] != "unclassified" for p in matrix["points"])
    assert matrix["quadrant_names"]["serve_efficiently"] == "Serve efficiently"
    assert Decimal(matrix["thresholds"]["pop_threshold"]) == run.pop_threshold

    capacity = lead.get(f"{API}/runs/{run.pk}/capacity").json()
    assert capacity["managers"] == 2 and (capacity["recommended_low"], capacity["recommended_high"]) == (10, 20)
    assert len(capacity["curve"]) == 20 and capacity["curve"][-1]["share"] == "100.0"
    custom = lead.get(f"{API}/runs/{run.pk}/capacity?managers=1&low=2&high=3").json()
    assert (custom["recommended_low"], custom["recommended_high"]) == (2, 3)
    for query in ("low=6&high=5", "low=0", "high=51", "managers=-1", "managers=10001"):
        response = lead.get(f"{API}/runs/{run.pk}/capacity?{query}")
        assert response.status_code == 422, query
        assert response.json()["errors"], query
    assert lead.get(f"{API}/runs/{run.pk}/capacity?low=6&high=5").json()["errors"][0]["field"] == "high"

    retiering = lead.get(f"{API}/runs/{run.pk}/retiering?top=3").json()
    assert retiering["top"] == 3 and retiering["previous_run_id"] == first.pk
    enters = [r for r in run.results.order_by("rank")[:3] if r.account_id != accounts[0].pk]
    assert [e["account"]["id"] for e in retiering["enters"]] == [r.account_id for r in enters]
    key_rank = run.results.get(account=accounts[0]).rank
    assert [d["account"]["id"] for d in retiering["drops"]] == ([accounts[0].pk] if key_rank > 3 else [])
    assert retiering["segment_changes"] == []  # same model, same data
    assert lead.get(f"{API}/runs/{run.pk}/retiering").json()["top"] == 1  # as many as there are key accounts
    assert lead.get(f"{API}/runs/{run.pk}/retiering?top=0").status_code == 422


def test_a_failed_run_explains_itself(api, users):
    factories.make_account(account_number="EMPTY")
    model = services.create_model(name="Nothing", criteria=default())
    run = services.execute_run(services.start_run(model, users.lead).pk)
    assert run.status == RunStatus.FAILED
    lead = api("lead")
    body = lead.get(f"{API}/runs/{run.pk}").json()
    assert body["status"] == "failed" and "import facts" in body["message"]
    response = lead.get(f"{API}/runs/{run.pk}/segments")
    assert response.status_code == 409 and "import facts" in response.json()["detail"]
    SelectionRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    assert lead.delete(f"{API}/runs/{run.pk}").status_code == 409


def test_result_list_query_count_does_not_grow_with_the_page(api, users, client):
    client.force_login(users.lead)

    def count(run):
        url = f"{API}/runs/{run.pk}/results?page_size=500"
        client.get(url)  # warm-up: sessions, content types
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), response.json()["count"]

    build_accounts(5, prefix="F")
    small = count(done_run(users.lead, name="Five"))
    build_accounts(45, prefix="G")
    large = count(done_run(users.lead, name="Fifty"))
    assert small[1] == 5 and large[1] == 50
    assert small[0] == large[0]


# Ratings ---------------------------------------------------------------------------------------------------------


def test_ratings_are_upserted_and_scoped(api, users, portfolio):
    kam = api("kam")
    first = kam.put(
        f"{API}/ratings", {"account_id": portfolio.own.pk, "attribute": "market_leader", "value": 4, "note": "No. 1"}
    )
    assert first.status_code == 200, first.content
    rating = first.json()
    assert rating["value"] == 4 and rating["account"]["id"] == portfolio.own.pk
    assert rating["rated_by_id"] == users.kam.pk
    again = kam.put(f"{API}/ratings", {"account_id": portfolio.own.pk, "attribute": "market_leader", "value": 2})
    assert again.status_code == 200 and again.json()["id"] == rating["id"] and again.json()["value"] == 2
    assert AccountRating.objects.get().value == 2

    for value in (0, 6):
        bad = kam.put(f"{API}/ratings", {"account_id": portfolio.own.pk, "attribute": "complexity", "value": value})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "value"
    other = kam.put(f"{API}/ratings", {"account_id": portfolio.other.pk, "attribute": "complexity", "value": 3})
    assert other.status_code == 404
    sponsor = api("sponsor").put(
        f"{API}/ratings", {"account_id": portfolio.own.pk, "attribute": "complexity", "value": 3}
    )
    assert sponsor.status_code == 403

    services.set_rating(portfolio.other, "complexity", 5, users.lead)
    assert {r["account"]["id"] for r in kam.get(f"{API}/ratings").json()["items"]} == {portfolio.own.pk}
    assert api("lead").get(f"{API}/ratings").json()["count"] == 2
    filtered = api("lead").get(f"{API}/ratings?attribute=complexity&account={portfolio.other.pk}").json()
    assert [r["value"] for r in filtered["items"]] == [5]

    assert kam.delete(f"{API}/ratings/{rating['id']}").status_code == 403
    assert api("lead").delete(f"{API}/ratings/{rating['id']}").status_code == 204
    assert not AccountRating.objects.filter(pk=rating["id"]).exists()


# Designation -----------------------------------------------------------------------------------------------------


def test_propose_and_approve_makes_a_key_account_with_an_audit_trail(api, users, portfolio):
    build_accounts(3)
    factories.fact(portfolio.own, "2026-06", 5000, 1000)
    run = done_run(users.lead)
    kam = api("kam")
    proposed = kam.post(
        f"{API}/designations", {"account_id": portfolio.own.pk, "reason": "Largest wallet", "run_id": run.pk}
    )
    assert proposed.status_code == 422 and proposed.json()["errors"][0]["field"] == "run_id"  # runs are the lead's
    proposed = kam.post(f"{API}/designations", {"account_id": portfolio.own.pk, "reason": "Largest wallet"})
    assert proposed.status_code == 201, proposed.content
    designation = proposed.json()
    assert designation["status"] == "proposed" and designation["proposed_by_id"] == users.kam.pk
    twice = kam.post(f"{API}/designations", {"account_id": portfolio.own.pk, "reason": "Again"})
    assert twice.status_code == 422 and "open proposal" in twice.json()["errors"][0]["message"]
    no_reason = kam.post(f"{API}/designations", {"account_id": portfolio.own_child.pk, "reason": "  "})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    assert kam.post(f"{API}/designations", {"account_id": portfolio.other.pk, "reason": "Mine"}).status_code == 404

    url = f"{API}/designations/{designation['id']}"
    refused = kam.post(f"{url}/approve")
    assert refused.status_code == 403
    assert not Account.objects.get(pk=portfolio.own.pk).is_key_account

    approved = api("lead").post(f"{url}/approve", {"note": "Agreed at the steering committee"})
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["status"] == "approved" and body["decided_by_id"] == users.lead.pk
    assert body["decision_note"] == "Agreed at the steering committee" and body["account"]["is_key_account"]
    assert Account.objects.get(pk=portfolio.own.pk).is_key_account

    flag = ObjectChange.objects.filter(content_type__model="account", object_id=portfolio.own.pk, action="update")
    flag = flag.order_by("-id").first()
    assert flag.before["is_key_account"] is False and flag.after["is_key_account"] is True
    assert flag.actor == users.lead and flag.source == "api"
    decisions = ObjectChange.objects.filter(content_type__model="keyaccountdesignation", object_id=designation["id"])
    assert sorted(decisions.values_list("action", "actor__email")) == [
        ("create", "kam@example.com"),
        ("update", "lead@example.com"),
    ]
    again = api("lead").send("generic", url + "/approve")  # no body at all: the note is optional
    assert again.status_code == 422 and "already approved" in again.json()["errors"][0]["message"]

    # The lead proposes from the run: rank, score and segment are kept with the proposal.
    from_run = api("lead").post(
        f"{API}/designations",
        {"account_id": portfolio.other.pk, "reason": "Ranked high", "run_id": run.pk},
    )
    assert from_run.status_code == 201, from_run.content
    result = run.results.get(account=portfolio.other)
    assert from_run.json()["rank"] == result.rank and from_run.json()["segment"] == result.segment


def test_reject_needs_a_note_and_withdraw_is_the_proposers(api, users, portfolio):
    designation = services.propose(portfolio.own, users.kam, "Big potential")
    url = f"{API}/designations/{designation.pk}"
    lead = api("lead")
    for body in ({}, {"note": "  "}):
        blank = lead.post(f"{url}/reject", body)
        assert blank.status_code == 422
        assert blank.json()["errors"] == [{"field": "note", "message": "Say why the proposal is rejected."}]
    assert api("kam").post(f"{url}/reject", {"note": "No"}).status_code == 403
    rejected = lead.post(f"{url}/reject", {"note": "Too small for now"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert not Account.objects.get(pk=portfolio.own.pk).is_key_account

    mine = services.propose(portfolio.own, users.kam, "Second try")
    other_kam = factories.make_user("key_account_manager")
    factories.add_member(portfolio.own, other_kam, "team_leader")  # one key account manager per account
    raw = ApiToken.issue(other_kam, "t")[1]
    from django.test import Client

    colleague = Client().post(
        f"{API}/designations/{mine.pk}/withdraw", HTTP_AUTHORIZATION=f"Bearer {raw}", content_type="application/json"
    )
    assert colleague.status_code == 403
    assert api("viewer").post(f"{API}/designations/{mine.pk}/withdraw").status_code == 403
    withdrawn = api("kam").post(f"{API}/designations/{mine.pk}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"

    listed = api("viewer").get(f"{API}/designations?status=withdrawn").json()
    assert [d["id"] for d in listed["items"]] == [mine.pk]
    assert api("viewer").get(f"{API}/designations?kind=de_designate").json()["count"] == 0
    services.propose(portfolio.other, portfolio.other_kam, "Theirs")
    assert api("viewer").get(f"{API}/designations").json()["count"] == 2  # not the other team's
    assert api("lead").get(f"{API}/designations?account={portfolio.other.pk}").json()["count"] == 1


def test_the_lead_de_designates_directly(api, users, portfolio):
    Account.objects.filter(pk=portfolio.own.pk).update(is_key_account=True)
    url = f"{API}/accounts/{portfolio.own.pk}/de-designate"
    assert api("kam").post(url, {"reason": "Lost"}).status_code == 403
    done = api("lead").post(url, {"reason": "Lost the framework contract"})
    assert done.status_code == 201, done.content
    body = done.json()
    assert (body["kind"], body["status"]) == ("de_designate", DesignationStatus.APPROVED)
    assert not Account.objects.get(pk=portfolio.own.pk).is_key_account
    again = api("lead").post(url, {"reason": "Again"})
    assert again.status_code == 422 and "is not a key account" in again.json()["errors"][0]["message"]
    assert KeyAccountDesignation.objects.count() == 1


def test_an_id_beyond_64_bits_in_a_body_is_a_422(client, users):
    client.force_login(users.lead)
    response = client.put(
        "/api/v1/selection/ratings",
        {"account_id": -(10**28), "attribute": "market_leader", "value": 3},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "account_id"
