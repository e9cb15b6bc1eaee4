"""Computed KPIs equal hand computations from the fixture's facts; entered ones are stored per period."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kam.plans import services
from tests import factories
from tests.plans.conftest import add


@pytest.fixture
def facts(key_account, portfolio):
    """The group (own account and its subsidiary) and, to be left out, another account."""
    own, child = key_account, portfolio.own_child
    factories.fact(own, "2024-06", 800, 200)  # prior 12 months of Dec 2025
    factories.fact(own, "2025-01", 1000, 300)
    factories.rate("2025-06", "USD", "1.25")
    factories.fact(child, "2025-06", 250, 50, currency="USD")  # 200 EUR revenue, 40 EUR gross profit
    factories.fact(own, "2025-12", 500, 100)
    factories.fact(own, "2026-03", 300, 60)  # the latest month of all facts
    factories.fact(portfolio.other, "2025-05", 9999, 999)  # another account: never counted
    factories.wallet(own, 2025, 4700)
    factories.wallet(child, 2025, 400)


def kpi(draft, users, metric):
    objective = add(draft, "objective", users.kam, title="Grow")
    return add(draft, "kpi", users.kam, objective=objective, metric=metric, source="computed", computed_metric=metric)


@pytest.mark.usefixtures("facts")
@pytest.mark.parametrize(
    ("metric", "year", "expected"),
    [
        # December 2025: T12M = Jan 2025..Dec 2025 = 1000 + 200 + 500 (EUR).
        ("revenue_t12m", 2025, Decimal("1700.00")),
        ("gross_profit_t12m", 2025, Decimal("440.00")),  # 300 + 40 + 100
        ("growth_yoy", 2025, Decimal("112.500000")),  # 100 × (1700 − 800) / 800
        ("share_of_wallet", 2025, Decimal("33.333333")),  # 100 × 1700 / (4700 + 400), six places, half up
        # 2026: the latest month with facts, March 2026: T12M = Apr 2025..Mar 2026 = 200 + 500 + 300.
        ("revenue_t12m", 2026, Decimal("1000.00")),
        ("gross_profit_t12m", 2026, Decimal("200.00")),  # 40 + 100 + 60
        ("growth_yoy", 2026, Decimal("-44.444444")),  # prior: Apr 2024..Mar 2025 = 800 + 1000
        ("share_of_wallet", 2026, None),  # no wallet estimated for 2026
        ("revenue_t12m", 2023, None),  # no facts yet
    ],
)
def test_computed_kpis_equal_the_hand_computation(draft, users, metric, year, expected):
    value = services.computed_kpi_value(kpi(draft, users, metric), year)
    assert value == expected and (value is None or str(value) == str(expected))
    assert services.kpi_actual(kpi(draft, users, metric), year) == expected


@pytest.mark.usefixtures("facts")
def test_the_value_is_the_account_pages_figure(draft, users, key_account):
    from kam.accounts import figures

    page = figures.subtree_figures(key_account, as_of=factories.month("2025-12"))
    assert services.computed_kpi_value(kpi(draft, users, "revenue_t12m"), 2025) == page.revenue_t12m_rounded


def test_a_missing_rate_gives_no_value(draft, users, key_account):
    factories.fact(key_account, "2025-03", 100, 10, currency="GBP")
    assert services.computed_kpi_value(kpi(draft, users, "revenue_t12m"), 2025) is None


def test_entered_kpis_keep_their_actual_per_period(draft, users):
    objective = add(draft, "objective", users.kam, title="Happier client")
    nps = add(draft, "kpi", users.kam, objective=objective, metric="NPS", baseline=Decimal(20))
    add(draft, "target", users.kam, kpi=nps, period=2026, target=Decimal(30), actual=Decimal("27.5"))
    add(draft, "target", users.kam, kpi=nps, period=2027, target=Decimal(40))
    assert services.kpi_actual(nps, 2026) == Decimal("27.5")
    assert services.kpi_actual(nps, 2027) is None and services.kpi_actual(nps, 2028) is None
    with pytest.raises(ValueError, match="entered"):
        services.computed_kpi_value(nps, 2026)
    with pytest.raises(ValidationError):
        add(draft, "target", users.kam, kpi=nps, period=2026, target=Decimal(35))
