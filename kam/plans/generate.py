"""Account plans and whitespace of a generated tenant (`kam generate`, kam/core/generate.py).

At scale 1, after the accounts steps (2,000 key accounts):

- a programme offering catalogue of ten offerings (products matching the facts' product lines, services, digital);
  an added tenant (`--allow-existing`) shares the catalogue, like the FX rates;
- one plan per key account, starting last year (the as-of month's year − 1) over 3–5 years: most (85 %) have
  version 1 for last year, approved (superseded when version 2 is approved) and version 2 for this year, cloned from
  it as `services.start_next_year` clones (every row copied with its lineage, links remapped to the copies) and then
  edited — a draft (some returned by the approver with a note), in review, or approved; the rest only version 1,
  approved or waiting in review;
- per version: Markdown situation, SWOT, competitors and value proposition from small phrase banks by industry and
  size; two client goals and two or three of ours serving them; one or two KPIs per objective (computed from the
  portfolio figures, or entered with targets for every year of the horizon and, in version 2, last year's actuals);
  actions owned by the account's key account manager (done, cancelled, in progress, some overdue); risks in every
  category over the whole heat map; opportunities with probabilities that follow their stage, in the account's
  currency; zero to four TCO lines;
- whitespace cells for the key account, its first 30 subsidiaries in tree order and 0–3 business units of its own:
  the facts' product line won on the key account, the rest a mix of potential, won, competitor-held and nothing;
  cells an opportunity is linked to are in the pipeline (won when the opportunity was won), as
  `services._fill_cell` leaves them.

Rows are written in bulk (`ctx.insert`), so they have no audit records of their own (the run's summary records
them); versions and counters are what the services' saves would have left. Deterministic for a seed.
"""

import datetime as dt
import uuid
from collections import defaultdict

from django.db import connection

from kam.accounts.choices import TeamRole
from kam.accounts.generate import RATES, money
from kam.accounts.models import Account, AccountTeamMember, FinancialFact
from kam.core.generate import step
from kam.plans.choices import (
    ActionStatus,
    CellStatus,
    ComputedMetric,
    Direction,
    KPISource,
    ObjectiveSide,
    OpportunityKind,
    OpportunityStage,
    RiskCategory,
    RiskStatus,
    TCOCostKind,
    VersionStatus,
)
from kam.plans.models import (
    AccountPlan,
    Action,
    BusinessUnit,
    KPITarget,
    Objective,
    Offering,
    Opportunity,
    PlanKPI,
    PlanVersion,
    Risk,
    TCOLine,
    WhitespaceCell,
)

# (name, category, description): the columns of every whitespace matrix, in this order.
OFFERINGS = [
    ("Components", "Products", "Precision components from the catalogue and to drawing."),
    ("Systems", "Products", "Engineered systems and assemblies, configured per site."),
    ("Spare parts", "Products", "Spare parts with guaranteed availability and express delivery."),
    ("Maintenance contracts", "Services", "Preventive maintenance at a fixed annual fee."),
    ("Installation & commissioning", "Services", "Installation, start-up and acceptance on site."),
    ("Field service", "Services", "Technicians on call for repairs and inspections."),
    ("Training", "Services", "Operator and maintenance training, on site or online."),
    ("Retrofit & upgrades", "Services", "Modernisation of installed equipment."),
    ("Remote monitoring", "Digital", "Condition monitoring and alerts from connected equipment."),
    ("Consignment stock", "Supply chain", "Stock held at the client's site, invoiced on use."),
]
# The facts' product lines (kam/accounts/generate.py) as offerings: what a key account already buys.
OFFERING_OF_LINE = {
    "Components": "Components",
    "Systems": "Systems",
    "Services": "Maintenance contracts",
    "Spare parts": "Spare parts",
}
SUBSIDIARY_ROWS = 30  # giant groups: the whitespace covers the key account and its first 30 subsidiaries
TWO_VERSIONS, ONLY_APPROVED = 0.85, 0.11  # the rest: version 1 still in review
V2_STATUSES = [(VersionStatus.DRAFT, 45), (VersionStatus.IN_REVIEW, 25), (VersionStatus.APPROVED, 30)]
RETURNED_SHARE = 0.2  # drafts the approver sent back once, with a note

