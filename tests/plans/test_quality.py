"""The plan quality score: a clean plan scores 100; each rule fires exactly when it should, on the right item."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kam.plans import services
from kam.plans.quality import evaluate
from kam.stakeholders import services as stakeholders
from kam.stakeholders.defaults import ensure_defaults as coverage_defaults
from kam.stakeholders.models import CoverageRule
from tests.plans.conftest import add
from tests.stakeholders.segments import segment_accounts


@pytest.fixture(autouse=True)
def without_coverage_rules(db):
    """The checks counted in these tests are the plan's own: the programme's coverage rules (seeded by migration
    stakeholders.0002) would add one check each, so they are removed; the coverage_gap tests put back what they
    need."""
    CoverageRule.objects.all().delete()


@pytest.fixture
def clean(draft, users):
    """A plan that passes every rule on `today`: 8 checks (an objective; a KPI twice: target, baseline; an open action
    twice: owner, overdue; a risk; an opportunity; the review)."""
    today = timezone.localdate(draft.created_at)
    objective = add(draft, "objective", users.kam, title="Grow")
    kpi = add(draft, "kpi", users.kam, objective=objective, metric="NPS", baseline=Decimal(20))
    add(draft, "target", users.kam, kpi=kpi, period=2026, target=Decimal(30))
    action = add(draft, "action", users.kam, title="Call", owner=users.kam, due_date=today)
    risk = add(draft, "risk", users.kam, title="Churn", category="relationship", likelihood=2, impact=2,
               mitigation="QBRs")  # fmt: skip
    opportunity = add(draft, "opportunity", users.kam, title="Upsell", kind="upsell", value=Decimal(10),
                      next_step="Call the buyer")  # fmt: skip
    rows = {"objective": objective, "kpi": kpi, "action": action, "risk": risk, "opportunity": opportunity}
    return draft, today, rows


def change(version, kind, row, users, **data):
    return services.save_item(version, kind, data, users.kam, item=row)


def test_a_clean_plan_scores_100(clean):
    version, today, _ = clean
    report = evaluate(version, today)
    assert (report.score, report.checks, report.passed, report.findings) == (100, 8, 8, [])


def test_an_empty_plan_has_only_the_review_check(draft):
    report = evaluate(draft, timezone.localdate(draft.created_at))
    assert (report.score, report.checks, report.findings) == (100, 1, [])


def _fires(report, rule, item):
    assert [(f.rule, f.item) for f in report.findings] == [(rule, item)]
    rule_, message, item_ = report.findings[0]
    assert (rule_, item_) == (rule, item) and message


def test_objective_without_kpi(clean, users):
    version, today, _ = clean
    bare = add(version, "objective", users.kam, title="Bare")
    report = evaluate(version, today)
    _fires(report, "objective_without_kpi", bare)
    assert (report.checks, report.score) == (9, 89)  # 8 of 9


def test_kpi_without_target(clean, users):
    version, today, rows = clean
    kpi = add(version, "kpi", users.kam, objective=rows["objective"], metric="Revenue", baseline=Decimal(1))
    report = evaluate(version, today)
    _fires(report, "kpi_without_target", kpi)
    assert (report.checks, report.score) == (10, 90)


def test_kpi_without_baseline(clean, users):
    version, today, rows = clean
    kpi = change(version, "kpi", rows["kpi"], users, baseline=None)
    report = evaluate(version, today)
    _fires(report, "kpi_without_baseline", kpi)
    assert (report.checks, report.score) == (8, 88)  # 7 of 8: 87.5 rounds to 88


def test_action_without_owner_only_while_the_action_is_open(clean, users):
    version, today, rows = clean
    action = change(version, "action", rows["action"], users, owner=None)
    _fires(evaluate(version, today), "action_without_owner", action)
    change(version, "action", action, users, status="in_progress")
    _fires(evaluate(version, today), "action_without_owner", action)
    change(version, "action", action, users, status="done")
    report = evaluate(version, today)
    assert report.findings == [] and report.checks == 6  # a done action is not checked


def test_action_overdue_from_the_day_after_its_due_date(clean, users):
    version, today, rows = clean
    action = rows["action"]
    assert evaluate(version, today).findings == []  # due today: not overdue yet
    _fires(evaluate(version, today + dt.timedelta(days=1)), "action_overdue", action)
    change(version, "action", action, users, due_date=None)
    assert evaluate(version, today + dt.timedelta(days=1)).findings == []  # no due date, nothing overdue
    change(version, "action", action, users, due_date=today - dt.timedelta(days=1), status="cancelled")
    assert evaluate(version, today).findings == []


def test_risk_without_mitigation_unless_closed(clean, users):
    version, today, rows = clean
    risk = change(version, "risk", rows["risk"], users, mitigation="  ")
    _fires(evaluate(version, today), "risk_without_mitigation", risk)
    change(version, "risk", risk, users, status="mitigated")
    _fires(evaluate(version, today), "risk_without_mitigation", risk)
    change(version, "risk", risk, users, status="closed")
    assert evaluate(version, today).findings == []


def test_opportunity_without_next_step_unless_won_or_lost(clean, users):
    version, today, rows = clean
    opportunity = change(version, "opportunity", rows["opportunity"], users, next_step="")
    _fires(evaluate(version, today), "opportunity_without_next_step", opportunity)
    for stage in ("won", "lost"):
        change(version, "opportunity", opportunity, users, stage=stage)
        assert evaluate(version, today).findings == []


def test_not_reviewed_in_100_days(clean, users):
    version, today, rows = clean
    change(version, "action", rows["action"], users, due_date=None)
    assert evaluate(version, today + dt.timedelta(days=100)).findings == []
    _fires(evaluate(version, today + dt.timedelta(days=101)), "not_reviewed", version)


def test_the_review_counts_from_the_last_review_then_the_approval(clean, users):
    version, today, rows = clean
    change(version, "action", rows["action"], users, due_date=None)
    services.submit(version, users.kam)
    version = services.approve(version, users.lead)
    version.approved_at = timezone.now() - dt.timedelta(days=150)  # approved long ago (as if)
    version.created_at = version.approved_at
    later = timezone.localdate(version.approved_at) + dt.timedelta(days=101)
    _fires(evaluate(version, later), "not_reviewed", version)
    version.reviewed_at = timezone.now()
    assert evaluate(version, timezone.localdate() + dt.timedelta(days=100)).findings == []


def test_coverage_gap_one_check_per_applicable_rule(clean, users, key_account):
    """The default rules on the plan's customer (the own group: KAM and executive sponsor on its team)."""
    version, today, _ = clean
    coverage_defaults()
    CoverageRule.objects.create(name="Strategic: a supporter", kind="has_attitude", attitude="supporter",
                                segment="strategic")  # fmt: skip
    CoverageRule.objects.create(name="Inactive", kind="has_attitude", attitude="blocker", is_active=False)
    # An empty map: no champion, no executive sponsor with an economic buyer; no decision maker, so none unowned.
    # The strategic and the inactive rules do not apply (the customer has no segment).
    report = evaluate(version, today)
    assert [(f.rule, f.message, f.item) for f in report.findings] == [
        ("coverage_gap", "Coverage: No champion among the customer's current contacts.", version),
        ("coverage_gap", "Coverage: No executive sponsor holds a relationship with an economic buyer (at least "
                         "Acquainted).", version),
    ]  # fmt: skip
    assert (report.checks, report.passed, report.score) == (11, 9, 82)  # 8 plan checks + 3 rules; 81.8 rounds up
    # A champion decision maker the KAM owns (at the subsidiary: the group's map) and the economic buyer the sponsor
    # knows well enough close both gaps.
    subsidiary = key_account.subtree().exclude(pk=key_account.pk).get()
    champion = {"last_name": "Chief", "buying_role": "decision_maker", "attitude": "champion"}
    stakeholders.save_contact(subsidiary, {**champion, "relationship_owner": users.kam}, users.kam)
    economic_buyer = {"last_name": "Boss", "buying_role": "economic_buyer", "relationship_now": 2}
    buyer = stakeholders.save_contact(key_account, {**economic_buyer, "relationship_owner": users.sponsor}, users.kam)
    report = evaluate(version, today)
    assert (report.findings, report.checks, report.score) == ([], 11, 100)
    # One step below the minimum reopens exactly that gap.
    stakeholders.save_contact(key_account, {"relationship_now": 1}, users.kam, contact=buyer)
    assert [f.message for f in evaluate(version, today).findings] == [
        "Coverage: No executive sponsor holds a relationship with an economic buyer (at least Acquainted)."
    ]
    # Made strategic, the customer gets the strategic rule too (nobody is a supporter: it fails, listed last).
    segment_accounts({key_account: "strategic"})
    report = evaluate(version, today)
    assert report.checks == 12 and [f.message for f in report.findings][-1] == (
        "Coverage: No supporter among the customer's current contacts."
    )
