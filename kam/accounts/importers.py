"""Importers for accounts (Salesforce / HubSpot exports or our own columns), financial facts, wallet
estimates and FX rates — the formats of DEFINITIONS.md §11.

Every import runs in two passes over the file: `check` (the dry run) parses and validates every row and says
what would be created, updated or left unchanged; `apply` does the same check again inside one transaction and
writes only when no row has an error. A file with any bad row writes nothing, and its report names each bad
row, column and reason. Matching is on the external id (account number; (account, year); (month, currency);
(account, month) for facts), so importing the same file twice changes nothing the second time.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from kam.accounts import services
from kam.accounts.choices import AccountStatus, ImportKind
from kam.accounts.models import Account, FinancialFact, FxRate, WalletEstimate

MAX_REPORTED_ERRORS = 500
# ASCII digits only, and \Z rather than $ (which also matches before a final newline): `\d` would accept Arabic-Indic or
# full-width digits, which Decimal() and int() then read as numbers.
NUMBER_RE = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})\Z")
YEAR_RE = re.compile(r"^[0-9]{4}\Z")
CURRENCY_RE = re.compile(r"^[A-Z]{3}\Z")
STORED_PLACES = 4
MONEY_LIMIT = Decimal(10) ** 15  # amounts: DecimalField(max_digits=20, decimal_places=4)
RATE_LIMIT = Decimal(10) ** 10  # FX rates: DecimalField(max_digits=20, decimal_places=10)
CRM_ID_LENGTH = 64


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, format, size, header)."""

    def __init__(self, reason, column="", row=1):
        self.reason, self.column, self.row = reason, column, row
        super().__init__(reason)


@dataclass
class Report:
    kind: str
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    error_count: int = 0
    preview: list = field(default_factory=list)  # a sample of the planned changes
    mapping: dict = field(default_factory=dict)  # our field -> the file's header
    ignored_columns: list = field(default_factory=list)
    headers: list = field(default_factory=list)  # the file's header row, for mapping columns by hand

    def error(self, row, column, reason, value=None):
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            entry = {"row": row, "column": column, "reason": reason}
            if value not in (None, ""):
                entry["value"] = str(value)[:80]
            self.errors.append(entry)

    def note(self, action, row, label):
        setattr(self, action, getattr(self, action) + 1)
        if action != "unchanged" and len(self.preview) < 50:
            self.preview.append({"row": row, "action": action, "object": label})

    @property
    def ok(self):
        return self.error_count == 0

    def summary(self):
        return {
            "rows": self.rows_total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.error_count,
        }


# ---------------------------------------------------------------------------------------------- reading files


