"""The benchmark's work inside Django, on the database of KAM_DATABASE_URL.

`bench.run` calls each command in a fresh process (`python -m bench.django_side COMMAND 'JSON arguments'`, one JSON
line out), so that each runs against the database and settings of the tenant being measured; the smoke test calls the
same functions in its own process, on pytest's test database.
"""

import json
import os
import random
import sys
import time
from pathlib import Path

from bench.harness import Page, inprocess_load, key_pages, page_row, rss_mb

PRODUCT_LINES = ["Components", "Systems", "Services", "Spare parts", ""]


def find_targets() -> dict:
    """What the pages are measured on: the global key account with the most direct subsidiaries (ties: the oldest),
    its key account manager, an administrator and a search term (the first word of that account's name)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from kam.accounts.choices import TeamRole
    from kam.accounts.models import Account, AccountTeamMember
    from kam.core.roles import Role

    account = (
        Account.objects.filter(is_key_account=True, parent__isnull=True)
        .annotate(subsidiaries=Count("children"))
        .order_by("-subsidiaries", "pk")
        .first()
    )
    if account is None:
        raise RuntimeError("No key account in this database: run `kam generate` first.")
    kam = (
        AccountTeamMember.objects.filter(account=account, team_role=TeamRole.KEY_ACCOUNT_MANAGER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    admin = get_user_model().objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    return {
        "account_id": account.pk,
        "account_name": account.name,
        "subtree_size": account.subtree().count(),
        "kam_email": kam.user.email,
        "admin_email": admin.email,
        "search": account.name.split()[0],
        "accounts": Account.objects.count(),
        **selection_targets(),
        **request_targets(),
        **plan_targets(account.pk),
        **stakeholder_targets(account.pk),
    }


def selection_targets() -> dict:
    """The generated run of the default scoring model (kam/selection/generate.py) and its pages: its ranked list and
    its matrix. Nothing when the tenant has no such run or the selection pages do not exist."""
    from django.urls import NoReverseMatch, reverse

    from kam.selection.choices import RunStatus
    from kam.selection.generate import DEFAULT_MODEL
    from kam.selection.models import SelectionRun

    run = (
        SelectionRun.objects.filter(model_name__startswith=DEFAULT_MODEL, status=RunStatus.DONE).order_by("pk").first()
    )
    if run is None:
        return {}
    try:
        paths = {
            "selection_run_path": reverse("selection:run", args=[run.pk]),
            "selection_matrix_path": reverse("selection:run_matrix", args=[run.pk]),
        }
    except NoReverseMatch:
        return {}
    return {"selection_run_id": run.pk, "selection_population": run.population, **paths}


def request_targets() -> dict:
    """The generated client requests (kam/servicelevels/generate.py) and their pages: the at-risk queue and the list of
    every request. Nothing when the tenant has none or the pages do not exist."""
    from django.urls import NoReverseMatch, reverse

    from kam.servicelevels.models import OPEN_STATUSES, ClientRequest, SlaState

    requests = ClientRequest.objects.count()
    if not requests:
        return {}
    try:
        paths = {
            "queue_path": reverse("servicelevels:queue"),
            "request_list_path": reverse("servicelevels:request_list"),
        }
    except NoReverseMatch:
        return {}
    open_requests = ClientRequest.objects.filter(status__in=OPEN_STATUSES)
    return {
        "requests": requests,
        "open_requests": open_requests.count(),
        "attention_requests": open_requests.filter(sla_state__in=(SlaState.AT_RISK, SlaState.BREACHED)).count(),
        **paths,
    }


def plan_targets(account_id: int) -> dict:
    """The plan of the measured key account (kam/plans/generate.py gives every key account one; this one, with the
    most subsidiaries, has the largest whitespace matrix) and its pages: the plan tab, the whitespace matrix and the
    PDF export of its newest version. A page whose URL does not exist (yet) is listed under `plan_skipped` with the
    reason instead: the bench reports it as skipped rather than failing."""
    from django.urls import NoReverseMatch, reverse

    from kam.plans.models import ITEM_KINDS, AccountPlan

    plan = AccountPlan.objects.filter(account_id=account_id).first()
    if plan is None:
        return {}
    version = plan.versions.order_by("-number").first()
    urls = {
        "plan_tab_path": ("accounts:account", [account_id], "?tab=plan"),
        "whitespace_path": ("plans:whitespace", [account_id], ""),
        "plan_pdf_path": ("plans:export_pdf", [plan.pk, version.number], ""),
    }
    paths, skipped = {}, {}
    for key, (name, args, query) in urls.items():
        try:
            paths[key] = reverse(name, args=args) + query
        except NoReverseMatch:
            skipped[key] = f"skipped: no URL named {name} yet"
    rows = sum(model._base_manager.filter(plan_version=version).count() for model in ITEM_KINDS.values())
    return {"plan_id": plan.pk, "plan_version": version.number, "plan_rows": rows, "plan_skipped": skipped, **paths}


def stakeholder_targets(account_id: int) -> dict:
    """The organisation map of the measured key account (kam/stakeholders/generate.py gives this one, with the most
    subsidiaries, the largest map: 300 people at scale 1) and its pages: the Stakeholders tab, its second page of
    interactions (the account timeline) and the API's list of the account's interactions. Nothing when the account
    has no contacts; a page whose URL does not exist (yet) is listed under `stakeholder_skipped` instead, like the
    plan's pages."""
    from django.urls import NoReverseMatch, Resolver404, resolve, reverse

    from kam.accounts.models import Account
    from kam.stakeholders.models import Contact, Interaction

    subtree = Account.objects.get(pk=account_id).subtree()
    people = Contact.objects.filter(account__in=subtree).count()
    if not people:
        return {}
    paths, skipped = {}, {}
    try:
        tab = reverse("accounts:account", args=[account_id]) + "?tab=stakeholders"
        paths |= {"stakeholders_tab_path": tab, "timeline_path": tab + "&ipage=2"}
    except NoReverseMatch:
        skipped |= dict.fromkeys(("stakeholders_tab_path", "timeline_path"), "skipped: no URL named accounts:account")
    api = f"/api/v1/accounts/{account_id}/interactions"
    try:
        resolve(api)
        paths["timeline_api_path"] = api
    except Resolver404:
        skipped["timeline_api_path"] = f"skipped: no API route {api} yet"
    return {
        "map_people": people,
        "map_interactions": Interaction.objects.filter(account__in=subtree).count(),
        "stakeholder_skipped": skipped,
        **paths,
    }


