import datetime as dt

from django.tasks import task
from django.utils import timezone

from kam.core.jobs import periodic


@task(queue_name="imports")
def process_import(run_id: int, apply: bool):
    """Check (dry run) or apply one uploaded import. Idempotent: an applied run is never applied twice."""
    from kam.accounts.imports import execute_import

    execute_import(run_id, apply=apply)


@periodic("daily")
@task()
def purge_old_import_files():
    """Uploaded files are kept 30 days for the record, then removed (the run and its report stay)."""
    from kam.accounts.models import ImportRun

    cutoff = timezone.now() - dt.timedelta(days=30)
    removed = 0
    for run in ImportRun.objects.filter(created_at__lt=cutoff).exclude(file=""):
        run.file.delete(save=False)
        ImportRun.objects.filter(pk=run.pk).update(file="")
        removed += 1
    return removed
