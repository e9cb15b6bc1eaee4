"""Selection scores, ranks, contributions and segments (DEFINITIONS §3, §7, §9, §10) against a hand computation.

The reference below is written straight from the definitions with exact fractions, over the same literal data the
database receives; it shares no code with kam.selection.engine."""

import random
from fractions import Fraction as F

import pytest

from kam.selection import services
from kam.selection.choices import RunStatus, Segment
from kam.selection.config import default_criteria
from kam.selection.models import ScoringModel
from tests.factories import fact, make_account, make_user, rate, wallet

pytestmark = pytest.mark.django_db

AS_OF = "2026-06"
T12M = [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]
P12M = [f"2024-{m:02d}" for m in range(7, 13)] + [f"2025-{m:02d}" for m in range(1, 7)]
RATES = {("USD", "2025-09"): "1.10", ("USD", "2026-03"): "1.08", ("USD", "2026-06"): "1.16", ("USD", "2024-11"): "1.04"}
WEIGHTS = {
    "revenue_t12m": F(3, 10),
    "gross_margin": F(2, 10),
    "growth_yoy": F(2, 10),
    "wallet": F(15, 100),
    "wallet_headroom": F(15, 100),
}


def build_dataset():
    """30 top-level accounts (some with subsidiaries), literal facts, wallets and rates, plus the edge cases:
    no facts at all, a credit note that makes T12M negative, no wallet, no P12M revenue, and two accounts with
    identical figures whose numbers sort "C-20" before "C-3" (code points)."""
    rng = random.Random(20261128)
    accounts = []  # (number, parent number or None, [(month, revenue, gp, currency)], wallet or None)
    for i in range(1, 27):
        rows = []
        for month in rng.sample(T12M, 3) + rng.sample(P12M, 2):
            revenue = rng.randrange(1000, 90000) * 10 + rng.choice([0, 5])
            gp = revenue * rng.randrange(5, 45) // 100
            rows.append((month, f"{revenue / 100:.2f}", f"{gp / 100:.2f}", "EUR"))
        wallet_amount = None if i % 9 == 0 else f"{rng.randrange(5000, 40000) * 100}.00"
        accounts.append((f"A-{i:02d}", None, rows, wallet_amount))
    # Subsidiaries in USD under three of them.
    accounts.append(
        ("A-01-US", "A-01", [("2025-09", "1100.00", "330.00", "USD"), ("2024-11", "520.00", "52.00", "USD")], "2320.00")
    )
    accounts.append(("A-02-US", "A-02", [("2026-03", "540.00", "54.00", "USD")], None))
    accounts.append(("A-05-US", "A-05", [("2026-06", "-116.00", "-11.60", "USD")], None))
    accounts.append(("A-05-US-1", "A-05-US", [("2026-06", "232.00", "23.20", "USD")], None))
    # Edge cases.
    accounts.append(("B-none", None, [], "100000.00"))
    accounts.append(
        (
            "B-credit",
            None,
            [
                ("2026-01", "500.00", "100.00", "EUR"),
                ("2026-02", "-800.00", "-150.00", "EUR"),
                ("2025-01", "300.00", "30.00", "EUR"),
            ],
            "50000.00",
        )
    )
    accounts.append(("B-newcomer", None, [("2026-04", "12000.00", "3000.00", "EUR")], "90000.00"))
    same = [("2026-05", "40000.00", "8000.00", "EUR"), ("2025-05", "30000.00", "6000.00", "EUR")]
    accounts.append(("C-3", None, list(same), "200000.00"))
    accounts.append(("C-20", None, list(same), "200000.00"))
    return accounts


def load(dataset):
    for (currency, month), value in RATES.items():
        rate(month, currency, value)
    by_number = {}
    for number, parent, rows, wallet_amount in dataset:
        account = make_account(f"Name {number}", parent=by_number.get(parent), account_number=number)
        by_number[number] = account
        for month, revenue, gp, currency in rows:
            fact(account, month, revenue, gp, currency=currency)
        if wallet_amount is not None:
            wallet(account, 2026, wallet_amount)
    # An account's facts outside both windows and a wallet of another year must not count.
    fact(by_number["A-03"], "2024-06", "999999.00", "999999.00")
    wallet(by_number["A-03"], 2025, "1.00")
    return by_number


