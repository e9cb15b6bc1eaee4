"""The account list and the account 360 page run a fixed number of SQL queries, however big the portfolio.

Each test builds a small portfolio (5 accounts), counts the queries of every page, grows the same portfolio
to 60 accounts — a deeper subtree, 24 months of facts in three currencies, more team members, wallets, FX
rates and audit rows — and counts again. The counts must be equal: a count that grows with the data is an
N+1 (a query per row) somewhere in the view, the table or the template.
"""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.accounts import services
from kam.accounts.choices import AccountStatus, TeamRole
from kam.accounts.figures import add_months
from kam.accounts.models import Account, FinancialFact
from kam.audit.services import record_account_event
from kam.core.roles import Role
from tests import factories

AS_OF = dt.date(2026, 3, 1)
MONTHS = [add_months(AS_OF, -i) for i in range(24)]  # the 24 months the figures look at
LIST_PAGES = {
    "list": {},
    "list-search": {"q": "acme"},
    "list-filter": {"status": AccountStatus.CUSTOMER, "top_level": "false"},
    "list-search-filter-sort": {"q": "acme", "currency": "usd", "sort": "-owner"},
}
TABS = ("overview", "subsidiaries", "financials", "team", "activity")
SMALL, LARGE = 5, 60


class Portfolio:
    """Team A (the KAM and the sponsor) owns the Acme group; the Globex group belongs to another team."""

    def __init__(self, users):
        self.users = users
        self.root = factories.make_account("Acme Group", owner=users.lead, is_key_account=True, industry="Chemicals")
        self.subsidiary = factories.make_account("Acme Iberia", parent=self.root, currency="USD", owner=users.kam)
        plant = factories.make_account("Acme Plant Porto", parent=self.subsidiary, currency="USD")
        self.other = factories.make_account("Globex Group", currency="USD")
        factories.make_account("Globex Texas", parent=self.other, currency="USD")
        factories.add_member(self.root, users.kam, TeamRole.KEY_ACCOUNT_MANAGER)
        factories.add_member(self.root, users.sponsor, TeamRole.EXECUTIVE_SPONSOR)
        factories.add_member(self.other, factories.make_user(Role.KEY_ACCOUNT_MANAGER), TeamRole.KEY_ACCOUNT_MANAGER)
        for month in MONTHS:
            factories.rate(f"{month:%Y-%m}", "USD", "1.08")
        factories.fact(self.root, "2026-03", 1000, 300)
        factories.fact(self.root, "2025-03", 800, 200)
        factories.fact(self.subsidiary, "2026-03", 540, 100, currency="USD")
        factories.fact(plant, "2026-02", 216, 50, currency="USD")
        factories.wallet(self.root, AS_OF.year, 50_000)
        factories.wallet(self.subsidiary, AS_OF.year, 10_000, currency="USD")
        assert Account.objects.count() == SMALL

    def grow(self):
        """From 5 to 60 accounts: 7 more subsidiaries of Acme with plants and sub-plants, 6 more plants (each
        with a sub-plant) below Acme Iberia, 8 more Globex subsidiaries; facts for every month of every account."""
        new = []
        for i in range(7):
            subsidiary = factories.make_account(f"Acme Region {i}", parent=self.root, country="DE", region="EMEA")
            new.append(subsidiary)
            for j in range(3):
                plant = factories.make_account(f"Acme Plant {i}-{j}", parent=subsidiary, currency="GBP")
                new.append(plant)
                if j == 0:
                    new.append(factories.make_account(f"Acme Line {i}", parent=plant, currency="USD"))
        for i in range(6):
            plant = factories.make_account(f"Acme Iberia Plant {i}", parent=self.subsidiary, currency="USD")
            new += [plant, factories.make_account(f"Acme Iberia Line {i}", parent=plant, currency="USD")]
        for i in range(8):
            new.append(factories.make_account(f"Globex Branch {i}", parent=self.other, currency="USD"))
        assert Account.objects.count() == LARGE

        for month in MONTHS:
            factories.rate(f"{month:%Y-%m}", "GBP", "0.86")
        facts = []
        for account in [self.root, self.subsidiary, self.other, *new]:
            for month in MONTHS:
                for line in ("Pumps", "Valves"):
                    facts.append(
                        FinancialFact(
                            account=account,
                            month=month,
                            product_line=line,
                            currency=account.currency,
                            revenue=Decimal("1234.5678"),
                            gross_profit=Decimal("234.5678"),
                        )
                    )
        FinancialFact.objects.bulk_create(facts)
        for year in range(AS_OF.year - 5, AS_OF.year):
            factories.wallet(self.root, year, 40_000)
        for account in new[:10]:
            factories.wallet(account, AS_OF.year, 5_000, currency=account.currency)

        for i in range(8):
            factories.add_member(self.root, factories.make_user(Role.VIEWER), TeamRole.SUPPORT)
            factories.add_member(self.subsidiary, factories.make_user(Role.VIEWER), TeamRole.SUPPORT)
        # Audit rows on both accounts' activity feeds: edits and import events, more than one page of them.
        for i in range(20):
            for account in (self.root, self.subsidiary):
                account.refresh_from_db()
                services.update_account(account, {"industry": f"Industry {i}"})
                record_account_event(account.pk, "facts imported", {"file": f"facts-{i}.csv", "rows": 48})

    def urls(self):
        pages = {name: reverse("accounts:account_list") + "?" + urlencode(query) for name, query in LIST_PAGES.items()}
        for label, account in (("group", self.root), ("subsidiary", self.subsidiary)):
            for tab in TABS:
                pages[f"{label}-{tab}"] = reverse("accounts:account", args=[account.pk]) + f"?tab={tab}"
        return pages


