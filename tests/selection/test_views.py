"""The workbench pages, as a programme lead and as the other roles: build, run, read, propose, decide."""

import pytest
from django.urls import reverse

from kam.audit.models import ObjectChange
from kam.selection import services
from kam.selection.choices import DesignationStatus, RunStatus
from kam.selection.config import default_criteria
from kam.selection.models import KeyAccountDesignation, ScoringModel, SelectionRun
from tests.factories import fact, make_account, wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(users):
    """Twelve groups with facts and wallets; G-01 has a subsidiary."""
    groups = []
    for i in range(1, 13):
        group = make_account(f"Group {i:02d}", account_number=f"G-{i:02d}")
        fact(group, "2026-06", 1000 * i, 100 * i + (i % 3) * 50)
        fact(group, "2025-05", 900 * i, 90 * i)
        if i % 4:
            wallet(group, 2026, 5000 * i + (i % 5) * 3000)
        groups.append(group)
    child = make_account("Group 01 Iberia", parent=groups[0], account_number="G-01-ES")
    fact(child, "2026-06", 500, 50)
    return groups


@pytest.fixture
def done_run(tenant, users):
    model = services.create_model(name="Default", criteria=default_criteria())
    run = services.start_run(model, users.lead)
    return services.execute_run(run.pk)


def test_lead_builds_a_model_with_the_form(users, login, tenant):
    client = login(users.lead)
    page = client.get(reverse("selection:model_add"))
    assert page.status_code == 200 and "T12M revenue" in page.content.decode()
    data = {
        "name": "Growth first",
        "description": "",
        "as_of": "",
        "pop_basis": "headroom",
        "pop_threshold": "",
        "wallet_threshold": "",
        "name_strategic": "Invest",
        "name_develop": "",
        "name_maintain": "",
        "name_serve_efficiently": "",
        "criteria-TOTAL_FORMS": "3",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "16",
        "criteria-0-criterion": "growth_yoy",
        "criteria-0-weight": "2",
        "criteria-0-normalisation": "percentile",
        "criteria-0-direction": "higher",
        "criteria-1-criterion": "wallet",
        "criteria-1-weight": "1",
        "criteria-1-normalisation": "bands",
        "criteria-1-direction": "higher",
        "criteria-1-bands": "20000, 10000",
        "criteria-2-criterion": "",
        "criteria-2-weight": "",
        "criteria-2-normalisation": "min_max",
        "criteria-2-direction": "higher",
    }
    refused = client.post(reverse("selection:model_add"), data)
    assert refused.status_code == 200
    assert "band thresholds must rise; 20000 is followed by 10000" in refused.content.decode()
    assert not ScoringModel.objects.exists()
    data["criteria-1-bands"] = "10000, 20000"
    saved = client.post(reverse("selection:model_add"), data)
    model = ScoringModel.objects.get(name="Growth first")
    assert saved.status_code == 302 and saved["Location"] == model.get_absolute_url()
    assert [c["criterion"] for c in model.criteria] == ["growth_yoy", "wallet"]
    assert model.quadrant_names["strategic"] == "Invest"
    assert ObjectChange.objects.filter(object_repr="Growth first", action="create").exists()


def test_run_pages_for_the_lead(users, login, done_run):
    client = login(users.lead)
    run = done_run
    assert run.status == RunStatus.DONE
    ranked = client.get(reverse("selection:run", args=[run.pk]))
    html = ranked.content.decode()
    assert ranked.status_code == 200 and "12 accounts, ranked by score" in html
    top = run.results.get(rank=1)
    assert top.account.name in html
    why = client.get(reverse("selection:result", args=[run.pk, top.account_id])).content.decode()
    assert f"number {top.rank}" in why and "T12M revenue (EUR)" in why
    matrix = client.get(reverse("selection:run_matrix", args=[run.pk])).content.decode()
    assert "<svg" in matrix and "Serve efficiently" in matrix and 'data-testid="segments"' in matrix
    capacity = client.get(reverse("selection:run_capacity", args=[run.pk]), {"managers": 1}).content.decode()
    assert "can carry <strong>5–10 key accounts</strong>" in capacity
    bad = client.get(reverse("selection:run_capacity", args=[run.pk]), {"low": 9, "high": 3})
    assert bad.status_code == 200 and "must not exceed" in bad.content.decode()
    retier = client.get(reverse("selection:run_retiering", args=[run.pk]), {"top": 3}).content.decode()
    assert 'data-testid="enters"' in retier
    export = client.get(reverse("selection:run", args=[run.pk]), {"export": "csv", "segment": "unclassified"})
    lines = b"".join(export.streaming_content if export.streaming else [export.content]).decode().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("Rank,Account,Number,Score,Segment")
    assert len(lines) == 1 + run.results.filter(segment="unclassified").count()


