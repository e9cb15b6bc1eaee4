"""The importers of DEFINITIONS.md §11: bad files are refused whole with a report that names row, column and
reason; good files (Salesforce, HubSpot, our own columns) land with the right hierarchy; importing the same file
again changes nothing."""

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from kam.accounts import services
from kam.accounts.choices import ImportKind
from kam.accounts.figures import own_figures
from kam.accounts.importers import AccountImporter, run_import
from kam.accounts.models import Account, FinancialFact, FxRate, ImportRun, WalletEstimate
from kam.audit.models import ObjectChange
from tests import factories

pytestmark = pytest.mark.django_db

SF_HEADER = "Id,Name,ParentId,AccountNumber,CurrencyIsoCode,BillingCity"
FACTS_HEADER = "account_number,month,product_line,currency,revenue,gross_profit"


def counts():
    return {
        "accounts": Account.objects.count(),
        "facts": FinancialFact.objects.count(),
        "wallets": WalletEstimate.objects.count(),
        "rates": FxRate.objects.count(),
        "changes": ObjectChange.objects.count(),
    }


def lines(*rows):
    return ("\r\n".join(rows) + "\r\n").encode()


def xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def fresh(number):
    return Account.objects.get(account_number=number)


@pytest.fixture
def world(db):
    """What KAM holds before the imports: a group with a subsidiary (Salesforce ids known), one more top-level
    account, USD and GBP rates for January 2026, a wallet and a month of facts."""
    group = factories.make_account("Globex Group", account_number="GLX", crm_id="001GLX000000001AAA")
    sub = factories.make_account(
        "Globex France", parent=group, account_number="GLX-FR", crm_id="001GLX000000002AAA", currency="USD"
    )
    lone = factories.make_account("Initech", account_number="INI", crm_id="001INI000000001AAA")
    factories.rate("2026-01", "USD", "1.0850")
    factories.rate("2026-01", "GBP", "0.8500")
    factories.wallet(group, 2026, "100000")
    factories.fact(group, "2026-01", "100.0000", "20.0000")
    return {"group": group, "sub": sub, "lone": lone}


# ------------------------------------------------------------------------------------------- bad files


def _facts(*rows):
    return lines(FACTS_HEADER, *rows)


def _valid_sf_rows(count):
    return [f"001NEW{i:012d}AA,New {i},,NEW-{i},EUR,Lyon" for i in range(count)]