INDUSTRY_TEXT = {  # industry: (what the client does, what presses it)
    "Automotive": ("builds vehicles and modules for OEMs", "the shift to electric platforms and tighter launch dates"),
    "Chemicals": ("runs continuous chemical processes", "energy prices and stricter plant-safety rules"),
    "Food & beverage": ("produces and bottles branded foods", "hygiene audits and short changeover times"),
    "Logistics": ("operates warehouses and cross-docks", "labour shortages and same-day delivery promises"),
    "Machinery": ("designs and builds special machinery", "long lead times and after-sales margin"),
    "Pharmaceuticals": ("manufactures active ingredients and drugs", "validation effort and supply security"),
    "Retail": ("runs stores and distribution centres", "store refits and cost per parcel"),
    "Energy": ("operates generation and grid assets", "asset availability and the energy transition"),
    "Telecommunications": ("runs networks and data centres", "uptime commitments and site roll-outs"),
    "Construction": ("builds and maintains infrastructure", "project delays and equipment utilisation"),
}
DEFAULT_TEXT = ("runs industrial operations at several sites", "cost pressure and availability")
STRENGTHS = [
    "Trusted by the plant managers; we solve problems fast.",
    "Framework agreement in place until the end of the horizon.",
    "Our service technicians are on site every week.",
    "Only supplier with a complete offer from components to service.",
    "Executive sponsor meets their COO twice a year.",
]
WEAKNESSES = [
    "Little contact with central procurement.",
    "Price level above the low-cost offers.",
    "Delivery performance slipped in the last two quarters.",
    "We are unknown in their newer regions.",
    "No digital offer installed yet.",
]
OPPORTUNITIES = [
    "Supplier consolidation: they want fewer, bigger partners.",
    "New plants opening over the next two years.",
    "Interest in condition monitoring after the last breakdown.",
    "Spare-parts stock could move to consignment.",
    "Their sustainability targets favour retrofits over new equipment.",
]
THREATS = [
    "{competitor} bundles equipment with a cheap service contract.",
    "A new CPO reviews every supplier this year.",
    "Budget freeze announced for non-critical spend.",
    "Insourcing of maintenance is under discussion.",
    "Currency swings squeeze their import budget.",
]
COMPETITORS = ["Atlas Industrial", "Norda Technik", "Ferrum Group", "Veltro Systems", "Kaizen Parts", "Brightline"]
COMPETITOR_POSITIONS = [
    "present in two plants, cheaper on standard parts",
    "holds the service contract of the largest site",
    "strong with central procurement",
    "bids aggressively in every tender",
]
VALUE_POINTS = [
    "Lower total cost of ownership: fewer stoppages, longer service intervals.",
    "One partner from spare parts to service, one contact for all sites.",
    "Parts availability guaranteed within 24 hours.",
    "Engineering support for their new lines.",
    "Transparent monthly reporting on delivery and service KPIs.",
]
CLIENT_GOALS = [
    "Cut maintenance cost per site by {p} %",
    "Raise equipment availability to {q} %",
    "Consolidate the supplier base to {n} strategic partners",
    "Reduce CO2 emissions of operations by {p} %",
    "Shorten order-to-delivery lead time to {n} days",
    "Open {n} new sites on schedule",
]
OUR_GOALS = [
    "Grow revenue with the group by {p} % a year",
    "Become preferred supplier for {offering}",
    "Win the framework agreement for {offering}",
    "Raise share of wallet to {q} %",
    "Roll out {offering} to {n} more sites",
    "Lift gross margin on the account by {n} points",
]
# (metric, unit, direction, baseline range, change per year)
ENTERED_KPIS = [
    ("On-time delivery", "%", Direction.HIGHER, (86, 94), 1.5),
    ("Unplanned downtime", "h/month", Direction.LOWER, (20, 60), -4),
    ("Net promoter score", "pts", Direction.HIGHER, (10, 40), 5),
    ("Sites served", "sites", Direction.HIGHER, (3, 12), 2),
    ("Complaints per quarter", "count", Direction.LOWER, (6, 20), -2),
    ("Order lead time", "days", Direction.LOWER, (12, 30), -2),
]
COMPUTED_KPIS = [
    (ComputedMetric.REVENUE_T12M, "Revenue T12M", "EUR"),
    (ComputedMetric.GROSS_PROFIT_T12M, "Gross profit T12M", "EUR"),
    (ComputedMetric.SHARE_OF_WALLET, "Share of wallet", "%"),
    (ComputedMetric.GROWTH_YOY, "Growth vs prior year", "%"),
]
ACTIONS = [
    "Quarterly business review with procurement",
    "Site visit to the largest plant",
    "Workshop on {offering} with the engineering team",
    "Send the proposal for {offering}",
    "Joint cost-down analysis",
    "Executive sponsor meeting with their COO",
    "Update the contact map",
    "Pilot {offering} at one plant",
    "Prepare the framework agreement renewal",
    "Train the client's maintenance team",
]
RISKS = {
    RiskCategory.FINANCIAL: ["Payment terms stretched to 90 days", "Price pressure in the annual negotiation"],
    RiskCategory.REPUTATIONAL: ["Quality escape reaching their end customers", "Negative audit finding at a plant"],
    RiskCategory.OPERATIONAL: ["Capacity bottleneck in the peak season", "Single-source component shortage"],
    RiskCategory.RELATIONSHIP: ["Our sponsor at the client retires", "New CPO reviews all suppliers"],
    RiskCategory.COMPETITIVE: ["{competitor} offers a bundled service deal", "Low-cost entrant in the next tender"],
}
MITIGATIONS = [
    "Agree a price-adjustment clause tied to the index.",
    "Second source qualified; safety stock for the critical parts.",
    "Introduce the new contact to our executive sponsor.",
    "Show the TCO comparison at the next review.",
    "Joint quality plan with monthly checks.",
    "",
]
# Probabilities (per cent) that go with each stage.
STAGE_PROBABILITY = {
    OpportunityStage.IDENTIFIED: (5, 15),
    OpportunityStage.QUALIFIED: (20, 35),
    OpportunityStage.PROPOSAL: (40, 60),
    OpportunityStage.NEGOTIATION: (65, 85),
    OpportunityStage.WON: (100, 100),
    OpportunityStage.LOST: (0, 0),
}
OPEN_STAGES = [
    OpportunityStage.IDENTIFIED,
    OpportunityStage.QUALIFIED,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
]
NEXT_STEPS = [
    "Call the buyer to confirm the scope.",
    "Site survey with their engineers.",
    "Send the revised quote.",
    "Present the business case to the plant manager.",
    "",
]
OPPORTUNITY_TITLES = {
    OpportunityKind.UPSELL: "More {offering} for {where}",
    OpportunityKind.CROSS_SELL: "{offering} for {where}",
    OpportunityKind.NEW_BUSINESS: "{offering} in a new region",
    OpportunityKind.RENEWAL: "Renewal of the {offering} agreement",
}
TCO_ITEMS = [
    ("Purchase price", TCOCostKind.ANNUAL, False),
    ("Maintenance and repairs", TCOCostKind.ANNUAL, False),
    ("Unplanned downtime", TCOCostKind.ANNUAL, True),
    ("Inventory carrying cost", TCOCostKind.ANNUAL, True),
    ("Installation and commissioning", TCOCostKind.ONE_OFF, False),
    ("Training of staff", TCOCostKind.ONE_OFF, True),
]
BUSINESS_UNITS = ["Aftermarket", "Operations", "Research & development", "Plant engineering", "Logistics", "Quality"]
RETURN_NOTES = [
    "Add a KPI for the service business before I approve.",
    "The risks miss the new CPO: please add and score it.",
    "Targets for next year look low; explain or raise them.",
]

