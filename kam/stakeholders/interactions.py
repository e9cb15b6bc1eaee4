"""Interactions with the people of a customer (issue 8): meetings, calls, e-mails, visits, events and reviews, and
the timelines of an account and of a contact. Every write goes through here (pages, API). The rules:

- an interaction belongs to an account (the group or a subsidiary) and took place on a day that is neither in the
  future nor before 1990; its subject is required (at most 200 characters);
- their side (`contacts`) is at least one person of the same customer (the same top-level group) who had not left
  before that day — a leaver still appears in interactions dated before they left; our side (`participants`) is
  any number of active users;
- links are given as objects or primary keys and are read again from the database: a stale copy in memory does not
  decide (it could hide a departure or a deactivation); an id that is not a positive 64-bit integer is a field
  error, never a database overflow;
- a change carries the version the writer read; a stale change is refused (StaleObject) and the first one survives;
- who was on each side is recorded in the audit log as a change of the interaction (`contacts`, `participants`),
  since many-to-many changes are not part of the model's own audited fields;
- a line of the next steps can become an action of the customer's plan, in its newest editable version.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.audit.services import record_change
from kam.core.services import StaleObject, lock_for_update
from kam.stakeholders.models import Contact, Interaction
from kam.stakeholders.services import group_of

__all__ = [
    "INTERACTION_FIELDS",
    "StaleObject",
    "account_timeline",
    "contact_timeline",
    "delete_interaction",
    "log_interaction",
    "next_step_to_action",
]

# What a writer may set through `data` (the account, both sides and the author are set otherwise).
INTERACTION_FIELDS = ("kind", "occurred_on", "level", "subject", "summary", "sentiment", "next_steps")
EARLIEST = dt.date(1990, 1, 1)
MAX_TEXT = 20_000  # summary and next steps: far beyond any meeting note, a guard against pasting a whole file
MAX_ID = 2**63 - 1  # the databases' integers: a larger id overflows the driver instead of finding nothing
MAX_ACTION_TITLE = 200  # plans.Action.title


def _pks(values, name: str) -> tuple[list[int], dict]:
    """Objects or primary keys → distinct positive 64-bit ids, in the order given; or a field error."""
    if values is None:
        values = []
    elif isinstance(values, (str, bytes, int)) or hasattr(values, "pk"):
        values = [values]  # one given on its own
    pks, errors = [], {}
    for value in values:
        pk = getattr(value, "pk", value)
        if isinstance(pk, str) and pk.strip().isdigit():
            pk = int(pk.strip())
        # bool is an int to Python, never an id.
        if isinstance(pk, bool) or not isinstance(pk, int) or not 1 <= pk <= MAX_ID:
            errors[name] = f"{value!r} is not an id."
            break
        if pk not in pks:
            pks.append(pk)
    return pks, errors


def _occurred_on(value) -> tuple[dt.date | None, str | None]:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return None, "Enter a date as YYYY-MM-DD."
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if not isinstance(value, dt.date):
        return None, "Enter the day it took place."
    if value > timezone.localdate():
        return None, "An interaction is logged once it happened: not a future date."
    if value < EARLIEST:
        return None, f"Enter a date from {EARLIEST:%Y} on."
    return value, None


def _resolve_contacts(values, group_id: int, occurred_on: dt.date | None) -> tuple[list[Contact], dict]:
    pks, errors = _pks(values, "contacts")
    if errors:
        return [], errors
    if not pks:
        return [], {"contacts": "Name at least one person of the customer who took part."}
    found = {c.pk: c for c in Contact.objects.filter(pk__in=pks).select_related("account").order_by()}
    contacts, problems = [], []
    for pk in pks:
        contact = found.get(pk)
        if contact is None:
            problems.append(f"No such contact (#{pk}).")
        elif group_of(contact.account) != group_id:
            problems.append(f"{contact.name} works for another customer: an interaction is with one customer.")
        elif contact.left_on is not None and occurred_on is not None and contact.left_on < occurred_on:
            problems.append(f"{contact.name} left on {contact.left_on:%Y-%m-%d}, before this interaction.")
        else:
            contacts.append(contact)
    return contacts, ({"contacts": " ".join(problems)} if problems else {})


def _resolve_participants(values) -> tuple[list, dict]:
    pks, errors = _pks(values, "participants")
    if errors:
        return [], errors
    found = {u.pk: u for u in get_user_model().objects.filter(pk__in=pks).order_by()} if pks else {}
    users, problems = [], []
    for pk in pks:
        user = found.get(pk)
        if user is None or not user.is_active:
            problems.append(f"{user or f'#{pk}'} is not an active user.")
        else:
            users.append(user)
    return users, ({"participants": " ".join(problems)} if problems else {})


def _sides(interaction: Interaction) -> dict:
    """Who was on each side, as the audit log shows it: names with their ids (a name alone can be ambiguous)."""
    contacts = sorted(interaction.contacts.all().order_by(), key=lambda c: c.pk)
    users = sorted(interaction.participants.all().order_by(), key=lambda u: u.pk)
    return {
        "contacts": [f"{c.name} (#{c.pk})" for c in contacts],
        "participants": [f"{u} (#{u.pk})" for u in users],
    }


@transaction.atomic
def log_interaction(
    account: Account,
    data: dict,
    user,
    *,
    contacts,
    participants,
    interaction: Interaction | None = None,
    expected_version: int | None = None,
) -> Interaction:
    """Add an interaction with `account` (the group or a subsidiary), or change `interaction` (and move it to
    `account`, within the same customer). `data` holds INTERACTION_FIELDS (on a change, the ones to change);
    `contacts` (their side, at least one) and `participants` (our side, may be empty) are objects or ids and replace
    both sides. Raises ValidationError({field: message}) or StaleObject."""
    unknown = sorted(set(data) - set(INTERACTION_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a field of an interaction."))
    errors = {}
    # The account is read again: its stored place in the tree decides which customer it is.
    account_pk, account_errors = _pks([account], "account")
    account = Account.objects.filter(pk=account_pk[0]).first() if account_pk else None
    if account is None:
        raise ValidationError(account_errors or {"account": "No such account."})
    group_id = group_of(account)
    if interaction is None:
        adding = True
        interaction = Interaction(account=account, created_by=user if getattr(user, "pk", None) else None)
    else:
        adding = False
        interaction = lock_for_update(interaction, expected_version)
        stored_account = Account.objects.only("tree_path").get(pk=interaction.account_id)
        if group_of(stored_account) != group_id:
            errors["account"] = "An interaction moves within the customer only (its subsidiaries)."
        interaction.account = account
    for name, value in data.items():
        if name == "occurred_on":
            value, message = _occurred_on(value)
            if message:
                errors[name] = message
                continue
        elif isinstance(value, str):
            value = value.strip()
        elif value is None and name in ("summary", "next_steps"):
            value = ""
        if name in ("summary", "next_steps") and isinstance(value, str) and len(value) > MAX_TEXT:
            errors[name] = f"At most {MAX_TEXT:,} characters (this has {len(value):,})."
        setattr(interaction, name, value)
    if interaction.occurred_on is None and "occurred_on" not in errors:
        errors["occurred_on"] = "Enter the day it took place."
    # A departure is judged against the interaction's day (only when that day is known and valid).
    day = None if "occurred_on" in errors else interaction.occurred_on
    contact_list, contact_errors = _resolve_contacts(contacts, group_id, day)
    user_list, user_errors = _resolve_participants(participants)
    errors |= contact_errors | user_errors
    try:
        interaction.full_clean(exclude=["account", "created_by", *errors])
    except ValidationError as error:
        errors |= {name: " ".join(messages) for name, messages in error.message_dict.items()}
    if errors:
        raise ValidationError(errors)
    before = {"contacts": [], "participants": []} if adding else _sides(interaction)
    interaction.save()
    interaction.contacts.set(contact_list)
    interaction.participants.set(user_list)
    after = _sides(interaction)
    if after != before:
        # Many-to-many changes are not in the model's audited snapshot: record them as a change of their own.
        record_change(interaction, "update", before, after)
    return interaction


@transaction.atomic
def delete_interaction(interaction: Interaction, user, expected_version: int | None = None) -> None:
    """Delete an interaction (refused with StaleObject when it changed since `expected_version`). Its audit record
    keeps its fields; who was on each side stays in the records of its earlier changes."""
    interaction = lock_for_update(interaction, expected_version)
    interaction.delete()


def _plan_version_for(interaction: Interaction):
    """The newest editable version of the customer's plan: the interaction's own account's plan if it has one, else
    the top-level account's. A ValidationError({"plan": …}) when there is none."""
    from kam.plans.choices import VersionStatus
    from kam.plans.models import AccountPlan, PlanVersion

    account = Account.objects.only("tree_path", "name").get(pk=interaction.account_id)
    group_id = group_of(account)
    plan = (
        AccountPlan.objects.filter(account_id=account.pk).first()
        or AccountPlan.objects.filter(account_id=group_id).first()
    )
    if plan is None:
        raise ValidationError({"plan": f"{account.name} has no account plan: create the plan first."})
    editable = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
    version = PlanVersion.objects.filter(plan=plan, status__in=editable).order_by("-number").first()
    if version is None:
        newest = PlanVersion.objects.filter(plan=plan).order_by("-number").first()
        status = newest.get_status_display().lower() if newest else "missing"
        raise ValidationError({"plan": f"The plan's newest version is {status}: start next year's plan first."})
    return version