BAD_FILES = [
    # (id, kind, filename, data, expected row, expected column, words in the reason)
    (
        "accounts-missing-column",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines("Id,Name,ParentId,CurrencyIsoCode", "001A,Acme,,EUR"),
        1,
        "account_number",
        "Required column(s) missing: account_number",
    ),
    (
        "facts-missing-column",
        ImportKind.FACTS,
        "facts.csv",
        lines("account_number,month,product_line,currency,revenue", "GLX,2026-01,,EUR,1"),
        1,
        "gross_profit",
        "Required column(s) missing: gross_profit",
    ),
    (
        "fx-missing-column",
        ImportKind.FX,
        "fx.csv",
        lines("month,currency", "2026-02,USD"),
        1,
        "rate_per_eur",
        "Required column(s) missing",
    ),
    ("month-13", ImportKind.FACTS, "facts.csv", _facts("GLX,2026-13,,EUR,1,1"), 2, "month", "not a month"),
    ("month-slash", ImportKind.FACTS, "facts.csv", _facts("GLX,2026/01,,EUR,1,1"), 2, "month", "not a month"),
    (
        "fx-month-bad",
        ImportKind.FX,
        "fx.csv",
        lines("month,currency,rate_per_eur", "2026-00,USD,1.1"),
        2,
        "month",
        "not a month",
    ),
    (
        "number-thousands-separator",
        ImportKind.FACTS,
        "facts.csv",
        _facts('GLX,2026-01,,EUR,"1,234.5",1'),
        2,
        "revenue",
        "no thousands separators",
    ),
    ("number-abc", ImportKind.FACTS, "facts.csv", _facts("GLX,2026-01,,EUR,1,abc"), 2, "gross_profit", "not a number"),
    (
        "number-unicode-digits",
        ImportKind.FACTS,
        "facts.csv",
        _facts("GLX,2026-01,,EUR,١٢٣,1"),
        2,
        "revenue",
        "not a number",
    ),
    (
        "month-fullwidth-digits",
        ImportKind.FACTS,
        "facts.csv",
        _facts("GLX,２０２６-０１,,EUR,1,1"),
        2,
        "month",
        "not a month",
    ),
    (
        "more-than-4-decimals",
        ImportKind.FACTS,
        "facts.csv",
        _facts("GLX,2026-01,,EUR,1.00001,1"),
        2,
        "revenue",
        "more than 4 decimal places",
    ),
    (
        "accounts-currency-EURO",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines(SF_HEADER, "001A,Acme,,ACME,EURO,Paris"),
        2,
        "CurrencyIsoCode",
        "not an ISO 4217 currency code",
    ),
    ("facts-currency-EURO", ImportKind.FACTS, "facts.csv", _facts("GLX,2026-01,,EURO,1,1"), 2, "currency", "ISO 4217"),
    (
        # In the plain files the code must be exact ISO 4217 (upper case); the report says how to write it.
        "facts-currency-lowercase",
        ImportKind.FACTS,
        "facts.csv",
        _facts("GLX,2026-01,,usd,1,1"),
        2,
        "currency",
        "upper case: USD",
    ),
    (
        "duplicate-account-number",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines(SF_HEADER, "001A,Acme,,ACME,EUR,Paris", "001B,Acme again,,ACME,EUR,Paris"),
        3,
        "AccountNumber",
        "duplicate: the same account number is on row 2",
    ),
    (
        "duplicate-crm-id",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines(SF_HEADER, "001A,Acme,,ACME,EUR,Paris", "001A,Other,,OTHER,EUR,Paris"),
        3,
        "Id",
        "duplicate: the same CRM id is on row 2",
    ),
    (
        "duplicate-fx-month-currency",
        ImportKind.FX,
        "fx.csv",
        lines("month,currency,rate_per_eur", "2026-02,USD,1.08", "2026-03,USD,1.09", "2026-02,USD,1.07"),
        4,
        "currency",
        "duplicate: USD 2026-02 is already on row 2",
    ),
    (
        "duplicate-wallet-account-year",
        ImportKind.WALLET,
        "wallet.csv",
        lines("account_number,year,currency,wallet_amount", "GLX,2027,EUR,5", "INI,2027,EUR,5", "GLX,2027,EUR,6"),
        4,
        "year",
        "duplicate: GLX 2027 is already on row 2",
    ),
    (
        "unknown-parent",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines(SF_HEADER, "001A,Acme,001MISSING,ACME,EUR,Paris"),
        2,
        "ParentId",
        "unknown parent",
    ),
    (
        "cycle-in-file",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines(SF_HEADER, "001A,Acme A,001B,A,EUR,Paris", "001B,Acme B,001A,B,EUR,Paris"),
        2,
        "ParentId",
        "cycle in the hierarchy",
    ),
    (
        "cycle-self-parent",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines(SF_HEADER, "001A,Acme A,001A,A,EUR,Paris"),
        2,
        "ParentId",
        "cycle in the hierarchy",
    ),
    (
        # GLX-FR is stored below GLX: putting GLX under GLX-FR (by its Salesforce id, not in the file) is a cycle.
        "cycle-existing-parent-under-its-child",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines(SF_HEADER, "001GLX000000001AAA,Globex Group,001GLX000000002AAA,GLX,EUR,Paris"),
        2,
        "ParentId",
        "cycle in the hierarchy",
    ),
    (
        "error-on-last-row-only",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines(SF_HEADER, *_valid_sf_rows(30), "001LAST,,,NEW-LAST,EUR,Lyon"),
        32,
        "Name",
        "the name is required",
    ),
    (
        "facts-error-on-last-row-only",
        ImportKind.FACTS,
        "facts.csv",
        _facts(*[f"GLX,2025-{m:02d},Pumps,EUR,10,2" for m in range(1, 13)], "GLX,2025-12,Pumps,EUR,10,"),
        14,
        "gross_profit",
        "a value is required",
    ),
    ("empty-file", ImportKind.ACCOUNTS, "sf.csv", b"", 1, "", "empty"),
    ("blank-file", ImportKind.FACTS, "facts.csv", b"\r\n  \r\n", 1, "", "empty"),
    ("bom-only", ImportKind.FACTS, "facts.csv", b"\xef\xbb\xbf", 1, "", "empty"),
    ("header-only", ImportKind.ACCOUNTS, "sf.csv", lines(SF_HEADER), 2, "", "no data rows"),
    ("facts-header-only", ImportKind.FACTS, "facts.csv", lines(FACTS_HEADER, ",,,,,"), 2, "", "no data rows"),
    (
        "latin-1",
        ImportKind.ACCOUNTS,
        "sf.csv",
        (SF_HEADER + "\r\n001A,Société Générale,,SG,EUR,Paris\r\n").encode("latin-1"),
        2,
        "",
        "not UTF-8",
    ),
    ("xlsx-random-bytes", ImportKind.ACCOUNTS, "companies.xlsx", bytes(range(256)) * 8, 1, "", "not a readable XLSX"),
    (
        "unbalanced-quote",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines(SF_HEADER, '001A,"Acme,,A,EUR,Paris'),
        2,
        "",
        "not valid CSV",
    ),
    (
        "facts-unknown-account",
        ImportKind.FACTS,
        "facts.csv",
        _facts("GLX,2026-01,,EUR,1,1", "NOPE,2026-01,,EUR,1,1"),
        3,
        "account_number",
        "no account with this account number",
    ),
    (
        "facts-no-fx-rate",
        ImportKind.FACTS,
        "facts.csv",
        _facts("GLX,2026-01,,USD,1,1", "GLX,2026-02,,USD,1,1"),
        3,
        "currency",
        "no FX rate for USD in 2026-02",
    ),
    (
        "facts-currency-without-any-rate",
        ImportKind.FACTS,
        "facts.csv",
        _facts("GLX,2026-01,,CHF,1,1"),
        2,
        "currency",
        "no FX rate for CHF in 2026-01",
    ),
    (
        "wallet-unknown-account",
        ImportKind.WALLET,
        "wallet.csv",
        lines("account_number,year,currency,wallet_amount", "NOPE,2026,EUR,5"),
        2,
        "account_number",
        "no account with this account number",
    ),
    (
        "wallet-more-than-4-decimals",
        ImportKind.WALLET,
        "wallet.csv",
        lines("account_number,year,currency,wallet_amount", "GLX,2026,EUR,5.12345"),
        2,
        "wallet_amount",
        "more than 4 decimal places",
    ),
    (
        "wallet-currency-without-rates",
        ImportKind.WALLET,
        "wallet.csv",
        lines("account_number,year,currency,wallet_amount", "GLX,2026,EUR,5", "INI,2026,CHF,5"),
        3,
        "currency",
        "no FX rates for CHF",
    ),
    (
        "fx-rate-zero",
        ImportKind.FX,
        "fx.csv",
        lines("month,currency,rate_per_eur", "2026-02,USD,0"),
        2,
        "rate_per_eur",
        "greater than 0",
    ),
    (
        # rate_per_eur is stored with 10 integer digits: a bigger rate must be a row error, not a database error.
        "fx-rate-too-large",
        ImportKind.FX,
        "fx.csv",
        lines("month,currency,rate_per_eur", "2026-02,IDR,12345678901"),
        2,
        "rate_per_eur",
        "too large",
    ),
    (
        # The CRM id column holds 64 characters: a longer id is a row error, not a crash while writing.
        "crm-id-too-long",
        ImportKind.ACCOUNTS,
        "sf.csv",
        lines(SF_HEADER, f"{'X' * 65},Acme,,ACME,EUR,Paris"),
        2,
        "Id",
        "longer than 64 characters",
    ),
]


