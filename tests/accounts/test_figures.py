"""Account and subtree figures (DEFINITIONS.md §1–§3, §10) against hand computations.

Every expected value below is a literal worked out by hand in the comments; none is computed by the code under
test."""

import datetime as dt
from decimal import Decimal

import pytest

from kam.accounts.figures import latest_month, own_figures, subtree_figures, t12m_revenue_by_account
from tests.factories import fact, make_account, rate, wallet

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def group():
    """Three levels: G (EUR) > S (USD) > SS (GBP). As-of month A = 2026-06 (the latest month in the facts);
    T12M = 2025-07 … 2026-06; P12M = 2024-07 … 2025-06.

    Rates (units per EUR), one per (currency, month) used; they differ from month to month:
      USD 2024-12 1.04 · 2025-06 1.07 · 2025-07 1.10 · 2025-12 1.05 · 2026-03 1.08 · 2026-06 1.16
      GBP 2024-09 0.84 · 2025-09 0.85 · 2026-02 0.80 · 2026-06 0.84
    Decoys that must not be used: USD 2026-01 1.00 and USD 2026-05 2.00 (no USD facts in those months).
    """
    g = make_account("Group", currency="EUR", account_number="G")
    s = make_account("Subsidiary", parent=g, currency="USD", account_number="S")
    ss = make_account("Sub-subsidiary", parent=s, currency="GBP", account_number="SS")
    for month, value in [
        ("2024-12", "1.04"),
        ("2025-06", "1.07"),
        ("2025-07", "1.10"),
        ("2025-12", "1.05"),
        ("2026-01", "1.00"),
        ("2026-03", "1.08"),
        ("2026-05", "2.00"),
        ("2026-06", "1.16"),
    ]:
        rate(month, "USD", value)
    for month, value in [("2024-09", "0.84"), ("2025-09", "0.85"), ("2026-02", "0.80"), ("2026-06", "0.84")]:
        rate(month, "GBP", value)

    # G, own rows
    fact(g, "2024-06", "999999.00", "999999.00")  # A−24: outside both windows
    fact(g, "2024-07", "1000.00", "250.00")  # P12M
    fact(g, "2025-06", "400.00", "100.00")  # P12M (last month)
    fact(g, "2025-07", "2000.00", "600.00")  # T12M (first month)
    fact(g, "2025-08", "0.0050", "0.0050")  # T12M: half a cent
    fact(g, "2026-06", "116.00", "23.20", currency="USD")  # T12M, USD row on an EUR account
    fact(g, "2026-06", "-150.00", "-45.00")  # T12M: credit note
    # S, own rows
    fact(s, "2024-12", "1040.00", "208.00", currency="USD")  # P12M
    fact(s, "2025-06", "535.00", "107.00", currency="USD")  # P12M
    fact(s, "2025-07", "1.1055", "0", currency="USD")  # T12M
    fact(s, "2025-12", "100.00", "30.00", currency="USD")  # T12M
    fact(s, "2025-12", "10.00", "1.00", currency="EUR")  # T12M, EUR row on a USD account
    fact(s, "2026-03", "100.00", "30.00", currency="USD", product_line="Pumps")  # T12M
    fact(s, "2026-03", "100.00", "30.00", currency="USD", product_line="Pumps")  # T12M, split invoice: additive
    fact(s, "2026-06", "1.1658", "0", currency="USD")  # T12M
    # SS, own rows
    fact(ss, "2024-09", "840.00", "168.00", currency="GBP")  # P12M
    fact(ss, "2025-09", "85.00", "17.00", currency="GBP")  # T12M
    fact(ss, "2026-02", "100.00", "33.33", currency="GBP")  # T12M
    fact(ss, "2026-06", "0", "0", currency="GBP")  # T12M, zero row

    wallet(g, 2026, "10000.00")  # EUR
    wallet(g, 2025, "77777.00")  # not the year of A
    wallet(s, 2026, "2320.00", currency="USD")
    wallet(ss, 2026, "84.00", currency="GBP")
    wallet(ss, 2025, "999.00", currency="GBP")  # not the year of A
    return g, s, ss


