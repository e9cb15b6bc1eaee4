"""Access follows team membership, everywhere an account can be seen: a person put on an account's team (through
kam.teams.services, as the pages and the API do) sees that account and its subsidiaries in the account list, on the
account page, in the API, in the CSV and XLSX exports and in the header search; once their membership ends (or the
account is handed over away from them) they see none of it."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kam.core.roles import Role
from kam.teams import services
from kam.users.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
GROUP = ("Zephyr Group", "Zephyr Subsidiary", "Zephyr Branch")


@pytest.fixture
def zephyr(portfolio):
    """A global account with a subsidiary and the subsidiary's branch; the portfolio's groups are other teams'."""
    group = factories.make_account(GROUP[0], account_number="ZEP-1")
    subsidiary = factories.make_account(GROUP[1], parent=group, account_number="ZEP-1-1")
    branch = factories.make_account(GROUP[2], parent=subsidiary, account_number="ZEP-1-1-1")
    return [group, subsidiary, branch]


def what_they_see(client, user, accounts) -> dict:
    """The names of the accounts `user` sees through each way in, and which of `accounts` open for them."""
    client.force_login(user)
    token = ApiToken.issue(user, "access test")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    list_url = reverse("accounts:account_list")

    page = client.get(list_url)
    assert page.status_code == 200

    api = client.get("/api/v1/accounts?page_size=500", **auth)
    assert api.status_code == 200

    csv = client.get(list_url, {"export": "csv"})
    assert csv.status_code == 200
    csv_lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()[1:]

    xlsx = client.get(list_url, {"export": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active

    search = client.get(list_url, {"q": "Zephyr"})
    assert search.status_code == 200

    seen = {
        "list page": _listed(page),
        "API list": {item["name"] for item in api.json()["items"]},
        "CSV export": {line.split(",")[0] for line in csv_lines},
        "XLSX export": {row[0].value for row in sheet.iter_rows(min_row=2) if row[0].value},
        "search": _listed(search),
        "account page": {
            a.name for a in accounts if client.get(reverse("accounts:account", args=[a.pk])).status_code == 200
        },
        "API detail": {a.name for a in accounts if client.get(f"/api/v1/accounts/{a.pk}", **auth).status_code == 200},
    }
    closed = {
        a.name: (
            client.get(reverse("accounts:account", args=[a.pk])).status_code,
            client.get(f"/api/v1/accounts/{a.pk}", **auth).status_code,
        )
        for a in accounts
        if a.name not in seen["account page"]
    }
    client.logout()
    return {"seen": seen, "closed": closed}


def _listed(page) -> set:
    """The names in the list's first column (the account itself; the parent column names its group)."""
    return set(re.findall(r'<tr[^>]*>\s*<td><a href="/accounts/\d+/">([^<]+)</a></td>', page.content.decode()))


def assert_sees(view, names):
    for way, seen in view["seen"].items():
        assert seen == set(names), f"{way}: {sorted(seen)} (expected {sorted(names)})"


def assert_sees_nothing(view, accounts):
    assert_sees(view, ())
    assert view["closed"] == {a.name: (404, 404) for a in accounts}


@pytest.mark.parametrize(
    ("role", "team_role"),
    [
        (Role.KEY_ACCOUNT_MANAGER, "key_account_manager"),
        (Role.KEY_ACCOUNT_MANAGER, "solution_specialist"),
        (Role.EXECUTIVE_SPONSOR, "executive_sponsor"),
        (Role.VIEWER, "support"),
    ],
)
@pytest.mark.parametrize("started", [TODAY, TODAY - dt.timedelta(days=30)], ids=["started today", "started earlier"])
def test_membership_opens_the_account_and_ending_it_closes_it(client, zephyr, role, team_role, started):
    person = factories.make_user(role, "newcomer@example.com")
    assert_sees_nothing(what_they_see(client, person, zephyr), zephyr)

    member = services.add_member(zephyr[0], person, team_role, 20, start_date=started)
    assert_sees(what_they_see(client, person, zephyr), GROUP)

    services.end_member(member)
    assert_sees_nothing(what_they_see(client, person, zephyr), zephyr)


def test_a_membership_on_a_subsidiary_opens_only_its_part_of_the_tree(client, zephyr):
    person = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "regional@example.com")
    member = services.add_member(zephyr[1], person, "solution_specialist", 20)
    assert_sees(what_they_see(client, person, zephyr), GROUP[1:])
    services.end_member(member)
    assert_sees_nothing(what_they_see(client, person, zephyr), zephyr)


def test_a_membership_that_starts_later_opens_nothing_yet(client, zephyr):
    person = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "next-month@example.com")
    services.add_member(zephyr[0], person, "solution_specialist", 20, start_date=TODAY + dt.timedelta(days=30))
    assert_sees_nothing(what_they_see(client, person, zephyr), zephyr)


