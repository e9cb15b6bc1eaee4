"""kam.plans.services: one plan per key account, row edits with optimistic concurrency and one audit entry per write,
the draft → in review → approved → superseded workflow, frozen versions and next year's clone."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kam.audit.services import changes_for
from kam.plans import services
from kam.plans.models import AccountPlan, Action, KPITarget, Objective, PlanKPI, PlanVersion, Risk
from kam.plans.services import StaleObject
from tests.plans.conftest import YEAR, add, fill


def approved(version, user, approver):
    services.submit(version, user)
    return services.approve(version, approver)


# Creating a plan --------------------------------------------------------------------------------------------------


def test_a_plan_starts_with_a_draft_for_its_start_year(plan, key_account, users):
    version = plan.versions.get()
    assert (plan.account, plan.start_year, plan.horizon_years, plan.end_year) == (key_account, YEAR, 3, YEAR + 2)
    assert (version.year, version.number, version.status, version.created_by) == (YEAR, 1, "draft", users.kam)
    assert plan.title == "Own Group account plan" and version.account_id == key_account.pk
    assert [c.action for c in changes_for(plan)] == ["create"] and changes_for(version).count() == 1


def test_only_key_accounts_have_a_plan_and_only_one(plan, key_account, portfolio, users):
    with pytest.raises(ValidationError) as error:
        services.create_plan(key_account, users.kam, YEAR)
    assert "account" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.create_plan(portfolio.other, users.lead, YEAR)
    assert "not a key account" in error.value.message_dict["account"][0]
    assert AccountPlan.objects.count() == 1


@pytest.mark.parametrize("horizon", [2, 6])
def test_the_horizon_is_3_to_5_years(key_account, users, horizon):
    with pytest.raises(ValidationError) as error:
        services.create_plan(key_account, users.kam, YEAR, horizon_years=horizon)
    assert "horizon_years" in error.value.message_dict
    assert not AccountPlan.objects.exists()


# Editing ----------------------------------------------------------------------------------------------------------


def test_rows_are_added_changed_and_deleted_with_one_audit_entry_per_write(draft, users):
    rows = fill(draft, users.kam)
    objective = rows["ours"]
    assert objective.account_id == draft.account_id and objective.plan_version == draft
    assert changes_for(objective).count() == 1
    changed = services.save_item(
        draft, "objective", {"title": "Sole supplier by 2028"}, users.kam, item=objective, expected_version=1
    )
    assert changed.title == "Sole supplier by 2028" and changed.version == 2
    assert [c.action for c in changes_for(objective).order_by("pk")] == ["create", "update"]
    update = changes_for(objective).get(action="update")
    assert [field for field, _, _ in update.changed_fields] == ["title"]
    # Deleting an objective deletes its KPIs and their targets, each with its own audit entry.
    kpi, target = rows["kpi"], rows["target"]
    services.delete_item(draft, objective, users.kam, expected_version=2)
    assert not Objective.objects.filter(pk=objective.pk).exists()
    assert not PlanKPI.objects.filter(pk=kpi.pk).exists() and not KPITarget.objects.filter(pk=target.pk).exists()
    for row in (objective, kpi, target):
        assert changes_for(row).filter(action="delete").count() == 1
    # The action that served the objective stays, unlinked.
    assert Action.objects.get(pk=rows["action"].pk).objective is None


def test_the_text_sections_are_edited_with_one_audit_entry(draft, users):
    version = services.update_version(draft, {"situation": " Growing in Asia ", "competitors": "ACME"}, users.kam, 1)
    assert (version.situation, version.competitors, version.version) == ("Growing in Asia", "ACME", 2)
    assert changes_for(draft).count() == 2
    with pytest.raises(ValidationError) as error:
        services.update_version(version, {"nonsense": "x"}, users.kam)
    assert "sections" in error.value.message_dict


def test_a_stale_edit_is_refused_and_the_first_edit_survives(draft, users):
    risk = add(draft, "risk", users.kam, title="Price war", category="competitive", likelihood=2, impact=3)
    read = risk.version
    services.save_item(draft, "risk", {"mitigation": "First writer"}, users.kam, item=risk, expected_version=read)
    with pytest.raises(StaleObject):
        services.save_item(draft, "risk", {"mitigation": "Second writer"}, users.lead, item=risk, expected_version=read)
    with pytest.raises(StaleObject):
        services.delete_item(draft, risk, users.lead, expected_version=read)
    risk.refresh_from_db()
    assert risk.mitigation == "First writer" and risk.version == read + 1
    assert changes_for(risk).count() == 2


def test_a_stale_text_edit_is_refused(draft, users):
    services.update_version(draft, {"situation": "First"}, users.kam, expected_version=1)
    with pytest.raises(StaleObject):
        services.update_version(draft, {"situation": "Second"}, users.lead, expected_version=1)
    draft.refresh_from_db()
    assert draft.situation == "First"


def test_rows_are_checked_field_by_field(draft, users, portfolio):
    with pytest.raises(ValidationError) as error:
        add(draft, "risk", users.kam, title="", category="weather", likelihood=6, impact=0)
    assert set(error.value.message_dict) >= {"title", "category", "likelihood", "impact"}
    with pytest.raises(ValidationError) as error:
        add(draft, "opportunity", users.kam, title="x", kind="upsell", value=Decimal("1"), probability=101)
    assert "probability" in error.value.message_dict
    objective = add(draft, "objective", users.kam, title="Grow")
    with pytest.raises(ValidationError) as error:
        add(draft, "kpi", users.kam, objective=objective, metric="Share", source="computed")
    assert "computed_metric" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        add(draft, "kpi", users.kam, objective=objective, metric="NPS", source="entered", computed_metric="growth_yoy")
    assert "computed_metric" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        add(draft, "action", users.kam, title="Call", colour="red")
    assert "colour" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.save_item(draft, "meeting", {}, users.kam)
    assert "kind" in error.value.message_dict
    kpi = add(draft, "kpi", users.kam, objective=objective, metric="NPS")
    add(draft, "target", users.kam, kpi=kpi, period=YEAR, target=Decimal("40"))
    with pytest.raises(ValidationError):  # one target per period
        add(draft, "target", users.kam, kpi=kpi, period=YEAR, target=Decimal("50"))
    assert Risk.objects.count() == 0 and KPITarget.objects.count() == 1


def test_links_must_stay_inside_the_version(draft, users, key_account):
    other_plan = services.create_plan(_second_key_account(), users.lead, YEAR)
    foreign = add(other_plan.versions.get(), "objective", users.lead, title="Theirs")
    with pytest.raises(ValidationError) as error:
        add(draft, "objective", users.kam, title="Ours", linked_objective=foreign)
    assert "linked_objective" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        add(draft, "kpi", users.kam, objective=foreign.pk, metric="NPS")
    assert "objective" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.save_item(draft, "objective", {"title": "x"}, users.kam, item=foreign)
    assert "version" in error.value.message_dict


def _second_key_account():
    from tests import factories

    return factories.make_account("Second Key", account_number="KEY-2", is_key_account=True)


# Workflow ---------------------------------------------------------------------------------------------------------


def test_submit_approve_freezes_and_records_the_approver(draft, users, leader):
    fill(draft, users.kam)
    services.submit(draft, users.kam)
    version = services.approve(draft, leader)
    assert (version.status, version.approved_by) == ("approved", leader) and version.approved_at is not None
    assert [c.action for c in changes_for(draft).order_by("pk")] == ["create", "update", "update"]


@pytest.mark.parametrize("who", ["lead", "admin", "leader"])
def test_the_team_leader_the_programme_lead_and_administrators_approve(draft, users, leader, who):
    approver = leader if who == "leader" else getattr(users, who)
    assert approved(draft, users.kam, approver).status == "approved"


@pytest.mark.parametrize("who", ["kam", "sponsor", "viewer", "other_leader"])
def test_nobody_else_approves(draft, users, portfolio, who):
    from kam.accounts.choices import TeamRole
    from kam.core.roles import Role
    from tests import factories

    if who == "other_leader":  # a team leader, but of another account
        approver = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "other-leader@example.com")
        factories.add_member(portfolio.other, approver, TeamRole.TEAM_LEADER)
    else:
        approver = getattr(users, who)
    services.submit(draft, users.kam)
    with pytest.raises(PermissionDenied):
        services.approve(draft, approver)
    with pytest.raises(PermissionDenied):
        services.return_to_draft(draft, approver, "No")
    draft.refresh_from_db()
    assert draft.status == "in_review"


def test_the_workflow_moves_only_forward_from_the_right_status(draft, users):
    with pytest.raises(ValidationError):
        services.approve(draft, users.lead)  # still a draft
    services.submit(draft, users.kam)
    with pytest.raises(ValidationError):
        services.submit(draft, users.kam)
    with pytest.raises(ValidationError) as error:
        services.return_to_draft(draft, users.lead, "  ")
    assert "note" in error.value.message_dict
    version = services.return_to_draft(draft, users.lead, "Add a KPI for the client goal.")
    assert (version.status, version.review_note) == ("draft", "Add a KPI for the client goal.")
    with pytest.raises(StaleObject):
        services.submit(draft, users.kam, expected_version=1)


def test_an_approved_version_is_frozen_everywhere(draft, users):
    rows = fill(draft, users.kam)
    approved(draft, users.kam, users.lead)
    with pytest.raises(ValidationError) as error:
        services.save_item(draft, "risk", {"mitigation": "Later"}, users.kam, item=rows["risk"])
    assert "version" in error.value.message_dict
    with pytest.raises(ValidationError):
        add(draft, "objective", users.kam, title="New")
    with pytest.raises(ValidationError):
        services.delete_item(draft, rows["action"], users.kam)
    with pytest.raises(ValidationError):
        services.update_version(draft, {"situation": "Later"}, users.kam)
    # The models refuse it too, whatever writes them.
    for row in rows.values():
        fresh = type(row).objects.get(pk=row.pk)
        with pytest.raises(ValidationError):
            fresh.save()
        with pytest.raises(ValidationError):
            fresh.delete()
    with pytest.raises(ValidationError):
        Risk(plan_version=draft, title="Sneaky", category="financial", likelihood=1, impact=1).save()
    version = PlanVersion.objects.get(pk=draft.pk)
    version.situation = "Rewritten"
    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(ValidationError):
        PlanVersion.objects.get(pk=draft.pk).delete()
    # A review of the approved plan is still recorded.
    assert services.record_review(draft, users.kam).reviewed_at is not None


# Next year --------------------------------------------------------------------------------------------------------


def test_next_year_is_a_clone_with_links_remapped_and_lineage_kept(draft, users):
    rows = fill(draft, users.kam)
    services.update_version(draft, {"situation": "2026 situation", "value_proposition": "Speed"}, users.kam)
    first = approved(draft, users.kam, users.lead)
    second = services.start_next_year(first.plan, users.kam)
    with pytest.raises(ValidationError) as error:  # one version being written at a time
        services.start_next_year(first.plan, users.kam)
    assert "plan" in error.value.message_dict
    assert (second.year, second.status, second.situation, second.value_proposition) == (
        YEAR + 1,
        "draft",
        "2026 situation",
        "Speed",
    )
    first.refresh_from_db()
    assert first.status == "approved"  # until the new one is approved
    copies = {kind: model.objects.filter(plan_version=second) for kind, model in services.ITEM_KINDS.items()}
    assert {kind: qs.count() for kind, qs in copies.items()} == {
        "objective": 2,
        "kpi": 1,
        "target": 1,
        "action": 1,
        "risk": 1,
        "opportunity": 1,
        "tco": 1,
    }
    goal, ours = (copies["objective"].get(lineage=rows[name].lineage) for name in ("goal", "ours"))
    kpi = copies["kpi"].get()
    assert goal.pk != rows["goal"].pk and ours.linked_objective == goal
    assert kpi.objective == ours and kpi.lineage == rows["kpi"].lineage and kpi.computed_metric == "revenue_t12m"
    assert copies["target"].get().kpi == kpi and copies["target"].get().target == Decimal("150")
    assert copies["action"].get().objective == ours and copies["action"].get().owner == users.kam
    assert all(row.account_id == draft.account_id for qs in copies.values() for row in qs)
    # The original rows are untouched.
    assert Objective.objects.get(pk=rows["ours"].pk).linked_objective_id == rows["goal"].pk
    # Approving the new version supersedes the old one.
    approved(second, users.kam, users.lead)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "approved")


def test_next_year_needs_an_approved_version_and_stays_inside_the_horizon(plan, draft, users):
    with pytest.raises(ValidationError) as error:
        services.start_next_year(plan, users.kam)
    assert "plan" in error.value.message_dict
    version = approved(draft, users.kam, users.lead)
    for _ in range(2):  # 2027 and 2028: the horizon is three years
        version = approved(services.start_next_year(plan, users.kam), users.kam, users.lead)
    assert version.year == YEAR + 2
    with pytest.raises(ValidationError) as error:
        services.start_next_year(plan, users.kam)
    assert "year" in error.value.message_dict
    assert list(plan.versions.order_by("number").values_list("status", flat=True)) == [
        "superseded",
        "superseded",
        "approved",
    ]


def test_record_review_is_for_the_approved_version(draft, users):
    with pytest.raises(ValidationError):
        services.record_review(draft, users.kam)


def test_our_goals_are_evaluated_after_approval_and_nothing_else_changes(draft, users):
    rows = fill(draft, users.kam)
    approved(draft, users.kam, users.lead)
    ours = Objective.objects.get(pk=rows["ours"].pk)
    services.evaluate_objective(ours, True, users.kam, expected_version=ours.version)
    assert Objective.objects.get(pk=ours.pk).achieved is True
    with pytest.raises(StaleObject):  # the row moved on: a second evaluation from the same read is refused
        services.evaluate_objective(ours, False, users.kam, expected_version=ours.version)
    with pytest.raises(ValidationError) as error:
        services.evaluate_objective(rows["goal"], True, users.kam)  # the client's goal
    assert "achieved" in error.value.message_dict
    fresh = Objective.objects.get(pk=ours.pk)
    fresh.title = "Renamed after approval"
    with pytest.raises(ValidationError):  # the version stays frozen for everything else
        fresh.save()
    fresh = Objective.objects.get(pk=ours.pk)
    fresh.title, fresh.achieved = "Renamed after approval", False
    with pytest.raises(ValidationError):
        fresh.save()