def test_as_of_month_is_the_latest_month_in_the_facts(group):
    assert latest_month() == dt.date(2026, 6, 1)
    assert own_figures(group[1]).as_of == dt.date(2026, 6, 1)


def test_group_own_figures(group):
    figures = own_figures(group[0])
    # T12M revenue = 2000.00 + 0.005 + 116.00 / 1.16 (USD 2026-06) − 150.00 = 2000 + 0.005 + 100 − 150 = 1950.005
    #   → 1950.01 (half-up; half-even would give 1950.00)
    assert figures.revenue_t12m_rounded == D("1950.01")
    # T12M GP = 600.00 + 0.005 + 23.20 / 1.16 − 45.00 = 600 + 0.005 + 20 − 45 = 575.005 → 575.01
    assert figures.gross_profit_t12m_rounded == D("575.01")
    # margin = 100 × 575.005 / 1950.005 = 29.4873602888… → 29.487360
    assert figures.gross_margin_percent == D("29.487360")
    # P12M = 1000.00 + 400.00 = 1400.00 (the 2024-06 row is A−24, outside)
    assert figures.revenue_p12m_rounded == D("1400.00")
    # YoY = 100 × (1950.005 − 1400) / 1400 = 100 × 550.005 / 1400 = 39.2860714285… → 39.286071
    assert figures.yoy_growth_percent == D("39.286071")
    # wallet = 10000.00 EUR (the 2026 estimate; 2025 is ignored); share = 100 × 1950.005 / 10000 = 19.50005
    assert figures.wallet_rounded == D("10000.00")
    assert figures.share_of_wallet_percent == D("19.500050")
    assert figures.missing_rate is None


def test_subsidiary_own_figures_each_month_at_its_own_rate(group):
    figures = own_figures(group[1])
    # T12M revenue:
    #   2025-07 USD 1.1055 / 1.10           =   1.005
    #   2025-12 USD 100 / 1.05              =  95.238095238095238095…
    #   2025-12 EUR 10                      =  10
    #   2026-03 USD (100 + 100) / 1.08      = 185.185185185185185185…
    #   2026-06 USD 1.1658 / 1.16           =   1.005
    #   sum                                 = 292.433280423280423280… → 292.43
    #   (rounding each row first would give 1.01 + 95.24 + 10 + 92.59 + 92.59 + 1.01 = 292.44)
    assert figures.revenue_t12m_rounded == D("292.43")
    # T12M GP = 30 / 1.05 + 1 + 60 / 1.08 = 28.571428571428… + 1 + 55.555555555555… = 85.126984126984… → 85.13
    assert figures.gross_profit_t12m_rounded == D("85.13")
    # margin = 100 × 85.126984126984… / 292.433280423280… = 29.1098824332… → 29.109882
    assert figures.gross_margin_percent == D("29.109882")
    # P12M = 1040 / 1.04 (2024-12) + 535 / 1.07 (2025-06) = 1000 + 500 = 1500.00
    assert figures.revenue_p12m_rounded == D("1500.00")
    # YoY = 100 × (292.433280423280… − 1500) / 1500 = −80.5044479717… → −80.504448
    assert figures.yoy_growth_percent == D("-80.504448")
    # wallet = 2320 USD / 1.16 (rate of A = 2026-06, not of January or May) = 2000.00
    assert figures.wallet_rounded == D("2000.00")
    # share = 100 × 292.433280423280… / 2000 = 14.6216640211… → 14.621664
    assert figures.share_of_wallet_percent == D("14.621664")