@pytest.mark.parametrize(
    ("kind", "filename", "data", "row", "column", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_FILES],
)
def test_bad_file_is_reported_and_writes_nothing(world, kind, filename, data, row, column, reason):
    before = counts()

    report = run_import(kind, data, filename, apply=True)

    assert not report.ok
    assert report.created == report.updated == 0
    assert any(e["row"] == row and e["column"] == column and reason in e["reason"] for e in report.errors), (
        report.errors
    )
    assert counts() == before


def test_cycle_in_file_names_every_row_of_the_cycle(world):
    data = lines(SF_HEADER, "001A,Acme A,001B,A,EUR,Paris", "001B,Acme B,001A,B,EUR,Paris", "001C,Acme C,,C,EUR,Paris")

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=False)

    assert [(e["row"], e["column"]) for e in report.errors] == [(2, "ParentId"), (3, "ParentId")]


def test_account_below_a_cycle_is_told_where_the_cycle_is(world):
    # D hangs below the A–B cycle: D is not in the cycle itself, and the report says so instead of claiming it is.
    data = lines(SF_HEADER, "001A,A,001B,A,EUR,Paris", "001B,B,001A,B,EUR,Paris", "001D,D,001A,D,EUR,Paris")

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=False)

    by_row = {e["row"]: e["reason"] for e in report.errors}
    assert "would end up below itself" in by_row[2] and "would end up below itself" in by_row[3]
    assert "below a cycle" in by_row[4] and "A" in by_row[4]


def test_zip_that_is_not_a_workbook_is_refused(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a spreadsheet")
    before = counts()

    for name in ("companies.xlsx", "companies.zip"):
        report = run_import(ImportKind.ACCOUNTS, buffer.getvalue(), name, apply=True)
        assert [(e["row"], e["column"]) for e in report.errors] == [(1, "")]
        assert "not a readable XLSX" in report.errors[0]["reason"]
    assert counts() == before


def test_oversize_file_is_refused_with_the_limit_in_readable_units(world, settings):
    settings.KAM_IMPORT_MAX_BYTES = 100
    data = lines(SF_HEADER, *_valid_sf_rows(5))
    before = counts()

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=True)

    assert [(e["row"], e["column"]) for e in report.errors] == [(1, "")]
    assert f"The file is {len(data)} bytes; the limit is 100 bytes" in report.errors[0]["reason"]
    assert counts() == before


def test_row_errors_carry_the_value_and_every_bad_cell_is_reported(world):
    data = _facts("GLX,2026-13,,usd,abc,1.00001")

    report = run_import(ImportKind.FACTS, data, "facts.csv", apply=False)

    assert {(e["row"], e["column"], e.get("value")) for e in report.errors} == {
        (2, "month", "2026-13"),
        (2, "currency", "usd"),
        (2, "revenue", "abc"),
        (2, "gross_profit", "1.00001"),
    }


