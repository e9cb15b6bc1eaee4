"""One administrator's journey through the portfolio, in a real browser: sign in, search, import accounts
(first with an error, then fixed), import FX rates and facts in two currencies, read the roll-up on the
group's account 360 page."""

import re

import pytest
from playwright.sync_api import expect

from kam.accounts.choices import ImportStatus
from kam.accounts.models import Account, FinancialFact, FxRate, ImportRun
from tests import factories

# Salesforce Account export: the group, a subsidiary, and a plant below the subsidiary.
ACCOUNTS_HEADER = "Id,Name,ParentId,AccountNumber,CurrencyIsoCode,BillingCountryCode\n"
GROUP_ROW = "0015g00000NWGRPAAA,Northwind Group,,NW-1,EUR,DE\n"
SUBSIDIARY_ROW = "0015g00000NWIBEAAA,Northwind Iberia,0015g00000NWGRPAAA,NW-1-ES,USD,ES\n"
PLANT_ROW = "0015g00000NWPORAAA,Northwind Plant Porto,{parent},NW-1-ES-P,USD,PT\n"
UNKNOWN_PARENT = "0015g00000NOSUCHAA"
NEW_NUMBERS = ["NW-1", "NW-1-ES", "NW-1-ES-P"]

FX_CSV = "month,currency,rate_per_eur\n2025-06,USD,1.2\n2026-02,USD,1.08\n2026-03,USD,1.1\n"

FACTS_CSV = (
    "account_number,month,product_line,currency,revenue,gross_profit\n"
    "NW-1,2026-03,Pumps,EUR,1000.00,300.00\n"
    "NW-1,2025-02,Pumps,EUR,500.00,150.00\n"
    "NW-1-ES,2026-03,Pumps,USD,1100.00,330.00\n"
    "NW-1-ES,2026-02,Valves,USD,540.00,108.00\n"
    "NW-1-ES-P,2025-06,Valves,USD,100.00,20.00\n"
    "NW-1-ES-P,2025-04,Service,EUR,250.00,100.00\n"
    "NW-1-ES-P,2025-03,Service,EUR,999.00,99.00\n"
)
# The as-of month is the latest month in the facts: 2026-03, so the trailing 12 months are 2025-04 … 2026-03.
# Roll-up of Northwind Group (group + subsidiary + plant), each row converted at its own month's rate:
#   NW-1      2026-03  1000.00 EUR                 = 1000.000000 EUR
#   NW-1      2025-02   500.00 EUR                 -> before 2025-04, not in T12M
#   NW-1-ES   2026-03  1100.00 USD / 1.1  USD/EUR  = 1000.000000 EUR
#   NW-1-ES   2026-02   540.00 USD / 1.08 USD/EUR  =  500.000000 EUR
#   NW-1-ES-P 2025-06   100.00 USD / 1.2  USD/EUR  =   83.333333… EUR
#   NW-1-ES-P 2025-04   250.00 EUR                 =  250.000000 EUR (first month of the window)
#   NW-1-ES-P 2025-03   999.00 EUR                 -> before 2025-04, not in T12M
#   total = 1000 + 1000 + 500 + 83.333333… + 250 = 2833.333333… -> rounded to cents: 2,833.33 EUR
EXPECTED_ROLLUP = "2,833.33 EUR"
# The group's own T12M revenue is its 2026-03 row only: 1,000.00 EUR.
EXPECTED_OWN = "1,000.00 EUR"


