"""The generated account plans and whitespace (kam/plans/generate.py): one plan per key account, versions as the
workflow leaves them (frozen ones approved, version 2 a clone of version 1 with its lineage and remapped links),
content the services accept and the diff, the quality score and the computed KPIs work on; deterministic for a seed."""

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from kam.accounts.choices import TeamRole
from kam.accounts.models import Account, AccountTeamMember
from kam.audit.models import ObjectChange
from kam.core.generate import generate
from kam.core.roles import Role
from kam.plans import diff, quality, services
from kam.plans.choices import (
    CLOSED_STAGES,
    FROZEN_STATUSES,
    ActionStatus,
    CellStatus,
    KPISource,
    OpportunityStage,
    RiskCategory,
    VersionStatus,
)
from kam.plans.generate import OFFERINGS, STAGE_PROBABILITY, SUBSIDIARY_ROWS
from kam.plans.models import (
    ITEM_KINDS,
    AccountPlan,
    Action,
    KPITarget,
    Objective,
    Offering,
    Opportunity,
    PlanKPI,
    PlanVersion,
    Risk,
    WhitespaceCell,
)
from kam.users.models import User

SCALE = 0.01  # 20 key accounts

pytestmark = pytest.mark.django_db

# Each kind of row's links to other rows of its version.
LINKS = {Objective: ["linked_objective"], PlanKPI: ["objective"], KPITarget: ["kpi"], Action: ["objective"]}


class Undo(Exception):
    pass


def snapshot():
    rows = {
        kind: sorted(
            tuple(str(value) for value in row)
            for row in model._base_manager.values_list(*[f.attname for f in model._meta.concrete_fields])
        )
        for kind, model in ITEM_KINDS.items()
    }
    return {
        "plans": list(AccountPlan.objects.order_by("pk").values_list("account_id", "start_year", "horizon_years")),
        "versions": list(PlanVersion.objects.order_by("pk").values_list("plan_id", "number", "status", "situation")),
        "cells": list(WhitespaceCell.objects.order_by("pk").values_list("account_id", "offering_id", "status")),
        **rows,
    }


def generated_snapshot(seed: int) -> dict:
    """The plans of a tenant generated with `seed`, the database left as it was."""
    try:
        with transaction.atomic():
            generate(scale=SCALE, seed=seed)
            taken = snapshot()
            raise Undo
    except Undo:
        pass
    return taken


def test_the_same_seed_gives_the_same_plans_and_another_seed_others():
    first, other = generated_snapshot(11), generated_snapshot(12)

    generate(scale=SCALE, seed=11)

    assert snapshot() == first
    assert first["risk"] and other["risk"] != first["risk"] and other["versions"] != first["versions"]


def test_every_key_account_has_one_plan_with_versions_as_the_workflow_leaves_them():
    ctx = generate(scale=SCALE)

    keys = set(Account.objects.filter(is_key_account=True).values_list("pk", flat=True))
    plans = list(AccountPlan.objects.select_related("account"))
    assert len(keys) == 20 and {p.account_id for p in plans} == keys and len(plans) == ctx.counts["account plans"]
    year = ctx.as_of.year
    statuses = Counter()
    for plan in plans:
        assert plan.start_year == year - 1 and 3 <= plan.horizon_years <= 5
        versions = list(plan.versions.order_by("number"))
        assert [v.number for v in versions] == list(range(1, len(versions) + 1)) and len(versions) <= 2
        assert [v.year for v in versions] == [year - 1, year][: len(versions)]
        assert all(v.account_id == plan.account_id for v in versions)
        approved = [v for v in versions if v.status == VersionStatus.APPROVED]
        assert len(approved) <= 1
        for v in versions:
            frozen = v.status in FROZEN_STATUSES
            assert (v.approved_at is not None and v.approved_by is not None) == frozen
            assert v.submitted_at is not None or v.status == VersionStatus.DRAFT
            assert v.created_at <= v.updated_at <= ctx.now
        if len(versions) == 2:
            v1, v2 = versions
            expected = VersionStatus.SUPERSEDED if v2.status == VersionStatus.APPROVED else VersionStatus.APPROVED
            assert v1.status == expected and v1.approved_at < v2.created_at
            statuses[v2.status] += 1
        else:
            assert versions[0].status in (VersionStatus.APPROVED, VersionStatus.IN_REVIEW)
    assert set(statuses) == {VersionStatus.DRAFT, VersionStatus.IN_REVIEW, VersionStatus.APPROVED}
    assert PlanVersion.objects.filter(status=VersionStatus.SUPERSEDED).exists()
    # returned drafts say why
    assert all(v.submitted_at for v in PlanVersion.objects.filter(status=VersionStatus.DRAFT).exclude(review_note=""))


