"""Account plans over REST: the plans you can see, an account's plan (create), a version with its text sections and
child rows (objectives, KPIs, targets, actions, risks, opportunities), the workflow (submit, approve, return to
draft), next year's plan, two versions compared and a version's quality score. Every write goes through
kam.plans.services; every read and write asks the permission choke point (`restricted` / `get_restricted`) first.

Two numbers, not to be confused: `version` is a row's version for optimistic concurrency (send it back as If-Match
or `version`); a plan version's `number` counts the plan's annual versions (1, 2, …)."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Body, Query, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from kam.accounts.api import Pagination
from kam.accounts.models import Account
from kam.core.api import (
    ERRORS,
    WRITE_ERRORS,
    InputSchema,
    api_field_names,
    etag,
    expected_version,
    get_restricted,
    optional_version,
    refuse_nulls,
    restricted,
)
from kam.core.permissions import ADD, CHANGE, DELETE, VIEW
from kam.plans import quality, services
from kam.plans.choices import (
    ActionStatus,
    ComputedMetric,
    Direction,
    KPISource,
    ObjectiveSide,
    OpportunityKind,
    OpportunityStage,
    RiskCategory,
    RiskStatus,
    TCOCostKind,
)
from kam.plans.diff import diff_versions
from kam.plans.models import (
    APPROVE,
    ITEM_KINDS,
    MAX_HORIZON,
    MIN_HORIZON,
    TEXT_SECTIONS,
    VERSION_SETTINGS,
    AccountPlan,
    PlanVersion,
)

router = Router(tags=["plans"])

MAX_INT = 2**31 - 1
# The API names the kinds of rows in the plural (its paths); the services in the singular.
PLURALS = {
    "objectives": "objective",
    "kpis": "kpi",
    "targets": "target",
    "actions": "action",
    "risks": "risk",
    "opportunities": "opportunity",
    "tco-lines": "tco",
}
KindPath = Literal[tuple(PLURALS)]
# Links to other rows and to users: `<name>_id` in the API, `<name>` in the services.
LINKS = ("linked_objective", "objective", "kpi", "owner", "cell")
VALUE = {"max_digits": 20, "decimal_places": 4}
MONEY = {"max_digits": 14, "decimal_places": 2}


def _api_name(field: str) -> str:
    return f"{field}_id" if field in LINKS else field


# Schemas ----------------------------------------------------------------------------------------------------------


class PlanAccountRef(Schema):
    id: int
    name: str
    account_number: str


class PlanVersionSummaryOut(Schema):
    number: int
    year: int
    status: str = Field(description="draft, in_review, approved or superseded.")
    review_note: str = Field(description="Why it was returned to draft, if it was.")
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    approved_by: str | None = Field(None, description="Who approved it.")
    reviewed_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_approved_by(obj):
        user = obj.approved_by  # the user (a version), or the name already (a version's dict)
        return getattr(user, "display_name", user)


class PlanOut(Schema):
    id: int
    account: PlanAccountRef
    title: str
    start_year: int
    horizon_years: int
    end_year: int
    versions: list[PlanVersionSummaryOut] = Field(description="Newest first.")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_versions(obj):
        return sorted(obj.versions.all(), key=lambda v: -v.number)


class PlanCreateIn(InputSchema):
    start_year: int = Field(ge=2000, le=2100, description="The year of version 1.")
    horizon_years: int = Field(MIN_HORIZON, ge=MIN_HORIZON, le=MAX_HORIZON)
    title: str = Field("", max_length=200, description="Default: “<account> account plan”.")


class PlanObjectiveOut(Schema):
    item_kind: Literal["objective"] = "objective"
    id: int
    side: str
    title: str
    specific: str
    measurable: str
    achievable: str
    relevant: str
    time_bound: str
    due_date: dt.date | None
    linked_objective_id: int | None
    achieved: bool | None = Field(description="Reached (true), missed (false), not evaluated yet (null).")
    lineage: uuid.UUID = Field(description="The same on this row's copies in other versions.")
    version: int


class PlanKpiOut(Schema):
    item_kind: Literal["kpi"] = "kpi"
    id: int
    objective_id: int
    metric: str
    unit: str
    direction: str
    baseline: Decimal | None
    source: str
    computed_metric: str
    lineage: uuid.UUID
    version: int


class PlanTargetOut(Schema):
    item_kind: Literal["target"] = "target"
    id: int
    kpi_id: int
    period: int
    target: Decimal
    actual: Decimal | None
    lineage: uuid.UUID
    version: int


class PlanActionOut(Schema):
    item_kind: Literal["action"] = "action"
    id: int
    title: str
    owner_id: int | None
    due_date: dt.date | None
    status: str
    objective_id: int | None
    lineage: uuid.UUID
    version: int


class PlanRiskOut(Schema):
    item_kind: Literal["risk"] = "risk"
    id: int
    title: str
    category: str
    likelihood: int
    impact: int
    score: int
    mitigation: str
    owner_id: int | None
    status: str
    lineage: uuid.UUID
    version: int


class PlanOpportunityOut(Schema):
    item_kind: Literal["opportunity"] = "opportunity"
    id: int
    title: str
    kind: str
    offering: str
    business_unit: str
    value: Decimal
    currency: str
    probability: int
    stage: str
    expected_close: dt.date | None
    next_step: str
    cell_id: int | None = Field(description="The whitespace cell it would fill.")
    weighted_value: Decimal = Field(description="value × probability / 100, in the opportunity's currency.")
    lineage: uuid.UUID
    version: int


class PlanTcoLineOut(Schema):
    item_kind: Literal["tco"] = "tco"
    id: int
    item: str
    cost_kind: str = Field(description="annual (counted tco_years times) or one_off.")
    indirect: bool
    alternative_cost: Decimal
    our_cost: Decimal
    lineage: uuid.UUID
    version: int


ITEM_OUT = {
    "objective": PlanObjectiveOut,
    "kpi": PlanKpiOut,
    "target": PlanTargetOut,
    "action": PlanActionOut,
    "risk": PlanRiskOut,
    "opportunity": PlanOpportunityOut,
    "tco": PlanTcoLineOut,
}
PlanItemOut = Annotated[
    PlanObjectiveOut | PlanKpiOut | PlanTargetOut | PlanActionOut | PlanRiskOut | PlanOpportunityOut | PlanTcoLineOut,
    Field(discriminator="item_kind"),
]


class PlanVersionOut(PlanVersionSummaryOut):
    plan_id: int
    account: PlanAccountRef
    situation: str = Field(description="Markdown, as are the other text sections.")
    swot_strengths: str
    swot_weaknesses: str
    swot_opportunities: str
    swot_threats: str
    competitors: str
    value_proposition: str
    tco_alternative: str = Field(description="What the TCO comparison sets our offer against.")
    tco_years: int = Field(description="How many years annual costs count in the TCO comparison.")
    objectives: list[PlanObjectiveOut]
    kpis: list[PlanKpiOut]
    targets: list[PlanTargetOut]
    actions: list[PlanActionOut]
    risks: list[PlanRiskOut]
    opportunities: list[PlanOpportunityOut]
    tco_lines: list[PlanTcoLineOut]


class PlanVersionPatch(InputSchema):
    situation: str | None = Field(None, max_length=services.MAX_TEXT, description="Markdown.")
    swot_strengths: str | None = Field(None, max_length=services.MAX_TEXT)
    swot_weaknesses: str | None = Field(None, max_length=services.MAX_TEXT)
    swot_opportunities: str | None = Field(None, max_length=services.MAX_TEXT)
    swot_threats: str | None = Field(None, max_length=services.MAX_TEXT)
    competitors: str | None = Field(None, max_length=services.MAX_TEXT)
    value_proposition: str | None = Field(None, max_length=services.MAX_TEXT)
    tco_alternative: str | None = Field(None, max_length=100)
    tco_years: int | None = Field(None, ge=1, le=10)
    version: int | None = Field(None, description="The plan version's row version you read; or send If-Match.")


# Item bodies: one schema per kind serves adding (the required fields must be there) and changing (any subset).
Version = Field(None, description="Changing a row: the row's version you read; or send If-Match.")


class PlanObjectiveIn(InputSchema):
    side: Literal[tuple(ObjectiveSide.values)] | None = None
    title: str | None = Field(None, min_length=1, max_length=200, description="Required to add.")
    specific: str | None = Field(None, max_length=services.MAX_TEXT)
    measurable: str | None = Field(None, max_length=services.MAX_TEXT)
    achievable: str | None = Field(None, max_length=services.MAX_TEXT)
    relevant: str | None = Field(None, max_length=services.MAX_TEXT)
    time_bound: str | None = Field(None, max_length=services.MAX_TEXT)
    due_date: dt.date | None = None
    linked_objective_id: int | None = Field(None, description="The client goal this one serves (same version).")
    achieved: bool | None = Field(None, description="At the year's end: reached, missed, or null (not evaluated).")
    version: int | None = Version


class PlanKpiIn(InputSchema):
    objective_id: int | None = Field(None, description="Required to add: an objective of the same version.")
    metric: str | None = Field(None, min_length=1, max_length=200, description="Required to add.")
    unit: str | None = Field(None, max_length=30)
    direction: Literal[tuple(Direction.values)] | None = None
    baseline: Decimal | None = Field(None, **VALUE)
    source: Literal[tuple(KPISource.values)] | None = None
    computed_metric: Literal[("", *ComputedMetric.values)] | None = Field(
        None, description="A computed KPI names its metric; an entered one has none."
    )
    version: int | None = Version


class PlanTargetIn(InputSchema):
    kpi_id: int | None = Field(None, description="Required to add: a KPI of the same version.")
    period: int | None = Field(None, ge=2000, le=2100, description="The year. Required to add.")
    target: Decimal | None = Field(None, **VALUE, description="Required to add.")
    actual: Decimal | None = Field(None, **VALUE, description="Entered KPIs only.")
    version: int | None = Version


class PlanActionIn(InputSchema):
    title: str | None = Field(None, min_length=1, max_length=200, description="Required to add.")
    owner_id: int | None = Field(None, description="An active user.")
    due_date: dt.date | None = None
    status: Literal[tuple(ActionStatus.values)] | None = None
    objective_id: int | None = Field(None, description="An objective of the same version.")
    version: int | None = Version


class PlanRiskIn(InputSchema):
    title: str | None = Field(None, min_length=1, max_length=200, description="Required to add.")
    category: Literal[tuple(RiskCategory.values)] | None = Field(None, description="Required to add.")
    likelihood: int | None = Field(None, ge=1, le=5, description="Required to add.")
    impact: int | None = Field(None, ge=1, le=5, description="Required to add.")
    mitigation: str | None = Field(None, max_length=services.MAX_TEXT)
    owner_id: int | None = Field(None, description="An active user.")
    status: Literal[tuple(RiskStatus.values)] | None = None
    version: int | None = Version


class PlanOpportunityIn(InputSchema):
    title: str | None = Field(None, min_length=1, max_length=200, description="Required to add.")
    kind: Literal[tuple(OpportunityKind.values)] | None = Field(None, description="Required to add.")
    offering: str | None = Field(None, max_length=200)
    business_unit: str | None = Field(None, max_length=200)
    value: Decimal | None = Field(None, ge=0, **MONEY, description="Required to add.")
    currency: str | None = Field(None, min_length=3, max_length=3)
    probability: int | None = Field(None, ge=0, le=100, description="Per cent.")
    stage: Literal[tuple(OpportunityStage.values)] | None = None
    expected_close: dt.date | None = None
    next_step: str | None = Field(None, max_length=services.MAX_TEXT)
    cell_id: int | None = Field(
        None, description="A whitespace cell of the account or its subsidiaries; sets offering and business unit."
    )
    version: int | None = Version


class PlanTcoLineIn(InputSchema):
    item: str | None = Field(None, min_length=1, max_length=200, description="Required to add.")
    cost_kind: Literal[tuple(TCOCostKind.values)] | None = None
    indirect: bool | None = None
    alternative_cost: Decimal | None = Field(None, ge=0, **MONEY, description="Required to add.")
    our_cost: Decimal | None = Field(None, ge=0, **MONEY, description="Required to add.")
    version: int | None = Version


ITEM_IN = {
    "objective": PlanObjectiveIn,
    "kpi": PlanKpiIn,
    "target": PlanTargetIn,
    "action": PlanActionIn,
    "risk": PlanRiskIn,
    "opportunity": PlanOpportunityIn,
    "tco": PlanTcoLineIn,
}
REQUIRED = {
    "objective": ("title",),
    "kpi": ("objective_id", "metric"),
    "target": ("kpi_id", "period", "target"),
    "action": ("title",),
    "risk": ("title", "category", "likelihood", "impact"),
    "opportunity": ("title", "kind", "value"),
    "tco": ("item", "alternative_cost", "our_cost"),
}
# Fields that may be null (cleared) in a change; the others must hold a value when sent.
NULLABLE = {"due_date", "linked_objective_id", "baseline", "actual", "owner_id", "objective_id", "expected_close"}
NULLABLE |= {"achieved", "cell_id"}
TEXT_FIELDS = {"specific", "measurable", "achievable", "relevant", "time_bound", "mitigation", "next_step"}
TEXT_FIELDS |= {"unit", "offering", "business_unit"}


class PlanWorkflowIn(InputSchema):
    version: int | None = Field(None, description="The plan version's row version you read (or If-Match).")


class PlanReturnIn(InputSchema):
    note: str = Field(min_length=1, max_length=services.MAX_NOTE, description="What to change.")
    version: int | None = Field(None, description="The plan version's row version you read (or If-Match).")


class PlanCompareQuery(Schema):
    from_version: int | None = Field(None, ge=1, le=MAX_INT, description="Default: the one before `to_version`")
    to_version: int | None = Field(None, ge=1, le=MAX_INT, description="Default: the newest")


class PlanDiffEntryOut(Schema):
    id: int | None = Field(description="The row's id (null for a text section).")
    text: str = Field(description="The section's text, or the row as a line.")


class PlanDiffChangeOut(Schema):
    before: PlanDiffEntryOut
    after: PlanDiffEntryOut
    fields: list[str]


class PlanDiffSectionOut(Schema):
    key: str = Field(description="A text section or a kind of row (objective, kpi, …).")
    added: list[PlanDiffEntryOut]
    changed: list[PlanDiffChangeOut]
    dropped: list[PlanDiffEntryOut]


class PlanCompareOut(Schema):
    from_version: int
    to_version: int
    changed_sections: list[str]
    sections: list[PlanDiffSectionOut]


class PlanFindingOut(Schema):
    rule: str
    message: str
    item_kind: str = Field(description="The kind of row to fix, or `version` for the plan version itself.")
    item_id: int


class PlanQualityOut(Schema):
    number: int
    score: int = Field(description="100 × passed checks / all checks.")
    checks: int
    passed: int
    findings: list[PlanFindingOut]


# Helpers ----------------------------------------------------------------------------------------------------------


def _plans(request, action=VIEW):
    return (
        restricted(request, AccountPlan, action)
        .select_related("account")
        .prefetch_related("versions__approved_by")
        .order_by("account__name", "account__account_number", "pk")
    )


def _plan(request, action, plan_id: int) -> AccountPlan:
    plan = _plans(request, action).filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def _version(plan: AccountPlan, number: int) -> PlanVersion:
    version = (
        PlanVersion.objects.select_related("account", "approved_by").filter(plan_id=plan.pk, number=number).first()
        if 1 <= number <= MAX_INT
        else None
    )
    if version is None:
        raise Http404
    return version


def _version_out(version: PlanVersion) -> dict:
    rows = {
        kind: [ITEM_OUT[kind].from_orm(row) for row in model.objects.filter(plan_version=version).order_by("pk")]
        for kind, model in ITEM_KINDS.items()
    }
    out = PlanVersionSummaryOut.from_orm(version).dict()
    return {
        **out,
        "plan_id": version.plan_id,
        "account": version.account,
        **{name: getattr(version, name) for name in (*TEXT_SECTIONS, *VERSION_SETTINGS)},
        **{plural.replace("-", "_"): rows[kind] for plural, kind in PLURALS.items()},
    }


def _reload_version(version: PlanVersion) -> PlanVersion:
    return PlanVersion.objects.select_related("account", "approved_by").get(pk=version.pk)


def _item_body(kind: str, body: dict, adding: bool) -> tuple[dict, int | None]:
    """The body validated against the kind's schema; returns the service's data and the `version` sent."""
    if not isinstance(body, dict):
        raise ValidationError({"": "The body must be a JSON object."})
    unknown = sorted(set(body) - set(ITEM_IN[kind].model_fields))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a field of this kind of row."))
    try:
        payload = ITEM_IN[kind].model_validate(body)
    except PydanticValidationError as error:
        raise NinjaValidationError(error.errors(include_url=False, include_context=False)) from None
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    if adding:
        missing = [name for name in REQUIRED[kind] if data.get(name) is None]
        if missing:
            raise ValidationError(dict.fromkeys(missing, "This field is required."))
    for name in TEXT_FIELDS & set(data):
        if data[name] is None:
            data[name] = ""
    refuse_nulls(data, *(name for name in data if name not in NULLABLE))
    return {name.removesuffix("_id") if name.endswith("_id") else name: value for name, value in data.items()}, version


def _item(request, kind: str, item_id: int, action):
    """A row by primary key (the choke point first), and its version."""
    model = ITEM_KINDS[PLURALS[kind]]
    restricted(request, PlanVersion, action)
    item = restricted(request, model, action).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item, PlanVersion.objects.get(pk=item.plan_version_id)


def _require_approver(request, plan: AccountPlan, what: str):
    if not services.may_approve(request.user, plan):
        raise PermissionDenied(f"Only the account's team leader, the programme lead or an administrator {what}.")


def _entry(value) -> dict:
    if not hasattr(value, "pk"):  # a text section or a setting
        return {"id": None, "text": str(value)}
    return {"id": value.pk, "text": str(value)}


# Plans ------------------------------------------------------------------------------------------------------------


@router.get("/plans", response={200: list[PlanOut], **ERRORS}, summary="The plans of the key accounts you see")
@paginate(Pagination)
def list_plans(request):
    return _plans(request)


@router.post(
    "/accounts/{account_id}/plan",
    response={201: PlanOut, **WRITE_ERRORS},
    summary="Create the key account's plan with version 1, a draft for `start_year`; 409 when it has one",
)
def create_plan(request, account_id: int, payload: PlanCreateIn, response: HttpResponse):
    restricted(request, AccountPlan, ADD)
    account = get_restricted(request, Account, VIEW, account_id)
    if AccountPlan.objects.filter(account_id=account.pk).exists():
        return Status(409, {"detail": f"{account} has a plan already.", "errors": []})
    plan = services.create_plan(account, request.user, payload.start_year, payload.horizon_years, payload.title)
    plan = _plan(request, VIEW, plan.pk)
    response["ETag"] = etag(plan)
    return Status(201, plan)


@router.get("/plans/{plan_id}", response={200: PlanOut, **ERRORS}, summary="One plan and its versions")
def get_plan(request, plan_id: int, response: HttpResponse):
    plan = _plan(request, VIEW, plan_id)
    response["ETag"] = etag(plan)
    return plan


@router.post(
    "/plans/{plan_id}/next-year",
    response={201: PlanVersionOut, **WRITE_ERRORS},
    summary="Start next year's draft: a copy of the approved version with every row (the approved version stays "
    "approved until the new one is)",
)
def next_year(request, plan_id: int, response: HttpResponse):
    restricted(request, PlanVersion, ADD)
    plan = _plan(request, CHANGE, plan_id)
    version = _reload_version(services.start_next_year(plan, request.user))
    response["ETag"] = etag(version)
    return Status(201, _version_out(version))


@router.get(
    "/plans/{plan_id}/compare",
    response={200: PlanCompareOut, **ERRORS},
    summary="Two versions compared: what was added, changed and dropped, section by section",
)
def compare_versions(request, plan_id: int, query: Query[PlanCompareQuery]):
    plan = _plan(request, VIEW, plan_id)
    newest = max(v.number for v in plan.versions.all())
    newer = query.to_version or newest
    older = query.from_version or max(1, newer - 1)
    a, b = _version(plan, older), _version(plan, newer)
    sections = []
    for key, section in diff_versions(a, b).items():
        sections.append(
            {
                "key": key,
                "added": [_entry(value) for value in section["added"]],
                "changed": [
                    {"before": _entry(before), "after": _entry(after), "fields": [_api_name(f) for f in fields]}
                    for before, after, fields in section["changed"]
                ],
                "dropped": [_entry(value) for value in section["dropped"]],
            }
        )
    changed = [s["key"] for s in sections if s["added"] or s["changed"] or s["dropped"]]
    return {"from_version": a.number, "to_version": b.number, "changed_sections": changed, "sections": sections}


# Versions ---------------------------------------------------------------------------------------------------------


@router.get(
    "/plans/{plan_id}/versions/{number}",
    response={200: PlanVersionOut, **ERRORS},
    summary="One version: its text sections and every row",
)
def get_version(request, plan_id: int, number: int, response: HttpResponse):
    plan = _plan(request, VIEW, plan_id)
    restricted(request, PlanVersion, VIEW)
    version = _version(plan, number)
    response["ETag"] = etag(version)
    return _version_out(version)


@router.patch(
    "/plans/{plan_id}/versions/{number}",
    response={200: PlanVersionOut, **WRITE_ERRORS},
    summary="Change the version's text sections (a draft or a version in review; If-Match or version required)",
)
def update_version(request, plan_id: int, number: int, payload: PlanVersionPatch, response: HttpResponse):
    plan = _plan(request, CHANGE, plan_id)
    restricted(request, PlanVersion, CHANGE)
    version = _version(plan, number)
    data = payload.dict(exclude_unset=True)
    expected = expected_version(request, data.pop("version", None))
    version = services.update_version(version, data, request.user, expected_version=expected)
    version = _reload_version(version)
    response["ETag"] = etag(version)
    return _version_out(version)


@router.get(
    "/plans/{plan_id}/versions/{number}/quality",
    response={200: PlanQualityOut, **ERRORS},
    summary="The version's quality score and what fails, today",
)
def version_quality(request, plan_id: int, number: int):
    plan = _plan(request, VIEW, plan_id)
    restricted(request, PlanVersion, VIEW)
    version = _version(plan, number)
    report = quality.evaluate(version, timezone.localdate())
    findings = []
    for finding in report.findings:
        item = finding.item
        kind = next((k for k, model in ITEM_KINDS.items() if isinstance(item, model)), "version")
        findings.append({"rule": finding.rule, "message": finding.message, "item_kind": kind, "item_id": item.pk})
    return {
        "number": version.number,
        "score": report.score,
        "checks": report.checks,
        "passed": report.passed,
        "findings": findings,
    }


def _workflow(request, plan_id: int, number: int, action=CHANGE):
    plan = _plan(request, action, plan_id)
    restricted(request, PlanVersion, action)
    return plan, _version(plan, number)


@router.post(
    "/plans/{plan_id}/versions/{number}/submit",
    response={200: PlanVersionSummaryOut, **WRITE_ERRORS},
    summary="Send a draft for approval (If-Match or version: checked when sent)",
)
def submit_version(request, plan_id: int, number: int, response: HttpResponse, payload: PlanWorkflowIn | None = None):
    plan, version = _workflow(request, plan_id, number)
    expected = optional_version(request, payload.version if payload else None)
    version = _reload_version(services.submit(version, request.user, expected_version=expected))
    response["ETag"] = etag(version)
    return version


@router.post(
    "/plans/{plan_id}/versions/{number}/approve",
    response={200: PlanVersionSummaryOut, **WRITE_ERRORS},
    summary="Approve a version in review (the account's team leader, the programme lead or an administrator): it is "
    "frozen from then on, and the version approved before is superseded",
)
def approve_version(request, plan_id: int, number: int, response: HttpResponse, payload: PlanWorkflowIn | None = None):
    plan, version = _workflow(request, plan_id, number, APPROVE)
    _require_approver(request, plan, "approves a plan")
    expected = optional_version(request, payload.version if payload else None)
    version = _reload_version(services.approve(version, request.user, expected_version=expected))
    response["ETag"] = etag(version)
    return version


@router.post(
    "/plans/{plan_id}/versions/{number}/return-to-draft",
    response={200: PlanVersionSummaryOut, **WRITE_ERRORS},
    summary="Send a version in review back to draft, saying what to change (the account's team leader, the programme "
    "lead or an administrator)",
)
def return_version(request, plan_id: int, number: int, payload: PlanReturnIn, response: HttpResponse):
    plan, version = _workflow(request, plan_id, number, APPROVE)
    _require_approver(request, plan, "returns a plan to draft")
    expected = optional_version(request, payload.version)
    version = services.return_to_draft(version, request.user, payload.note, expected_version=expected)
    version = _reload_version(version)
    response["ETag"] = etag(version)
    return version


# Rows -------------------------------------------------------------------------------------------------------------


@router.post(
    "/plans/{plan_id}/versions/{number}/items/{kind}",
    response={201: PlanItemOut, **WRITE_ERRORS},
    summary="Add a row to a draft (or a version in review). The body is the kind's: PlanObjectiveIn, PlanKpiIn, "
    "PlanTargetIn, PlanActionIn, PlanRiskIn or PlanOpportunityIn",
)
def add_item(request, plan_id: int, number: int, kind: KindPath, response: HttpResponse, payload: Body[dict]):
    singular = PLURALS[kind]
    restricted(request, ITEM_KINDS[singular], ADD)
    plan = _plan(request, CHANGE, plan_id)
    version = _version(plan, number)
    data, _ = _item_body(singular, payload, adding=True)
    with api_field_names(_api_name):
        item = services.save_item(version, singular, data, request.user)
    response["ETag"] = etag(item)
    return Status(201, ITEM_OUT[singular].from_orm(item))


@router.patch(
    "/plan-items/{kind}/{item_id}",
    response={200: PlanItemOut, **WRITE_ERRORS},
    summary="Change a row (If-Match or version required); the body is the kind's, any of its fields",
)
def update_item(request, kind: KindPath, item_id: int, response: HttpResponse, payload: Body[dict]):
    singular = PLURALS[kind]
    item, version = _item(request, kind, item_id, CHANGE)
    data, body_version = _item_body(singular, payload, adding=False)
    expected = expected_version(request, body_version)
    with api_field_names(_api_name):
        item = services.save_item(version, singular, data, request.user, item=item, expected_version=expected)
    response["ETag"] = etag(item)
    return ITEM_OUT[singular].from_orm(item)


class PlanEvaluationIn(InputSchema):
    achieved: bool | None = Field(description="Reached (true), missed (false) or not evaluated (null).")
    version: int | None = Field(None, description="The objective's row version you read (or If-Match).")


@router.post(
    "/plan-items/objectives/{item_id}/evaluate",
    response={200: PlanObjectiveOut, **WRITE_ERRORS},
    summary="The year-end evaluation of one of our goals, approved versions included (If-Match or version required)",
)
def evaluate_objective(request, item_id: int, payload: PlanEvaluationIn, response: HttpResponse):
    objective, _version = _item(request, "objectives", item_id, CHANGE)
    expected = expected_version(request, payload.version)
    objective = services.evaluate_objective(objective, payload.achieved, request.user, expected_version=expected)
    response["ETag"] = etag(objective)
    return PlanObjectiveOut.from_orm(objective)


@router.delete(
    "/plan-items/{kind}/{item_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a row of a draft (a KPI goes with its targets, an objective with its KPIs); If-Match checked "
    "when sent",
)
def delete_item(request, kind: KindPath, item_id: int):
    item, version = _item(request, kind, item_id, DELETE)
    expected = optional_version(request, None)
    services.delete_item(version, item, request.user, expected_version=expected)
    return Status(204, None)


__all__ = ["router"]
