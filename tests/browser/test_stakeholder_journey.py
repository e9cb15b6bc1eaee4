"""The organisation map in a real browser: the programme lead imports ten people of a customer, the key account
manager adds two by hand, folds a branch of the map, records that the champion left (their reports move up, an alert
arrives, the coverage gap shows), sees a decision maker overdue for a touch, logs a meeting with her — which closes
that gap — and names her the new champion, which closes the other."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kam.accounts.choices import TeamRole
from kam.accounts.services import update_account
from kam.stakeholders.models import CadenceRule, Contact, CoverageRule
from tests import factories
from tests.browser.test_portfolio_journey import apply_checked_file, upload
from tests.browser.test_team_journey import sign_in, sign_out

HEADER = "contact_id,account_number,first_name,last_name,title,department,email,phone,reports_to_id,buying_role,"
CONTACTS = (
    HEADER
    + """attitude,location
C1,HEL-1,Ada,Stone,CEO,Board,ada@helios.example,,,economic_buyer,supporter,Berlin
C2,HEL-1,Ben,Berg,CFO,Finance,ben@helios.example,,C1,decision_maker,champion,Berlin
C3,HEL-1,Cara,Diaz,COO,Operations,cara@helios.example,,C1,decision_maker,neutral,Berlin
C4,HEL-1,Dan,Evans,Controller,Finance,,,C2,influencer,neutral,Berlin
C5,HEL-1,Eve,Fox,Buyer,Procurement,,,C2,user,supporter,Berlin
C6,HEL-1-DE,Finn,Gray,Plant manager,Plant,,,C3,technical_buyer,sceptic,Hamburg
C7,HEL-1-DE,Gia,Hall,Engineer,Plant,,,C6,user,neutral,Hamburg
C8,HEL-1,Hal,Ito,Assistant to the CEO,Board,,,C1,gatekeeper,neutral,Berlin
C9,HEL-1,Ivy,Jones,Analyst,Finance,,,C4,coach,supporter,Berlin
C10,HEL-1,Jay,King,Procurement lead,Procurement,,,C3,user,neutral,Berlin
"""
)


@pytest.fixture
def customer(transactional_db, users):
    group = factories.make_account("Helios Group", account_number="HEL-1")
    factories.make_account("Helios Germany", parent=group, account_number="HEL-1-DE")
    factories.add_member(group, users.kam, TeamRole.KEY_ACCOUNT_MANAGER)
    # The programme asks for a champion on every key account, and decision makers met every 30 days.
    CoverageRule.objects.exclude(kind="has_attitude").delete()
    CadenceRule.objects.all().delete()
    CadenceRule.objects.create(buying_role="decision_maker", days=30)
    return update_account(group, {"is_key_account": True})


def node(page, name):
    return page.locator(f'svg.orgchart g.node[data-search*="{name.lower()}"]')


@pytest.mark.browser
def test_a_map_from_import_to_a_closed_gap(page, customer, users, tmp_path):
    # The programme lead imports the people from a CRM export (managers may come after their reports).
    sign_in(page, users.lead.email)
    upload(page, tmp_path, "contacts", "contacts.csv", CONTACTS)
    apply_checked_file(page, created=10)
    sign_out(page)

    # The key account manager sees the map and adds two people by hand.
    sign_in(page, users.kam.email)
    page.goto(f"/accounts/{customer.pk}/?tab=stakeholders")
    expect(page.locator("svg.orgchart g.node")).to_have_count(10)
    for first, last, title, manager in (("Kim", "Lee", "Head of IT", "Cara Diaz, COO"),
                                        ("Max", "Roe", "Logistics lead", "Finn Gray, Plant manager")):  # fmt: skip
        page.get_by_role("link", name="Add a contact").click()
        page.get_by_label("First name").fill(first)
        page.get_by_label("Last name").fill(last)
        page.get_by_label("Job title").fill(title)
        page.get_by_label("Reports to").select_option(label=manager)
        page.get_by_role("button", name="Add").click()
        expect(page.get_by_test_id("contacts")).to_contain_text(f"{first} {last}")
    expect(page.locator("svg.orgchart g.node")).to_have_count(12)
    expect(page.get_by_test_id("coverage")).to_contain_text("✓ A champion")

    # Fold the COO's branch: her five people (and theirs) disappear from view, and come back.
    node(page, "Cara Diaz").locator("[data-toggle]").first.click()
    for name in ("Finn Gray", "Gia Hall", "Jay King", "Kim Lee", "Max Roe"):
        expect(node(page, name)).to_be_hidden()
    expect(node(page, "Ben Berg")).to_be_visible()
    node(page, "Cara Diaz").locator("[data-toggle]").first.focus()
    page.keyboard.press("Enter")
    expect(node(page, "Max Roe")).to_be_visible()

    # The champion leaves: his reports move to the CEO, an alert arrives, the coverage gap shows.
    page.get_by_test_id("contacts").get_by_role("link", name="Ben Berg").click()
    page.get_by_text("Ben Berg left the company…").click()
    page.get_by_label("Left on").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Record the departure").click()
    expect(page.locator(".messages")).to_contain_text("Now reporting to Ada Stone: Dan Evans, Eve Fox")
    expect(node(page, "Ben Berg")).to_contain_text("Vacant — formerly Ben Berg")
    expect(page.get_by_test_id("coverage")).to_contain_text("✗ A champion")
    expect(page.get_by_test_id("inbox")).to_contain_text("1")
    page.get_by_test_id("inbox").click()
    expect(page.locator("main")).to_contain_text("Champion left: Ben Berg (CFO) left Helios Group")

    # Time travel: Cara Diaz, a decision maker, has been on the map for 40 days without a meeting.
    Contact.objects.filter(last_name="Diaz").update(created_at=timezone.now() - dt.timedelta(days=40))
    page.goto(f"/accounts/{customer.pk}/?tab=stakeholders")
    expect(page.get_by_test_id("overdue-here")).to_contain_text("Cara Diaz (10 days)")

    # A meeting with her closes the cadence gap; she is the new champion, which closes the coverage gap.
    page.get_by_role("link", name="Log an interaction").click()
    page.get_by_label("Subject").fill("Operations review")
    page.get_by_label("Their side").select_option(label="Cara Diaz, COO")
    page.get_by_label("Level").select_option("executive")
    page.get_by_label("Next steps").fill("Send the service proposal")
    page.get_by_role("button", name="Log it").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Operations review")
    expect(page.get_by_test_id("overdue-here")).to_have_count(0)
    page.get_by_test_id("contacts").get_by_role("link", name="Cara Diaz").click()
    page.get_by_label("Attitude").select_option("champion")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("coverage")).to_contain_text("✓ A champion")
    expect(node(page, "Cara Diaz")).to_have_class("node att-champion has-reports")