BASE = ["id", "created_at", "updated_at", "version"]
ITEM = [*BASE, "plan_version_id", "account_id", "lineage"]
FIELDS = {
    Offering: [*BASE, "name", "category", "description", "position", "is_active"],
    AccountPlan: [*BASE, "account_id", "title", "start_year", "horizon_years", "created_by_id"],
    PlanVersion: [
        *BASE,
        "plan_id",
        "account_id",
        "year",
        "number",
        "status",
        "situation",
        "swot_strengths",
        "swot_weaknesses",
        "swot_opportunities",
        "swot_threats",
        "competitors",
        "value_proposition",
        "tco_alternative",
        "tco_years",
        "review_note",
        "created_by_id",
        "submitted_at",
        "approved_by_id",
        "approved_at",
        "reviewed_at",
    ],
    BusinessUnit: [*BASE, "account_id", "name"],
    WhitespaceCell: [
        *BASE,
        "account_id",
        "business_unit_id",
        "offering_id",
        "status",
        "annual_value",
        "competitor",
        "note",
    ],
    Objective: [
        *ITEM,
        "side",
        "title",
        "specific",
        "measurable",
        "achievable",
        "relevant",
        "time_bound",
        "due_date",
        "linked_objective_id",
        "achieved",
        "external_id",
    ],
    PlanKPI: [*ITEM, "objective_id", "metric", "unit", "direction", "baseline", "source", "computed_metric"],
    KPITarget: [*ITEM, "kpi_id", "period", "target", "actual"],
    Action: [*ITEM, "title", "owner_id", "due_date", "status", "objective_id"],
    Risk: [*ITEM, "title", "category", "likelihood", "impact", "mitigation", "owner_id", "status"],
    Opportunity: [
        *ITEM,
        "title",
        "kind",
        "offering",
        "business_unit",
        "value",
        "currency",
        "probability",
        "stage",
        "cell_id",
        "expected_close",
        "next_step",
    ],
    TCOLine: [*ITEM, "item", "cost_kind", "indirect", "alternative_cost", "our_cost"],
}
ITEM_MODELS = (Objective, PlanKPI, KPITarget, Action, Risk, Opportunity, TCOLine)
# Written in this order, parents before the rows that point at them (PostgreSQL re-adds the foreign keys per table),
# and counted under these labels in the run's summary.
LABELS = {
    AccountPlan: "account plans",
    PlanVersion: "plan versions",
    BusinessUnit: "business units",
    WhitespaceCell: "whitespace cells",
    Objective: "plan objectives",
    PlanKPI: "plan KPIs",
    KPITarget: "KPI targets",
    Action: "plan actions",
    Risk: "plan risks",
    Opportunity: "plan opportunities",
    TCOLine: "TCO lines",
}


class Table:
    """The rows of one model as dicts, with explicit ids from the first free one."""

    def __init__(self, model):
        self.model = model
        self.next_id = model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.rows = []

    def add(self, **values) -> dict:
        self.next_id += 1
        row = {"id": self.next_id, "version": 1, **values}
        self.rows.append(row)
        return row

    def tuples(self, write_moment):
        fields = FIELDS[self.model]
        for row in self.rows:
            values = dict(row)
            for name in ("created_at", "updated_at", "submitted_at", "approved_at", "reviewed_at"):
                if name in values:
                    values[name] = write_moment(values[name])
            yield tuple(values.get(name) for name in fields)


def _moment_writer(ctx):
    """A datetime (or None) as the column expects it in a raw insert (like `ctx.timestamp()`)."""
    if ctx.vendor == "sqlite":
        return lambda when: None if when is None else connection.ops.adapt_datetimefield_value(when)
    return lambda when: None if when is None else when.isoformat()


