"""The programme lead's selection journey in a real browser: build a scoring model, run it, read the matrix,
propose three accounts from the ranked list and approve them."""

import pytest
from playwright.sync_api import expect

from kam.accounts.models import Account
from kam.selection.choices import DesignationStatus
from kam.selection.models import KeyAccountDesignation, ScoringModel, SelectionRun
from tests import factories


@pytest.fixture
def customers(transactional_db):
    """Ten customer groups, T12M revenue 1,000 … 10,000 EUR and wallets, so ranks follow the group number."""
    groups = []
    for i in range(1, 11):
        group = factories.make_account(f"Customer {i:02d}", account_number=f"C-{i:02d}")
        factories.fact(group, "2026-06", 1000 * i, 250 * i)
        factories.fact(group, "2025-06", 900 * i, 200 * i)
        factories.wallet(group, 2026, 20000 * i)
        groups.append(group)
    return groups


@pytest.mark.browser
def test_selection_journey(page, live_server, customers, users):
    page.goto("/login/")
    page.get_by_label("E-mail").fill(users.lead.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Build a model: the form starts from the default criteria; keep revenue and growth only.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Selection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Selecting key accounts")
    page.get_by_role("link", name="New scoring model").click()
    page.locator("#id_name").fill("Revenue and growth")
    rows = page.get_by_test_id("criteria-form").locator("tbody tr")
    for index in (1, 3, 4):  # margin, wallet, headroom
        rows.nth(index).locator("input[type=checkbox]").check()
    rows.nth(0).locator("input[name$=weight]").fill("3")
    rows.nth(2).locator("input[name$=weight]").fill("1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revenue and growth")
    expect(page.get_by_test_id("criteria").locator("tbody tr")).to_have_count(2)
    model = ScoringModel.objects.get(name="Revenue and growth")
    assert [(c["criterion"], c["weight"]) for c in model.criteria] == [("revenue_t12m", "3"), ("growth_yoy", "1")]

    # Run it: a small customer base is scored at once.
    page.get_by_role("button", name="Run over all accounts").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Run")
    run = SelectionRun.objects.get()
    expect(page.locator("#results table tbody tr")).to_have_count(10)
    first_row = page.locator("#results table tbody tr").first
    expect(first_row).to_contain_text("Customer 10")

    # The matrix: a bubble per classified account, links to the breakdown.
    page.get_by_role("link", name="Matrix").click()
    expect(page.locator("svg.bubbles circle")).to_have_count(run.classified)
    expect(page.get_by_test_id("segments")).to_contain_text("Strategic")
    page.locator("svg.bubbles a").last.click()  # the smallest bubble, drawn last, on top
    expect(page.get_by_role("heading", level=2).first).to_contain_text("Why is")
    expect(page.get_by_test_id("breakdown").locator("tbody tr")).to_have_count(2)

    # Propose the top three from the ranked list.
    page.get_by_role("link", name="Ranked list").click()
    for i in range(3):
        page.locator("#results table tbody tr").nth(i).locator("input[name=account]").check()
    page.get_by_label("Reason").fill("Top three of the first selection run")
    page.get_by_role("button", name="Propose", exact=True).click()
    expect(page.get_by_text("3 accounts proposed.")).to_be_visible()

    # Approve them as programme lead.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Selection").click()
    page.get_by_role("link", name="Decisions (3 open)").click()
    for i in range(3):
        page.get_by_role("link", name="Decide", exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Make a key account")
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_text("Proposal approved.")).to_be_visible()
        page.get_by_role("link", name="Key account decisions").click()
    expect(page.get_by_role("link", name="Decide", exact=True)).to_have_count(0)
    approved = KeyAccountDesignation.objects.filter(status=DesignationStatus.APPROVED)
    assert sorted(d.account.account_number for d in approved) == ["C-08", "C-09", "C-10"]
    assert sorted(Account.objects.filter(is_key_account=True).values_list("account_number", flat=True)) == [
        "C-08",
        "C-09",
        "C-10",
    ]
