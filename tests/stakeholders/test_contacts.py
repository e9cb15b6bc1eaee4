"""kam.stakeholders.services: reporting lines within one customer, no circles, leavers and their reports, the map's
history as of any moment, and stale edits."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kam.audit.services import changes_for
from kam.notifications.models import Notification
from kam.stakeholders import services
from kam.stakeholders.models import Contact, ContactState

T0 = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)


def test_reporting_lines_stay_within_one_customer(portfolio, person):
    ceo = person(portfolio.own, "Stone", "Ada", title="CEO")
    # A subsidiary's people may report to the group's: it is the same customer.
    plant = person(portfolio.own_child, "Berg", "Ben", reports_to=ceo)
    assert plant.reports_to == ceo
    stranger = person(portfolio.other, "Frost", "Cy")
    with pytest.raises(ValidationError) as error:
        services.save_contact(portfolio.own, {"last_name": "Lane", "reports_to": stranger}, None)
    assert "works for another customer" in error.value.message_dict["reports_to"][0]
    with pytest.raises(ValidationError) as error:
        services.save_contact(portfolio.own, {"last_name": "Lane", "dotted_line_to": stranger.pk}, None)
    assert "dotted_line_to" in error.value.message_dict
    with pytest.raises(ValidationError) as error:  # moving a person to another customer
        services.save_contact(portfolio.own, {"account": portfolio.other}, None, contact=plant)
    assert "within the customer" in error.value.message_dict["account"][0]


def test_circles_and_self_reporting_are_refused(portfolio, person):
    a = person(portfolio.own, "A")
    b = person(portfolio.own, "B", reports_to=a)
    c = person(portfolio.own, "C", reports_to=b)
    with pytest.raises(ValidationError) as error:
        services.save_contact(portfolio.own, {"reports_to": c}, None, contact=a)
    assert error.value.message_dict["reports_to"] == ["C reports (directly or through others) to A: that would make "
                                                      "a circle."]  # fmt: skip
    with pytest.raises(ValidationError) as error:
        services.save_contact(portfolio.own, {"reports_to": a}, None, contact=a)
    assert "themselves" in error.value.message_dict["reports_to"][0]
    assert Contact.objects.get(pk=a.pk).reports_to is None  # nothing written


def test_a_leaver_keeps_a_vacant_place_and_their_reports_move_up(portfolio, person, users):
    ceo = person(portfolio.own, "Stone", "Ada")
    cfo = person(portfolio.own, "Kim", "Lee", reports_to=ceo, attitude="champion", relationship_owner=users.kam)
    controller = person(portfolio.own, "Roe", "Max", reports_to=cfo)
    buyer = person(portfolio.own_child, "Ng", "Ivy", reports_to=cfo)
    moved = services.mark_left(cfo, timezone.localdate(), users.kam)
    assert {c.pk for c in moved} == {controller.pk, buyer.pk}
    assert set(Contact.objects.filter(reports_to=ceo).values_list("last_name", flat=True)) == {"Kim", "Roe", "Ng"}
    assert Contact.objects.get(pk=cfo.pk).left_on == timezone.localdate()  # still there, vacant
    # Each move is a change of its own in the audit log.
    assert changes_for(Contact.objects.get(pk=controller.pk)).filter(action="update").exists()
    # A champion leaving alerts the relationship owner (also the account's key account manager here: once).
    alerts = Notification.objects.filter(title__startswith="Champion left: Lee Kim")
    assert list(alerts.values_list("user__email", flat=True)) == ["kam@example.com"]
    # Nobody new reports to a leaver; leaving twice or in the future is refused; the record stays as it was.
    with pytest.raises(ValidationError):
        services.save_contact(portfolio.own, {"last_name": "New", "reports_to": cfo}, None)
    with pytest.raises(ValidationError):
        services.mark_left(Contact.objects.get(pk=cfo.pk), timezone.localdate(), users.kam)
    with pytest.raises(ValidationError):
        services.mark_left(ceo, timezone.localdate() + dt.timedelta(days=1), users.kam)
    with pytest.raises(ValidationError):
        services.save_contact(portfolio.own, {"title": "CFO"}, None, contact=Contact.objects.get(pk=cfo.pk))


def test_the_map_as_of_a_past_moment_shows_that_moments_people_and_attitudes(portfolio, users):
    def save(data, contact=None, at=T0):
        return services.save_contact(portfolio.own, data, users.kam, contact=contact, at=at)

    ceo = save({"last_name": "Stone", "attitude": "neutral"})
    cfo = save({"last_name": "Kim", "reports_to": ceo, "attitude": "sceptic"}, at=T0 + dt.timedelta(days=1))
    save({"attitude": "champion"}, contact=ceo, at=T0 + dt.timedelta(days=30))
    services.mark_left(Contact.objects.get(pk=cfo.pk), dt.date(2026, 3, 1), users.kam, at=T0 + dt.timedelta(days=50))
    later = save({"last_name": "New"}, at=T0 + dt.timedelta(days=60))

    def snapshot(moment):
        return {s.last_name: (s.attitude, s.reports_to_contact_id, s.left_on) for s in
                services.map_as_of(portfolio.own, moment)}  # fmt: skip

    assert snapshot(T0 - dt.timedelta(seconds=1)) == {}
    assert snapshot(T0) == {"Stone": ("neutral", None, None)}
    assert snapshot(T0 + dt.timedelta(days=2)) == {"Stone": ("neutral", None, None), "Kim": ("sceptic", ceo.pk, None)}
    assert snapshot(T0 + dt.timedelta(days=40))["Stone"] == ("champion", None, None)
    assert snapshot(T0 + dt.timedelta(days=55))["Kim"] == ("sceptic", ceo.pk, dt.date(2026, 3, 1))
    assert "New" in snapshot(T0 + dt.timedelta(days=61)) and later.pk
    # The subsidiary's map is the same customer's map.
    assert snapshot(T0 + dt.timedelta(days=61)) == {
        s.last_name: (s.attitude, s.reports_to_contact_id, s.left_on)
        for s in services.map_as_of(portfolio.own_child, T0 + dt.timedelta(days=61))
    }
    # A save that changes nothing the map shows writes no new state.
    count = ContactState.objects.count()
    save({"notes": "Met at the fair"}, contact=Contact.objects.get(pk=ceo.pk), at=T0 + dt.timedelta(days=70))
    assert ContactState.objects.count() == count


def test_a_stale_edit_is_refused_and_the_first_survives(portfolio, person):
    contact = person(portfolio.own, "Stone", title="CEO")
    read = contact.version
    services.save_contact(portfolio.own, {"title": "Chair"}, None, contact=contact, expected_version=read)
    with pytest.raises(services.StaleObject):
        services.save_contact(portfolio.own, {"title": "CFO"}, None, contact=contact, expected_version=read)
    assert Contact.objects.get(pk=contact.pk).title == "Chair"


def test_bad_fields_come_back_as_field_errors(portfolio, person):
    with pytest.raises(ValidationError) as error:
        services.save_contact(portfolio.own, {"last_name": "", "email": "not-an-email", "colour": "red"}, None)
    assert "colour" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.save_contact(portfolio.own, {"last_name": "", "email": "not-an-email"}, None)
    assert {"last_name", "email"} <= set(error.value.message_dict)
    with pytest.raises(ValidationError) as error:
        services.save_contact(portfolio.own, {"last_name": "X", "relationship_now": 9}, None)
    assert "relationship_now" in error.value.message_dict