@pytest.mark.parametrize("started", [TODAY, TODAY - dt.timedelta(days=30)], ids=["started today", "started earlier"])
def test_handover_moves_access_from_the_old_to_the_new_manager(client, users, zephyr, started):
    old = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "old-kam@example.com")
    new = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "new-kam@example.com")
    services.add_member(zephyr[0], old, "key_account_manager", 20, start_date=started)
    assert_sees(what_they_see(client, old, zephyr), GROUP)
    assert_sees_nothing(what_they_see(client, new, zephyr), zephyr)

    services.hand_over(zephyr[0], new, "Renewal due in March; the CFO prefers calls to e-mail.", users.lead)
    assert_sees_nothing(what_they_see(client, old, zephyr), zephyr)
    assert_sees(what_they_see(client, new, zephyr), GROUP)


def test_handing_over_everything_moves_every_account(client, users, zephyr):
    leaving = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "leaving@example.com")
    successor = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "successor@example.com")
    second = factories.make_account("Zephyr Holding", account_number="ZEP-2")
    for account in (zephyr[0], second):
        services.add_member(account, leaving, "key_account_manager", 20, start_date=TODAY - dt.timedelta(days=7))
    everything = [*zephyr, second]
    assert_sees(what_they_see(client, leaving, everything), [*GROUP, "Zephyr Holding"])

    services.hand_over_all(leaving, successor, "Leaving the company.", users.lead)
    assert_sees_nothing(what_they_see(client, leaving, everything), everything)
    assert_sees(what_they_see(client, successor, everything), [*GROUP, "Zephyr Holding"])


def test_a_subsidiary_team_member_does_not_learn_the_groups_name(db, users, login):
    from kam.teams import services as teams

    group = factories.make_account("Secret Holding", account_number="SH-1")
    subsidiary = factories.make_account("Open Subsidiary", parent=group, account_number="SH-1-1")
    teams.add_member(subsidiary, users.viewer, "support", 0)
    client = login(users.viewer)
    page = client.get(reverse("accounts:account_list")).content.decode()
    assert "Open Subsidiary" in page and "Secret Holding" not in page
    export = b"".join(client.get(reverse("accounts:account_list"), {"export": "csv"}).streaming_content).decode()
    assert "Open Subsidiary" in export and "Secret Holding" not in export
    admin_page = login(users.admin).get(reverse("accounts:account_list")).content.decode()
    assert admin_page.count("Secret Holding") >= 2  # its own row, and as the subsidiary's parent


def test_a_subsidiary_page_does_not_name_a_hidden_group(db, users, login):
    from kam.teams import services as teams

    group = factories.make_account("Secret Holding", account_number="SH-1")
    subsidiary = factories.make_account("Open Subsidiary", parent=group, account_number="SH-1-1")
    teams.add_member(subsidiary, users.viewer, "support", 0)
    page = login(users.viewer).get(reverse("accounts:account", args=[subsidiary.pk])).content.decode()
    assert "Secret Holding" not in page and "a group outside your accounts" in page
