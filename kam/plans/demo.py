"""The account plans' part of the demo company (`make demo`), written through the services so that the audit log
and the activity feeds show every step:

- an offering catalogue of eight entries (the whitespace columns);
- the first demo manager's (kam1) main key account: a rich plan — version 1 for last year, approved by the programme
  lead, and version 2 for this year, a draft started from it with changes in several sections (so "compare versions"
  has something to show): client goals and ours, a computed KPI (T12M revenue) and an entered one, an overdue action,
  risks spread over the heat map, opportunities (one filling a whitespace cell), TCO lines; and a whitespace matrix
  over its subsidiaries and two business units;
- smaller plans in other states: one in review waiting for the programme lead, one approved, one draft; the other
  key accounts have no plan yet, so the empty state shows too.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kam.accounts import figures
from kam.accounts.models import Account
from kam.core.context import acting_as
from kam.plans import services, whitespace
from kam.plans.choices import CellStatus, VersionStatus
from kam.plans.generate import OFFERINGS
from kam.plans.models import AccountPlan, Action, KPITarget, Objective, Offering, Opportunity, PlanKPI, Risk, TCOLine

CATALOGUE = OFFERINGS[:8]


def _say(stdout, text):
    if stdout is not None:
        stdout.write(text)


def generate(stdout=None) -> bool:
    """Idempotent: does nothing when a plan exists already or there is no demo manager with key accounts."""
    if AccountPlan.objects.exists():
        return False
    users = get_user_model().objects
    manager = users.filter(email="kam1@example.com").first()
    lead = users.filter(email="lead@example.com").first() or users.filter(role="programme_lead").first()
    if manager is None or lead is None:
        return False
    mine = list(Account.objects.filter(is_key_account=True, owner=manager).order_by("name"))
    if not mine:
        return False
    others = list(Account.objects.filter(is_key_account=True).exclude(owner=manager).order_by("name"))
    _say(stdout, "Account plans: a rich plan with two versions, plans in review, approved and draft, whitespace…")
    year = timezone.localdate().year
    with transaction.atomic():
        with acting_as(lead, source="cli"):
            offerings = _catalogue()
        _rich_plan(mine[0], manager, lead, offerings, year)
        if len(mine) > 1:  # waiting for the lead's approval
            _small_plan(mine[1], manager, lead, year, VersionStatus.IN_REVIEW)
        # mine[2:] keep no plan: kam1 sees the empty state next to the plans
        for account, status in zip(
            others, [VersionStatus.APPROVED, VersionStatus.DRAFT, VersionStatus.IN_REVIEW], strict=False
        ):
            owner = users.get(pk=account.owner_id) if account.owner_id else manager
            _small_plan(account, owner, lead, year, status)
    return True


def _catalogue() -> dict:
    offerings = {}
    for position, (name, category, description) in enumerate(CATALOGUE, start=1):
        offering = Offering.objects.filter(name=name).first()
        if offering is None:
            offering = Offering.objects.create(
                name=name, category=category, description=description, position=position * 10
            )
        offerings[name] = offering
    return offerings


def _revenue(account: Account, year: int) -> Decimal:
    """Last year's T12M revenue of the account's group (EUR), the computed KPI's baseline."""
    as_of = services.as_of_month(year)
    if as_of is None:
        return Decimal("1000000")
    result = figures.subtree_figures(account, as_of=as_of)
    return (result.revenue_t12m_rounded or Decimal("1000000")).quantize(Decimal("1"))


def _targets(version, kpi, user, plan, baseline: Decimal, step: Decimal, actuals: dict | None = None):
    for index, period in enumerate(range(plan.start_year, plan.end_year + 1), start=1):
        data = {"kpi": kpi, "period": period, "target": baseline + step * index}
        if actuals and period in actuals:
            data["actual"] = actuals[period]
        services.save_item(version, "target", data, user)