def test_error_rows_count_records_not_physical_lines(world):
    # A quoted name spans two lines; the bad row after it is the file's 3rd record (row 4 with the header), the
    # row a spreadsheet shows.
    data = lines(SF_HEADER, '001A,"Two\r\nlines",,A,EUR,Paris', "001B,B,,B,XX,Paris")

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=False)

    assert [(e["row"], e["column"]) for e in report.errors] == [(3, "CurrencyIsoCode")]


# ------------------------------------------------------------------------------------------ good files


SALESFORCE = lines(
    "Id,Name,ParentId,AccountNumber,CurrencyIsoCode,BillingCity,BillingCountryCode,Type",
    # the grandchild comes first, its parent second, the group last
    "001Aa000001ABCDEF3,Acme Tooling GmbH,001Aa000001ABCDEF2,ACME-DE-1,eur,Stuttgart,DE,Customer",
    "001Aa000001ABCDEF2,Acme Europe BV,001Aa000001ABCDEF1,ACME-EU,USD,Rotterdam,NL,Customer",
    "001Aa000001ABCDEF1,Acme Group,,ACME,EUR,Boston,US,Customer",
    "001Aa000001ABCDEF4,Acme Iberia SL,001Aa000001ABCDEF2,ACME-ES,EUR,Madrid,ES,Customer",
)


def test_salesforce_export_builds_the_hierarchy_with_parents_after_children(world):
    report = run_import(ImportKind.ACCOUNTS, SALESFORCE, "Account.csv", apply=True)

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert "BillingCity" in report.ignored_columns and "Type" in report.ignored_columns
    group, europe, germany, spain = (fresh(n) for n in ("ACME", "ACME-EU", "ACME-DE-1", "ACME-ES"))
    assert group.parent is None and europe.parent == group and germany.parent == europe and spain.parent == europe
    assert (group.depth, europe.depth, germany.depth) == (0, 1, 2)
    assert group.tree_path == f"/{group.pk}/"
    assert europe.tree_path == f"/{group.pk}/{europe.pk}/"
    assert germany.tree_path == f"/{group.pk}/{europe.pk}/{germany.pk}/"
    assert germany.crm_id == "001Aa000001ABCDEF3" and germany.country == "DE"
    assert germany.currency == "EUR"  # the account importer accepts lower case and stores upper case
    assert europe.currency == "USD"
    assert set(group.subtree().values_list("account_number", flat=True)) == {"ACME", "ACME-EU", "ACME-DE-1", "ACME-ES"}


def test_hubspot_export_as_xlsx_with_integer_record_ids(world):
    data = xlsx(
        [
            ["Record ID", "Company name", "Parent Company", "Account Number", "Annual Revenue Currency Code", "City"],
            [9001002, "Umbrella Pharma UK", 9001001, "UMB-UK", "GBP", "London"],
            [9001001, "Umbrella Corp", None, "UMB", "EUR", "Raccoon City"],
            [None, None, None, None, None, None],  # an empty row is skipped
            [9001003.0, "Umbrella Labs", 9001002.0, "UMB-UK-LAB", "GBP", "Oxford"],
        ]
    )

    report = run_import(ImportKind.ACCOUNTS, data, "hubspot-companies.xlsx", apply=True)

    assert report.ok, report.errors
    assert report.created == 3
    corp, uk, lab = fresh("UMB"), fresh("UMB-UK"), fresh("UMB-UK-LAB")
    assert (corp.crm_id, uk.crm_id, lab.crm_id) == ("9001001", "9001002", "9001003")
    assert uk.parent == corp and lab.parent == uk and uk.currency == "GBP"
    assert lab.tree_path == f"/{corp.pk}/{uk.pk}/{lab.pk}/" and lab.depth == 2

    again = run_import(ImportKind.ACCOUNTS, data, "hubspot-companies.xlsx", apply=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_xlsx_errors_name_the_spreadsheet_row(world):
    data = xlsx(
        [
            ["Record ID", "Company name", "Parent Company", "Account Number", "Annual Revenue Currency Code"],
            [1, "One", None, "ONE", "EUR"],
            [None, None, None, None, None],
            [2, "Two", 99, "TWO", "EUR"],
        ]
    )
    before = counts()

    report = run_import(ImportKind.ACCOUNTS, data, "hubspot.xlsx", apply=True)

    assert [(e["row"], e["column"], e.get("value")) for e in report.errors] == [(4, "Parent Company", "99")]
    assert counts() == before


def test_utf8_file_with_byte_order_mark(world):
    data = "\ufeff".encode() + lines(SF_HEADER, "001A,Société Générale,,SG,EUR,Paris")

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=True)

    assert report.ok, report.errors
    assert report.mapping["crm_id"] == "Id"  # the BOM is not part of the first header
    assert fresh("SG").name == "Société Générale" and fresh("SG").crm_id == "001A"


