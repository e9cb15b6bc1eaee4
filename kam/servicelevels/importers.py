"""requests.csv (DEFINITIONS §11): `request_id`, `account_number`, `priority` (critical / normal), `subject`,
`created_at`, `first_response_at`, `resolved_at` (ISO 8601 with Z or an offset; the last two may be blank).

Each new request is opened with the account's SLA clocks as of its `created_at`, then its history is written as it
happened: the first response stops the response clock (met or missed), the resolution stops the resolution clock. A
request without a first response keeps it blank — DEFINITIONS §6 counts it as never answered — even when it was
resolved. Imported requests are not escalated: they arrive with their past, and nobody is notified of old breaches.

A request id already in KAM is the same request: unchanged when the file agrees, completed when the file adds a
first response or a resolution the request did not have yet, an error when the file contradicts what KAM holds.
The whole file is applied in one transaction, or nothing is (the importers' contract).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from kam.accounts.choices import ImportKind
from kam.accounts.importers import BaseImporter
from kam.accounts.models import Account
from kam.servicelevels import services
from kam.servicelevels.models import (
    ClientRequest,
    ClockState,
    EventKind,
    Priority,
    RequestKind,
    RequestStatus,
)

PRIORITY_WORDS = {
    "critical": Priority.CRITICAL,
    "urgent": Priority.CRITICAL,
    "high": Priority.HIGH,
    "normal": Priority.NORMAL,
    "medium": Priority.NORMAL,
    "low": Priority.LOW,
}


def parse_instant(text: str) -> dt.datetime:
    """ISO 8601 with Z or a numeric offset; a time without one is ambiguous and refused."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"“{text}” is not an ISO 8601 time such as 2026-03-02T09:15:00Z") from None
    if value.tzinfo is None:
        raise ValueError(f"“{text}” has no time zone: add Z (UTC) or an offset such as +01:00")
    if not 1900 <= value.year <= 9998:
        raise ValueError(f"“{text}” is outside the years 1900–9998")
    return value.astimezone(dt.UTC)


def parse_priority(text: str) -> str:
    priority = PRIORITY_WORDS.get(text.strip().casefold())
    if priority is None:
        raise ValueError(f"“{text}” is not a priority: use critical or normal (or low, high)")
    return priority


