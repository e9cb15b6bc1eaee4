"""The selection workbench over REST: scoring models, runs and their ranked results and analyses, ratings and the
designation of key accounts. Every write goes through kam.selection.services; every read and write asks the
permission choke point (`restricted` / `get_restricted`) first."""

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import Field, field_validator

from kam.accounts.api import Pagination
from kam.accounts.models import Account
from kam.core.api import (
    ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    InputSchema,
    etag,
    expected_version,
    filtered,
    get_restricted,
    restricted,
)
from kam.core.permissions import ADD, CHANGE, DELETE, VIEW
from kam.selection import analysis, services
from kam.selection.choices import DesignationKind, RunStatus
from kam.selection.config import default_criteria
from kam.selection.filtersets import DesignationFilterSet, RatingFilterSet, ResultFilterSet, RunFilterSet
from kam.selection.models import AccountRating, KeyAccountDesignation, ScoringModel, SelectionResult, SelectionRun

router = Router(tags=["selection"])

READ_ERRORS = {**ERRORS, 409: ErrorOut}  # 409: the run has not finished (or failed)

NormalisationLiteral = Literal["min_max", "percentile", "bands"]
DirectionLiteral = Literal["higher", "lower"]
PopBasisLiteral = Literal["headroom", "full_wallet"]
SegmentLiteral = Literal["strategic", "develop", "maintain", "serve_efficiently", "unclassified"]
AttributeLiteral = Literal["market_leader", "innovation_partner", "reference_value", "complexity"]
MONTH = r"^[12][0-9]{3}-(0[1-9]|1[0-2])$"
MONTH_HELP = 'As-of month "YYYY-MM"; null: the latest month in the facts.'
# Bounded digits: "1e999999999" is a finite number whose plain notation has a billion digits.
Weight = Annotated[Decimal, Field(max_digits=20)]
Band = Annotated[Decimal, Field(max_digits=32)]


def _month_text(value: dt.date | None) -> str | None:
    return f"{value:%Y-%m}" if value else None


def _month(text: str | None) -> dt.date | None:
    return None if text is None else dt.date(int(text[:4]), int(text[5:7]), 1)


# Scoring models ------------------------------------------------------------------------------------------------


class CriterionIn(InputSchema):
    criterion: str = Field(max_length=40, description="A criterion key, e.g. revenue_t12m (see the user guide).")
    weight: Weight = Field(description="Relative weight, 0–1000; scores use weight / Σ weights.")
    normalisation: NormalisationLiteral = "min_max"
    direction: DirectionLiteral = "higher"
    bands: list[Band] = Field([], max_length=100, description="Rising thresholds, for banded normalisation.")


class CriterionOut(Schema):
    criterion: str
    weight: Decimal
    normalisation: str
    direction: str
    bands: list[Decimal]


class ScoringModelOut(Schema):
    id: int
    name: str
    description: str
    criteria: list[CriterionOut]
    as_of: str | None
    pop_basis: str
    pop_threshold: Decimal | None
    wallet_threshold: Decimal | None
    quadrant_names: dict[str, str]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_as_of(obj):
        return _month_text(obj.as_of)


def _no_nul_in_names(names):
    if names and any("\x00" in f"{key}{value}" for key, value in names.items()):
        raise ValueError("must not contain NUL (0x00) characters")
    return names


class ScoringModelIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=5000)
    criteria: list[CriterionIn] | None = Field(
        None, max_length=50, description="Omitted: the default selection score (DEFINITIONS §7)."
    )
    as_of: str | None = Field(None, pattern=MONTH, description=MONTH_HELP)
    pop_basis: PopBasisLiteral = "headroom"
    pop_threshold: Decimal | None = Field(None, description="EUR; null: the median of the classified accounts.")
    wallet_threshold: Decimal | None = Field(None, description="EUR; null: the median of the classified accounts.")
    quadrant_names: dict[str, str] | None = Field(None, description="{segment: name}; omitted segments keep theirs.")

    _names = field_validator("quadrant_names")(_no_nul_in_names)


class ScoringModelPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=5000)
    criteria: list[CriterionIn] | None = Field(None, max_length=50)
    as_of: str | None = Field(None, pattern=MONTH, description=MONTH_HELP)
    pop_basis: PopBasisLiteral | None = None
    pop_threshold: Decimal | None = None
    wallet_threshold: Decimal | None = None
    quadrant_names: dict[str, str] | None = None
    version: int | None = Field(None, description="The version you read; or send If-Match.")

    _names = field_validator("quadrant_names")(_no_nul_in_names)


def _model_data(data: dict) -> dict:
    """The request's fields as the services take them (criteria as stored text, the month as a date)."""
    data = dict(data)
    if "criteria" in data:
        if data["criteria"] is None:
            raise ValidationError({"criteria": "Add at least one criterion."})
        data["criteria"] = [
            {
                "criterion": item["criterion"],
                "weight": str(item["weight"]),
                "normalisation": item["normalisation"],
                "direction": item["direction"],
                "bands": [str(band) for band in item["bands"]],
            }
            for item in data["criteria"]
        ]
    if "as_of" in data:
        data["as_of"] = _month(data["as_of"])
    for key in ("name", "description", "pop_basis"):
        if key in data and data[key] is None:
            raise ValidationError({key: "This field cannot be null."})
    return data


@router.get("/models", response={200: list[ScoringModelOut], **ERRORS}, summary="List scoring models")
@paginate(Pagination)
def list_models(request):
    return restricted(request, ScoringModel, VIEW)


@router.post("/models", response={201: ScoringModelOut, **WRITE_ERRORS}, summary="Create a scoring model")
def create_model(request, payload: ScoringModelIn):
    restricted(request, ScoringModel, ADD)
    data = payload.dict()
    if data["criteria"] is None:
        data["criteria"] = default_criteria()
    model = services.create_model(**_model_data(data))
    return Status(201, model)


@router.get(
    "/models/{model_id}", response={200: ScoringModelOut, **ERRORS}, summary="One scoring model (ETag = version)"
)
def get_model(request, model_id: int, response: HttpResponse):
    model = get_restricted(request, ScoringModel, VIEW, model_id)
    response["ETag"] = etag(model)
    return model


