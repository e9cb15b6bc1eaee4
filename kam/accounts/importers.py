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
import itertools
import re
import zipfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

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
# Amounts as they are nearly always written: read without Decimal (at most 15 integer digits stay below MONEY_LIMIT).
MONEY_FAST_RE = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,4})?\Z")
READ_CHUNK = 1 << 20  # files are read in chunks of 1 MB
BOM = b"\xef\xbb\xbf"
PROGRESS_ROWS = 50_000


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, format, size, header). A `whole_file` verdict found while the
    file is read as a stream (not UTF-8, NUL bytes) replaces the row errors found before it."""

    def __init__(self, reason, column="", row=1, *, whole_file=False):
        self.reason, self.column, self.row, self.whole_file = reason, column, row, whole_file
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


def read_rows(data, filename: str):
    """Return (headers, rows) where rows yields (row_number, [cells]); row 1 is the header. `data` is the file's bytes
    or an open binary file; a CSV file is read as a stream, so memory does not grow with the file."""
    stream = _as_stream(data)
    size = _stream_size(stream)
    if size > settings.KAM_IMPORT_MAX_BYTES:
        raise ImportFileError(
            f"The file is {_size_text(size)}; the limit is {_size_text(settings.KAM_IMPORT_MAX_BYTES)}. "
            "Split it into smaller files."
        )
    if _is_blank(stream):
        raise ImportFileError("The file is empty.")
    name = filename.lower()
    start = stream.read(2)
    stream.seek(0)
    if name.endswith((".xlsx", ".xlsm")) or (start == b"PK" and not name.endswith(".csv")):
        return _read_xlsx(stream.read())
    return _read_csv(stream)


def _as_stream(data):
    return io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data


def _stream_size(stream) -> int:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _is_blank(stream) -> bool:
    """Nothing but a byte-order mark and white space (decided by the first bytes that are not white space)."""
    try:
        chunk = stream.read(READ_CHUNK).removeprefix(BOM)
        while chunk:
            if chunk.strip():
                return False
            chunk = stream.read(READ_CHUNK)
        return True
    finally:
        stream.seek(0)


class _NotUtf8(Exception):
    pass


def _text_lines(stream):
    """The file's lines as text, split as `newline=""` splits them (\\n, \\r\\n or \\r): a C-speed chain of the lines of
    each decoded block. The csv reader asks for lines as it needs them, so a bad byte is found while the reader is on
    the record that holds it."""
    return itertools.chain.from_iterable(_text_blocks(stream))


def _text_blocks(stream):
    pending = b""
    chunk = stream.read(READ_CHUNK).removeprefix(BOM)
    while chunk:
        if b"\x00" in chunk:
            raise ImportFileError("The file contains NUL bytes: it is not a CSV text file.", whole_file=True)
        data = pending + chunk
        # Cut after the last line break; a final "\r" waits for the next block (it may be the first half of "\r\n").
        cut = data.rfind(b"\n")
        if cut < 0:
            cut = data.rfind(b"\r", 0, len(data) - 1)
        pending = data[cut + 1 :]
        yield _decoded_lines(data[: cut + 1])
        chunk = stream.read(READ_CHUNK)
    yield _decoded_lines(pending)


def _decoded_lines(block: bytes):
    try:
        return io.StringIO(block.decode("utf-8"), newline="")
    except UnicodeDecodeError:
        return _lines_up_to_bad_byte(block)


def _lines_up_to_bad_byte(block: bytes):
    for line in block.splitlines(keepends=True):  # bytes split only at \n, \r\n and \r, as newline="" does
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8 from None


def _not_utf8(row: int) -> ImportFileError:
    return ImportFileError(
        f"The file is not UTF-8 text (first bad byte in row {row}). Save it as “CSV UTF-8” and try again.",
        row=row,
        whole_file=True,
    )


def _read_csv(stream):
    reader = csv.reader(_text_lines(stream), strict=True)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    except csv.Error as error:
        raise ImportFileError(f"Row 1 is not valid CSV: {error}.") from None
    except _NotUtf8:
        raise _not_utf8(1) from None
    if not any(h.strip() for h in headers):
        raise ImportFileError("The first row is empty: it must hold the column names.")

    def rows():
        row_number = 1
        try:
            for row_number, row in enumerate(reader, start=2):  # noqa: B007 - used in the except clauses
                cells = list(map(str.strip, row))
                if any(cells):
                    yield row_number, cells
        except csv.Error as error:
            raise ImportFileError(f"Row {row_number + 1} is not valid CSV: {error}.", row=row_number + 1) from None
        except _NotUtf8:
            raise _not_utf8(row_number + 1) from None  # the record after the last one read whole

    return [h.strip() for h in headers], rows()


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
    ImportKind.REQUESTS: {
        "request_id": ["request_id", "Case Number", "Ticket ID", "CaseNumber"],
        "account_number": ["account_number", "AccountNumber", "Account Number"],
        "priority": ["priority", "Priority"],
        "subject": ["subject", "Subject", "Ticket name"],
        "created_at": ["created_at", "CreatedDate", "Create date"],
        "first_response_at": ["first_response_at", "First Response Date", "First agent reply date"],
        "resolved_at": ["resolved_at", "ClosedDate", "Close date"],
    },
    ImportKind.GOALS: {
        "goal_id": ["goal_id", "Goal ID"],
        "account_number": ["account_number", "AccountNumber", "Account Number"],
        "year": ["year", "Year"],
        "goal": ["goal", "Goal"],
        "achieved": ["achieved", "Achieved"],
    },
    # ours, Salesforce Contact export, HubSpot contacts export (kam.stakeholders.importers)
    ImportKind.CONTACTS: {
        "contact_id": ["contact_id", "Id", "Record ID", "Contact ID"],
        "account_number": ["account_number", "Account Number"],
        "account_crm_id": [
            "account_crm_id",
            "AccountId",
            "Associated Company ID",
            "Associated Company IDs (Primary)",
            "Associated Company IDs",
            "Company ID",
        ],
        "first_name": ["first_name", "FirstName", "First Name"],
        "last_name": ["last_name", "LastName", "Last Name"],
        "title": ["title", "Title", "Job Title"],
        "department": ["department", "Department"],
        "email": ["email", "Email"],
        "phone": ["phone", "Phone", "Phone Number"],
        "reports_to_id": ["reports_to_id", "ReportsToId", "Reports To ID"],
        "buying_role": ["buying_role", "Buying Role"],
        "attitude": ["attitude", "Attitude"],
        "location": ["location", "MailingCity", "City"],
    },
}
REQUIRED = {
    ImportKind.ACCOUNTS: ["account_number", "name"],
    ImportKind.FACTS: ["account_number", "month", "product_line", "currency", "revenue", "gross_profit"],
    ImportKind.WALLET: ["account_number", "year", "currency", "wallet_amount"],
    ImportKind.FX: ["month", "currency", "rate_per_eur"],
    ImportKind.REQUESTS: ["request_id", "account_number", "priority", "subject", "created_at"],
    ImportKind.GOALS: ["goal_id", "account_number", "year", "goal"],
    ImportKind.CONTACTS: ["contact_id", "last_name"],  # and account_number or account_crm_id (ContactImporter)
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

    def __init__(self, data, filename: str, *, mapping_override=None, progress=None):
        self.data, self.filename = data, filename  # data: the file's bytes or an open binary file
        self.mapping_override = mapping_override
        self.progress = progress or (lambda done, total: None)
        self.report = Report(kind=self.kind)

    def run(self, *, apply: bool) -> Report:
        try:
            headers, rows = read_rows(self.data, self.filename)
            mapping = map_columns(self.kind, headers, self.report, self.mapping_override)
            parsed = self.parse(rows, mapping)
        except ImportFileError as error:
            if error.whole_file:
                self.report.errors, self.report.error_count, self.report.rows_total = [], 0, 0
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
                if not self.report.ok:  # a row refused while writing: the file is applied whole or not at all
                    transaction.set_rollback(True)
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
    the file's rows, unless they are already identical (then nothing is written).

    The file is read as a stream: each row is checked as it comes and the good ones go into a temporary table of
    the import's database session (`FactStaging`, COPY on PostgreSQL), so memory stays flat however large the file.
    Matching accounts, comparing with the stored months, replacing them and the audit summary are set-based
    statements over that table."""

    kind = ImportKind.FACTS
    _staging = None

    def run(self, *, apply: bool) -> Report:
        try:
            report = super().run(apply=apply)
        except BaseException:
            if self._staging is not None:
                self._staging.drop(quietly=True)  # the original error matters more
            raise
        if self._staging is not None:
            self._staging.drop()
        return report

    def parse(self, rows, mapping):
        report = self.report
        column = report.mapping
        staging = self._staging = FactStaging()
        add, canonical = staging.add, staging.canonical_money
        i_number, i_month, i_line, i_currency, i_revenue, i_profit = (mapping[f] for f in REQUIRED[self.kind])
        width = max(i_number, i_month, i_line, i_currency, i_revenue, i_profit) + 1
        months, currencies = {}, {}  # the file's good texts -> values: a file has few distinct ones
        rate_rows = {}  # (currency, month) -> the first row needing that rate (non-EUR)
        fast_money, cached, field = MONEY_FAST_RE.match, self._cached, self._field
        count = report.rows_total
        try:
            # The hot loop of a large import (millions of rows): checks in the order `_field` reports them.
            for row, cells in rows:
                count += 1
                if len(cells) < width:
                    cells = cells + [""] * (width - len(cells))
                number = cells[i_number]
                if not number:
                    report.error(row, column["account_number"], "a value is required here")
                month = months.get(cells[i_month]) or cached(row, cells[i_month], months, _month_and_text, "month")
                currency = currencies.get(cells[i_currency]) or cached(
                    row, cells[i_currency], currencies, parse_currency, "currency"
                )
                revenue = cells[i_revenue]
                if fast_money(revenue):
                    revenue = canonical(revenue)
                else:
                    revenue = field(row, cells, mapping, "revenue", parse_decimal)
                    revenue = None if revenue is None else f"{revenue:f}"
                profit = cells[i_profit]
                if fast_money(profit):
                    profit = canonical(profit)
                else:
                    profit = field(row, cells, mapping, "gross_profit", parse_decimal)
                    profit = None if profit is None else f"{profit:f}"
                line = cells[i_line]
                if len(line) > 100:
                    report.error(row, column["product_line"], "longer than 100 characters")
                if not number or month is None or currency is None or revenue is None or profit is None:
                    continue
                add((row, number, month[1], line, currency, revenue, profit))
                if currency != "EUR" and (currency, month[0]) not in rate_rows:
                    rate_rows[(currency, month[0])] = row
                if count % PROGRESS_ROWS == 0:
                    staging.pause()  # the database session is free for the progress update
                    self.progress(count, None)
        finally:
            report.rows_total = count
        staging.finish()
        if not report.ok:
            return staging
        for first_row, number in staging.unknown_accounts():
            report.error(
                first_row,
                column["account_number"],
                "no account with this account number in KAM; import the accounts first",
                number,
            )
        rates = set(
            FxRate.objects.filter(currency__in={c for c, _ in rate_rows}).values_list("currency", "month").order_by()
        )
        for (currency, month), row in sorted(rate_rows.items(), key=lambda item: item[1]):
            if (currency, month) not in rates:
                report.error(
                    row,
                    column["currency"],
                    f"no FX rate for {currency} in {month:%Y-%m}; import the FX rates first",
                    currency,
                )
        return staging

    def _cached(self, row, text, cache, parser, name):
        """`parser(text)`, kept per distinct good text; an empty or bad value is reported on every row, as `_field`
        does."""
        column = self.report.mapping[name]
        if not text:
            self.report.error(row, column, "a value is required here")
            return None
        try:
            value = parser(text)
        except ValueError as error:
            self.report.error(row, column, str(error), text)
            return None
        if len(cache) < 10_000:
            cache[text] = value
        return value

    def plan(self, staging):
        counts, preview = staging.plan()
        self.report.created += counts.get("c", 0)
        self.report.updated += counts.get("u", 0)
        self.report.unchanged += counts.get("n", 0)
        for row, action, number, month, current, wanted in preview:
            month = _month_text(month)
            if action == "u":
                self.report.preview.append(
                    {"row": row, "action": "updated", "object": f"{number} {month}: {current} → {wanted} rows"}
                )
            else:
                self.report.preview.append(
                    {"row": row, "action": "created", "object": f"{number} {month}: {wanted} rows"}
                )

    def write(self, staging):
        staging.write()
        # Fact rows are many: the audit trail gets one record per account and import, with the months touched.
        staging.record_changes(self.filename)