def test_frozen_versions_refuse_changes_and_drafts_take_the_services_edits():
    generate(scale=SCALE)

    frozen = PlanVersion.objects.filter(status=VersionStatus.SUPERSEDED).first()
    with pytest.raises(ValidationError):
        services.update_version(frozen, {"situation": "Changed"}, None)
    risk = Risk.objects.filter(plan_version=frozen).first()
    risk.likelihood = 1 if risk.likelihood != 1 else 2
    with pytest.raises(ValidationError):
        risk.save()

    draft = PlanVersion.objects.filter(status=VersionStatus.DRAFT).first()
    kam = User.objects.get(pk=draft.created_by_id)
    services.update_version(draft, {"situation": "New situation"}, kam, expected_version=draft.version)
    action = Action.objects.filter(plan_version=draft).first()
    services.save_item(
        draft, "action", {"status": ActionStatus.DONE}, kam, item=action, expected_version=action.version
    )
    services.submit(PlanVersion.objects.get(pk=draft.pk), kam)
    lead = User.objects.get(role=Role.PROGRAMME_LEAD)
    services.approve(PlanVersion.objects.get(pk=draft.pk), lead)
    assert PlanVersion.objects.get(pk=draft.pk).status == VersionStatus.APPROVED
    assert set(draft.plan.versions.values_list("status", flat=True)) == {
        VersionStatus.APPROVED,
        VersionStatus.SUPERSEDED,
    }


def test_rows_stay_within_their_version_and_the_copies_keep_their_lineage_and_links():
    generate(scale=SCALE)

    versions = {v.pk: v for v in PlanVersion.objects.all()}
    for kind, model in ITEM_KINDS.items():
        rows = list(model._base_manager.all())
        assert rows, kind
        for row in rows:
            assert row.account_id == versions[row.plan_version_id].account_id
            for link in LINKS.get(model, []):
                target = getattr(row, link)
                assert target is None or target.plan_version_id == row.plan_version_id
        by_version = Counter((row.plan_version_id, row.lineage) for row in rows)
        assert max(by_version.values()) == 1, f"a lineage twice in one version ({kind})"

    shared = 0
    for plan in AccountPlan.objects.all():
        versions = list(plan.versions.order_by("number"))
        if len(versions) < 2:
            continue
        v1, v2 = versions
        for model in ITEM_KINDS.values():
            old = {row.lineage: row for row in model._base_manager.filter(plan_version=v1)}
            new = {row.lineage: row for row in model._base_manager.filter(plan_version=v2)}
            assert set(old) <= set(new), "version 2 starts as a copy of every row of version 1"
            shared += len(old)
            for lineage, row in old.items():
                copy = new[lineage]
                assert copy.pk > row.pk
                for link in LINKS.get(model, []):
                    before, after = getattr(row, link), getattr(copy, link)
                    assert (before is None and after is None) or before.lineage == after.lineage
    assert shared > 100


def test_the_generated_version_equals_a_services_clone_of_version_1_up_to_the_edits():
    generate(scale=SCALE)

    plan = next(p for p in AccountPlan.objects.all() if p.versions.count() == 2)
    v1, v2 = plan.versions.get(number=1), plan.versions.get(number=2)
    try:
        with transaction.atomic():
            scratch = PlanVersion.objects.create(plan=plan, account_id=plan.account_id, year=v2.year, number=9)
            services._clone_rows(v1, scratch)
            cloned = diff.diff_versions(scratch, v2)
            generated = diff.diff_versions(v1, v2)
            raise Undo
    except Undo:
        pass
    for kind in ITEM_KINDS:  # the service's clone and the generator's start the same: the same edits lead to v2
        assert [row.lineage for row in cloned[kind]["added"]] == [row.lineage for row in generated[kind]["added"]]
        assert [(b.lineage, f) for b, _, f in cloned[kind]["changed"]] == [
            (b.lineage, f) for b, _, f in generated[kind]["changed"]
        ]
        assert cloned[kind]["dropped"] == generated[kind]["dropped"] == []