def _rich_plan(account: Account, manager, lead, offerings: dict, year: int):
    today = timezone.localdate()
    last_year = year - 1
    currency = account.currency
    revenue = _revenue(account, last_year)
    with acting_as(manager, source="cli"):
        plan = services.create_plan(account, manager, last_year, horizon_years=4)
        v1 = plan.versions.get()
        services.update_version(
            v1,
            {
                "situation": f"**{account.name}** runs plants in several countries and buys components and "
                "spare parts from us through regional purchasing. The group wants fewer suppliers and one contact "
                "for all sites.\n\n"
                f"- About EUR {revenue / 1_000_000:,.1f} million a year with us (T12M).\n"
                "- Central procurement is being set up; decisions above EUR 250,000 go to the board.",
                "swot_strengths": "- Trusted by the plant managers\n- Framework agreement until the end of the plan",
                "swot_weaknesses": "- Little contact with central procurement\n- Prices above the low-cost offers",
                "swot_opportunities": "- Supplier consolidation\n- Two new plants opening next year",
                "swot_threats": "- Atlas Industrial bundles equipment with a cheap service contract",
                "competitors": "- **Atlas Industrial**: holds the service contract of the largest site\n"
                "- **Norda Technik**: cheaper on standard parts",
                "value_proposition": "- One partner from spare parts to service\n"
                "- Parts within 24 hours at every site\n- Lower total cost of ownership",
                "tco_alternative": "Atlas Industrial's service bundle",
            },
            manager,
        )
        # Whitespace: the account, its subsidiaries and two business units of its own.
        units = [
            whitespace.add_business_unit(account, account, name, manager) for name in ("Aftermarket", "Operations")
        ]
        subsidiaries = list(account.subtree().exclude(pk=account.pk).order_by("tree_path")[:4])
        statuses = [CellStatus.WON, CellStatus.POTENTIAL, CellStatus.COMPETITOR, CellStatus.POTENTIAL, CellStatus.NONE]
        cells = {}
        for row, part in enumerate([account, *subsidiaries]):
            for column, name in enumerate(list(offerings)[:6]):
                status = statuses[(row + column) % len(statuses)]
                data = {"status": status, "annual_value": Decimal(40_000 + 15_000 * ((row * 7 + column * 3) % 9))}
                if status == CellStatus.COMPETITOR:
                    data["competitor"] = "Atlas Industrial"
                if status == CellStatus.NONE:
                    data.pop("annual_value")
                cells[(part.pk, None, name)] = whitespace.save_cell(account, part, offerings[name], data, manager)
        for unit, names in zip(
            units, [("Spare parts", "Field service", "Training"), ("Systems", "Components")], strict=True
        ):
            for index, name in enumerate(names):
                status = [CellStatus.POTENTIAL, CellStatus.WON, CellStatus.COMPETITOR][index % 3]
                data = {"status": status, "annual_value": Decimal(60_000 + 20_000 * index)}
                if status == CellStatus.COMPETITOR:
                    data["competitor"] = "Norda Technik"
                cells[(account.pk, unit.pk, name)] = whitespace.save_cell(
                    account, account, offerings[name], data, manager, business_unit=unit
                )
        potential = [c for c in cells.values() if c.status == CellStatus.POTENTIAL]

        def add(row_kind, /, **data):
            return services.save_item(v1, row_kind, data, manager)

        sole = add(
            "objective",
            side="client",
            title="Consolidate the supplier base to five strategic partners",
            specific="Procurement wants five strategic suppliers for maintenance parts and services.",
            time_bound=f"By the end of {year + 1}.",
            due_date=dt.date(year + 1, 12, 31),
        )
        uptime = add(
            "objective",
            side="client",
            title="Raise equipment availability to 97 %",
            measurable="Availability in their monthly operations report.",
            due_date=dt.date(year, 12, 31),
        )
        grow = add(
            "objective",
            side="ours",
            title="Grow revenue with the group by 8 % a year",
            linked_objective=sole,
            specific="Win the maintenance contract and the spare parts of the two new plants.",
            measurable="T12M revenue, computed from the portfolio figures.",
            achievable="Agreed with the sponsor.",
            due_date=dt.date(last_year, 12, 31),
        )
        serve = add(
            "objective",
            side="ours",
            title="Deliver 98 % of spare parts on time",
            linked_objective=uptime,
            due_date=dt.date(last_year, 12, 31),
        )
        revenue_kpi = add(
            "kpi",
            objective=grow,
            metric="Revenue T12M",
            unit="EUR",
            baseline=revenue,
            source="computed",
            computed_metric="revenue_t12m",
        )
        _targets(v1, revenue_kpi, manager, plan, revenue, (revenue * Decimal("0.08")).quantize(Decimal("1")))
        on_time = add("kpi", objective=serve, metric="On-time delivery", unit="%", baseline=Decimal("91.5"))
        _targets(v1, on_time, manager, plan, Decimal("91.5"), Decimal("2"))
        downtime = add(
            "kpi",
            objective=uptime,
            metric="Unplanned downtime",
            unit="h/month",
            direction="lower",
            baseline=Decimal("42"),
        )
        _targets(v1, downtime, manager, plan, Decimal("42"), Decimal("-6"))
        add(
            "action",
            title="Quarterly business review with procurement",
            owner=manager,
            due_date=dt.date(last_year, 3, 31),
            objective=grow,
        )
        add("action", title="Site visit to the largest plant", owner=manager, due_date=dt.date(last_year, 5, 15))
        add(
            "action",
            title="Send the proposal for the maintenance contract",
            owner=manager,
            due_date=dt.date(last_year, 9, 30),
            objective=grow,
            status="in_progress",
        )
        add(
            "risk",
            title="New CPO reviews all suppliers",
            category="relationship",
            likelihood=4,
            impact=5,
            mitigation="Introduce the CPO to our executive sponsor.",
            owner=manager,
        )
        add(
            "risk",
            title="Price pressure in the annual negotiation",
            category="financial",
            likelihood=5,
            impact=3,
            mitigation="Show the TCO comparison at the next review.",
            owner=manager,
        )
        add(
            "risk",
            title="Capacity bottleneck in the peak season",
            category="operational",
            likelihood=2,
            impact=4,
            mitigation="Safety stock for the critical parts.",
            owner=manager,
        )
        add(
            "risk",
            title="Atlas Industrial offers a bundled service deal",
            category="competitive",
            likelihood=3,
            impact=2,
            mitigation="",
            owner=manager,
        )
        add(
            "risk",
            title="Quality escape reaching their end customers",
            category="reputational",
            likelihood=1,
            impact=5,
            mitigation="Joint quality plan with monthly checks.",
            owner=manager,
            status="mitigated",
        )
        add(
            "opportunity",
            title="Maintenance contract for all plants",
            kind="cross_sell",
            value=Decimal("450000"),
            currency=currency,
            probability=50,
            stage="proposal",
            expected_close=dt.date(year, 6, 30),
            next_step="Present the business case to the COO.",
            cell=potential[0] if potential else None,
        )
        add(
            "opportunity",
            title="Spare parts for the two new plants",
            kind="upsell",
            value=Decimal("180000"),
            currency=currency,
            probability=25,
            stage="qualified",
            expected_close=dt.date(year, 3, 31),
            next_step="Site survey with their engineers.",
        )
        add(
            "opportunity",
            title="Renewal of the framework agreement",
            kind="renewal",
            value=Decimal("900000"),
            currency=currency,
            probability=75,
            stage="negotiation",
            expected_close=dt.date(last_year, 12, 15),
            next_step="Agree the price-adjustment clause.",
        )
        add("tco", item="Purchase price", alternative_cost=Decimal("820000"), our_cost=Decimal("870000"))
        add(
            "tco",
            item="Unplanned downtime",
            indirect=True,
            alternative_cost=Decimal("310000"),
            our_cost=Decimal("120000"),
        )
        add(
            "tco",
            item="Installation and commissioning",
            cost_kind="one_off",
            alternative_cost=Decimal("60000"),
            our_cost=Decimal("45000"),
        )
        services.submit(v1, manager)
    with acting_as(lead, source="cli"):
        services.approve(v1.plan.versions.get(number=1), lead)

    # Version 2: this year's draft, started from the approved plan and changed in several sections.
    with acting_as(manager, source="cli"):
        v2 = services.start_next_year(plan, manager)
        services.update_version(
            v2,
            {
                "situation": f"{v2.situation}\n\n**{year} update:** central procurement is in place; the framework "
                "agreement was renewed for three years.",
                "swot_threats": "- Atlas Industrial bundles equipment with a cheap service contract\n"
                "- Budget freeze announced for non-critical spend",
            },
            manager,
        )
        rows = {
            kind: {row.title: row for row in model.objects.filter(plan_version=v2)}
            for kind, model in (
                ("objective", Objective),
                ("action", Action),
                ("risk", Risk),
                ("opportunity", Opportunity),
            )
        }

        def change(row_kind, row, /, **data):
            return services.save_item(v2, row_kind, data, manager, item=row)

        change("objective", rows["objective"]["Deliver 98 % of spare parts on time"], achieved=False)
        change("objective", rows["objective"]["Grow revenue with the group by 8 % a year"], achieved=True)
        on_time_v2 = PlanKPI.objects.get(plan_version=v2, metric="On-time delivery")
        last = KPITarget.objects.get(plan_version=v2, kpi=on_time_v2, period=last_year)
        services.save_item(v2, "target", {"actual": Decimal("92.8")}, manager, item=last)
        for title in ("Quarterly business review with procurement", "Site visit to the largest plant"):
            change("action", rows["action"][title], status="done")
        change("action", rows["action"]["Send the proposal for the maintenance contract"], status="done")
        services.save_item(
            v2,
            "action",
            {
                "title": "Workshop on remote monitoring with the engineering team",
                "owner": manager,
                "due_date": today - dt.timedelta(days=14),
                "objective": rows["objective"]["Grow revenue with the group by 8 % a year"],
            },
            manager,
        )
        services.save_item(
            v2,
            "action",
            {
                "title": "Executive sponsor meeting with their COO",
                "owner": manager,
                "due_date": today + dt.timedelta(days=30),
            },
            manager,
        )
        change("risk", rows["risk"]["New CPO reviews all suppliers"], likelihood=2, status="mitigated")
        services.delete_item(v2, rows["risk"]["Capacity bottleneck in the peak season"], manager)
        services.save_item(
            v2,
            "risk",
            {
                "title": "Budget freeze for non-critical spend",
                "category": "financial",
                "likelihood": 3,
                "impact": 3,
                "mitigation": "Phase the retrofit over two budget years.",
                "owner": manager,
            },
            manager,
        )
        change(
            "opportunity",
            rows["opportunity"]["Renewal of the framework agreement"],
            stage="won",
            probability=100,
            next_step="",
        )
        change(
            "opportunity",
            rows["opportunity"]["Maintenance contract for all plants"],
            stage="negotiation",
            probability=70,
        )
        open_cells = [c for c in potential[1:] if c.status == CellStatus.POTENTIAL]
        services.save_item(
            v2,
            "opportunity",
            {
                "title": "Training programme for the maintenance teams",
                "kind": "cross_sell",
                "value": Decimal("75000"),
                "currency": currency,
                "probability": 10,
                "stage": "identified",
                "expected_close": dt.date(year + 1, 3, 31),
                "next_step": "Call the plant manager.",
                "cell": open_cells[0] if open_cells else None,
            },
            manager,
        )
        purchase = TCOLine.objects.get(plan_version=v2, item="Purchase price")
        services.save_item(v2, "tco", {"our_cost": Decimal("845000")}, manager, item=purchase)


