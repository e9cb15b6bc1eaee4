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
