"""A searched account list keeps the list's order (name, then account number), on the page and in the API, although
it is written so that the database fetches the matches first (kam.accounts.filtersets.order_for_search)."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def acmes(db):
    names = ["Acme Zeta", "acme beta", "Acme Alpha", "Other", "Acme Alpha"]
    return [factories.make_account(name, account_number=f"A-{i}") for i, name in enumerate(names)]


def test_a_searched_page_is_ordered_by_name_both_ways(login, users, acmes):
    client = login(users.admin)
    url = reverse("accounts:account_list")

    ascending = client.get(url, {"q": "acme"}).content.decode()
    descending = client.get(url, {"q": "acme", "sort": "-name"}).content.decode()

    order = ["Acme Alpha", "Acme Zeta", "acme beta"]  # the database's collation; the same as without a search
    unsearched = client.get(url).content.decode()
    positions = [unsearched.index(f">{name}<") for name in order]
    assert positions == sorted(positions)
    assert [ascending.index(f">{name}<") for name in order] == sorted(ascending.index(f">{n}<") for n in order)
    assert [descending.index(f">{name}<") for name in reversed(order)] == sorted(
        descending.index(f">{n}<") for n in order
    )
    assert "Other" not in ascending


def test_a_searched_api_list_is_ordered_by_name_then_number(login, users, acmes):
    client = login(users.admin)

    rows = client.get("/api/v1/accounts", {"q": "acme"}).json()["items"]

    unsearched = [r for r in client.get("/api/v1/accounts").json()["items"] if "cme" in r["name"]]
    assert [(r["name"], r["account_number"]) for r in rows] == [(r["name"], r["account_number"]) for r in unsearched]
    assert [r["account_number"] for r in rows if r["name"] == "Acme Alpha"] == ["A-2", "A-4"]


def test_a_team_members_list_keeps_the_same_order(login, users, acmes):
    """A key account manager's list is sorted after fetching their scope (the same order as the administrator's)."""
    group = factories.make_account("Acme Group", account_number="G-1")
    for i, name in enumerate(["Acme Zeta", "acme beta", "Acme Alpha", "Acme Alpha"]):
        factories.make_account(name, parent=group, account_number=f"G-1-{i}")
    factories.add_member(group, users.kam)
    admin_rows = [
        (r["name"], r["account_number"])
        for r in login(users.admin).get("/api/v1/accounts").json()["items"]
        if r["account_number"].startswith("G-1")
    ]
    kam = login(users.kam)
    kam_rows = [(r["name"], r["account_number"]) for r in kam.get("/api/v1/accounts").json()["items"]]
    assert kam_rows == admin_rows
    numbers = ["G-1", "G-1-0", "G-1-1", "G-1-2", "G-1-3"]

    def order_on(page):
        return sorted(numbers, key=lambda number: page.index(f"<td>{number}</td>"))

    kam_page = kam.get(reverse("accounts:account_list"), {"sort": "-name"}).content.decode()
    admin_page = login(users.admin).get(reverse("accounts:account_list"), {"sort": "-name"}).content.decode()
    assert order_on(kam_page) == order_on(admin_page)
