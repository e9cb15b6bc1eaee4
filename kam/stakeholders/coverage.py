"""Coverage of a customer's people by our team (issue 8): the programme's coverage rules checked on one customer, and
the matrix of our team × their key people.

A *customer* is a top-level account with its subsidiaries (any depth). Its *current contacts* are the contacts of
all its accounts who have not left (`left_on` blank). Its *segment* is its segment in the latest finished selection
run (kam.teams.analysis.latest_segments); a customer without a result there has no segment.

`evaluate_coverage(account, today=…)` checks the *applicable* rules: the active CoverageRules whose segment is blank
or the customer's segment (a customer without a segment: the blank-segment rules only). Each rule, by kind:

- has_attitude: passes when at least one current contact has the rule's `attitude` (blank attitude: any contact).
- role_owned: passes when every current contact in the rule's `buying_role` (blank: every current contact) has a
  relationship owner who is an active user. With no such contact the rule passes — nobody is unowned; a missing
  role is what the other rules (a champion, an economic buyer covered) are there to catch.
- role_covered_by: passes when at least one current contact in the rule's `buying_role` (blank: any) has a
  relationship owner who is an active user, holds the rule's `team_role` in a team membership active on `today` on
  the contact's account or one of its parent accounts (a group's team covers its subsidiaries; a subsidiary's team
  does not cover the group or a sister subsidiary), and `relationship_now` ≥ `min_strength`.

Each result carries `contacts`, the people concerned: for a passing rule, those who satisfy it (has_attitude,
role_covered_by; none for role_owned); for a failing rule, those to act on (role_owned: the contacts without an
active owner; role_covered_by: the contacts in the buying role, none of them covered well enough; has_attitude:
none, nobody has the attitude).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from kam.accounts.models import Account, AccountTeamMember
from kam.stakeholders.choices import Attitude, BuyingRole, CoverageRuleKind, Influence, Level, Strength
from kam.stakeholders.models import Contact, CoverageRule
from kam.stakeholders.services import group_of


@dataclass
class RuleResult:
    rule: CoverageRule
    passed: bool
    message: str
    contacts: list = field(default_factory=list)


@dataclass
class CoverageReport:
    group: Account
    segment: str  # blank: the customer has no segment
    results: list[RuleResult] = field(default_factory=list)

    @property
    def gaps(self) -> list[RuleResult]:
        return [result for result in self.results if not result.passed]

    @property
    def covered(self) -> bool:
        return not self.gaps


def customer_of(account: Account) -> Account:
    """The account's customer: its top-level account (itself when it is one)."""
    if account.parent_id is None:
        return account
    return Account.objects.get(pk=group_of(account))


def customer_segment(group: Account) -> str:
    """The customer's segment in the latest finished selection run; blank when it has none."""
    from kam.teams.analysis import latest_segments

    return latest_segments([group.pk])[1].get(group.pk, "")


def applicable_rules(segment: str) -> list[CoverageRule]:
    """The active coverage rules for a customer of `segment` (blank: the customer has no segment)."""
    segments = Q(segment="") | Q(segment=segment) if segment else Q(segment="")
    return list(CoverageRule.objects.filter(segments, is_active=True).order_by("segment", "name", "pk"))


def current_contacts(group: Account) -> list[Contact]:
    """The customer's people who have not left, with their account and relationship owner."""
    return list(
        Contact.objects.filter(account__in=group.subtree(), left_on__isnull=True).select_related(
            "account", "relationship_owner"
        )
    )


def _label(choices, value: str, plural: bool = False) -> str:
    text = choices(value).label.lower() if value else ""
    return text + "s" if plural and text else text


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _names(contacts) -> str:
    return ", ".join(contact.name for contact in contacts)


def _active_owner(contact: Contact) -> bool:
    owner = contact.relationship_owner
    return owner is not None and owner.is_active


def _roles_by_account(group: Account, today: dt.date) -> dict:
    """{account id: {user id: {team roles}}} of the team memberships active on `today` in the customer."""
    held = defaultdict(lambda: defaultdict(set))
    members = AccountTeamMember.objects.filter(
        AccountTeamMember.active_q(today), account__in=group.subtree()
    ).values_list("account_id", "user_id", "team_role")
    for account_id, user_id, team_role in members:
        held[account_id][user_id].add(team_role)
    return held


def _holds(held: dict, contact: Contact, user_id: int, team_role: str) -> bool:
    """Whether the user holds `team_role` on the contact's account or one of its parents (tree_path lists them)."""
    account_ids = [int(part) for part in contact.account.tree_path.strip("/").split("/") if part]
    return any(team_role in held.get(account_id, {}).get(user_id, ()) for account_id in account_ids)