def _clients(targets: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from kam.users.models import ApiToken

    users = get_user_model().objects
    admin, kam = Client(), Client()
    admin.force_login(users.get(email=targets["admin_email"]))
    kam.force_login(users.get(email=targets["kam_email"]))
    _, token = ApiToken.issue(users.get(email=targets["admin_email"]), "benchmark")
    return {"none": Client(), "admin": admin, "kam": kam, "token": Client(headers={"Authorization": f"Bearer {token}"})}


def credentials(targets: dict) -> dict:
    """Session cookies of the administrator and the key account manager, and an API token, for the load generator."""
    from django.conf import settings

    clients = _clients(targets)
    cookie = settings.SESSION_COOKIE_NAME
    token = clients["token"].defaults["HTTP_AUTHORIZATION"]
    return {
        "none": {},
        "admin": {"Cookie": f"{cookie}={clients['admin'].cookies[cookie].value}"},
        "kam": {"Cookie": f"{cookie}={clients['kam'].cookies[cookie].value}"},
        "token": {"Authorization": token},
    }


def count_queries(pages: list[Page] | None = None, targets: dict | None = None) -> dict:
    """SQL queries of one request to each page (after a first request, so that per-process caches are warm)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    targets = targets or find_targets()
    pages = pages or key_pages(targets)
    clients = _clients(targets)
    counts = {}
    for page in pages:
        client = clients[page.auth]
        client.get(page.path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.path)
        if response.status_code != 200:
            raise RuntimeError(f"{page.path} answered {response.status_code} as {page.auth}")
        counts[page.key] = len(captured)
    return {"counts": counts, "targets": targets}


def measure_in_process(backend: str, pages: list[Page], targets: dict, duration: float) -> list:
    """The pages through Django's test client, without a server (the smoke test's stand-in for wrk)."""
    clients = _clients(targets)
    return [
        page_row(
            backend,
            page,
            inprocess_load(lambda path, c=clients[page.auth]: c.get(path).status_code, page.path, duration),
        )
        for page in pages
    ]


# ------------------------------------------------------------------------------------------------------ imports


def generated_marker() -> dict | None:
    """The parameters of the `kam generate` run this database holds (its one audit summary), if any, and whether the
    steps that made it are the ones registered now (`current`: a tenant made before a step was added lacks its
    objects)."""
    from kam.audit.models import ObjectChange
    from kam.core.generate import registered_steps

    change = ObjectChange.objects.filter(after__generated=True).order_by("pk").first()
    if change is None:
        return None
    made_by = set(change.after.get("seconds", {})) - {"vacuum"}
    return {**change.after, "current": made_by == {s.name for s in registered_steps()}}


def import_months(count: int) -> list[str]:
    """`count` months just before the generated history: the import brings new months, as a monthly import does."""
    from kam.accounts.figures import add_months, latest_month
    from kam.accounts.models import FinancialFact

    first = FinancialFact.objects.order_by("month").values_list("month", flat=True).first() or latest_month()
    return [f"{add_months(first, i - count):%Y-%m}" for i in range(count)]


def ensure_fx(months: list[str]) -> int:
    """Rates for every currency in use and every month of the import file (importing FX is not what is measured)."""
    from decimal import Decimal

    from kam.accounts.figures import parse_month
    from kam.accounts.models import FxRate

    currencies = sorted(set(FxRate.objects.values_list("currency", flat=True)))
    have = set(FxRate.objects.values_list("currency", "month"))
    new = [
        FxRate(month=parse_month(m), currency=c, rate_per_eur=Decimal("1.1"))
        for c in currencies
        for m in months
        if (c, parse_month(m)) not in have
    ]
    FxRate.objects.bulk_create(new)
    return len(new)


def write_facts_csv(path: str, months: list[str], seed: int = 3) -> dict:
    """A facts.csv with one row per account and month, written as it is read from the database (deterministic)."""
    from kam.accounts.models import Account

    rng = random.Random(seed)
    rows = 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("account_number,month,product_line,currency,revenue,gross_profit\r\n")
        accounts = Account.objects.order_by("pk").values_list("pk", "account_number", "currency")
        for pk, number, currency in accounts.iterator(chunk_size=10_000):
            line = PRODUCT_LINES[pk % len(PRODUCT_LINES)]
            for month in months:
                cents = rng.randint(10_000, 5_000_000)
                profit = cents * rng.randint(15, 45) // 100
                out.write(f"{number},{month},{line},{currency},{cents // 100}.{cents % 100:02d},{profit / 100:.2f}\r\n")
                rows += 1
    return {"rows": rows, "bytes": os.path.getsize(path)}


def run_import(path: str, *, apply: bool, worker_pid: int | None = None, timeout: float = 3600) -> dict:
    """Check (and apply) `path` as a user's large upload is processed: an ImportRun whose stored file is read by
    `kam worker` (process `worker_pid`; timings are the task's own start and finish), or, without a worker, by the
    same task code in this process (the smoke test)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from kam.accounts.models import ImportRun
    from kam.core.roles import Role

    media = Path(settings.STORAGES["default"]["OPTIONS"]["location"]).resolve()
    name = str(Path(path).resolve().relative_to(media))
    admin = get_user_model().objects.filter(role=Role.ADMIN).order_by("pk").first()
    run = ImportRun.objects.create(
        kind="facts", file=name, original_name=Path(path).name, size_bytes=os.path.getsize(path), created_by=admin
    )
    if worker_pid is None:
        return _import_in_process(run, apply)
    return _import_in_worker(run, apply, worker_pid, timeout)


def _import_in_process(run, apply: bool) -> dict:
    import resource

    from kam.accounts.choices import ImportStatus
    from kam.accounts.imports import apply_import, execute_import

    result = {"where": "process", "file_mb": run.size_bytes / 1_048_576, "baseline_rss_mb": None}
    steps = [("check", lambda: execute_import(run.pk, apply=False))]
    if apply:
        steps.append(("apply", lambda: apply_import(run, background=False)))
    for step, go in steps:
        run.refresh_from_db()
        if step == "apply" and run.status != ImportStatus.PREVIEW:
            break
        started = time.perf_counter()
        go()
        seconds = time.perf_counter() - started
        run.refresh_from_db()
        result[step] = {"status": run.status, "seconds": seconds, "rows": run.rows_total, "errors": run.errors}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _import_in_worker(run, apply: bool, worker_pid: int, timeout: float) -> dict:
    from django_tasks_db.models import DBTaskResult

    from kam.accounts.choices import ImportStatus
    from kam.accounts.imports import apply_import
    from kam.accounts.tasks import process_import

    result = {"where": "worker", "file_mb": run.size_bytes / 1_048_576, "baseline_rss_mb": rss_mb(worker_pid, "VmRSS")}

    def wait(step):
        """Until the worker has finished the task (its result row says so); then the task's own start and finish."""
        deadline = time.monotonic() + timeout
        tasks = DBTaskResult.objects.filter(
            task_path__endswith="process_import", args_kwargs__args__0=run.pk, args_kwargs__args__1=step == "apply"
        )
        while time.monotonic() < deadline:
            task = tasks.finished().first()
            if task is not None:
                run.refresh_from_db()
                seconds = (task.finished_at - task.started_at).total_seconds()
                result[step] = {"status": run.status, "seconds": seconds, "rows": run.rows_total, "errors": run.errors}
                return run.status
            time.sleep(0.2)
        raise TimeoutError(f"the import's {step} did not finish within {timeout} s")

    process_import.enqueue(run.pk, False)
    if wait("check") == ImportStatus.PREVIEW and apply:
        apply_import(run, background=True)
        wait("apply")
    result["peak_rss_mb"] = rss_mb(worker_pid)
    return result


def raw_copy(path: str) -> dict:
    """PostgreSQL's own speed on the same file: COPY into a plain table of the file's columns (no index, no key), then
    the same rows into the facts table itself (its indexes and foreign key, checked as a commit would), rolled back."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_facts")
        cursor.execute(
            "CREATE TABLE bench_raw_facts (account_number text, month text, product_line text, currency text, "
            "revenue numeric(20, 4), gross_profit numeric(20, 4))"
        )
        started = time.perf_counter()
        with (
            open(path, "rb") as source,
            cursor.copy(
                "COPY bench_raw_facts FROM STDIN (FORMAT csv, HEADER true, FORCE_NOT_NULL (product_line))"
            ) as copy,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        copy_seconds = time.perf_counter() - started
        cursor.execute("SELECT COUNT(*) FROM bench_raw_facts")
        rows = cursor.fetchone()[0]
        with transaction.atomic():
            started = time.perf_counter()
            cursor.execute(
                "INSERT INTO accounts_financialfact (created_at, updated_at, version, account_id, month, product_line, "
                "currency, revenue, gross_profit) SELECT now(), now(), 1, a.id, (r.month || '-01')::date, "
                "r.product_line, r.currency, r.revenue, r.gross_profit FROM bench_raw_facts r "
                "JOIN accounts_account a ON a.account_number = r.account_number"
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks of a commit
            insert_seconds = time.perf_counter() - started
            transaction.set_rollback(True)
        cursor.execute("DROP TABLE bench_raw_facts")
    return {"rows": rows, "copy_seconds": copy_seconds, "insert_seconds": insert_seconds}


# ---------------------------------------------------------------------------------------------------- selection


def selection_run() -> dict:
    """One fresh run of the generated default scoring model over the whole tenant, computed by `services.execute_run`
    (the worker's code) in this process, and the floor next to it: a hand-written aggregate of the same facts window
    (the 24 months up to the run's as-of month), every row fetched. The aggregate runs once untimed first, so both
    are measured with the facts in the cache. The run is created as `services.start_run` creates it, without queueing
    the task (a worker would only find it finished); call this on a throw-away copy (it keeps the run)."""
    from django.db import connection

    from kam.accounts.figures import add_months
    from kam.selection import engine, services
    from kam.selection.generate import DEFAULT_MODEL
    from kam.selection.models import ScoringModel, SelectionRun

    model = ScoringModel.objects.filter(name__startswith=DEFAULT_MODEL).order_by("pk").first()
    if model is None:
        raise RuntimeError(f"No scoring model “{DEFAULT_MODEL}”: generate the tenant with `kam generate`.")
    as_of = engine.make_plan(services.snapshot_config(model)).as_of
    window = [add_months(as_of, -23), as_of]

    def aggregate():
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(
                "SELECT account_id, SUM(revenue) FROM accounts_financialfact WHERE month BETWEEN %s AND %s "
                "GROUP BY account_id",
                window,
            )
            rows = cursor.fetchall()
            return time.perf_counter() - started, len(rows)

    aggregate()  # reads the facts into the cache
    admin = _admin()
    run = SelectionRun.objects.create(
        scoring_model=model,
        model_name=model.name,
        model_version=model.version,
        config=services.snapshot_config(model),
        created_by=admin,
    )
    started = time.perf_counter()
    run = services.execute_run(run.pk)
    seconds = time.perf_counter() - started
    aggregate_seconds, aggregate_rows = aggregate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM accounts_financialfact WHERE month BETWEEN %s AND %s", window)
        facts = cursor.fetchone()[0]
    return {
        "status": run.status,
        "message": run.message,
        "seconds": seconds,
        "engine_seconds": (run.duration_ms or 0) / 1000,
        "population": run.population,
        "as_of": as_of.isoformat(),
        "facts": facts,
        "aggregate_seconds": aggregate_seconds,
        "aggregate_rows": aggregate_rows,
    }


# ------------------------------------------------------------------------------------------------ service levels

SWEEP_AHEAD_S = 2 * 3600  # working seconds of the programme's default calendar after the tenant's last sweep


def sla_sweep() -> dict:
    """One scheduler sweep (`services.sweep`, the minutely job's code) over the generated tenant's open requests, at
    a moment two working hours (of the programme's default calendar) after the tenant's own last sweep — the minute
    it was generated, which its clocks reflect: what a scheduler finds after two working hours without a sweep, every
    clock that turned at risk or breached since escalated once. Plain hours would find nothing on a weekend. Timed
    inside a transaction that is rolled back, so the tenant stays as it was; the URLconf is loaded first, as in a
    worker that has swept before (escalations link to their request)."""
    from django.db import transaction
    from django.db.models import Max
    from django.urls import get_resolver

    from kam.servicelevels import services
    from kam.servicelevels.calendar import WorkingCalendar
    from kam.servicelevels.models import OPEN_STATUSES, BusinessCalendar, ClientRequest

    generated = ClientRequest.objects.aggregate(at=Max("created_at"))["at"]
    if generated is None:
        raise RuntimeError("No client requests in this database: generate the tenant with `kam generate`.")
    last_sweep = generated.replace(second=0, microsecond=0)
    default = BusinessCalendar.objects.filter(is_default=True).first()
    calendar = default.working_calendar() if default else WorkingCalendar.twenty_four_seven()
    moment = calendar.add_working_seconds(last_sweep, SWEEP_AHEAD_S)
    open_requests = ClientRequest.objects.filter(status__in=OPEN_STATUSES)
    due = open_requests.filter(next_check_at__lte=moment).count()
    get_resolver().url_patterns  # noqa: B018 - loads the URLconf
    with transaction.atomic():
        started = time.perf_counter()
        result = services.sweep(now=moment)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {
        "open": open_requests.count(),
        "due": due,
        "checked": result.checked,
        "escalated": result.escalated,
        "seconds": seconds,
        "last_sweep": last_sweep.isoformat(),
        "moment": moment.isoformat(),
    }


def _admin():
    from django.contrib.auth import get_user_model

    from kam.core.roles import Role

    return get_user_model().objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()


def database_info() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            names = ["shared_buffers", "work_mem", "max_wal_size", "synchronous_commit", "jit"]
            cursor.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s) ORDER BY name", [names]
            )
            settings = dict(cursor.fetchall())
            return {"postgresql": version, "postgresql_settings": settings}
        cursor.execute("SELECT sqlite_version()")
        return {"sqlite": cursor.fetchone()[0]}


COMMANDS = {
    "targets": lambda args: find_targets(),
    "credentials": lambda args: credentials(args["targets"]),
    "count-queries": lambda args: count_queries(),
    "marker": lambda args: generated_marker(),
    "import-months": lambda args: import_months(args["count"]),
    "ensure-fx": lambda args: ensure_fx(args["months"]),
    "write-csv": lambda args: write_facts_csv(args["path"], args["months"]),
    "import": lambda args: run_import(args["path"], apply=args["apply"], worker_pid=args.get("worker_pid")),
    "raw-copy": lambda args: raw_copy(args["path"]),
    "database-info": lambda args: database_info(),
    "selection-run": lambda args: selection_run(),
    "sla-sweep": lambda args: sla_sweep(),
}


def main(argv: list[str]):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()
    from kam.core.context import acting_as

    command, args = argv[1], json.loads(argv[2]) if len(argv) > 2 else {}
    with acting_as(None, source="cli"):
        output = COMMANDS[command](args)
    sys.stdout.write(json.dumps(output, default=str) + "\n")


if __name__ == "__main__":
    main(sys.argv)
