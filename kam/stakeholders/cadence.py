"""Cadence and freshness (issue 8): how often the customer's people must be met, and who is overdue.

- A contact's *last touch* is the latest `occurred_on` of the interactions they took part in (up to a day, when one
  is given: an interaction dated later is planned, not a touch yet).
- A contact's *cadence* is the most specific active CadenceRule for their customer's segment and their buying role:
  (segment, role), else (blank segment, role), else (segment, blank role), else (blank, blank). A customer without a
  segment (no result in the latest finished selection run) matches the blank-segment rules only; a contact without a
  buying role matches the blank-role rules only. No matching rule: no cadence, never overdue.
- The contact is *due* `days` after their last touch, or — never touched — after the day they were added to the map
  (their creation date, local time). They are *overdue* when today is after the due date (on the due date itself
  they are not), by today − due days.
- People who left are never overdue.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from kam.accounts.models import in_subtree
from kam.stakeholders.models import CadenceRule, Contact, Interaction

# Above this many accounts, filtering contacts by one tree-path prefix per account makes a query too big (SQLite
# caps an expression's depth at 1,000); the programme-wide list reads every current contact instead (40,000 rows of
# five values) and keeps those under the accounts in Python.
MAX_PREFIXES = 200
CHUNK = 10_000  # ids per query when given a list: below any database's cap on query parameters
FEW = 2_000  # up to this many people, each one's last interaction is looked up on its own (see _last_touched_each)


def last_touched(contact_ids, *, until: dt.date | None = None) -> dict[int, dt.date]:
    """{contact id: the latest interaction date} for the contacts that have one (on or before `until`, when given).
    One query for a queryset of ids (used as a subquery) or up to 10,000 ids; larger lists are read in chunks."""
    links = Interaction.contacts.through.objects
    if until is not None:
        links = links.filter(interaction__occurred_on__lte=until)

    def read(ids) -> dict:
        rows = links.filter(contact_id__in=ids).values("contact_id").annotate(last=Max("interaction__occurred_on"))
        return {row["contact_id"]: row["last"] for row in rows.order_by()}

    if isinstance(contact_ids, QuerySet):
        return read(contact_ids)
    ids = list(contact_ids)
    if len(ids) <= FEW:
        return _last_touched_each(ids, until)
    touched = {}
    for start in range(0, len(ids), CHUNK):
        touched.update(read(ids[start : start + CHUNK]))
    return touched


def _last_touched_each(ids: list[int], until: dt.date | None) -> dict[int, dt.date]:
    """The same for a few contacts (one account's people), asked person by person in one query: each looks up its
    own interactions through the link table's contact index. The grouped form above lets PostgreSQL read every
    interaction of the tenant for the date filter (about 100 ms at a million interactions); this one reads the
    people's own (a few ms)."""
    latest = Interaction.objects.filter(contacts=OuterRef("pk"))
    if until is not None:
        latest = latest.filter(occurred_on__lte=until)
    latest = latest.order_by("-occurred_on").values("occurred_on")[:1]
    rows = Contact.objects.filter(pk__in=ids).annotate(last=Subquery(latest)).values_list("pk", "last")
    return {pk: last for pk, last in rows if last is not None}


def _index(rules: Iterable[CadenceRule]) -> dict:
    return {(rule.segment, rule.buying_role): rule for rule in rules if rule.is_active}


def _pick(index: dict, segment: str, buying_role: str) -> CadenceRule | None:
    for key in ((segment, buying_role), ("", buying_role), (segment, ""), ("", "")):
        if key[0] and not segment or key[1] and not buying_role:
            continue  # a blank segment or role of the contact matches blank rules only
        rule = index.get(key)
        if rule is not None:
            return rule
    return None


def cadence_for(contact: Contact, segment: str, rules: Iterable[CadenceRule]) -> CadenceRule | None:
    """The most specific active rule of `rules` for the contact in a customer of `segment` (blank: none), or None:
    (segment, role) > (blank segment, role) > (segment, blank role) > (blank, blank)."""
    return _pick(_index(rules), segment or "", contact.buying_role or "")


@dataclass
class OverdueContact:
    contact: Contact
    days: int  # the rule's cadence
    last_touch: dt.date | None  # None: never touched
    due: dt.date
    days_overdue: int
    rule: CadenceRule


def _root_paths(accounts: QuerySet) -> list[str]:
    """The tree paths of the accounts, without those inside another one of them."""
    paths = sorted(set(accounts.values_list("tree_path", flat=True)))
    roots = []
    for path in paths:
        # Sorted, the paths under an account follow it in one block: only the last root kept can contain a path.
        if not roots or not path.startswith(roots[-1]):
            roots.append(path)
    return roots


def overdue_contacts(accounts: QuerySet, *, today: dt.date | None = None) -> list[OverdueContact]:
    """The overdue current contacts (see the module docstring) of the accounts in `accounts` and their subsidiaries,
    most overdue first (then by name). A handful of queries whatever the number of accounts and contacts: the
    accounts' paths, the current contacts, the segments (two), the rules, the last touches, the overdue contacts."""
    from kam.teams.analysis import latest_segments

    today = today or timezone.localdate()
    roots = _root_paths(accounts)
    if not roots:
        return []
    current = Contact.objects.filter(left_on__isnull=True)
    if len(roots) <= MAX_PREFIXES:
        where = Q(pk__in=[])
        for path in roots:
            where |= in_subtree(path, "account__tree_path")
        current = current.filter(where)
    rows = current.values_list("pk", "account__tree_path", "buying_role", "created_at")
    root_ids = {int(path.strip("/").split("/")[-1]) for path in roots}
    people = []  # (id, group id, buying role, created on)
    for pk, path, buying_role, created_at in rows:
        ids = [int(part) for part in path.strip("/").split("/") if part]
        if root_ids.isdisjoint(ids):
            continue
        people.append((pk, ids[0], buying_role, timezone.localdate(created_at)))
    if not people:
        return []
    _, segments = latest_segments({group for _, group, _, _ in people})
    index = _index(CadenceRule.objects.filter(is_active=True))
    touched = last_touched(current.values("pk") if len(people) > CHUNK else [p[0] for p in people], until=today)
    late = {}
    for pk, group, buying_role, created_on in people:
        rule = _pick(index, segments.get(group, ""), buying_role)
        if rule is None:
            continue
        last = touched.get(pk)
        due = (last or created_on) + dt.timedelta(days=rule.days)
        if today > due:
            late[pk] = (rule, last, due)
    contacts = Contact.objects.select_related("account", "relationship_owner").in_bulk(list(late))
    overdue = [
        OverdueContact(contacts[pk], rule.days, last, due, (today - due).days, rule)
        for pk, (rule, last, due) in late.items()
        if pk in contacts
    ]
    overdue.sort(key=lambda o: (-o.days_overdue, o.contact.last_name, o.contact.first_name, o.contact.pk))
    return overdue
