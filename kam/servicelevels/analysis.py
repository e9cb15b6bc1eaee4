"""SLA compliance and time to resolution (DEFINITIONS §6), per account, key account manager, segment or month.

Population: requests opened in the period (UTC instants, [start, end)). Calendar time, not business hours:
- first-response compliance = 100 × #{first response ≤ 24 h after opening} / #{requests}; never answered = breach;
- critical-resolution compliance = 100 × #{critical requests resolved ≤ 72 h after opening} / #{critical requests};
- exactly 24 h (72 h) is compliant, one second more is not;
- median and p90 of the hours to first response and to resolution: linear interpolation between closest ranks
  (Hyndman & Fan type 7), requests without the timestamp left out.
Besides §6, "met its own clock" is the share of requests with an SLA clock whose clocks (business hours, the
account's policy) were neither missed nor breached so far.
Percentages and hours are rounded half-up to 6 decimals (§10) from exact values.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse

from kam.servicelevels.models import ClockState, Priority

SIX_PLACES = Decimal("0.000001")
FIRST_RESPONSE_LIMIT = dt.timedelta(hours=24)
CRITICAL_RESOLUTION_LIMIT = dt.timedelta(hours=72)
GROUPS = ("account", "kam", "segment", "month")
UTC = dt.UTC


def round6(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def hours(delta: dt.timedelta) -> Decimal:
    seconds = Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds) / Decimal(1_000_000)
    return seconds / Decimal(3600)


def percentile(values: list[Decimal], q: Decimal) -> Decimal | None:
    """Type 7: h = (n − 1)·q, P = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])."""
    if not values:
        return None
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    low = int(h)
    if low + 1 >= len(ordered):
        return ordered[low]
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def last_full_year() -> int:
    """§0: the latest calendar year whose December is not after the as-of month (the latest month in the facts);
    without facts, the year before today's."""
    from django.utils import timezone

    from kam.accounts.figures import latest_month

    as_of = latest_month()
    if as_of is None:
        return timezone.now().year - 1
    return as_of.year if as_of.month == 12 else as_of.year - 1


def period_bounds(period: str | None) -> tuple[dt.datetime, dt.datetime, str]:
    """'2025', '2026-Q3', '2026-11'; blank = the last full year. [start, end) in UTC and a label."""
    text = (period or "").strip()
    if not text:
        year = last_full_year()
        return dt.datetime(year, 1, 1, tzinfo=UTC), dt.datetime(year + 1, 1, 1, tzinfo=UTC), str(year)
    if match := re.fullmatch(r"(\d{4})", text):
        year = int(match[1])
        start, end = dt.datetime(year, 1, 1, tzinfo=UTC), dt.datetime(year + 1, 1, 1, tzinfo=UTC)
    elif match := re.fullmatch(r"(\d{4})-Q([1-4])", text, flags=re.IGNORECASE):
        year, quarter = int(match[1]), int(match[2])
        start = dt.datetime(year, 3 * quarter - 2, 1, tzinfo=UTC)
        end = dt.datetime(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1, tzinfo=UTC)
        text = f"{year}-Q{quarter}"
    elif match := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"“{text}” has no month {month}: use YYYY-MM with 01–12.")
        start = dt.datetime(year, month, 1, tzinfo=UTC)
        end = dt.datetime(year + (month == 12), 1 if month == 12 else month + 1, 1, tzinfo=UTC)
    else:
        raise ValueError(f"“{text[:40]}” is not a period: use a year (2025), a quarter (2026-Q3) or a month (2026-11).")
    if not 1900 <= start.year <= 9998:
        raise ValueError("Choose a year between 1900 and 9998.")
    return start, end, text


@dataclass
class ComplianceRow:
    key: str
    label: str
    url: str | None = None
    requests: int = 0
    first_response_percent: Decimal | None = None
    critical: int = 0
    critical_resolution_percent: Decimal | None = None
    met_clock_percent: Decimal | None = None
    median_response_hours: Decimal | None = None
    p90_response_hours: Decimal | None = None
    median_resolution_hours: Decimal | None = None
    p90_resolution_hours: Decimal | None = None