def test_sub_subsidiary_own_figures_share_of_wallet_is_not_capped(group):
    figures = own_figures(group[2])
    # T12M revenue = 85 / 0.85 (2025-09) + 100 / 0.80 (2026-02) + 0 (2026-06) = 100 + 125 = 225.00
    assert figures.revenue_t12m_rounded == D("225.00")
    # T12M GP = 17 / 0.85 + 33.33 / 0.80 = 20 + 41.6625 = 61.6625 → 61.66
    assert figures.gross_profit_t12m_rounded == D("61.66")
    # margin = 100 × 61.6625 / 225 = 27.405555… → 27.405556
    assert figures.gross_margin_percent == D("27.405556")
    # P12M = 840 / 0.84 (2024-09) = 1000.00; YoY = 100 × (225 − 1000) / 1000 = −77.5
    assert figures.revenue_p12m_rounded == D("1000.00")
    assert figures.yoy_growth_percent == D("-77.500000")
    # wallet = 84 GBP / 0.84 = 100.00 (the 2025 estimate is ignored); share = 100 × 225 / 100 = 225 % (not capped)
    assert figures.wallet_rounded == D("100.00")
    assert figures.share_of_wallet_percent == D("225.000000")


def test_subsidiary_subtree_figures(group):
    figures = subtree_figures(group[1])
    # S + SS: T12M = 292.433280423280… + 225 = 517.433280423280… → 517.43
    assert figures.revenue_t12m_rounded == D("517.43")
    # GP = 85.126984126984… + 61.6625 = 146.789484126984… → 146.79
    assert figures.gross_profit_t12m_rounded == D("146.79")
    # margin from the sums (not an average of 29.109882 and 27.405556):
    #   100 × 146.789484126984… / 517.433280423280… = 28.3687751987… → 28.368775
    assert figures.gross_margin_percent == D("28.368775")
    # P12M = 1500 + 1000 = 2500.00; YoY = 100 × (517.433280423280… − 2500) / 2500 = −79.3026687830… → −79.302669
    assert figures.revenue_p12m_rounded == D("2500.00")
    assert figures.yoy_growth_percent == D("-79.302669")
    # wallet = 2000 + 100 = 2100.00; share = 100 × 517.433280423280… / 2100 = 24.6396800201… → 24.639680
    assert figures.wallet_rounded == D("2100.00")
    assert figures.share_of_wallet_percent == D("24.639680")


def test_group_subtree_figures(group):
    figures = subtree_figures(group[0])
    # T12M = 1950.005 + 292.433280423280… + 225 = 2467.438280423280… → 2467.44
    assert figures.revenue_t12m_rounded == D("2467.44")
    # GP = 575.005 + 85.126984126984… + 61.6625 = 721.794484126984… → 721.79
    assert figures.gross_profit_t12m_rounded == D("721.79")
    # margin = 100 × 721.794484126984… / 2467.438280423280… = 29.2527877942… → 29.252788
    assert figures.gross_margin_percent == D("29.252788")
    # P12M = 1400 + 1500 + 1000 = 3900.00; YoY = 100 × (2467.438280423280… − 3900) / 3900 = −36.7323517840… → −36.732352
    assert figures.revenue_p12m_rounded == D("3900.00")
    assert figures.yoy_growth_percent == D("-36.732352")
    # wallet = 10000 + 2000 + 100 = 12100.00; share = 100 × 2467.438280423280… / 12100 = 20.3920519043… → 20.392052
    assert figures.wallet_rounded == D("12100.00")
    assert figures.share_of_wallet_percent == D("20.392052")


def test_user_set_as_of_month(group):
    figures = own_figures(group[1], as_of=dt.date(2025, 12, 1))
    # A = 2025-12: T12M = 2025-01 … 2025-12 = 535 / 1.07 (2025-06) + 1.1055 / 1.10 (2025-07) + 100 / 1.05 + 10
    #   = 500 + 1.005 + 95.238095238095… + 10 = 606.243095238095… → 606.24
    assert figures.revenue_t12m_rounded == D("606.24")
    # P12M = 2024-01 … 2024-12 = 1040 / 1.04 = 1000.00
    assert figures.revenue_p12m_rounded == D("1000.00")
    # the 2025 wallet would need USD at 2025-12: S has none for 2025 → null, share null
    assert figures.wallet is None and figures.share_of_wallet_percent is None


