import datetime as dt

import pytest
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kam.core import jobs
from kam.core.models import ScheduledRun, WorkerHeartbeat


@pytest.mark.django_db(transaction=True)
def test_jobs_are_enqueued_only_when_the_transaction_commits():
    from kam.accounts.tasks import purge_old_import_files

    with transaction.atomic():
        jobs.enqueue_on_commit(purge_old_import_files)
        transaction.set_rollback(True)
    assert DBTaskResult.objects.count() == 0
    with transaction.atomic():
        jobs.enqueue_on_commit(purge_old_import_files)
    assert DBTaskResult.objects.count() == 1


def test_two_schedulers_enqueue_each_slot_once(db, django_capture_on_commit_callbacks):
    now = dt.datetime(2026, 11, 28, 6, 30, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        first = jobs.schedule_due_jobs(now)
        second = jobs.schedule_due_jobs(now + dt.timedelta(seconds=30))  # another instance, the same minute
    # The worker knows every app's periodic jobs without any page having imported their modules.
    assert {
        "kam.accounts.tasks.purge_old_import_files",
        "kam.servicelevels.tasks.sweep_request_clocks",
        "kam.servicelevels.tasks.generate_obligations",
    } <= set(first)
    assert second == []
    with django_capture_on_commit_callbacks(execute=True):
        later = jobs.schedule_due_jobs(now + dt.timedelta(minutes=5))
    assert later == ["kam.servicelevels.tasks.sweep_request_clocks"]  # only the minutely job has a new slot
    assert DBTaskResult.objects.count() == len(first) + 1
    with django_capture_on_commit_callbacks(execute=True):
        next_day = jobs.schedule_due_jobs(now + dt.timedelta(days=1))
    assert next_day == first and ScheduledRun.objects.count() == 2 * len(first) + 1


def _running_task(worker_id):
    from kam.accounts.tasks import purge_old_import_files

    result = purge_old_import_files.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=[worker_id], started_at=timezone.now()
    )
    return result.id


def test_a_task_of_a_killed_worker_is_requeued(db):
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="dead", last_seen=now - dt.timedelta(minutes=5))
    WorkerHeartbeat.objects.create(worker_id="alive", last_seen=now)
    orphan = _running_task("dead")
    busy = _running_task("alive")
    assert jobs.requeue_orphaned_tasks(now) == 1
    assert DBTaskResult.objects.get(pk=orphan).status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(pk=busy).status == TaskResultStatus.RUNNING


def test_requeued_import_is_not_applied_twice(users, django_capture_on_commit_callbacks):
    """Jobs are idempotent: a recovered apply job of an already applied import changes nothing."""
    from kam.accounts.imports import apply_import, execute_import, start_import
    from kam.accounts.models import FxRate
    from kam.audit.models import ObjectChange

    run = start_import(users.admin, "fx", "fx.csv", b"month,currency,rate_per_eur\n2026-01,USD,1.1\n")
    apply_import(run)
    counts = (FxRate.objects.count(), ObjectChange.objects.count())
    execute_import(run.pk, apply=True)
    assert (FxRate.objects.count(), ObjectChange.objects.count()) == counts


@pytest.mark.django_db(transaction=True)
def test_worker_command_runs_queued_jobs_and_the_scheduler():
    from kam.core.management.commands.worker import KamWorker

    worker = KamWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )

    class StopAfterOneRound(Exception):
        pass

    def stop(seconds):
        raise StopAfterOneRound

    import kam.core.management.commands.worker as module

    original_sleep = module.time.sleep
    module.time.sleep = stop
    try:
        with pytest.raises(StopAfterOneRound):
            worker.run()
    finally:
        module.time.sleep = original_sleep
    assert ScheduledRun.objects.exists()
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
