"""The stakeholders' REST API: contacts with field errors, stale changes, departures, and the map as of a moment,
limited to what the user sees."""

import datetime as dt

import pytest
from django.utils import timezone

from kam.stakeholders import services
from kam.stakeholders.models import Contact
from kam.users.models import ApiToken

JSON = "application/json"
HUGE = 2**70


@pytest.fixture
def as_user():
    def headers(user):
        return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'tests')[1]}"}

    return headers


def test_add_read_change_a_contact(client, as_user, users, portfolio):
    kam = as_user(users.kam)
    url = f"/api/v1/accounts/{portfolio.own.pk}/contacts"
    response = client.post(url, {"last_name": "Stone", "first_name": "Ada", "attitude": "champion"}, content_type=JSON,
                           **kam)  # fmt: skip
    assert response.status_code == 201, response.content
    ada = response.json()
    assert (ada["name"], ada["attitude"], ada["account_id"], ada["version"]) == ("Ada Stone", "champion",
                                                                                  portfolio.own.pk, 1)  # fmt: skip
    body = {"account_id": portfolio.own_child.pk, "last_name": "Berg", "reports_to_id": ada["id"]}
    ben = client.post(url, body, content_type=JSON, **kam).json()
    assert ben["reports_to_id"] == ada["id"] and ben["account_id"] == portfolio.own_child.pk
    patch = f"/api/v1/contacts/{ada['id']}"
    response = client.patch(patch, {"title": "CEO"}, content_type=JSON, **kam)
    assert response.status_code == 428  # the version read is required
    response = client.patch(patch, {"title": "CEO", "version": 1}, content_type=JSON, **kam)
    assert response.status_code == 200 and response.json()["title"] == "CEO"
    assert client.patch(patch, {"title": "CFO", "version": 1}, content_type=JSON, **kam).status_code == 412
    # A circle is a field error named as the API names the field.
    response = client.patch(patch, {"reports_to_id": ben["id"], "version": 2}, content_type=JSON, **kam)
    assert response.status_code in (400, 422)
    assert [e["field"] for e in response.json()["errors"]] == ["reports_to_id"]
    listed = client.get("/api/v1/contacts?q=stone", **kam).json()
    assert [c["name"] for c in listed["items"]] == ["Ada Stone"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"first_name": "No last name"}, "last_name"),
        ({"last_name": "X", "email": "not-an-email"}, "email"),
        ({"last_name": "X", "reports_to_id": HUGE}, "reports_to_id"),
        ({"last_name": "X", "relationship_now": 7}, "relationship_now"),
        ({"last_name": "X", "attitude": None}, "attitude"),
        ({"last_name": "X\x00"}, "last_name"),
    ],
)
def test_bad_input_is_a_field_error_never_a_500(client, as_user, users, portfolio, body, field):
    response = client.post(f"/api/v1/accounts/{portfolio.own.pk}/contacts", body, content_type=JSON,
                           **as_user(users.kam))  # fmt: skip
    assert response.status_code in (400, 422), response.content
    assert field in response.content.decode()
    assert not Contact.objects.exists()


def test_a_departure_and_the_map_as_of_a_moment(client, as_user, users, portfolio):
    kam = as_user(users.kam)
    t0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    ceo = services.save_contact(portfolio.own, {"last_name": "Stone"}, users.kam, at=t0)
    cfo = services.save_contact(portfolio.own, {"last_name": "Kim", "reports_to": ceo}, users.kam, at=t0)
    aide = services.save_contact(portfolio.own_child, {"last_name": "Roe", "reports_to": cfo}, users.kam, at=t0)
    response = client.post(f"/api/v1/contacts/{cfo.pk}/left", {"left_on": timezone.localdate().isoformat(),
                           "version": cfo.version}, content_type=JSON, **kam)  # fmt: skip
    assert response.status_code == 200 and [c["id"] for c in response.json()] == [aide.pk]
    now = client.get(f"/api/v1/accounts/{portfolio.own_child.pk}/org-map", **kam).json()
    assert now["customer_id"] == portfolio.own.pk
    people = {p["name"]: p for p in now["people"]}
    assert people["Roe"]["reports_to_id"] == ceo.pk and people["Kim"]["left_on"] == timezone.localdate().isoformat()
    before = client.get(f"/api/v1/accounts/{portfolio.own.pk}/org-map?as_of=2026-01-06T00:00:00Z", **kam).json()
    assert {p["name"]: p["reports_to_id"] for p in before["people"]} == {"Stone": None, "Kim": ceo.pk, "Roe": cfo.pk}
    assert (
        client.get(f"/api/v1/accounts/{portfolio.own.pk}/org-map?as_of=2026-01-06T00:00:00", **kam).status_code == 422
    )