def count_queries(client, urls):
    counts = {}
    for name, url in urls.items():
        client.get(url)  # warm-up: per-process caches (content types, …) are not the page's own cost
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, f"{name}: {url} answered {response.status_code}"
        content = response.content.decode()
        assert "No FX rate" not in content, f"{name}: a missing rate would skip queries"
        counts[name] = (len(captured), [q["sql"] for q in captured.captured_queries], content)
    return counts


def explain(small, large):
    lines = []
    for name in small:
        if len(small[name][1]) != len(large[name][1]):
            lines.append(
                f"--- {name}: {len(small[name][1])} queries at {SMALL} accounts, {len(large[name][1])} at {LARGE}"
            )
            lines += [f"  {sql}" for sql in large[name][1]]
    return "\n".join(lines)


@pytest.mark.parametrize("role", ["admin", "kam"])
def test_list_and_account_pages_run_a_fixed_number_of_queries(client, users, role):
    portfolio = Portfolio(users)
    client.force_login(getattr(users, role))
    urls = portfolio.urls()

    small = count_queries(client, urls)
    portfolio.grow()
    large = count_queries(client, urls)

    # The pages really show more at the larger size (otherwise equal counts would prove nothing).
    visible = LARGE if role == "admin" else 1 + 1 + 1 + 7 * 5 + 6 * 2  # the Acme subtree for the KAM
    assert f"{visible} results" in large["list"][2]
    for name in LIST_PAGES:  # the search and the filters match accounts at both sizes
        assert "<tbody" in small[name][2] and "<tbody" in large[name][2], name
        assert "Nothing matches" not in small[name][2] + large[name][2], name
    assert "Acme Region 6" in large["group-subsidiaries"][2]
    assert "Page 1 of 2" in large["group-activity"][2]
    assert large["group-team"][2].count("<tr>") > small["group-team"][2].count("<tr>")

    counts = {name: (small[name][0], large[name][0]) for name in urls}
    print(f"\nqueries per page for {role} ({SMALL} accounts, {LARGE} accounts): {counts}")
    assert {name: n for name, (n, _, _) in small.items()} == {name: n for name, (n, _, _) in large.items()}, explain(
        small, large
    )
