"""kam/stakeholders/generate.py: the generated organisation maps and interactions — counts, one open state per contact,
lines within a customer and never to a leaver or in a circle, the history (a leaver present before they left), both
sides of every interaction consistent with its customer, the benchmark's map account, determinism."""

import datetime as dt
import random
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count, F, Q

from kam.accounts.choices import TeamRole
from kam.accounts.models import Account, AccountTeamMember
from kam.core.generate import generate
from kam.stakeholders import services
from kam.stakeholders.choices import BuyingRole
from kam.stakeholders.generate import (
    CONTACTS,
    INTERACTIONS,
    MAP_PEOPLE,
    MAX_PEOPLE,
    MIN_PEOPLE,
    map_account,
    people_per_customer,
)
from kam.stakeholders.models import Contact, ContactState, Interaction

SCALE = 0.01  # 20 key accounts, 400 contacts, 10,000 interactions

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    return generate(scale=SCALE)


def groups() -> dict[int, int]:
    """{account id: its customer's id} of every account."""
    return {pk: int(path.strip("/").split("/")[0]) for pk, path in Account.objects.values_list("pk", "tree_path")}


def test_counts_and_every_contact_has_one_open_state(tenant):
    assert tenant.counts["contacts"] == Contact.objects.count() == round(CONTACTS * SCALE)
    assert tenant.counts["interactions"] == Interaction.objects.count() == round(INTERACTIONS * SCALE)
    assert tenant.counts["contact states"] == ContactState.objects.count() > Contact.objects.count()
    links = Interaction.contacts.through.objects
    assert tenant.counts["interaction contacts"] == links.count()
    assert tenant.counts["interaction participants"] == Interaction.participants.through.objects.count()
    open_states = Counter(ContactState.objects.filter(valid_to__isnull=True).values_list("contact_id", flat=True))
    assert set(open_states) == set(Contact.objects.values_list("pk", flat=True))
    assert set(open_states.values()) == {1}
    # The open state shows what the contact shows now.
    for contact in Contact.objects.all():
        state = ContactState.objects.get(contact=contact, valid_to__isnull=True)
        assert state.reports_to_contact_id == contact.reports_to_id and state.left_on == contact.left_on
        assert state.valid_from >= contact.created_at
    # Every key account has a map, with every buying role among its people; only key accounts have one.
    customer = groups()
    keys = set(Account.objects.filter(is_key_account=True, parent__isnull=True).values_list("pk", flat=True))
    per_customer = Counter(customer[a] for a in Contact.objects.values_list("account_id", flat=True))
    assert set(per_customer) == keys and min(per_customer.values()) >= MIN_PEOPLE
    for key in keys:
        roles = {
            role
            for account, role in Contact.objects.values_list("account_id", "buying_role")
            if customer[account] == key
        }
        assert {BuyingRole.ECONOMIC_BUYER, BuyingRole.DECISION_MAKER, BuyingRole.COACH} <= roles


def test_lines_stay_in_the_customer_never_point_to_a_leaver_and_form_no_circle(tenant):
    customer = groups()
    contacts = {c.pk: c for c in Contact.objects.all()}
    assert any(c.left_on for c in contacts.values()) and any(c.dotted_line_to_id for c in contacts.values())
    for contact in contacts.values():
        for other_id in (contact.reports_to_id, contact.dotted_line_to_id):
            if other_id is None:
                continue
            other = contacts[other_id]
            assert other_id != contact.pk
            assert customer[other.account_id] == customer[contact.account_id]
            assert other.left_on is None, f"{contact} reports to {other}, who left"
        seen, chain = set(), contact
        while chain.reports_to_id is not None:
            assert chain.pk not in seen, "a circle of managers"
            seen.add(chain.pk)
            chain = contacts[chain.reports_to_id]
    assert not Contact.objects.filter(reports_to__left_on__isnull=False).exists()
    # Owners are members of the customer's team.
    members = set(AccountTeamMember.objects.values_list("account_id", "user_id"))
    for contact in contacts.values():
        if contact.relationship_owner_id:
            assert (customer[contact.account_id], contact.relationship_owner_id) in members


