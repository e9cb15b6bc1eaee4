"""The facts import reads its file as a stream and plans in temporary tables (DEFINITIONS.md §11 unchanged): lines
that cross the read chunks, errors found mid-stream, the comparison with stored months, and nothing left behind."""

import io
from decimal import Decimal

import pytest
from django.db import connection

from kam.accounts import importers
from kam.accounts.choices import ImportKind
from kam.accounts.importers import run_import
from kam.accounts.models import FinancialFact
from kam.audit.models import ObjectChange
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "account_number,month,product_line,currency,revenue,gross_profit"


@pytest.fixture
def accounts(db):
    factories.rate("2026-01", "USD", "1.0850")
    factories.rate("2026-02", "USD", "1.0900")
    return {
        "GLX": factories.make_account("Globex", account_number="GLX"),
        "INI": factories.make_account("Initech", account_number="INI", currency="USD"),
    }


class SizedReads(io.BytesIO):
    """A file that refuses to be read whole: the importer must ask for chunks."""

    def read(self, size=-1):
        assert size is not None and 0 < size <= importers.READ_CHUNK, f"read({size}) would load the whole file"
        return super().read(size)


def facts(*rows, newline="\r\n"):
    return (newline.join([HEADER, *rows]) + newline).encode()


def stored(account):
    return sorted(
        FinancialFact.objects.filter(account=account).values_list("month", "product_line", "currency", "revenue")
    )


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_lines_across_tiny_read_chunks_give_the_same_rows(accounts, monkeypatch, newline):
    monkeypatch.setattr(importers, "READ_CHUNK", 7)  # every line, and some "\r\n", is cut between two chunks
    data = "\ufeff".encode() + facts(
        "GLX,2026-01,Pumps,EUR,100.5,20",
        'INI,2026-01,"Valves, ""large""",USD,250,50.1234',
        "GLX,2026-02,,EUR,-5,-1",
        "GLX,2026-01,Pumps,EUR,100.5,20",  # the same month of the same account, far from its first row
        newline=newline,
    )

    report = run_import(ImportKind.FACTS, SizedReads(data), "facts.csv", apply=True)

    assert report.ok, report.errors
    assert (report.rows_total, report.created, report.updated, report.unchanged) == (4, 3, 0, 0)
    assert [(p["row"], p["object"]) for p in report.preview] == [
        (2, "GLX 2026-01: 2 rows"),
        (3, "INI 2026-01: 1 rows"),
        (4, "GLX 2026-02: 1 rows"),
    ]
    assert stored(accounts["INI"])[0][1] == 'Valves, "large"'
    assert FinancialFact.objects.filter(account=accounts["GLX"], month="2026-01-01").count() == 2


def test_a_bad_byte_mid_file_replaces_the_row_errors_found_before_it(accounts, monkeypatch):
    monkeypatch.setattr(importers, "READ_CHUNK", 16)
    data = facts("GLX,2026-13,,EUR,1,1", "GLX,2026-01,,EUR,1,1")
    data += "INI,2026-01,Caf\u00e9,USD,1,1\r\n".encode("latin-1")

    report = run_import(ImportKind.FACTS, data, "facts.csv", apply=True)

    assert [(e["row"], e["column"]) for e in report.errors] == [(4, "")]
    assert "not UTF-8 text (first bad byte in row 4)" in report.errors[0]["reason"]
    assert report.rows_total == 0 and FinancialFact.objects.count() == 0


def test_nul_bytes_anywhere_refuse_the_whole_file(accounts, monkeypatch):
    monkeypatch.setattr(importers, "READ_CHUNK", 16)
    data = facts("GLX,2026-13,,EUR,1,1", "GLX,2026-01,,EUR,1,1", "GLX,2026-02,Pu\x00mps,EUR,1,1")

    report = run_import(ImportKind.FACTS, data, "facts.csv", apply=True)

    assert [e["reason"] for e in report.errors] == ["The file contains NUL bytes: it is not a CSV text file."]
    assert FinancialFact.objects.count() == 0