@dataclass
class _Tally:
    requests: int = 0
    responded_in_time: int = 0
    critical: int = 0
    critical_in_time: int = 0
    with_clock: int = 0
    clock_met: int = 0
    response_hours: list = field(default_factory=list)
    resolution_hours: list = field(default_factory=list)

    def add(self, priority, opened, responded, resolved, response_state, resolution_state):
        self.requests += 1
        if responded is not None:
            self.response_hours.append(hours(responded - opened))
            if responded - opened <= FIRST_RESPONSE_LIMIT:
                self.responded_in_time += 1
        if resolved is not None:
            self.resolution_hours.append(hours(resolved - opened))
        if priority == Priority.CRITICAL:
            self.critical += 1
            if resolved is not None and resolved - opened <= CRITICAL_RESOLUTION_LIMIT:
                self.critical_in_time += 1
        states = {response_state, resolution_state} - {ClockState.NONE}
        if states:
            self.with_clock += 1
            if not states & {ClockState.MISSED, ClockState.BREACHED}:
                self.clock_met += 1

    def row(self, key, label, url=None) -> ComplianceRow:
        def share(part, whole):
            return round6(Decimal(100 * part) / Decimal(whole)) if whole else None

        return ComplianceRow(
            key=key,
            label=label,
            url=url,
            requests=self.requests,
            first_response_percent=share(self.responded_in_time, self.requests),
            critical=self.critical,
            critical_resolution_percent=share(self.critical_in_time, self.critical),
            met_clock_percent=share(self.clock_met, self.with_clock),
            median_response_hours=round6(percentile(self.response_hours, Decimal("0.5"))),
            p90_response_hours=round6(percentile(self.response_hours, Decimal("0.9"))),
            median_resolution_hours=round6(percentile(self.resolution_hours, Decimal("0.5"))),
            p90_resolution_hours=round6(percentile(self.resolution_hours, Decimal("0.9"))),
        )


def compliance(requests_qs, group_by: str, start: dt.datetime, end: dt.datetime):
    """(total, rows) for the requests of `requests_qs` (already restricted to the user) opened in [start, end)."""
    if group_by not in GROUPS:
        raise ValueError(f"Group by one of: {', '.join(GROUPS)}.")
    rows = requests_qs.filter(opened_at__gte=start, opened_at__lt=end).values_list(
        "account_id",
        "account__tree_path",
        "priority",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "response_state",
        "resolution_state",
    )
    total = _Tally()
    groups: dict[str, _Tally] = defaultdict(_Tally)
    keys = _group_keys(group_by)
    for account_id, tree_path, priority, opened, responded, resolved, response_state, resolution_state in rows:
        values = (priority, opened, responded, resolved, response_state, resolution_state)
        total.add(*values)
        groups[keys.key(account_id, tree_path, opened)].add(*values)
    names = keys.describe_all(list(groups))
    result = [groups[key].row(key, *names.get(key, (key, None))) for key in groups]
    result.sort(key=lambda row: (row.label.casefold(), row.key))
    return total.row("total", "All requests"), result


class _group_keys:
    """How a request maps to its group, and what a group is called."""

    def __init__(self, group_by):
        self.group_by = group_by
        self._segments = None
        self._managers = None

    def key(self, account_id, tree_path, opened) -> str:
        if self.group_by == "month":
            return f"{opened.astimezone(UTC):%Y-%m}"
        if self.group_by == "account":
            return str(account_id)
        top = int(tree_path.strip("/").split("/")[0]) if tree_path.strip("/") else account_id
        if self.group_by == "segment":
            return self.segments(top)
        return self.manager(account_id, tree_path)

    def segments(self, top_id):
        if self._segments is None:
            from kam.selection.analysis import latest_done_run

            run = latest_done_run()
            self._run = run
            self._segments = dict(run.results.values_list("account_id", "segment")) if run else {}
        return self._segments.get(top_id, "unclassified")

    def manager(self, account_id, tree_path) -> str:
        if self._managers is None:
            from kam.accounts.models import AccountTeamMember

            self._managers = dict(
                AccountTeamMember.objects.filter(AccountTeamMember.active_q(), team_role="key_account_manager")
                .order_by("start_date", "pk")
                .values_list("account_id", "user_id")
            )
        # The account's own manager, else the nearest parent's (a subsidiary is served by its group's team).
        for ancestor in [account_id, *reversed([int(p) for p in tree_path.strip("/").split("/")[:-1] if p])]:
            if ancestor in self._managers:
                return str(self._managers[ancestor])
        return "none"

    def describe_all(self, keys) -> dict[str, tuple[str, str | None]]:
        """Names (and links) of all groups, a query per kind of group, not per group."""
        if self.group_by == "month":
            return {key: (key, None) for key in keys}
        if self.group_by == "account":
            from kam.accounts.models import Account

            accounts = Account.objects.filter(pk__in=[int(k) for k in keys]).only("name", "account_number")
            return {
                str(a.pk): (f"{a.name} ({a.account_number})", reverse("accounts:account", args=[a.pk]))
                for a in accounts
            }
        if self.group_by == "segment":
            run = getattr(self, "_run", None)
            return {
                key: (run.quadrant_name(key) if run is not None else key.replace("_", " ").capitalize(), None)
                for key in keys
            }
        from django.contrib.auth import get_user_model

        people = get_user_model().objects.filter(pk__in=[int(k) for k in keys if k != "none"])
        names = {str(u.pk): (u.display_name, None) for u in people}
        return {key: names.get(key, ("No key account manager", None)) for key in keys}
