"""The figures of a plan version, computed once for the plan pages (kam.plans.views) and the plan export
(kam.plans.export): risk levels and the heat map, the KPIs with their actuals per target year, the total cost of
ownership, and how each figure is shown. (The pipeline in EUR: kam.plans.pipeline.)

Display rules: money with thousands separators and two decimals, rounded to cents half-up; a computed percentage is
the one-decimal, half-up rounding of its six-decimal §10 figure (services.metric_value, as the account page shows it),
so the page, the API and the PDF agree; an entered value is shown as entered.

A risk's level: score (likelihood × impact) ≥ 15 high, 8–14 medium, below 8 low. A KPI target is met (on track) when
its actual meets the target (at least the target when higher is better, at most when lower is better); unknown when
either is missing.
"""

import datetime as dt
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from kam.accounts import figures
from kam.plans import services
from kam.plans.choices import ComputedMetric, Direction, KPISource, ObjectiveSide, RiskStatus, TCOCostKind
from kam.plans.models import KPITarget, PlanKPI, PlanVersion

HIGH_RISK, MEDIUM_RISK = 15, 8  # likelihood × impact from which a risk is high / medium
ONE_DECIMAL = Decimal("0.1")
MONEY_METRICS = {ComputedMetric.REVENUE_T12M, ComputedMetric.GROSS_PROFIT_T12M}
CURRENCY_UNIT = re.compile(r"^([A-Z]{3}|[€$£¥]|k€|m€)$")
DASH = "—"


# Formatting ------------------------------------------------------------------------------------------------------


def money(value: Decimal | None, currency: str = "") -> str:
    if value is None:
        return DASH
    text = f"{figures.round_money(Decimal(value)):,.2f}"
    return f"{text} {currency}" if currency else text


def percent(value: Decimal | None) -> str:
    """One decimal, half-up, with " %"."""
    if value is None:
        return DASH
    return f"{Decimal(value).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP):,.1f} %"


def number(value: Decimal | None) -> str:
    """A value as entered: its digits, without the stored trailing zeros."""
    if value is None:
        return DASH
    return f"{Decimal(value).normalize():,f}"


def kpi_format(kpi: PlanKPI):
    """How the KPI's values are shown: money, per cent (computed percentages) or as entered."""
    if kpi.source == KPISource.COMPUTED:
        return money if kpi.computed_metric in MONEY_METRICS else percent
    if CURRENCY_UNIT.match((kpi.unit or "").strip()):
        return money
    return number


def kpi_unit(kpi: PlanKPI) -> str:
    if kpi.source == KPISource.COMPUTED and not kpi.unit:
        return "EUR" if kpi.computed_metric in MONEY_METRICS else "%"
    return kpi.unit or DASH


def on_track(kpi: PlanKPI, target: Decimal | None, actual: Decimal | None) -> bool | None:
    if target is None or actual is None:
        return None
    return actual <= target if kpi.direction == Direction.LOWER else actual >= target


# Risks -----------------------------------------------------------------------------------------------------------


def risk_level(score: int) -> str:
    return "high" if score >= HIGH_RISK else "medium" if score >= MEDIUM_RISK else "low"


def heat_map(risks) -> list:
    """5 × 5 cells, likelihood 5 (top) to 1, impact 1 to 5 (left to right), with the open and mitigated risks in
    each (closed risks are over), in the order given."""
    cells = defaultdict(list)
    for risk in risks:
        if risk.status != RiskStatus.CLOSED:
            cells[(risk.likelihood, risk.impact)].append(risk)
    return [
        {
            "likelihood": likelihood,
            "cells": [
                {
                    "impact": impact,
                    "score": likelihood * impact,
                    "level": risk_level(likelihood * impact),
                    "risks": cells.get((likelihood, impact), []),
                }
                for impact in range(1, 6)
            ],
        }
        for likelihood in range(5, 0, -1)
    ]


# KPIs ------------------------------------------------------------------------------------------------------------


def kpi_rows(version: PlanVersion, today: dt.date) -> dict:
    """KPIs by objective id (each objective's in pk order), each with `target_rows`: per target (by period) a dict
    with the target, the actual for its year, whether it was met, and their display strings (`target_display`,
    `actual_display`); the KPI gets `baseline_display`. Computed actuals are the §10 figures
    (services.metric_value), the account's figures read once per year; years after today's have none. Entered
    KPIs show what was entered on the target."""
    kpis = list(PlanKPI.objects.filter(plan_version=version).order_by("objective_id", "pk"))
    targets = defaultdict(list)
    for target in KPITarget.objects.filter(plan_version=version).order_by("period", "pk"):
        targets[target.kpi_id].append(target)
    account = version.account
    rates = figures.RateTable()
    year_figures = {}
    by_objective = defaultdict(list)
    for kpi in kpis:
        show = kpi_format(kpi)
        kpi.baseline_display = show(kpi.baseline)
        kpi.target_rows = []
        for target in targets.get(kpi.pk, []):
            if kpi.source == KPISource.COMPUTED:
                if target.period not in year_figures:
                    year_figures[target.period] = (
                        services.year_figures(account, target.period, rates=rates)
                        if target.period <= today.year
                        else None
                    )
                result = year_figures[target.period]
                actual = None if result is None else services.metric_value(result, kpi.computed_metric)
            else:
                actual = target.actual
            kpi.target_rows.append(
                {
                    "target": target,
                    "actual": actual,
                    "met": on_track(kpi, target.target, actual),
                    "target_display": show(target.target),
                    "actual_display": show(actual),
                }
            )
        by_objective[kpi.objective_id].append(kpi)
    return by_objective


# Total cost of ownership -----------------------------------------------------------------------------------------


def tco_summary(version: PlanVersion, lines) -> dict | None:
    """The TCO comparison over `tco_years`: annual costs count that many times, one-off costs once (each line gets
    `alternative_total` and `our_total`); the saving is alternative − ours, and its share of the alternative (the
    six-decimal figure, computed from the exact sums)."""
    if not lines:
        return None
    years = version.tco_years
    alternative = ours = figures.exact(0)
    for line in lines:
        times = years if line.cost_kind == TCOCostKind.ANNUAL else 1
        line.alternative_total = line.alternative_cost * times
        line.our_total = line.our_cost * times
        alternative += line.alternative_total
        ours += line.our_total
    saving = alternative - ours
    return {
        "alternative": figures.round_money(alternative),
        "ours": figures.round_money(ours),
        "saving": figures.round_money(saving),
        "saving_percent": figures.round_percent(100 * saving / alternative) if alternative > 0 else None,
    }


# Goal achievement (DEFINITIONS §8) -------------------------------------------------------------------------------


def goal_achievement(objectives) -> tuple[int, int, Decimal | None]:
    """Our goals of a version (its plan year): (achieved, evaluated, 100 × achieved / evaluated to 6 decimals).
    A goal not yet evaluated (achieved empty) is left out; with none evaluated the figure is None, not 0."""
    evaluated = [o for o in objectives if o.side == ObjectiveSide.OURS and o.achieved is not None]
    achieved = sum(1 for o in evaluated if o.achieved)
    if not evaluated:
        return achieved, 0, None
    return achieved, len(evaluated), figures.round_percent(Decimal(100) * achieved / len(evaluated))