def test_a_month_with_the_same_rows_in_another_order_is_unchanged(accounts):
    run_import(ImportKind.FACTS, facts("GLX,2026-01,A,EUR,1,1", "GLX,2026-01,B,EUR,2,1"), "f.csv", apply=True)
    changes = ObjectChange.objects.count()

    same = run_import(
        ImportKind.FACTS, facts("GLX,2026-01,B,EUR,2.00,1", "GLX,2026-01,A,EUR,1.0,1"), "f.csv", apply=True
    )
    swapped = run_import(
        ImportKind.FACTS, facts("GLX,2026-01,A,EUR,2,1", "GLX,2026-01,B,EUR,1,1"), "f.csv", apply=False
    )

    assert (same.created, same.updated, same.unchanged) == (0, 0, 1)
    assert ObjectChange.objects.count() == changes
    # as many rows as stored, but the amounts moved between the lines: the month is replaced
    assert (swapped.created, swapped.updated, swapped.unchanged) == (0, 1, 0)
    assert swapped.preview == [{"row": 2, "action": "updated", "object": "GLX 2026-01: 2 → 2 rows"}]


def test_one_audit_record_per_account_with_its_created_and_replaced_months(accounts):
    glx, ini = accounts["GLX"], accounts["INI"]
    factories.fact(glx, "2026-01", "50", "5")
    before = ObjectChange.objects.count()

    report = run_import(
        ImportKind.FACTS,
        facts(
            "GLX,2026-02,,EUR,1,1",
            "INI,2026-02,,USD,1,1",
            "GLX,2026-01,,EUR,7,1",
            "GLX,2026-01,X,EUR,8,1",
            "INI,2026-01,,USD,3,1",
        ),
        "facts.csv",
        apply=True,
    )

    assert (report.created, report.updated, report.unchanged) == (3, 1, 0)
    records = {c.account_id: c for c in ObjectChange.objects.order_by("pk")[before:]}
    assert set(records) == {glx.pk, ini.pk}
    assert records[glx.pk].after == {
        "file": "facts.csv",
        "months_created": ["2026-02"],
        "months_replaced": ["2026-01"],
        "rows": 3,
    }
    assert records[ini.pk].after["months_created"] == ["2026-01", "2026-02"]
    assert records[ini.pk].object_repr == "Initech: facts imported" and records[ini.pk].action == "update"
    assert stored(glx) == [
        (factories.month("2026-01"), "", "EUR", Decimal("7")),
        (factories.month("2026-01"), "X", "EUR", Decimal("8")),
        (factories.month("2026-02"), "", "EUR", Decimal("1")),
    ]


def test_more_bad_rows_than_the_report_lists_are_all_counted(accounts):
    report = run_import(ImportKind.FACTS, facts(*["GLX,2026-01,,EUR,x,1"] * 600), "facts.csv", apply=False)

    assert report.error_count == 600 and len(report.errors) == importers.MAX_REPORTED_ERRORS


def test_progress_is_reported_while_the_rows_stream_in(accounts, monkeypatch):
    monkeypatch.setattr(importers, "PROGRESS_ROWS", 2)
    seen = []

    def progress(done, total):
        seen.append(done)
        FinancialFact.objects.count()  # the database session is usable from the callback (no COPY running)

    report = importers.FactImporter(
        facts(*[f"GLX,2026-01,L{i},EUR,1,1" for i in range(5)]), "facts.csv", progress=progress
    ).run(apply=True)

    assert report.ok and seen == [2, 4] and FinancialFact.objects.count() == 5


def _temporary_tables():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT relname FROM pg_class WHERE relpersistence = 't' AND relname LIKE 'kam_import%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_temp_master WHERE name LIKE 'kam_import%'")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize(
    "data",
    [facts("GLX,2026-01,,EUR,1,1"), facts("NOPE,2026-01,,EUR,1,1"), facts("GLX,2026-01,,EUR,1,1", 'GLX,"2026-02')],
    ids=["applied", "unknown-account", "broken-csv"],
)
def test_no_temporary_table_outlives_the_import(accounts, data):
    run_import(ImportKind.FACTS, data, "facts.csv", apply=True)

    assert _temporary_tables() == []