def _size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1_048_576:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1_048_576:.1f} MB"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        # Excel keeps 15 significant digits; beyond that a cell holds binary noise (0.1 + 0.2 = 0.30000000000000004).
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def read_rows(data: bytes, filename: str):
    """Return (headers, rows) where rows yields (row_number, [cells]); row 1 is the header."""
    if len(data) > settings.KAM_IMPORT_MAX_BYTES:
        raise ImportFileError(
            f"The file is {_size_text(len(data))}; the limit is {_size_text(settings.KAM_IMPORT_MAX_BYTES)}. "
            "Split it into smaller files."
        )
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise ImportFileError("The file is empty.")
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    if data[:2] == b"PK" and not name.endswith(".csv"):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_csv(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = _row_of_offset(data, error.start)
        raise ImportFileError(
            f"The file is not UTF-8 text (first bad byte in row {row}). Save it as “CSV UTF-8” and try again.",
            row=row,
        ) from None
    if "\x00" in text:
        raise ImportFileError("The file contains NUL bytes: it is not a CSV text file.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    except csv.Error as error:
        raise ImportFileError(f"Row 1 is not valid CSV: {error}.") from None
    if not any(h.strip() for h in headers):
        raise ImportFileError("The first row is empty: it must hold the column names.")

    def rows():
        row_number = 1
        try:
            for row_number, row in enumerate(reader, start=2):  # noqa: B007 - used in the except clause
                if any(cell.strip() for cell in row):
                    yield row_number, [cell.strip() for cell in row]
        except csv.Error as error:
            raise ImportFileError(f"Row {row_number + 1} is not valid CSV: {error}.", row=row_number + 1) from None

    return [h.strip() for h in headers], rows()


def _row_of_offset(data: bytes, offset: int) -> int:
    """The record (spreadsheet row) holding byte `offset`, counting quoted line breaks as part of their record."""
    prefix = data[:offset].decode("utf-8-sig", errors="replace")
    try:
        records = list(csv.reader(io.StringIO(prefix, newline="")))
    except csv.Error:
        return prefix.count("\n") + 1
    if not records:
        return 1
    # The bad byte lies in the last (partial) record, or starts a new one if the prefix ends with a line break.
    return len(records) + (1 if prefix.endswith(("\n", "\r")) else 0)


def _read_xlsx(data: bytes):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise ImportFileError(
            f"This is not a readable XLSX workbook ({type(error).__name__}). "
            "Save it from Excel as .xlsx, or export CSV UTF-8."
        ) from None
    except Exception as error:  # openpyxl raises many kinds of errors for malformed workbooks
        raise ImportFileError(f"This is not a readable XLSX workbook ({type(error).__name__}).") from None
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        raise ImportFileError("The workbook has no sheet.")
    iterator = sheet.iter_rows(values_only=True)
    try:
        headers = [_cell_text(v) for v in next(iterator)]
    except StopIteration:
        raise ImportFileError("The file is empty.") from None

    def rows():
        for row_number, row in enumerate(iterator, start=2):
            cells = [_cell_text(v) for v in row]
            if any(cells):
                yield row_number, cells

    return headers, rows()


# ------------------------------------------------------------------------------------------- column mapping


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


# our field -> headers we recognise (ours, Salesforce Account export, HubSpot company export)
COLUMNS = {
    ImportKind.ACCOUNTS: {
        "account_number": ["account_number", "AccountNumber", "Account Number"],
        "name": ["name", "Name", "Company name", "Account Name"],
        "crm_id": ["crm_id", "Id", "Record ID", "Account ID"],
        "parent_crm_id": ["parent_crm_id", "ParentId", "Parent Company", "Parent Account ID"],
        "parent_account_number": ["parent_account_number"],
        "currency": ["currency", "CurrencyIsoCode", "Annual Revenue Currency Code", "Account Currency"],
        "legal_name": ["legal_name", "Legal Name"],
        "industry": ["industry", "Industry"],
        "country": ["country", "BillingCountryCode", "Country/Region Code", "Country Code"],
        "region": ["region", "Region", "Sales Region"],
        "status": ["status"],
    },
    ImportKind.FACTS: {
        "account_number": ["account_number", "AccountNumber", "Account Number"],
        "month": ["month"],
        "product_line": ["product_line", "Product Line"],
        "currency": ["currency"],
        "revenue": ["revenue"],
        "gross_profit": ["gross_profit", "Gross Profit"],
    },
    ImportKind.WALLET: {
        "account_number": ["account_number", "AccountNumber", "Account Number"],
        "year": ["year"],
        "currency": ["currency"],
        "wallet_amount": ["wallet_amount", "Wallet Amount", "wallet"],
    },
    ImportKind.FX: {
        "month": ["month"],
        "currency": ["currency"],
        "rate_per_eur": ["rate_per_eur", "Rate per EUR", "rate"],
    },
}
REQUIRED = {
    ImportKind.ACCOUNTS: ["account_number", "name"],
    ImportKind.FACTS: ["account_number", "month", "product_line", "currency", "revenue", "gross_profit"],
    ImportKind.WALLET: ["account_number", "year", "currency", "wallet_amount"],
    ImportKind.FX: ["month", "currency", "rate_per_eur"],
}


def map_columns(kind: str, headers: list[str], report: Report, override: dict | None = None) -> dict:
    """Return {our field: column index}. Raises ImportFileError when a required column is missing."""
    report.headers = [h for h in headers if h][:200]
    known = COLUMNS[kind]
    by_norm = {}
    for index, header in enumerate(headers):
        if header and _norm(header) not in by_norm:
            by_norm[_norm(header)] = index
    mapping = {}
    for ours, candidates in known.items():
        wanted = [override[ours]] if override and override.get(ours) else candidates
        for candidate in wanted:
            if _norm(candidate) in by_norm:
                mapping[ours] = by_norm[_norm(candidate)]
                break
    missing = [f for f in REQUIRED[kind] if f not in mapping]
    if kind == ImportKind.ACCOUNTS and "currency" not in mapping:
        missing.append("currency")
    if missing:
        expected = "; ".join(f"{f} (or {', '.join(known[f][1:]) or 'no other name'})" for f in missing)
        raise ImportFileError(
            f"Required column(s) missing: {expected}. Found: {', '.join(h for h in headers if h) or 'no headers'}.",
            column=", ".join(missing),
        )
    duplicates = {h for h in headers if h and headers.count(h) > 1}
    if duplicates:
        raise ImportFileError(f"Column(s) appear twice in the header: {', '.join(sorted(duplicates))}.")
    report.mapping = {ours: headers[index] for ours, index in mapping.items()}
    used = set(mapping.values())
    report.ignored_columns = [h for i, h in enumerate(headers) if i not in used and h]
    return mapping


def _get(cells, mapping, name):
    index = mapping.get(name)
    if index is None or index >= len(cells):
        return ""
    return cells[index]


# -------------------------------------------------------------------------------------------- value parsers


def parse_decimal(text: str, *, places=STORED_PLACES, limit=MONEY_LIMIT):
    if not NUMBER_RE.match(text):
        raise ValueError(f"“{text}” is not a number (use . for decimals, no thousands separators)")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{text}” is not a number") from None
    if abs(value) >= limit:
        raise ValueError(f"“{text}” is too large (the limit is {limit:,.0f})")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"“{text}” has more than {places} decimal places")
    return value.quantize(Decimal(1).scaleb(-places))


def parse_month(text: str) -> dt.date:
    match = MONTH_RE.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError(f"“{text}” is not a month; write YYYY-MM, e.g. 2026-03")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def parse_currency(text: str) -> str:
    if not CURRENCY_RE.match(text):
        if CURRENCY_RE.match(text.upper()):
            raise ValueError(f"“{text}”: ISO 4217 currency codes are written in upper case: {text.upper()}")
        raise ValueError(f"“{text}” is not an ISO 4217 currency code such as EUR or USD")
    return text


# ------------------------------------------------------------------------------------------------ importers


class BaseImporter:
    kind = None

    def __init__(self, data: bytes, filename: str, *, mapping_override=None, progress=None):
        self.data, self.filename = data, filename
        self.mapping_override = mapping_override
        self.progress = progress or (lambda done, total: None)
        self.report = Report(kind=self.kind)

    def run(self, *, apply: bool) -> Report:
        try:
            headers, rows = read_rows(self.data, self.filename)
            mapping = map_columns(self.kind, headers, self.report, self.mapping_override)
            parsed = self.parse(rows, mapping)
        except ImportFileError as error:
            self.report.error(error.row, error.column, error.reason)
            return self.report
        if self.report.rows_total == 0 and self.report.ok:
            self.report.error(2, "", "The file has no data rows: only the header row was found.")
        if not self.report.ok:
            return self.report
        if apply:
            with transaction.atomic():
                self.plan(parsed)
                if not self.report.ok:
                    transaction.set_rollback(True)
                    return self.report
                self.write(parsed)
        else:
            self.plan(parsed)
        return self.report

    def _field(self, row, cells, mapping, name, parser, *, required=True):
        text = _get(cells, mapping, name)
        column = self.report.mapping.get(name, name)
        if text == "":
            if required:
                self.report.error(row, column, "a value is required here")
            return None
        try:
            return parser(text)
        except ValueError as error:
            self.report.error(row, column, str(error), text)
            return None

    def accounts_by_number(self, numbers):
        found = {}
        numbers = list(numbers)
        for start in range(0, len(numbers), 900):
            for pk, number in Account.objects.filter(account_number__in=numbers[start : start + 900]).values_list(
                "pk", "account_number"
            ):
                found[number] = pk
        return found


class AccountImporter(BaseImporter):
    kind = ImportKind.ACCOUNTS
    FIELDS = ("name", "legal_name", "crm_id", "currency", "industry", "country", "region", "status")

    def parse(self, rows, mapping):
        parsed = []
        seen_numbers, seen_crm = {}, {}
        status_lookup = {c.value: c.value for c in AccountStatus} | {c.label.lower(): c.value for c in AccountStatus}
        for row, cells in rows:
            self.report.rows_total += 1
            number = _get(cells, mapping, "account_number")
            name = _get(cells, mapping, "name")
            crm_id = _get(cells, mapping, "crm_id")
            col = self.report.mapping.get
            if not number:
                self.report.error(
                    row, col("account_number"), "the account number is required (it identifies the account)"
                )
            elif len(number) > 64:
                self.report.error(row, col("account_number"), "longer than 64 characters", number)
            elif number in seen_numbers:
                self.report.error(
                    row,
                    col("account_number"),
                    f"duplicate: the same account number is on row {seen_numbers[number]}",
                    number,
                )
            else:
                seen_numbers[number] = row
            if not name:
                self.report.error(row, col("name"), "the name is required")
            elif len(name) > 200:
                self.report.error(row, col("name"), "longer than 200 characters")
            if len(crm_id) > CRM_ID_LENGTH:
                self.report.error(row, col("crm_id"), f"longer than {CRM_ID_LENGTH} characters", crm_id)
            elif crm_id:
                if crm_id in seen_crm:
                    self.report.error(
                        row, col("crm_id"), f"duplicate: the same CRM id is on row {seen_crm[crm_id]}", crm_id
                    )
                else:
                    seen_crm[crm_id] = row
            # Empty = no value: a new account gets EUR, an existing one keeps its currency (see _wanted).
            currency = self._field(row, cells, mapping, "currency", lambda t: parse_currency(t.upper()), required=False)
            country = _get(cells, mapping, "country").upper()
            if country and not re.match(r"^[A-Z]{2}$", country):
                self.report.error(row, col("country"), "use a two-letter ISO 3166 code such as DE", country)
            status_text = _get(cells, mapping, "status").lower()
            status = None  # empty: a new account is a customer, an existing one keeps its status
            if status_text:
                if status_text not in status_lookup:
                    self.report.error(row, col("status"), "must be prospect, customer or former_customer", status_text)
                else:
                    status = status_lookup[status_text]
            parsed.append(
                {
                    "row": row,
                    "account_number": number,
                    "crm_id": crm_id,
                    "name": name[:200],
                    "legal_name": _get(cells, mapping, "legal_name")[:300],
                    "industry": _get(cells, mapping, "industry")[:100],
                    "country": country,
                    "region": _get(cells, mapping, "region")[:50],
                    "currency": currency,
                    "status": status,
                    "parent_crm_id": _get(cells, mapping, "parent_crm_id"),
                    "parent_account_number": _get(cells, mapping, "parent_account_number"),
                }
            )
            if self.report.rows_total % 1000 == 0:
                self.progress(self.report.rows_total, None)
        # Only the columns the file carries are compared and written: a Salesforce export has no status, region
        # or legal name, and importing it must not wipe what KAM holds for them (nor the hierarchy, if the file
        # has no parent column).
        self._carried = {f for f in self.FIELDS if f in mapping}
        self._carries_parent = "parent_crm_id" in mapping or "parent_account_number" in mapping
        if self.report.ok:
            self._resolve_parents(parsed)
        return parsed

    def _resolve_parents(self, parsed):
        """Parents may come after their children in the file; references go to CRM ids (or account numbers)
        in the same file, else to accounts already in KAM. Unknown parents and cycles are errors."""
        col = self.report.mapping.get
        by_crm = {p["crm_id"]: p for p in parsed if p["crm_id"]}
        by_number = {p["account_number"]: p for p in parsed}
        existing_crm = dict(
            Account.objects.exclude(crm_id="")
            .filter(
                crm_id__in=[
                    p["parent_crm_id"] for p in parsed if p["parent_crm_id"] and p["parent_crm_id"] not in by_crm
                ]
            )
            .values_list("crm_id", "account_number")
        )
        existing_numbers = set(
            Account.objects.filter(
                account_number__in=[
                    p["parent_account_number"]
                    for p in parsed
                    if p["parent_account_number"] and p["parent_account_number"] not in by_number
                ]
            ).values_list("account_number", flat=True)
        )
        for p in parsed:
            p["parent"] = None
            if p["parent_crm_id"]:
                if p["parent_crm_id"] in by_crm:
                    p["parent"] = by_crm[p["parent_crm_id"]]["account_number"]
                elif p["parent_crm_id"] in existing_crm:
                    p["parent"] = existing_crm[p["parent_crm_id"]]
                else:
                    self.report.error(
                        p["row"],
                        col("parent_crm_id"),
                        "unknown parent: no account with this CRM id in the file or in KAM",
                        p["parent_crm_id"],
                    )
            elif p["parent_account_number"]:
                if p["parent_account_number"] in by_number or p["parent_account_number"] in existing_numbers:
                    p["parent"] = p["parent_account_number"]
                else:
                    self.report.error(
                        p["row"],
                        col("parent_account_number"),
                        "unknown parent account number",
                        p["parent_account_number"],
                    )
        # Cycle check over the hierarchy as it would be after the import: the stored chain of every parent that
        # is not in the file, overridden by the file's rows.
        parent_of = {}
        outside = {p["parent"] for p in parsed if p["parent"] and p["parent"] not in by_number}
        if outside:
            ancestor_ids = set()
            for path in Account.objects.filter(account_number__in=outside).values_list("tree_path", flat=True):
                ancestor_ids.update(int(part) for part in path.strip("/").split("/") if part)
            parent_of.update(
                Account.objects.filter(pk__in=ancestor_ids).values_list("account_number", "parent__account_number")
            )
        parent_of.update({p["account_number"]: p["parent"] for p in parsed})
        for p in parsed:
            seen, current = {p["account_number"]}, p["parent"]
            while current:
                if current in seen:
                    if current == p["account_number"]:
                        reason = "cycle in the hierarchy: this account would end up below itself"
                    else:
                        reason = f"its parents lead into a cycle in the hierarchy (below a cycle through {current})"
                    self.report.error(
                        p["row"],
                        col("parent_crm_id") or col("parent_account_number"),
                        reason,
                        p["parent_crm_id"] or p["parent_account_number"],
                    )
                    break
                seen.add(current)
                current = parent_of.get(current)

    def _order(self, parsed):
        """Parents before children, at any depth (iteratively: a recursive walk stops at Python's recursion
        limit, about 1,000 levels). The hierarchy is known to be free of cycles here."""
        by_number = {p["account_number"]: p for p in parsed}
        ordered, placed = [], set()
        for p in parsed:
            chain = []
            while p is not None and p["account_number"] not in placed:
                chain.append(p)
                placed.add(p["account_number"])
                p = by_number.get(p["parent"])
            ordered.extend(reversed(chain))
        return ordered

    def _wanted(self, p, account):
        """The stored values the row asks for: the carried columns; an empty currency or status keeps the stored
        value (a new account gets EUR and customer); an empty CRM id keeps the stored one."""
        if account is None:
            wanted = {f: p[f] for f in self.FIELDS}
            wanted["currency"] = wanted["currency"] or "EUR"
            wanted["status"] = wanted["status"] or AccountStatus.CUSTOMER
            wanted["parent"] = p["parent"]
            return wanted
        wanted = {f: p[f] for f in self._carried if p[f] or f not in ("crm_id", "currency", "status")}
        if self._carries_parent:
            wanted["parent"] = p["parent"]
        return wanted

    def plan(self, parsed):
        existing = {
            a.account_number: a
            for a in Account.objects.filter(account_number__in=[p["account_number"] for p in parsed]).select_related(
                "parent"
            )
        }
        self._existing = existing
        for p in parsed:
            account = existing.get(p["account_number"])
            if account is None:
                self.report.note("created", p["row"], f"{p['account_number']} {p['name']}")
                continue
            wanted = self._wanted(p, account)
            current = {f: getattr(account, f) for f in self.FIELDS}
            current["parent"] = account.parent.account_number if account.parent else None
            changed = [f for f in wanted if wanted[f] != current[f]]
            if not changed:
                self.report.note("unchanged", p["row"], p["account_number"])
            else:
                self.report.note("updated", p["row"], f"{p['account_number']} {p['name']} ({', '.join(changed)})")

    def write(self, parsed):
        existing = self._existing
        accounts = dict(existing)
        moved = False
        done = 0
        for p in self._order(parsed):
            account = accounts.get(p["account_number"])
            data = self._wanted(p, account)
            if "parent" in data:
                parent_number, parent = data.pop("parent"), None
                if parent_number:
                    parent = accounts.get(parent_number) or Account.objects.get(account_number=parent_number)
                    if moved:
                        # An earlier row moved a subtree: the cached parent's path may be stale (it may lie in that
                        # subtree), and a child created or moved below it would get the old path.
                        parent.refresh_from_db(fields=["tree_path", "depth"])
                data["parent"] = parent
            if account is None:
                accounts[p["account_number"]] = services.create_account(account_number=p["account_number"], **data)
            else:
                differs = any(getattr(account, f) != v for f, v in data.items() if f != "parent") or (
                    "parent" in data and account.parent_id != (data["parent"].pk if data["parent"] else None)
                )
                if differs:
                    updated = services.update_account(account, data)
                    moved = moved or updated.parent_id != account.parent_id
                    accounts[p["account_number"]] = updated
            done += 1
            if done % 500 == 0:
                self.progress(done, len(parsed))


class FactImporter(BaseImporter):
    """A facts file is the truth for every (account, month) it contains: those months' rows are replaced by
    the file's rows, unless they are already identical (then nothing is written)."""

    kind = ImportKind.FACTS

    def parse(self, rows, mapping):
        groups = defaultdict(list)  # (account_number, month) -> [(product_line, currency, revenue, gp)]
        first_row = {}
        self._currency_months = set()
        for row, cells in rows:
            self.report.rows_total += 1
            number = self._field(row, cells, mapping, "account_number", str)
            month = self._field(row, cells, mapping, "month", parse_month)
            currency = self._field(row, cells, mapping, "currency", parse_currency)
            revenue = self._field(row, cells, mapping, "revenue", parse_decimal)
            gross_profit = self._field(row, cells, mapping, "gross_profit", parse_decimal)
            line = _get(cells, mapping, "product_line")
            if len(line) > 100:
                self.report.error(row, self.report.mapping["product_line"], "longer than 100 characters")
            if None in (number, month, currency, revenue, gross_profit):
                continue
            groups[(number, month)].append((line, currency, revenue, gross_profit))
            first_row.setdefault((number, month), row)
            if currency != "EUR":
                self._currency_months.add((currency, month, row))
            if self.report.rows_total % 5000 == 0:
                self.progress(self.report.rows_total, None)
        if not self.report.ok:
            return groups
        accounts = self.accounts_by_number({number for number, _ in groups})
        for (number, _month), row in first_row.items():
            if number not in accounts:
                self.report.error(
                    row,
                    self.report.mapping["account_number"],
                    "no account with this account number in KAM; import the accounts first",
                    number,
                )
        rates = set(FxRate.objects.values_list("currency", "month"))
        reported = set()
        for currency, month, row in sorted(self._currency_months, key=lambda x: x[2]):
            if (currency, month) not in rates and (currency, month) not in reported:
                reported.add((currency, month))
                self.report.error(
                    row,
                    self.report.mapping["currency"],
                    f"no FX rate for {currency} in {month:%Y-%m}; import the FX rates first",
                    currency,
                )
        self._accounts, self._first_row = accounts, first_row
        return groups

    def _existing(self, groups):
        keys = set(groups)
        account_ids = {self._accounts[n] for n, _ in keys}
        months = {m for _, m in keys}
        existing = defaultdict(list)
        ids = list(account_ids)
        for start in range(0, len(ids), 500):
            for fact in FinancialFact.objects.filter(
                account_id__in=ids[start : start + 500], month__in=months
            ).values_list("account_id", "month", "product_line", "currency", "revenue", "gross_profit"):
                existing[(fact[0], fact[1])].append(
                    (
                        fact[2],
                        fact[3],
                        Decimal(str(fact[4])).quantize(Decimal("0.0001")),
                        Decimal(str(fact[5])).quantize(Decimal("0.0001")),
                    )
                )
        return existing

    def plan(self, groups):
        existing = self._existing(groups)
        self._to_replace = []
        for (number, month), rows in groups.items():
            account_id = self._accounts[number]
            current = sorted(existing.get((account_id, month), []))
            wanted = sorted(rows)
            row = self._first_row[(number, month)]
            if current == wanted:
                self.report.note("unchanged", row, f"{number} {month:%Y-%m}")
            elif current:
                self.report.note("updated", row, f"{number} {month:%Y-%m}: {len(current)} → {len(wanted)} rows")
                self._to_replace.append((account_id, month, rows, True))
            else:
                self.report.note("created", row, f"{number} {month:%Y-%m}: {len(wanted)} rows")
                self._to_replace.append((account_id, month, rows, False))

    def write(self, groups):
        from kam.audit.services import record_account_event

        by_account = defaultdict(list)
        for account_id, month, rows, replace in self._to_replace:
            by_account[account_id].append((month, rows, replace))
        done = 0
        batch = []
        for account_id, months in by_account.items():
            replaced = [m for m, _, r in months if r]
            if replaced:
                FinancialFact.objects.filter(account_id=account_id, month__in=replaced).delete()
            for month, rows, _ in months:
                for line, currency, revenue, gp in rows:
                    batch.append(
                        FinancialFact(
                            account_id=account_id,
                            month=month,
                            product_line=line,
                            currency=currency,
                            revenue=revenue,
                            gross_profit=gp,
                        )
                    )
            if len(batch) >= 5000:
                FinancialFact.objects.bulk_create(batch)
                batch = []
            # Fact rows are many: the audit trail gets one record per account and import, with the months touched.
            record_account_event(
                account_id,
                "facts imported",
                {
                    "file": self.filename,
                    "months_created": sorted(f"{m:%Y-%m}" for m, _, r in months if not r),
                    "months_replaced": sorted(f"{m:%Y-%m}" for m in replaced),
                    "rows": sum(len(rows) for _, rows, _ in months),
                },
            )
            done += 1
            if done % 200 == 0:
                self.progress(done, len(by_account))
        if batch:
            FinancialFact.objects.bulk_create(batch)


class WalletImporter(BaseImporter):
    kind = ImportKind.WALLET

    def parse(self, rows, mapping):
        parsed, seen = [], {}
        for row, cells in rows:
            self.report.rows_total += 1
            number = self._field(row, cells, mapping, "account_number", str)
            year = self._field(row, cells, mapping, "year", _parse_year)
            currency = self._field(row, cells, mapping, "currency", parse_currency)
            amount = self._field(row, cells, mapping, "wallet_amount", parse_decimal)
            if None in (number, year, currency, amount):
                continue
            if (number, year) in seen:
                self.report.error(
                    row,
                    self.report.mapping["year"],
                    f"duplicate: {number} {year} is already on row {seen[(number, year)]}",
                )
                continue
            seen[(number, year)] = row
            parsed.append({"row": row, "number": number, "year": year, "currency": currency, "amount": amount})
        accounts = self.accounts_by_number({p["number"] for p in parsed})
        for p in parsed:
            if p["number"] not in accounts:
                self.report.error(
                    p["row"],
                    self.report.mapping["account_number"],
                    "no account with this account number in KAM",
                    p["number"],
                )
            else:
                p["account_id"] = accounts[p["number"]]
        # A wallet is converted at the rate of the as-of month, known only later; a currency without any rate can
        # never be converted (DEFINITIONS.md §11: a currency without rates is an error).
        currencies = {p["currency"] for p in parsed} - {"EUR"}
        with_rates = set(FxRate.objects.filter(currency__in=currencies).order_by().values_list("currency", flat=True))
        reported = set()
        for p in parsed:
            if p["currency"] in currencies - with_rates and p["currency"] not in reported:
                reported.add(p["currency"])
                self.report.error(
                    p["row"],
                    self.report.mapping["currency"],
                    f"no FX rates for {p['currency']} in KAM; import the FX rates first",
                    p["currency"],
                )
        return parsed

    def plan(self, parsed):
        existing = {
            (w.account_id, w.year): w
            for w in WalletEstimate.objects.filter(account_id__in={p["account_id"] for p in parsed})
        }
        self._existing = existing
        for p in parsed:
            current = existing.get((p["account_id"], p["year"]))
            label = f"{p['number']} {p['year']}"
            if current is None:
                self.report.note("created", p["row"], label)
            elif (current.currency, current.amount.quantize(Decimal("0.0001"))) == (p["currency"], p["amount"]):
                self.report.note("unchanged", p["row"], label)
            else:
                self.report.note("updated", p["row"], label)

    def write(self, parsed):
        for p in parsed:
            current = self._existing.get((p["account_id"], p["year"]))
            if current is None:
                WalletEstimate.objects.create(
                    account_id=p["account_id"], year=p["year"], currency=p["currency"], amount=p["amount"]
                )
            elif (current.currency, current.amount.quantize(Decimal("0.0001"))) != (p["currency"], p["amount"]):
                current.currency, current.amount = p["currency"], p["amount"]
                current.save()


class FxImporter(BaseImporter):
    kind = ImportKind.FX

    def parse(self, rows, mapping):
        parsed, seen = [], {}
        for row, cells in rows:
            self.report.rows_total += 1
            month = self._field(row, cells, mapping, "month", parse_month)
            currency = self._field(row, cells, mapping, "currency", parse_currency)
            rate = self._field(
                row, cells, mapping, "rate_per_eur", lambda t: parse_decimal(t, places=10, limit=RATE_LIMIT)
            )
            if None in (month, currency, rate):
                continue
            if rate <= 0:
                self.report.error(row, self.report.mapping["rate_per_eur"], "the rate must be greater than 0", rate)
                continue
            if currency == "EUR":
                if rate != 1:
                    self.report.error(
                        row, self.report.mapping["currency"], "EUR is the reporting currency: its rate is always 1"
                    )
                else:
                    self.report.note("unchanged", row, f"EUR {month:%Y-%m}")  # implied, never stored
                continue
            if (month, currency) in seen:
                self.report.error(
                    row,
                    self.report.mapping["currency"],
                    f"duplicate: {currency} {month:%Y-%m} is already on row {seen[(month, currency)]}",
                )
                continue
            seen[(month, currency)] = row
            parsed.append({"row": row, "month": month, "currency": currency, "rate": rate})
        return parsed

    def plan(self, parsed):
        self._existing = {
            (r.month, r.currency): r for r in FxRate.objects.filter(month__in={p["month"] for p in parsed})
        }
        for p in parsed:
            current = self._existing.get((p["month"], p["currency"]))
            label = f"{p['currency']} {p['month']:%Y-%m}"
            if current is None:
                self.report.note("created", p["row"], label)
            elif Decimal(current.rate_per_eur) == p["rate"]:
                self.report.note("unchanged", p["row"], label)
            else:
                self.report.note("updated", p["row"], label)

    def write(self, parsed):
        for p in parsed:
            current = self._existing.get((p["month"], p["currency"]))
            if current is None:
                FxRate.objects.create(month=p["month"], currency=p["currency"], rate_per_eur=p["rate"])
            elif Decimal(current.rate_per_eur) != p["rate"]:
                current.rate_per_eur = p["rate"]
                current.save()


def _parse_year(text):
    if not YEAR_RE.match(text) or not 1900 <= int(text) <= 2999:
        raise ValueError(f"“{text}” is not a year such as 2026")
    return int(text)


IMPORTERS = {
    ImportKind.ACCOUNTS: AccountImporter,
    ImportKind.FACTS: FactImporter,
    ImportKind.WALLET: WalletImporter,
    ImportKind.FX: FxImporter,
}


def run_import(kind: str, data: bytes, filename: str, *, apply: bool, progress=None, mapping_override=None) -> Report:
    importer = IMPORTERS[kind](data, filename, progress=progress, mapping_override=mapping_override)
    return importer.run(apply=apply)