def reference(dataset, weights=WEIGHTS):
    parents = {number: parent for number, parent, _, _ in dataset}

    def root(number):
        while parents[number] is not None:
            number = parents[number]
        return number

    figures = {n: {"rev": F(0), "gp": F(0), "prev": F(0), "wallet": None} for n, p, _, _ in dataset if p is None}
    for number, _, rows, wallet_amount in dataset:
        top = figures[root(number)]
        for month, revenue, gp, currency in rows:
            r = F(RATES[(currency, month)]) if currency != "EUR" else F(1)
            if month in T12M:
                top["rev"] += F(revenue) / r
                top["gp"] += F(gp) / r
            elif month in P12M:
                top["prev"] += F(revenue) / r
        if wallet_amount is not None:
            top["wallet"] = (top["wallet"] or F(0)) + F(wallet_amount)
    for f in figures.values():
        cents = lambda x: round(x, 2)  # noqa: E731 — Fraction rounds half to even, fine away from .005 ties
        f["margin"] = 100 * f["gp"] / f["rev"] if cents(f["rev"]) > 0 else None
        f["yoy"] = 100 * (f["rev"] - f["prev"]) / f["prev"] if cents(f["prev"]) > 0 else None
        sow = 100 * f["rev"] / f["wallet"] if f["wallet"] is not None and f["wallet"] > 0 else None
        f["headroom"] = None if sow is None else max(F(0), 100 - sow)
        f["pop"] = (
            None
            if f["wallet"] is None or f["margin"] is None
            else max(f["wallet"] - f["rev"], F(0)) * f["margin"] / 100
        )
    values = {
        "revenue_t12m": {n: f["rev"] for n, f in figures.items()},
        "gross_margin": {n: f["margin"] for n, f in figures.items()},
        "growth_yoy": {n: f["yoy"] for n, f in figures.items()},
        "wallet": {n: f["wallet"] for n, f in figures.items()},
        "wallet_headroom": {n: f["headroom"] for n, f in figures.items()},
    }
    total = sum(weights.values())
    scores, contributions = {n: F(0) for n in figures}, {n: {} for n in figures}
    for key, weight in weights.items():
        present = [v for v in values[key].values() if v is not None]
        low, high = min(present), max(present)
        for n, v in values[key].items():
            norm = F(0) if v is None or high == low else (v - low) / (high - low)
            contributions[n][key] = 100 * weight / total * norm
            scores[n] += 100 * weight / total * norm
    order = sorted(figures, key=lambda n: (-scores[n], n))
    classified = [n for n, f in figures.items() if f["margin"] is not None and f["wallet"] is not None]

    def median(xs):
        xs = sorted(xs)
        k = len(xs)
        return xs[k // 2] if k % 2 else (xs[k // 2 - 1] + xs[k // 2]) / 2

    pop_t = median([figures[n]["pop"] for n in classified])
    wallet_t = median([figures[n]["wallet"] for n in classified])
    segments = {}
    for n, f in figures.items():
        if n not in classified:
            segments[n] = Segment.UNCLASSIFIED
        elif f["pop"] >= pop_t:
            segments[n] = Segment.STRATEGIC if f["wallet"] >= wallet_t else Segment.DEVELOP
        else:
            segments[n] = Segment.MAINTAIN if f["wallet"] >= wallet_t else Segment.SERVE_EFFICIENTLY
    return {
        "figures": figures,
        "scores": scores,
        "contributions": contributions,
        "ranks": {n: i + 1 for i, n in enumerate(order)},
        "segments": segments,
        "pop_t": pop_t,
        "wallet_t": wallet_t,
    }


def run_model(model, user):
    run = services.start_run(model, user)
    return services.execute_run(run.pk)


@pytest.fixture
def lead(db):
    return make_user("programme_lead", "lead-selection@example.com")


def close(actual, expected, tolerance="0.00001"):
    return expected is None and actual is None or abs(F(actual) - expected) <= F(tolerance)


def test_default_model_equals_the_hand_computation(lead):
    dataset = build_dataset()
    load(dataset)
    expected = reference(dataset)
    model = services.create_model(name="Default", criteria=default_criteria())
    run = run_model(model, lead)
    assert run.status == RunStatus.DONE, run.message
    results = {r.account.account_number: r for r in run.results.select_related("account")}
    assert set(results) == set(expected["figures"])  # top-level accounts only
    assert run.population == 31
    for number, result in results.items():
        f = expected["figures"][number]
        assert close(result.revenue_t12m, f["rev"], "0.01"), number
        assert close(result.gross_margin, f["margin"]), number
        assert close(result.growth_yoy, f["yoy"]), number
        assert close(result.wallet, f["wallet"], "0.01"), number
        assert close(result.potential_operating_profit, f["pop"], "0.01"), number
        assert close(result.score, expected["scores"][number]), number
        for key, points in expected["contributions"][number].items():
            assert close(result.contributions[key]["c"], points), (number, key)
        assert result.rank == expected["ranks"][number], number
        assert result.segment == expected["segments"][number], number
    assert results["C-20"].rank + 1 == results["C-3"].rank  # the tie: code-point order
    assert results["B-none"].segment == Segment.UNCLASSIFIED
    assert results["A-09"].segment == Segment.UNCLASSIFIED  # no wallet
    assert close(run.pop_threshold, expected["pop_t"], "0.01")
    assert close(run.wallet_threshold, expected["wallet_t"], "0.01")
    assert sum(run.segment_counts.values()) == 31


@pytest.fixture
def four(db):
    """Four top-level accounts with T12M revenue 100, 200, 200, 400 (EUR, 2026-06) and a fifth with none."""
    accounts = {}
    for number, revenue in [("R-1", "100"), ("R-2", "200"), ("R-3", "200"), ("R-4", "400")]:
        accounts[number] = make_account(account_number=number)
        fact(accounts[number], "2026-06", revenue, "10")
    accounts["R-5"] = make_account(account_number="R-5")
    return accounts


def normalised_by_number(run, key="revenue_t12m"):
    return {r.account.account_number: F(r.contributions[key]["n"]) for r in run.results.select_related("account")}


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        # min–max: (x − 100) / 300; no facts: T12M revenue 0, below the minimum → (0 − 0) / 400 with min 0 …
        ({"normalisation": "min_max"}, {"R-1": F(1, 4), "R-2": F(1, 2), "R-3": F(1, 2), "R-4": F(1), "R-5": F(0)}),
        # lower is better: (max − x) / (max − min)
        (
            {"normalisation": "min_max", "direction": "lower"},
            {"R-1": F(3, 4), "R-2": F(1, 2), "R-3": F(1, 2), "R-4": F(0), "R-5": F(1)},
        ),
        # percentile rank (rank − 1) / (N − 1) over 5 values 0, 100, 200, 200, 400; ties share the lower rank
        ({"normalisation": "percentile"}, {"R-5": F(0), "R-1": F(1, 4), "R-2": F(1, 2), "R-3": F(1, 2), "R-4": F(1)}),
        (
            {"normalisation": "percentile", "direction": "lower"},
            {"R-4": F(0), "R-2": F(1, 4), "R-3": F(1, 4), "R-1": F(3, 4), "R-5": F(1)},
        ),
        # bands 150 and 300: thresholds reached / 2
        (
            {"normalisation": "bands", "bands": "150, 300"},
            {"R-5": F(0), "R-1": F(0), "R-2": F(1, 2), "R-3": F(1, 2), "R-4": F(1)},
        ),
        (
            {"normalisation": "bands", "bands": "150, 300", "direction": "lower"},
            {"R-5": F(1), "R-1": F(1), "R-2": F(1, 2), "R-3": F(1, 2), "R-4": F(0)},
        ),
    ],
)
def test_normalisations_by_hand(four, lead, criterion, expected):
    model = services.create_model(name="One", criteria=[{"criterion": "revenue_t12m", "weight": "1", **criterion}])
    run = run_model(model, lead)
    assert run.status == RunStatus.DONE, run.message
    assert normalised_by_number(run) == pytest.approx(expected, abs=1e-9)
    scores = {r.account.account_number: r.score for r in run.results.select_related("account")}
    assert {k: F(v) for k, v in scores.items()} == pytest.approx({k: 100 * v for k, v in expected.items()}, abs=1e-5)


