"""Weighted pipeline of a plan's opportunities (issue 7), in EUR.

An opportunity's **weighted value** = value × probability / 100, in its own currency. Totals are in EUR: each value is
converted at the rate of the portfolio's as-of month (as wallets are, DEFINITIONS §1), summed exactly and rounded to
cents at the end (§10). An opportunity whose currency has no rate for that month is left out of the totals and
listed with the reason, never converted at another month's rate. Each opportunity's EUR value and weighted EUR value
(exact, unrounded) are kept by pk, for who shows them per opportunity (the plan export).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from kam.accounts import figures
from kam.plans.choices import CLOSED_STAGES, OpportunityStage

HUNDRED = Decimal(100)


@dataclass
class StageLine:
    stage: str
    label: str
    count: int = 0
    value: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)


@dataclass
class Pipeline:
    as_of: dt.date | None
    stages: list  # StageLine per open stage, in stage order, then won and lost
    open_value: Decimal = Decimal(0)
    open_weighted: Decimal = Decimal(0)
    won_value: Decimal = Decimal(0)
    missing_rates: list = field(default_factory=list)  # opportunities left out: (opportunity, currency)
    reasons: dict = field(default_factory=dict)  # opportunity pk → why it has no rate
    eur: dict = field(default_factory=dict)  # opportunity pk → its value in EUR (exact), None without a rate
    weighted_eur: dict = field(default_factory=dict)  # opportunity pk → value × probability / 100 in EUR, or None

    @property
    def open_count(self) -> int:
        return sum(line.count for line in self.stages if line.stage not in CLOSED_STAGES)

    @property
    def missing(self) -> list:
        """The opportunities left out of the totals, with the reason: (opportunity, reason)."""
        return [(opportunity, self.reasons[opportunity.pk]) for opportunity, _currency in self.missing_rates]


def to_eur(amount: Decimal, currency: str, as_of: dt.date | None, rates: figures.RateTable) -> Decimal | None:
    return convert(amount, currency, as_of, rates)[0]


def convert(amount: Decimal, currency: str, as_of: dt.date | None, rates: figures.RateTable) -> tuple:
    """(`amount` in EUR, "") — or (None, why there is no rate)."""
    if currency == figures.REPORTING_CURRENCY:
        return amount, ""
    if as_of is None:  # no facts at all, so no month to take a rate from
        return None, f"No FX rate for {currency}: no monthly figures yet."
    try:
        return rates.to_eur(amount, currency, as_of), ""
    except figures.MissingRate as missing:
        return None, str(missing)


def summarise(opportunities, *, rates: figures.RateTable | None = None, as_of: dt.date | None = None) -> Pipeline:
    rates = rates or figures.RateTable()
    as_of = as_of or figures.latest_month()
    lines = {stage: StageLine(stage, label) for stage, label in OpportunityStage.choices}
    pipeline = Pipeline(as_of=as_of, stages=list(lines.values()))
    open_value = open_weighted = won = Decimal(0)
    for opportunity in opportunities:
        value, reason = convert(figures.exact(opportunity.value), opportunity.currency, as_of, rates)
        if value is None:
            pipeline.missing_rates.append((opportunity, opportunity.currency))
            pipeline.reasons[opportunity.pk] = reason
            pipeline.eur[opportunity.pk] = pipeline.weighted_eur[opportunity.pk] = None
            continue
        weighted = value * opportunity.probability / HUNDRED
        pipeline.eur[opportunity.pk], pipeline.weighted_eur[opportunity.pk] = value, weighted
        line = lines[opportunity.stage]
        line.count += 1
        line.value += value
        line.weighted += weighted
        if opportunity.stage == OpportunityStage.WON:
            won += value
        elif opportunity.stage not in CLOSED_STAGES:
            open_value += value
            open_weighted += weighted
    for line in pipeline.stages:
        line.value, line.weighted = figures.round_money(line.value), figures.round_money(line.weighted)
    pipeline.open_value = figures.round_money(open_value)
    pipeline.open_weighted = figures.round_money(open_weighted)
    pipeline.won_value = figures.round_money(won)
    return pipeline