def _lineage_maker(rng):
    """Row lineages (UUIDs) from the step's random stream: the same seed gives the same lineages."""
    native = connection.features.has_native_uuid_field

    def lineage():
        value = uuid.UUID(int=rng.getrandbits(128), version=4)
        return str(value) if native else value.hex

    return lineage


def _decimal(value: float, places: int = 4) -> str:
    return f"{value:.{places}f}"


def _bullets(items) -> str:
    return "\n".join(f"- {item}" for item in items)


def _offerings(ctx, stamp) -> tuple[dict, int]:
    """The catalogue by name: existing offerings kept (an added tenant shares them), missing ones added."""
    existing = dict(Offering._base_manager.values_list("name", "pk"))
    table = Table(Offering)
    for position, (name, category, description) in enumerate(OFFERINGS, start=1):
        if name not in existing:
            row = table.add(
                created_at=stamp,
                updated_at=stamp,
                name=name,
                category=category,
                description=description,
                position=position * 10,
                is_active=True,
            )
            existing[name] = row["id"]
    ctx.insert(Offering, FIELDS[Offering], table.tuples(_moment_writer(ctx)))
    return existing, len(table.rows)


def _chunks(values: list, size: int = 900):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _account_facts(portfolio, key_ids: list, member_ids: list) -> tuple[dict, dict, dict, dict]:
    """What the plans need from the database: names, industries, each key account's manager and product line."""
    names, industries, managers, lines = {}, {}, {}, {}
    for chunk in _chunks(member_ids):
        for pk, name, industry in Account._base_manager.filter(pk__in=chunk).values_list("pk", "name", "industry"):
            names[pk], industries[pk] = name, industry
    for chunk in _chunks(key_ids):
        members = AccountTeamMember._base_manager.filter(
            account_id__in=chunk, team_role=TeamRole.KEY_ACCOUNT_MANAGER, end_date__isnull=True
        ).order_by("account_id", "pk")
        for account_id, user_id in members.values_list("account_id", "user_id"):
            managers.setdefault(account_id, user_id)
        latest = portfolio.months[-1] if portfolio.months else None
        facts = FinancialFact._base_manager.filter(account_id__in=chunk, month=latest).order_by("account_id", "pk")
        for account_id, line in facts.values_list("account_id", "product_line"):
            lines.setdefault(account_id, line)
    return names, industries, managers, lines


