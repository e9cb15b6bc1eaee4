"""kam.stakeholders.interactions: logging interactions with a customer's people (both sides, within one customer,
no leavers after they left, no future dates), stale changes, the audit of who took part, the timelines of an account
and a contact, and next steps that become plan actions."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.accounts.models import Account
from kam.audit.services import changes_for
from kam.core.roles import Role
from kam.plans import services as plans
from kam.plans.choices import VersionStatus
from kam.plans.models import Action
from kam.stakeholders import interactions, services
from kam.stakeholders.models import Interaction
from tests import factories

TODAY = timezone.localdate()
DAY = TODAY - dt.timedelta(days=30)


def meeting(**fields):
    return {"kind": "meeting", "occurred_on": DAY, "level": "management", "subject": "Quarterly review", **fields}


def log(account, user, contacts, participants=(), **fields):
    return interactions.log_interaction(account, meeting(**fields), user, contacts=contacts, participants=participants)


def refused(field, account, data, user, **sides):
    """The field's message when logging is refused (and nothing was written)."""
    count = Interaction.objects.count()
    with pytest.raises(ValidationError) as error:
        interactions.log_interaction(account, data, user, **sides)
    assert Interaction.objects.count() == count
    return " ".join(error.value.message_dict[field])


def make_plan(account, user):
    Account.objects.filter(pk=account.pk).update(is_key_account=True)
    return plans.create_plan(Account.objects.get(pk=account.pk), user, 2026)


# Adding, changing, deleting ---------------------------------------------------------------------------------------