def test_rfc_4180_quoting(world):
    data = lines(
        "Id,Name,ParentId,AccountNumber,CurrencyIsoCode,Description",
        '001A,"Smith, Jones & ""Partners""",,"SJP",EUR,"first line\r\nsecond, with comma"',
        '001B,"Smith ""North""\nDivision",001A,SJP-N,EUR,',
    )

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=True)

    assert report.ok, report.errors
    assert fresh("SJP").name == 'Smith, Jones & "Partners"'
    assert fresh("SJP-N").name == 'Smith "North"\nDivision'
    assert fresh("SJP-N").parent == fresh("SJP")


def test_own_account_columns_with_parent_account_number(world):
    data = lines(
        "account_number,name,parent_account_number,currency,industry,country,region,status",
        "GLX-DE,Globex Deutschland,GLX,EUR,Chemicals,de,EMEA,Prospect",
    )

    report = run_import(ImportKind.ACCOUNTS, data, "accounts.csv", apply=True)

    assert report.ok, report.errors
    germany = fresh("GLX-DE")
    assert germany.parent == world["group"] and germany.depth == 1
    assert germany.tree_path == f"/{world['group'].pk}/{germany.pk}/"
    assert (germany.country, germany.region, germany.status, germany.industry) == (
        "DE",
        "EMEA",
        "prospect",
        "Chemicals",
    )


def test_facts_scientific_notation_and_blank_product_line(world):
    data = _facts(
        "GLX,2026-01,,EUR,5.6E3,1.2e2",
        "GLX,2026-01,Pumps,EUR,-1E+1,-2.5",
        "GLX-FR,2026-01,,USD,+.5,0",
    )

    report = run_import(ImportKind.FACTS, data, "facts.csv", apply=True)

    assert report.ok, report.errors
    rows = sorted(
        FinancialFact.objects.filter(month="2026-01-01").values_list(
            "account__account_number", "product_line", "currency", "revenue", "gross_profit"
        )
    )
    assert rows == [
        ("GLX", "", "EUR", Decimal("5600"), Decimal("120")),
        ("GLX", "Pumps", "EUR", Decimal("-10"), Decimal("-2.5")),
        ("GLX-FR", "", "USD", Decimal("0.5"), Decimal("0")),
    ]


def test_wallet_and_fx_files_import(world):
    fx = lines("month,currency,rate_per_eur", "2026-02,USD,1.0812345678", "2026-02,EUR,1", "2026-01,USD,1.0850")
    wallet = lines("account_number,year,currency,wallet_amount", "GLX,2026,EUR,100000", "GLX-FR,2026,USD,2.5e4")

    fx_report = run_import(ImportKind.FX, fx, "fx.csv", apply=True)
    wallet_report = run_import(ImportKind.WALLET, wallet, "wallet.csv", apply=True)

    # the EUR row (rate 1, implied) counts as unchanged
    assert (fx_report.created, fx_report.updated, fx_report.unchanged) == (1, 0, 2)
    assert FxRate.objects.get(month="2026-02-01", currency="USD").rate_per_eur == Decimal("1.0812345678")
    assert (wallet_report.created, wallet_report.updated, wallet_report.unchanged) == (1, 0, 1)
    assert WalletEstimate.objects.get(account__account_number="GLX-FR", year=2026).amount == Decimal("25000")


# ----------------------------------------------------------------------------------------- re-imports


def test_reimporting_the_same_accounts_file_changes_nothing(world):
    first = run_import(ImportKind.ACCOUNTS, SALESFORCE, "Account.csv", apply=True)
    assert first.ok and first.created == 4
    before = counts()
    versions = dict(Account.objects.values_list("account_number", "version"))

    dry = run_import(ImportKind.ACCOUNTS, SALESFORCE, "Account.csv", apply=False)
    second = run_import(ImportKind.ACCOUNTS, SALESFORCE, "Account.csv", apply=True)

    for report in (dry, second):
        assert report.ok and (report.created, report.updated, report.unchanged) == (0, 0, 4)
        assert report.preview == []
    assert counts() == before
    assert dict(Account.objects.values_list("account_number", "version")) == versions


def test_changed_accounts_file_reports_exactly_the_updates(world):
    run_import(ImportKind.ACCOUNTS, SALESFORCE, "Account.csv", apply=True)
    changes_before = ObjectChange.objects.count()
    changed = SALESFORCE.replace(b"Acme Iberia SL", b"Acme Iberia S.L.").replace(b"ACME-EU,USD", b"ACME-EU,GBP")

    dry = run_import(ImportKind.ACCOUNTS, changed, "Account.csv", apply=False)
    applied = run_import(ImportKind.ACCOUNTS, changed, "Account.csv", apply=True)

    for report in (dry, applied):
        assert (report.created, report.updated, report.unchanged) == (0, 2, 2)
        assert sorted((p["row"], p["action"]) for p in report.preview) == [(3, "updated"), (5, "updated")]
        assert "(currency)" in next(p["object"] for p in report.preview if p["row"] == 3)
        assert "(name)" in next(p["object"] for p in report.preview if p["row"] == 5)
    assert ObjectChange.objects.count() == changes_before + 2
    assert fresh("ACME-ES").name == "Acme Iberia S.L." and fresh("ACME-EU").currency == "GBP"


