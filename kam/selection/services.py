"""Every write of the selection workbench goes through here: pages, API, jobs and the generators."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.core.context import acting_as
from kam.core.jobs import enqueue_on_commit
from kam.core.permissions import ADD, CHANGE, has_global_scope, role_allows
from kam.core.services import assign, lock_for_update
from kam.selection import engine
from kam.selection.choices import DesignationKind, DesignationStatus, RunStatus, Segment
from kam.selection.config import clean_criteria
from kam.selection.models import (
    AccountRating,
    KeyAccountDesignation,
    ScoringModel,
    SelectionResult,
    SelectionRun,
    default_quadrant_names,
)

logger = logging.getLogger(__name__)

QUADRANTS = (Segment.STRATEGIC, Segment.DEVELOP, Segment.MAINTAIN, Segment.SERVE_EFFICIENTLY)


def _clean_quadrant_names(names) -> dict:
    names = names or {}
    if not isinstance(names, dict):
        raise ValidationError({"quadrant_names": "Give the quadrant names as {segment: name}."})
    cleaned = default_quadrant_names()
    for key, value in names.items():
        if key not in QUADRANTS:
            raise ValidationError({"quadrant_names": f"“{key}” is not a quadrant ({', '.join(QUADRANTS)})."})
        value = str(value or "").strip()
        if len(value) > 40:
            raise ValidationError({"quadrant_names": f"“{value[:40]}…” is longer than 40 characters."})
        if value:
            cleaned[key] = value
    return cleaned


def _clean_model(model: ScoringModel):
    try:
        model.criteria = clean_criteria(model.criteria)
    except ValidationError as error:
        raise ValidationError({"criteria": error.messages}) from None
    model.quadrant_names = _clean_quadrant_names(model.quadrant_names)
    if model.as_of is not None:
        model.as_of = model.as_of.replace(day=1)
    for name in ("pop_threshold", "wallet_threshold"):
        value = getattr(model, name)
        if value is not None and value < 0:
            raise ValidationError({name: "A threshold cannot be negative: leave it blank to use the median."})
    model.full_clean()


@transaction.atomic
def create_model(**data) -> ScoringModel:
    model = ScoringModel(**data)
    _clean_model(model)
    model.save()
    return model


@transaction.atomic
def update_model(model: ScoringModel, data: dict, expected_version: int | None = None) -> ScoringModel:
    model = lock_for_update(model, expected_version)
    assign(model, data)
    _clean_model(model)
    model.save()
    return model


@transaction.atomic
def delete_model(model: ScoringModel, expected_version: int | None = None):
    model = lock_for_update(model, expected_version)
    model.delete()  # its runs stay, with the model's name and version


def snapshot_config(model: ScoringModel) -> dict:
    return {
        "criteria": model.criteria,
        "as_of": model.as_of.isoformat() if model.as_of else None,
        "pop_basis": model.pop_basis,
        "pop_threshold": None if model.pop_threshold is None else str(model.pop_threshold),
        "wallet_threshold": None if model.wallet_threshold is None else str(model.wallet_threshold),
        "quadrant_names": model.quadrant_names,
    }


@transaction.atomic
def start_run(model: ScoringModel, user) -> SelectionRun:
    """Queue a run of the model as it is now; the worker computes it (`execute_run`)."""
    from kam.selection.tasks import run_selection

    model = ScoringModel.objects.get(pk=model.pk)  # the stored version, whatever the caller holds
    try:
        clean_criteria(model.criteria)
    except ValidationError as error:
        raise ValidationError({"criteria": error.messages}) from None
    run = SelectionRun.objects.create(
        scoring_model=model,
        model_name=model.name,
        model_version=model.version,
        config=snapshot_config(model),
        created_by=user,
    )
    enqueue_on_commit(run_selection, run.pk)
    return run


def runs_inline() -> bool:
    """Whether a run started from a page is computed in the request: yes below KAM_SELECTION_INLINE_ACCOUNTS
    top-level accounts (a fraction of a second), otherwise the worker computes it and the page shows progress."""
    limit = getattr(settings, "KAM_SELECTION_INLINE_ACCOUNTS", 5000)
    return Account.objects.filter(parent__isnull=True).count() <= limit


def execute_run(run_id: int) -> SelectionRun:
    """Compute one run. Idempotent: a finished run is left as it is; an interrupted one is computed again."""
    run = SelectionRun.objects.select_related("created_by").filter(pk=run_id).first()
    if run is None:
        logger.info("Selection run %s was deleted before it ran", run_id)
        return None
    if run.status in (RunStatus.DONE, RunStatus.FAILED):
        return run
    SelectionRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=10, started_at=timezone.now())
    with acting_as(run.created_by, source="job"):
        run.refresh_from_db()
        try:
            plan = engine.make_plan(run.config)
            SelectionRun.objects.filter(pk=run.pk).update(progress=30, as_of=plan.as_of)
            outcome = engine.compute(run.pk, plan)
        except engine.RunError as error:
            return _finish(run, status=RunStatus.FAILED, message=str(error))
        except Exception:
            logger.exception("Selection run %s failed", run.pk)
            return _finish(
                run,
                status=RunStatus.FAILED,
                message="The computation failed unexpectedly; the error is in the worker's log. Nothing was kept.",
            )
        return _finish(
            run,
            status=RunStatus.DONE,
            as_of=plan.as_of,
            population=outcome.population,
            classified=outcome.classified,
            pop_threshold=outcome.pop_threshold,
            wallet_threshold=outcome.wallet_threshold,
            segment_totals=outcome.segment_totals,
            warnings=outcome.warnings,
            duration_ms=round(outcome.seconds * 1000),
        )


def _finish(run: SelectionRun, **values) -> SelectionRun:
    if values.get("status") == RunStatus.FAILED:
        SelectionResult.objects.filter(run=run).delete()
    run.refresh_from_db()
    assign(run, {"progress": 100, "finished_at": timezone.now(), **values})
    run.save()
    run.refresh_from_db()  # the stored values (thresholds rounded to the column's scale), as every reader sees them
    return run


@transaction.atomic
def delete_run(run: SelectionRun):
    run = lock_for_update(run, None)
    if run.status == RunStatus.RUNNING:  # a queued run may go: the worker skips a run that no longer exists
        raise ValidationError("This run is still being computed: delete it when it has finished.")
    run.delete()


# Ratings ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def set_rating(account: Account, attribute: str, value: int, user, note: str = "") -> AccountRating:
    # Two first ratings of the same attribute at once would both create: the account's row lock serialises them.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    rating = AccountRating.objects.filter(account=account, attribute=attribute).first()
    if rating is None:
        rating = AccountRating(account=account, attribute=attribute)
    rating.value, rating.note, rating.rated_by = value, note, user
    rating.full_clean()
    rating.save()
    return rating


@transaction.atomic
def delete_rating(rating: AccountRating):
    rating.delete()


# Designation -----------------------------------------------------------------------------------------------------


def _require_decider(user):
    if not (role_allows(user, CHANGE, KeyAccountDesignation) and has_global_scope(user)):
        raise PermissionDenied("Only the programme lead or an administrator decides on key accounts.")


def _result_for(run: SelectionRun | None, account: Account):
    if run is None:
        return None
    return SelectionResult.objects.filter(run=run, account=account).first()


@transaction.atomic
def propose(account: Account, user, reason: str, *, kind=DesignationKind.DESIGNATE, run=None) -> KeyAccountDesignation:
    """Propose making the account a key account (or removing it). One open proposal per account."""
    if not role_allows(user, ADD, KeyAccountDesignation):
        raise PermissionDenied("Your role may not propose key accounts.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why: the reason is what the decision will rest on."})
    account = Account.objects.select_for_update().get(pk=account.pk)
    if kind == DesignationKind.DESIGNATE and account.is_key_account:
        raise ValidationError({"account": f"{account} is already a key account."})
    if kind == DesignationKind.DE_DESIGNATE and not account.is_key_account:
        raise ValidationError({"account": f"{account} is not a key account."})
    if KeyAccountDesignation.objects.filter(account=account, status=DesignationStatus.PROPOSED).exists():
        raise ValidationError({"account": f"{account} already has an open proposal: decide on that one first."})
    result = _result_for(run, account)
    return KeyAccountDesignation.objects.create(
        account=account,
        kind=kind,
        reason=reason,
        run=run,
        rank=result.rank if result else None,
        score=result.score if result else None,
        segment=result.segment if result else "",
        proposed_by=user,
    )


def propose_from_run(run: SelectionRun, accounts, user, reason: str) -> tuple[list, list[str]]:
    """Propose several accounts of a run; returns (proposals, messages for those that were skipped)."""
    proposals, skipped = [], []
    for account in accounts:
        try:
            proposals.append(propose(account, user, reason, run=run))
        except ValidationError as error:
            skipped.extend(error.messages)
    return proposals, skipped


@transaction.atomic
def decide(designation: KeyAccountDesignation, user, *, approve: bool, note: str = "") -> KeyAccountDesignation:
    _require_decider(user)
    designation = lock_for_update(designation, None)
    if designation.status != DesignationStatus.PROPOSED:
        raise ValidationError(f"This proposal is already {designation.get_status_display().lower()}.")
    if not approve and not note.strip():
        raise ValidationError({"decision_note": "Say why the proposal is rejected."})
    designation.status = DesignationStatus.APPROVED if approve else DesignationStatus.REJECTED
    designation.decided_by, designation.decided_at, designation.decision_note = user, timezone.now(), note.strip()
    designation.save()
    if approve:
        _set_key_account(designation.account, designation.kind == DesignationKind.DESIGNATE)
    return designation


@transaction.atomic
def withdraw(designation: KeyAccountDesignation, user) -> KeyAccountDesignation:
    designation = lock_for_update(designation, None)
    if designation.status != DesignationStatus.PROPOSED:
        raise ValidationError(f"This proposal is already {designation.get_status_display().lower()}.")
    if designation.proposed_by_id != user.pk and not has_global_scope(user):
        raise PermissionDenied("Only the person who proposed it, or the programme lead, may withdraw a proposal.")
    designation.status = DesignationStatus.WITHDRAWN
    designation.decided_by, designation.decided_at = user, timezone.now()
    designation.save()
    return designation


@transaction.atomic
def de_designate(account: Account, user, reason: str, *, run=None) -> KeyAccountDesignation:
    """The programme lead removes a key account directly; the decision is recorded with its reason."""
    _require_decider(user)
    designation = propose(account, user, reason, kind=DesignationKind.DE_DESIGNATE, run=run)
    return decide(designation, user, approve=True, note=reason)


def _set_key_account(account: Account, value: bool):
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.is_key_account != value:
        account.is_key_account = value
        account.save()
