"""Scoring a whole customer base in one SQL statement (DEFINITIONS §3, §7, §9).

A run writes one `SelectionResult` per top-level account with ``WITH … INSERT INTO … SELECT``: the database
aggregates the facts of every subtree (each row converted at its own month's rate), derives the ratios, normalises
every criterion with window functions over the whole population, adds up the weighted contributions, ranks, finds
the median thresholds and assigns the segments. Python only builds the statement and reads a summary back: no loop
over accounts or facts, so 200,000 customers × 24 months take seconds (docs/performance.md).

Numbers: on PostgreSQL every step is `numeric` (exact decimal arithmetic, as the definitions ask); SQLite computes
in double precision, within the tolerances of DEFINITIONS §10 (money 0.01, scores 10⁻⁵). Every division is written
``x * 1.0 / y`` because SQLite divides two integers as integers.
"""

import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction

from kam.accounts.figures import MissingRate, add_months, latest_month
from kam.selection.choices import MANUAL_CRITERIA, Criterion, Direction, Normalisation, PopBasis, Segment
from kam.selection.config import clean_criteria

# Criteria that need the facts from three years back (the 2-year CAGR's base window).
CAGR_YEARS = 2

# Result columns written by the statement, in order (each is also a criterion, except revenue_p12m).
FIGURE_COLUMNS = [
    "revenue_t12m",
    "gross_profit_t12m",
    "revenue_p12m",
    "gross_margin",
    "growth_yoy",
    "growth_cagr",
    "wallet",
    "share_of_wallet",
    "wallet_headroom",
    "potential_operating_profit",
    "product_lines",
    "countries",
    "subsidiaries",
    "market_leader",
    "innovation_partner",
    "reference_value",
    "complexity",
]


ALWAYS_STORED = frozenset(
    {
        "revenue_t12m",
        "gross_profit_t12m",
        "revenue_p12m",
        "gross_margin",
        "growth_yoy",
        "wallet",
        "share_of_wallet",
        "potential_operating_profit",
    }
)


class RunError(Exception):
    """A run cannot be computed; the message says why and what to do."""


@dataclass
class Plan:
    """What one run computes: the checked criteria and the months it reads."""

    criteria: list[dict]
    as_of: dt.date
    pop_basis: str
    pop_threshold: Decimal | None
    wallet_threshold: Decimal | None
    uses: set = field(default_factory=set)

    @property
    def t12m_start(self):
        return add_months(self.as_of, -11)

    @property
    def p12m_start(self):
        return add_months(self.as_of, -23)

    @property
    def cagr_start(self):
        return add_months(self.as_of, -12 * CAGR_YEARS - 11)

    @property
    def earliest(self):
        return self.cagr_start if Criterion.GROWTH_CAGR in self.uses else self.p12m_start

    @property
    def total_weight(self) -> Decimal:
        return sum((Decimal(c["weight"]) for c in self.criteria), Decimal(0))


def make_plan(config: dict) -> Plan:
    from django.core.exceptions import ValidationError

    try:
        criteria = clean_criteria(config.get("criteria"))
    except ValidationError as error:
        raise RunError(" ".join(error.messages)) from None
    as_of = dt.date.fromisoformat(config["as_of"]) if config.get("as_of") else latest_month()
    if as_of is None:
        raise RunError("There are no financial facts yet: import facts (Imports → Financial facts) and run again.")
    thresholds = {}
    for name in ("pop_threshold", "wallet_threshold"):
        value = config.get(name)
        thresholds[name] = None if value in (None, "") else Decimal(str(value))
    return Plan(
        criteria=criteria,
        as_of=as_of.replace(day=1),
        pop_basis=config.get("pop_basis") or PopBasis.HEADROOM,
        uses={c["criterion"] for c in criteria},
        **thresholds,
    )