@step("plans.account_plans", order=200)
def account_plans(ctx):
    rng = ctx.rng("plans.account_plans")
    portfolio = ctx.shared["accounts"]
    random, randint, choice, uniform, sample = rng.random, rng.randint, rng.choice, rng.uniform, rng.sample
    lineage = _lineage_maker(rng)
    today = ctx.now.date()
    year = ctx.as_of.year  # this year's plan; the plans start last year
    start_year = year - 1
    local = {"EUR": 1.0} | {c: float(r) for c, r in RATES.items()}
    offering_ids, new_offerings = _offerings(ctx, ctx.now)
    offering_names = [name for name, _, _ in OFFERINGS]

    keys = [a for a in portfolio.accounts if a.is_key]
    by_root = defaultdict(list)
    for account in portfolio.accounts:
        by_root[account.group_root].append(account)
    subtree_rows = {}
    for key in keys:
        members = sorted(
            (a for a in by_root[key.group_root] if a.tree_path.startswith(key.tree_path)), key=lambda a: a.tree_path
        )
        subtree_rows[key.id] = members[: SUBSIDIARY_ROWS + 1]  # the key account first: its path is the prefix
    group_size = {key.id: sum(a.size for a in by_root[key.group_root] if a.tree_path.startswith(key.tree_path))
                  for key in keys}  # fmt: skip
    member_ids = sorted({a.id for rows in subtree_rows.values() for a in rows})
    names, industries, managers, lines = _account_facts(portfolio, [k.id for k in keys], member_ids)

    tables = {model: Table(model) for model in FIELDS if model is not Offering}
    used_cells = set()  # (account, business unit, offering): a subsidiary key account under another shares rows

    def moment(day: dt.date, hour: int = 9) -> dt.datetime:
        when = dt.datetime(day.year, day.month, day.day, hour, randint(0, 59), tzinfo=dt.UTC)
        return min(when, ctx.now - dt.timedelta(hours=1))

    def day_in(y: int, first_month: int = 1, last_month: int = 12) -> dt.date:
        return dt.date(y, randint(first_month, last_month), randint(1, 28))

    def plan_for(key):
        kam = managers.get(key.id, key.owner_id)
        industry = industries.get(key.id, "")
        name = names.get(key.id, key.number)
        currency = key.currency
        size = group_size[key.id]  # EUR a month, the whole subtree
        revenue = size * 12
        horizon = randint(3, 5)
        periods = list(range(start_year, start_year + horizon))
        competitor = choice(COMPETITORS)
        plan = tables[AccountPlan].add(
            created_at=moment(dt.date(start_year, 1, randint(2, 20))),
            account_id=key.id,
            title=f"{name} account plan",
            start_year=start_year,
            horizon_years=horizon,
            created_by_id=kam,
        )
        plan["updated_at"] = plan["created_at"]

        # -- whitespace: the key account, its first subsidiaries and its business units
        cells = []  # this plan's cells, for the opportunities

        def add_cell(account_id, unit_id, offering, status, value, *, created):
            if (account_id, unit_id, offering) in used_cells:
                return None
            used_cells.add((account_id, unit_id, offering))
            cell = tables[WhitespaceCell].add(
                created_at=created,
                updated_at=created,
                account_id=account_id,
                business_unit_id=unit_id,
                offering_id=offering_ids[offering],
                status=status,
                annual_value=None if status == CellStatus.NONE or value is None else money(int(value) * 100),
                competitor=choice(COMPETITORS) if status == CellStatus.COMPETITOR else "",
                note="",
            )
            cell["offering"] = offering
            cell["where"] = names.get(account_id, "") if unit_id is None else unit_names[unit_id]
            cells.append(cell)
            return cell

        created = moment(dt.date(start_year, 1, randint(21, 28)))
        unit_names = {}
        owned = OFFERING_OF_LINE.get(lines.get(key.id, ""))
        for position, member in enumerate(subtree_rows[key.id]):
            share = 0.75 if position == 0 else 0.35
            for offering in offering_names:
                if offering == owned and position == 0:
                    add_cell(member.id, None, offering, CellStatus.WON, size * 12 * uniform(0.3, 0.6), created=created)
                elif random() < share:
                    status = rng.choices(
                        [CellStatus.POTENTIAL, CellStatus.WON, CellStatus.COMPETITOR, CellStatus.NONE], [40, 25, 20, 15]
                    )[0]
                    add_cell(member.id, None, offering, status, member.size * 12 * uniform(0.05, 0.4), created=created)
        for unit_name in sample(BUSINESS_UNITS, randint(0, 3)):
            unit = tables[BusinessUnit].add(created_at=created, updated_at=created, account_id=key.id, name=unit_name)
            unit_names[unit["id"]] = unit_name
            for offering in sample(offering_names, randint(2, 5)):
                status = rng.choices([CellStatus.POTENTIAL, CellStatus.WON, CellStatus.COMPETITOR], [50, 30, 20])[0]
                add_cell(key.id, unit["id"], offering, status, size * 12 * uniform(0.02, 0.15), created=created)
        open_cells = [c for c in cells if c["status"] in (CellStatus.NONE, CellStatus.POTENTIAL)]

        # -- the versions' life: version 1 for last year, version 2 (if any) for this year
        draw = random()
        two_versions = draw < TWO_VERSIONS
        v1_status = VersionStatus.APPROVED if draw < TWO_VERSIONS + ONLY_APPROVED else VersionStatus.IN_REVIEW
        v2_status = rng.choices([s for s, _ in V2_STATUSES], [w for _, w in V2_STATUSES])[0] if two_versions else None
        v1_created = moment(dt.date(start_year, 1, randint(2, 28)))
        v1_submitted = v1_created + dt.timedelta(days=randint(5, 30), hours=randint(1, 8))
        v1_approved = v1_submitted + dt.timedelta(days=randint(1, 14), hours=randint(1, 6))

        # -- version 1's content
        what, pressure = INDUSTRY_TEXT.get(industry, DEFAULT_TEXT)
        subsidiaries = len(by_root[key.group_root]) - 1
        sector = industry.lower() or "industrial"
        if subsidiaries >= 10:
            profile = f"a global {sector} group with {subsidiaries} subsidiaries and plants"
        elif subsidiaries:
            profile = f"an international {sector} group with {subsidiaries} subsidiaries"
        else:
            profile = f"a {sector} company run from one head office"
        text = {
            "situation": (
                f"**{name}** is {profile} that {what}. "
                f"Its agenda for {start_year} is driven by {pressure}.\n\n"
                + _bullets(
                    [
                        f"We sell {owned or 'across our range'} today, about EUR {revenue / 1e6:,.1f} million a year.",
                        f"Purchasing is {choice(['central', 'regional', 'per plant'])}; "
                        f"decisions above EUR 250,000 go to the board.",
                    ]
                )
            ),
            "swot_strengths": _bullets(sample(STRENGTHS, randint(2, 3))),
            "swot_weaknesses": _bullets(sample(WEAKNESSES, randint(1, 3))),
            "swot_opportunities": _bullets(sample(OPPORTUNITIES, randint(2, 3))),
            "swot_threats": _bullets(t.format(competitor=competitor) for t in sample(THREATS, randint(1, 3))),
            "competitors": _bullets(
                f"**{c}**: {choice(COMPETITOR_POSITIONS)}"
                for c in [competitor, *sample([c for c in COMPETITORS if c != competitor], randint(0, 2))]
            ),
            "value_proposition": _bullets(sample(VALUE_POINTS, randint(2, 3))),
        }
        v1 = tables[PlanVersion].add(
            created_at=v1_created,
            plan_id=plan["id"],
            account_id=key.id,
            year=start_year,
            number=1,
            status=v1_status,
            **text,
            tco_alternative=choice(["The client's current solution", f"{competitor}'s offer", "Doing it in-house"]),
            tco_years=choice([3, 3, 5]),
            review_note="",
            created_by_id=kam,
            submitted_at=v1_submitted,
            approved_by_id=portfolio.lead_user_id if v1_status == VersionStatus.APPROVED else None,
            approved_at=v1_approved if v1_status == VersionStatus.APPROVED else None,
            reviewed_at=None,
        )
        # create, text written, submitted (and approved) — each a save
        v1["version"] = 4 if v1_status == VersionStatus.APPROVED else 3
        v1["updated_at"] = v1_approved if v1_status == VersionStatus.APPROVED else v1_submitted
        if v1_status == VersionStatus.APPROVED and not two_versions and random() < 0.6:
            v1["reviewed_at"] = moment(today - dt.timedelta(days=randint(5, 160)))
            v1["version"] += 1
            v1["updated_at"] = v1["reviewed_at"]

        rows = {model: [] for model in ITEM_MODELS}  # version 1's rows

        def item(model, version, when, **values):
            row = tables[model].add(
                created_at=when,
                updated_at=when,
                plan_version_id=version["id"],
                account_id=key.id,
                lineage=lineage(),
                **values,
            )
            return row

        def add_kpis(version, objective, when, *, ours, rows_out):
            for _ in range(1 if random() < 0.5 else 2):
                if ours and random() < 0.6:
                    metric, label, unit = choice(COMPUTED_KPIS)
                    source, direction = KPISource.COMPUTED, Direction.HIGHER
                    if metric == ComputedMetric.REVENUE_T12M:
                        baseline, step_ = revenue, revenue * uniform(0.03, 0.1)
                    elif metric == ComputedMetric.GROSS_PROFIT_T12M:
                        baseline = revenue * uniform(0.2, 0.4)
                        step_ = baseline * uniform(0.03, 0.1)
                    elif metric == ComputedMetric.SHARE_OF_WALLET:
                        baseline, step_ = uniform(12, 35), uniform(1, 3)
                    else:
                        baseline, step_ = uniform(1, 6), uniform(0, 1)
                    computed = metric
                else:
                    label, unit, direction, (low, high), step_ = choice(ENTERED_KPIS)
                    source, computed = KPISource.ENTERED, ""
                    baseline = uniform(low, high)
                    step_ = step_ * uniform(0.5, 1.5)
                kpi = item(
                    PlanKPI,
                    version,
                    when,
                    objective_id=objective["id"],
                    metric=label,
                    unit=unit,
                    direction=direction,
                    baseline=_decimal(round(baseline, 2)),
                    source=source,
                    computed_metric=computed,
                )
                rows_out[PlanKPI].append(kpi)
                for index, period in enumerate(periods):
                    target = max(0.0, baseline + step_ * (index + 1))
                    rows_out[KPITarget].append(
                        item(
                            KPITarget,
                            version,
                            when,
                            kpi_id=kpi["id"],
                            period=period,
                            target=_decimal(round(target, 2)),
                            actual=None,
                        )
                    )

        when = v1_created + dt.timedelta(days=1)
        offering_choices = [o for o in offering_names if o != owned] or offering_names
        goals = []
        for text_ in sample(CLIENT_GOALS, 2):
            title = text_.format(p=randint(5, 20), q=randint(92, 99), n=randint(3, 12))
            goal = item(
                Objective,
                v1,
                when,
                side=ObjectiveSide.CLIENT,
                title=title,
                specific=f"{name} wants to {title[0].lower()}{title[1:]}.",
                measurable="Tracked in their monthly operations report.",
                achievable="",
                relevant=f"Part of their answer to {pressure}.",
                time_bound=f"By the end of {periods[-1]}.",
                due_date=dt.date(periods[-1], 12, 31).isoformat(),
                linked_objective_id=None,
                achieved=None,
                external_id="",
            )
            goals.append(goal)
            rows[Objective].append(goal)
            add_kpis(v1, goal, when, ours=False, rows_out=rows)
        ours_list = []
        for index, text_ in enumerate(sample(OUR_GOALS, randint(2, 3))):
            title = text_.format(
                p=randint(4, 12), q=randint(25, 45), n=randint(2, 5), offering=choice(offering_choices)
            )
            ours = item(
                Objective,
                v1,
                when,
                side=ObjectiveSide.OURS,
                title=title,
                specific=f"{title}.",
                measurable="See the KPIs below.",
                achievable="Agreed with the executive sponsor.",
                relevant=f"Serves their goal: {goals[index % 2]['title']}.",
                time_bound=f"Reviewed every quarter; due end of {start_year}.",
                due_date=dt.date(start_year, 12, 31).isoformat(),
                linked_objective_id=goals[index % 2]["id"],
                achieved=None,
                external_id="",
            )
            ours_list.append(ours)
            rows[Objective].append(ours)
            add_kpis(v1, ours, when, ours=True, rows_out=rows)
        for text_ in sample(ACTIONS, randint(3, 4)):
            rows[Action].append(
                item(
                    Action,
                    v1,
                    when,
                    title=text_.format(offering=choice(offering_choices)),
                    owner_id=kam,
                    due_date=day_in(start_year, 2, 12).isoformat(),
                    status=ActionStatus.OPEN if random() < 0.8 else ActionStatus.IN_PROGRESS,
                    objective_id=choice(ours_list)["id"] if random() < 0.6 else None,
                )
            )
        for category in sample(list(RiskCategory), randint(2, 4)):
            rows[Risk].append(
                item(
                    Risk,
                    v1,
                    when,
                    title=choice(RISKS[category]).format(competitor=competitor),
                    category=category,
                    likelihood=randint(1, 5),
                    impact=randint(1, 5),
                    mitigation=choice(MITIGATIONS),
                    owner_id=kam,
                    status=RiskStatus.OPEN,
                )
            )
        linked_cells = sample(open_cells, min(len(open_cells), randint(0, 2)))

        def add_opportunity(version, when, *, cell=None, stage=None, close_year=start_year):
            kind = choice(list(OpportunityKind))
            stage = stage or choice(OPEN_STAGES)
            low, high = STAGE_PROBABILITY[stage]
            offering = cell["offering"] if cell else choice(offering_choices)
            where = cell["where"] if cell else (choice(list(unit_names.values())) if unit_names else "")
            value = revenue * uniform(0.02, 0.15) * local[currency]
            row = item(
                Opportunity,
                version,
                when,
                title=OPPORTUNITY_TITLES[kind].format(offering=offering, where=where or name),
                kind=kind,
                offering=offering,
                business_unit=where,
                value=money(int(round(value, -3)) * 100),
                currency=currency,
                probability=randint(low, high),
                stage=stage,
                cell_id=cell["id"] if cell else None,
                expected_close=day_in(close_year, 3, 12).isoformat(),
                next_step=choice(NEXT_STEPS) if stage not in (OpportunityStage.WON, OpportunityStage.LOST) else "",
            )
            if cell is not None:
                _fill_cell(cell, stage)
                if cell["annual_value"] is None:  # the team valued the cell it now pursues (one more save)
                    cell.update(annual_value=money(int(round(value / local[currency], -3)) * 100))
                    cell["version"] += 1
            return row

        for cell in linked_cells:
            rows[Opportunity].append(add_opportunity(v1, when, cell=cell))
        for _ in range(randint(max(0, 2 - len(linked_cells)), 4 - len(linked_cells))):
            rows[Opportunity].append(add_opportunity(v1, when))
        for label, cost_kind, indirect in sample(TCO_ITEMS, randint(0, 4)):
            alternative = revenue * uniform(0.01, 0.08) * local[currency]
            rows[TCOLine].append(
                item(
                    TCOLine,
                    v1,
                    when,
                    item=label,
                    cost_kind=cost_kind,
                    indirect=indirect,
                    alternative_cost=money(int(round(alternative, -2)) * 100),
                    our_cost=money(int(round(alternative * uniform(0.6, 1.05), -2)) * 100),
                )
            )
        if not two_versions:
            return

        # -- version 2: next year's clone of version 1 (`start_next_year`), then edited
        v2_created = moment(dt.date(year, 1, randint(2, 31)))
        v2 = tables[PlanVersion].add(
            created_at=v2_created,
            updated_at=v2_created,
            plan_id=plan["id"],
            account_id=key.id,
            year=year,
            number=2,
            status=v2_status,
            **{name_: v1[name_] for name_ in (*text, "tco_alternative", "tco_years")},
            review_note="",
            created_by_id=kam,
            submitted_at=None,
            approved_by_id=None,
            approved_at=None,
            reviewed_at=None,
        )
        copies = _clone(tables, rows, v2, v2_created)
        edited = v2_created + dt.timedelta(days=randint(1, 10))

        def edit(row, **values):
            row.update(values, updated_at=edited)
            row["version"] += 1

        # the text: a new year's situation, and some sections rewritten
        v2["situation"] = (
            f"{v1['situation']}\n\n**{year} update:** {choice(OPPORTUNITIES)} "
            f"Revenue with us moved {uniform(-4, 12):+.1f} % last year."
        )
        if random() < 0.5:
            v2["swot_threats"] = _bullets(t.format(competitor=competitor) for t in sample(THREATS, randint(1, 3)))
        if random() < 0.4:
            v2["value_proposition"] = f"{v1['value_proposition']}\n- {choice(VALUE_POINTS)}"
        v2["version"] += 1
        # last year's objectives evaluated, last year's actuals entered, last year's actions closed
        for row in copies[Objective]:
            if random() < 0.6:
                edit(row, achieved=random() < 0.7)
        kpi_source = {k["id"]: k["source"] for k in copies[PlanKPI]}
        for row in copies[KPITarget]:
            if row["period"] == start_year and kpi_source[row["kpi_id"]] == KPISource.ENTERED and random() < 0.8:
                edit(row, actual=_decimal(round(float(row["target"]) * uniform(0.85, 1.12), 2)))
        for row in copies[Action]:
            draw = random()
            if draw < 0.65:
                edit(row, status=ActionStatus.DONE)
            elif draw < 0.75:
                edit(row, status=ActionStatus.CANCELLED)
        for row in copies[Risk]:
            draw = random()
            if draw < 0.3:
                edit(row, likelihood=randint(1, 5), impact=randint(1, 5))
            elif draw < 0.45:
                edit(row, status=choice([RiskStatus.MITIGATED, RiskStatus.CLOSED]))
        for row in copies[Opportunity]:
            if row["stage"] in (OpportunityStage.WON, OpportunityStage.LOST):
                continue
            draw = random()
            if draw < 0.3:
                stage = OPEN_STAGES[min(OPEN_STAGES.index(row["stage"]) + 1, len(OPEN_STAGES) - 1)]
            elif draw < 0.5:
                stage = OpportunityStage.WON
            elif draw < 0.6 and row["cell_id"] is None:  # a lost opportunity would leave its cell in the pipeline
                stage = OpportunityStage.LOST
            else:
                continue
            low, high = STAGE_PROBABILITY[stage]
            closed = stage in (OpportunityStage.WON, OpportunityStage.LOST)
            edit(row, stage=stage, probability=randint(low, high), next_step="" if closed else row["next_step"])
            if row["cell_id"] is not None:
                _fill_cell(next(c for c in cells if c["id"] == row["cell_id"]), stage)
        for row in copies[TCOLine]:
            if random() < 0.3:
                edit(row, our_cost=money(int(float(row["our_cost"]) * uniform(0.9, 0.98)) * 100))
        # and new rows for this year
        for text_ in sample(ACTIONS, randint(1, 2)):
            due = day_in(year, 2, 12)
            status = ActionStatus.OPEN
            if due < today:
                status = rng.choices([ActionStatus.DONE, ActionStatus.OPEN, ActionStatus.IN_PROGRESS], [60, 25, 15])[0]
            item(
                Action,
                v2,
                edited,
                title=text_.format(offering=choice(offering_choices)),
                owner_id=kam,
                due_date=due.isoformat(),
                status=status,
                objective_id=choice(copies[Objective][2:])["id"] if random() < 0.5 else None,
            )
        if random() < 0.6:
            category = choice(list(RiskCategory))
            item(
                Risk,
                v2,
                edited,
                title=choice(RISKS[category]).format(competitor=competitor),
                category=category,
                likelihood=randint(1, 5),
                impact=randint(1, 5),
                mitigation=choice(MITIGATIONS),
                owner_id=kam,
                status=RiskStatus.OPEN,
            )
        still_open = [c for c in open_cells if c["status"] in (CellStatus.NONE, CellStatus.POTENTIAL)]
        for _ in range(randint(0, 2)):
            cell = choice(still_open) if still_open and random() < 0.4 else None
            if cell is not None:
                still_open.remove(cell)
            add_opportunity(v2, edited, cell=cell, close_year=year + randint(0, 1))
        v2["updated_at"] = edited
        # the workflow: submitted, approved (superseding version 1) or returned with a note
        submitted = edited + dt.timedelta(days=randint(3, 40), hours=randint(1, 8))
        if v2_status == VersionStatus.IN_REVIEW or v2_status == VersionStatus.APPROVED:
            v2.update(submitted_at=submitted, updated_at=submitted)
            v2["version"] += 1
        if v2_status == VersionStatus.APPROVED:
            approved = submitted + dt.timedelta(days=randint(1, 14), hours=randint(1, 6))
            v2.update(approved_by_id=portfolio.lead_user_id, approved_at=approved, updated_at=approved)
            v2["version"] += 1
            v1.update(status=VersionStatus.SUPERSEDED, updated_at=approved)
            v1["version"] += 1
            if random() < 0.6:
                v2["reviewed_at"] = moment(today - dt.timedelta(days=randint(5, 160)))
                v2["version"] += 1
                v2["updated_at"] = max(v2["updated_at"], v2["reviewed_at"])
        elif v2_status == VersionStatus.DRAFT and random() < RETURNED_SHARE:
            v2.update(submitted_at=submitted, review_note=choice(RETURN_NOTES), updated_at=submitted)
            v2["version"] += 2  # submitted, then returned to draft

    for key in keys:
        plan_for(key)
    counts = {"offerings": new_offerings}
    write_moment = _moment_writer(ctx)
    for model, label in LABELS.items():
        counts[label] = ctx.insert(model, FIELDS[model], tables[model].tuples(write_moment))
    return counts


