"""Cadence and freshness against a hand computation: eight people of the own customer (group and subsidiary) and one
of the other customer, all added to the map on 1 January 2026, checked on 30 June 2026 with the default rules
(decision makers 30 days, economic buyers 90, everyone else 180) and, for a strategic customer, two more
(strategic decision makers 14 days, strategic everyone else 60)."""

import datetime as dt

import pytest
from django.utils import timezone

from kam.accounts.models import Account
from kam.stakeholders import services
from kam.stakeholders.cadence import cadence_for, last_touched, overdue_contacts
from kam.stakeholders.models import CadenceRule, Contact, Interaction
from tests.stakeholders.segments import segment_accounts

ADDED = dt.date(2026, 1, 1)
TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def people(portfolio, users, person):
    """name (account)      buying role      interactions (their dates)
    Ada Boss (own)      economic buyer   2026-04-01
    Ben Buyer (child)   economic buyer   2026-03-01
    Cleo Chief (own)    decision maker   2026-06-10
    Dan Deputy (child)  decision maker   never
    Eve Engineer (ch)   technical buyer  2026-04-20, and 2026-07-05 (after TODAY: planned, not a touch)
    Fay Former (own)    decision maker   never, left
    Gus Gate (own)      —                2026-01-10, 2026-02-01, 2026-03-01 (with Ben)
    Hal Exec (child)    —                never
    Ivy Other (other's subsidiary) economic buyer, never"""
    own, child = portfolio.own, portfolio.own_child
    p = {
        "ada": person(own, "Boss", "Ada", buying_role="economic_buyer"),
        "ben": person(child, "Buyer", "Ben", buying_role="economic_buyer"),
        "cleo": person(own, "Chief", "Cleo", buying_role="decision_maker"),
        "dan": person(child, "Deputy", "Dan", buying_role="decision_maker"),
        "eve": person(child, "Engineer", "Eve", buying_role="technical_buyer"),
        "fay": person(own, "Former", "Fay", buying_role="decision_maker"),
        "gus": person(own, "Gate", "Gus"),
        "hal": person(child, "Exec", "Hal"),
        "ivy": person(portfolio.other_child, "Other", "Ivy", buying_role="economic_buyer"),
    }
    services.mark_left(p["fay"], timezone.localdate(), users.kam)
    noon = timezone.make_aware(dt.datetime(ADDED.year, ADDED.month, ADDED.day, 12))
    Contact.objects.filter(pk__in=[c.pk for c in p.values()]).update(created_at=noon)
    meetings = [
        ("2026-04-01", own, ["ada"]),
        ("2026-03-01", child, ["ben", "gus"]),  # Gus met again later: his latest counts
        ("2026-06-10", own, ["cleo"]),
        ("2026-04-20", child, ["eve"]),
        ("2026-07-05", child, ["eve"]),
        ("2026-01-10", own, ["gus"]),
        ("2026-02-01", own, ["gus"]),
    ]
    for day, account, names in meetings:
        interaction = Interaction.objects.create(
            account=account, occurred_on=dt.date.fromisoformat(day), subject="Meeting", created_by=users.kam
        )
        interaction.contacts.add(*[p[name] for name in names])
    return p


@pytest.fixture
def strategic_rules():
    CadenceRule.objects.create(segment="strategic", buying_role="decision_maker", days=14)
    CadenceRule.objects.create(segment="strategic", buying_role="", days=60)


def listed(overdue):
    return [(o.contact.last_name, o.days, o.last_touch, o.due, o.days_overdue) for o in overdue]


def d(text):
    return dt.date.fromisoformat(text)


def test_last_touched_in_one_query(people, django_assert_num_queries):
    ids = [c.pk for c in people.values()]
    with django_assert_num_queries(1):
        touched = last_touched(ids)
    by_name = {c.last_name: touched.get(c.pk) for c in people.values()}
    assert by_name == {
        "Boss": d("2026-04-01"), "Buyer": d("2026-03-01"), "Chief": d("2026-06-10"), "Deputy": None,
        "Engineer": d("2026-07-05"), "Former": None, "Gate": d("2026-03-01"), "Exec": None, "Other": None,
    }  # fmt: skip
    assert last_touched(ids, until=TODAY)[people["eve"].pk] == d("2026-04-20")  # the planned meeting is not a touch
    with django_assert_num_queries(1):
        assert last_touched(Contact.objects.filter(pk=people["ada"].pk).values("pk")) == {
            people["ada"].pk: d("2026-04-01")
        }
    # A few people are asked one by one, many (or a queryset) grouped: the two forms agree, with and without `until`.
    grouped = Contact.objects.filter(pk__in=ids).values("pk")
    assert last_touched(grouped) == touched
    assert last_touched(grouped, until=TODAY) == last_touched(ids, until=TODAY)