def check_rates(plan: Plan):
    """A (currency, month) pair without a rate stops the run with its name (never a silent fall-back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT f.currency, f.month FROM ("
            "  SELECT DISTINCT currency, month FROM accounts_financialfact"
            "  WHERE month >= %s AND month <= %s AND currency <> 'EUR'"
            ") f LEFT JOIN accounts_fxrate r ON r.currency = f.currency AND r.month = f.month"
            " WHERE r.id IS NULL ORDER BY f.month, f.currency",
            [plan.earliest.isoformat(), plan.as_of.isoformat()],
        )
        missing = cursor.fetchone()
        if missing is None:
            cursor.execute(
                "SELECT DISTINCT w.currency FROM accounts_walletestimate w LEFT JOIN accounts_fxrate r"
                " ON r.currency = w.currency AND r.month = %s"
                " WHERE w.year = %s AND w.currency <> 'EUR' AND r.id IS NULL ORDER BY w.currency",
                [plan.as_of.isoformat(), plan.as_of.year],
            )
            row = cursor.fetchone()
            missing = (row[0], plan.as_of) if row else None
    if missing is not None:
        currency, month = missing
        month = dt.date.fromisoformat(month) if isinstance(month, str) else month
        raise RunError(str(MissingRate(currency, month)))


class _Params:
    """Named parameters (``%(p3)s``): the statement is built in pieces, so their order in the text does not matter."""

    def __init__(self):
        self.values = {}
        # SQLite binds a Decimal as text, and compares text above every number: bind a double, as it computes.
        self.decimal_as_float = connection.vendor == "sqlite"

    def __call__(self, value) -> str:
        name = f"p{len(self.values)}"
        if isinstance(value, dt.date) and self.decimal_as_float:
            value = value.isoformat()  # SQLite keeps dates as ISO text
        elif isinstance(value, Decimal) and self.decimal_as_float:
            value = float(value)
        self.values[name] = value
        return f"%({name})s"


def _vendor():
    if connection.vendor == "postgresql":
        return {
            "root": "CAST(split_part(a.tree_path, '/', 2) AS bigint)",
            "binary_order": ' COLLATE "C"',
            "json_array": "jsonb_build_array",
            "numeric": lambda sql: f"CAST({sql} AS numeric)",
            # Rates are numeric(20, 10): trailing zeros make every division four times slower, and change nothing.
            "rates": "(SELECT currency, month, trim_scale(rate_per_eur) AS rate_per_eur FROM accounts_fxrate)",
            "divide": lambda a, b: f"{a} / {b}",
        }
    return {
        # tree_path is "/<root id>/…/": the text between the first two slashes.
        "root": "CAST(substr(a.tree_path, 2, instr(substr(a.tree_path, 2), '/') - 1) AS integer)",
        "binary_order": "",  # SQLite's default collation compares code points
        "json_array": "json_array",
        "numeric": lambda sql: sql,
        "rates": "accounts_fxrate",
        "divide": lambda a, b: f"{a} * 1.0 / {b}",  # SQLite divides two integers as integers
    }


def _normalised(column: str, item: dict, p: _Params, numeric) -> str:
    """The criterion's normalised value in [0, 1]; a missing value is 0 (DEFINITIONS §7)."""
    lower = item["direction"] == Direction.LOWER_IS_BETTER
    if item["normalisation"] == Normalisation.PERCENTILE:
        # PERCENT_RANK = (rank − 1) / (N − 1) among the accounts that have a value; ties share the lower rank.
        order = "DESC" if lower else "ASC"
        rank = numeric(
            f"PERCENT_RANK() OVER (PARTITION BY CASE WHEN {column} IS NULL THEN 1 ELSE 0 END ORDER BY {column} {order})"
        )
        return f"CASE WHEN {column} IS NULL THEN 0 ELSE {rank} END"
    if item["normalisation"] == Normalisation.BANDS:
        bands = [Decimal(b) for b in item["bands"]]
        passed = " + ".join(f"CASE WHEN {column} >= {p(b)} THEN 1 ELSE 0 END" for b in bands)
        count = len(bands)
        reached = f"({count} - ({passed}))" if lower else f"({passed})"
        return f"CASE WHEN {column} IS NULL THEN 0 ELSE {reached} * 1.0 / {count} END"
    # The population's minimum and maximum come from the one-row `stats` table (an aggregate, not a window: a
    # window over the whole population would buffer every row first).
    low, high = f"stats.low_{column}", f"stats.high_{column}"
    distance = f"({high} - {column})" if lower else f"({column} - {low})"
    return f"CASE WHEN {column} IS NULL OR {high} = {low} THEN 0 ELSE {distance} * 1.0 / ({high} - {low}) END"