def test_scope_other_customers_do_not_exist(client, as_user, users, portfolio):
    stranger = services.save_contact(portfolio.other, {"last_name": "Frost"}, users.lead)
    kam = as_user(users.kam)
    assert client.get(f"/api/v1/contacts/{stranger.pk}", **kam).status_code == 404
    assert client.get(f"/api/v1/contacts/{HUGE}", **kam).status_code == 404
    assert client.get(f"/api/v1/accounts/{portfolio.other.pk}/org-map", **kam).status_code == 404
    assert client.post(f"/api/v1/accounts/{portfolio.other.pk}/contacts", {"last_name": "X"}, content_type=JSON,
                       **kam).status_code == 404  # fmt: skip
    viewer = as_user(users.viewer)
    assert client.post(f"/api/v1/accounts/{portfolio.own.pk}/contacts", {"last_name": "X"}, content_type=JSON,
                       **viewer).status_code == 403  # fmt: skip


def test_interactions_through_the_api(client, as_user, users, portfolio):
    kam = as_user(users.kam)
    ada = services.save_contact(portfolio.own_child, {"last_name": "Stone"}, users.kam)
    url = f"/api/v1/accounts/{portfolio.own.pk}/interactions"
    body = {"subject": "QBR", "occurred_on": "2026-03-02", "level": "executive", "contact_ids": [ada.pk],
            "participant_ids": [users.kam.pk], "next_steps": "Send the offer"}  # fmt: skip
    response = client.post(url, body, content_type=JSON, **kam)
    assert response.status_code == 201, response.content
    made = response.json()
    assert (made["contact_ids"], made["participant_ids"], made["level"]) == ([ada.pk], [users.kam.pk], "executive")
    # The group's timeline includes the subsidiary's people; the contact's own timeline too.
    assert [i["subject"] for i in client.get(url, **kam).json()["items"]] == ["QBR"]
    assert client.get(f"/api/v1/contacts/{ada.pk}/interactions", **kam).json()["count"] == 1
    patch = f"/api/v1/interactions/{made['id']}"
    response = client.patch(patch, {"sentiment": "positive", "version": made["version"]}, content_type=JSON, **kam)
    assert response.status_code == 200 and response.json()["contact_ids"] == [ada.pk]  # sides kept when not sent
    stale = client.patch(patch, {"sentiment": "negative", "version": made["version"]}, content_type=JSON, **kam)
    assert stale.status_code == 412
    # Field errors: no contact, a future date, another customer's contact.
    stranger = services.save_contact(portfolio.other, {"last_name": "Frost"}, users.lead)
    cases = (
        ({"subject": "X", "occurred_on": "2026-01-01"}, "contact_ids"),
        ({"subject": "X", "occurred_on": "2999-01-01", "contact_ids": [ada.pk]}, "occurred_on"),
        ({"subject": "X", "occurred_on": "2026-01-01", "contact_ids": [stranger.pk]}, "contact_ids"),
    )
    for bad, field in cases:
        response = client.post(url, bad, content_type=JSON, **kam)
        assert response.status_code in (400, 422) and field in response.content.decode(), (bad, response.content)
    # Without a plan the next step is refused with a field error; delete works.
    response = client.post(f"{patch}/next-step", {"text": "Send the offer"}, content_type=JSON, **kam)
    assert response.status_code in (400, 422) and "plan" in response.content.decode()
    assert client.delete(patch, **kam).status_code == 204
    assert client.get(patch, **kam).status_code == 404
