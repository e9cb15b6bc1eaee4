"""The selection workbench of a generated tenant (`kam generate`, kam/core/generate.py).

At scale 1, after the accounts steps: two scoring models — the default one of DEFINITIONS §7 and "Growth and
potential" (percentile and banded normalisation, a rated criterion) — created through the services like a
programme lead's; 1–5 ratings of every key account on the four rated attributes, by its key account manager
(8,000 rows); the approved designation of each key account by the programme lead (2,000 rows, dated over the two
years before the as-of month); and one finished run of the default model over every top-level account (about
195,000 results), computed by the real engine.

What later steps can use: `ctx.shared["selection"]`, a `GeneratedSelection`.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from kam.core.generate import step
from kam.selection import services
from kam.selection.choices import (
    Criterion,
    DesignationKind,
    DesignationStatus,
    Normalisation,
    RatedAttribute,
    RunStatus,
)
from kam.selection.config import default_criteria
from kam.selection.models import AccountRating, KeyAccountDesignation, ScoringModel, SelectionRun

DEFAULT_MODEL = "Key account selection (DEFINITIONS §7)"
GROWTH_MODEL = "Growth and potential"
GROWTH_CRITERIA = [
    {"criterion": Criterion.GROWTH_YOY, "weight": "0.30"},
    {"criterion": Criterion.POTENTIAL_OPERATING_PROFIT, "weight": "0.30", "normalisation": Normalisation.PERCENTILE},
    {"criterion": Criterion.WALLET_HEADROOM, "weight": "0.20"},
    {"criterion": Criterion.MARKET_LEADER, "weight": "0.20", "normalisation": Normalisation.BANDS, "bands": "3, 4, 5"},
]
NOTES = {
    RatedAttribute.MARKET_LEADER: ["Top three in its segment.", "Strong regional position.", "Challenger brand.", ""],
    RatedAttribute.INNOVATION_PARTNER: ["Joint development programme.", "Pilots our new ranges.", ""],
    RatedAttribute.REFERENCE_VALUE: ["Named reference in tenders.", "Case study published.", ""],
    RatedAttribute.COMPLEXITY: ["Many sites, central purchasing.", "Several buying centres.", ""],
}
REASONS = [
    "Among the largest groups by revenue, with a wallet well above our share.",
    "Global footprint and central purchasing: one team serves it better than the regions separately.",
    "Strong growth over two years and a strategic fit with the product roadmap.",
    "Reference customer in its industry; the executive sponsor asked for a dedicated team.",
]
RATING_FIELDS = ["created_at", "updated_at", "version", "account_id", "attribute", "value", "note", "rated_by_id"]
DESIGNATION_FIELDS = [
    "created_at",
    "updated_at",
    "version",
    "account_id",
    "kind",
    "status",
    "reason",
    "segment",
    "proposed_by_id",
    "decided_by_id",
    "decided_at",
    "decision_note",
]


@dataclass
class GeneratedSelection:
    default_model_id: int
    growth_model_id: int
    run_id: int | None = None


def _free_name(name: str, prefix: str) -> str:
    """Model names are unique: a tenant added next to another (`--allow-existing --prefix P`) gets "name (P)"."""
    return name if not ScoringModel._base_manager.filter(name=name).exists() else f"{name} ({prefix})"


def _datetime(ctx, when: dt.datetime) -> str:
    """A datetime as the column expects it in a raw insert (like `ctx.timestamp()`, for another moment)."""
    if ctx.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value(when)
    return when.isoformat()


def _clamp(value: float) -> int:
    return max(1, min(5, round(value)))


@step("selection.models", order=50)
def models_and_ratings(ctx):
    """The two scoring models (services, as a programme lead creates them) and the key accounts' ratings (COPY)."""
    rng = ctx.rng("selection.models")
    portfolio = ctx.shared["accounts"]
    default = services.create_model(
        name=_free_name(DEFAULT_MODEL, ctx.prefix),
        description="The default selection score: T12M revenue 30 %, gross margin 20 %, growth 20 %, wallet 15 %, "
        "share-of-wallet headroom 15 %. Segments split at the medians of potential operating profit and wallet.",
        criteria=default_criteria(),
    )
    growth = services.create_model(
        name=_free_name(GROWTH_MODEL, ctx.prefix),
        description="Where the next key accounts come from: growth, potential operating profit (as a percentile), "
        "room in the wallet and the market position the key account managers rated.",
        criteria=[dict(item) for item in GROWTH_CRITERIA],
    )
    ctx.shared["selection"] = GeneratedSelection(default_model_id=default.pk, growth_model_id=growth.pk)

    # Ratings follow size a little: bigger groups lead their markets more often and are more complex to serve.
    accounts = {a.id: a for a in portfolio.accounts if a.is_key}
    order = sorted(portfolio.key_account_ids, key=lambda pk: accounts[pk].size)
    standing = {pk: position / max(1, len(order) - 1) for position, pk in enumerate(order)}  # 0 smallest … 1 largest
    stamp = ctx.timestamp()
    gauss, choice = rng.gauss, rng.choice

    def rows():
        for pk in portfolio.key_account_ids:
            lean = standing[pk]
            values = {
                RatedAttribute.MARKET_LEADER: _clamp(1.5 + 3 * lean + gauss(0, 0.9)),
                RatedAttribute.INNOVATION_PARTNER: _clamp(3 + gauss(0, 1.1)),
                RatedAttribute.REFERENCE_VALUE: _clamp(2.5 + lean + gauss(0, 1.0)),
                RatedAttribute.COMPLEXITY: _clamp(2 + 2 * lean + gauss(0, 0.8)),
            }
            for attribute, value in values.items():
                note = choice(NOTES[attribute])
                yield (stamp, stamp, 1, pk, attribute.value, value, note, accounts[pk].owner_id)

    return {"scoring models": 2, "account ratings": ctx.insert(AccountRating, RATING_FIELDS, rows())}


