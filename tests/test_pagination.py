"""Lists count at most a cap of rows, and count exactly when a page at or past the cap is asked for."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.accounts.models import Account
from kam.core.pagination import CappedCountPaginator
from tests import factories


@pytest.fixture
def seven_accounts(db):
    return [factories.make_account(f"Account {i}", account_number=f"A-{i}") for i in range(7)]


@pytest.fixture
def cap_of_three(monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "count_cap", 3)


def test_count_below_the_cap_is_exact(seven_accounts):
    paginator = CappedCountPaginator(Account.objects.order_by("pk"), 2)
    assert paginator.count == 7
    assert paginator.count_is_exact
    assert paginator.num_pages == 4


def test_count_above_the_cap_stops_at_cap_plus_one(seven_accounts, cap_of_three):
    paginator = CappedCountPaginator(Account.objects.order_by("pk"), 1)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 4
    assert not paginator.count_is_exact
    assert "LIMIT 4" in queries[0]["sql"].upper()
    assert [a.name for a in paginator.page(1)] == ["Account 0"]


def test_a_page_at_the_cap_counts_exactly(seven_accounts, cap_of_three):
    paginator = CappedCountPaginator(Account.objects.order_by("pk"), 1)
    page = paginator.page(6)  # past the capped count's 4 pages: still served
    assert paginator.count_is_exact
    assert paginator.count == 7
    assert paginator.num_pages == 7
    assert [a.name for a in page] == ["Account 5"]
    assert page.has_next()


def test_list_page_says_more_than_the_cap(db, users, login, monkeypatch):
    for i in range(30):
        factories.make_account(f"Account {i}", account_number=f"A-{i}")
    monkeypatch.setattr(CappedCountPaginator, "count_cap", 26)
    client = login(users.admin)
    first = client.get(reverse("accounts:account_list"), {"per_page": 25}).content.decode()
    assert "More than 26 results" in first
    last = client.get(reverse("accounts:account_list"), {"per_page": 25, "page": 2}).content.decode()
    assert "30 results" in last


def test_list_page_without_cap_shows_exact_count(seven_accounts, users, login):
    response = login(users.admin).get(reverse("accounts:account_list"))
    assert "7 results" in response.content.decode()


def test_export_holds_every_row_whatever_the_cap(seven_accounts, users, login, cap_of_three):
    response = login(users.admin).get(reverse("accounts:account_list"), {"export": "csv"})
    lines = b"".join(response.streaming_content if response.streaming else [response.content]).decode().splitlines()
    assert len(lines) == 1 + 7


def test_list_view_never_counts_the_whole_table(seven_accounts, users, login):
    client = login(users.admin)
    client.get(reverse("accounts:account_list"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("accounts:account_list"))
    counts = [q["sql"].upper() for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql for sql in counts), counts


def test_per_page_from_the_query_string_is_bounded(db, users, login):
    for i in range(30):
        factories.make_account(f"Account {i}", account_number=f"A-{i}")
    response = login(users.admin).get(reverse("accounts:account_list"), {"per_page": 100000})
    assert len(response.context["table"].page.object_list) == 25  # the default page size, never all 30