class RequestImporter(BaseImporter):
    kind = ImportKind.REQUESTS

    def parse(self, rows, mapping):
        parsed, seen = [], {}
        now = timezone.now()
        for row, cells in rows:
            self.report.rows_total += 1
            request_id = self._field(row, cells, mapping, "request_id", str)
            number = self._field(row, cells, mapping, "account_number", str)
            priority = self._field(row, cells, mapping, "priority", parse_priority)
            subject = self._field(row, cells, mapping, "subject", str)
            created = self._field(row, cells, mapping, "created_at", parse_instant)
            responded = self._field(row, cells, mapping, "first_response_at", parse_instant, required=False)
            resolved = self._field(row, cells, mapping, "resolved_at", parse_instant, required=False)
            if None in (request_id, number, priority, subject, created):
                continue
            if len(request_id) > 64:
                self.report.error(row, self.report.mapping["request_id"], "at most 64 characters", request_id)
                continue
            if request_id in seen:
                self.report.error(
                    row,
                    self.report.mapping["request_id"],
                    f"duplicate: request {request_id} is already on row {seen[request_id]}",
                )
                continue
            seen[request_id] = row
            problems = False
            for name, value in (("created_at", created), ("first_response_at", responded), ("resolved_at", resolved)):
                if value is not None and value > now + services.FUTURE_TOLERANCE:
                    self.report.error(row, self.report.mapping[name], "this time is in the future", value.isoformat())
                    problems = True
            for name, value in (("first_response_at", responded), ("resolved_at", resolved)):
                if value is not None and value < created:
                    self.report.error(
                        row, self.report.mapping[name], "before the request was created (created_at)", value.isoformat()
                    )
                    problems = True
            if problems:
                continue
            parsed.append(
                {
                    "row": row,
                    "request_id": request_id,
                    "number": number,
                    "priority": priority,
                    "subject": subject[:200],
                    "created": created,
                    "responded": responded,
                    "resolved": resolved,
                }
            )
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
        return parsed

    def plan(self, parsed):
        ids = [p["request_id"] for p in parsed]
        self._existing = {}
        for start in range(0, len(ids), 900):
            for request in ClientRequest.objects.filter(external_id__in=ids[start : start + 900]):
                self._existing[request.external_id] = request
        for p in parsed:
            current = self._existing.get(p["request_id"])
            label = f"{p['request_id']} {p['subject'][:60]}"
            if current is None:
                self.report.note("created", p["row"], label)
                continue
            conflicts = self._conflicts(current, p)
            if conflicts:
                for column, reason in conflicts:
                    self.report.error(p["row"], self.report.mapping.get(column, column), reason)
            elif self._additions(current, p):
                self.report.note("updated", p["row"], label)
            else:
                self.report.note("unchanged", p["row"], label)

    def _conflicts(self, current: ClientRequest, p) -> list[tuple[str, str]]:
        problems = []
        if current.account_id != p.get("account_id"):
            problems.append(("account_number", f"request {p['request_id']} belongs to another account in KAM"))
        if current.opened_at != p["created"]:
            problems.append(
                ("created_at", f"KAM has request {p['request_id']} created at {current.opened_at:%Y-%m-%dT%H:%M:%SZ}")
            )
        for column, field in (("first_response_at", "first_response_at"), ("resolved_at", "resolved_at")):
            held, given = getattr(current, field), p["responded" if field == "first_response_at" else "resolved"]
            if held is not None and given is not None and held != given:
                problems.append((column, f"KAM has {held:%Y-%m-%dT%H:%M:%SZ} for request {p['request_id']}"))
        return problems

    @staticmethod
    def _additions(current: ClientRequest, p) -> bool:
        return (current.first_response_at is None and p["responded"] is not None) or (
            current.resolved_at is None and p["resolved"] is not None
        )

    def write(self, parsed):
        now = timezone.now()
        accounts = {a.pk: a for a in Account.objects.filter(pk__in={p["account_id"] for p in parsed})}
        for p in parsed:
            request = self._existing.get(p["request_id"])
            try:
                if request is None:
                    request = services.open_request(
                        accounts[p["account_id"]],
                        subject=p["subject"],
                        kind=RequestKind.CRITICAL_ISSUE if p["priority"] == Priority.CRITICAL else RequestKind.INQUIRY,
                        priority=p["priority"],
                        opened_at=p["created"],
                        external_id=p["request_id"],
                        channel="other",
                        escalate=False,
                        now=now,
                    )
                if self._additions(request, p) or request.first_response_at is None and p["responded"]:
                    record_history(request, p["responded"], p["resolved"], now)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.report.error(p["row"], self.report.mapping.get(field, field), " ".join(messages))


def record_history(request: ClientRequest, responded, resolved, now):
    """Write a request's past as the file gives it, without the interactive workflow's rules (a resolution in the
    file is not a first response)."""
    if responded is not None and request.first_response_at is None:
        request.first_response_at = responded
        if request.response_state in services.RUNNING_STATES:
            request.response_state = ClockState.MET if responded <= request.response_due_at else ClockState.MISSED
        if request.status == RequestStatus.NEW:
            services._event(request, EventKind.STATUS, None, responded, request.status, RequestStatus.ACKNOWLEDGED)
            request.status = RequestStatus.ACKNOWLEDGED
    if resolved is not None and request.resolved_at is None:
        if request.first_response_at is None and request.response_state in services.RUNNING_STATES:
            request.response_state = ClockState.MISSED  # never answered (DEFINITIONS §6)
        services._pause_resolution(request, resolved, final=True)
        services._event(request, EventKind.STATUS, None, resolved, request.status, RequestStatus.RESOLVED)
        request.resolved_at = resolved
        request.status = RequestStatus.RESOLVED
    services._advance(request, now, escalate=False)