FIGURES_TABLE = "kam_selection_figures"


def build_figures_query(plan: Plan, p: "_Params") -> str:
    """Every top-level account's subtree figures: one row per account, the criteria's raw values.

    It runs as ``CREATE TEMP TABLE … AS SELECT``, which PostgreSQL may run in parallel (an INSERT … SELECT never
    is): the aggregate over millions of facts is most of a run's time."""
    v = _vendor()
    rate = "CASE WHEN f.currency = 'EUR' THEN 1 ELSE r.rate_per_eur END"
    root, rates, div = v["root"], v["rates"], v["divide"]
    if Criterion.GROWTH_CAGR in plan.uses:
        cagr_base = f"SUM(CASE WHEN f.month < {p(add_months(plan.cagr_start, 12))} THEN {div('f.revenue', rate)} END)"
    else:
        cagr_base = "CAST(NULL AS NUMERIC)"  # an unused sum still costs a CASE per fact row
    sql = f"""
WITH fact_sums AS (
    SELECT {root} AS root_id,
        SUM(CASE WHEN f.month >= {p(plan.t12m_start)} THEN {div("f.revenue", rate)} END) AS revenue_t12m,
        SUM(CASE WHEN f.month >= {p(plan.t12m_start)} THEN {div("f.gross_profit", rate)} END) AS gross_profit_t12m,
        SUM(CASE WHEN f.month >= {p(plan.p12m_start)} AND f.month < {p(plan.t12m_start)}
            THEN {div("f.revenue", rate)} END) AS revenue_p12m,
        {cagr_base} AS cagr_base,
        SUM(CASE WHEN f.currency <> 'EUR' AND r.rate_per_eur IS NULL THEN 1 ELSE 0 END) AS rows_without_rate
    FROM accounts_financialfact f
    JOIN accounts_account a ON a.id = f.account_id
    LEFT JOIN {rates} r ON r.currency = f.currency AND r.month = f.month
    WHERE f.month >= {p(plan.earliest)} AND f.month <= {p(plan.as_of)}
    GROUP BY {root}
),
wallet_sums AS (
    SELECT {root} AS root_id,
        SUM({div("w.amount", "CASE WHEN w.currency = 'EUR' THEN 1 ELSE r.rate_per_eur END")}) AS wallet,
        SUM(CASE WHEN w.currency <> 'EUR' AND r.rate_per_eur IS NULL THEN 1 ELSE 0 END) AS wallets_without_rate
    FROM accounts_walletestimate w
    JOIN accounts_account a ON a.id = w.account_id
    LEFT JOIN {rates} r ON r.currency = w.currency AND r.month = {p(plan.as_of)}
    WHERE w.year = {p(plan.as_of.year)}
    GROUP BY {root}
),
"""
    if plan.uses & {Criterion.COUNTRIES, Criterion.SUBSIDIARIES}:
        sql += f"""
tree_stats AS (
    SELECT {root} AS root_id, COUNT(*) - 1 AS subsidiaries,
        COUNT(DISTINCT CASE WHEN a.country <> '' THEN a.country END) AS countries
    FROM accounts_account a GROUP BY {root}
),"""
    else:
        sql += "\ntree_stats AS (SELECT 0 AS root_id, 0 AS subsidiaries, 0 AS countries WHERE 1 = 0),"
    if Criterion.PRODUCT_LINES in plan.uses:
        sql += f"""
line_sums AS (
    SELECT root_id, COUNT(*) AS product_lines FROM (
        SELECT {root} AS root_id, f.product_line
        FROM accounts_financialfact f
        JOIN accounts_account a ON a.id = f.account_id
        LEFT JOIN {rates} r ON r.currency = f.currency AND r.month = f.month
        WHERE f.month >= {p(plan.t12m_start)} AND f.month <= {p(plan.as_of)}
        GROUP BY {root}, f.product_line
        HAVING ROUND(SUM({div("f.revenue", rate)}), 2) > 0
    ) bought GROUP BY root_id
),"""
    else:
        sql += "\nline_sums AS (SELECT 0 AS root_id, 0 AS product_lines WHERE 1 = 0),"
    ratings = ",\n        ".join(
        f"MAX(CASE WHEN attribute = '{name}' THEN value END) AS {name}" for name in sorted(MANUAL_CRITERIA)
    )
    if plan.pop_basis == PopBasis.FULL_WALLET:
        pop_base = "r.wallet"
    else:
        pop_base = "CASE WHEN r.wallet > r.revenue_t12m THEN r.wallet - r.revenue_t12m ELSE 0 END"
    sql += f"""
ratings AS (
    SELECT account_id,
        {ratings}
    FROM selection_accountrating GROUP BY account_id
),
base AS (
    SELECT a.id AS account_id, a.account_number, a.is_key_account,
        COALESCE(fs.revenue_t12m, 0) AS revenue_t12m,
        COALESCE(fs.gross_profit_t12m, 0) AS gross_profit_t12m,
        COALESCE(fs.revenue_p12m, 0) AS revenue_p12m,
        COALESCE(fs.cagr_base, 0) AS cagr_base,
        COALESCE(fs.rows_without_rate, 0) + COALESCE(ws.wallets_without_rate, 0) AS rows_without_rate,
        ws.wallet,
        COALESCE(ls.product_lines, 0) AS product_lines,
        ts.countries, ts.subsidiaries,
        rt.market_leader, rt.innovation_partner, rt.reference_value, rt.complexity
    FROM accounts_account a
    LEFT JOIN tree_stats ts ON ts.root_id = a.id
    LEFT JOIN fact_sums fs ON fs.root_id = a.id
    LEFT JOIN wallet_sums ws ON ws.root_id = a.id
    LEFT JOIN line_sums ls ON ls.root_id = a.id
    LEFT JOIN ratings rt ON rt.account_id = a.id
    WHERE a.parent_id IS NULL
),
ratios AS (
    SELECT b.*,
        CASE WHEN ROUND(b.revenue_t12m, 2) > 0 THEN 100.0 * b.gross_profit_t12m / b.revenue_t12m END AS gross_margin,
        CASE WHEN ROUND(b.revenue_p12m, 2) > 0
            THEN 100.0 * (b.revenue_t12m - b.revenue_p12m) / b.revenue_p12m END AS growth_yoy,
        CASE WHEN ROUND(b.cagr_base, 2) > 0 AND b.revenue_t12m >= 0
            THEN 100.0 * (POWER(b.revenue_t12m * 1.0 / b.cagr_base, {p(Decimal(1) / CAGR_YEARS)}) - 1)
            END AS growth_cagr,
        CASE WHEN ROUND(b.wallet, 2) > 0 THEN 100.0 * b.revenue_t12m / b.wallet END AS share_of_wallet
    FROM base b
)
SELECT r.*,
    CASE WHEN r.share_of_wallet IS NULL THEN NULL WHEN r.share_of_wallet < 100 THEN 100 - r.share_of_wallet
        ELSE 0 END AS wallet_headroom,
    CASE WHEN r.wallet IS NULL OR r.gross_margin IS NULL THEN NULL
        ELSE ({pop_base}) * r.gross_margin / 100 END AS potential_operating_profit
FROM ratios r"""
    return sql


