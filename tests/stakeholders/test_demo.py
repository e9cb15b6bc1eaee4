"""The organisation maps of the demo company (kam/stakeholders/demo.py): loaded once through the services (audited), a
rich map for the first demo manager's main account — a leaver whose team moved, one coverage gap, two people overdue,
a history so the map three months ago differs from today's — smaller maps elsewhere, and key accounts without one."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from kam.accounts import demo as accounts_demo
from kam.accounts.models import Account
from kam.audit.models import ObjectChange
from kam.stakeholders import cadence, coverage, demo, services
from kam.stakeholders.choices import Attitude, BuyingRole
from kam.stakeholders.models import Contact, ContactState, Interaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    accounts_demo.generate(customers=120, months=13, as_of=dt.date(2026, 10, 1))
    return get_user_model().objects


def counts():
    return [
        Contact.objects.count(),
        ContactState.objects.count(),
        Interaction.objects.count(),
        Interaction.contacts.through.objects.count(),
    ]


def main_account(company) -> Account:
    manager = company.get(email="kam1@example.com")
    return Account.objects.filter(is_key_account=True, owner=manager, parent__isnull=True).order_by("name").first()


def test_the_demo_maps_load_once_through_the_services(company):
    assert demo.generate() is True
    loaded, changes = counts(), ObjectChange.objects.count()

    assert demo.generate() is False

    assert counts() == loaded and ObjectChange.objects.count() == changes
    assert (
        ObjectChange.objects.filter(content_type__model="contact", action="create").count() == Contact.objects.count()
    )
    assert ObjectChange.objects.filter(content_type__model="interaction").count() >= Interaction.objects.count()


def test_the_first_managers_account_has_a_rich_map(company):
    demo.generate()
    account = main_account(company)
    people = Contact.objects.filter(account__in=account.subtree())
    assert 20 <= people.count() <= 30
    assert people.values("account").distinct().count() == 3  # the group and two subsidiaries
    assert set(people.values_list("buying_role", flat=True)) >= set(BuyingRole.values)
    attitudes = set(people.filter(left_on__isnull=True).values_list("attitude", flat=True))
    assert {Attitude.CHAMPION, Attitude.BLOCKER} <= attitudes
    assert people.exclude(dotted_line_to=None).count() >= 3
    assert people.filter(reports_to=None).count() == 1  # one tree under the CEO
    team = set(account.team_members.values_list("user_id", flat=True))
    assert set(people.exclude(relationship_owner=None).values_list("relationship_owner", flat=True)) <= team | set(
        company.filter(email__in=["specialist@example.com", "delivery@example.com"]).values_list("pk", flat=True)
    )

    # One leaver; her team moved to her manager, and nobody reports to her.
    (leaver,) = people.filter(left_on__isnull=False)
    assert leaver.left_on < timezone.localdate()
    assert not Contact.objects.filter(reports_to=leaver).exists()
    moved = ContactState.objects.filter(reports_to_contact_id=leaver.pk).values_list("contact_id", flat=True)
    assert set(Contact.objects.filter(pk__in=moved).values_list("reports_to", flat=True)) == {leaver.reports_to_id}

    # One coverage gap: the economic buyer is not covered by the executive sponsor.
    gaps = coverage.evaluate_coverage(account).gaps
    assert [gap.rule.name for gap in gaps] == ["Executive sponsor with the economic buyer"]

    # Two people overdue for a touch.
    overdue = cadence.overdue_contacts(Account.objects.filter(pk=account.pk))
    assert sorted(o.contact.last_name for o in overdue) == ["Novak", "de Vries"]

    # About forty interactions over the last year, many with next steps, none with someone after they left.
    timeline = Interaction.objects.filter(account__in=account.subtree())
    assert 35 <= timeline.count() <= 45 and timeline.exclude(next_steps="").count() >= 10
    year_ago = timezone.localdate() - dt.timedelta(days=366)
    assert not timeline.filter(occurred_on__lt=year_ago).exists()
    assert not timeline.filter(contacts=leaver, occurred_on__gt=leaver.left_on).exists()


def test_the_map_three_months_ago_differs_from_todays(company):
    demo.generate()
    account = main_account(company)
    now = timezone.now()
    today = {s.contact_id: s for s in services.map_as_of(account, now)}
    then = {s.contact_id: s for s in services.map_as_of(account, now - dt.timedelta(days=91))}
    assert set(then) < set(today)  # the newcomer joined since
    leaver = Contact.objects.get(account__in=account.subtree(), left_on__isnull=False)
    assert then[leaver.pk].left_on is None and today[leaver.pk].left_on == leaver.left_on
    assert any(s.reports_to_contact_id == leaver.pk for s in then.values())
    assert not any(s.reports_to_contact_id == leaver.pk for s in today.values())
    changed = [pk for pk in then if (then[pk].attitude, then[pk].relationship_now)
               != (today[pk].attitude, today[pk].relationship_now)]  # fmt: skip
    assert changed  # the procurement chief softened


def test_smaller_maps_elsewhere_and_accounts_without_one(company):
    demo.generate()
    keys = Account.objects.filter(is_key_account=True, parent__isnull=True)
    sizes = {}
    for key in keys:
        size = Contact.objects.filter(account__in=key.subtree()).count()
        if size:
            sizes[key.pk] = size
    main = main_account(company)
    small = [size for pk, size in sizes.items() if pk != main.pk]
    assert len(small) == 3 and all(5 <= size <= 10 for size in small)
    assert keys.count() > len(sizes)  # the empty state shows on the others


def test_the_demo_tab_renders(company, client):
    demo.generate()
    account = main_account(company)
    client.force_login(company.get(email="kam1@example.com"))
    response = client.get(f"/accounts/{account.pk}/?tab=stakeholders")
    assert response.status_code == 200
    three_months_ago = timezone.localdate() - dt.timedelta(days=91)
    assert client.get(f"/accounts/{account.pk}/?tab=stakeholders&as_of={three_months_ago}").status_code == 200
