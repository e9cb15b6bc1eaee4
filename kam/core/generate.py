"""`kam generate`: a large, deterministic tenant written straight into the database, for benchmarks and load tests.

Each domain app contributes its objects by registering a step in its own `generate.py` module (found by
autodiscovery, like `admin.py`):

    from kam.core.generate import step

    @step("plans.account_plans", order=200)
    def account_plans(ctx):
        portfolio = ctx.shared["accounts"]          # what the accounts step created (kam/accounts/generate.py)
        rng = ctx.rng("plans.account_plans")        # a random stream of its own: same seed, same data
        rows = ((...) for key_account_id in portfolio.key_account_ids)
        return {"account plans": ctx.insert(AccountPlan, ["account_id", ...], rows)}

Steps run in `order` inside one transaction, so a failure leaves nothing behind. `ctx.insert` writes plain tuples
with COPY on PostgreSQL and batched `executemany` on SQLite — never one ORM save per row — so generated rows are not
audited one by one; the run records a single audit summary instead (`record_summary`). Primary keys are explicit
(`ctx.next_id`), so parents can be referenced before they are written; sequences are reset afterwards.
"""

import datetime as dt
import random
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

DEFAULT_SEED = 7
DEFAULT_AS_OF = dt.date(2026, 10, 1)  # fixed, so that the same seed gives the same data on any day
DEFAULT_MONTHS = 24
DEFAULT_PREFIX = "GEN"
INSERT_BATCH = 10_000


class GenerateRefused(Exception):
    """The database is not empty and the caller did not say that adding to it is intended."""


@dataclass(frozen=True)
class Step:
    name: str
    func: Callable
    order: int


_steps: dict[str, Step] = {}
_guards: dict[str, Callable[[], int]] = {}


def step(name: str, *, order: int = 100):
    """Register a generate step: `func(ctx) -> {label: count}` (the counts are printed and audited)."""

    def register(func):
        _steps[name] = Step(name, func, order)
        return func

    return register


def guard(label: str):
    """Register a count of existing objects that makes `generate` refuse to run without `allow_existing`."""

    def register(func):
        _guards[label] = func
        return func

    return register


def registered_steps() -> list[Step]:
    autodiscover_modules("generate")
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))


@dataclass
class GenerateContext:
    scale: float
    seed: int = DEFAULT_SEED
    as_of: dt.date = DEFAULT_AS_OF
    months: int = DEFAULT_MONTHS
    prefix: str = DEFAULT_PREFIX
    say: Callable[[str], None] = lambda text: None
    now: dt.datetime = field(default_factory=timezone.now)
    shared: dict = field(default_factory=dict)  # what earlier steps created, for later steps (documented per key)
    counts: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    def scaled(self, base: int, minimum: int = 1) -> int:
        """`base` objects at scale 1, proportionally fewer or more at other scales (never fewer than `minimum`)."""
        return max(minimum, round(base * self.scale))

    def rng(self, name: str) -> random.Random:
        """A random stream per purpose: adding a step (or a draw in one) does not change the others' data."""
        return random.Random(f"{self.seed}:{self.prefix}:{name}")

    def next_id(self, model) -> int:
        """The first free primary key: explicit ids let children reference parents before they are written."""
        return (model._base_manager.aggregate(top=Max("pk"))["top"] or 0) + 1

    @property
    def vendor(self) -> str:
        return connection.vendor

    def timestamp(self):
        """`now` as the database column expects it in a raw insert."""
        if self.vendor == "sqlite":
            return connection.ops.adapt_datetimefield_value(self.now)
        return self.now.isoformat()

    def insert(self, model, fields: list[str], rows: Iterable[tuple]) -> int:
        """Write rows of database-ready values (str, int, bool, None; dates as ISO text, money as text with the
        field's decimal places) into `model`'s table: COPY on PostgreSQL, batched executemany elsewhere."""
        return bulk_insert(model, fields, rows)