def test_the_most_specific_rule_wins(people):
    rules = [
        CadenceRule(segment="", buying_role="", days=180),
        CadenceRule(segment="strategic", buying_role="", days=60),
        CadenceRule(segment="", buying_role="decision_maker", days=30),
        CadenceRule(segment="strategic", buying_role="decision_maker", days=14),
        CadenceRule(segment="develop", buying_role="decision_maker", days=7),
        CadenceRule(segment="", buying_role="economic_buyer", days=90, is_active=False),
    ]
    days = lambda name, segment, use=rules: getattr(cadence_for(people[name], segment, use), "days", None)  # noqa: E731
    assert days("cleo", "strategic") == 14  # (segment, role)
    assert days("cleo", "maintain") == 30  # (blank, role): another segment's rule is ignored
    assert days("cleo", "") == 30  # no segment
    assert days("ada", "strategic") == 60  # (segment, blank): the economic buyers' rule is inactive
    assert days("gus", "strategic") == 60 and days("gus", "") == 180  # no buying role: blank-role rules only
    assert days("cleo", "strategic", rules[1:2]) == 60
    assert days("cleo", "", rules[1:2]) is None  # no rule applies: no cadence


def test_overdue_for_a_strategic_customer(portfolio, people, strategic_rules):
    segment_accounts({portfolio.own: "strategic"})
    overdue = overdue_contacts(Account.objects.filter(pk=portfolio.own.pk), today=TODAY)
    assert listed(overdue) == [
        ("Deputy", 14, None, d("2026-01-15"), 166),  # never met: due 14 days after being added
        ("Exec", 60, None, d("2026-03-02"), 120),  # strategic, no role: (segment, blank) beats (blank, blank)
        ("Gate", 60, d("2026-03-01"), d("2026-04-30"), 61),
        ("Buyer", 90, d("2026-03-01"), d("2026-05-30"), 31),  # (blank, economic buyer) beats (strategic, blank)
        ("Engineer", 60, d("2026-04-20"), d("2026-06-19"), 11),  # the meeting of 5 July has not happened yet
        ("Chief", 14, d("2026-06-10"), d("2026-06-24"), 6),
    ]
    # Not listed: Ada, due on 30 June (today: not overdue yet), Fay (left), Ivy (another customer).
    tomorrow = overdue_contacts(Account.objects.filter(pk=portfolio.own.pk), today=TODAY + dt.timedelta(days=1))
    assert ("Boss", 90, d("2026-04-01"), d("2026-06-30"), 1) in listed(tomorrow)


def test_overdue_for_a_subsidiary_only(portfolio, people, strategic_rules):
    segment_accounts({portfolio.own: "strategic"})  # the subsidiary's people follow their group's segment
    overdue = overdue_contacts(Account.objects.filter(pk=portfolio.own_child.pk), today=TODAY)
    assert [o.contact.last_name for o in overdue] == ["Deputy", "Exec", "Buyer", "Engineer"]


def test_overdue_without_a_segment(portfolio, people, strategic_rules):
    # No finished run: the strategic rules do not apply; 30 days for decision makers, 90 economic buyers, else 180.
    overdue = overdue_contacts(Account.objects.filter(pk=portfolio.own.pk), today=TODAY)
    assert listed(overdue) == [
        ("Deputy", 30, None, d("2026-01-31"), 150),
        ("Buyer", 90, d("2026-03-01"), d("2026-05-30"), 31),
    ]
    # Hal, never met, is due 180 days after 1 January: 30 June, today — not overdue yet.
    assert [o.contact.last_name for o in overdue_contacts(Account.objects.all(), today=TODAY + dt.timedelta(1))][
        :3
    ] == ["Deputy", "Other", "Buyer"]


def test_the_programme_wide_list_in_a_handful_of_queries(
    portfolio, people, strategic_rules, django_assert_max_num_queries
):
    segment_accounts({portfolio.own: "strategic"})
    with django_assert_max_num_queries(7):
        overdue = overdue_contacts(Account.objects.all(), today=TODAY)
    names = [o.contact.last_name for o in overdue]
    # Ivy's customer has no segment: economic buyer, 90 days from 1 January → due 1 April, 90 days overdue.
    assert names == ["Deputy", "Exec", "Other", "Gate", "Buyer", "Engineer", "Chief"]
    assert listed(overdue)[2] == ("Other", 90, None, d("2026-04-01"), 90)


def test_the_list_brings_each_contact_with_its_account(portfolio, people, django_assert_num_queries):
    overdue = overdue_contacts(Account.objects.all(), today=TODAY)
    with django_assert_num_queries(0):  # read with the contacts, not once per row of a page
        assert [(o.contact.last_name, o.contact.account.name) for o in overdue][:2] == [
            ("Deputy", "Own Subsidiary"), ("Other", "Other Subsidiary")
        ]  # fmt: skip


def test_no_rules_no_overdue(portfolio, people):
    CadenceRule.objects.update(is_active=False)
    assert overdue_contacts(Account.objects.all(), today=TODAY) == []
    assert overdue_contacts(Account.objects.none(), today=TODAY) == []
