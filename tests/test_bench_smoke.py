"""`make bench` at a tiny scale, inside the normal suite, so that the harness never rots. It runs every step — generate
two tenant sizes, count each page's queries at both, load every page, serve the ceiling through a real granian server
and load it over HTTP, a selection run over the whole tenant and the aggregate next to it, a scheduler sweep over the
open client requests, import a facts file (check and apply), PostgreSQL's COPY of it when the suite runs there, a
second file for the memory row — and asserts that the table has every row. It asserts no speed."""

import socket

import pytest
from django.db import connection

from bench import django_side, harness
from bench.run import environment, start_server, stop
from kam.accounts.models import Account
from kam.core.generate import generate
from kam.servicelevels.models import ClientRequest, Escalation

TINY, LARGER = 0.0005, 0.0015  # 100 and 300 customers: 1 and 3 key accounts


def free_port() -> int:
    """A free port of the bench range (8100-8199), so that parallel runs do not collide."""
    for port in range(8150, 8200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip("no free port in 8150-8199")


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


def test_the_bench_harness_produces_every_row_of_its_table(db, media, tmp_path):
    backend = connection.vendor
    generate(scale=TINY)
    small = django_side.count_queries()["counts"]
    generate(scale=LARGER, prefix="BIG", allow_existing=True)  # the same database, now a larger tenant
    measured = django_side.count_queries()
    large, targets = measured["counts"], measured["targets"]
    pages = harness.key_pages(targets)
    assert {"selection-ranked-list", "selection-matrix"} <= {page.key for page in pages}  # the generated run's pages
    assert {"account-360-team", "teams-workload", "teams-coverage"} <= {page.key for page in pages}
    assert {"requests-queue", "requests-queue-kam", "requests-list"} <= {page.key for page in pages}
    # the generated plan's pages: measured, or reported as skipped while their URL does not exist
    planned = {page.key for page in pages} | {row.key for row in harness.skipped_rows(backend, targets)}
    assert {"account-360-plan", "plan-whitespace", "plan-pdf"} <= planned
    # the generated organisation map's pages: the largest map's tab, its timeline page and the API's timeline
    assert {"account-360-stakeholders", "account-timeline", "api-account-interactions"} <= planned
    assert targets["map_people"] > 0 and targets["map_interactions"] > 0

    # The ceiling through the production server (no database needed for /healthz), the pages in-process.
    port = free_port()
    server = start_server(environment(f"sqlite:///{tmp_path / 'ceiling.sqlite3'}", var=tmp_path / "var"), port)
    try:
        ceiling = harness.http_load(f"http://127.0.0.1:{port}/healthz", {}, duration=1, connections=2)
    finally:
        stop(server)
    rows = [harness.page_row(backend, pages[0], ceiling)]
    rows += django_side.measure_in_process(backend, pages[1:], targets, duration=0.05)
    for row in rows:
        row.queries_small, row.queries_large = small.get(row.key), large.get(row.key)

    selection = django_side.selection_run()
    rows += harness.selection_rows(backend, selection)
    requests = ClientRequest.objects.count()
    sweep = django_side.sla_sweep()
    rows += harness.sweep_rows(backend, sweep)
    assert ClientRequest.objects.count() == requests and not Escalation.objects.filter(at__gte=sweep["moment"]).exists()

    months = django_side.import_months(2)
    big_months = django_side.import_months(5)[:3]
    django_side.ensure_fx(months + big_months)
    small_file, big_file = media / "imports" / "small.csv", media / "imports" / "big.csv"
    written = django_side.write_facts_csv(str(small_file), months)
    django_side.write_facts_csv(str(big_file), big_months)
    result = django_side.run_import(str(small_file), apply=True)
    rows += harness.import_rows(backend, result)
    if backend == "postgresql":
        rows += harness.copy_rows(backend, django_side.raw_copy(str(small_file)))
    rows.append(harness.big_file_row(backend, django_side.run_import(str(big_file), apply=False)))
    harness.evaluate(rows, scale=TINY)

    assert {(r.backend, r.key) for r in rows} == harness.expected_keys(pages, [backend], big_file=True)
    assert ceiling.ok > 0 and ceiling.errors == 0
    assert all(r.rps and not r.errors for r in rows if r.section in ("ceiling", "page", "api")), rows
    assert all(r.queries_small and r.queries_large for r in rows if r.section in ("page", "api"))
    assert result["check"]["rows"] == result["apply"]["rows"] == written["rows"] == targets["accounts"] * 2 == 800
    assert result["apply"]["status"] == "applied" and all(r.rows_per_s for r in rows if r.section == "import")
    assert next(r for r in rows if r.key == "memory-large").ratio is not None
    top_level = Account.objects.filter(parent__isnull=True).count()
    assert selection["status"] == "done" and selection["population"] == top_level > 0
    assert selection["aggregate_rows"] == 400 and selection["facts"] == 400 * 24  # both tenants, before the import
    run_row = next(r for r in rows if r.key == "selection-run")
    assert run_row.seconds > 0 and run_row.ratio > 0 and run_row.met is None  # judged at scale 1 on PostgreSQL only
    assert sweep["open"] == 12 and sweep["checked"] == sweep["due"]  # 3 % of 100 and 300 requests: what was due
    sweep_row = next(r for r in rows if r.key == "sla-sweep")
    assert sweep_row.seconds > 0 and sweep_row.met is None

    outcome = harness.BenchResult(started="2026-11-28T00:00:00", config={"scale": TINY}, machine=harness.machine_info())
    outcome.rows = rows
    json_path, md_path = harness.write_outputs(outcome, tmp_path / "results")
    table = harness.render_text(rows)
    assert json_path.exists() and md_path.exists()
    assert all(row.name in table and row.name in md_path.read_text() for row in rows)


def test_a_plan_page_without_its_url_is_reported_as_skipped(db, monkeypatch):
    from django import urls

    generate(scale=TINY)
    reverse = urls.reverse

    def without_pdf(name, *args, **kwargs):
        if name == "plans:export_pdf":
            raise urls.NoReverseMatch(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr(urls, "reverse", without_pdf)
    targets = django_side.find_targets()

    keys = {page.key for page in harness.key_pages(targets)}
    assert {"account-360-plan", "plan-whitespace"} <= keys and "plan-pdf" not in keys
    (skipped,) = harness.skipped_rows("sqlite", targets)
    assert skipped.key == "plan-pdf" and "plans:export_pdf" in skipped.note and skipped.rps is None


def test_a_stakeholder_page_without_its_route_is_reported_as_skipped(db, monkeypatch):
    from django import urls

    generate(scale=TINY)
    resolve = urls.resolve

    def without_interactions_api(path, *args, **kwargs):
        if path.endswith("/interactions"):
            raise urls.Resolver404(path)
        return resolve(path, *args, **kwargs)

    monkeypatch.setattr(urls, "resolve", without_interactions_api)
    targets = django_side.find_targets()

    keys = {page.key for page in harness.key_pages(targets)}
    assert {"account-360-stakeholders", "account-timeline"} <= keys and "api-account-interactions" not in keys
    (skipped,) = harness.skipped_rows("sqlite", targets)
    assert skipped.key == "api-account-interactions" and skipped.section == "api" and skipped.rps is None