def test_log_change_and_delete_an_interaction(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    ben = person(portfolio.own_child, "Berg", "Ben")
    # Contacts and users given as objects or ids; text is trimmed; the author is recorded.
    first = interactions.log_interaction(
        portfolio.own,
        meeting(subject="  Renewal kick-off  ", summary="Went well.", sentiment="positive", next_steps="Send offer"),
        users.kam,
        contacts=[ada, str(ben.pk)],
        participants=[users.kam.pk, users.sponsor],
    )
    first = Interaction.objects.get(pk=first.pk)
    assert (first.subject, first.level, first.sentiment, first.occurred_on) == (
        "Renewal kick-off", "management", "positive", DAY,
    )  # fmt: skip
    assert first.created_by == users.kam
    assert set(first.contacts.values_list("pk", flat=True)) == {ada.pk, ben.pk}
    assert set(first.participants.values_list("pk", flat=True)) == {users.kam.pk, users.sponsor.pk}

    # A change sets the given fields and replaces both sides; the rest stays; the author stays the first one.
    changed = interactions.log_interaction(
        portfolio.own_child,
        {"kind": "call", "summary": "Moved to a call."},
        users.sponsor,
        contacts=[ben],
        participants=[],
        interaction=first,
        expected_version=first.version,
    )
    changed = Interaction.objects.get(pk=first.pk)
    assert (changed.kind, changed.summary, changed.subject, changed.account_id) == (
        "call", "Moved to a call.", "Renewal kick-off", portfolio.own_child.pk,
    )  # fmt: skip
    assert list(changed.contacts.values_list("pk", flat=True)) == [ben.pk]
    assert not changed.participants.exists()
    assert changed.created_by == users.kam
    assert changed.version == first.version + 1

    interactions.delete_interaction(changed, users.kam, expected_version=changed.version)
    assert not Interaction.objects.filter(pk=first.pk).exists()
    assert ada.interactions.count() == 0  # the links go with it; the people stay


def test_who_took_part_is_in_the_audit_log(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    ben = person(portfolio.own, "Berg", "Ben")
    added = log(portfolio.own, users.kam, [ada], [users.kam])
    sides = changes_for(added).filter(action="update").get()
    assert sides.before == {"contacts": [], "participants": []}
    assert sides.after == {
        "contacts": [f"Ada Stone (#{ada.pk})"],
        "participants": [f"kam@example.com (#{users.kam.pk})"],
    }
    assert sides.actor_label  # who wrote it comes from the change context like any other record

    # A change of one side only is recorded too, with the sides before and after.
    interactions.log_interaction(
        portfolio.own, {}, users.kam, contacts=[ada, ben], participants=[users.kam], interaction=added
    )
    latest = changes_for(added).filter(action="update").order_by("-id").first()
    assert latest.before["contacts"] == [f"Ada Stone (#{ada.pk})"]
    assert latest.after["contacts"] == [f"Ada Stone (#{ada.pk})", f"Ben Berg (#{ben.pk})"]
    assert [field for field, *_ in latest.changed_fields] == ["contacts"]
    # The change bumped the version even though no plain field changed: a stale writer is refused.
    assert Interaction.objects.get(pk=added.pk).version == added.version + 1

    # Saving the same sides again (in another order) writes no side record.
    def side_records():
        return [record for record in changes_for(added) if "contacts" in (record.after or {})]

    count = len(side_records())
    interactions.log_interaction(
        portfolio.own, {"subject": "Renamed"}, users.kam, contacts=[ben, ada], participants=[users.kam],
        interaction=added,
    )  # fmt: skip
    assert len(side_records()) == count
    assert changes_for(added).filter(action="update", after__subject="Renamed").exists()


def test_a_stale_change_is_refused_and_the_first_survives(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    read = log(portfolio.own, users.kam, [ada])
    interactions.log_interaction(
        portfolio.own, {"subject": "First"}, users.kam, contacts=[ada], participants=[], interaction=read,
        expected_version=read.version,
    )  # fmt: skip
    with pytest.raises(interactions.StaleObject):
        interactions.log_interaction(
            portfolio.own, {"subject": "Second"}, users.sponsor, contacts=[ada], participants=[], interaction=read,
            expected_version=read.version,
        )  # fmt: skip
    assert Interaction.objects.get(pk=read.pk).subject == "First"
    with pytest.raises(interactions.StaleObject):
        interactions.delete_interaction(read, users.kam, expected_version=read.version)
    assert Interaction.objects.filter(pk=read.pk).exists()


# Validation ---------------------------------------------------------------------------------------------------------


def test_the_date_is_past_and_not_before_1990(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    sides = {"contacts": [ada], "participants": []}
    tomorrow = TODAY + dt.timedelta(days=1)
    assert "not a future date" in refused(
        "occurred_on", portfolio.own, meeting(occurred_on=tomorrow), users.kam, **sides
    )
    assert "1990" in refused(
        "occurred_on", portfolio.own, meeting(occurred_on=dt.date(1989, 12, 31)), users.kam, **sides
    )
    assert refused("occurred_on", portfolio.own, meeting(occurred_on="31.12.2020"), users.kam, **sides)
    data = meeting()
    del data["occurred_on"]
    assert refused("occurred_on", portfolio.own, data, users.kam, **sides)
    # Today and 1 January 1990 are fine; so is an ISO date from a form.
    assert log(portfolio.own, users.kam, [ada], occurred_on=TODAY).occurred_on == TODAY
    assert log(portfolio.own, users.kam, [ada], occurred_on=dt.date(1990, 1, 1)).occurred_on == dt.date(1990, 1, 1)
    assert log(portfolio.own, users.kam, [ada], occurred_on="2020-05-04").occurred_on == dt.date(2020, 5, 4)


def test_subject_choices_and_unknown_fields(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    sides = {"contacts": [ada], "participants": []}
    assert refused("subject", portfolio.own, meeting(subject="   "), users.kam, **sides)
    assert refused("subject", portfolio.own, meeting(subject="x" * 201), users.kam, **sides)
    assert refused("kind", portfolio.own, meeting(kind="dinner"), users.kam, **sides)
    assert refused("level", portfolio.own, meeting(level="board"), users.kam, **sides)
    assert refused("sentiment", portfolio.own, meeting(sentiment="ecstatic"), users.kam, **sides)
    assert refused("created_by", portfolio.own, meeting(created_by=users.viewer), users.kam, **sides)
    assert log(portfolio.own, users.kam, [ada], subject="x" * 200).subject == "x" * 200
    # Several errors at once, each under its field.
    with pytest.raises(ValidationError) as error:
        interactions.log_interaction(
            portfolio.own, meeting(subject="", occurred_on=TODAY + dt.timedelta(days=2)), users.kam, contacts=[],
            participants=[],
        )  # fmt: skip
    assert set(error.value.message_dict) == {"subject", "occurred_on", "contacts"}


def test_their_side_is_at_least_one_person_of_the_same_customer(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    stranger = person(portfolio.other_child, "Frost", "Cy")
    assert "at least one" in refused("contacts", portfolio.own, meeting(), users.kam, contacts=[], participants=[])
    assert "at least one" in refused("contacts", portfolio.own, meeting(), users.kam, contacts=None, participants=[])
    message = refused("contacts", portfolio.own, meeting(), users.kam, contacts=[ada, stranger], participants=[])
    assert message == "Cy Frost works for another customer: an interaction is with one customer."
    # A subsidiary's people are the customer's people: logged at the subsidiary with the group's CEO is fine.
    assert log(portfolio.own_child, users.kam, [ada]).account_id == portfolio.own_child.pk
    assert "No such contact" in refused(
        "contacts", portfolio.own, meeting(), users.kam, contacts=[999_999], participants=[]
    )
    # A change cannot move the interaction to another customer.
    logged = log(portfolio.own, users.kam, [ada])
    with pytest.raises(ValidationError) as error:
        interactions.log_interaction(
            portfolio.other, {}, users.kam, contacts=[stranger], participants=[], interaction=logged
        )
    assert "within the customer" in error.value.message_dict["account"][0]
    assert Interaction.objects.get(pk=logged.pk).account_id == portfolio.own.pk


def test_a_leaver_appears_only_in_interactions_before_they_left(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    stale_copy = person(portfolio.own, "Kim", "Lee")
    left = TODAY - dt.timedelta(days=10)
    services.mark_left(stale_copy, left, users.kam)
    assert stale_copy.left_on is None  # the copy in memory does not know: the stored record decides
    after = left + dt.timedelta(days=1)
    message = refused(
        "contacts", portfolio.own, meeting(occurred_on=after), users.kam, contacts=[ada, stale_copy], participants=[]
    )
    assert message == f"Lee Kim left on {left:%Y-%m-%d}, before this interaction."
    # Before they left, and on their last day, they were there.
    assert log(portfolio.own, users.kam, [stale_copy], occurred_on=left - dt.timedelta(days=1)).pk
    on_the_day = log(portfolio.own, users.kam, [stale_copy.pk], occurred_on=left)
    # Moving that interaction past their departure is refused too.
    with pytest.raises(ValidationError) as error:
        interactions.log_interaction(
            portfolio.own, {"occurred_on": after}, users.kam, contacts=[stale_copy], participants=[],
            interaction=on_the_day,
        )  # fmt: skip
    assert "left on" in error.value.message_dict["contacts"][0]
    assert Interaction.objects.get(pk=on_the_day.pk).occurred_on == left


def test_our_side_is_active_users(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    gone = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "gone@example.com")
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)
    assert gone.is_active  # stale in memory: the stored flag decides
    message = refused(
        "participants", portfolio.own, meeting(), users.kam, contacts=[ada], participants=[users.kam, gone]
    )
    assert message == "gone@example.com is not an active user."
    assert "not an active user" in refused(
        "participants", portfolio.own, meeting(), users.kam, contacts=[ada], participants=[999_999]
    )
    assert not log(portfolio.own, users.kam, [ada], participants=[]).participants.exists()


@pytest.mark.parametrize("bad", [2**63, 2**64, -1, 0, True, "abc", 1.5, None])
def test_ids_that_are_no_ids_are_field_errors(portfolio, person, users, bad):
    ada = person(portfolio.own, "Stone", "Ada")
    assert refused("contacts", portfolio.own, meeting(), users.kam, contacts=[ada, bad], participants=[])
    assert refused("participants", portfolio.own, meeting(), users.kam, contacts=[ada], participants=[bad])


def test_the_largest_id_is_looked_up_not_overflowed(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    largest = 2**63 - 1
    assert "No such contact" in refused(
        "contacts", portfolio.own, meeting(), users.kam, contacts=[largest], participants=[]
    )
    assert refused("participants", portfolio.own, meeting(), users.kam, contacts=[ada], participants=[largest])


# Timelines ----------------------------------------------------------------------------------------------------------


def test_account_timeline_newest_first_with_subsidiaries(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    ben = person(portfolio.own_child, "Berg", "Ben")
    cy = person(portfolio.other, "Frost", "Cy")
    old = log(portfolio.own, users.kam, [ada], occurred_on=DAY - dt.timedelta(days=5))
    child = log(portfolio.own_child, users.kam, [ben], occurred_on=DAY)
    same_day_later = log(portfolio.own, users.kam, [ada, ben], occurred_on=DAY)
    log(portfolio.other, users.kam, [cy], occurred_on=DAY)
    assert [i.pk for i in interactions.account_timeline(portfolio.own)] == [same_day_later.pk, child.pk, old.pk]
    # A subsidiary's timeline is its own (not its parent's).
    assert [i.pk for i in interactions.account_timeline(portfolio.own_child)] == [child.pk]
    # A contact's timeline: the interactions they took part in, wherever logged.
    assert [i.pk for i in interactions.contact_timeline(ben)] == [same_day_later.pk, child.pk]
    assert [i.pk for i in interactions.contact_timeline(ada)] == [same_day_later.pk, old.pk]
    assert list(interactions.contact_timeline(cy).values_list("account_id", flat=True)) == [portfolio.other.pk]


def _page_queries(timeline) -> int:
    with CaptureQueriesContext(connection) as queries:
        for item in timeline[:50]:
            str(item)
            item.account.name
            [contact.name for contact in item.contacts.all()]
            [str(user) for user in item.participants.all()]
            str(item.created_by)
    return len(queries)


def test_a_page_of_the_timeline_costs_a_constant_number_of_queries(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    ben = person(portfolio.own_child, "Berg", "Ben")
    for n in range(5):
        log(portfolio.own if n % 2 else portfolio.own_child, users.kam, [ada, ben], [users.kam, users.sponsor])
    few = (
        _page_queries(interactions.account_timeline(portfolio.own)),
        _page_queries(interactions.contact_timeline(ada)),
    )
    for n in range(50):
        log(portfolio.own if n % 2 else portfolio.own_child, users.kam, [ada, ben], [users.kam, users.sponsor])
    many = (
        _page_queries(interactions.account_timeline(portfolio.own)),
        _page_queries(interactions.contact_timeline(ada)),
    )
    assert few == many
    assert many[0] <= 3  # interactions (with account and author), contacts, participants


# Next steps become plan actions ------------------------------------------------------------------------------------


def test_a_next_step_becomes_an_action_of_the_customers_draft_plan(portfolio, person, users):
    plan = make_plan(portfolio.own, users.kam)
    ada = person(portfolio.own_child, "Stone", "Ada")
    logged = log(portfolio.own_child, users.kam, [ada], next_steps="Send the offer\n\n  Book a plant visit  \n")
    due = TODAY + dt.timedelta(days=14)
    action = interactions.next_step_to_action(
        logged, " Book a plant visit ", users.kam, owner=users.kam.pk, due_date=due
    )
    action = Action.objects.get(pk=action.pk)
    # The subsidiary has no plan: the group's is the customer's plan.
    assert action.plan_version == plan.versions.get()
    assert (action.title, action.owner, action.due_date, action.status) == (
        "Book a plant visit",
        users.kam,
        due,
        "open",
    )
    assert changes_for(action).filter(action="create").exists()
    # Without owner or date: still an action.
    assert interactions.next_step_to_action(logged, "Send the offer", users.kam).owner is None


def test_a_subsidiary_with_its_own_plan_gets_the_action(portfolio, person, users):
    make_plan(portfolio.own, users.kam)
    own_plan = make_plan(portfolio.own_child, users.kam)
    ada = person(portfolio.own_child, "Stone", "Ada")
    logged = log(portfolio.own_child, users.kam, [ada], next_steps="Call back")
    action = interactions.next_step_to_action(logged, "Call back", users.kam)
    assert action.plan_version.plan_id == own_plan.pk


def test_a_version_in_review_is_editable(portfolio, person, users):
    plan = make_plan(portfolio.own, users.kam)
    version = plans.submit(plan.versions.get(), users.kam)
    assert version.status == VersionStatus.IN_REVIEW
    ada = person(portfolio.own, "Stone", "Ada")
    logged = log(portfolio.own, users.kam, [ada], next_steps="Call back")
    assert interactions.next_step_to_action(logged, "Call back", users.kam).plan_version_id == version.pk


def test_next_steps_refusals(portfolio, person, users):
    ada = person(portfolio.own, "Stone", "Ada")
    logged = log(portfolio.own, users.kam, [ada], next_steps="Call back\n" + "y" * 201)

    def refusal(field, text, **extra):
        count = Action.objects.count()
        with pytest.raises(ValidationError) as error:
            interactions.next_step_to_action(logged, text, users.kam, **extra)
        assert Action.objects.count() == count
        return " ".join(error.value.message_dict[field])

    # No plan yet.
    assert "no account plan" in refusal("plan", "Call back")
    plan = make_plan(portfolio.own, users.kam)
    # Not one of the next steps (nor a part of one, nor empty); too long for an action's title.
    assert "Not one of" in refusal("text", "Call")
    assert "Not one of" in refusal("text", "Invent a step")
    assert refusal("text", "   ")
    assert "200" in refusal("text", "y" * 201)
    # The next steps are read from the database: a stale copy naming another step does not count.
    logged.next_steps = "Invent a step"
    assert "Not one of" in refusal("text", "Invent a step")
    # An owner that is no id or no active user.
    assert refusal("owner", "Call back", owner=2**64)
    assert refusal("owner", "Call back", owner=-3)
    assert "active user" in refusal("owner", "Call back", owner=999_999)
    # The newest version approved: next year's plan must be started first.
    version = plans.submit(plan.versions.get(), users.kam)
    plans.approve(version, users.admin)
    assert refusal("plan", "Call back") == "The plan's newest version is approved: start next year's plan first."