def _small_plan(account: Account, owner, lead, year: int, status: str):
    """A short plan for last year (`status`: draft, in review or approved) and, when approved, nothing more."""
    revenue = _revenue(account, year - 1)
    with acting_as(owner, source="cli"):
        plan = services.create_plan(account, owner, year - 1, horizon_years=3)
        version = plan.versions.get()
        services.update_version(
            version,
            {
                "situation": f"{account.name} buys mainly components from us; its regional plants order separately.",
                "swot_strengths": "- Reliable deliveries",
                "swot_threats": "- Low-cost entrant in the next tender",
                "value_proposition": "- One contact for all plants",
            },
            owner,
        )

        def add(row_kind, /, **data):
            return services.save_item(version, row_kind, data, owner)

        goal = add("objective", side="client", title="Shorten order-to-delivery lead time to 10 days")
        ours = add("objective", side="ours", title="Grow revenue with the group by 5 % a year", linked_objective=goal)
        kpi = add(
            "kpi",
            objective=ours,
            metric="Revenue T12M",
            unit="EUR",
            baseline=revenue,
            source="computed",
            computed_metric="revenue_t12m",
        )
        _targets(version, kpi, owner, plan, revenue, (revenue * Decimal("0.05")).quantize(Decimal("1")))
        add(
            "action",
            title="Quarterly business review with procurement",
            owner=owner,
            due_date=dt.date(year - 1, 6, 30),
            objective=ours,
        )
        add(
            "risk",
            title="Low-cost entrant in the next tender",
            category="competitive",
            likelihood=3,
            impact=4,
            mitigation="Show the total cost of ownership.",
            owner=owner,
        )
        add(
            "opportunity",
            title="Spare parts for the regional plants",
            kind="upsell",
            value=Decimal("120000"),
            currency=account.currency,
            probability=25,
            stage="qualified",
            expected_close=dt.date(year, 6, 30),
            next_step="Send the revised quote.",
        )
        if status != VersionStatus.DRAFT:
            services.submit(version, owner)
    if status == VersionStatus.APPROVED:
        with acting_as(lead, source="cli"):
            services.approve(plan.versions.get(), lead)
    return plan
