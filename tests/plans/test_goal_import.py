"""goals.csv (DEFINITIONS §11): our goals into the plan version of their year, evaluations after approval, atomic
with row/column/reason reports, and §8 goal achievement from what was imported."""

from decimal import Decimal

from kam.accounts.importers import run_import
from kam.plans import services
from kam.plans.models import Objective, PlanVersion
from kam.plans.summaries import goal_achievement
from tests.plans.conftest import YEAR

HEADER = "goal_id,account_number,year,goal,achieved\n"


def _import(text, apply=True):
    return run_import("goals", (HEADER + text).encode(), "goals.csv", apply=apply)


def test_goals_go_into_the_version_of_their_year_and_give_goal_achievement(draft, users):
    data = (
        f"G-1,OWN-1,{YEAR},Grow revenue by 8 %,true\n"
        f'G-2,OWN-1,{YEAR},"Win the spare parts, all plants",false\n'
        f"G-3,OWN-1,{YEAR},Train the service staff,\n"
        f"G-4,OWN-1,{YEAR},Renew the framework,TRUE\n"
    )
    check = _import(data, apply=False)
    assert check.ok and check.summary()["created"] == 4 and not Objective.objects.exists()  # a check writes nothing
    report = _import(data)
    assert report.ok, report.errors
    goals = {o.external_id: o for o in Objective.objects.filter(plan_version=draft)}
    assert goals["G-2"].title == "Win the spare parts, all plants" and goals["G-2"].side == "ours"
    assert [goals[g].achieved for g in ("G-1", "G-2", "G-3", "G-4")] == [True, False, None, True]
    # §8: 2 achieved of 3 evaluated (G-3 is blank: left out) = 66.666667 %.
    assert goal_achievement(goals.values()) == (2, 3, Decimal("66.666667"))
    assert _import(data).summary()["unchanged"] == 4  # idempotent


def test_an_approved_plan_takes_evaluations_but_not_new_or_rewritten_goals(draft, users):
    assert _import(f"G-1,OWN-1,{YEAR},Grow revenue by 8 %,\nG-2,OWN-1,{YEAR},Win spare parts,\n").ok
    services.submit(draft, users.kam)
    services.approve(draft, users.lead)
    report = _import(f"G-1,OWN-1,{YEAR},Grow revenue by 8 %,true\n")
    assert report.ok and report.summary()["updated"] == 1
    assert Objective.objects.get(external_id="G-1").achieved is True
    report = _import(
        f"G-1,OWN-1,{YEAR},Grow revenue by 8 %,false\nG-2,OWN-1,{YEAR},Win all spare parts,\nG-9,OWN-1,{YEAR},New,\n"
    )
    assert not report.ok
    reasons = {(e["row"], e["column"]): e["reason"] for e in report.errors}
    assert "is approved: its goal reads “Win spare parts” there and cannot change" in reasons[(3, "goal")]
    assert "is approved: new goals cannot be added to it" in reasons[(4, "goal_id")]
    # Atomic: the valid row 2 was not applied either.
    assert Objective.objects.get(external_id="G-1").achieved is True


def test_bad_rows_are_reported_by_row_column_and_reason(draft, users, portfolio):
    report = _import(
        f"G-1,OWN-1,{YEAR},Fine,maybe\n"  # not true/false
        f"G-2,NOPE,{YEAR},Who,\n"  # unknown account
        f"G-3,OWN-1,1999,Too early,\n"  # no version that year
        f"G-4,OTH-1,{YEAR},No plan,\n"  # the other account has no plan
        f"G-1,OWN-1,{YEAR},Again,\n"  # duplicate id
        f"G-6,OWN-1,abc,Year?,\n"  # not a year
        f",OWN-1,{YEAR},No id,\n"
    )
    errors = {(e["row"], e["column"]): e["reason"] for e in report.errors}
    assert "not true, false or blank" in errors[(2, "achieved")]
    assert errors[(3, "account_number")] == "no account with this account number in KAM"
    assert f"no version for 1999 (its years: {YEAR})" in errors[(4, "year")]
    assert "has no plan: start it on its Account plan tab first" in errors[(5, "year")]
    assert "duplicate: goal G-1 is already on row 2" in errors[(6, "goal_id")]
    assert "is not a year" in errors[(7, "year")]
    assert errors[(8, "goal_id")] == "a value is required here"
    assert not Objective.objects.exists()


def test_next_years_copy_keeps_the_goal_id_so_each_year_is_its_own(draft, users):
    assert _import(f"G-1,OWN-1,{YEAR},Grow revenue,true\n").ok
    services.submit(draft, users.kam)
    services.approve(draft, users.lead)
    new = services.start_next_year(draft.plan, users.kam)
    assert Objective.objects.get(plan_version=new).external_id == "G-1"
    report = _import(f"G-1,OWN-1,{YEAR + 1},Grow revenue,false\n")
    assert report.ok and report.summary()["updated"] == 1
    by_year = dict(Objective.objects.values_list("plan_version__year", "achieved"))
    assert by_year == {YEAR: True, YEAR + 1: False}
    assert PlanVersion.objects.get(pk=new.pk).status == "draft"
