"""The programme lead staffs a new key account to its segment's service model in a real browser, sees the coverage
check turn green, hands the account over to another key account manager, and each manager signs in to see whether
they can open it."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from kam.accounts.services import update_account
from kam.core.roles import Role
from kam.selection import services as selection
from kam.selection.config import default_criteria
from kam.teams.models import ServiceModel
from tests import factories

STAFFED_ON = dt.date.today() - dt.timedelta(days=30)


@pytest.fixture
def new_key_account(transactional_db, users):
    """Six customer groups scored by a selection run; the best one has just become a key account, without a team."""
    groups = []
    for i in range(1, 7):
        group = factories.make_account(f"Customer {i:02d}", account_number=f"C-{i:02d}")
        factories.fact(group, "2026-06", 1000 * i, 250 * i)
        factories.fact(group, "2025-06", 900 * i, 200 * i)
        factories.wallet(group, 2026, 20000 * i)
        groups.append(group)
    run = selection.execute_run(
        selection.start_run(selection.create_model(name="M", criteria=default_criteria()), users.lead).pk
    )
    account = update_account(groups[-1], {"is_key_account": True})
    segment = run.results.get(account=account).segment
    return account, ServiceModel.objects.get(segment=segment)


def sign_in(page, email):
    page.goto("/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".usermenu")).to_contain_text(email)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


@pytest.mark.browser
def test_team_journey(page, live_server, new_key_account, users):
    account, service_model = new_key_account
    first, second = (factories.make_user(Role.KEY_ACCOUNT_MANAGER, f"kam-{n}@example.com") for n in ("first", "second"))
    people = {}  # role key -> the person we staff in it
    for rule in service_model.roles.select_related("role"):
        if rule.role.key == "key_account_manager":
            people[rule.role.key] = (first, rule)
        else:
            people[rule.role.key] = (factories.make_user(Role.VIEWER, f"{rule.role.key}@example.com"), rule)
    if "executive_sponsor" not in people:  # required on every key account by the catalogue
        people["executive_sponsor"] = (users.sponsor, None)

    sign_in(page, users.lead.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    page.goto("/teams/coverage/")
    row = page.get_by_test_id("coverage").locator("tr", has_text=account.name)
    expect(row).to_contain_text("Gaps")
    expect(row).to_contain_text("No key account manager.")

    # Staff the team to the segment's model, from the account's Team tab.
    row.get_by_role("link", name=account.name).click()
    for key, (person, rule) in people.items():
        page.get_by_role("link", name="Add a member").click()
        page.get_by_label("Person").select_option(str(person.pk))
        page.get_by_label("Role").select_option(key)
        page.get_by_label("Allocation %").fill(str(max(rule.expected_allocation_percent, 5) if rule else 5))
        page.get_by_label("From").fill(STAFFED_ON.isoformat())  # the team formed a month ago
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("team")).to_contain_text(person.email)

    page.goto("/teams/coverage/?status=gaps")
    expect(page.get_by_test_id("coverage-summary")).to_contain_text("0 with gaps")
    page.goto("/teams/coverage/")
    expect(page.get_by_test_id("coverage").locator("tr", has_text=account.name)).to_contain_text("Covered")

    # Hand the account over to the second manager.
    page.goto(f"/accounts/{account.pk}/?tab=team")
    page.get_by_role("link", name="Hand over").click()
    page.get_by_label("New key account manager").select_option(str(second.pk))
    page.get_by_label("Handover note").fill("Ms Ruiz decides on the renewal in March; the pilot runs until May.")
    page.get_by_role("button", name="Hand over").click()
    expect(page.get_by_test_id("handovers")).to_contain_text("Ms Ruiz decides on the renewal")
    expect(page.get_by_test_id("team")).to_contain_text(second.email)
    expect(page.get_by_test_id("team")).not_to_contain_text(first.email)
    expect(page.get_by_test_id("team-history")).to_contain_text(first.email)
    sign_out(page)

    # Who can open it now.
    sign_in(page, second.email)
    response = page.goto(f"/accounts/{account.pk}/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(account.name)
    sign_out(page)
    sign_in(page, first.email)
    response = page.goto(f"/accounts/{account.pk}/")
    assert response.status == 404
    page.goto("/accounts/")
    expect(page.locator("#results")).not_to_contain_text(account.name)