def _check(rule: CoverageRule, contacts: list[Contact], held: dict) -> RuleResult:
    in_role = [c for c in contacts if not rule.buying_role or c.buying_role == rule.buying_role]
    who = _label(BuyingRole, rule.buying_role) or "contact"
    whom = _label(BuyingRole, rule.buying_role, plural=True) or "contacts"
    if rule.kind == CoverageRuleKind.HAS_ATTITUDE:
        having = [c for c in contacts if not rule.attitude or c.attitude == rule.attitude]
        what = _label(Attitude, rule.attitude) or "contact"
        if having:
            return RuleResult(rule, True, f"{what.capitalize()}: {_names(having)}.", having)
        return RuleResult(rule, False, f"No {what} among the customer's current contacts.")
    if rule.kind == CoverageRuleKind.ROLE_OWNED:
        unowned = [c for c in in_role if not _active_owner(c)]
        if not in_role:
            return RuleResult(rule, True, f"No {who} on the map: nobody to own.")
        if not unowned:
            return RuleResult(rule, True, f"Every {who} has a relationship owner.")
        return RuleResult(
            rule, False, f"{len(unowned)} of {len(in_role)} {whom} have no active relationship owner: "
            f"{_names(unowned)}.", unowned
        )  # fmt: skip
    if rule.kind == CoverageRuleKind.ROLE_COVERED_BY:
        from kam.teams.roles import role_name

        team_role = role_name(rule.team_role).lower() if rule.team_role else "team member"
        covering = [
            c
            for c in in_role
            if _active_owner(c)
            and (not rule.team_role or _holds(held, c, c.relationship_owner_id, rule.team_role))
            and c.relationship_now >= rule.min_strength
        ]
        strength = f" (at least {Strength(rule.min_strength).label})" if rule.min_strength > Strength.NONE else ""
        if covering:
            pairs = "; ".join(
                f"{c.relationship_owner} with {c.name} ({Strength(c.relationship_now).label})" for c in covering
            )
            message = f"{_a(team_role).capitalize()} holds a relationship with {_a(who)}: {pairs}."
            return RuleResult(rule, True, message, covering)
        return RuleResult(rule, False, f"No {team_role} holds a relationship with {_a(who)}{strength}.", in_role)
    return RuleResult(rule, False, f"Unknown kind of coverage rule: {rule.kind}.")


def evaluate_coverage(account: Account, *, today: dt.date | None = None) -> CoverageReport:
    """The applicable coverage rules checked on the account's customer (see the module docstring), in the order
    segment, name. `today` (default: today) decides which team memberships are active."""
    today = today or timezone.localdate()
    group = customer_of(account)
    segment = customer_segment(group)
    report = CoverageReport(group=group, segment=segment)
    rules = applicable_rules(segment)
    if not rules:
        return report
    contacts = current_contacts(group)
    held = _roles_by_account(group, today)
    report.results = [_check(rule, contacts, held) for rule in rules]
    return report


# The matrix ---------------------------------------------------------------------------------------------------------


def is_key_person(contact: Contact) -> bool:
    """A key person of the customer: someone in a buying role, or of high influence, or an executive."""
    return bool(contact.buying_role) or contact.influence == Influence.HIGH or contact.level == Level.EXECUTIVE


@dataclass
class MatrixCell:
    now: int
    desired: int

    @property
    def now_label(self) -> str:
        return Strength(self.now).label

    @property
    def desired_label(self) -> str:
        return Strength(self.desired).label


@dataclass
class MatrixRow:
    user: object
    roles: list[str]  # the team roles they hold on the customer's accounts, sorted; empty: not on the team
    cells: list  # one per key person, in `CoverageMatrix.people` order: a MatrixCell where they own it, else None


@dataclass
class CoverageMatrix:
    group: Account
    people: list[Contact]
    rows: list[MatrixRow]
    gaps: dict  # {contact id: desired − now}; negative: stronger than wanted


def coverage_matrix(account: Account, *, today: dt.date | None = None) -> CoverageMatrix:
    """Our team × their key people, for the account's customer.

    Rows: the active users with a team membership active on `today` on the customer's group or a subsidiary (one row
    per person, with every role they hold there), ordered by name; then, so that no relationship is hidden, the
    active owners of a key person who are not on the team (roles empty). Columns: the current contacts who are key
    people (`is_key_person`), in map order (last name, first name). A cell holds the contact's relationship now and
    wanted when that row's person owns the relationship, else None; each contact is owned by at most one person, so
    a column has at most one cell. `gaps` is desired − now per key person, whoever owns them."""
    today = today or timezone.localdate()
    group = customer_of(account)
    people = [contact for contact in current_contacts(group) if is_key_person(contact)]
    roles = defaultdict(set)
    users = {}
    members = AccountTeamMember.objects.filter(
        AccountTeamMember.active_q(today), account__in=group.subtree(), user__is_active=True
    ).select_related("user")
    for member in members:
        roles[member.user_id].add(member.team_role)
        users[member.user_id] = member.user
    on_team = sorted(users.values(), key=lambda user: (str(user), user.pk))
    outside = {c.relationship_owner_id: c.relationship_owner for c in people if _active_owner(c)}
    outside = sorted((u for pk, u in outside.items() if pk not in users), key=lambda user: (str(user), user.pk))
    rows = [
        MatrixRow(
            user=user,
            roles=sorted(roles.get(user.pk, ())),
            cells=[
                MatrixCell(c.relationship_now, c.relationship_desired) if c.relationship_owner_id == user.pk else None
                for c in people
            ],
        )
        for user in on_team + outside
    ]
    gaps = {c.pk: c.relationship_desired - c.relationship_now for c in people}
    return CoverageMatrix(group=group, people=people, rows=rows, gaps=gaps)
