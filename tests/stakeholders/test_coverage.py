"""Coverage rules and the coverage matrix, against a hand-computed fixture customer (the own group and its
subsidiary) and the default rules of migration stakeholders.0002."""

import datetime as dt

import pytest
from django.utils import timezone

from kam.accounts.choices import TeamRole
from kam.core.roles import Role
from kam.stakeholders import services
from kam.stakeholders.choices import Strength
from kam.stakeholders.coverage import coverage_matrix, evaluate_coverage
from kam.stakeholders.models import CoverageRule
from tests import factories
from tests.stakeholders.segments import segment_accounts

DEFAULT_RULES = ["A champion", "Every decision maker owned", "Executive sponsor with the economic buyer"]


@pytest.fixture
def team(portfolio, users):
    """The own group's team from the portfolio (KAM, executive sponsor, support = viewer) plus a solution specialist
    on the group, an executive sponsor of the subsidiary only, and a deactivated user on no team."""
    specialist = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "specialist@example.com")
    sub_sponsor = factories.make_user(Role.EXECUTIVE_SPONSOR, "sub-sponsor@example.com")
    gone = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "gone@example.com")
    factories.add_member(portfolio.own, specialist, "solution_specialist")
    factories.add_member(portfolio.own_child, sub_sponsor, TeamRole.EXECUTIVE_SPONSOR)
    return specialist, sub_sponsor, gone


@pytest.fixture
def customer(portfolio, users, team, person):
    """Eight people over the group (own) and its subsidiary (child):

    name (account)   buying role      attitude   owner        now         wanted   other
    Ada Boss (own)   economic buyer   supporter  sponsor      Trusted     Advisor  executive
    Ben Buyer (ch)   economic buyer   neutral    specialist   Advisor     Acquainted
    Cleo Chief (own) decision maker   champion   kam          Acquainted  Trusted
    Dan Deputy (ch)  decision maker   neutral    gone (inactive) None     Acquainted
    Eve Engineer(ch) technical buyer  neutral    lead (no team) None      Acquainted  influence high
    Fay Former (own) decision maker   champion   —            None        Acquainted  left
    Gus Gate (ch)    —                neutral    viewer       Aware       Acquainted  influence low, operational
    Hal Exec (ch)    —                neutral    sub_sponsor  Aware       Acquainted  executive
    """
    specialist, sub_sponsor, gone = team
    own, child = portfolio.own, portfolio.own_child
    people = {
        "ada": person(own, "Boss", "Ada", buying_role="economic_buyer", attitude="supporter", level="executive",
                      relationship_owner=users.sponsor, relationship_now=3, relationship_desired=4),
        "ben": person(child, "Buyer", "Ben", buying_role="economic_buyer", relationship_owner=specialist,
                      relationship_now=4),
        "cleo": person(own, "Chief", "Cleo", buying_role="decision_maker", attitude="champion",
                       relationship_owner=users.kam, relationship_now=2, relationship_desired=3),
        "dan": person(child, "Deputy", "Dan", buying_role="decision_maker", relationship_owner=gone),
        "eve": person(child, "Engineer", "Eve", buying_role="technical_buyer", influence="high",
                      relationship_owner=users.lead),
        "fay": person(own, "Former", "Fay", buying_role="decision_maker", attitude="champion"),
        "gus": person(child, "Gate", "Gus", influence="low", relationship_owner=users.viewer, relationship_now=1),
        "hal": person(child, "Exec", "Hal", level="executive", relationship_owner=sub_sponsor, relationship_now=1),
    }  # fmt: skip
    services.mark_left(people["fay"], timezone.localdate(), users.kam)
    gone.is_active = False
    gone.save()
    return people


def change(contact, users, **data):
    return services.save_contact(contact.account, data, users.kam, contact=contact)


def outcome(report):
    return [(r.rule.name, r.passed, r.message, sorted(c.last_name for c in r.contacts)) for r in report.results]


def test_the_default_rules_on_the_fixture(portfolio, customer):
    report = evaluate_coverage(portfolio.own_child)  # any account of the customer: the whole group is checked
    assert report.group == portfolio.own and report.segment == ""
    assert outcome(report) == [
        ("A champion", True, "Champion: Cleo Chief.", ["Chief"]),  # Fay, the other champion, left
        # Fay (no owner) left and is not counted; Dan's owner is deactivated; Cleo is owned.
        ("Every decision maker owned", False,
         "1 of 2 decision makers have no active relationship owner: Dan Deputy.", ["Deputy"]),
        # Ben's owner is a solution specialist (not an executive sponsor), however strong: only Ada counts.
        ("Executive sponsor with the economic buyer", True,
         "An executive sponsor holds a relationship with an economic buyer: sponsor@example.com with Ada Boss "
         "(Trusted).", ["Boss"]),
    ]  # fmt: skip
    assert [r.rule.name for r in report.gaps] == ["Every decision maker owned"] and not report.covered


def test_the_only_champion_leaving_opens_a_gap(portfolio, users, customer):
    change(customer["cleo"], users, attitude="supporter")  # Fay, who left, is the only champion left on the map
    first = evaluate_coverage(portfolio.own).results[0]
    assert (first.passed, first.message, first.contacts) == (
        False, "No champion among the customer's current contacts.", []
    )  # fmt: skip


