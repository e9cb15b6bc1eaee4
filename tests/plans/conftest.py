import datetime as dt
from decimal import Decimal

import pytest

from kam.accounts.choices import TeamRole
from kam.core.roles import Role
from kam.plans import services
from tests import factories

YEAR = 2026


@pytest.fixture
def key_account(portfolio):
    """The own global account, made a key account."""
    account = portfolio.own
    account.is_key_account = True
    account.save()
    return account


@pytest.fixture
def leader(key_account):
    """A key account manager who leads the own account's team."""
    user = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "leader@example.com")
    factories.add_member(key_account, user, TeamRole.TEAM_LEADER)
    return user


@pytest.fixture
def plan(key_account, users):
    return services.create_plan(key_account, users.kam, YEAR, horizon_years=3)


@pytest.fixture
def draft(plan):
    """Version 1 of the plan, a draft."""
    return plan.versions.get()


def add(version, row_kind, user, /, **data):
    return services.save_item(version, row_kind, data, user)


def fill(version, user):
    """A small, complete plan: a client goal, our goal serving it with a KPI and a target, an action, a risk and an
    opportunity. Returns the rows by name."""
    goal = add(version, "objective", user, side="client", title="Cut logistics cost by 10 %")
    ours = add(version, "objective", user, side="ours", title="Become sole logistics supplier", linked_objective=goal)
    kpi = add(
        version, "kpi", user, objective=ours, metric="Revenue T12M", unit="EUR", baseline=Decimal("100"),
        source="computed", computed_metric="revenue_t12m",
    )  # fmt: skip
    target = add(version, "target", user, kpi=kpi, period=YEAR, target=Decimal("150"))
    action = add(
        version, "action", user, title="Workshop with procurement", owner=user, due_date=dt.date(YEAR, 6, 30),
        objective=ours,
    )  # fmt: skip
    risk = add(
        version, "risk", user, title="Competitor discounts", category="competitive", likelihood=3, impact=4,
        mitigation="Value case", owner=user,
    )  # fmt: skip
    opportunity = add(
        version, "opportunity", user, title="Warehousing", kind="cross_sell", offering="Contract logistics",
        business_unit="Europe", value=Decimal("250000"), currency="EUR", probability=40, stage="qualified",
        next_step="Site visit",
    )  # fmt: skip
    tco = add(version, "tco", user, item="Licences", alternative_cost=Decimal("900"), our_cost=Decimal("700"))
    return {
        "tco": tco,
        "goal": goal,
        "ours": ours,
        "kpi": kpi,
        "target": target,
        "action": action,
        "risk": risk,
        "opportunity": opportunity,
    }
