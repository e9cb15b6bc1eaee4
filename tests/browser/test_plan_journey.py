"""A key account manager writes a strategic account plan in a real browser — an objective measured by a computed
KPI, an action, a risk, an opportunity found in the whitespace matrix — submits it, the programme lead approves it,
next year's plan is started from it, and the comparison shows what changed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kam.accounts.models import FinancialFact
from kam.accounts.services import update_account
from kam.plans.models import Offering, Opportunity, PlanVersion, WhitespaceCell
from tests import factories
from tests.browser.test_team_journey import sign_in


@pytest.fixture
def key_account(transactional_db, users):
    from kam.stakeholders.models import CoverageRule

    CoverageRule.objects.all().delete()  # the plan's own checks here; relationship coverage is the map's journey
    account = factories.make_account("Helios Group", account_number="HEL-1")
    factories.add_member(account, users.kam)
    year = timezone.localdate().year
    # Revenue T12M as of this year's latest month: 12 × 10,000.50 = 120,006.00 EUR.
    for month in range(1, 13):
        FinancialFact.objects.create(
            account=account, month=dt.date(year - 1, month, 1), currency="EUR", revenue=Decimal("1"),
            gross_profit=Decimal("0"), product_line="",
        )  # fmt: skip
    for month in range(1, 13):
        FinancialFact.objects.create(
            account=account, month=dt.date(year, month, 1), currency="EUR", revenue=Decimal("10000.50"),
            gross_profit=Decimal("2000"), product_line="",
        )  # fmt: skip
    Offering.objects.create(name="Contract logistics", position=1)
    Offering.objects.create(name="Customs brokerage", position=2)
    return update_account(account, {"is_key_account": True})


@pytest.mark.browser
def test_a_plan_from_first_draft_to_next_years_comparison(page, key_account, users):
    year = timezone.localdate().year
    sign_in(page, users.kam.email)
    page.goto(f"/accounts/{key_account.pk}/?tab=plan")
    expect(page.get_by_test_id("plan-empty")).to_contain_text("No account plan yet")
    page.get_by_role("button", name="Start the plan").click()
    expect(page.get_by_test_id("plan-status")).to_contain_text(f"Version 1 for {year}")

    # An objective of ours, edited in place (htmx): the form opens in the section and the section comes back.
    objectives = page.locator("#section-objectives")
    objectives.get_by_role("link", name="Add an objective").click()
    objectives.get_by_label("Title").fill("Grow revenue with Helios")
    objectives.get_by_role("button", name="Add").click()
    expect(objectives.locator("article.objective")).to_contain_text("Grow revenue with Helios")
    # Its KPI is computed from the portfolio figures, with a target for this year.
    objectives.get_by_role("link", name="Add a KPI").click()
    objectives.get_by_role("textbox", name="Metric").fill("Revenue T12M")
    objectives.get_by_label("Computed from the portfolio data").check()
    objectives.get_by_label("Computed metric").select_option("revenue_t12m")
    objectives.get_by_label("Baseline").fill("100000")
    objectives.get_by_role("button", name="Add").click()
    objectives.get_by_role("link", name="Add a target").click()
    objectives.get_by_label("Year").select_option(str(year))
    objectives.get_by_label("Target").fill("110000")
    objectives.get_by_role("button", name="Add").click()
    # 12 × 10,000.50 = 120,006.00 EUR, at or above the target: met.
    expect(objectives.get_by_test_id("kpi-actual")).to_contain_text("120,006.00")
    expect(objectives).to_contain_text("Met")

    actions = page.locator("#section-actions")
    actions.get_by_role("link", name="Add an action").click()
    actions.get_by_label("Title").fill("Workshop with procurement")
    actions.get_by_label("Owner").select_option(label=users.kam.display_name)
    actions.get_by_label("Due date").fill(f"{year + 1}-03-31")
    actions.get_by_role("button", name="Add").click()
    expect(actions.get_by_test_id("actions")).to_contain_text("Workshop with procurement")

    risks = page.locator("#section-risks")
    risks.get_by_role("link", name="Add a risk").click()
    risks.get_by_label("Title").fill("Competitor discounts")
    risks.get_by_label("Category").select_option("competitive")
    risks.get_by_role("combobox", name="Likelihood").select_option("4")
    risks.get_by_role("combobox", name="Impact").select_option("4")
    risks.get_by_label("Mitigation").fill("Value case with the CFO")
    risks.get_by_role("button", name="Add").click()
    expect(risks.get_by_test_id("risks")).to_contain_text("4 × 4 = 16")
    expect(risks.locator("td.heat.high strong")).to_have_text("1")

    # The whitespace: customs brokerage is potential business; an opportunity is added from the cell.
    page.get_by_role("link", name="Whitespace").click()
    page.get_by_title("Edit Customs brokerage for Helios Group").click()
    page.get_by_label("Status").select_option("potential")
    page.get_by_label("Annual value (EUR)").fill("50000")
    page.get_by_role("button", name="Save").click()
    page.get_by_title("Edit Customs brokerage for Helios Group").click()
    page.get_by_role("link", name="Add an opportunity here").click()
    page.get_by_label("Title").fill("Customs for the Asian lanes")
    page.get_by_label("Kind").select_option("cross_sell")
    page.locator("#id_value").fill("150000")
    page.get_by_label("Probability").fill("40")
    page.get_by_label("Next step").fill("Site visit in Singapore")
    page.get_by_role("button", name="Add").click()
    opportunities = page.get_by_test_id("opportunities")
    expect(opportunities).to_contain_text("Customs for the Asian lanes")
    expect(opportunities).to_contain_text("Customs brokerage")
    expect(page.get_by_test_id("pipeline-summary")).to_contain_text("weighted 60,000.00 EUR")
    cell = WhitespaceCell.objects.get(account=key_account, offering__name="Customs brokerage")
    assert cell.status == "pipeline" and Opportunity.objects.get().cell == cell

    expect(page.get_by_test_id("plan-quality")).to_contain_text("Nothing missing")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_test_id("plan-status")).to_contain_text("In review")

    # The programme lead approves; the version is frozen and next year's plan starts from it.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, users.lead.email)
    page.goto(f"/accounts/{key_account.pk}/?tab=plan")
    page.get_by_role("button", name="Approve version 1").click()
    expect(page.get_by_test_id("plan-status")).to_contain_text("Approved")
    expect(page.get_by_role("link", name="Add an objective")).to_have_count(0)
    page.get_by_role("button", name=f"Start {year + 1}'s plan").click()
    expect(page.get_by_test_id("plan-status")).to_contain_text(f"Version 2 for {year + 1}")
    situation = page.locator("#section-situation")
    situation.get_by_role("link", name="Edit").click()
    situation.get_by_label("Situation").fill("Helios expands to Asia.")
    situation.get_by_role("button", name="Save").click()
    expect(situation).to_contain_text("Helios expands to Asia.")
    risks.get_by_role("link", name="Edit").click()
    risks.get_by_role("combobox", name="Likelihood").select_option("2")
    risks.get_by_role("button", name="Save").click()
    expect(risks.get_by_test_id("risks")).to_contain_text("2 × 4 = 8")

    page.get_by_role("link", name="Compare versions").click()
    expect(page.get_by_test_id("compare-summary")).to_contain_text(f"From version 1 ({year}) to version 2 ({year + 1})")
    expect(page.get_by_test_id("compare-summary")).to_contain_text("2 sections changed")
    expect(page.get_by_test_id("diff-situation")).to_contain_text("Helios expands to Asia.")
    expect(page.get_by_test_id("diff-risk")).to_contain_text("Likelihood")
    assert list(PlanVersion.objects.order_by("number").values_list("status", flat=True)) == ["approved", "draft"]
