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