def test_every_decision_maker_owned_passes_without_decision_makers(portfolio, users, customer):
    change(customer["dan"], users, relationship_owner=users.kam)
    assert evaluate_coverage(portfolio.own).results[1].passed
    for name in ("cleo", "dan"):
        change(customer[name], users, buying_role="user")
    owned = evaluate_coverage(portfolio.own).results[1]
    assert (owned.passed, owned.message) == (True, "No decision maker on the map: nobody to own.")


def test_an_owner_without_the_team_role_does_not_cover(portfolio, users, customer, team):
    specialist, sub_sponsor, _ = team
    # Ada below the minimum (Aware < Acquainted): nobody covers; Ben is Advisor but owned by a specialist.
    change(customer["ada"], users, relationship_now=Strength.AWARE)
    sponsor = evaluate_coverage(portfolio.own).results[2]
    assert (sponsor.passed, sponsor.message) == (
        False, "No executive sponsor holds a relationship with an economic buyer (at least Acquainted)."
    )  # fmt: skip
    assert sorted(c.last_name for c in sponsor.contacts) == ["Boss", "Buyer"]  # the economic buyers to work on
    # Exactly the minimum passes.
    change(customer["ada"], users, relationship_now=Strength.ACQUAINTED)
    assert evaluate_coverage(portfolio.own).results[2].passed
    change(customer["ada"], users, relationship_now=Strength.AWARE)
    # The subsidiary's executive sponsor covers a contact of the subsidiary (Ben) …
    change(customer["ben"], users, relationship_owner=sub_sponsor)
    covered = evaluate_coverage(portfolio.own).results[2]
    assert covered.passed and [c.last_name for c in covered.contacts] == ["Buyer"]
    # … but not one of the group: Ben moves to the group account, still owned by the subsidiary's sponsor.
    change(customer["ben"], users, account=portfolio.own)
    assert not evaluate_coverage(portfolio.own).results[2].passed


def test_only_memberships_active_on_the_day_count(portfolio, customer):
    today = timezone.localdate()
    assert evaluate_coverage(portfolio.own, today=today).results[2].passed
    # The day before the team was staffed, the sponsor did not hold the role yet.
    assert not evaluate_coverage(portfolio.own, today=today - dt.timedelta(days=1)).results[2].passed


def test_segment_rules_apply_to_their_segment_only(portfolio, customer):
    CoverageRule.objects.create(
        name="Specialist with the technical buyer", kind="role_covered_by", segment="strategic",
        buying_role="technical_buyer", team_role="solution_specialist", min_strength=Strength.TRUSTED,
    )  # fmt: skip
    CoverageRule.objects.create(name="Inactive", kind="has_attitude", attitude="blocker", is_active=False)
    names = lambda report: [r.rule.name for r in report.results]  # noqa: E731
    assert names(evaluate_coverage(portfolio.own)) == DEFAULT_RULES  # no segment: the blank-segment rules only
    segment_accounts({portfolio.own: "develop"})
    assert names(evaluate_coverage(portfolio.own)) == DEFAULT_RULES
    segment_accounts({portfolio.own: "strategic"})  # the latest finished run decides
    report = evaluate_coverage(portfolio.own)
    assert report.segment == "strategic" and names(report) == DEFAULT_RULES + ["Specialist with the technical buyer"]
    last = report.results[-1]
    assert (last.passed, last.message, [c.last_name for c in last.contacts]) == (
        False, "No solution specialist holds a relationship with a technical buyer (at least Trusted).", ["Engineer"]
    )  # fmt: skip


def test_no_applicable_rules_means_covered(portfolio, customer):
    CoverageRule.objects.update(is_active=False)
    report = evaluate_coverage(portfolio.own)
    assert report.results == [] and report.covered


def test_the_matrix(portfolio, users, customer, team):
    specialist, sub_sponsor, _ = team
    matrix = coverage_matrix(portfolio.own_child)
    # Key people: a buying role, high influence or executive; not Gus (none of these), not Fay (left).
    assert [c.last_name for c in matrix.people] == ["Boss", "Buyer", "Chief", "Deputy", "Engineer", "Exec"]
    cells = {str(row.user): (row.roles, [(c.now, c.desired) if c else None for c in row.cells]) for row in matrix.rows}
    assert list(cells) == [
        "kam@example.com", "specialist@example.com", "sponsor@example.com", "sub-sponsor@example.com",
        "viewer@example.com", "lead@example.com",  # the team by name, then the owner outside the team
    ]  # fmt: skip
    N = None
    assert cells == {
        "kam@example.com": (["key_account_manager"], [N, N, (2, 3), N, N, N]),
        "specialist@example.com": (["solution_specialist"], [N, (4, 2), N, N, N, N]),
        "sponsor@example.com": (["executive_sponsor"], [(3, 4), N, N, N, N, N]),
        "sub-sponsor@example.com": (["executive_sponsor"], [N, N, N, N, N, (1, 2)]),
        "viewer@example.com": (["support"], [N] * 6),  # owns Gus only, who is not a key person
        "lead@example.com": ([], [N, N, N, N, (0, 2), N]),
    }
    # Dan's owner is deactivated: no row shows him. Gaps = wanted − now; Ben is stronger than wanted.
    gaps = {c.last_name: matrix.gaps[c.pk] for c in matrix.people}
    assert gaps == {"Boss": 1, "Buyer": -2, "Chief": 1, "Deputy": 2, "Engineer": 2, "Exec": 1}