def test_account_file_leaves_fields_it_does_not_carry_alone(world):
    # A Salesforce export has no status, region or industry column: the values kept in KAM stay as they are, and
    # the re-import reports the account unchanged instead of wiping them.
    group = world["group"]
    services.update_account(
        group, {"status": "prospect", "region": "EMEA", "industry": "Chemicals", "legal_name": "Globex SE"}
    )
    data = lines(SF_HEADER, "001GLX000000001AAA,Globex Group,,GLX,EUR,Paris")

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=True)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    group = fresh("GLX")
    assert (group.status, group.region, group.industry, group.legal_name) == (
        "prospect",
        "EMEA",
        "Chemicals",
        "Globex SE",
    )


def test_file_without_a_parent_column_keeps_the_hierarchy(world):
    data = lines("account_number,name,currency", "GLX-FR,Globex France SAS,USD")

    report = run_import(ImportKind.ACCOUNTS, data, "accounts.csv", apply=True)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert fresh("GLX-FR").parent == world["group"] and fresh("GLX-FR").name == "Globex France SAS"


def test_moving_a_branch_and_adding_below_it_in_one_file(world):
    # GLX-FR moves from GLX to INI; its existing child GLX-FR-1 stays in the file unchanged and gets a new child.
    # The new grandchild's path must reflect the move done earlier in the same import.
    child = factories.make_account("Globex Lyon", parent=world["sub"], account_number="GLX-FR-1", crm_id="001GLXLYON")
    data = lines(
        SF_HEADER,
        "001NEWGRAND,Globex Lyon Lab,001GLXLYON,GLX-FR-1-1,EUR,Lyon",
        "001GLXLYON,Globex Lyon,001GLX000000002AAA,GLX-FR-1,EUR,Lyon",
        "001GLX000000002AAA,Globex France,001INI000000001AAA,GLX-FR,USD,Paris",
    )

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=True)

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    lone, sub = world["lone"], world["sub"]
    grand = fresh("GLX-FR-1-1")
    assert fresh("GLX-FR").tree_path == f"/{lone.pk}/{sub.pk}/"
    assert fresh("GLX-FR-1").tree_path == f"/{lone.pk}/{sub.pk}/{child.pk}/"
    assert grand.tree_path == f"/{lone.pk}/{sub.pk}/{child.pk}/{grand.pk}/"
    assert grand.depth == 3
    assert set(lone.subtree().values_list("account_number", flat=True)) == {"INI", "GLX-FR", "GLX-FR-1", "GLX-FR-1-1"}


def test_swapping_parent_and_child_in_one_file(world):
    # Stored: GLX > GLX-FR. The file makes GLX-FR the top and GLX its subsidiary: no cycle in the result.
    data = lines(
        SF_HEADER,
        "001GLX000000001AAA,Globex Group,001GLX000000002AAA,GLX,EUR,Paris",
        "001GLX000000002AAA,Globex France,,GLX-FR,USD,Paris",
    )

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=True)

    assert report.ok, report.errors
    group, sub = fresh("GLX"), fresh("GLX-FR")
    assert sub.parent is None and sub.tree_path == f"/{sub.pk}/" and sub.depth == 0
    assert group.parent == sub and group.tree_path == f"/{sub.pk}/{group.pk}/" and group.depth == 1


def test_parents_are_ordered_before_children_at_any_depth():
    # A chain far deeper than Python's recursion limit, listed child first.
    depth = 5000
    parsed = [{"account_number": f"A{i}", "parent": f"A{i - 1}" if i else None} for i in reversed(range(depth))]

    ordered = AccountImporter(b"", "x.csv")._order(parsed)

    assert [p["account_number"] for p in ordered] == [f"A{i}" for i in range(depth)]