def build_insert(run_id: int, plan: Plan, p: "_Params") -> str:
    """Normalise, weigh, rank and segment the figures table's rows into the run's results."""
    v = _vendor()
    total = plan.total_weight
    normalised = ",\n        ".join(
        f"{_normalised(item['criterion'], item, p, v['numeric'])} AS n_{i}" for i, item in enumerate(plan.criteria)
    )
    weighted = " + ".join(f"{p(Decimal(item['weight']))} * n_{i}" for i, item in enumerate(plan.criteria))
    # Only the normalised values are stored, as a flat array in the criteria's order: a contribution is
    # 100 × weight × n / Σ weights (SelectionResult.contributions), and building a JSON object per account
    # cost a second per 200,000 accounts.
    normalised_values = ", ".join(f"ROUND(s.n_{i}, 9)" for i in range(len(plan.criteria)))
    segment = (
        f"CASE WHEN s.gross_margin IS NULL OR s.wallet IS NULL THEN '{Segment.UNCLASSIFIED}' "
        f"WHEN s.potential_operating_profit >= t.pop_t THEN "
        f"CASE WHEN s.wallet >= t.wallet_t THEN '{Segment.STRATEGIC}' ELSE '{Segment.DEVELOP}' END "
        f"ELSE CASE WHEN s.wallet >= t.wallet_t THEN '{Segment.MAINTAIN}' ELSE '{Segment.SERVE_EFFICIENTLY}' END END"
    )
    columns = ", ".join(FIGURE_COLUMNS)
    # Figures the model does not use are left empty (a NULL costs nothing to write), except the ones every run
    # shows: revenue, margin, growth, wallet, share of wallet and potential operating profit.
    kept = ALWAYS_STORED | plan.uses
    values = ", ".join(f"s.{c}" if c in kept else "NULL" for c in FIGURE_COLUMNS)
    min_max = sorted({c["criterion"] for c in plan.criteria if c["normalisation"] == Normalisation.MIN_MAX})
    stats = ", ".join(["COUNT(*) AS population"] + [f"MIN({c}) AS low_{c}, MAX({c}) AS high_{c}" for c in min_max])
    return f"""
WITH stats AS (
    SELECT {stats} FROM {FIGURES_TABLE}
),
normalised AS MATERIALIZED (
    SELECT f.*,
        {normalised}
    FROM {FIGURES_TABLE} f CROSS JOIN stats
),
scored AS MATERIALIZED (
    SELECT n.*, 100.0 * ({weighted}) / {p(total)} AS score FROM normalised n
),
classified AS (
    SELECT potential_operating_profit AS pop, wallet FROM {FIGURES_TABLE}
    WHERE gross_margin IS NOT NULL AND wallet IS NOT NULL
),
pop_ordered AS (SELECT pop, ROW_NUMBER() OVER (ORDER BY pop) AS rn, COUNT(*) OVER () AS cnt FROM classified),
wallet_ordered AS (SELECT wallet, ROW_NUMBER() OVER (ORDER BY wallet) AS rn, COUNT(*) OVER () AS cnt FROM classified),
thresholds AS (
    SELECT {_threshold(plan.pop_threshold, "pop", "pop_ordered", p)} AS pop_t,
        {_threshold(plan.wallet_threshold, "wallet", "wallet_ordered", p)} AS wallet_t
)
INSERT INTO selection_selectionresult
    (run_id, account_id, rank, score, segment, was_key_account, {columns}, normalised)
SELECT {p(run_id)}, s.account_id,
    ROW_NUMBER() OVER (ORDER BY ROUND(s.score, 9) DESC, s.account_number{v["binary_order"]} ASC),
    ROUND(s.score, 6), {segment}, s.is_key_account, {values},
    {v["json_array"]}({normalised_values})
FROM scored s CROSS JOIN thresholds t
"""


