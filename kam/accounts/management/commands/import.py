from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kam.accounts.choices import ImportKind
from kam.accounts.importers import run_import
from kam.core.context import acting_as


class Command(BaseCommand):
    help = "Import a file: kam import {accounts,facts,wallet,fx} FILE [--dry-run]. Atomic: any bad row writes nothing."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[k.value for k in ImportKind])
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")

    def handle(self, *args, kind, file, dry_run, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with acting_as(None, source="cli"):
            report = run_import(kind, file.read_bytes(), file.name, apply=not dry_run)
        summary = report.summary()
        self.stdout.write(
            f"{file.name}: {summary['rows']} rows — {summary['created']} to create, {summary['updated']} to update, "
            f"{summary['unchanged']} unchanged, {summary['errors']} errors"
        )
        if report.errors:
            for error in report.errors:
                value = f" (value: {error['value']})" if error.get("value") else ""
                self.stderr.write(f"  row {error['row']}, column {error['column'] or '-'}: {error['reason']}{value}")
            raise CommandError("Nothing was written: fix the rows above and run the import again.")
        self.stdout.write(self.style.SUCCESS("Checked, nothing written (dry run)." if dry_run else "Applied."))
