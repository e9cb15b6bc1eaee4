import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from kam.core import generate
from kam.core.context import acting_as


def month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"“{text}” is not a month; write YYYY-MM, e.g. 2026-10.") from None


class Command(BaseCommand):
    help = (
        "Generate a large tenant straight into the database (benchmarks, load tests): scale 1 = 200,000 customers, "
        "2,000 key accounts with teams, 24 months of facts. Deterministic: the same seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, required=True, help="1 = 200,000 customers; 0.01 = 2,000.")
        parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
        parser.add_argument(
            "--as-of", type=month, default=generate.DEFAULT_AS_OF, help="The latest generated month (YYYY-MM)."
        )
        parser.add_argument("--months", type=int, default=generate.DEFAULT_MONTHS, help="Months of facts.")
        parser.add_argument(
            "--prefix", default=generate.DEFAULT_PREFIX, help="Start of account numbers and e-mail addresses."
        )
        parser.add_argument(
            "--allow-existing",
            action="store_true",
            help="Add the tenant to a database that already holds accounts (otherwise refused).",
        )

    def handle(self, *args, scale, seed, as_of, months, prefix, allow_existing, **options):
        if scale <= 0:
            raise CommandError("--scale must be greater than 0.")
        if months < 1:
            raise CommandError("--months must be at least 1.")
        with acting_as(None, source="cli"):
            try:
                ctx = generate.generate(
                    scale=scale,
                    seed=seed,
                    as_of=as_of,
                    months=months,
                    prefix=prefix,
                    allow_existing=allow_existing,
                    say=lambda text: self.stdout.write(text),
                )
            except generate.GenerateRefused as refused:
                raise CommandError(str(refused)) from None
        total = sum(ctx.timings.values())
        self.stdout.write(self.style.SUCCESS(f"Generated tenant {prefix} at scale {scale:g} in {total:.1f} s."))
        from kam.accounts.generate import PASSWORD

        self.stdout.write(
            f"Every generated user signs in with the password {PASSWORD} (e.g. {prefix.lower()}-admin@example.com)."
        )
