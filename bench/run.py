"""`make bench` / `python -m bench.run`: one run measures, on PostgreSQL and on SQLite,

1. the ceiling: a trivial view (/healthz) served as in production (granian, WSGI, 2 workers, DEBUG off);
2. the key pages and API list endpoints on a scale-N tenant (`kam generate`): requests/s, p50, p95, share of ceiling;
3. the SQL queries of each page on that tenant and on a small one (they must be equal);
4. a facts import through `kam worker` (check, then apply): rows/s, next to PostgreSQL's raw COPY of the same file;
5. the worker's peak memory for that file and for a ~1 GB one (it must stay flat);
6. a selection run of the default scoring model over the whole tenant, next to a hand-written aggregate of the same
   facts (the floor for reading them);
7. one scheduler sweep over the tenant's open client requests (SLA clocks turning at risk or breached, escalated),

then prints one table and writes it as JSON and Markdown under bench/results/. Tenants are kept between runs (their
`kam generate` summary says what they hold) unless --fresh is given or the generate steps have changed since (a new
step's objects would be missing). See docs/performance.md.
"""

import argparse
import datetime as dt
import json
import math
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.harness import (
    BenchResult,
    Row,
    big_file_row,
    copy_rows,
    evaluate,
    http_load,
    import_rows,
    key_pages,
    machine_info,
    page_row,
    render_text,
    selection_rows,
    skipped_rows,
    sweep_rows,
    write_outputs,
)

PROJECT = Path(__file__).resolve().parent.parent
VAR = PROJECT / "var" / "bench"
PYTHON = sys.executable
SEED = 7


@dataclass
class Config:
    scale: float = 1.0
    small_scale: float = 0.01
    duration: float = 10.0
    warmup: float = 2.0
    connections: int = 8
    backends: tuple = ("postgresql", "sqlite")
    import_months: int = 12
    big_mb: int = 1024
    big_on_sqlite: bool = False
    fresh: bool = False
    tool: str = "auto"
    postgres_url: str = "postgres://postgres@127.0.0.1:5432/kam_bench"
    port: int = 8101
    out: Path = PROJECT / "bench" / "results"


def say(text: str):
    print(f"[{dt.datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------------- databases


class Databases:
    """The three databases of one backend: the scale-N tenant, the small one, and a throw-away copy for imports."""

    def __init__(self, backend: str, config: Config):
        self.backend, self.config = backend, config

    def url(self, role: str) -> str:
        suffix = {"large": "", "small": "_small", "import": "_import"}[role]
        if self.backend == "sqlite":
            return f"sqlite:///{VAR / f'kam_bench{suffix}.sqlite3'}"
        parts = urlsplit(self.config.postgres_url)
        return urlunsplit(parts._replace(path=parts.path + suffix))

    def _path(self, role):
        return Path(urlsplit(self.url(role)).path)

    def _admin(self):
        import psycopg

        parts = urlsplit(self.config.postgres_url)
        return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)

    def _name(self, role):
        return urlsplit(self.url(role)).path.lstrip("/")

    def exists(self, role) -> bool:
        if self.backend == "sqlite":
            return self._path(role).exists()
        with self._admin() as conn:
            return (
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self._name(role)]).fetchone() is not None
            )

    def drop(self, role):
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(str(self._path(role)) + suffix).unlink(missing_ok=True)
            return
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self._name(role)}" WITH (FORCE)')

    def create(self, role, template: str | None = None):
        self.drop(role)
        if self.backend == "sqlite":
            self._path(role).parent.mkdir(parents=True, exist_ok=True)
            if template:
                with sqlite3.connect(self._path(template)) as source, sqlite3.connect(self._path(role)) as copy:
                    source.backup(copy)
            return
        with self._admin() as conn:
            conn.execute(
                f'CREATE DATABASE "{self._name(role)}"' + (f' TEMPLATE "{self._name(template)}"' if template else "")
            )

    def prepare(self, role: str, scale: float):
        """A tenant generated at `scale`: kept when its generate summary matches, else made anew."""
        env = environment(self.url(role), self.config)
        if not self.config.fresh and self.exists(role):
            django(env, "migrate", "--verbosity", "0")
            marker = call(env, "marker")
            if marker and marker.get("scale") == scale and marker.get("seed") == SEED and marker.get("current"):
                say(f"{self.backend}: reusing the scale-{scale:g} tenant ({self._name(role)})")
                return
            if marker and not marker.get("current"):
                say(f"{self.backend}: the tenant in {self._name(role)} was generated by other steps than today's")
        say(f"{self.backend}: generating the scale-{scale:g} tenant ({self._name(role)})")
        self.create(role)
        django(env, "migrate", "--verbosity", "0")
        started = time.perf_counter()
        django(env, "generate", "--scale", str(scale), "--seed", str(SEED), quiet=False)
        say(f"{self.backend}: generated in {time.perf_counter() - started:.0f} s")


