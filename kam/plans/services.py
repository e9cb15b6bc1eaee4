"""Every write to account plans goes through here: pages, API, tests. The rules:

- only a key account has a plan, and only one; it starts with version 1, a draft for its start year;
- a draft (or a version in review) is edited row by row: text sections with `update_version`, child rows with
  `save_item` / `delete_item`; an edit carries the version the writer read, and a stale edit is refused (the first
  one survives);
- workflow: draft → in review (`submit`) → approved (`approve`: the account's team leader, the programme lead or an
  administrator) or back to draft (`return_to_draft`, with a note); approving supersedes the version approved before;
- an approved or superseded version is frozen (the models refuse changes too); next year's plan is a clone of the
  approved one (`start_next_year`), with every child row copied and their links remapped to the copies;
- computed KPIs read the portfolio figures (kam.accounts.figures) the way the account page shows them.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from kam.accounts import figures
from kam.accounts.choices import TeamRole
from kam.accounts.models import Account, AccountTeamMember, FinancialFact
from kam.core.permissions import has_global_scope, role_allows
from kam.core.services import StaleObject, lock_for_update
from kam.plans.choices import (
    CLOSED_STAGES,
    FROZEN_STATUSES,
    CellStatus,
    ComputedMetric,
    KPISource,
    OpportunityStage,
    VersionStatus,
)
from kam.plans.models import (
    APPROVE,
    ITEM_KINDS,
    TEXT_SECTIONS,
    VERSION_SETTINGS,
    AccountPlan,
    Action,
    KPITarget,
    Objective,
    Opportunity,
    PlanKPI,
    PlanVersion,
    Risk,
    TCOLine,
    WhitespaceCell,
)

__all__ = ["StaleObject"]

MAX_TEXT = 20_000
MAX_NOTE = 500

# What a writer may set on each kind of row (the version, account and lineage are the service's).
ITEM_FIELDS = {
    "objective": (
        "side",
        "title",
        "specific",
        "measurable",
        "achievable",
        "relevant",
        "time_bound",
        "due_date",
        "linked_objective",
        "achieved",
    ),
    "kpi": ("objective", "metric", "unit", "direction", "baseline", "source", "computed_metric"),
    "target": ("kpi", "period", "target", "actual"),
    "action": ("title", "owner", "due_date", "status", "objective"),
    "risk": ("title", "category", "likelihood", "impact", "mitigation", "owner", "status"),
    "opportunity": (
        "title",
        "kind",
        "offering",
        "business_unit",
        "value",
        "currency",
        "probability",
        "stage",
        "expected_close",
        "next_step",
        "cell",
    ),
    "tco": ("item", "cost_kind", "indirect", "alternative_cost", "our_cost"),
}

# Links between rows: each must point at a row of the same version.
ROW_LINKS = {"linked_objective": Objective, "objective": Objective, "kpi": PlanKPI}
USER_LINKS = ("owner",)


def _user_or_none(user):
    return user if getattr(user, "pk", None) else None


# Who may approve ------------------------------------------------------------------------------------------------


def team_leader_ids(account: Account) -> set[int]:
    """The active team leaders of the account and of the groups above it."""
    ids = [account.pk, *account.ancestor_ids()]
    return set(
        AccountTeamMember.objects.filter(
            AccountTeamMember.active_q(), account_id__in=ids, team_role=TeamRole.TEAM_LEADER
        ).values_list("user_id", flat=True)
    )


def led_account_ids(user) -> set[int]:
    """The accounts the user leads the team of today (their subsidiaries' plans are theirs to approve too)."""
    return set(
        AccountTeamMember.objects.filter(
            AccountTeamMember.active_q(), user_id=user.pk, team_role=TeamRole.TEAM_LEADER
        ).values_list("account_id", flat=True)
    )


def may_approve(user, plan: AccountPlan) -> bool:
    """The programme lead, an administrator, or the account's own team leader (whose role may approve at all: a
    viewer or executive sponsor leading a team does not)."""
    if not role_allows(user, APPROVE, AccountPlan):
        return False
    return has_global_scope(user) or user.pk in team_leader_ids(plan.account)


def _require_approver(user, plan: AccountPlan, what: str):
    if not may_approve(user, plan):
        raise PermissionDenied(f"Only the account's team leader, the programme lead or an administrator {what}.")


# Plans and versions ---------------------------------------------------------------------------------------------


@transaction.atomic
def create_plan(account: Account, user, start_year: int, horizon_years: int = 3, title: str = "") -> AccountPlan:
    """The account's plan, with version 1: a draft for `start_year`."""
    Account.objects.select_for_update().filter(pk=account.pk).first()  # one creation at a time per account
    if not account.is_key_account:
        raise ValidationError({"account": f"{account} is not a key account: only key accounts have a plan."})
    if AccountPlan.objects.filter(account_id=account.pk).exists():
        raise ValidationError({"account": f"{account} has a plan already: edit it instead."})
    plan = AccountPlan(
        account=account,
        title=(title or "").strip() or f"{account.name} account plan",
        start_year=start_year,
        horizon_years=horizon_years,
        created_by=_user_or_none(user),
    )
    plan.full_clean(exclude=["account", "created_by"])
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:  # created at the same moment by someone else
        raise ValidationError({"account": f"{account} has a plan already: edit it instead."}) from None
    PlanVersion.objects.create(plan=plan, account=account, year=start_year, number=1, created_by=_user_or_none(user))
    return plan


def latest_version(plan: AccountPlan) -> PlanVersion | None:
    return plan.versions.order_by("-number").first()


def approved_version(plan: AccountPlan) -> PlanVersion | None:
    return plan.versions.filter(status=VersionStatus.APPROVED).order_by("-number").first()


def _refuse_frozen(version: PlanVersion):
    if version.status in FROZEN_STATUSES:
        raise ValidationError(
            {
                "version": f"Version {version.number} is {version.get_status_display().lower()}: it is frozen. "
                "Start next year's plan to change it."
            }
        )


@transaction.atomic
def update_version(version: PlanVersion, data: dict, user, expected_version: int | None = None) -> PlanVersion:
    """Change the version's text sections (`data` maps section names to Markdown) and the TCO comparison's
    settings (VERSION_SETTINGS)."""
    version = lock_for_update(version, expected_version)
    _refuse_frozen(version)
    errors = {}
    known = (*TEXT_SECTIONS, *VERSION_SETTINGS)
    unknown = sorted(set(data) - set(known))
    if unknown:
        errors["sections"] = f"Unknown section(s): {', '.join(unknown)}. The sections are: {', '.join(known)}."
    if "tco_alternative" in data:
        version.tco_alternative = (data["tco_alternative"] or "").strip()
    if "tco_years" in data:
        version.tco_years = data["tco_years"]
    for name in TEXT_SECTIONS:
        if name in data:
            value = (data[name] or "").strip()
            if len(value) > MAX_TEXT:
                errors[name] = f"At most {MAX_TEXT:,} characters (this has {len(value):,})."
            setattr(version, name, value)
    if errors:
        raise ValidationError(errors)
    try:
        version.full_clean(exclude=["plan", "account", "created_by", "approved_by"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    version.save()
    return version


# Child rows -----------------------------------------------------------------------------------------------------


def _resolve_links(version: PlanVersion, data: dict) -> dict:
    """Row links given as rows or primary keys, checked to belong to the version; owners given as users or keys."""
    from django.contrib.auth import get_user_model

    resolved, errors = dict(data), {}
    for name, model in ROW_LINKS.items():
        if name not in data or data[name] in (None, ""):
            if name in data:
                resolved[name] = None
            continue
        pk = getattr(data[name], "pk", data[name])
        row = model._base_manager.filter(pk=pk, plan_version_id=version.pk).first()
        if row is None:
            errors[name] = f"Choose a {model._meta.verbose_name} of this version of the plan."
        resolved[name] = row
    for name in USER_LINKS:
        if name not in data or data[name] in (None, ""):
            if name in data:
                resolved[name] = None
            continue
        pk = getattr(data[name], "pk", data[name])
        user = get_user_model().objects.filter(pk=pk, is_active=True).first()
        if user is None:
            errors[name] = "Choose an active user."
        resolved[name] = user
    if data.get("cell") not in (None, ""):
        pk = getattr(data["cell"], "pk", data["cell"])
        subtree = Account.objects.get(pk=version.account_id).subtree()
        cell = WhitespaceCell.objects.filter(pk=pk, account__in=subtree).select_related("business_unit", "offering")
        resolved["cell"] = cell.first()
        if resolved["cell"] is None:
            errors["cell"] = "Choose a whitespace cell of this account or its subsidiaries."
    elif "cell" in data:
        resolved["cell"] = None
    if errors:
        raise ValidationError(errors)
    return resolved


def _fill_cell(opportunity: Opportunity, user) -> None:
    """An opportunity linked to a whitespace cell names the cell's offering and business unit, and moves the cell
    along: an open opportunity puts a cell with nothing (or only potential) in the pipeline, a won one wins it."""
    cell = opportunity.cell
    if cell is None:
        return
    opportunity.offering = cell.offering.name
    opportunity.business_unit = cell.business_unit.name if cell.business_unit_id else cell.account.name
    if opportunity.stage == OpportunityStage.WON:
        status = CellStatus.WON
    elif opportunity.stage not in CLOSED_STAGES and cell.status in (CellStatus.NONE, CellStatus.POTENTIAL):
        status = CellStatus.PIPELINE
    else:
        return
    if cell.status != status:
        cell = lock_for_update(cell, None)
        cell.status = status
        cell.save()
        opportunity.cell = cell


def _check_item(kind: str, item) -> None:
    errors = {}
    if kind == "objective" and item.linked_objective_id is not None and item.linked_objective_id == item.pk:
        errors["linked_objective"] = "An objective cannot serve itself."
    if kind == "kpi":
        if item.source == KPISource.COMPUTED and not item.computed_metric:
            errors["computed_metric"] = f"Choose what to compute: {', '.join(ComputedMetric.values)}."
        if item.source == KPISource.ENTERED and item.computed_metric:
            errors["computed_metric"] = "Only a computed KPI names a computed metric."
    if errors:
        raise ValidationError(errors)
    try:
        item.full_clean(exclude=["plan_version", "account", "lineage"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None


@transaction.atomic
def save_item(
    version: PlanVersion,
    kind: str,
    data: dict,
    user,
    item=None,
    expected_version: int | None = None,
    *,
    external_id: str = "",
):
    """Add a row of `kind` (objective, kpi, target, action, risk, opportunity, tco) to the version, or change `item`.
    `data` holds the fields to set (see ITEM_FIELDS); links to other rows are rows or their keys. `external_id`:
    the id an imported goal has in its file (kam.plans.importers), set when it is added."""
    if kind not in ITEM_KINDS:
        raise ValidationError({"kind": f"Unknown kind {kind!r}: one of {', '.join(ITEM_KINDS)}."})
    model = ITEM_KINDS[kind]
    version = PlanVersion.objects.select_for_update().get(pk=version.pk)
    _refuse_frozen(version)
    unknown = sorted(set(data) - set(ITEM_FIELDS[kind]))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a field of this kind of row."))
    if item is None:
        item = model(plan_version=version, account_id=version.account_id)
        if external_id:
            item.external_id = external_id
    else:
        if not isinstance(item, model):
            raise ValidationError({"kind": f"This row is not a {model._meta.verbose_name}."})
        item = lock_for_update(item, expected_version)
        if item.plan_version_id != version.pk:
            raise ValidationError({"version": "This row belongs to another version of the plan."})
    for name, value in _resolve_links(version, data).items():
        setattr(item, name, value)
    if kind == "opportunity":
        _fill_cell(item, user)
    _check_item(kind, item)
    item.save()
    return item


@transaction.atomic
def delete_item(version: PlanVersion, item, user, expected_version: int | None = None) -> None:
    """Delete a row of a version that is not frozen (a KPI goes with its targets, an objective with its KPIs)."""
    version = PlanVersion.objects.select_for_update().get(pk=version.pk)
    _refuse_frozen(version)
    item = lock_for_update(item, expected_version)
    if item.plan_version_id != version.pk:
        raise ValidationError({"version": "This row belongs to another version of the plan."})
    # Rows that cascade are deleted one by one, so each leaves its own audit record.
    if isinstance(item, Objective):
        for kpi in item.kpis.all():
            delete_item(version, kpi, user)
    if isinstance(item, PlanKPI):
        for target in item.targets.all():
            target.delete()
    item.delete()


# Workflow -------------------------------------------------------------------------------------------------------


@transaction.atomic
def submit(version: PlanVersion, user, expected_version: int | None = None) -> PlanVersion:
    """Send a draft for approval."""
    version = lock_for_update(version, expected_version)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError({"status": f"Only a draft is submitted; this version is {version.get_status_display()}."})
    version.status = VersionStatus.IN_REVIEW
    version.submitted_at = timezone.now()
    version.review_note = ""
    version.save()
    return version


@transaction.atomic
def approve(version: PlanVersion, user, expected_version: int | None = None) -> PlanVersion:
    """Approve a version in review: it is frozen from now on, and the version approved before it is superseded."""
    _require_approver(user, version.plan, "approves a plan")
    version = lock_for_update(version, expected_version)
    if version.status != VersionStatus.IN_REVIEW:
        raise ValidationError(
            {"status": f"Only a version in review is approved; this one is {version.get_status_display()}."}
        )
    for previous in PlanVersion.objects.select_for_update().filter(
        plan_id=version.plan_id, status=VersionStatus.APPROVED
    ):
        previous.status = VersionStatus.SUPERSEDED
        previous.save()
    version.status = VersionStatus.APPROVED
    version.approved_by = user
    version.approved_at = timezone.now()
    version.save()
    return version


@transaction.atomic
def return_to_draft(version: PlanVersion, user, note: str, expected_version: int | None = None) -> PlanVersion:
    """Send a version in review back to its authors, saying why."""
    _require_approver(user, version.plan, "returns a plan to draft")
    version = lock_for_update(version, expected_version)
    if version.status != VersionStatus.IN_REVIEW:
        raise ValidationError(
            {"status": f"Only a version in review goes back; this one is {version.get_status_display()}."}
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say what to change."})
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"At most {MAX_NOTE} characters."})
    version.status = VersionStatus.DRAFT
    version.review_note = note
    version.save()
    return version


@transaction.atomic
def evaluate_objective(objective: Objective, achieved: bool | None, user, expected_version: int | None = None):
    """The year-end evaluation of one of our goals: reached (True), missed (False) or not evaluated (None). Allowed
    on any version, approved ones included (it is what an approved plan is measured by), and on nothing else."""
    objective = lock_for_update(objective, expected_version)
    if objective.side != "ours":
        raise ValidationError({"achieved": "Only our own goals are evaluated; the client's goals are theirs."})
    if achieved not in (True, False, None):
        raise ValidationError({"achieved": "Reached (true), missed (false) or not evaluated (null)."})
    objective.achieved = achieved
    objective.save()
    return objective


@transaction.atomic
def record_review(version: PlanVersion, user, expected_version: int | None = None) -> PlanVersion:
    """The (quarterly) review of the approved plan took place today."""
    version = lock_for_update(version, expected_version)
    if version.status != VersionStatus.APPROVED:
        raise ValidationError({"status": "Only the approved plan is reviewed."})
    version.reviewed_at = timezone.now()
    version.save()
    return version


@transaction.atomic
def start_next_year(plan: AccountPlan, user) -> PlanVersion:
    """Next year's draft: a copy of the approved version (text and every row, links remapped to the copies, each
    copy keeping its row's lineage). The approved version stays approved until the new one is approved."""
    plan = AccountPlan.objects.select_for_update().get(pk=plan.pk)
    source = approved_version(plan)
    if source is None:
        raise ValidationError({"plan": "The plan has no approved version to start next year's plan from."})
    if plan.versions.exclude(status__in=FROZEN_STATUSES).exists():
        raise ValidationError({"plan": "A version is being written already: approve it or continue it."})
    year = source.year + 1
    if year > plan.end_year:
        raise ValidationError({"year": f"{year} is after the plan's horizon (to {plan.end_year}): extend it first."})
    number = (plan.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    new = PlanVersion.objects.create(
        plan=plan,
        account_id=plan.account_id,
        year=year,
        number=number,
        created_by=_user_or_none(user),
        **{name: getattr(source, name) for name in (*TEXT_SECTIONS, *VERSION_SETTINGS)},
    )
    _clone_rows(source, new)
    return new


def _copy(row, new_version: PlanVersion, **links):
    copy = type(row)(
        **{
            f.attname: getattr(row, f.attname)
            for f in row._meta.concrete_fields
            if not f.primary_key and f.name not in {"created_at", "updated_at", "version", "plan_version"}
        }
    )
    copy.plan_version = new_version
    copy.account_id = new_version.account_id
    for name, value in links.items():
        setattr(copy, name, value)
    copy.save()
    return copy


def _clone_rows(source: PlanVersion, new: PlanVersion) -> None:
    objectives = {}
    rows = list(Objective.objects.filter(plan_version=source).order_by("pk"))
    for row in rows:
        objectives[row.pk] = _copy(row, new, linked_objective=None)
    for row in rows:
        if row.linked_objective_id is not None:
            copy = objectives[row.pk]
            copy.linked_objective = objectives.get(row.linked_objective_id)
            copy.save()
    kpis = {}
    for row in PlanKPI.objects.filter(plan_version=source).order_by("pk"):
        kpis[row.pk] = _copy(row, new, objective=objectives[row.objective_id])
    for row in KPITarget.objects.filter(plan_version=source).order_by("pk"):
        _copy(row, new, kpi=kpis[row.kpi_id])
    for row in Action.objects.filter(plan_version=source).order_by("pk"):
        _copy(row, new, objective=objectives.get(row.objective_id))
    for model in (Risk, Opportunity, TCOLine):
        for row in model.objects.filter(plan_version=source).order_by("pk"):
            _copy(row, new)


# Computed KPIs --------------------------------------------------------------------------------------------------


def as_of_month(year: int) -> dt.date | None:
    """December of `year`, or the latest month with facts before it (the figures' as-of month for that year)."""
    return FinancialFact.objects.filter(month__lte=dt.date(year, 12, 1)).aggregate(latest=Max("month"))["latest"]


def metric_value(result: figures.Figures, metric: str):
    """One computed metric read off the account's figures, rounded as the account page shows it."""
    return {
        ComputedMetric.REVENUE_T12M: lambda: result.revenue_t12m_rounded,
        ComputedMetric.GROSS_PROFIT_T12M: lambda: result.gross_profit_t12m_rounded,
        ComputedMetric.SHARE_OF_WALLET: lambda: result.share_of_wallet_percent,
        ComputedMetric.GROWTH_YOY: lambda: result.yoy_growth_percent,
    }[metric]()


def year_figures(account: Account, year: int, *, rates: figures.RateTable | None = None) -> figures.Figures | None:
    """The account's subtree figures as of December of `year` (or the latest month with facts before it); None
    when there are no facts yet or an FX rate is missing."""
    as_of = as_of_month(year)
    if as_of is None:
        return None
    result = figures.subtree_figures(account, as_of=as_of, rates=rates or figures.RateTable())
    return None if result.missing_rate is not None else result


def computed_kpi_value(kpi: PlanKPI, year: int, *, rates: figures.RateTable | None = None):
    """The KPI's value for `year`, computed from the plan account's portfolio figures as the account page shows them
    (a group's plan covers its subsidiaries: the subtree's figures; the same rounding: money to cents, per cent to
    six places). None when there are no facts yet, the figure is undefined (no wallet, no prior year) or an FX rate
    is missing."""
    if kpi.source != KPISource.COMPUTED:
        raise ValueError(f"KPI {kpi} is entered, not computed.")
    result = year_figures(Account.objects.get(pk=kpi.account_id), year, rates=rates)
    return None if result is None else metric_value(result, kpi.computed_metric)


def kpi_actual(kpi: PlanKPI, year: int):
    """The KPI's actual value for `year`: computed, or as entered on its target for that period (None if none)."""
    if kpi.source == KPISource.COMPUTED:
        return computed_kpi_value(kpi, year)
    return KPITarget.objects.filter(kpi=kpi, period=year).values_list("actual", flat=True).first()
