import os
import shutil
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve KAM over WSGI with granian (production server)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("KAM_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KAM_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("KAM_WEB_WORKERS", "2")))
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("KAM_WEB_THREADS", "4")), help="Threads per worker."
        )

    def handle(self, *args, host, port, workers, threads, **options):
        granian = shutil.which(
            "granian", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
        )
        if granian is None:
            raise CommandError("granian is not installed in this environment (pip install granian).")
        argv = [
            granian,
            "--interface",
            "wsgi",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-ws",
            "--blocking-threads",
            str(threads),
            # Ctrl-C / SIGTERM: workers get 3 s to finish their requests, then are killed; nothing lingers.
            "--workers-kill-timeout",
            "3",
            "--log-level",
            "warning",
            "kam.wsgi:application",
        ]
        os.execv(granian, argv)  # replace this process: signals reach granian directly
