"""The account plans of the demo company (kam/plans/demo.py): loaded once through the services (audited), a rich plan
for the first demo manager with two versions that differ, plans in the other states, and key accounts without one."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from kam.accounts import demo as accounts_demo
from kam.accounts.models import Account
from kam.audit.models import ObjectChange
from kam.plans import demo, diff, quality, services, whitespace
from kam.plans.choices import CellStatus, KPISource, OpportunityStage, VersionStatus
from kam.plans.models import (
    ITEM_KINDS,
    AccountPlan,
    Action,
    BusinessUnit,
    Offering,
    Opportunity,
    PlanKPI,
    PlanVersion,
    Risk,
    TCOLine,
    WhitespaceCell,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    accounts_demo.generate(customers=120, months=13, as_of=dt.date(2026, 10, 1))
    return get_user_model().objects


def counts():
    return [
        model._base_manager.count()
        for model in (AccountPlan, PlanVersion, Offering, WhitespaceCell, *ITEM_KINDS.values())
    ]


def test_the_demo_plans_load_once(company):
    assert demo.generate() is True
    loaded, changes = counts(), ObjectChange.objects.count()

    assert demo.generate() is False

    assert counts() == loaded and ObjectChange.objects.count() == changes
    assert Offering.objects.count() == len(demo.CATALOGUE) == 8
    assert ObjectChange.objects.filter(content_type__model="accountplan").count() == AccountPlan.objects.count()


def test_the_first_managers_main_account_has_a_rich_plan_whose_versions_differ(company):
    demo.generate()

    manager, lead = company.get(email="kam1@example.com"), company.get(email="lead@example.com")
    account = Account.objects.filter(is_key_account=True, owner=manager).order_by("name").first()
    v1, v2 = account.plan.versions.order_by("number")
    year = timezone.localdate().year
    assert (v1.year, v1.status, v1.approved_by) == (year - 1, VersionStatus.APPROVED, lead)
    assert (v2.year, v2.status) == (year, VersionStatus.DRAFT)

    changes = diff.diff_versions(v1, v2)
    changed_sections = {name for name, section in changes.items() if any(section.values())}
    assert {"situation", "swot_threats", "objective", "target", "action", "risk", "opportunity", "tco"} <= (
        changed_sections
    )
    assert changes["risk"]["dropped"] and changes["action"]["added"]

    kpis = PlanKPI.objects.filter(plan_version=v2)
    computed = kpis.get(source=KPISource.COMPUTED, computed_metric="revenue_t12m")
    assert kpis.filter(source=KPISource.ENTERED).exists() and computed.targets.count() == account.plan.horizon_years
    assert services.computed_kpi_value(computed, year - 1) > 0
    today = timezone.localdate()
    assert Action.objects.filter(plan_version=v2, status="open", due_date__lt=today).exists()  # overdue
    assert "action_overdue" in quality.evaluate(v2, today).rules
    scores = set(Risk.objects.filter(plan_version=v1).values_list("likelihood", "impact"))
    assert len(scores) == 5 and len(set(Risk.objects.values_list("category", flat=True))) == 5
    assert TCOLine.objects.filter(plan_version=v2).count() == 3

    # The whitespace: the account, its subsidiaries and two business units; cells pursued by opportunities.
    assert BusinessUnit.objects.filter(account=account).count() == 2
    matrix = whitespace.build_matrix(account, manager, version=v2)
    assert len({row.account.pk for row in matrix.rows}) > 1 and any(row.business_unit for row in matrix.rows)
    linked = Opportunity.objects.filter(plan_version=v2, cell__isnull=False).exclude(stage=OpportunityStage.WON)
    assert linked.count() == 2 and all(o.cell.status == CellStatus.PIPELINE for o in linked)
    assert matrix.open_opportunities


def test_other_plans_wait_in_review_or_are_approved_and_some_key_accounts_have_none(company):
    demo.generate()

    lead = company.get(email="lead@example.com")
    in_review = PlanVersion.objects.filter(status=VersionStatus.IN_REVIEW)
    assert in_review.exists() and all(services.may_approve(lead, v.plan) for v in in_review)
    assert PlanVersion.objects.filter(status=VersionStatus.APPROVED).count() == 2  # the rich plan's and another
    assert PlanVersion.objects.filter(status=VersionStatus.DRAFT, number=1).exists()
    keys = Account.objects.filter(is_key_account=True)
    assert keys.filter(plan__isnull=True).exists() and keys.filter(plan__isnull=False).count() == 5
    manager = company.get(email="kam1@example.com")
    assert keys.filter(owner=manager, plan__isnull=True).exists()  # kam1 sees the empty state too