@step("selection.designations", order=51)
def designations(ctx):
    """Each key account's approved designation, decided by the programme lead on a day within the two years before
    the as-of month, proposed by its key account manager a few days earlier."""
    rng = ctx.rng("selection.designations")
    portfolio = ctx.shared["accounts"]
    owners = {a.id: a.owner_id for a in portfolio.accounts if a.is_key}
    start = dt.datetime.combine(ctx.as_of, dt.time(9), tzinfo=dt.UTC)
    rows = []
    for pk in portfolio.key_account_ids:
        decided = start - dt.timedelta(days=rng.randint(7, 730), minutes=rng.randint(0, 8 * 60))
        proposed = _datetime(ctx, decided - dt.timedelta(days=rng.randint(1, 21), minutes=rng.randint(0, 8 * 60)))
        decided_at = _datetime(ctx, decided)
        rows.append(
            (
                proposed,
                decided_at,
                2,  # proposed, then decided: two versions
                pk,
                DesignationKind.DESIGNATE.value,
                DesignationStatus.APPROVED.value,
                rng.choice(REASONS),
                "",
                owners[pk],
                portfolio.lead_user_id,
                decided_at,
                "",
            )
        )
    rows.sort(key=lambda row: row[10])  # ids in the order of the decisions, as they were made
    return {"key account designations": ctx.insert(KeyAccountDesignation, DESIGNATION_FIELDS, rows)}


@step("selection.run", order=90)
def default_run(ctx):
    """One finished run of the default model over every top-level account, by the programme lead: the run is
    created as `services.start_run` creates it, without queueing the task (a worker would only find it finished),
    and computed by `services.execute_run`, the worker's code: the real engine, in this transaction."""
    selection = ctx.shared["selection"]
    lead = ctx.shared["accounts"].lead_user_id
    if ctx.vendor == "postgresql":
        # The rows written by COPY in this transaction have no statistics yet (the generator's own ANALYZE comes at
        # the end): without them the planner guesses the number of groups and may sort millions of facts.
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE accounts_account, accounts_financialfact, accounts_walletestimate, accounts_fxrate, "
                "selection_accountrating"
            )
    model = ScoringModel.objects.get(pk=selection.default_model_id)
    run = SelectionRun.objects.create(
        scoring_model=model,
        model_name=model.name,
        model_version=model.version,
        config=services.snapshot_config(model),
        created_by_id=lead,
    )
    run = services.execute_run(run.pk)
    if run.status != RunStatus.DONE:
        raise RuntimeError(f"The generated selection run failed: {run.message}")
    selection.run_id = run.pk
    return {"selection run": 1, "selection results": run.population}