def _month_and_text(text: str) -> tuple:
    month = parse_month(text)
    return month, month.isoformat()


def _month_text(value) -> str:
    return value.strftime("%Y-%m") if hasattr(value, "strftime") else str(value)[:7]


class FactStaging:
    """The good rows of a facts file in temporary tables of the import's database session (PostgreSQL or SQLite):
    rows stream in (one open COPY on PostgreSQL, so that parsing in Python and inserting in PostgreSQL run side by
    side), then matching, comparing and applying are a few set-based statements. `drop()` removes the tables; they
    never outlive the session either."""

    BATCH = 10_000  # rows per executemany on SQLite
    CREATE_ROWS = (
        "CREATE TEMPORARY TABLE kam_import_facts (row_no integer NOT NULL, account_number text NOT NULL, month date "
        "NOT NULL, product_line text NOT NULL, currency text NOT NULL, revenue {money} NOT NULL, gross_profit {money} "
        "NOT NULL)"
    )
    INSERT_ROWS = "INSERT INTO {rows} VALUES (%s, %s, %s, %s, %s, %s, %s)"
    COPY_ROWS = "COPY {rows} FROM STDIN"
    # Per (account number, month) of the file: its first row, how many rows, and the account (NULL: not in KAM).
    GROUPS = (
        "SELECT w.account_number, w.month, w.first_row, w.wanted, a.id AS account_id "
        "FROM (SELECT account_number, month, MIN(row_no) AS first_row, COUNT(*) AS wanted FROM {rows} "
        "GROUP BY account_number, month) w LEFT JOIN {account} a ON a.account_number = w.account_number"
    )
    UNKNOWN_ACCOUNTS = "SELECT first_row, account_number FROM {groups} WHERE account_id IS NULL ORDER BY first_row"
    # ... and how many rows KAM holds for it: one index lookup each for a few groups; for many (PostgreSQL), one pass
    # over the stored rows of the file's months (none at all when the file brings new months).
    COUNTED = (
        "SELECT g.account_id, g.account_number, g.month, g.first_row, g.wanted, (SELECT COUNT(*) FROM {fact} f "
        "WHERE f.account_id = g.account_id AND f.month = g.month) AS current FROM {groups} g"
    )
    COUNTED_MANY = (
        "SELECT g.account_id, g.account_number, g.month, g.first_row, g.wanted, COALESCE(c.n, 0) AS current "
        "FROM {groups} g LEFT JOIN (SELECT account_id, month, COUNT(*) AS n FROM {fact} "
        "WHERE month IN (SELECT DISTINCT month FROM {groups}) GROUP BY account_id, month) c "
        "ON c.account_id = g.account_id AND c.month = g.month"
    )
    MANY_GROUPS = 50_000
    # Only a month with as many stored rows as file rows can be unchanged, and then only if every row has its twin:
    # rows counted +1 from the file and -1 from the database must balance to 0 (a multiset comparison).
    CHANGED = (
        "SELECT DISTINCT account_id, month FROM (SELECT account_id, month, SUM(side) AS balance FROM ("
        "SELECT g.account_id, s.month, s.product_line, s.currency, s.revenue, s.gross_profit, 1 AS side "
        "FROM {rows} s JOIN {counted} g ON g.account_number = s.account_number AND g.month = s.month "
        "WHERE g.current = g.wanted UNION ALL "
        "SELECT f.account_id, f.month, f.product_line, f.currency, f.revenue, f.gross_profit, -1 AS side "
        "FROM {fact} f JOIN {counted} g ON g.account_id = f.account_id AND g.month = f.month "
        "WHERE g.current = g.wanted) x "
        "GROUP BY account_id, month, product_line, currency, revenue, gross_profit) d WHERE balance <> 0"
    )
    # c(reated): nothing stored; u(pdated): replaced; n(o change).
    PLAN = (
        "SELECT g.account_id, g.account_number, g.month, g.first_row, g.wanted, g.current, "
        "CASE WHEN g.current = 0 THEN 'c' WHEN g.current <> g.wanted OR c.account_id IS NOT NULL THEN 'u' "
        "ELSE 'n' END AS action FROM {counted} g "
        "LEFT JOIN {changed} c ON c.account_id = g.account_id AND c.month = g.month"
    )
    COUNTS = "SELECT action, COUNT(*) FROM {plan} GROUP BY action"
    PREVIEW = (
        "SELECT first_row, action, account_number, month, current, wanted FROM {plan} "
        "WHERE action <> 'n' ORDER BY first_row LIMIT 50"
    )
    DELETE_REPLACED = (
        "DELETE FROM {fact} WHERE (account_id, month) IN (SELECT account_id, month FROM {plan} WHERE action = 'u')"
    )
    INSERT_FACTS = (
        "INSERT INTO {fact} (created_at, updated_at, version, account_id, month, product_line, currency, revenue, "
        "gross_profit) SELECT %s, %s, 1, p.account_id, s.month, s.product_line, s.currency, s.revenue, "
        "s.gross_profit FROM {rows} s JOIN {plan} p ON p.account_number = s.account_number AND p.month = s.month "
        "WHERE p.action <> 'n'"
    )
    # Every month of the file changes (the usual case: new months): all rows go in, matched to accounts directly.
    INSERT_ALL_FACTS = (
        "INSERT INTO {fact} (created_at, updated_at, version, account_id, month, product_line, currency, revenue, "
        "gross_profit) SELECT %s, %s, 1, a.id, s.month, s.product_line, s.currency, s.revenue, s.gross_profit "
        "FROM {rows} s JOIN {account} a ON a.account_number = s.account_number"
    )
    # One audit record per changed account, as `record_account_event` writes it, built in SQL for all accounts.
    RECORD_CHANGES = (
        "INSERT INTO {audit} (time, actor_id, actor_label, request_id, source, action, content_type_id, object_id, "
        "object_repr, account_id, before, after) "
        "SELECT %s, %s, %s, %s, %s, 'update', %s, p.account_id, {repr}, p.account_id, NULL, {after} "
        "FROM {plan} p JOIN {account} a ON a.id = p.account_id WHERE p.action <> 'n' GROUP BY p.account_id, a.name"
    )
    AFTER = {
        "postgresql": (
            "jsonb_build_object('file', %s::text, "
            "'months_created', COALESCE(jsonb_agg(to_char(p.month, 'YYYY-MM') ORDER BY p.month) "
            "FILTER (WHERE p.action = 'c'), '[]'::jsonb), "
            "'months_replaced', COALESCE(jsonb_agg(to_char(p.month, 'YYYY-MM') ORDER BY p.month) "
            "FILTER (WHERE p.action = 'u'), '[]'::jsonb), 'rows', SUM(p.wanted))"
        ),
        "sqlite": (
            "json_object('file', %s, "
            "'months_created', (SELECT json_group_array(substr(m.month, 1, 7)) FROM (SELECT month FROM {plan} "
            "WHERE account_id = p.account_id AND action = 'c' ORDER BY month) m), "
            "'months_replaced', (SELECT json_group_array(substr(m.month, 1, 7)) FROM (SELECT month FROM {plan} "
            "WHERE account_id = p.account_id AND action = 'u' ORDER BY month) m), 'rows', SUM(p.wanted))"
        ),
    }
    REPR = {
        "postgresql": "LEFT(a.name || ': facts imported', 300)",
        "sqlite": "substr(a.name || ': facts imported', 1, 300)",
    }
    TABLES = ("plan", "changed", "counted", "groups", "rows")

    def __init__(self):
        self.vendor = connection.vendor
        temp = "pg_temp" if self.vendor == "postgresql" else "temp"  # never a regular table of the same name
        self.names = {name: f"{temp}.kam_import_fact_{name}" for name in self.TABLES}
        self.names["rows"] = f"{temp}.kam_import_facts"
        from kam.audit.models import ObjectChange

        self.names.update(
            audit=connection.ops.quote_name(ObjectChange._meta.db_table),
            account=connection.ops.quote_name(Account._meta.db_table),
            fact=connection.ops.quote_name(FinancialFact._meta.db_table),
            money="numeric(20, 4)" if self.vendor == "postgresql" else "decimal",  # as the stored facts
        )
        self.pending, self._copy, self._copy_stack = [], None, None
        self.add = self._copy_row if self.vendor == "postgresql" else self._buffer_row
        self.drop()
        self._execute(self.CREATE_ROWS)

    def _sql(self, template: str) -> str:
        return template.format(**self.names)

    def _execute(self, template: str, params=()):
        with connection.cursor() as cursor:
            cursor.execute(self._sql(template), params)

    def canonical_money(self, text: str) -> str:
        """A money text that matched MONEY_FAST_RE as the database receives a stored amount. SQLite keeps decimals as
        floating point numbers: the same text as Django sends ("12.5000") gives the very same stored value."""
        if self.vendor == "postgresql":
            return text
        whole, _, fraction = text.partition(".")
        return f"{whole}.{fraction:0<4}"

    def _copy_row(self, row: tuple):
        if self._copy is None:
            self._copy_stack = ExitStack()
            cursor = self._copy_stack.enter_context(connection.cursor())
            self._copy = self._copy_stack.enter_context(cursor.copy(self._sql(self.COPY_ROWS)))
        self._copy.write_row(row)

    def _buffer_row(self, row: tuple):
        self.pending.append(row)
        if len(self.pending) >= self.BATCH:
            self.pause()

    def pause(self):
        """End the running COPY (or write the pending batch): the session is free for other statements."""
        if self._copy is not None:
            stack, self._copy, self._copy_stack = self._copy_stack, None, None
            stack.close()
        if self.pending:
            with connection.cursor() as cursor, transaction.atomic():  # one short transaction per batch
                cursor.executemany(self._sql(self.INSERT_ROWS), self.pending)
            self.pending = []

    def finish(self):
        """All rows are in: group them by (account, month) and match the accounts."""
        self.pause()
        with self._tuned():
            self._analyze("rows")
            self._create("groups", self.GROUPS)

    @contextmanager
    def _tuned(self):
        """Statements over millions of rows: with PostgreSQL's default 4 MB of work memory every hash and sort spills
        to disk, and JIT compilation costs more than it saves. For this transaction only."""
        with transaction.atomic():
            if self.vendor == "postgresql":
                self._execute("SET LOCAL work_mem = '256MB'")
                self._execute("SET LOCAL jit = off")
            yield

    def _analyze(self, name):
        if self.vendor == "postgresql":  # temporary tables are never analysed automatically
            self._execute(f"ANALYZE {{{name}}}")

    def _create(self, name, select):
        table = self.names[name]
        self._execute(f"DROP TABLE IF EXISTS {table}")
        self._execute(f"CREATE TEMPORARY TABLE {table.split('.')[1]} AS {select}")
        self._analyze(name)

    def unknown_accounts(self):
        """(first row, account number) of each (account number, month) whose account is not in KAM, in file order."""
        with connection.cursor() as cursor:
            cursor.execute(self._sql(self.UNKNOWN_ACCOUNTS))
            while batch := cursor.fetchmany(1000):
                yield from batch

    def plan(self):
        """Decide c/u/n per (account, month) of the file; return the counts per action and the first 50 changes in
        file order."""
        with self._tuned():
            with connection.cursor() as cursor:
                cursor.execute(self._sql("SELECT COUNT(*) FROM {groups}"))
                many = cursor.fetchone()[0] > self.MANY_GROUPS and self.vendor == "postgresql"
            self._create("counted", self.COUNTED_MANY if many else self.COUNTED)
            self._create("changed", self.CHANGED)
            self._create("plan", self.PLAN)
            with connection.cursor() as cursor:
                cursor.execute(self._sql(self.COUNTS))
                counts = dict(cursor.fetchall())
                cursor.execute(self._sql(self.PREVIEW))
                preview = cursor.fetchall()
        self.counts = counts
        return counts, preview

    def write(self):
        """Replace the changed months: delete their stored rows, insert the file's. Inside the apply transaction."""
        now = timezone.now()
        stamp = connection.ops.adapt_datetimefield_value(now) if self.vendor == "sqlite" else now
        with self._tuned():
            if self.counts.get("u"):
                self._execute(self.DELETE_REPLACED)
            self._execute(self.INSERT_ALL_FACTS if not self.counts.get("n") else self.INSERT_FACTS, [stamp, stamp])

    def record_changes(self, filename: str):
        from django.contrib.contenttypes.models import ContentType

        from kam.core.context import current_context

        context = current_context()
        now = timezone.now()
        if self.vendor == "sqlite":
            now = connection.ops.adapt_datetimefield_value(now)
            self._execute("CREATE INDEX {plan}_account ON kam_import_fact_plan (account_id, month)")
        template = self.RECORD_CHANGES.replace("{after}", self.AFTER[self.vendor])
        self._execute(
            template.replace("{repr}", self.REPR[self.vendor]),
            [
                now,
                context.actor_id,
                context.actor_label,
                context.request_id,
                context.source,
                ContentType.objects.get_for_model(Account).pk,
                filename,
            ],
        )

    def drop(self, *, quietly=False):
        try:
            self.pending = []
            self.pause()
            for name in self.TABLES:
                self._execute(f"DROP TABLE IF EXISTS {{{name}}}")
        except DatabaseError:
            if not quietly:
                raise


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
    # Other apps' importers build on this module, so they are named here and imported when used.
    ImportKind.REQUESTS: "kam.servicelevels.importers.RequestImporter",
    ImportKind.GOALS: "kam.plans.importers.GoalImporter",
    ImportKind.CONTACTS: "kam.stakeholders.importers.ContactImporter",
}


def run_import(kind: str, data, filename: str, *, apply: bool, progress=None, mapping_override=None) -> Report:
    """Check (apply=False) or apply one file; `data` is its bytes or an open binary file (read as a stream)."""
    importer_class = IMPORTERS[kind]
    if isinstance(importer_class, str):
        from django.utils.module_loading import import_string

        importer_class = import_string(importer_class)
    importer = importer_class(data, filename, progress=progress, mapping_override=mapping_override)
    return importer.run(apply=apply)