def bulk_insert(model, fields: list[str], rows: Iterable[tuple]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [model._meta.get_field(name).column for name in fields]
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            copy_sql = f"COPY {table} ({column_sql}) FROM STDIN"
            with _checks_and_indexes_rebuilt_after(cursor, model._meta.db_table), cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({column_sql}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 - quoted identifiers from the model
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= INSERT_BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


@contextmanager
def _checks_and_indexes_rebuilt_after(cursor, table: str):
    """PostgreSQL checks a foreign key row by row (deferred to the commit for Django's constraints) and updates every
    index row by row: millions of lookups. Dropping the table's foreign keys and plain (non-unique) indexes for the
    COPY and adding them back afterwards checks all rows in one join and builds each index in one sort, with the same
    names and definitions. Inside the generate transaction, so a failure restores them."""
    quoted = connection.ops.quote_name(table)
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
        [quoted],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = %s::regclass AND NOT indisunique AND NOT indisprimary",
        [quoted],
    )
    indexes = cursor.fetchall()
    # ALTER TABLE is refused while deferred checks of earlier writes in this transaction are pending: run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for name, _ in constraints:
        cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    for _, definition in indexes:
        cursor.execute(definition)
    for name, definition in constraints:
        cursor.execute(f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are INITIALLY DEFERRED


def existing_objects() -> dict[str, int]:
    registered_steps()
    return {label: count for label, func in _guards.items() if (count := func())}


def generate(
    *,
    scale: float,
    seed: int = DEFAULT_SEED,
    as_of: dt.date = DEFAULT_AS_OF,
    months: int = DEFAULT_MONTHS,
    prefix: str = DEFAULT_PREFIX,
    allow_existing: bool = False,
    say: Callable[[str], None] | None = None,
) -> GenerateContext:
    """Run every registered step in one transaction and record one audit summary. Refuses a database that already
    holds data (any registered guard) unless `allow_existing`."""
    if scale <= 0:
        raise ValueError("The scale must be greater than 0.")
    steps = registered_steps()
    existing = existing_objects()
    if existing and not allow_existing:
        found = ", ".join(f"{count:,} {label}" for label, count in existing.items())
        raise GenerateRefused(
            f"The database already holds data ({found}). `kam generate` writes a whole tenant and is meant for an "
            "empty database (benchmarks, load tests): use a fresh database, or pass --allow-existing with a --prefix "
            f"not used yet to add the generated tenant next to the existing data (now: {prefix}; account numbers and "
            "e-mail addresses start with it)."
        )
    ctx = GenerateContext(
        scale=scale, seed=seed, as_of=as_of.replace(day=1), months=months, prefix=prefix, say=say or (lambda t: None)
    )
    with transaction.atomic():
        for s in steps:
            started = time.perf_counter()
            ctx.say(f"{s.name}…")
            counts = s.func(ctx) or {}
            ctx.timings[s.name] = round(time.perf_counter() - started, 2)
            ctx.counts.update(counts)
            ctx.say(
                f"  {', '.join(f'{n:,} {label}' for label, n in counts.items()) or 'nothing'} ({ctx.timings[s.name]} s)"
            )
        _finish(ctx)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # A settled database, as autovacuum leaves it a few minutes later: the visibility map lets counts and lookups
        # use index-only scans. (VACUUM cannot run inside a transaction; SQLite has nothing equivalent to set.)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        ctx.timings["vacuum"] = round(time.perf_counter() - started, 2)
    return ctx


def _finish(ctx: GenerateContext):
    from django.apps import apps

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(sql)
        # Fresh statistics: the planner otherwise plans for empty tables until autovacuum catches up.
        cursor.execute("ANALYZE")
    record_summary(ctx)


def record_summary(ctx: GenerateContext):
    """One audit record for the whole run (not one per generated row): who ran it, with which parameters, what it
    created. A step may name the object it belongs to (`ctx.shared["summary_object"] = (model, pk)`): the accounts
    step names the first generated account, whose History then shows the run; no account's activity feed does."""

    from kam.audit.models import ObjectChange
    from kam.audit.services import write_change

    anchor = ctx.shared.get("summary_object")  # (model, pk) chosen by a step; else the audit record stands alone
    model, object_id = anchor if anchor else (ObjectChange, 0)
    summary = ", ".join(f"{n:,} {label}" for label, n in ctx.counts.items())
    write_change(
        model,
        object_id,
        ObjectChange.Action.CREATE,
        f"Generated tenant {ctx.prefix} (scale {ctx.scale:g}): {summary}",
        after={
            "generated": True,
            "scale": ctx.scale,
            "seed": ctx.seed,
            "prefix": ctx.prefix,
            "as_of": f"{ctx.as_of:%Y-%m}",
            "months": ctx.months,
            "counts": ctx.counts,
            "seconds": ctx.timings,
        },
    )