def test_t12m_revenue_by_account_matches_own_figures(group):
    g, s, ss = group
    # own T12M revenue, unrounded: G 1950.005, S 292.433280423280…, SS 225
    totals = t12m_revenue_by_account([g.pk, s.pk, ss.pk])
    assert totals[g.pk] == D("1950.005")
    assert totals[s.pk].quantize(D("0.000001")) == D("292.433280")
    assert totals[ss.pk] == D("225")


# ---------------------------------------------------------------------------------------- missing rates


def test_missing_rate_gives_no_figure_and_no_fallback():
    account = make_account(account_number="MR")
    rate("2026-03", "USD", "1.08")
    rate("2026-05", "USD", "1.10")
    fact(account, "2026-03", "108", "10", currency="USD")
    fact(account, "2026-04", "100", "10", currency="USD")  # no USD rate for April
    fact(account, "2026-05", "110", "10", currency="USD")

    for figures in (own_figures(account), subtree_figures(account)):
        assert figures.missing_rate is not None
        assert (figures.missing_rate.currency, figures.missing_rate.month) == ("USD", dt.date(2026, 4, 1))
        assert "USD in 2026-04" in str(figures.missing_rate)
        assert figures.revenue_t12m is None and figures.revenue_t12m_rounded is None
        assert figures.gross_profit_t12m is None and figures.revenue_p12m is None
        assert figures.gross_margin_percent is None and figures.yoy_growth_percent is None
        assert figures.share_of_wallet_percent is None
    assert t12m_revenue_by_account([account.pk]) == {account.pk: None}


def test_missing_rate_for_the_wallet_at_the_as_of_month():
    account = make_account(account_number="MW")
    fact(account, "2026-06", "100", "10")
    rate("2026-05", "GBP", "0.85")  # a GBP rate exists, but not for A = 2026-06
    wallet(account, 2026, "1000", currency="GBP")

    figures = own_figures(account)

    assert (figures.missing_rate.currency, figures.missing_rate.month) == ("GBP", dt.date(2026, 6, 1))
    assert figures.wallet is None and figures.share_of_wallet_percent is None


def test_a_missing_rate_in_a_member_breaks_the_subtree_but_not_the_other_members():
    top = make_account(account_number="TOP")
    child = make_account(parent=top, account_number="CHILD")
    fact(top, "2026-06", "100", "10")
    fact(child, "2026-06", "100", "10", currency="CHF")  # no CHF rate at all

    assert own_figures(top).revenue_t12m_rounded == D("100.00")
    assert own_figures(child).missing_rate is not None
    assert subtree_figures(top).missing_rate is not None and subtree_figures(top).revenue_t12m is None


# --------------------------------------------------------------------------- credit notes, zero rows, nulls


def test_as_of_month_counts_a_zero_row():
    buyer = make_account(account_number="B")
    idle = make_account(account_number="I")
    fact(buyer, "2025-04", "500", "100")  # A−11 when A = 2026-03
    fact(buyer, "2025-03", "300", "60")  # A−12: P12M
    fact(idle, "2026-03", "0", "0")  # only a zero row, but it sets A

    figures = own_figures(buyer)

    assert figures.as_of == dt.date(2026, 3, 1)
    # T12M = 2025-04 … 2026-03 = 500.00; P12M = 2024-04 … 2025-03 = 300.00
    assert figures.revenue_t12m_rounded == D("500.00") and figures.revenue_p12m_rounded == D("300.00")
    # YoY = 100 × (500 − 300) / 300 = 66.6666… → 66.666667
    assert figures.yoy_growth_percent == D("66.666667")
    # the idle account: T12M = 0 → margin null; no P12M → YoY null; no wallet → share null
    idle_figures = own_figures(idle)
    assert idle_figures.revenue_t12m_rounded == D("0.00")
    assert idle_figures.gross_margin_percent is None and idle_figures.yoy_growth_percent is None
    assert idle_figures.wallet is None and idle_figures.share_of_wallet_percent is None