# ------------------------------------------------------------------------------------------------------ processes


def environment(database_url: str, config: Config | None = None, var: Path = VAR) -> dict:
    """Production settings (DEBUG off, WSGI under granian), plain HTTP on 127.0.0.1; uploads and static files in
    `var`."""
    (var / "static").mkdir(parents=True, exist_ok=True)
    key_file = var / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAM_")}
    env.update(
        KAM_DATABASE_URL=database_url,
        KAM_SECRET_KEY=key_file.read_text().strip(),
        KAM_DEBUG="0",
        KAM_HTTPS="0",
        KAM_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        KAM_VAR_DIR=str(var),
        KAM_LOG_LEVEL="ERROR",
        KAM_IMPORT_MAX_BYTES=str(8 * 1024**3),
        KAM_WEB_WORKERS="2",
        DJANGO_SETTINGS_MODULE="kam.settings",
        PYTHONPATH=str(PROJECT),
    )
    return env


def django(env: dict, *argv, quiet=True):
    subprocess.run(
        [PYTHON, "-m", "kam.cli", *argv],
        env=env,
        cwd=PROJECT,
        check=True,
        stdout=subprocess.DEVNULL if quiet else sys.stderr,
    )


def call(env: dict, command: str, args: dict | None = None):
    """One `bench.django_side` command in its own process, on the database of `env`."""
    output = subprocess.run(
        [PYTHON, "-m", "bench.django_side", command, json.dumps(args or {})],
        env=env,
        cwd=PROJECT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def start_server(env: dict, port: int, *, timeout: float = 60) -> subprocess.Popen:
    """`kam serve` (granian, WSGI, 2 workers) in a process group of its own, once /readyz answers."""
    process = subprocess.Popen(
        [PYTHON, "-m", "kam.cli", "serve", "--port", str(port), "--workers", env.get("KAM_WEB_WORKERS", "2")],
        env=env,
        cwd=PROJECT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kam serve stopped with exit code {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return process
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)  # not up yet
    stop(process)
    raise RuntimeError(f"kam serve did not answer on port {port} within {timeout} s")


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "kam.cli", "worker", "--interval", "0.2"],
        env=env,
        cwd=PROJECT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen):
    """SIGTERM to the process group we started (the server's workers are in it), SIGKILL after 20 s."""
    if process.poll() is not None:
        return
    group = os.getpgid(process.pid)
    os.killpg(group, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        process.wait()


def preflight(url: str, headers: dict):
    """One request first: a page that fails or sends the login page must not be measured as fast."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http://127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            body = response.read()
            if response.status != 200 or b'name="password"' in body:
                raise RuntimeError(f"{url} did not answer with the page (status {response.status})")
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{url} answered {error.code}") from None


# ------------------------------------------------------------------------------------------------------ the run


def measure_pages(backend: str, config: Config, env: dict, port: int) -> tuple[list[Row], dict]:
    targets = call(env, "targets")
    headers = call(env, "credentials", {"targets": targets})
    pages = key_pages(targets)
    rows = []
    server = start_server(env, port)
    try:
        for page in pages:
            url = f"http://127.0.0.1:{port}{page.path}"
            preflight(url, headers[page.auth])
            http_load(url, headers[page.auth], config.warmup, config.connections, config.tool)  # warm caches
            load = http_load(url, headers[page.auth], config.duration, config.connections, config.tool)
            rows.append(page_row(backend, page, load))
            say(f"{backend}: {page.name}: {load.rps:,.0f} req/s, p50 {load.p50_ms} ms, p95 {load.p95_ms} ms")
    finally:
        stop(server)
    rows += skipped_rows(backend, targets)
    return rows, targets


def measure_on_copy(backend: str, config: Config, databases: Databases, files: dict) -> list[Row]:
    """On a throw-away copy of the tenant: a selection run over all of it and the aggregate next to it (before the
    import adds months), a scheduler sweep over the open client requests (rolled back), the import file through `kam
    worker` (check, apply), PostgreSQL's own COPY of it, and the big file's check in a fresh worker (its peak
    memory)."""
    rows = []
    databases.create("import", template="large")
    env = environment(databases.url("import"), config)
    try:
        selection = call(env, "selection-run")
        say(f"{backend}: selection run {selection}")
        rows += selection_rows(backend, selection)
        sweep = call(env, "sla-sweep")
        say(f"{backend}: SLA sweep {sweep}")
        rows += sweep_rows(backend, sweep)
        call(env, "ensure-fx", {"months": files["months"] + files["big_months"]})
        worker = start_worker(env)
        try:
            result = call(env, "import", {"path": files["small"], "apply": True, "worker_pid": worker.pid})
        finally:
            stop(worker)
        say(f"{backend}: import {result}")
        rows += import_rows(backend, result)
        if backend == "postgresql":
            copy = call(env, "raw-copy", {"path": files["small"]})
            say(f"{backend}: PostgreSQL alone {copy}")
            rows += copy_rows(backend, copy)
        if files.get("big") and (backend == "postgresql" or config.big_on_sqlite):
            worker = start_worker(env)
            try:
                big = call(env, "import", {"path": files["big"], "apply": False, "worker_pid": worker.pid})
            finally:
                stop(worker)
            say(f"{backend}: big file {big}")
            rows.append(big_file_row(backend, big))
    finally:
        databases.drop("import")
    return rows


def import_files(config: Config, env: dict) -> dict:
    """The import files, written once from the tenant (account numbers and currencies are the same on every backend):
    `import_months` months for every account, and enough months more to make about `big_mb` MB."""
    months = call(env, "import-months", {"count": config.import_months})
    directory = VAR / "media" / "imports" / "bench"
    small = directory / f"facts-scale{config.scale:g}-{len(months)}m.csv"
    if not small.exists():
        say(f"writing {small.name}")
        call(env, "write-csv", {"path": str(small), "months": months})
    files = {"months": months, "small": str(small), "big": None, "big_months": []}
    rows = sum(1 for _ in small.open("rb")) - 1
    files["rows"] = rows
    if config.big_mb:
        per_month = small.stat().st_size / len(months)
        count = max(len(months) + 1, math.ceil(config.big_mb * 1_048_576 / per_month))
        big_months = call(env, "import-months", {"count": count + len(months)})[:count]
        big = directory / f"facts-scale{config.scale:g}-{count}m.csv"
        if not big.exists():
            say(f"writing {big.name} (~{config.big_mb} MB)")
            call(env, "write-csv", {"path": str(big), "months": big_months})
        files.update(big=str(big), big_months=big_months)
    return files


def run(config: Config) -> BenchResult:
    started = dt.datetime.now().replace(microsecond=0)
    result = BenchResult(
        started=started.isoformat(),
        config={k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
        machine=machine_info(),
    )
    VAR.mkdir(parents=True, exist_ok=True)
    say("collecting static files")
    django(environment("sqlite:///" + str(VAR / "static.sqlite3"), config), "collectstatic", "--noinput")
    files = None
    for index, backend in enumerate(config.backends):
        databases = Databases(backend, config)
        databases.prepare("large", config.scale)
        databases.prepare("small", config.small_scale)
        env = environment(databases.url("large"), config)
        info = call(env, "database-info")
        result.machine["versions"].update({k: v for k, v in info.items() if isinstance(v, str)})
        if "postgresql_settings" in info:
            result.machine["postgresql_settings"] = info["postgresql_settings"]
        rows, targets = measure_pages(backend, config, env, config.port + index)
        result.config.setdefault("targets", {})[backend] = targets
        large = call(env, "count-queries")["counts"]
        small = call(environment(databases.url("small"), config), "count-queries")["counts"]
        for row in rows:
            row.queries_large, row.queries_small = large.get(row.key), small.get(row.key)
        result.rows += rows
        files = files or import_files(config, env)
        result.rows += measure_on_copy(backend, config, databases, files)
    evaluate(result.rows, scale=config.scale)
    result.machine["loadavg_end"] = machine_info()["loadavg_start"]
    result.machine["finished"] = dt.datetime.now().replace(microsecond=0).isoformat()
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="tenant size: 1 = 200,000 customers (default)")
    parser.add_argument("--small-scale", type=float, default=None, help="second tenant for query counts (scale/100)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per page (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before each measurement")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--import-months", type=int, default=12, help="months per account in the import file")
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the memory test file (0: skip)")
    parser.add_argument("--big-on-sqlite", action="store_true", help="also check the big file on SQLite")
    parser.add_argument("--fresh", action="store_true", help="generate the tenants anew even if they exist")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto", help="load generator")
    parser.add_argument("--port", type=int, default=8101, help="first port for the servers (one per backend)")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("KAM_BENCH_POSTGRES_URL", Config.postgres_url), help="large tenant"
    )
    parser.add_argument("--out", type=Path, default=Config.out)
    options = parser.parse_args(argv)
    config = Config(
        scale=options.scale,
        small_scale=options.small_scale or max(options.scale / 100, 0.0005),
        duration=options.duration,
        warmup=options.warmup,
        connections=options.connections,
        backends=tuple(b.strip() for b in options.backends.split(",") if b.strip()),
        import_months=options.import_months,
        big_mb=options.big_mb,
        big_on_sqlite=options.big_on_sqlite,
        fresh=options.fresh,
        tool=options.tool,
        postgres_url=options.postgres_url,
        port=options.port,
        out=options.out,
    )
    result = run(config)
    result.config["tool"] = next((r.tool for r in result.rows if r.tool), config.tool)
    print(render_text(result.rows))
    json_path, md_path = write_outputs(result, config.out)
    print(f"\nWritten: {json_path} and {md_path}")


if __name__ == "__main__":
    main()