def test_the_map_before_a_departure_shows_the_leaver_with_their_team(tenant):
    moved = None
    for leaver in Contact.objects.filter(left_on__isnull=False).order_by("pk"):
        before = dt.datetime.combine(leaver.left_on - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
        past = {s.contact_id: s for s in services.map_as_of(leaver.account, before)}
        assert leaver.pk in past and past[leaver.pk].left_on is None
        now = {s.contact_id: s for s in services.map_as_of(leaver.account, dt.datetime.now(dt.UTC))}
        assert now[leaver.pk].left_on == leaver.left_on
        reports_then = {pk for pk, s in past.items() if s.reports_to_contact_id == leaver.pk}
        assert not any(s.reports_to_contact_id == leaver.pk for s in now.values())
        if reports_then and moved is None:
            moved = (leaver, reports_then)
    assert moved is not None, "no leaver had a team to move"
    leaver, reports = moved
    assert set(Contact.objects.filter(pk__in=reports).values_list("reports_to_id", flat=True)) == {leaver.reports_to_id}


def test_both_sides_of_every_interaction_belong_to_its_customer(tenant):
    customer = groups()
    contacts = {
        pk: (account, left_on) for pk, account, left_on in Contact.objects.values_list("pk", "account_id", "left_on")
    }
    sides = Counter()
    occurred = dict(Interaction.objects.values_list("pk", "occurred_on"))
    accounts = dict(Interaction.objects.values_list("pk", "account_id"))
    for interaction_id, contact_id in Interaction.contacts.through.objects.values_list("interaction_id", "contact_id"):
        account, left_on = contacts[contact_id]
        assert customer[account] == customer[accounts[interaction_id]]
        assert left_on is None or left_on >= occurred[interaction_id]
        sides[interaction_id] += 1
    assert set(sides) == set(occurred) and set(sides.values()) <= {1, 2, 3}
    team = set(AccountTeamMember.objects.values_list("account_id", "user_id"))
    for interaction_id, user_id in Interaction.participants.through.objects.values_list("interaction_id", "user_id"):
        assert (customer[accounts[interaction_id]], user_id) in team
    assert Interaction.objects.exclude(next_steps="").count() == pytest.approx(0.2 * len(occurred), rel=0.2)
    assert max(occurred.values()) < dt.date.today()
    # The through tables' sequences continue after the generated rows: a service's write does not collide.
    interaction = Interaction.objects.order_by("pk").first()
    other = Contact.objects.filter(
        account_id__in=[a for a, g in customer.items() if g == customer[interaction.account_id]]
    )
    added = other.exclude(pk__in=interaction.contacts.all()).filter(left_on__isnull=True).first()
    interaction.contacts.add(added)
    interaction.participants.add(AccountTeamMember.objects.first().user)
    assert added in interaction.contacts.all()


def test_the_largest_group_has_the_most_people_and_is_the_benchmarks_account(tenant):
    from bench.django_side import find_targets

    target = find_targets()["account_id"]
    customer = groups()
    per_customer = Counter(customer[a] for a in Contact.objects.values_list("account_id", flat=True))
    assert per_customer.most_common(1)[0][0] == target
    subsidiaries = (
        Account.objects.filter(is_key_account=True, parent__isnull=True)
        .annotate(n=Count("children"))
        .values_list("pk", "n")
    )
    assert map_account(list(subsidiaries)) == target


def test_the_map_account_gets_300_people_from_scale_0_1_on():
    rng = random.Random(1)
    sizes = [rng.randint(1, 40) for _ in range(200)]  # scale 0.1: 200 key accounts, 4,000 people
    counts = people_per_customer(random.Random(2), sizes, 4_000, map_index=17)
    assert sum(counts) == 4_000 and counts[17] == MAP_PEOPLE
    others = counts[:17] + counts[18:]
    assert min(others) >= MIN_PEOPLE and max(others) <= MAX_PEOPLE and max(others) > 3 * min(others)  # skewed
    counts = people_per_customer(random.Random(2), [rng.randint(1, 40) for _ in range(2000)], 40_000, 5)
    assert sum(counts) == 40_000 and counts[5] == MAP_PEOPLE == max(counts)
    small = people_per_customer(random.Random(2), [3, 1, 2, 5], 60, map_index=3)  # small scales: the most people
    assert sum(small) == 60 and small[3] == max(small) and min(small) >= MIN_PEOPLE
    assert people_per_customer(random.Random(2), [4], 20, 0) == [20]
    assert map_account([(5, 3), (2, 7), (9, 7)]) == 2


class Undo(Exception):
    pass


def snapshot():
    return {
        "contacts": list(
            Contact.objects.order_by("pk").values_list(
                "pk",
                "account_id",
                "first_name",
                "last_name",
                "title",
                "reports_to_id",
                "dotted_line_to_id",
                "buying_role",
                "attitude",
                "relationship_owner_id",
                "left_on",
                "created_at",
            )
        ),  # fmt: skip
        "states": list(ContactState.objects.order_by("pk").values_list("contact_id", "valid_from", "valid_to")),
        "interactions": list(
            Interaction.objects.order_by("pk").values_list("pk", "account_id", "occurred_on", "subject", "kind")
        ),
        "links": sorted(Interaction.contacts.through.objects.values_list("interaction_id", "contact_id")),
        "participants": sorted(Interaction.participants.through.objects.values_list("interaction_id", "user_id")),
    }


def test_the_same_seed_gives_the_same_maps_and_another_seed_others():
    try:
        with transaction.atomic():
            generate(scale=SCALE, seed=11)
            first = snapshot()
            raise Undo
    except Undo:
        pass
    try:
        with transaction.atomic():
            generate(scale=SCALE, seed=12)
            other = snapshot()
            raise Undo
    except Undo:
        pass
    generate(scale=SCALE, seed=11)
    assert snapshot() == first
    assert other["contacts"] != first["contacts"] and other["links"] != first["links"]
    assert not ContactState.objects.filter(~Q(valid_to=None), valid_to__lte=F("valid_from")).exists()


def test_the_executive_sponsor_owns_executives(tenant):
    """So that the default rule 'Executive sponsor with the economic buyer' can pass on generated maps."""
    sponsors = set(
        AccountTeamMember.objects.filter(team_role=TeamRole.EXECUTIVE_SPONSOR).values_list("user_id", flat=True)
    )
    assert Contact.objects.filter(level="executive", relationship_owner_id__in=sponsors).exists()
