import threading
import time

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from kam.core import jobs


class KamWorker(Worker):
    """django-tasks-db's worker plus KAM's scheduler tick and orphan recovery between batches."""

    def run(self):
        self.batch = True
        while self.running:
            jobs.requeue_orphaned_tasks()
            jobs.schedule_due_jobs()
            super().run()  # processes every ready task, then returns
            if self.running:
                time.sleep(self.interval)


class Command(BaseCommand):
    help = "Run the background worker: queued jobs (imports, reports) and the periodic scheduler."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")
        parser.add_argument("--queues", default="*", help="Comma-separated queue names, or * for all.")

    def handle(self, *args, interval, queues, **options):
        import logging

        # One line per task (django.tasks), not one per idle poll (django_tasks_db).
        logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        worker_id = get_random_string(32)
        jobs.beat(worker_id)

        def heartbeat():
            from django.db import close_old_connections

            while True:
                time.sleep(10)
                try:
                    jobs.beat(worker_id)
                finally:
                    close_old_connections()

        threading.Thread(target=heartbeat, name="kam-heartbeat", daemon=True).start()
        worker = KamWorker(
            queue_names=queues.split(","),
            interval=interval,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        self.stdout.write(f"KAM worker {worker_id} started (queues: {queues}).")
        worker.run()
