"""kam.plans.summaries: the plan's figures shared by the plan pages and the export, checked against hand-computed
values; and the per-opportunity EUR values of kam.plans.pipeline."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from kam.accounts import figures
from kam.plans import pipeline, summaries
from tests import factories
from tests.plans.conftest import YEAR, add

TODAY = dt.date(YEAR, 6, 1)


def risk(likelihood, impact, status="open", title=""):
    return SimpleNamespace(likelihood=likelihood, impact=impact, status=status, title=title)


def test_risk_levels_by_score():
    assert [summaries.risk_level(score) for score in (1, 7, 8, 14, 15, 25)] == [
        "low", "low", "medium", "medium", "high", "high",
    ]  # fmt: skip


def test_the_heat_map_is_five_by_five_without_closed_risks():
    a, b, c = risk(4, 4, title="a"), risk(4, 4, "mitigated", title="b"), risk(2, 3, title="c")
    grid = summaries.heat_map([a, risk(5, 5, "closed"), b, c])
    assert [row["likelihood"] for row in grid] == [5, 4, 3, 2, 1]
    assert all([cell["impact"] for cell in row["cells"]] == [1, 2, 3, 4, 5] for row in grid)
    cells = {(row["likelihood"], cell["impact"]): cell for row in grid for cell in row["cells"]}
    assert {key: cell["risks"] for key, cell in cells.items() if cell["risks"]} == {(4, 4): [a, b], (2, 3): [c]}
    # Levels by score: 5 × 5 = 25 and 3 × 5 = 15 high; 2 × 4 = 8 and 3 × 4 = 12 medium; 2 × 3 = 6 and 1 × 5 = 5 low.
    assert cells[(5, 5)]["score"] == 25 and cells[(5, 5)]["level"] == "high"
    assert cells[(3, 5)]["level"] == "high"
    assert cells[(2, 4)]["level"] == "medium" and cells[(3, 4)]["level"] == "medium"
    assert cells[(2, 3)]["level"] == "low" and cells[(1, 5)]["level"] == "low"


def tco_line(kind, alternative, ours):
    return SimpleNamespace(cost_kind=kind, alternative_cost=Decimal(alternative), our_cost=Decimal(ours))


def test_tco_counts_annual_costs_each_year_and_one_off_costs_once():
    version = SimpleNamespace(tco_years=3)
    lines = [tco_line("annual", "900", "700"), tco_line("one_off", "0", "1000"), tco_line("annual", "1000", "200")]
    tco = summaries.tco_summary(version, lines)
    # Alternative 3 × 900 + 0 + 3 × 1000 = 5700; ours 3 × 700 + 1000 + 3 × 200 = 3700; saving 2000 = 35.0877192… %.
    assert [(line.alternative_total, line.our_total) for line in lines] == [(2700, 2100), (0, 1000), (3000, 600)]
    assert tco == {
        "alternative": Decimal("5700.00"),
        "ours": Decimal("3700.00"),
        "saving": Decimal("2000.00"),
        "saving_percent": Decimal("35.087719"),
    }
    assert summaries.percent(tco["saving_percent"]) == "35.1 %"
    assert summaries.tco_summary(version, []) is None
    nothing_to_compare = summaries.tco_summary(version, [tco_line("one_off", "0", "50")])
    assert nothing_to_compare["saving"] == Decimal("-50.00") and nothing_to_compare["saving_percent"] is None


def test_formatting():
    assert summaries.money(Decimal("1234567.125")) == "1,234,567.13"
    assert summaries.money(Decimal("5"), "EUR") == "5.00 EUR"
    assert summaries.number(Decimal("12.500")) == "12.5"
    assert summaries.money(None) == summaries.percent(None) == summaries.number(None) == "—"


def test_a_percentage_is_shown_from_its_six_decimal_figure():
    # 41.2499996 % is 41.250000 at six places (§10); shown with one decimal, half-up: 41.3 % (not 41.2 %).
    figure = figures.round_percent(Decimal("41.2499996"))
    assert figure == Decimal("41.250000")
    assert summaries.percent(figure) == "41.3 %"


def test_kpi_rows_show_the_computed_percentage_from_the_section_10_figure(draft, users, key_account):
    # T12M revenue as of March 2026: 100000 + 23749.9988 = 123749.9988 EUR; wallet 300000: 41.2499996 %.
    factories.fact(key_account, "2025-06", "100000", "30000")
    factories.fact(key_account, "2026-03", "23749.9988", "5000")
    factories.wallet(key_account, YEAR, "300000")
    kam = users.kam
    ours = add(draft, "objective", kam, side="ours", title="Become sole logistics supplier")
    share = add(
        draft, "kpi", kam, objective=ours, metric="Share of wallet", baseline=Decimal("30"), source="computed",
        computed_metric="share_of_wallet",
    )  # fmt: skip
    add(draft, "target", kam, kpi=share, period=YEAR, target=Decimal("40"))
    add(draft, "target", kam, kpi=share, period=YEAR + 1, target=Decimal("45"))
    [kpi] = summaries.kpi_rows(draft, TODAY)[ours.pk]
    this_year, next_year = kpi.target_rows
    assert kpi.baseline_display == "30.0 %"
    assert this_year["actual"] == Decimal("41.250000") and this_year["actual_display"] == "41.3 %"
    assert this_year["target_display"] == "40.0 %" and this_year["met"] is True
    # A year after today's has no computed actual yet.
    assert next_year["actual"] is None and next_year["actual_display"] == "—" and next_year["met"] is None


def test_the_pipeline_keeps_each_opportunitys_eur_values_and_why_a_rate_is_missing(draft, users, key_account):
    factories.fact(key_account, "2026-03", "1000", "100")
    factories.rate("2026-03", "USD", "1.2")

    def opportunity(title, value, currency, probability):
        data = {"kind": "upsell", "stage": "qualified", "value": Decimal(value), "currency": currency}
        return add(draft, "opportunity", users.kam, title=title, probability=probability, **data)

    euro = opportunity("Euro", "250000", "EUR", 40)
    dollar = opportunity("Dollar", "120000", "USD", 50)
    pound = opportunity("Pound", "10000", "GBP", 90)
    result = pipeline.summarise([euro, dollar, pound])
    assert result.eur == {euro.pk: Decimal("250000"), dollar.pk: Decimal("100000"), pound.pk: None}
    assert result.weighted_eur == {euro.pk: Decimal("100000"), dollar.pk: Decimal("50000"), pound.pk: None}
    assert result.missing_rates == [(pound, "GBP")]
    assert result.missing == [(pound, "No FX rate for GBP in 2026-03: add it under FX rates.")]


def test_goal_achievement_counts_our_evaluated_goals_only():
    from types import SimpleNamespace

    from kam.plans.summaries import goal_achievement

    def goal(side, achieved):
        return SimpleNamespace(side=side, achieved=achieved)

    goals = [goal("ours", True), goal("ours", False), goal("ours", True), goal("ours", None), goal("client", False)]
    # 2 of the 3 evaluated goals of ours (the blank one and the client's are left out): 66.666667 %.
    assert goal_achievement(goals) == (2, 3, Decimal("66.666667"))
    assert goal_achievement([goal("ours", None), goal("client", True)]) == (0, 0, None)  # no value, not 0