def test_status_poll_reloads_when_the_run_is_done(users, login, done_run):
    response = login(users.lead).get(
        reverse("selection:run", args=[done_run.pk]), {"status": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204 and response["HX-Refresh"] == "true"


def test_propose_from_the_run_and_approve(users, login, done_run):
    client = login(users.lead)
    picks = list(done_run.results.order_by("rank").values_list("account_id", flat=True)[:3])
    response = client.post(
        reverse("selection:run_propose", args=[done_run.pk]), {"account": picks, "reason": "Top three"}
    )
    assert response.status_code == 302
    proposals = KeyAccountDesignation.objects.filter(status=DesignationStatus.PROPOSED)
    assert sorted(proposals.values_list("account_id", flat=True)) == sorted(picks)
    assert {p.rank for p in proposals} == {1, 2, 3}
    for proposal in proposals:
        decided = client.post(reverse("selection:designation_decide", args=[proposal.pk]), {"decision": "approve"})
        assert decided.status_code == 302
    assert KeyAccountDesignation.objects.filter(status=DesignationStatus.APPROVED).count() == 3
    from kam.accounts.models import Account

    assert set(Account.objects.filter(is_key_account=True).values_list("pk", flat=True)) == set(picks)


def test_propose_without_reason_is_refused(users, login, done_run):
    client = login(users.lead)
    pick = done_run.results.get(rank=1).account_id
    client.post(reverse("selection:run_propose", args=[done_run.pk]), {"account": [pick], "reason": " "})
    assert not KeyAccountDesignation.objects.exists()


def test_reject_needs_a_note_and_kam_cannot_decide(users, login, done_run, portfolio):
    proposal = services.propose(portfolio.own, users.kam, "We know them well")
    kam = login(users.kam)
    assert (
        kam.post(reverse("selection:designation_decide", args=[proposal.pk]), {"decision": "approve"}).status_code
        == 403
    )
    kam.logout()
    lead = login(users.lead)
    page = lead.post(reverse("selection:designation_decide", args=[proposal.pk]), {"decision": "reject", "note": ""})
    assert page.status_code == 200 and "Say why the proposal is rejected." in page.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == DesignationStatus.PROPOSED


def test_lead_removes_a_key_account_with_a_reason(users, login, portfolio):
    from kam.accounts.services import update_account

    update_account(portfolio.own, {"is_key_account": True})
    client = login(users.lead)
    url = reverse("selection:dedesignate", args=[portfolio.own.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    assert client.post(url, {"reason": "Left the market"}).status_code == 302
    portfolio.own.refresh_from_db()
    assert not portfolio.own.is_key_account
    decision = KeyAccountDesignation.objects.get(account=portfolio.own)
    assert (decision.kind, decision.status, decision.reason) == ("de_designate", "approved", "Left the market")


def test_kam_rates_own_account_but_not_another_teams(users, login, portfolio):
    client = login(users.kam)
    ok = client.post(
        reverse("selection:rating_set"), {"account": portfolio.own.pk, "attribute": "complexity", "value": 4}
    )
    assert ok.status_code == 302
    refused = client.post(
        reverse("selection:rating_set"), {"account": portfolio.other.pk, "attribute": "complexity", "value": 4}
    )
    assert refused.status_code == 200 and "Choose an account you can see" in refused.content.decode()


def test_empty_states(users, login):
    client = login(users.lead)
    assert "No scoring models yet" in client.get(reverse("selection:model_list")).content.decode()
    assert "No runs yet" in client.get(reverse("selection:run_list")).content.decode()
    assert "Selecting key accounts" in client.get(reverse("selection:workbench")).content.decode()


def test_failed_run_shows_its_message(users, login, db):
    model = services.create_model(name="Nothing", criteria=default_criteria())
    run = services.execute_run(services.start_run(model, users.lead).pk)
    assert run.status == RunStatus.FAILED
    page = login(users.lead).get(reverse("selection:run", args=[run.pk])).content.decode()
    assert "import facts" in page
    assert SelectionRun.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("selection:run_matrix", "Segment,Accounts,Share %"),
        ("selection:run_capacity", "n,Account,Its potential operating profit EUR"),
        ("selection:run_retiering", "Change,Account number,Account,Rank"),
    ],
)
def test_analysis_tables_export_as_csv(users, login, done_run, name, header):
    response = login(users.lead).get(reverse(name, args=[done_run.pk]), {"export": "csv", "managers": 1, "top": 3})
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    lines = text.splitlines()
    assert lines[0].startswith(header)
    assert len(lines) > 1


def _query_counts(client, urls):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, url in urls.items():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, name
        counts[name] = len(queries)
    return counts


def test_query_counts_do_not_grow_with_the_number_of_accounts(users, login):
    """Pages of a run with 6 accounts, then of a run with 40: the same number of queries per page."""
    client = login(users.lead)

    def pages_for(count, prefix):
        for i in range(count):
            group = make_account(f"{prefix} {i}", account_number=f"{prefix}-{i:03d}")
            fact(group, "2026-06", 100 + i, 10 + i)
            wallet(group, 2026, 1000 + 37 * i)
            services.set_rating(group, "market_leader", 1 + i % 5, users.lead)
            if i % 3 == 0:
                services.propose(group, users.lead, "Because")
            if i % 4 == 1:  # key accounts today: re-tiering lists those that drop out of the top
                from kam.accounts.services import update_account

                update_account(group, {"is_key_account": True})
        model = services.create_model(
            name=f"Model {prefix}",
            criteria=[*default_criteria(), {"criterion": "market_leader", "weight": "0.1"}],
        )
        services.execute_run(services.start_run(model, users.lead).pk)
        # A second run with another wallet threshold: key accounts change segment between the two.
        services.update_model(model, {"wallet_threshold": 1500})
        run = services.execute_run(services.start_run(model, users.lead).pk)
        top = run.results.get(rank=1).account_id
        return {
            "run": reverse("selection:run", args=[run.pk]) + "?per_page=100",
            "result": reverse("selection:result", args=[run.pk, top]),
            "matrix": reverse("selection:run_matrix", args=[run.pk]),
            "capacity": reverse("selection:run_capacity", args=[run.pk]),
            "retiering": reverse("selection:run_retiering", args=[run.pk]) + "?top=2",
            "decisions": reverse("selection:designation_list") + "?per_page=100",
            "ratings": reverse("selection:rating_list") + "?per_page=100",
            "models": reverse("selection:model_list"),
            "workbench": reverse("selection:workbench"),
        }

    small = _query_counts(client, pages_for(6, "S"))
    large = _query_counts(client, pages_for(40, "L"))
    assert small == large
