"""What the pages and the API read from a finished run: the segment table, the matrix's points, the capacity curve
and the re-tiering comparison. Each is a few aggregate queries over the run's results, never a loop over them."""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Sum

from kam.accounts.models import Account
from kam.core.roles import Role
from kam.selection.choices import RunStatus, Segment
from kam.selection.models import SelectionRun

SEGMENT_ORDER = [
    Segment.STRATEGIC,
    Segment.DEVELOP,
    Segment.MAINTAIN,
    Segment.SERVE_EFFICIENTLY,
    Segment.UNCLASSIFIED,
]
HUNDRED = Decimal(100)
MATRIX_POINTS = 600  # bubbles drawn: the best-ranked classified accounts (a page stays light at 200,000 accounts)
DEFAULT_CAPACITY = (5, 10)  # key accounts per key account manager (seed 004)
CURVE_MAX = 2000


def _decimal(text):
    return None if text is None else Decimal(text)


def _percent(part, whole):
    if not whole or part is None:
        return None
    return (HUNDRED * Decimal(part) / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass
class SegmentRow:
    segment: str
    name: str
    accounts: int
    key_accounts: int
    revenue: Decimal | None
    wallet: Decimal | None
    potential_operating_profit: Decimal | None
    share_of_accounts: Decimal | None
    share_of_pop: Decimal | None


def segment_table(run: SelectionRun) -> list[SegmentRow]:
    if run.segment_totals:  # computed with the run (kam.selection.engine)
        rows = {
            segment: {
                "accounts": t["accounts"],
                "revenue": _decimal(t["revenue"]),
                "wallet": _decimal(t["wallet"]),
                "pop": _decimal(t["pop"]),
            }
            for segment, t in run.segment_totals.items()
        }
    else:
        rows = {
            row["segment"]: row
            for row in run.results.order_by()
            .values("segment")
            .annotate(
                accounts=Count("pk"),
                revenue=Sum("revenue_t12m"),
                wallet=Sum("wallet"),
                pop=Sum("potential_operating_profit"),
            )
        }
    # Today's key accounts are few: counted from their side (an index lookup each), not by joining every result.
    key_accounts = dict(
        run.results.filter(account__in=Account.objects.filter(is_key_account=True))
        .order_by()
        .values("segment")
        .annotate(n=Count("pk"))
        .values_list("segment", "n")
    )
    total_accounts = sum(r["accounts"] for r in rows.values())
    total_pop = sum((r["pop"] or 0 for r in rows.values()), Decimal(0))
    table = []
    for segment in SEGMENT_ORDER:
        row = rows.get(segment, {})
        table.append(
            SegmentRow(
                segment=segment,
                name=run.quadrant_name(segment),
                accounts=row.get("accounts", 0),
                key_accounts=key_accounts.get(segment, 0),
                revenue=row.get("revenue"),
                wallet=row.get("wallet"),
                potential_operating_profit=row.get("pop"),
                share_of_accounts=_percent(row.get("accounts", 0), total_accounts),
                share_of_pop=_percent(row.get("pop"), total_pop),
            )
        )
    return table


def matrix_points(run: SelectionRun, limit: int = MATRIX_POINTS):
    """The best-ranked classified accounts, for the bubble matrix: wallet (x), POP (y), revenue (bubble)."""
    return list(
        run.results.exclude(segment=Segment.UNCLASSIFIED)
        .order_by("rank")
        .values(
            "account_id",
            "account__name",
            "account__account_number",
            "account__is_key_account",
            "rank",
            "score",
            "segment",
            "wallet",
            "potential_operating_profit",
            "revenue_t12m",
        )[:limit]
    )


def key_account_managers() -> int:
    return get_user_model().objects.filter(role=Role.KEY_ACCOUNT_MANAGER, is_active=True).count()


@dataclass
class CurvePoint:
    count: int
    account_id: int
    account_name: str
    marginal: Decimal  # this account's potential operating profit
    covered: Decimal  # the first `count` accounts' potential operating profit
    share: Decimal | None  # covered as a % of the whole population's


@dataclass
class Capacity:
    managers: int
    per_manager_low: int
    per_manager_high: int
    recommended_low: int
    recommended_high: int
    total_pop: Decimal
    curve: list[CurvePoint]

    def point(self, count: int) -> CurvePoint | None:
        return self.curve[count - 1] if 0 < count <= len(self.curve) else None


def capacity(
    run: SelectionRun, managers: int | None = None, low: int = DEFAULT_CAPACITY[0], high: int = DEFAULT_CAPACITY[1]
) -> Capacity:
    """How many key accounts the team can carry, and the value covered by the first n of the ranking."""
    managers = key_account_managers() if managers is None else managers
    recommended_low, recommended_high = managers * low, managers * high
    horizon = min(max(math.ceil(recommended_high * 1.5), 50), CURVE_MAX)
    total = run.results.aggregate(total=Sum("potential_operating_profit"))["total"] or Decimal(0)
    covered, curve = Decimal(0), []
    rows = run.results.order_by("rank").values_list("account_id", "account__name", "potential_operating_profit")[
        :horizon
    ]
    for count, (account_id, name, pop) in enumerate(rows, start=1):
        pop = pop or Decimal(0)
        covered += pop
        curve.append(CurvePoint(count, account_id, name, pop, covered, _percent(covered, total)))
    return Capacity(managers, low, high, recommended_low, recommended_high, total, curve)


@dataclass
class Retiering:
    run: SelectionRun
    previous: SelectionRun | None
    top: int
    enters: list  # SelectionResult rows ranked within the top that are not key accounts today
    drops: list  # today's key accounts outside the top: (account, result or None)
    segment_changes: list  # (result, previous segment)


def latest_done_run(model_id=None) -> SelectionRun | None:
    runs = SelectionRun.objects.filter(status=RunStatus.DONE)
    if model_id:
        runs = runs.filter(scoring_model_id=model_id)
    return runs.order_by("-finished_at", "-pk").first()


def retiering(run: SelectionRun, top: int | None = None, limit: int = 500) -> Retiering:
    """Compare a run with today's key accounts: who would enter the top `top` (default: as many as there are key
    accounts today), who drops out of it, and which key accounts changed segment since the model's previous run."""
    key_accounts = Account.objects.filter(is_key_account=True, parent__isnull=True)
    top = top or key_accounts.count()
    enters = list(
        run.results.filter(rank__lte=top, account__is_key_account=False)
        .select_related("account")
        .order_by("rank")[:limit]
    )
    ranked = {r.account_id: r for r in run.results.filter(account__in=key_accounts).select_related("account")}
    drops = [
        (account, ranked.get(account.pk))
        for account in key_accounts.order_by("name")[: limit * 4]
        if account.pk not in ranked or ranked[account.pk].rank > top
    ][:limit]
    previous = (
        SelectionRun.objects.filter(
            status=RunStatus.DONE, scoring_model_id=run.scoring_model_id, finished_at__lt=run.finished_at
        )
        .order_by("-finished_at", "-pk")
        .first()
        if run.scoring_model_id and run.finished_at
        else None
    )
    changes = []
    if previous is not None:
        before = dict(previous.results.filter(account__in=key_accounts).values_list("account_id", "segment"))
        changes = [
            (result, before[account_id])
            for account_id, result in sorted(ranked.items(), key=lambda item: item[1].rank)
            if account_id in before and before[account_id] != result.segment
        ][:limit]
    return Retiering(run, previous, top, enters, drops, changes)