@router.patch(
    "/models/{model_id}",
    response={200: ScoringModelOut, **WRITE_ERRORS},
    summary="Update a scoring model (If-Match or version required); earlier runs keep the version they used",
)
def update_model(request, model_id: int, payload: ScoringModelPatch, response: HttpResponse):
    model = get_restricted(request, ScoringModel, CHANGE, model_id)
    data = payload.dict(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    if payload.criteria is not None:  # whole rows, with their defaults (exclude_unset drops those)
        data["criteria"] = [item.dict() for item in payload.criteria]
    model = services.update_model(model, _model_data(data), expected_version=version)
    response["ETag"] = etag(model)
    return model


@router.delete(
    "/models/{model_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a scoring model (its runs stay)"
)
def delete_model(request, model_id: int):
    model = get_restricted(request, ScoringModel, DELETE, model_id)
    version = expected_version(request, None) if request.headers.get("If-Match") else None
    services.delete_model(model, expected_version=version)
    return Status(204, None)


# Runs ----------------------------------------------------------------------------------------------------------


class ThresholdsOut(Schema):
    pop_basis: str | None
    pop_threshold: Decimal | None
    wallet_threshold: Decimal | None


def _thresholds(run: SelectionRun) -> dict:
    return {
        "pop_basis": run.config.get("pop_basis"),
        "pop_threshold": run.pop_threshold,
        "wallet_threshold": run.wallet_threshold,
    }


class RunOut(Schema):
    id: int
    scoring_model_id: int | None
    model_name: str
    model_version: int
    status: str
    progress: int
    message: str
    warnings: list
    as_of: str | None
    population: int
    classified: int
    thresholds: ThresholdsOut
    segment_counts: dict
    config: dict
    created_by_id: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_ms: int | None

    @staticmethod
    def resolve_as_of(obj):
        return _month_text(obj.as_of)

    @staticmethod
    def resolve_thresholds(obj):
        return _thresholds(obj)


class RunFilters(Schema):
    scoring_model: int | None = Field(None, ge=1, le=2**63 - 1)
    status: Literal["queued", "running", "done", "failed"] | None = None


def _done_run(request, run_id: int) -> SelectionRun:
    run = get_restricted(request, SelectionRun, VIEW, run_id)
    if run.status != RunStatus.DONE:
        detail = run.message if run.status == RunStatus.FAILED else "wait until it is done"
        raise HttpError(409, f"The run is {run.get_status_display().lower()}: {detail}")
    return run


@router.post(
    "/models/{model_id}/runs",
    response={202: RunOut, **WRITE_ERRORS},
    summary="Run the model as it is now; the worker computes it (poll the run for its status)",
)
def start_run(request, model_id: int):
    model = get_restricted(request, ScoringModel, VIEW, model_id)
    restricted(request, SelectionRun, ADD)
    return Status(202, services.start_run(model, request.user))


@router.get("/runs", response={200: list[RunOut], **ERRORS}, summary="List selection runs, newest first")
@paginate(Pagination)
def list_runs(request, filters: Query[RunFilters]):
    return filtered(request, RunFilterSet, restricted(request, SelectionRun, VIEW), filters)


@router.get("/runs/{run_id}", response={200: RunOut, **ERRORS}, summary="One run: status, progress, summary")
def get_run(request, run_id: int):
    return get_restricted(request, SelectionRun, VIEW, run_id)


@router.delete(
    "/runs/{run_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a run and its results (not while running)"
)
def delete_run(request, run_id: int):
    run = get_restricted(request, SelectionRun, DELETE, run_id)
    if run.status == RunStatus.RUNNING:
        raise HttpError(409, "The run is being computed: delete it once it is done.")
    services.delete_run(run)
    return Status(204, None)


class AccountRef(Schema):
    id: int
    name: str
    account_number: str
    is_key_account: bool


class ContributionOut(Schema):
    value: Decimal | None = Field(description="The criterion's figure (the result column of the same name).")
    normalised: Decimal | None = Field(description="0–1.")
    points: Decimal | None = Field(description="100 × weight × normalised / Σ weights: the share of the score.")


class ResultOut(Schema):
    rank: int
    score: Decimal
    segment: str
    segment_name: str
    account: AccountRef
    was_key_account: bool
    revenue_t12m: Decimal | None
    gross_profit_t12m: Decimal | None
    revenue_p12m: Decimal | None
    gross_margin: Decimal | None
    growth_yoy: Decimal | None
    growth_cagr: Decimal | None
    wallet: Decimal | None
    share_of_wallet: Decimal | None
    wallet_headroom: Decimal | None
    potential_operating_profit: Decimal | None
    product_lines: int | None
    countries: int | None
    subsidiaries: int | None
    market_leader: int | None
    innovation_partner: int | None
    reference_value: int | None
    complexity: int | None
    contributions: dict[str, ContributionOut]

    @staticmethod
    def resolve_segment_name(obj):
        return obj.run.quadrant_name(obj.segment)

    @staticmethod
    def resolve_contributions(obj: SelectionResult):
        return {
            criterion: {"value": getattr(obj, criterion, None), "normalised": item["n"], "points": item["c"]}
            for criterion, item in obj.contributions.items()
        }


class ResultFilters(Schema):
    segment: SegmentLiteral | None = None
    q: str | None = Field(None, max_length=200, description="Search account name or number")
    key_account: bool | None = Field(None, description="Is a key account today")


@router.get(
    "/runs/{run_id}/results",
    response={200: list[ResultOut], **READ_ERRORS},
    summary="A finished run's ranked results, best first, with each criterion's contribution",
)
@paginate(Pagination)
def list_results(request, run_id: int, filters: Query[ResultFilters]):
    run = _done_run(request, run_id)
    # Through the run's manager, each row knows its run (its config gives the contributions and the quadrant names)
    # without a join: one query a page, and the (run, rank) index read in order (a join made SQLite sort every result).
    restricted(request, SelectionResult, VIEW)  # the choke point: 403 for the roles without the workbench
    results = run.results.restrict(request.user, VIEW).select_related("account").order_by("rank")
    return filtered(request, ResultFilterSet, results, filters)


class SegmentRowOut(Schema):
    segment: str
    name: str
    accounts: int
    key_accounts: int
    revenue: Decimal | None
    wallet: Decimal | None
    potential_operating_profit: Decimal | None
    share_of_accounts: Decimal | None
    share_of_pop: Decimal | None


class SegmentsOut(Schema):
    run_id: int
    population: int
    classified: int
    thresholds: ThresholdsOut
    segments: list[SegmentRowOut]


@router.get(
    "/runs/{run_id}/segments",
    response={200: SegmentsOut, **READ_ERRORS},
    summary="Accounts, key accounts, revenue, wallet and potential operating profit per segment",
)
def run_segments(request, run_id: int):
    run = _done_run(request, run_id)
    return {
        "run_id": run.pk,
        "population": run.population,
        "classified": run.classified,
        "thresholds": _thresholds(run),
        "segments": [dataclasses.asdict(row) for row in analysis.segment_table(run)],
    }


class MatrixPointOut(Schema):
    account: AccountRef
    rank: int
    score: Decimal
    segment: str
    wallet: Decimal | None
    potential_operating_profit: Decimal | None
    revenue_t12m: Decimal | None


class MatrixOut(Schema):
    run_id: int
    thresholds: ThresholdsOut
    quadrant_names: dict[str, str]
    points: list[MatrixPointOut]


@router.get(
    "/runs/{run_id}/matrix",
    response={200: MatrixOut, **READ_ERRORS},
    summary=f"The segmentation matrix: wallet × potential operating profit of the best {analysis.MATRIX_POINTS} "
    "classified accounts",
)
def run_matrix(request, run_id: int):
    run = _done_run(request, run_id)
    points = [
        {
            "account": {
                "id": p["account_id"],
                "name": p["account__name"],
                "account_number": p["account__account_number"],
                "is_key_account": p["account__is_key_account"],
            },
            **{k: p[k] for k in ("rank", "score", "segment", "wallet", "potential_operating_profit", "revenue_t12m")},
        }
        for p in analysis.matrix_points(run)
    ]
    names = {segment: run.quadrant_name(segment) for segment in analysis.SEGMENT_ORDER}
    return {"run_id": run.pk, "thresholds": _thresholds(run), "quadrant_names": names, "points": points}


class CapacityQuery(Schema):
    managers: int | None = Field(
        None, ge=0, le=10_000, description="Key account managers; default: the active users with that role."
    )
    low: int = Field(analysis.DEFAULT_CAPACITY[0], ge=1, le=50, description="Key accounts per manager, at least")
    high: int = Field(analysis.DEFAULT_CAPACITY[1], ge=1, le=50, description="Key accounts per manager, at most")


class CurvePointOut(Schema):
    count: int
    account_id: int
    account_name: str
    marginal: Decimal
    covered: Decimal
    share: Decimal | None


class CapacityOut(Schema):
    run_id: int
    managers: int
    per_manager_low: int
    per_manager_high: int
    recommended_low: int
    recommended_high: int
    total_pop: Decimal
    curve: list[CurvePointOut]


@router.get(
    "/runs/{run_id}/capacity",
    response={200: CapacityOut, **READ_ERRORS},
    summary="How many key accounts the team can carry, and the potential operating profit the first n cover",
)
def run_capacity(request, run_id: int, params: Query[CapacityQuery]):
    run = _done_run(request, run_id)
    if params.low > params.high:
        raise ValidationError({"high": f"high ({params.high}) must be at least low ({params.low})."})
    result = analysis.capacity(run, managers=params.managers, low=params.low, high=params.high)
    return {"run_id": run.pk, **dataclasses.asdict(result)}


class RankedOut(Schema):
    account: AccountRef
    rank: int
    score: Decimal
    segment: str


class DropOut(Schema):
    account: AccountRef
    rank: int | None
    score: Decimal | None
    segment: str | None


class SegmentChangeOut(RankedOut):
    previous_segment: str


class RetieringOut(Schema):
    run_id: int
    previous_run_id: int | None
    top: int
    enters: list[RankedOut]
    drops: list[DropOut]
    segment_changes: list[SegmentChangeOut]


def _ranked(result: SelectionResult) -> dict:
    return {"account": result.account, "rank": result.rank, "score": result.score, "segment": result.segment}


@router.get(
    "/runs/{run_id}/retiering",
    response={200: RetieringOut, **READ_ERRORS},
    summary="Compare the ranking with today's key accounts: who enters the top, who drops out, who changed segment",
)
def run_retiering(
    request,
    run_id: int,
    top: int | None = Query(None, ge=1, le=1_000_000, description="Default: as many as there are key accounts"),
):
    run = _done_run(request, run_id)
    result = analysis.retiering(run, top=top)
    return {
        "run_id": run.pk,
        "previous_run_id": result.previous.pk if result.previous else None,
        "top": result.top,
        "enters": [_ranked(row) for row in result.enters],
        "drops": [
            {
                "account": account,
                "rank": row.rank if row else None,
                "score": row.score if row else None,
                "segment": row.segment if row else None,
            }
            for account, row in result.drops
        ],
        "segment_changes": [{**_ranked(row), "previous_segment": before} for row, before in result.segment_changes],
    }


# Ratings -------------------------------------------------------------------------------------------------------


class RatingOut(Schema):
    id: int
    account: AccountRef
    attribute: str
    value: int
    note: str
    rated_by_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RatingIn(InputSchema):
    account_id: int
    attribute: AttributeLiteral
    value: int = Field(ge=1, le=5, description="1 (low) to 5 (high)")
    note: str = Field("", max_length=5000, description="The evidence behind the rating")


class RatingFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Search account name or number")
    account: int | None = Field(None, ge=1, le=2**63 - 1)
    attribute: AttributeLiteral | None = None


@router.get("/ratings", response={200: list[RatingOut], **ERRORS}, summary="Ratings of the accounts you see")
@paginate(Pagination)
def list_ratings(request, filters: Query[RatingFilters]):
    ratings = restricted(request, AccountRating, VIEW).select_related("account")
    return filtered(request, RatingFilterSet, ratings, filters)


@router.put(
    "/ratings",
    response={200: RatingOut, **WRITE_ERRORS},
    summary="Rate an account (1–5) on one attribute; replaces that attribute's rating",
)
def set_rating(request, payload: RatingIn):
    existing = AccountRating.objects.filter(account_id=payload.account_id, attribute=payload.attribute).exists()
    restricted(request, AccountRating, CHANGE if existing else ADD)
    account = get_restricted(request, Account, VIEW, payload.account_id)
    rating = services.set_rating(account, payload.attribute, payload.value, request.user, note=payload.note.strip())
    return AccountRating.objects.select_related("account").get(pk=rating.pk)


@router.delete("/ratings/{rating_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a rating")
def delete_rating(request, rating_id: int):
    services.delete_rating(get_restricted(request, AccountRating, DELETE, rating_id))
    return Status(204, None)


# Designation ---------------------------------------------------------------------------------------------------


class DesignationOut(Schema):
    id: int
    account: AccountRef
    kind: str
    status: str
    reason: str
    run_id: int | None
    rank: int | None
    score: Decimal | None
    segment: str
    proposed_by_id: int | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DesignationIn(InputSchema):
    account_id: int
    kind: Literal["designate", "de_designate"] = DesignationKind.DESIGNATE.value
    reason: str = Field(max_length=5000, description="Why: the rationale the decision will rest on")
    run_id: int | None = Field(None, description="The run the proposal comes from (its rank, score and segment)")


class DecisionIn(InputSchema):
    note: str = Field("", max_length=5000)


class RejectionIn(InputSchema):
    note: str = Field("", max_length=5000, description="Why the proposal is rejected (required)")


class DeDesignationIn(InputSchema):
    reason: str = Field(max_length=5000)
    run_id: int | None = None


class DesignationFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Search account name or number")
    status: Literal["proposed", "approved", "rejected", "withdrawn"] | None = None
    kind: Literal["designate", "de_designate"] | None = None
    account: int | None = Field(None, ge=1, le=2**63 - 1)


def _run_for(request, run_id: int | None) -> SelectionRun | None:
    if run_id is None:
        return None
    run = SelectionRun.objects.restrict(request.user, VIEW).filter(pk=run_id).first()
    if run is None:
        raise ValidationError({"run_id": "No such run (or not visible to you)."})
    return run


def _designation(designation: KeyAccountDesignation) -> KeyAccountDesignation:
    return KeyAccountDesignation.objects.select_related("account").get(pk=designation.pk)


@router.get(
    "/designations",
    response={200: list[DesignationOut], **ERRORS},
    summary="Key-account proposals and decisions of the accounts you see, newest first",
)
@paginate(Pagination)
def list_designations(request, filters: Query[DesignationFilters]):
    designations = restricted(request, KeyAccountDesignation, VIEW).select_related("account")
    return filtered(request, DesignationFilterSet, designations, filters)


@router.post(
    "/designations",
    response={201: DesignationOut, **WRITE_ERRORS},
    summary="Propose making an account a key account (or removing it); the programme lead decides",
)
def propose(request, payload: DesignationIn):
    restricted(request, KeyAccountDesignation, ADD)
    account = get_restricted(request, Account, VIEW, payload.account_id)
    run = _run_for(request, payload.run_id)
    designation = services.propose(account, request.user, payload.reason, kind=payload.kind, run=run)
    return Status(201, _designation(designation))


@router.post(
    "/designations/{designation_id}/approve",
    response={200: DesignationOut, **WRITE_ERRORS},
    summary="Approve a proposal (programme lead, administrator): the account's key-account flag changes",
)
def approve(request, designation_id: int, payload: DecisionIn | None = None):
    designation = get_restricted(request, KeyAccountDesignation, CHANGE, designation_id)
    note = payload.note if payload else ""
    return _designation(services.decide(designation, request.user, approve=True, note=note))


@router.post(
    "/designations/{designation_id}/reject",
    response={200: DesignationOut, **WRITE_ERRORS},
    summary="Reject a proposal, saying why (programme lead, administrator)",
)
def reject(request, designation_id: int, payload: RejectionIn):
    designation = get_restricted(request, KeyAccountDesignation, CHANGE, designation_id)
    try:
        designation = services.decide(designation, request.user, approve=False, note=payload.note)
    except ValidationError as error:
        if hasattr(error, "error_dict") and "decision_note" in error.error_dict:
            raise ValidationError({"note": error.message_dict["decision_note"]}) from None
        raise
    return _designation(designation)


@router.post(
    "/designations/{designation_id}/withdraw",
    response={200: DesignationOut, **WRITE_ERRORS},
    summary="Withdraw an open proposal (its proposer or the programme lead)",
)
def withdraw(request, designation_id: int):
    designation = get_restricted(request, KeyAccountDesignation, ADD, designation_id)
    return _designation(services.withdraw(designation, request.user))


@router.post(
    "/accounts/{account_id}/de-designate",
    response={201: DesignationOut, **WRITE_ERRORS},
    summary="Remove a key account directly (programme lead, administrator); recorded as an approved decision",
)
def de_designate(request, account_id: int, payload: DeDesignationIn):
    restricted(request, KeyAccountDesignation, CHANGE)
    account = get_restricted(request, Account, VIEW, account_id)
    run = _run_for(request, payload.run_id)
    return Status(201, _designation(services.de_designate(account, request.user, payload.reason, run=run)))


__all__ = ["router"]