def upload(page, tmp_path, kind, filename, text):
    """From any page: Imports → Add, choose the kind and the file, and check it (the dry run)."""
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports")
    page.get_by_role("link", name="Add", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a file")
    page.get_by_label("Kind").select_option(kind)
    page.get_by_label("File").set_input_files(path)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(filename)


def expect_summary(page, *, rows, created, updated=0, unchanged=0, errors=0):
    for testid, value in [
        ("rows", rows),
        ("created", created),
        ("updated", updated),
        ("unchanged", unchanged),
        ("errors", errors),
    ]:
        expect(page.get_by_test_id(testid)).to_have_text(str(value))


def apply_checked_file(page, *, created):
    page.get_by_role("button", name=f"Apply: create {created}, update 0").click()
    expect(page.get_by_text("Applied: the changes above are in KAM.")).to_be_visible()


@pytest.mark.browser
def test_portfolio_journey(page, live_server, transactional_db, users, tmp_path):
    existing = factories.make_account("Contoso Holding", account_number="CON-1", country="FR")
    accounts_before = Account.objects.count()

    # Sign in through the login form.
    page.goto("/login/")
    page.get_by_label("E-mail").fill(users.admin.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".usermenu")).to_contain_text(users.admin.email)
    expect(page.locator(".usermenu .role")).to_have_text("Administrator")

    # The header search box finds the account.
    search = page.get_by_role("search").get_by_role("searchbox", name="Search accounts")
    search.fill("contoso")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/\?q=contoso$"))
    results = page.locator("#results")
    expect(results.locator("table tbody tr")).to_have_count(1)
    expect(results.get_by_role("link", name="Contoso Holding", exact=True)).to_have_attribute(
        "href", existing.get_absolute_url()
    )

    # An accounts file whose last row names a parent that exists nowhere: the report says where and why.
    bad_file = ACCOUNTS_HEADER + GROUP_ROW + SUBSIDIARY_ROW + PLANT_ROW.format(parent=UNKNOWN_PARENT)
    upload(page, tmp_path, "accounts", "accounts-bad.csv", bad_file)
    expect(page.get_by_text("Has errors — nothing written")).to_be_visible()
    expect_summary(page, rows=3, created=0, errors=1)
    report_rows = page.get_by_test_id("error-report").locator("tbody tr")
    expect(report_rows).to_have_count(1)
    expect(report_rows.first.locator("td")).to_have_text(
        ["4", "ParentId", "unknown parent: no account with this CRM id in the file or in KAM", UNKNOWN_PARENT]
    )
    expect(page.get_by_role("button", name=re.compile("^Apply"))).to_have_count(0)
    assert Account.objects.count() == accounts_before
    assert not Account.objects.filter(account_number__in=NEW_NUMBERS).exists()
    bad_run = ImportRun.objects.get(original_name="accounts-bad.csv")
    assert bad_run.status == ImportStatus.INVALID
    assert bad_run.errors == [
        {
            "row": 4,
            "column": "ParentId",
            "reason": "unknown parent: no account with this CRM id in the file or in KAM",
            "value": UNKNOWN_PARENT,
        }
    ]

    # The fixed file: the preview counts three new accounts; applying creates them.
    fixed_file = ACCOUNTS_HEADER + GROUP_ROW + SUBSIDIARY_ROW + PLANT_ROW.format(parent="0015g00000NWIBEAAA")
    upload(page, tmp_path, "accounts", "accounts.csv", fixed_file)
    expect(page.get_by_text("Ready to apply")).to_be_visible()
    expect_summary(page, rows=3, created=3)
    expect(page.get_by_test_id("error-report")).to_have_count(0)
    assert not Account.objects.filter(account_number__in=NEW_NUMBERS).exists()  # a dry run writes nothing
    apply_checked_file(page, created=3)
    expect(page.get_by_role("status").filter(has_text="Import applied")).to_have_text(
        "Import applied: 3 created, 0 updated, 0 unchanged."
    )
    group = Account.objects.get(account_number="NW-1")
    subsidiary = Account.objects.get(account_number="NW-1-ES")
    plant = Account.objects.get(account_number="NW-1-ES-P")
    assert (subsidiary.parent_id, plant.parent_id) == (group.pk, subsidiary.pk)
    assert plant.tree_path == f"/{group.pk}/{subsidiary.pk}/{plant.pk}/"
    assert Account.objects.count() == accounts_before + 3

    # FX rates first, then the facts in EUR and USD.
    upload(page, tmp_path, "fx", "fx.csv", FX_CSV)
    expect_summary(page, rows=3, created=3)
    apply_checked_file(page, created=3)
    assert FxRate.objects.filter(currency="USD").count() == 3

    upload(page, tmp_path, "facts", "facts.csv", FACTS_CSV)
    expect_summary(page, rows=7, created=7)  # one (account, month) group per row
    apply_checked_file(page, created=7)
    assert FinancialFact.objects.filter(account__tree_path__startswith=group.tree_path).count() == 7

    # The group's account 360 page, found through the search: the roll-up covers all three levels.
    search = page.get_by_role("search").get_by_role("searchbox", name="Search accounts")
    search.fill("Northwind")
    search.press("Enter")
    expect(page.locator("#results table tbody tr")).to_have_count(3)
    # The first link is the group's own row (rows are sorted by name; the parent links point to it as well).
    page.locator("#results").get_by_role("link", name="Northwind Group", exact=True).first.click()
    expect(page).to_have_url(re.compile(rf"/accounts/{group.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Group")
    expect(page.get_by_text("Global account with 2 subsidiaries")).to_be_visible()
    figures = page.locator("table.figures")
    expect(figures.locator("thead th").nth(2)).to_have_text("Roll-up (3 accounts)")
    revenue_row = figures.locator("tbody tr").filter(has_text="Revenue, trailing 12 months")
    expect(revenue_row.locator("td").first).to_have_text(EXPECTED_OWN)
    expect(page.get_by_test_id("rollup-revenue")).to_have_text(EXPECTED_ROLLUP)
    expect(page.get_by_role("alert")).to_have_count(0)  # no missing FX rate

    screenshot = tmp_path / "account-360.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 0


@pytest.mark.browser
def test_pages_load_their_stylesheet_and_icon(page, live_server, transactional_db):
    failed = []
    page.on(
        "response",
        lambda response: failed.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    page.goto("/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to KAM")
    for asset in ("/static/kam/kam.css", "/static/kam/favicon.svg"):
        response = page.request.get(asset)
        assert response.ok, f"{asset} answered {response.status}"
    assert failed == []