@transaction.atomic
def next_step_to_action(interaction: Interaction, text: str, user, *, owner=None, due_date=None):
    """Make one of the interaction's next steps (a line of `next_steps`) an action titled `text` of the customer's
    plan, in its newest editable version (draft or in review); `owner` (an active user, object or id) and
    `due_date` are optional. Refused with a field error when the text is not one of the next steps, is longer than
    an action's title, or the plan has no editable version. Returns the action."""
    from kam.plans import services as plans

    fresh = Interaction._base_manager.filter(pk=interaction.pk).first() if interaction.pk else None
    if fresh is None:
        raise ValidationError({"interaction": "This interaction no longer exists."})
    text = (text or "").strip()
    # Read from the stored interaction: a stale copy's next steps are not the ones that count.
    steps = [line.strip() for line in fresh.next_steps.splitlines() if line.strip()]
    if not text:
        raise ValidationError({"text": "Choose one of the next steps."})
    if text not in steps:
        raise ValidationError({"text": "Not one of this interaction's next steps."})
    if len(text) > MAX_ACTION_TITLE:
        raise ValidationError(
            {"text": f"An action's title has at most {MAX_ACTION_TITLE} characters (this has {len(text)}): "
                     "shorten the next step first."}
        )  # fmt: skip
    data = {"title": text, "due_date": due_date}
    if owner not in (None, ""):
        pks, errors = _pks([owner], "owner")
        if errors:
            raise ValidationError(errors)
        data["owner"] = pks[0]
    version = _plan_version_for(fresh)
    return plans.save_item(version, "action", data, user)


def _timeline(queryset):
    return (
        queryset.select_related("account", "created_by")
        .prefetch_related("contacts", "participants")
        .order_by("-occurred_on", "-pk")
    )


def account_timeline(account: Account):
    """The interactions with the account and its subsidiaries, newest first (a queryset: slice or paginate it; both
    sides and the account are fetched with it, so a page costs the same few queries whatever its size)."""
    account = Account.objects.only("tree_path").get(pk=account.pk)
    return _timeline(Interaction.objects.filter(account__in=account.subtree().values("pk")))


def contact_timeline(contact: Contact):
    """The interactions the contact took part in, newest first (a queryset, as `account_timeline`)."""
    return _timeline(Interaction.objects.filter(contacts=contact.pk))
