"""A key account manager logs a critical issue in a real browser, the scheduler's clock moves on (time travel: the
sweep runs at the moment the first-response clock turns at risk), the escalation shows on the queue and in the
inbox, the manager answers and resolves it, and the compliance figure changes from 0 % to 100 %."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kam.accounts.services import update_account
from kam.servicelevels import services
from kam.servicelevels.models import ClientRequest
from tests import factories
from tests.browser.test_team_journey import sign_in


@pytest.fixture
def key_account(transactional_db, users):
    account = factories.make_account("Helios Group", account_number="HEL-1")
    factories.add_member(account, users.kam)
    return update_account(account, {"is_key_account": True})


@pytest.mark.browser
def test_a_critical_issue_from_opening_to_compliance(page, key_account, users):
    year = timezone.now().year
    sign_in(page, users.kam.email)

    # Open a critical issue from the account's Requests & SLAs tab.
    page.goto(f"/accounts/{key_account.pk}/?tab=service")
    page.get_by_role("link", name="New request").first.click()
    page.get_by_label("Subject").fill("Production line stopped: part missing")
    page.get_by_label("Type").select_option("critical_issue")
    page.get_by_role("button", name="Open the request").click()
    expect(page.get_by_test_id("request-state")).to_contain_text("On track")
    expect(page.get_by_test_id("clocks")).to_contain_text("First response")
    expect(page.get_by_test_id("clocks")).to_contain_text("Resolution")
    request = ClientRequest.objects.get(subject="Production line stopped: part missing")
    assert request.priority == "critical" and request.assignee == users.kam

    # Nobody has answered yet: the year's first-response compliance is 0 %.
    page.goto(f"/service-levels/compliance/?period={year}&group_by=account")
    expect(page.get_by_test_id("compliance-total")).to_contain_text("0.0 %")

    # Time travel: the scheduler sweeps at the moment the first-response clock has used 75 % of its time.
    result = services.sweep(now=request.response_at_risk_at + dt.timedelta(minutes=1))
    assert (result.checked, result.escalated) == (1, 1)
    page.goto("/requests/queue/")
    queue = page.get_by_test_id("queue")
    expect(queue).to_contain_text(request.reference)
    expect(queue).to_contain_text("At risk")
    expect(page.get_by_test_id("inbox")).to_contain_text("1")
    page.get_by_test_id("inbox").click()
    page.get_by_role("button", name=f"Escalation: {request.reference}").click()  # the notification leads to it
    expect(page.get_by_test_id("escalations")).to_contain_text("At risk (response)")
    expect(page.get_by_test_id("escalations")).to_contain_text("the scheduler")

    # Answer, then resolve with a note (the workflow asks for one).
    page.get_by_test_id("status-form").get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id("clocks").get_by_test_id("clock-response")).to_contain_text("Met")
    form = page.get_by_test_id("status-form")
    form.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.locator(".errorlist, .errorlist-box").first).to_contain_text("how it was resolved")
    form = page.get_by_test_id("status-form")
    form.get_by_label("Note").fill("Shipped the part by courier; the line runs again.")
    form.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_test_id("request-state")).to_contain_text("Resolved")

    # The compliance figure follows.
    page.goto(f"/service-levels/compliance/?period={year}&group_by=account")
    total = page.get_by_test_id("compliance-total")
    expect(total).to_contain_text("100.0 %")
    expect(page.get_by_test_id("compliance")).to_contain_text("Helios Group")
    # Nothing is at risk any more.
    page.goto("/requests/queue/")
    expect(page.get_by_text("Nothing at risk", exact=False)).to_be_visible()