def test_credit_notes_reduce_revenue_and_negative_gross_profit_is_kept():
    account = make_account(account_number="CN")
    fact(account, "2026-01", "1000", "100")
    fact(account, "2026-02", "-1200", "-300")  # credit note larger than the sales

    figures = own_figures(account)

    # T12M = 1000 − 1200 = −200.00; GP = 100 − 300 = −200.00; revenue ≤ 0 → margin null
    assert figures.revenue_t12m_rounded == D("-200.00")
    assert figures.gross_profit_t12m_rounded == D("-200.00")
    assert figures.gross_margin_percent is None


def test_negative_gross_profit_gives_a_negative_margin():
    account = make_account(account_number="NG")
    fact(account, "2026-01", "400", "-50")

    # margin = 100 × −50 / 400 = −12.5
    assert own_figures(account).gross_margin_percent == D("-12.500000")


def test_yoy_is_null_when_p12m_rounds_to_zero_or_is_negative():
    tiny = make_account(account_number="TINY")
    negative = make_account(account_number="NEG")
    fact(tiny, "2026-06", "100", "10")
    fact(tiny, "2025-06", "0.0040", "0")  # P12M = 0.004 → 0.00 in cents → ≤ 0
    fact(negative, "2026-06", "100", "10")
    fact(negative, "2025-01", "-10", "0")  # P12M = −10

    assert own_figures(tiny).revenue_p12m == D("0.004")
    assert own_figures(tiny).yoy_growth_percent is None
    assert own_figures(negative).yoy_growth_percent is None


def test_margin_is_null_when_revenue_rounds_to_zero():
    account = make_account(account_number="Z")
    fact(account, "2026-06", "0.0049", "0.0049")  # 0.0049 → 0.00

    assert own_figures(account).gross_margin_percent is None


def test_share_of_wallet_is_null_for_a_zero_or_negative_wallet():
    zero = make_account(account_number="W0")
    negative = make_account(account_number="WN")
    fact(zero, "2026-06", "100", "10")
    fact(negative, "2026-06", "100", "10")
    wallet(zero, 2026, "0")
    wallet(negative, 2026, "-5")

    assert own_figures(zero).wallet_rounded == D("0.00")
    assert own_figures(zero).share_of_wallet_percent is None
    assert own_figures(negative).share_of_wallet_percent is None


def test_subtree_wallet_sums_members_that_have_one_and_is_null_when_none_has():
    top = make_account(account_number="WT")
    child = make_account(parent=top, account_number="WC")
    other = make_account(account_number="WO")
    other_child = make_account(parent=other, account_number="WOC")
    fact(top, "2026-06", "50", "5")
    fact(child, "2026-06", "50", "5")
    fact(other, "2026-06", "50", "5")
    fact(other_child, "2026-06", "50", "5")
    wallet(child, 2026, "400")  # only the child has one

    figures = subtree_figures(top)

    # wallet = 400.00 (the top has none); share = 100 × (50 + 50) / 400 = 25 %
    assert figures.wallet_rounded == D("400.00") and figures.share_of_wallet_percent == D("25.000000")
    assert own_figures(top).wallet is None
    assert subtree_figures(other).wallet is None and subtree_figures(other).share_of_wallet_percent is None


def test_subtree_does_not_take_accounts_whose_path_merely_starts_with_the_same_digits():
    # /1/ must not match /10/ or /11/: the subtree prefix ends with a slash.
    accounts = [make_account(account_number=f"P{i}") for i in range(12)]
    for account in accounts:
        fact(account, "2026-06", "1", "0")

    for account in accounts:
        assert subtree_figures(account).revenue_t12m_rounded == D("1.00")


def test_no_facts_at_all_gives_no_as_of_month():
    account = make_account(account_number="EMPTY")

    figures = own_figures(account)

    assert figures.as_of is None and figures.revenue_t12m is None and figures.missing_rate is None
