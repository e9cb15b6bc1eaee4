"""`python -m bench.plan_export`: how long exporting a strategic account plan takes (kam.plans.export.render).

It builds a realistic plan in a throw-away SQLite database (a group with three subsidiaries and six business units,
two years of monthly facts, ten offerings in the whitespace matrix, six objectives with twelve KPIs, fifteen actions,
twelve risks, fifteen opportunities in three currencies, six TCO lines, every text section written), then renders the
PDF and the DOCX RUNS times each after a warm-up and prints the median and p95 in milliseconds, with the split between
building the document (queries and figures) and typesetting it. The target is a plan PDF under 300 ms.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

RUNS = 20
WARM_UP = 2
TARGET_PDF_MS = 300

MARKDOWN = """The client is a **European logistics group** with {n} subsidiaries and a turnover of about EUR 2.4 bn.

- Strategy: consolidate suppliers and automate warehouses by 2028.
- Procurement runs a yearly tender for freight; contract logistics are negotiated per country.
- The new COO sponsors the programme and reports to the board each quarter.

Our position is strong in *Western Europe* and weak in the Nordics, where a local competitor holds most of the
business. The client values reliability over price, but price pressure is rising.

1. Defend the core freight contract.
2. Grow contract logistics in two countries.
3. Open the Nordics with a pilot.
"""


def setup_django(directory: Path) -> None:
    # A database and var directory of its own: the bench never touches the developer's data.
    os.environ["KAM_DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ["KAM_VAR_DIR"] = str(directory)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings_test")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def build_plan():
    """The plan's latest version and its key account manager."""
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from kam.accounts import services as accounts
    from kam.accounts.choices import TeamRole
    from kam.accounts.models import FinancialFact, FxRate, WalletEstimate
    from kam.core.roles import Role
    from kam.plans import services, whitespace
    from kam.plans.choices import CellStatus
    from kam.plans.models import BusinessUnit, Offering

    year = 2026
    kam = get_user_model().objects.create_user("kam@bench.example", "bench-password-123", role=Role.KEY_ACCOUNT_MANAGER)
    group = accounts.create_account(name="Northwind Logistics Group", account_number="NW-1", currency="EUR")
    group.is_key_account = True
    group.save()
    subsidiaries = [
        accounts.create_account(name=f"Northwind {country}", account_number=f"NW-1-{i}", parent=group, currency="EUR")
        for i, country in enumerate(("Germany", "France", "Nordics"), start=1)
    ]
    accounts.add_team_member(group, kam, TeamRole.KEY_ACCOUNT_MANAGER)
    for month_index in range(27):  # January 2024 to March 2026
        month = dt.date(2024 + month_index // 12, month_index % 12 + 1, 1)
        for n, account in enumerate([group, *subsidiaries], start=1):
            FinancialFact.objects.create(
                account=account, month=month, currency="EUR", product_line="",
                revenue=Decimal(100_000 * n + 1_250 * month_index), gross_profit=Decimal(25_000 * n),
            )  # fmt: skip
        FxRate.objects.create(month=month, currency="USD", rate_per_eur=Decimal("1.0850"))
        FxRate.objects.create(month=month, currency="GBP", rate_per_eur=Decimal("0.8550"))
    WalletEstimate.objects.create(account=group, year=year, currency="EUR", amount=Decimal("9000000"))

    plan = services.create_plan(group, kam, year, horizon_years=3)
    version = plan.versions.get()
    text = MARKDOWN.format(n=len(subsidiaries))
    services.update_version(
        version,
        {
            "situation": text,
            "swot_strengths": "- Reliable network\n- Strong sponsor\n- Good NPS",
            "swot_weaknesses": "- Slow quoting\n- No Nordic presence",
            "swot_opportunities": "- Cold chain\n- Warehouse automation",
            "swot_threats": "- Price pressure\n- Local competitor in the Nordics",
            "competitors": text,
            "value_proposition": text,
            "tco_alternative": "The incumbent 3PL",
            "tco_years": 3,
        },
        kam,
    )

    def add(row_kind, /, **data):
        return services.save_item(version, row_kind, data, kam)

    goals = [add("objective", side="client", title=f"Client goal {i}", specific="Lower cost") for i in range(3)]
    metrics = ["revenue_t12m", "share_of_wallet", "growth_yoy"]
    for i in range(3):
        ours = add(
            "objective", side="ours", title=f"Our goal {i}", linked_objective=goals[i], specific="Grow",
            measurable="Revenue", achievable="Yes", relevant="Yes", time_bound="By December",
        )  # fmt: skip
        computed = add(
            "kpi", objective=ours, metric=f"Computed {metrics[i]}", baseline=Decimal(10), source="computed",
            computed_metric=metrics[i],
        )  # fmt: skip
        entered = add("kpi", objective=goals[i], metric=f"Cost savings {i}", unit="EUR", baseline=Decimal(50_000))
        for period in (year, year + 1):
            add("target", kpi=computed, period=period, target=Decimal(40 + period - year))
            add("target", kpi=entered, period=period, target=Decimal(200_000), actual=Decimal(150_000.5))
        extra = add("kpi", objective=ours, metric=f"NPS {i}", unit="points", baseline=Decimal(20))
        add("target", kpi=extra, period=year, target=Decimal(35), actual=Decimal("31.5"))
    for i in range(15):
        add(
            "action", title=f"Action {i}: align with procurement", owner=kam, due_date=dt.date(year, 1 + i % 12, 15),
            status=("open", "in_progress", "done")[i % 3], objective=goals[i % 3],
        )  # fmt: skip
    for i in range(12):
        add(
            "risk", title=f"Risk {i}: supplier change", category="competitive", likelihood=1 + i % 5,
            impact=1 + (i * 2) % 5, mitigation="Quarterly review with the sponsor", owner=kam,
            status=("open", "mitigated", "closed")[i % 3],
        )  # fmt: skip

    offerings = [Offering.objects.create(name=f"Offering {i}", position=i) for i in range(10)]
    units = [BusinessUnit.objects.create(account=account, name=f"Unit {n}") for n in "AB" for account in subsidiaries]
    statuses = [CellStatus.WON, CellStatus.PIPELINE, CellStatus.POTENTIAL, CellStatus.COMPETITOR, CellStatus.NONE]
    cells = []
    for r, (account, unit) in enumerate([(a, None) for a in [group, *subsidiaries]] + [(u.account, u) for u in units]):
        for c, offering in enumerate(offerings):
            status = statuses[(r + c) % len(statuses)]
            data = {"status": status, "annual_value": Decimal(10_000 * (1 + c))}
            if status == CellStatus.COMPETITOR:
                data["competitor"] = "Rival GmbH"
            cells.append(whitespace.save_cell(group, account, offering, data, kam, business_unit=unit))
    stages = ["identified", "qualified", "proposal", "negotiation", "won"]
    for i in range(15):
        add(
            "opportunity", title=f"Opportunity {i}", kind="upsell", value=Decimal(50_000 + 10_000 * i),
            currency=("EUR", "USD", "GBP")[i % 3], probability=10 * (1 + i % 9), stage=stages[i % 5],
            next_step="Call the buyer", expected_close=dt.date(year, 1 + i % 12, 1),
            cell=cells[i] if i % 2 else None,
        )  # fmt: skip
    for i in range(6):
        add(
            "tco", item=f"Cost {i}", cost_kind=("annual", "one_off")[i % 2], indirect=bool(i % 3 == 0),
            alternative_cost=Decimal(10_000 + 1_000 * i), our_cost=Decimal(8_000 + 900 * i),
        )  # fmt: skip
    version.refresh_from_db()
    return version, kam


def percentile(samples, share) -> float:
    """Nearest rank."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def timed(function, runs=RUNS) -> list[float]:
    for _ in range(WARM_UP):
        function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kam-bench-plan-") as directory:
        setup_django(Path(directory))
        import io

        from pypdf import PdfReader

        from kam.core import documents
        from kam.plans import export

        version, user = build_plan()
        pdf = export.render(version, user, "pdf")[0]
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        document = export.plan_document(version, user)
        rows = [
            ("plan PDF, render()", timed(lambda: export.render(version, user, "pdf"))),
            ("plan DOCX, render()", timed(lambda: export.render(version, user, "docx"))),
            ("  building the document", timed(lambda: export.plan_document(version, user))),
            ("  typesetting the PDF", timed(lambda: documents.to_pdf(document))),
            ("  writing the DOCX", timed(lambda: documents.to_docx(document))),
        ]
        print(f"Plan export on SQLite, {RUNS} runs after {WARM_UP} warm-up ({pages} PDF pages, {len(pdf):,} bytes)")
        print(f"{'':28}{'median ms':>10}{'p95 ms':>10}")
        for label, samples in rows:
            print(f"{label:28}{statistics.median(samples):10.1f}{percentile(samples, 0.95):10.1f}")
        median_pdf = statistics.median(rows[0][1])
        verdict = "within" if median_pdf < TARGET_PDF_MS else "OVER"
        print(f"PDF median {median_pdf:.1f} ms: {verdict} the {TARGET_PDF_MS} ms target.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
