"""Account and subtree figures exactly as DEFINITIONS.md §1–§3 and §10 define them.

Sums are taken in SQL per (month, currency) — a handful of rows — and converted to EUR in Python with
Decimal, each month at its own rate, with no intermediate rounding. SQLite sums decimals as floats; the stored
scale is 4 decimals, so quantising each SQL sum back to 4 decimals recovers the exact value.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Max, Q, Sum

from kam.accounts.models import Account, FinancialFact, FxRate, WalletEstimate, in_subtree

REPORTING_CURRENCY = "EUR"
CENT = Decimal("0.01")
STORED = Decimal("0.0001")
SIX = Decimal("0.000001")
HUNDRED = Decimal(100)


class MissingRate(Exception):
    def __init__(self, currency, month):
        self.currency, self.month = currency, month
        super().__init__(f"No FX rate for {currency} in {month:%Y-%m}: add it under FX rates.")


def round_money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(SIX, rounding=ROUND_HALF_UP)


def exact(value) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(str(value)).quantize(STORED, rounding=ROUND_HALF_UP)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + (month.month - 1) + count
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_month(text: str) -> dt.date:
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def latest_month() -> dt.date | None:
    """The as-of month A: the latest month present in the facts (zero rows included)."""
    return FinancialFact.objects.aggregate(latest=Max("month"))["latest"]


class RateTable:
    """All FX rates, loaded once: a (currency, month) pair without a rate is an error, never a fall-back."""

    def __init__(self):
        self._rates = {
            (r.currency, r.month): r.rate_per_eur
            for r in FxRate.objects.all().only("currency", "month", "rate_per_eur")
        }

    def rate(self, currency: str, month: dt.date) -> Decimal:
        if currency == REPORTING_CURRENCY:
            return Decimal(1)
        try:
            return Decimal(self._rates[(currency, month)])
        except KeyError:
            raise MissingRate(currency, month) from None

    def to_eur(self, amount: Decimal, currency: str, month: dt.date) -> Decimal:
        return amount / self.rate(currency, month)


@dataclass
class Figures:
    as_of: dt.date | None
    revenue_t12m: Decimal | None = None
    gross_profit_t12m: Decimal | None = None
    revenue_p12m: Decimal | None = None
    wallet: Decimal | None = None
    monthly: list = field(default_factory=list)  # [(month, revenue, gross_profit)] over the last 24 months
    missing_rate: MissingRate | None = None

    @property
    def gross_margin_percent(self):
        if self.revenue_t12m is None or round_money(self.revenue_t12m) <= 0:
            return None
        return round_percent(HUNDRED * self.gross_profit_t12m / self.revenue_t12m)

    @property
    def yoy_growth_percent(self):
        if self.revenue_p12m is None or round_money(self.revenue_p12m) <= 0:
            return None
        return round_percent(HUNDRED * (self.revenue_t12m - self.revenue_p12m) / self.revenue_p12m)

    @property
    def share_of_wallet_percent(self):
        if self.wallet is None or round_money(self.wallet) <= 0 or self.revenue_t12m is None:
            return None
        return round_percent(HUNDRED * self.revenue_t12m / self.wallet)

    @property
    def revenue_t12m_rounded(self):
        return round_money(self.revenue_t12m)

    @property
    def gross_profit_t12m_rounded(self):
        return round_money(self.gross_profit_t12m)

    @property
    def revenue_p12m_rounded(self):
        return round_money(self.revenue_p12m)

    @property
    def wallet_rounded(self):
        return round_money(self.wallet)


def _wallet_eur(account_filter: Q, as_of: dt.date, rates: RateTable):
    total, found = Decimal(0), False
    for row in WalletEstimate.objects.filter(account_filter, year=as_of.year).values("currency", "amount"):
        total += rates.to_eur(exact(row["amount"]), row["currency"], as_of)
        found = True
    return total if found else None


def compute(account_filter: Q, *, as_of: dt.date | None = None, rates: RateTable | None = None) -> Figures:
    """Figures for the facts matching `account_filter` (a Q on FinancialFact/WalletEstimate `account`)."""
    as_of = as_of or latest_month()
    figures = Figures(as_of=as_of)
    if as_of is None:
        return figures
    rates = rates or RateTable()
    start = add_months(as_of, -23)
    rows = (
        FinancialFact.objects.filter(account_filter, month__gte=start, month__lte=as_of)
        .values("month", "currency")
        .annotate(revenue=Sum("revenue"), gross_profit=Sum("gross_profit"))
        .order_by()
    )
    monthly_revenue, monthly_profit = defaultdict(Decimal), defaultdict(Decimal)
    try:
        for row in rows:
            monthly_revenue[row["month"]] += rates.to_eur(exact(row["revenue"]), row["currency"], row["month"])
            monthly_profit[row["month"]] += rates.to_eur(exact(row["gross_profit"]), row["currency"], row["month"])
        figures.wallet = _wallet_eur(account_filter, as_of, rates)
    except MissingRate as missing:
        figures.missing_rate = missing
        return figures
    t12m_start = add_months(as_of, -11)
    figures.revenue_t12m = sum((v for m, v in monthly_revenue.items() if m >= t12m_start), Decimal(0))
    figures.gross_profit_t12m = sum((v for m, v in monthly_profit.items() if m >= t12m_start), Decimal(0))
    figures.revenue_p12m = sum((v for m, v in monthly_revenue.items() if m < t12m_start), Decimal(0))
    figures.monthly = [
        (
            add_months(start, i),
            monthly_revenue.get(add_months(start, i), Decimal(0)),
            monthly_profit.get(add_months(start, i), Decimal(0)),
        )
        for i in range(24)
    ]
    return figures


def own_figures(account: Account, **kwargs) -> Figures:
    return compute(Q(account=account), **kwargs)


def subtree_figures(account: Account, **kwargs) -> Figures:
    return compute(in_subtree(account.tree_path, "account__tree_path"), **kwargs)


def t12m_revenue_by_account(account_ids, *, as_of=None, rates=None) -> dict:
    """T12M revenue (own rows, EUR, unrounded) for a page of accounts in one query; None where a rate is missing."""
    as_of = as_of or latest_month()
    if as_of is None or not account_ids:
        return {}
    rates = rates or RateTable()
    totals = defaultdict(Decimal)
    broken = set()
    rows = (
        FinancialFact.objects.filter(account_id__in=account_ids, month__gte=add_months(as_of, -11), month__lte=as_of)
        .values("account_id", "month", "currency")
        .annotate(revenue=Sum("revenue"))
        .order_by()
    )
    for row in rows:
        try:
            totals[row["account_id"]] += rates.to_eur(exact(row["revenue"]), row["currency"], row["month"])
        except MissingRate:
            broken.add(row["account_id"])
    return {pk: (None if pk in broken else totals.get(pk, Decimal(0))) for pk in account_ids}