def test_a_changed_weight_changes_only_the_new_run(lead):
    dataset = build_dataset()
    load(dataset)
    model = services.create_model(name="Default", criteria=default_criteria())
    first = run_model(model, lead)
    before = {r.account_id: (r.rank, r.score, r.segment) for r in first.results.all()}
    criteria = [dict(c) for c in model.criteria]
    criteria[0]["weight"] = "0.60"  # revenue counts double
    services.update_model(model, {"criteria": criteria})
    second = run_model(model, lead)
    assert second.model_version == first.model_version + 1
    assert {r.account_id: (r.rank, r.score, r.segment) for r in first.results.all()} == before  # untouched
    after = {r.account_id: (r.rank, r.score, r.segment) for r in second.results.all()}
    assert {k: v[2] for k, v in after.items()} == {k: v[2] for k, v in before.items()}  # segments do not use weights
    assert after != before
    expected = reference(dataset, {**WEIGHTS, "revenue_t12m": F(6, 10)})
    numbers = dict(second.results.values_list("account_id", "account__account_number"))
    for account_id, (rank, score, _segment) in after.items():
        assert rank == expected["ranks"][numbers[account_id]]
        assert close(score, expected["scores"][numbers[account_id]])


def test_a_threshold_changes_segments_only(lead):
    dataset = build_dataset()
    load(dataset)
    model = services.create_model(name="Default", criteria=default_criteria())
    first = run_model(model, lead)
    services.update_model(model, {"wallet_threshold": 0})  # every classified account has a high wallet
    second = run_model(model, lead)
    assert second.wallet_threshold == 0
    first_rows = {r.account_id: r for r in first.results.all()}
    for row in second.results.all():
        old = first_rows[row.account_id]
        assert (row.rank, row.score) == (old.rank, old.score)
        expected = {
            Segment.DEVELOP: Segment.STRATEGIC,
            Segment.SERVE_EFFICIENTLY: Segment.MAINTAIN,
        }.get(old.segment, old.segment)
        assert row.segment == expected


