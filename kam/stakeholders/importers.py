"""Contacts from a CRM export (issue 8): the people of the customers, and who reports to whom.

Recognised headers (kam.accounts.importers.COLUMNS[CONTACTS]; case, spaces and punctuation do not matter):

- ours: `contact_id, account_number, first_name, last_name, title, department, email, phone, reports_to_id,
  buying_role, attitude, location`;
- a Salesforce Contact export: `Id, AccountId, FirstName, LastName, Title, Department, Email, Phone, ReportsToId,
  MailingCity`;
- a HubSpot contacts export: `Record ID, Associated Company ID, First Name, Last Name, Job Title, Email, Phone Number,
  City` (HubSpot has no reports-to property: without the column, no line is set or changed).

The rules:

- `contact_id` (the CRM id, kept as the contact's `external_id`) and `last_name` are required; an id twice in the
  file is an error.
- The account is found by `account_number`, or by the account's CRM id (`AccountId`, `Associated Company ID`: the
  `crm_id` the accounts import keeps); an unknown account is an error (import the accounts first). A company name is
  never used to find an account: names are not unique.
- A known contact id is the same person: unchanged when nothing the file carries differs, updated otherwise, and
  moved to the row's account when it is another account of the same customer (never to another customer). Only the
  columns the file has are compared and written: a Salesforce export has no buying role or attitude, and importing it
  keeps what the team recorded. A blank buying role is none, a blank attitude neutral; both take the choice's key or
  its label, in any case.
- A contact who has left (`left_on`) is not changed by an import: the row is skipped, counted as unchanged and shown
  as "skipped" in the preview. A CRM keeps people long after they leave, and their rows must not stop the import of
  everybody else. Someone reporting to a leaver is an error, as it is on the page: choose who took over.
- `reports_to_id` names the manager by contact id: a row of the same file (before or after the report) or a contact
  imported earlier. A blank cell means no manager. Reporting to oneself, to someone at another customer, to an
  unknown id, and reporting lines that close a circle — within the file, or together with the lines KAM already
  holds — are errors naming the rows involved.
- Every error is found before anything is written; the whole file is written in one transaction, or nothing is.
  People are written managers first (by their depth in the final map), so the order of the file does not matter,
  every intermediate state is free of circles, and each person gets one history state per import.
- Every write goes through `kam.stakeholders.services.save_contact` (its rules, its history, its audit).
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kam.accounts.choices import ImportKind
from kam.accounts.importers import BaseImporter, ImportFileError, _get
from kam.accounts.models import Account, in_subtree
from kam.stakeholders.choices import Attitude, BuyingRole
from kam.stakeholders.models import Contact
from kam.stakeholders.services import group_of, save_contact

MAX_ID = 64
BATCH = 900  # ids per IN (...) query: below SQLite's limit of variables
# Column -> (Contact field, the most characters it holds).
TEXT_COLUMNS = {
    "first_name": ("first_name", 100),
    "last_name": ("last_name", 100),
    "title": ("title", 200),
    "department": ("business_unit", 200),
    "email": ("email", 254),
    "phone": ("phone", 50),
    "location": ("location", 200),
}
CHOICE_COLUMNS = {"buying_role": ("buying_role", BuyingRole, ""), "attitude": ("attitude", Attitude, "neutral")}


def choice_parser(choices, noun: str, blank: str):
    """A choice by its key or its label, in any case; blank gives `blank`."""
    lookup = {c.value.casefold(): c.value for c in choices} | {c.label.casefold(): c.value for c in choices}

    def parse(text: str) -> str:
        if not text.strip():
            return blank
        value = lookup.get(text.strip().casefold())
        if value is None:
            raise ValueError(f"“{text}” is not a {noun}: use {', '.join(choices.values)} (or leave it blank)")
        return value

    return parse


class ContactImporter(BaseImporter):
    kind = ImportKind.CONTACTS

    # ------------------------------------------------------------------------------------------------ parse

    def parse(self, rows, mapping):
        if "account_number" not in mapping and "account_crm_id" not in mapping:
            raise ImportFileError(
                "Required column missing: account_number, or the account's CRM id (AccountId, Associated Company ID)."
                f" Found: {', '.join(self.report.headers) or 'no headers'}.",
                column="account_number",
            )
        col = self.report.mapping.get
        # Only what the file carries is compared and written (see the module's docstring).
        self._fields = [f for f in (*TEXT_COLUMNS, *CHOICE_COLUMNS) if f in mapping]
        self._lines = "reports_to_id" in mapping
        parsers = {name: choice_parser(c, name.replace("_", " "), b) for name, (_f, c, b) in CHOICE_COLUMNS.items()}
        parsed, seen = [], {}
        for row, cells in rows:
            self.report.rows_total += 1
            if self.report.rows_total % 1000 == 0:
                self.progress(self.report.rows_total, None)
            errors_before = self.report.error_count
            contact_id = self._field(row, cells, mapping, "contact_id", str)
            if contact_id is not None:
                if len(contact_id) > MAX_ID:
                    self.report.error(row, col("contact_id"), f"at most {MAX_ID} characters", contact_id)
                elif contact_id in seen:
                    self.report.error(
                        row, col("contact_id"), f"duplicate: contact {contact_id} is already on row {seen[contact_id]}"
                    )
                    continue
                else:
                    seen[contact_id] = row
            values = {}
            for name in self._fields:
                if name in CHOICE_COLUMNS:
                    values[name] = self._field(row, cells, mapping, name, parsers[name], required=False)
                    continue
                text, limit = _get(cells, mapping, name), TEXT_COLUMNS[name][1]
                if len(text) > limit:
                    self.report.error(row, col(name), f"longer than {limit} characters", text)
                elif name == "email" and text:
                    try:
                        validate_email(text)
                    except ValidationError:
                        self.report.error(row, col(name), "not an e-mail address", text)
                values[name] = text
            if not _get(cells, mapping, "last_name"):
                self.report.error(row, col("last_name"), "the last name is required")
            for name, parser in parsers.items():  # a blank cell: the blank value (_field gives None)
                if name in values and values[name] is None and not _get(cells, mapping, name):
                    values[name] = parser("")
            number, crm_id = _get(cells, mapping, "account_number"), _get(cells, mapping, "account_crm_id")
            if not number and not crm_id:
                self.report.error(
                    row,
                    col("account_number") or col("account_crm_id"),
                    "the account is required: its account number or its CRM id",
                )
            elif crm_id and not number and ";" in crm_id:
                self.report.error(
                    row, col("account_crm_id"), "several companies: keep only the contact's primary company", crm_id
                )
            manager = _get(cells, mapping, "reports_to_id")
            if len(manager) > MAX_ID:
                self.report.error(row, col("reports_to_id"), f"at most {MAX_ID} characters", manager)
            if self.report.error_count > errors_before:
                continue
            parsed.append(
                {"row": row, "id": contact_id, "values": values, "number": number, "crm_id": crm_id, "manager": manager}
            )
        self._find_accounts(parsed)
        return parsed

    def _find_accounts(self, parsed):
        """The account by its number when the row has one, else by its CRM id; both given must agree."""
        col = self.report.mapping.get
        numbers = sorted({p["number"] for p in parsed if p["number"]})
        crm_ids = sorted({p["crm_id"] for p in parsed if p["crm_id"]})
        by_number, by_crm = {}, defaultdict(list)
        fields = ("pk", "name", "tree_path", "account_number", "crm_id")
        for start in range(0, len(numbers), BATCH):
            for account in Account.objects.filter(account_number__in=numbers[start : start + BATCH]).only(*fields):
                by_number[account.account_number] = account
        for start in range(0, len(crm_ids), BATCH):
            for account in Account.objects.filter(crm_id__in=crm_ids[start : start + BATCH]).only(*fields):
                by_crm[account.crm_id].append(account)
        for p in parsed:
            account = None
            if p["number"]:
                account = by_number.get(p["number"])
                if account is None:
                    self.report.error(
                        p["row"], col("account_number"), "no account with this account number in KAM", p["number"]
                    )
                    continue
            if p["crm_id"]:
                found = by_crm.get(p["crm_id"], [])
                if account is not None:
                    if found and account not in found:
                        self.report.error(
                            p["row"],
                            col("account_crm_id"),
                            f"this CRM id is another account's, not {account.name}'s ({account.account_number})",
                            p["crm_id"],
                        )
                        continue
                elif not found:
                    self.report.error(
                        p["row"],
                        col("account_crm_id"),
                        "no account with this CRM id in KAM: import the accounts first",
                        p["crm_id"],
                    )
                    continue
                elif len(found) > 1:
                    numbers_found = ", ".join(sorted(a.account_number for a in found))
                    self.report.error(
                        p["row"],
                        col("account_crm_id"),
                        f"several accounts carry this CRM id ({numbers_found}): give the account_number instead",
                        p["crm_id"],
                    )
                    continue
                else:
                    account = found[0]
            p["account"], p["group"] = account, group_of(account)

    # ------------------------------------------------------------------------------------------------- plan

    def plan(self, parsed):
        """Match the people with KAM's, resolve the managers, refuse circles; decide created / updated / unchanged."""
        if not parsed:
            return
        by_id = {p["id"]: p for p in parsed}
        wanted = sorted(set(by_id) | {p["manager"] for p in parsed if p["manager"]})
        known = defaultdict(list)  # external id -> the contacts in KAM that carry it
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            for contact in Contact.objects.filter(external_id__in=chunk).select_related("account"):
                known[contact.external_id].append(contact)
        groups = {p["group"] for p in parsed}
        # The chains of managers run through every person of the customers in the file, imported or not.
        customers = Q()
        for group in groups:
            customers |= in_subtree(f"/{group}/", "account__tree_path")
        fields = ("pk", "reports_to_id", "first_name", "last_name", "left_on")
        self._held = {c.pk: c for c in Contact.objects.filter(customers).only(*fields)}
        groups |= {group_of(c.account) for found in known.values() for c in found}
        self._customer_names = dict(Account.objects.filter(pk__in=groups).values_list("pk", "name"))
        for p in parsed:
            p["current"], p["skip"], p["bad"] = None, False, False
            found = known.get(p["id"], [])
            if len(found) > 1:
                self._bad(p, "contact_id", f"{len(found)} contacts in KAM carry id {p['id']}: merge them first")
            elif found:
                current = p["current"] = found[0]
                if group_of(current.account) != p["group"]:
                    self._bad(
                        p,
                        self._account_column(p),
                        f"in KAM, {current.name} works for {self._customer(group_of(current.account))}: a person "
                        "moves within the customer only",
                    )
                elif current.left_on is not None:
                    p["skip"] = True
        self._row_of_pk = {p["current"].pk: p for p in parsed if p["current"] is not None}
        if self._lines:
            for p in parsed:
                self._resolve_manager(p, by_id, known)
        self._refuse_circles(parsed)
        if not self.report.ok:
            return
        for p in parsed:
            label = f"{p['id']} {p['account'].name}: {self._name(p)}"
            if p["skip"]:
                self.report.note("unchanged", p["row"], label)
                if len(self.report.preview) < 50:
                    left = p["current"].left_on
                    self.report.preview.append(
                        {"row": p["row"], "action": "skipped", "object": f"{label} (left on {left:%Y-%m-%d})"}
                    )
                continue
            p["changes"] = self._changes(p)
            if p["current"] is None:
                self.report.note("created", p["row"], label)
            elif p["changes"]:
                self.report.note("updated", p["row"], label)
            else:
                self.report.note("unchanged", p["row"], label)

    def _resolve_manager(self, p, by_id, known):
        """p["boss"]: ("row", the manager's row) or ("kam", a contact of KAM) or None (no manager)."""
        p["boss"] = None
        if p["bad"] or p["skip"] or not p["manager"]:
            return
        manager, column = p["manager"], "reports_to_id"
        if manager == p["id"]:
            self._bad(p, column, "a person cannot report to themselves")
            return
        if manager in by_id:
            boss = by_id[manager]
            where = f"{self._name(boss)} (row {boss['row']})"
            if boss["group"] != p["group"]:
                self._bad(
                    p,
                    column,
                    f"{where} works for {self._customer(boss['group'])}: reporting lines stay within one customer",
                )
            elif boss["current"] is not None and boss["current"].left_on is not None:
                self._bad(p, column, f"{where} left on {boss['current'].left_on:%Y-%m-%d}: choose who took over")
            else:
                p["boss"] = ("row", boss)
            return
        found = known.get(manager, [])
        if not found:
            self._bad(p, column, f"no contact with id {manager} in this file or in KAM")
        elif len(found) > 1:
            self._bad(p, column, f"{len(found)} contacts in KAM carry id {manager}: merge them first")
        elif group_of(found[0].account) != p["group"]:
            customer = self._customer(group_of(found[0].account))
            self._bad(p, column, f"{found[0].name} works for {customer}: reporting lines stay within one customer")
        elif found[0].left_on is not None:
            self._bad(p, column, f"{found[0].name} left on {found[0].left_on:%Y-%m-%d}: choose who took over")
        else:
            p["boss"] = ("kam", found[0].pk)

    # A node of the final map: ("row", contact id) for a person of the file, ("kam", pk) for one only in KAM.

    def _node_of_pk(self, pk):
        if pk is None:
            return None
        row = self._row_of_pk.get(pk)
        return ("row", row["id"]) if row is not None else ("kam", pk)

    def _next(self, node, by_id):
        """Whom the person reports to once the file is written."""
        kind, key = node
        if kind == "kam":
            held = self._held.get(key)
            return self._node_of_pk(held.reports_to_id) if held is not None else None
        p = by_id[key]
        if p["bad"]:
            return None  # its error is reported already; a circle through it would only repeat it
        if self._lines and not p["skip"]:
            boss = p["boss"]
            if boss is None:
                return None
            return ("row", boss[1]["id"]) if boss[0] == "row" else self._node_of_pk(boss[1])
        # No reports-to column (or a skipped leaver): the line stays as KAM has it.
        return self._node_of_pk(p["current"].reports_to_id) if p["current"] is not None else None

    def _refuse_circles(self, parsed):
        """Follow every person's chain of managers in the final map; a chain that comes back to itself is a circle,
        reported once on each of its rows. Also gives each row its depth (0: no manager) for `write`."""
        by_id = {p["id"]: p for p in parsed}
        done, depth = set(), {}
        for start in parsed:
            node, path, on_path = ("row", start["id"]), [], {}
            while node is not None and node not in done and node not in on_path:
                on_path[node] = len(path)
                path.append(node)
                node = self._next(node, by_id)
            if node is not None and node in on_path:
                circle = path[on_path[node] :]
                text = " → ".join(self._describe(n, by_id) for n in [*circle, circle[0]])
                for member in circle:
                    if member[0] == "row":
                        self._bad(by_id[member[1]], "reports_to_id", f"reporting lines in a circle: {text}")
                for member in circle:
                    depth[member] = 0  # never used: the file is refused
            base = depth.get(node, -1) if node is not None else -1
            for member in reversed(path):
                if member not in depth:
                    base += 1
                    depth[member] = base
                else:
                    base = depth[member]
                done.add(member)
        for p in parsed:
            p["depth"] = depth.get(("row", p["id"]), 0)

    def _describe(self, node, by_id):
        if node[0] == "row":
            p = by_id[node[1]]
            return f"row {p['row']} ({self._name(p)})"
        held = self._held[node[1]]
        return f"{held.name} (in KAM)"

    def _changes(self, p) -> dict:
        """What save_contact must write: everything the file carries for a new person, what differs for a known one."""
        current = p["current"]
        data = {}
        for name, value in p["values"].items():
            field = (TEXT_COLUMNS.get(name) or CHOICE_COLUMNS[name])[0]
            if current is None or getattr(current, field) != value:
                data[field] = value
        if current is not None and current.account_id != p["account"].pk:
            data["account"] = p["account"]
        if self._lines:
            boss = p["boss"]
            if boss is None:
                manager_pk = None
            elif boss[0] == "kam":
                manager_pk = boss[1]
            else:
                manager_pk = boss[1]["current"].pk if boss[1]["current"] is not None else "new"
            if current is None:
                if manager_pk is not None:
                    data["reports_to"] = boss
            elif current.reports_to_id != manager_pk:
                data["reports_to"] = boss
        return data

    def _bad(self, p, column, reason):
        p["bad"] = True
        self.report.error(p["row"], self.report.mapping.get(column, column), reason)

    def _account_column(self, p):
        return "account_number" if p["number"] else "account_crm_id"

    def _customer(self, group: int) -> str:
        return self._customer_names.get(group) or "another customer"

    @staticmethod
    def _name(p) -> str:
        values = p["values"]
        return f"{values.get('first_name', '')} {values.get('last_name', '')}".strip() or p["id"]

    # ------------------------------------------------------------------------------------------------ write

    def write(self, parsed):
        now = timezone.now()
        contacts = {}  # contact id -> the person as written
        for p in sorted(parsed, key=lambda p: p["depth"]):  # managers first; sorted() keeps the file's order within
            if p["skip"]:
                continue
            contacts[p["id"]] = p["current"]
            if not p["changes"]:
                continue
            data = dict(p["changes"])
            if "reports_to" in data:
                boss = data["reports_to"]
                if boss is not None:
                    data["reports_to"] = boss[1] if boss[0] == "kam" else contacts[boss[1]["id"]].pk
            try:
                contacts[p["id"]] = save_contact(
                    p["account"], data, None, contact=p["current"], external_id=p["id"], at=now
                )
            except ValidationError as error:
                # Only a change made by someone else since `plan` read the map gets here: nothing is kept.
                for field, messages in error.message_dict.items():
                    self.report.error(p["row"], self._column_of(field), " ".join(messages))
                transaction.set_rollback(True)
                return

    def _column_of(self, field: str) -> str:
        names = {"reports_to": "reports_to_id", "business_unit": "department", "account": "account_number"}
        column = names.get(field, field)
        return self.report.mapping.get(column, column)