def _threshold(value: Decimal | None, column: str, ordered: str, p: _Params) -> str:
    if value is not None:
        return p(value)
    # The median: the middle value, or the mean of the two middle values for an even count.
    return f"(SELECT AVG({column}) FROM {ordered} WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2))"


@dataclass
class Outcome:
    population: int
    classified: int
    pop_threshold: Decimal | None
    wallet_threshold: Decimal | None
    segment_totals: dict
    warnings: list
    seconds: float


def compute(run_id: int, plan: Plan) -> Outcome:
    """Write the run's results (replacing any from an interrupted attempt) and summarise them."""
    from kam.selection.models import SelectionResult

    started = time.monotonic()
    figures, insert = _Params(), _Params()
    figures_sql, insert_sql = build_figures_query(plan, figures), build_insert(run_id, plan, insert)
    with transaction.atomic(), connection.cursor() as cursor:
        SelectionResult.objects.filter(run_id=run_id).delete()
        if connection.vendor == "postgresql":
            # Room to aggregate and sort 200,000 accounts in memory instead of in temporary files; this
            # transaction only.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(f"DROP TABLE IF EXISTS {FIGURES_TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {FIGURES_TABLE} AS {figures_sql}", figures.values)
        cursor.execute(f"SELECT SUM(rows_without_rate) FROM {FIGURES_TABLE}")
        if cursor.fetchone()[0]:
            check_rates(plan)  # names the first (currency, month) without a rate; raises RunError
        cursor.execute(insert_sql, insert.values)
        # The summary reads the figures table (no index to maintain, no numeric(32, 9) rounding) before it goes.
        pop_threshold = plan.pop_threshold
        if pop_threshold is None:
            pop_threshold = _median(cursor, "potential_operating_profit")
        wallet_threshold = plan.wallet_threshold
        if wallet_threshold is None:
            wallet_threshold = _median(cursor, "wallet")
        totals = _segment_totals(cursor, run_id)
        counts = {segment: row["accounts"] for segment, row in totals.items()}
        population = sum(counts.values())
        warnings = _warnings(cursor, plan, population)
        cursor.execute(f"DROP TABLE {FIGURES_TABLE}")
    return Outcome(
        population=population,
        classified=population - counts.get(Segment.UNCLASSIFIED, 0),
        pop_threshold=pop_threshold,
        wallet_threshold=wallet_threshold,
        segment_totals=totals,
        warnings=warnings,
        seconds=time.monotonic() - started,
    )