def test_quadrant_names_are_the_models(lead, four):
    model = services.create_model(
        name="Named", criteria=default_criteria(), quadrant_names={"strategic": "Grow together"}
    )
    run = run_model(model, lead)
    assert run.quadrant_name(Segment.STRATEGIC) == "Grow together"
    assert run.quadrant_name(Segment.DEVELOP) == "Develop"


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ([], "Add at least one criterion."),
        ([{"criterion": "revenue_t12m", "weight": "0"}], "The weights add up to 0"),
        ([{"criterion": "revenue_t12m", "weight": "-1"}], "the weight must be 0 or more"),
        ([{"criterion": "revenue_t12m", "weight": "abc"}], "“abc” is not a number"),
        ([{"criterion": "revenue_t12m", "weight": "NaN"}], "is not a finite number"),
        ([{"criterion": "made_up", "weight": "1"}], "“made_up” is not a known criterion"),
        ([{"criterion": "wallet", "weight": "1"}, {"criterion": "wallet", "weight": "1"}], "appears twice"),
        (
            [{"criterion": "wallet", "weight": "1", "normalisation": "bands", "bands": "10, 5"}],
            "band thresholds must rise; 10 is followed by 5",
        ),
        ([{"criterion": "wallet", "weight": "1", "normalisation": "bands"}], "needs at least one threshold"),
        ([{"criterion": "wallet", "weight": "1", "normalisation": "bands", "bands": "1, x"}], "“ x” is not a number"),
    ],
)
def test_bad_configuration_is_refused_with_a_message(db, criteria, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.create_model(name="Bad", criteria=criteria)
    assert any(message in m for m in caught.value.message_dict["criteria"]), caught.value.message_dict
    assert not ScoringModel.objects.exists()


def test_criterion_without_data_warns_and_scores_zero(four, lead):
    model = services.create_model(
        name="Ratings",
        criteria=[{"criterion": "revenue_t12m", "weight": "1"}, {"criterion": "market_leader", "weight": "1"}],
    )
    run = run_model(model, lead)
    assert run.status == RunStatus.DONE
    assert any("Rated: market leader has no value for any account" in w for w in run.warnings)
    assert all(r.contributions["market_leader"]["c"] == 0 for r in run.results.all())
    assert max(r.score for r in run.results.all()) == 50  # the revenue half only


def test_accounts_without_revenue_do_not_divide_by_zero(db, lead):
    for number in ("Z-1", "Z-2"):
        account = make_account(account_number=number)
        fact(account, "2026-06", "0", "0")
        wallet(account, 2026, "0")
    model = services.create_model(name="Zero", criteria=default_criteria())
    run = run_model(model, lead)
    assert run.status == RunStatus.DONE, run.message
    for result in run.results.all():
        assert result.gross_margin is None and result.growth_yoy is None and result.share_of_wallet is None
        assert result.score == 0
    assert [r.account.account_number for r in run.results.order_by("rank")] == ["Z-1", "Z-2"]


def test_missing_rate_fails_the_run_with_its_name(db, lead):
    account = make_account(account_number="USD-1")
    fact(account, "2026-06", "100", "10", currency="USD")
    model = services.create_model(name="Rates", criteria=default_criteria())
    run = run_model(model, lead)
    assert run.status == RunStatus.FAILED
    assert run.message == "No FX rate for USD in 2026-06: add it under FX rates."
    assert not run.results.exists()


def test_no_facts_fails_the_run_with_what_to_do(db, lead):
    make_account(account_number="E-1")
    run = run_model(services.create_model(name="Empty", criteria=default_criteria()), lead)
    assert run.status == RunStatus.FAILED
    assert "import facts" in run.message


def test_breadth_and_ratings(db, lead):
    top = make_account(account_number="G-1", country="DE")
    make_account(account_number="G-1-FR", parent=top, country="FR")
    child = make_account(account_number="G-1-US", parent=top, country="US")
    make_account(account_number="G-1-US-2", parent=child, country="US")
    fact(top, "2026-06", "100", "10", product_line="Pumps")
    fact(child, "2026-06", "100", "10", product_line="Valves")
    fact(child, "2026-05", "50", "10", product_line="")
    fact(child, "2026-05", "-50", "-10", product_line="Seals")  # nets to nothing: not bought
    services.set_rating(top, "market_leader", 4, lead, note="Leads its market")
    services.set_rating(child, "market_leader", 1, lead)  # a subsidiary's own rating does not count
    model = services.create_model(
        name="Breadth",
        criteria=[
            {"criterion": c, "weight": "1"} for c in ("product_lines", "countries", "subsidiaries", "market_leader")
        ],
    )
    run = run_model(model, lead)
    row = run.results.get(account=top)
    assert (row.product_lines, row.countries, row.subsidiaries, row.market_leader) == (3, 3, 3, 4)


@pytest.mark.parametrize("weight", ["1e999999999", "1e-999999999", "1e16"])
def test_absurd_numbers_are_refused_before_anything_formats_them(db, weight):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.create_model(name="Huge", criteria=[{"criterion": "wallet", "weight": weight}])
    assert "out of range" in " ".join(caught.value.message_dict["criteria"])


def test_a_run_deleted_before_the_worker_took_it_is_skipped(db, lead):
    run = services.start_run(services.create_model(name="Gone", criteria=default_criteria()), lead)
    run_id = run.pk
    run.delete()
    assert services.execute_run(run_id) is None


def test_a_running_run_cannot_be_deleted(db, lead):
    from django.core.exceptions import ValidationError

    from kam.selection.models import SelectionRun

    run = services.start_run(services.create_model(name="Busy", criteria=default_criteria()), lead)
    SelectionRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    with pytest.raises(ValidationError):
        services.delete_run(run)
    SelectionRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)
    services.delete_run(run)  # queued: it may go (the worker skips it)
    assert not SelectionRun.objects.filter(pk=run.pk).exists()
