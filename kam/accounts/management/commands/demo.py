import os
import signal
import subprocess
import sys
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from kam.accounts import demo


class Command(BaseCommand):
    help = "Load the demo company (idempotent) and print the logins; with --serve, also run web + worker."

    def add_arguments(self, parser):
        parser.add_argument(
            "--serve", action="store_true", help="Then serve on --port with a worker; Ctrl-C stops all."
        )
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--customers", type=int, default=2500)

    def handle(self, *args, serve, port, customers, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if demo.generate(customers=customers, stdout=self.stdout):
            self.stdout.write(self.style.SUCCESS("Demo company created."))
        else:
            self.stdout.write("Demo company already present: nothing added.")
        from kam.selection import demo as selection_demo

        selection_demo.generate(stdout=self.stdout)
        from kam.servicelevels import demo as service_levels_demo

        service_levels_demo.generate(stdout=self.stdout)
        from kam.charters import demo as charters_demo

        charters_demo.generate(stdout=self.stdout)
        from kam.plans import demo as plans_demo

        plans_demo.generate(stdout=self.stdout)
        from kam.stakeholders import demo as stakeholders_demo

        stakeholders_demo.generate(stdout=self.stdout)
        if not serve:
            self.print_logins(None)
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        kam = [sys.executable, "-m", "kam.cli"]
        children = [
            subprocess.Popen([*kam, "serve", "--port", str(port)]),
            subprocess.Popen([*kam, "worker"]),
        ]
        self.print_logins(f"http://127.0.0.1:{port}/")

        def stop(signum, frame):
            # Ctrl-C reaches every process of the terminal's group; a `kill` reaches only this one.
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop(None, None)
            deadline = time.time() + 8
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    child.kill()
            self.stdout.write("KAM stopped.")
        os._exit(0)

    @staticmethod
    def demo_token():
        """A known token for the admin, like the known demo passwords, so the API can be tried at once."""
        from kam.users.models import ApiToken, hash_token

        if not ApiToken.objects.active().filter(key_hash=hash_token(demo.DEMO_TOKEN)).exists():
            admin = get_user_model().objects.get(email=demo.USERS[0][0])
            ApiToken.issue(admin, "demo", raw=demo.DEMO_TOKEN)
        return demo.DEMO_TOKEN

    def print_logins(self, url):
        lines = ["", "=" * 64]
        if url:
            lines.append(f"KAM is running at {url}   (Ctrl-C stops it)")
        lines.append(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for role, email, password in demo.logins():
            lines.append(f"  {role:<22} {email} / {password}")
        lines.append(f"API token for admin: {self.demo_token()}")
        lines.append("=" * 64)
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