def test_the_content_is_valid_varied_and_consistent():
    ctx = generate(scale=SCALE)

    for model in ITEM_KINDS.values():  # what the models' validators accept
        for row in model._base_manager.filter(plan_version__plan__in=AccountPlan.objects.order_by("pk")[:3]):
            row.full_clean(validate_unique=False)
    risks = Risk.objects.all()
    assert set(risks.values_list("category", flat=True)) == set(RiskCategory.values)
    assert len(set(risks.values_list("likelihood", "impact"))) >= 15  # spread over the heat map
    managers = dict(
        AccountTeamMember.objects.filter(team_role=TeamRole.KEY_ACCOUNT_MANAGER).values_list("account_id", "user_id")
    )
    actions = Action.objects.all()
    assert all(a.owner_id == managers[a.account_id] for a in actions)
    assert actions.filter(status=ActionStatus.DONE).exists()
    today = ctx.now.date()
    assert actions.filter(status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS], due_date__lt=today).exists()

    for plan in AccountPlan.objects.all():
        for kpi in PlanKPI.objects.filter(plan_version__plan=plan):
            periods = sorted(kpi.targets.values_list("period", flat=True))
            assert periods == list(range(plan.start_year, plan.end_year + 1))
            assert (kpi.source == KPISource.COMPUTED) == bool(kpi.computed_metric)
    assert PlanKPI.objects.filter(source=KPISource.COMPUTED).exists()
    assert KPITarget.objects.filter(actual__isnull=False, kpi__source=KPISource.ENTERED).exists()
    for objective in Objective.objects.filter(side="ours"):
        assert objective.linked_objective.side == "client"
        assert 1 <= objective.kpis.count() <= 2

    opportunities = Opportunity.objects.select_related("account", "cell__offering", "cell__business_unit")
    for o in opportunities:
        low, high = STAGE_PROBABILITY[o.stage]
        assert low <= o.probability <= high and o.currency == o.account.currency and o.value > 0
    linked = [o for o in opportunities if o.cell_id]
    assert linked and {o.stage for o in opportunities} >= {OpportunityStage.WON, OpportunityStage.QUALIFIED}
    for o in linked:  # as services._fill_cell leaves them
        assert o.offering == o.cell.offering.name and o.cell.account.tree_path.startswith(o.account.tree_path)
        if o.stage == OpportunityStage.WON:
            assert o.cell.status == CellStatus.WON
        elif o.stage not in CLOSED_STAGES:
            assert o.cell.status in (CellStatus.PIPELINE, CellStatus.WON)


def test_whitespace_covers_each_key_account_its_subsidiaries_and_business_units():
    ctx = generate(scale=SCALE)

    assert set(Offering.objects.values_list("name", flat=True)) == {name for name, _, _ in OFFERINGS}
    cells = WhitespaceCell.objects.select_related("account")
    assert cells.count() == ctx.counts["whitespace cells"]
    assert set(cells.values_list("status", flat=True)) == set(CellStatus.values)
    for key in Account.objects.filter(is_key_account=True):
        rows = {c.account_id for c in cells if c.account.tree_path.startswith(key.tree_path)}
        assert key.pk in rows and len(rows) <= SUBSIDIARY_ROWS + 1
    assert cells.filter(business_unit__isnull=False).exists()
    assert all(c.competitor for c in cells.filter(status=CellStatus.COMPETITOR))
    assert not cells.exclude(status=CellStatus.NONE).filter(annual_value__isnull=True).exists()


def test_the_diff_the_quality_score_and_the_computed_kpis_work_on_generated_plans():
    ctx = generate(scale=SCALE)

    today = ctx.now.date()
    rules = set()
    for plan in AccountPlan.objects.all():
        versions = list(plan.versions.order_by("number"))
        for version in versions:
            report = quality.evaluate(version, today)
            assert 0 <= report.score <= 100 and report.checks > 1
            rules |= set(report.rules)
        if len(versions) == 2:
            changes = diff.diff_versions(*versions)
            assert changes["situation"]["changed"] and any(
                changes[kind]["changed"] or changes[kind]["added"] for kind in ITEM_KINDS
            )
    assert {"action_overdue", "not_reviewed"} <= rules

    kpi = PlanKPI.objects.filter(source=KPISource.COMPUTED, computed_metric="revenue_t12m").first()
    assert services.computed_kpi_value(kpi, ctx.as_of.year) > 0


def test_the_plans_are_written_in_bulk_without_audit_records_of_their_own():
    ctx = generate(scale=SCALE)

    plan_models = {"accountplan", "planversion", "objective", "risk", "whitespacecell", "offering"}
    assert not ObjectChange.objects.filter(content_type__model__in=plan_models).exists()
    assert ObjectChange.objects.get(after__generated=True).after["counts"]["account plans"] == 20
    assert ctx.timings["plans.account_plans"] < 30
    assert dt.date(ctx.as_of.year - 1, 1, 1) <= AccountPlan.objects.earliest("created_at").created_at.date()