def _segment_totals(cursor, run_id) -> dict:
    """Accounts and sums per segment, kept on the run: its pages show them without re-reading every result."""
    cursor.execute(
        "SELECT segment, COUNT(*), SUM(revenue_t12m), SUM(wallet), SUM(potential_operating_profit)"
        " FROM selection_selectionresult WHERE run_id = %s GROUP BY segment",
        [run_id],
    )

    def as_text(value):
        return None if value is None else str(Decimal(str(value)).quantize(Decimal("0.0001")))

    return {
        segment: {"accounts": n, "revenue": as_text(revenue), "wallet": as_text(wallet), "pop": as_text(pop)}
        for segment, n, revenue, wallet, pop in cursor.fetchall()
    }


def _median(cursor, column):
    """The median of the classified accounts, as the statement computed it (the same SQL, on the figures table)."""
    cursor.execute(
        f"WITH ordered AS (SELECT {column} AS v, ROW_NUMBER() OVER (ORDER BY {column}) AS rn, COUNT(*) OVER () AS cnt"
        f" FROM {FIGURES_TABLE} WHERE gross_margin IS NOT NULL AND wallet IS NOT NULL)"
        " SELECT AVG(v) FROM ordered WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2)"
    )
    value = cursor.fetchone()[0]
    return None if value is None else Decimal(str(value))


def _warnings(cursor, plan: Plan, population: int) -> list[str]:
    """Criteria that cannot tell accounts apart: no data at all, or one value for everyone."""
    if not population:
        return ["There are no top-level accounts to score."]
    keys = [c["criterion"] for c in plan.criteria]
    selects = ", ".join(f"COUNT({k}), MIN({k}), MAX({k})" for k in keys)
    cursor.execute(f"SELECT {selects} FROM {FIGURES_TABLE}")
    row = cursor.fetchone()
    warnings = []
    for i, key in enumerate(keys):
        present, low, high = row[3 * i : 3 * i + 3]
        label = Criterion(key).label
        if not present:
            hint = "rate the accounts (Selection → Ratings)" if key in MANUAL_CRITERIA else "import the data it needs"
            warnings.append(f"{label} has no value for any account: it adds 0 to every score. Remove it, or {hint}.")
        elif low == high:
            warnings.append(f"{label} is the same for every account that has it: it adds 0 to every score.")
    return warnings