def _fill_cell(cell: dict, stage: str) -> None:
    """What `services._fill_cell` does to a linked cell: an open opportunity puts a cell with nothing (or only
    potential) in the pipeline, a won one wins it; each change is a save."""
    if stage == OpportunityStage.WON:
        status = CellStatus.WON
    elif stage not in (OpportunityStage.WON, OpportunityStage.LOST) and cell["status"] in (
        CellStatus.NONE,
        CellStatus.POTENTIAL,
    ):
        status = CellStatus.PIPELINE
    else:
        return
    if cell["status"] != status:
        cell["status"] = status
        cell["version"] += 1


def _clone(tables: dict, rows: dict, new: dict, when: dt.datetime) -> dict:
    """Version 1's rows copied into `new` as `services._clone_rows` copies them: same values and lineage, links
    remapped to the copies (an objective linked to another is saved twice, so its counter is 2)."""
    copies = {model: [] for model in ITEM_MODELS}
    remapped = {model: {} for model in ITEM_MODELS}
    links = {Objective: "linked_objective_id", PlanKPI: "objective_id", KPITarget: "kpi_id", Action: "objective_id"}
    parents = {"linked_objective_id": Objective, "objective_id": Objective, "kpi_id": PlanKPI}
    for model in ITEM_MODELS:
        for row in rows[model]:
            values = {k: v for k, v in row.items() if k not in ("id", "version", "created_at", "updated_at")}
            values.update(plan_version_id=new["id"], created_at=when, updated_at=when)
            link = links.get(model)
            if link and values[link] is not None:
                values[link] = remapped[parents[link]][values[link]]
            copy = tables[model].add(**values)
            if model is Objective and copy["linked_objective_id"] is not None:
                copy["version"] = 2
            remapped[model][row["id"]] = copy["id"]
            copies[model].append(copy)
    return copies
