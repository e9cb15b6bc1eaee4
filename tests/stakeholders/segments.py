"""Give accounts a segment the way the programme reads it: a finished selection run with a result per account."""

from decimal import Decimal

from django.utils import timezone

from kam.selection.models import SelectionResult, SelectionRun


def segment_accounts(segments: dict):
    """A new finished selection run (the latest) with {account: segment}; accounts left out have no segment."""
    run = SelectionRun.objects.create(
        model_name="Test model", model_version=1, config={}, status="done", finished_at=timezone.now()
    )
    for rank, (account, segment) in enumerate(segments.items(), start=1):
        SelectionResult.objects.create(
            run=run, account=account, rank=rank, score=Decimal(1), segment=segment, was_key_account=True
        )
    return run
