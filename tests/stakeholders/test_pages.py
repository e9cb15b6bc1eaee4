"""The stakeholder pages: the account's Stakeholders tab, adding and changing a contact with field errors and stale
edits, recording a departure, and the programme's contact list with CSV export."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from kam.stakeholders.models import Contact


def tab(account):
    return reverse("accounts:account", args=[account.pk]) + "?tab=stakeholders"


def test_an_account_without_contacts_says_how_to_start(login, users, portfolio):
    page = login(users.kam).get(tab(portfolio.own)).content.decode()
    assert 'data-testid="contacts-empty"' in page and "Add the first contact" in page
    assert "Add the first contact" not in login(users.viewer).get(tab(portfolio.own)).content.decode()


def test_a_contact_is_added_with_a_manager_at_a_subsidiary(login, users, portfolio, person):
    ceo = person(portfolio.own, "Stone", "Ada", title="CEO")
    client = login(users.kam)
    response = client.post(
        reverse("stakeholders:contact_add", args=[portfolio.own.pk]),
        {"account": portfolio.own_child.pk, "first_name": "Ben", "last_name": "Berg", "title": "Plant manager",
         "reports_to": ceo.pk, "buying_role": "decision_maker", "attitude": "supporter", "influence": "high",
         "level": "management", "relationship_owner": users.kam.pk, "relationship_now": 2, "relationship_desired": 3},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    ben = Contact.objects.get(last_name="Berg")
    assert (ben.account, ben.reports_to, ben.relationship_owner) == (portfolio.own_child, ceo, users.kam)
    page = client.get(tab(portfolio.own)).content.decode()
    assert (
        "Ben Berg" in page and "Plant manager" in page and "Decision maker" in page and "Acquainted → Trusted" in page
    )


def test_field_errors_and_a_stale_edit_keep_what_was_typed(login, users, portfolio, person):
    ada = person(portfolio.own, "Stone", "Ada")
    client = login(users.kam)
    url = reverse("stakeholders:contact_edit", args=[ada.pk])
    data = {"last_name": "", "email": "nope", "attitude": "neutral", "influence": "medium", "level": "operational",
            "relationship_now": 0, "relationship_desired": 2, "version": ada.version}  # fmt: skip
    page = client.post(url, data).content.decode()
    assert "This field is required" in page and "Enter a valid email address" in page
    data |= {"last_name": "Stone", "email": "", "title": "Chair"}
    assert client.post(url, data).status_code == 302
    data["title"] = "Chief executive, typed at length"
    page = client.post(url, data).content.decode()  # the same version again: stale
    assert "changed by someone else" in page and "Chief executive, typed at length" in page
    assert Contact.objects.get(pk=ada.pk).title == "Chair"


def test_a_circle_is_refused_on_the_form(login, users, portfolio, person):
    a = person(portfolio.own, "A")
    b = person(portfolio.own, "B", reports_to=a)
    data = {"last_name": "A", "reports_to": b.pk, "attitude": "neutral", "influence": "medium",
            "level": "operational", "relationship_now": 0, "relationship_desired": 2, "version": a.version}  # fmt: skip
    page = login(users.kam).post(reverse("stakeholders:contact_edit", args=[a.pk]), data).content.decode()
    assert "would make a circle" in page
    assert Contact.objects.get(pk=a.pk).reports_to is None


def test_a_departure_moves_the_reports_and_says_so(login, users, portfolio, person):
    ceo = person(portfolio.own, "Stone", "Ada")
    cfo = person(portfolio.own, "Kim", "Lee", reports_to=ceo)
    person(portfolio.own, "Roe", "Max", reports_to=cfo)
    client = login(users.kam)
    response = client.post(
        reverse("stakeholders:contact_left", args=[cfo.pk]),
        {"left_on": timezone.localdate().isoformat(), "version": cfo.version},
        follow=True,
    )
    page = response.content.decode()
    assert "Lee Kim left" in page and "Now reporting to Ada Stone: Max Roe" in page
    assert "left on" in page  # listed under "Left the company"
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    page = client.post(reverse("stakeholders:contact_left", args=[ceo.pk]), {"left_on": future}).content.decode()
    assert "not a future date" in page and Contact.objects.get(pk=ceo.pk).left_on is None


def test_the_contact_list_is_scoped_filtered_and_exported(login, users, portfolio, person):
    person(portfolio.own, "Stone", "Ada", buying_role="economic_buyer")
    person(portfolio.other, "Frost", "Cy")
    client = login(users.kam)
    page = client.get(reverse("stakeholders:contact_list")).content.decode()
    assert "Ada Stone" in page and "Cy Frost" not in page  # another team's customer
    assert "Ada Stone" not in client.get(reverse("stakeholders:contact_list") + "?buying_role=coach").content.decode()
    csv = b"".join(client.get(reverse("stakeholders:contact_list") + "?export=csv").streaming_content)
    assert csv.decode("utf-8-sig").splitlines()[1].startswith("Ada Stone,,Own Group,Economic buyer,Neutral")
    lead_page = login(users.lead).get(reverse("stakeholders:contact_list")).content.decode()
    assert "Cy Frost" in lead_page


def test_an_interaction_is_logged_shown_on_the_timeline_and_its_next_step_planned(login, users, portfolio, person):
    from kam.accounts.models import Account
    from kam.plans import services as plans
    from kam.plans.models import Action

    ada = person(portfolio.own_child, "Stone", "Ada", title="CFO")
    client = login(users.kam)
    form = client.get(reverse("stakeholders:interaction_add", args=[portfolio.own.pk]) + f"?contact={ada.pk}")
    assert form.status_code == 200 and "Log an interaction with Own Group" in form.content.decode()
    response = client.post(
        reverse("stakeholders:interaction_add", args=[portfolio.own.pk]),
        {"kind": "meeting", "occurred_on": "2026-03-02", "level": "executive", "subject": "Quarterly review",
         "summary": "They like the new service desk.", "sentiment": "positive",
         "next_steps": "Send the renewal offer\nInvite the CFO to the plant", "contacts": [ada.pk],
         "participants": [users.kam.pk]},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    page = client.get(tab(portfolio.own)).content.decode()
    assert "2026-03-02 · Meeting · Quarterly review" in page and "Their side: Ada Stone" in page
    assert "Make it a plan action" in page
    # Without a plan the step cannot become an action: the page says why, nothing is written.
    interaction = ada.interactions.get()
    page = client.post(reverse("stakeholders:next_step", args=[interaction.pk]), {"text": "Send the renewal offer"},
                       follow=True).content.decode()  # fmt: skip
    assert "has no account plan" in page and not Action.objects.exists()
    Account.objects.filter(pk=portfolio.own.pk).update(is_key_account=True)
    plans.create_plan(Account.objects.get(pk=portfolio.own.pk), users.kam, 2026)
    client.post(reverse("stakeholders:next_step", args=[interaction.pk]), {"text": "Send the renewal offer"})
    assert list(Action.objects.values_list("title", "owner")) == [("Send the renewal offer", users.kam.pk)]
    # A date in the future is a field error on the form.
    response = client.post(
        reverse("stakeholders:interaction_add", args=[portfolio.own.pk]),
        {"kind": "call", "occurred_on": "2999-01-01", "level": "operational", "subject": "Later",
         "sentiment": "neutral", "contacts": [ada.pk]},
    )  # fmt: skip
    assert response.status_code == 200 and "future" in response.content.decode()


def test_the_map_shows_today_and_as_of_a_past_day(login, users, portfolio):
    from kam.stakeholders import services

    t0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    ceo = services.save_contact(portfolio.own, {"last_name": "Stone", "first_name": "Ada"}, users.kam, at=t0)
    cfo = services.save_contact(portfolio.own, {"last_name": "Kim", "reports_to": ceo, "attitude": "sceptic"},
                                users.kam, at=t0)  # fmt: skip
    services.save_contact(portfolio.own, {"attitude": "champion"}, users.kam, contact=cfo)
    services.mark_left(Contact.objects.get(pk=cfo.pk), timezone.localdate(), users.kam)
    client = login(users.kam)
    page = client.get(tab(portfolio.own)).content.decode()
    svg = page[page.index('data-testid="org-map"') :]
    assert 'class="orgchart interactive"' in svg and "Ada Stone" in svg and "Vacant — formerly Kim" in svg
    assert "kam/orgchart.js" in page
    past = client.get(tab(portfolio.own) + "&as_of=2026-01-06").content.decode()
    assert "Organisation map as of 2026-01-06" in past
    past_svg = past[past.index('data-testid="org-map"') :]
    assert "att-sceptic" in past_svg and "Vacant — formerly" not in past_svg  # Kim was there, sceptical, that day
    before = client.get(tab(portfolio.own) + "&as_of=2025-12-31").content.decode()
    assert "Nobody was on the map on that day" in before
    bad = client.get(tab(portfolio.own) + "&as_of=yesterday").content.decode()
    assert "is not a date such as 2026-01-31" in bad and "Ada Stone" in bad


def test_overdue_people_are_flagged_on_the_tab_the_home_page_and_the_programme_list(login, users, portfolio, person):
    from kam.stakeholders.models import CadenceRule

    CadenceRule.objects.all().delete()
    CadenceRule.objects.create(buying_role="decision_maker", days=30)
    dm = person(portfolio.own, "Stone", "Ada", buying_role="decision_maker")
    person(portfolio.own, "Roe", "Max")  # no buying role: no cadence
    Contact.objects.filter(pk=dm.pk).update(created_at=timezone.now() - dt.timedelta(days=45))
    client = login(users.kam)
    page = client.get(tab(portfolio.own)).content.decode()
    # On the map since 45 days, never met, every 30 days: due 15 days ago.
    assert "1 person is overdue for a touch: Ada Stone (15 days)" in page and "Overdue 15 d" in page
    assert "1 contact overdue for a touch" in client.get("/").content.decode()
    listing = client.get(reverse("stakeholders:overdue")).content.decode()
    assert "Ada Stone" in listing and "Max Roe" not in listing
    csv = b"".join(client.get(reverse("stakeholders:overdue") + "?export=csv").streaming_content).decode("utf-8-sig")
    assert csv.splitlines()[1].endswith(",30,," + (timezone.localdate() - dt.timedelta(days=15)).isoformat() + ",15")


def test_a_contact_downloads_as_a_vcard(login, users, portfolio, person):
    ada = person(portfolio.own, "Stone", "Ada", title="CFO, Europe", email="ada@example.com")
    response = login(users.viewer).get(reverse("stakeholders:contact_vcard", args=[ada.pk]))
    assert (
        response["Content-Type"].startswith("text/vcard")
        and 'filename="ada-stone.vcf"' in response["Content-Disposition"]
    )
    text = response.content.decode()
    assert (
        text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n") and "TITLE:CFO\\, Europe" in text and "ORG:Own Group" in text
    )


def test_a_contact_has_a_timeline_of_their_interactions(login, users, portfolio, person):
    from kam.stakeholders.interactions import log_interaction

    ada = person(portfolio.own, "Stone", "Ada")
    max_ = person(portfolio.own, "Roe", "Max")
    log_interaction(portfolio.own, {"subject": "Kick-off", "occurred_on": "2026-02-01"}, users.kam, contacts=[ada],
                    participants=[users.kam])  # fmt: skip
    log_interaction(portfolio.own, {"subject": "Site visit", "occurred_on": "2026-03-01"}, users.kam,
                    contacts=[max_], participants=[])  # fmt: skip
    page = login(users.kam).get(reverse("stakeholders:contact_edit", args=[ada.pk])).content.decode()
    timeline = page[page.index('data-testid="contact-timeline"') :]
    assert "2026-02-01 · Meeting · Kick-off" in timeline and "Site visit" not in timeline
    other = login(users.kam).get(reverse("stakeholders:contact_edit", args=[max_.pk])).content.decode()
    assert "Site visit" in other and "Kick-off" not in other
    nobody = person(portfolio.own, "Lane", "Lou")
    page = login(users.kam).get(reverse("stakeholders:contact_edit", args=[nobody.pk])).content.decode()
    assert "No interaction with Lou Lane logged yet" in page


def test_the_coverage_matrix_loads_when_opened(login, users, portfolio, person):
    person(portfolio.own, "Stone", "Ada", buying_role="economic_buyer", relationship_owner=users.kam,
           relationship_now=2, relationship_desired=4)  # fmt: skip
    client = login(users.kam)
    page = client.get(tab(portfolio.own)).content.decode()
    assert 'hx-trigger="toggle once"' in page and 'data-testid="coverage-matrix"' not in page  # not built up front
    url = reverse("stakeholders:coverage_matrix", args=[portfolio.own.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div class="table-container">') and "<html" not in fragment
    assert "Ada Stone" in fragment and "Acquainted → Trusted advisor" in fragment
    assert "<html" in client.get(url).content.decode()  # without htmx: a page of its own


def test_a_large_customer_lists_the_first_people_and_all_on_request(login, users, portfolio, person):
    from kam.stakeholders.views import PEOPLE_SHOWN

    for n in range(PEOPLE_SHOWN + 5):
        person(portfolio.own, f"Person{n:03d}")
    client = login(users.kam)
    page = client.get(tab(portfolio.own)).content.decode()
    table = page[page.index('data-testid="contacts"') :]
    assert f"{PEOPLE_SHOWN} of {PEOPLE_SHOWN + 5} people listed" in page and "Person064" not in table
    assert page.count('class="node') >= PEOPLE_SHOWN + 5  # the map has everyone
    everyone = client.get(tab(portfolio.own) + "&people=all").content.decode()
    assert "Person064" in everyone[everyone.index('data-testid="contacts"') :] and "people listed" not in everyone