def test_reimporting_the_same_facts_file_changes_nothing(world):
    data = _facts(
        "GLX,2025-12,Pumps,EUR,100.5,20",
        "GLX,2025-12,Pumps,EUR,100.5,20",  # a split invoice with the same amounts: both rows are kept
        "GLX,2025-12,,EUR,0,0",
        "GLX-FR,2026-01,Valves,USD,250,50.1234",
    )
    first = run_import(ImportKind.FACTS, data, "facts.csv", apply=True)
    assert first.ok and (first.created, first.updated, first.unchanged) == (2, 0, 0), first.errors
    before = counts()
    ids = set(FinancialFact.objects.values_list("pk", flat=True))

    second = run_import(ImportKind.FACTS, data, "facts.csv", apply=True)

    assert second.ok and (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert counts() == before
    assert set(FinancialFact.objects.values_list("pk", flat=True)) == ids
    assert FinancialFact.objects.filter(account__account_number="GLX", month="2025-12-01").count() == 3


def test_reimporting_the_same_wallet_and_fx_files_changes_nothing(world):
    fx = lines("month,currency,rate_per_eur", "2026-02,USD,1.0812345678", "2026-02,GBP,0.85")
    wallet = lines("account_number,year,currency,wallet_amount", "GLX,2027,EUR,100000.1234", "INI,2027,GBP,5E4")
    run_import(ImportKind.FX, fx, "fx.csv", apply=True)
    run_import(ImportKind.WALLET, wallet, "wallet.csv", apply=True)
    before = counts()

    fx_again = run_import(ImportKind.FX, fx, "fx.csv", apply=True)
    wallet_again = run_import(ImportKind.WALLET, wallet, "wallet.csv", apply=True)

    assert (fx_again.created, fx_again.updated, fx_again.unchanged) == (0, 0, 2)
    assert (wallet_again.created, wallet_again.updated, wallet_again.unchanged) == (0, 0, 2)
    assert counts() == before

    changed = run_import(ImportKind.FX, fx.replace(b"0.85", b"0.86"), "fx.csv", apply=True)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert FxRate.objects.get(month="2026-02-01", currency="GBP").rate_per_eur == Decimal("0.86")


# ------------------------------------------------------------------------------------ facts semantics


def test_facts_file_replaces_the_account_months_it_contains(world):
    group = world["group"]
    factories.fact(group, "2026-01", "50", "5", product_line="Pumps")
    factories.fact(group, "2026-02", "70", "7", product_line="Pumps")
    factories.fact(world["sub"], "2026-01", "80", "8")
    changes_before = ObjectChange.objects.count()

    report = run_import(ImportKind.FACTS, _facts("GLX,2026-01,Valves,EUR,10,1"), "facts.csv", apply=True)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    # GLX January: the stored two rows are replaced by the file's one row; other months and accounts untouched.
    assert list(
        FinancialFact.objects.filter(account=group, month="2026-01-01").values_list("product_line", "revenue")
    ) == [("Valves", Decimal("10"))]
    assert FinancialFact.objects.filter(account=group, month="2026-02-01").count() == 1
    assert FinancialFact.objects.filter(account=world["sub"]).count() == 1
    # one audit record on the account names the replaced month
    event = ObjectChange.objects.order_by("-pk").first()
    assert ObjectChange.objects.count() == changes_before + 1
    assert event.account_id == group.pk and event.after["months_replaced"] == ["2026-01"]


def test_rows_of_the_same_account_month_and_line_are_added_up(world):
    data = _facts("INI,2026-01,Pumps,EUR,100.25,10", "INI,2026-01,Pumps,EUR,-20.25,-2", "INI,2026-01,Pumps,USD,108.5,0")

    report = run_import(ImportKind.FACTS, data, "facts.csv", apply=True)

    assert report.ok and FinancialFact.objects.filter(account=world["lone"]).count() == 3
    figures = own_figures(world["lone"])
    # 100.25 − 20.25 + 108.5 / 1.0850 (USD, 2026-01) = 80 + 100 = 180.00; GP 10 − 2 + 0 = 8.00
    assert figures.revenue_t12m_rounded == Decimal("180.00")
    assert figures.gross_profit_t12m_rounded == Decimal("8.00")


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (ImportKind.ACCOUNTS, SALESFORCE, (4, 0, 0)),
        (ImportKind.FACTS, _facts("GLX,2026-01,,EUR,1,1", "GLX,2026-02,,EUR,1,1"), (1, 1, 0)),
        (ImportKind.WALLET, lines("account_number,year,currency,wallet_amount", "GLX,2026,EUR,1"), (0, 1, 0)),
        (ImportKind.FX, lines("month,currency,rate_per_eur", "2030-01,USD,1", "2026-01,USD,1.0850"), (1, 0, 1)),
    ],
    ids=["accounts", "facts", "wallet", "fx"],
)
def test_dry_run_reports_the_changes_and_writes_nothing(world, kind, data, expected):
    before = counts()

    report = run_import(kind, data, "file.csv", apply=False)

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == expected
    assert counts() == before


def test_csv_module_round_trip_of_a_tricky_name(world):
    # What a spreadsheet program writes for a name with a comma, quotes and a line break, read back unchanged.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["account_number", "name", "currency"])
    writer.writerow(["Q-1", 'A "quoted", multi\nline name', "EUR"])

    report = run_import(ImportKind.ACCOUNTS, buffer.getvalue().encode(), "accounts.csv", apply=True)

    assert report.ok and fresh("Q-1").name == 'A "quoted", multi\nline name'


