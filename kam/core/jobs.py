"""Background jobs: enqueue after commit, a multi-instance-safe scheduler and recovery of jobs whose worker died.

Jobs take primary keys, not objects, and are written to be idempotent: running one twice (after a recovery)
gives the same result as running it once.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

logger = logging.getLogger("kam.jobs")

# job path -> period ("minutely", "hourly" or "daily"); domain apps register their periodic jobs here.
PERIODIC_JOBS: dict[str, str] = {}
HEARTBEAT_STALE_AFTER = dt.timedelta(seconds=60)


def enqueue_on_commit(task, *args, **kwargs):
    """Enqueue once the surrounding transaction commits: a job never sees data that was rolled back."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def periodic(period: str):
    def register(task):
        PERIODIC_JOBS[task.module_path] = period
        return task

    return register


SLOT_FORMATS = {"minutely": "%Y-%m-%dT%H:%M", "hourly": "%Y-%m-%dT%H", "daily": "%Y-%m-%d"}


def slot_for(period: str, now: dt.datetime) -> str:
    return now.strftime(SLOT_FORMATS[period])


def discover_periodic_jobs():
    """Import every KAM app's `tasks` module: a periodic job registers itself when its module is imported, and the
    worker would otherwise only know the jobs some page happened to import."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("kam.") and find_spec(f"{config.name}.tasks") is not None:
            import_module(f"{config.name}.tasks")


def schedule_due_jobs(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose current slot has not been claimed yet. Safe to call from several
    workers at once: the unique (job, slot) row decides which one enqueues."""
    from django.utils.module_loading import import_string

    from kam.core.models import ScheduledRun

    now = now or timezone.now()
    discover_periodic_jobs()
    enqueued = []
    for path, period in PERIODIC_JOBS.items():
        slot = slot_for(period, now)
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(job=path, slot=slot)
                enqueue_on_commit(import_string(path))
        except IntegrityError:
            continue  # another instance claimed this slot
        enqueued.append(path)
    return enqueued


def beat(worker_id: str):
    from kam.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"last_seen": timezone.now()})


def requeue_orphaned_tasks(now: dt.datetime | None = None) -> int:
    """Put back in the queue the tasks marked RUNNING by workers that stopped beating (killed -9, lost host)."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from kam.core.models import WorkerHeartbeat

    now = now or timezone.now()
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen__gte=now - HEARTBEAT_STALE_AFTER).values_list("worker_id", flat=True)
    )
    requeued = 0
    with transaction.atomic():
        for result in DBTaskResult.objects.select_for_update(skip_locked=True).filter(status=TaskResultStatus.RUNNING):
            last_worker = result.worker_ids[-1] if result.worker_ids else None
            if last_worker in alive:
                continue
            DBTaskResult.objects.filter(pk=result.pk).update(status=TaskResultStatus.READY, started_at=None)
            requeued += 1
            logger.warning("Requeued task %s (%s): its worker %s stopped", result.pk, result.task_path, last_worker)
    WorkerHeartbeat.objects.filter(last_seen__lt=now - dt.timedelta(days=1)).delete()
    return requeued