def test_xlsx_numbers_lose_their_binary_noise(world):
    # 0.1 + 0.2 stored by a spreadsheet formula is 0.30000000000000004 in the file; Excel shows 0.3.
    data = xlsx(
        [
            FACTS_HEADER.split(","),
            ["GLX", "2025-11", "Pumps", "EUR", 0.1 + 0.2, 1234.56],
            ["INI", "2025-11", None, "EUR", 7.0, 1e-4],
        ]
    )

    report = run_import(ImportKind.FACTS, data, "facts.xlsx", apply=True)

    assert report.ok, report.errors
    assert sorted(FinancialFact.objects.filter(month="2025-11-01").values_list("revenue", "gross_profit")) == [
        (Decimal("0.3"), Decimal("1234.56")),
        (Decimal("7"), Decimal("0.0001")),
    ]


def test_encoding_error_names_the_record_after_a_multi_line_field(world):
    data = (SF_HEADER + '\r\n001A,"Two\r\nlines",,A,EUR,Paris\r\n001B,Café,,B,EUR,Paris\r\n').encode("latin-1")

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=False)

    assert [(e["row"], e["column"]) for e in report.errors] == [(3, "")]
    assert "row 3" in report.errors[0]["reason"]


def test_empty_currency_creates_eur_and_keeps_a_stored_currency(world):
    data = lines(SF_HEADER, "001GLX000000002AAA,Globex France,001GLX000000001AAA,GLX-FR,,Paris", "001N,New,,NEW,,Nice")

    report = run_import(ImportKind.ACCOUNTS, data, "sf.csv", apply=True)

    assert (report.created, report.updated, report.unchanged) == (1, 0, 1)
    assert fresh("GLX-FR").currency == "USD" and fresh("NEW").currency == "EUR"
    assert fresh("NEW").status == "customer"


# ------------------------------------------------------------------------------------ the import pages


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


def _upload(client, kind, name, data):
    return client.post(reverse("accounts:import_add"), {"kind": kind, "file": SimpleUploadedFile(name, data)})


def test_import_page_shows_the_error_report_and_refuses_to_apply(world, users, login, media):
    client = login(users.admin)
    bad = lines(SF_HEADER, "001A,Acme,,ACME,EUR,Paris", "001B,Acme Two,001ZZZ,ACME-2,EURO,Paris")
    before = counts()

    response = _upload(client, ImportKind.ACCOUNTS, "Account.csv", bad)

    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.status == "invalid" and run.created_by == users.admin
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="error-report"' in page
    assert "<td>3</td><td>CurrencyIsoCode</td><td>“EURO” is not an ISO 4217 currency code" in page
    assert 'data-testid="errors">1<' in page
    assert "Apply:" not in page

    response = client.post(reverse("accounts:import_apply", args=[run.pk]), follow=True)

    assert "Only a checked file without errors can be applied." in response.content.decode()
    run.refresh_from_db()
    assert run.status == "invalid"
    # the only new audit record is the upload itself (the ImportRun); no account was written
    assert counts() == {**before, "changes": before["changes"] + 1}
    assert ObjectChange.objects.order_by("-pk").first().object_repr == str(run)


def test_import_page_previews_then_applies(world, users, login, media):
    client = login(users.admin)

    response = _upload(client, ImportKind.ACCOUNTS, "Account.csv", SALESFORCE)

    run = ImportRun.objects.get()
    assert run.status == "preview" and not Account.objects.filter(account_number="ACME").exists()
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="created">4<' in page and "Apply: create 4, update 0" in page
    changes_before = ObjectChange.objects.count()
    max_change_before = ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first()

    response = client.post(reverse("accounts:import_apply", args=[run.pk]), follow=True)

    assert response.status_code == 200
    assert "Import applied: 4 created, 0 updated, 0 unchanged." in response.content.decode()
    run.refresh_from_db()
    assert run.status == "applied" and run.finished_at is not None
    assert fresh("ACME-DE-1").tree_path == f"/{fresh('ACME').pk}/{fresh('ACME-EU').pk}/{fresh('ACME-DE-1').pk}/"
    created = ObjectChange.objects.filter(pk__gt=max_change_before)
    assert len(created) == 4 and {(c.source, c.actor_id) for c in created} == {("import", users.admin.pk)}

    # applying the same run twice is refused and writes nothing more
    client.post(reverse("accounts:import_apply", args=[run.pk]))
    assert ObjectChange.objects.count() == changes_before + 4

    # the same file again: nothing to change, so no apply button
    response = _upload(client, ImportKind.ACCOUNTS, "Account.csv", SALESFORCE)
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="unchanged">4<' in page and "there is nothing to change" in page


def test_key_account_manager_may_not_import(world, users, login, media):
    client = login(users.kam)
    before = counts()

    assert client.get(reverse("accounts:import_add")).status_code == 403
    assert _upload(client, ImportKind.ACCOUNTS, "Account.csv", SALESFORCE).status_code == 403
    assert ImportRun.objects.count() == 0
    assert counts() == before
