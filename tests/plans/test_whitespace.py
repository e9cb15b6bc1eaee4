"""The whitespace matrix service (kam.plans.whitespace): roll-ups, captured %, share of wallet, cell rules,
concurrency, links from opportunities, and scope."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kam.accounts.choices import TeamRole
from kam.core.roles import Role
from kam.core.services import StaleObject
from kam.plans import services, whitespace
from kam.plans.models import Offering, WhitespaceCell
from tests import factories

D = Decimal


@pytest.fixture
def mapped(portfolio, users):
    """Three levels (Own Group › Own Subsidiary › Own Branch), a business unit under each of the first two, two
    offerings and a cell of each status."""
    own, child = portfolio.own, portfolio.own_child
    own.is_key_account = True
    own.save()
    branch = factories.make_account("Own Branch", parent=child)
    cloud = Offering.objects.create(name="Cloud", position=1)
    consulting = Offering.objects.create(name="Consulting", position=2)
    europe = whitespace.add_business_unit(own, own, "Europe", users.lead)
    retail = whitespace.add_business_unit(own, child, "Retail", users.lead)

    def cell(account, offering, status, value, unit=None, **extra):
        data = {"status": status, "annual_value": D(value) if value is not None else None, **extra}
        return whitespace.save_cell(own, account, offering, data, users.lead, business_unit=unit)

    cells = {
        "own_cloud": cell(own, cloud, "won", "100"),
        "europe_cloud": cell(own, cloud, "pipeline", "50", europe),
        "europe_consulting": cell(own, consulting, "competitor", "30", europe, competitor="Rival"),
        "child_consulting": cell(child, consulting, "potential", "20"),
        "retail_cloud": cell(child, cloud, "won", "40", retail),
        "branch_cloud": cell(branch, cloud, "won", "10"),
        "branch_consulting": cell(branch, consulting, "none", "99"),  # nothing known: its value counts nowhere
    }
    return {"own": own, "child": child, "branch": branch, "cloud": cloud, "consulting": consulting,
            "europe": europe, "retail": retail, "cells": cells}  # fmt: skip


def rows_by_key(matrix):
    return {row.key: row for row in matrix.rows}


def test_totals_roll_up_the_hierarchy_as_computed_by_hand(mapped, users):
    matrix = whitespace.build_matrix(mapped["own"], users.lead)
    rows = rows_by_key(matrix)
    own, child, branch = (rows[f"a{mapped[k].pk}"] for k in ("own", "child", "branch"))
    europe = rows[f"u{mapped['europe'].pk}"]
    assert [row.key for row in matrix.rows] == [
        f"a{mapped['own'].pk}", f"u{mapped['europe'].pk}", f"a{mapped['child'].pk}", f"u{mapped['retail'].pk}",
        f"a{mapped['branch'].pk}",
    ]  # fmt: skip
    assert [row.depth for row in matrix.rows] == [0, 1, 1, 2, 2]
    # Own: its cell (won 100) and Europe's (pipeline 50, competitor 30).
    assert (own.own.won, own.own.open, own.own.competitor, own.own.mapped) == (D(100), D(50), D(30), D(180))
    # Own Subsidiary: potential 20 and Retail's won 40; with Own Branch's won 10 below it.
    assert (child.own.won, child.own.open) == (D(40), D(20))
    assert (child.subtree.won, child.subtree.open, child.subtree.mapped) == (D(50), D(20), D(70))
    assert (branch.subtree.won, branch.subtree.mapped) == (D(10), D(10))
    assert branch.subtree.counts["none"] == 1
    # The whole matrix: won 150, open 70, competitor-held 30.
    assert (own.subtree.won, own.subtree.open, own.subtree.competitor) == (D(150), D(70), D(30))
    assert matrix.total is own.subtree
    assert (europe.own.won, europe.own.open, europe.own.competitor) == (D(0), D(50), D(30))
    cloud, consulting = matrix.columns[mapped["cloud"].pk], matrix.columns[mapped["consulting"].pk]
    assert (cloud.won, cloud.open, cloud.mapped) == (D(150), D(50), D(200))
    assert (consulting.won, consulting.open, consulting.competitor, consulting.mapped) == (D(0), D(20), D(30), D(50))


def test_captured_percent(mapped, users):
    rows = rows_by_key(whitespace.build_matrix(mapped["own"], users.lead))
    assert rows[f"a{mapped['own'].pk}"].subtree.captured_percent == D("60.000000")  # 150 / 250
    assert rows[f"a{mapped['child'].pk}"].subtree.captured_percent == D("71.428571")  # 50 / 70
    assert rows[f"u{mapped['europe'].pk}"].own.captured_percent == D("0.000000")
    assert whitespace.Totals().captured_percent is None


def test_share_of_wallet_per_account_row_with_a_usd_wallet(mapped, users):
    factories.rate("2026-03", "USD", "1.1")
    factories.fact(mapped["own"], "2026-03", 1000, 300)
    factories.fact(mapped["child"], "2026-03", 550, 100, currency="USD")  # 500 EUR
    factories.wallet(mapped["own"], 2026, 11_000, currency="USD")  # 10,000 EUR
    factories.wallet(mapped["child"], 2026, 4_000)
    rows = rows_by_key(whitespace.build_matrix(mapped["own"], users.lead))
    # Own subtree: 1,500 / 14,000; Own Subsidiary's: 500 / 4,000; Own Branch has no wallet: undefined.
    assert rows[f"a{mapped['own'].pk}"].share_of_wallet == D("10.714286")
    assert rows[f"a{mapped['child'].pk}"].share_of_wallet == D("12.500000")
    assert rows[f"a{mapped['branch'].pk}"].share_of_wallet is None
    assert rows[f"u{mapped['europe'].pk}"].share_of_wallet is None


def test_competitor_held_needs_the_competitor_name(mapped, users):
    with pytest.raises(ValidationError) as refused:
        whitespace.save_cell(mapped["own"], mapped["own"], mapped["consulting"], {"status": "competitor"}, users.lead)
    assert "competitor" in refused.value.message_dict
    own_cell = WhitespaceCell.objects.filter(account=mapped["own"], business_unit=None, offering=mapped["consulting"])
    assert not own_cell.exists()


def test_a_stale_cell_edit_is_refused_and_the_first_survives(mapped, users):
    cell = mapped["cells"]["own_cloud"]
    first = whitespace.save_cell(
        mapped["own"], mapped["own"], mapped["cloud"], {"annual_value": D(120)}, users.lead,
        expected_version=cell.version,
    )  # fmt: skip
    with pytest.raises(StaleObject):
        whitespace.save_cell(
            mapped["own"], mapped["own"], mapped["cloud"], {"annual_value": D(5)}, users.kam,
            expected_version=cell.version,
        )  # fmt: skip
    cell.refresh_from_db()
    assert cell.annual_value == D(120) and cell.version == first.version


def test_opportunities_move_their_cell_to_pipeline_then_won(mapped, users):
    plan = services.create_plan(mapped["own"], users.lead, 2026)
    version = plan.versions.get()
    cell = mapped["cells"]["child_consulting"]  # potential
    data = {"title": "Roll-out", "kind": "cross_sell", "value": D(20), "stage": "qualified", "cell": cell}
    opportunity = services.save_item(version, "opportunity", data, users.lead)
    cell.refresh_from_db()
    assert cell.status == "pipeline"
    assert (opportunity.offering, opportunity.business_unit) == ("Consulting", "Own Subsidiary")
    matrix = whitespace.build_matrix(mapped["own"], users.lead, version=version)
    assert [o.pk for o in matrix.open_opportunities[cell.pk]] == [opportunity.pk]
    services.save_item(version, "opportunity", {"stage": "won"}, users.lead, item=opportunity)
    cell.refresh_from_db()
    assert cell.status == "won"
    assert whitespace.build_matrix(mapped["own"], users.lead, version=version).open_opportunities == {}


def test_a_business_unit_with_linked_opportunities_is_not_deleted(mapped, users):
    plan = services.create_plan(mapped["own"], users.lead, 2026)
    cell = mapped["cells"]["europe_cloud"]
    data = {"title": "Europe deal", "kind": "upsell", "value": D(50), "cell": cell}
    services.save_item(plan.versions.get(), "opportunity", data, users.lead)
    with pytest.raises(ValidationError) as refused:
        whitespace.delete_business_unit(mapped["europe"], users.lead)
    assert "move them first" in " ".join(refused.value.messages)
    assert WhitespaceCell.objects.filter(pk=cell.pk).exists()
    whitespace.delete_business_unit(mapped["retail"], users.lead)  # nothing linked: goes with its cell
    assert not WhitespaceCell.objects.filter(pk=mapped["cells"]["retail_cloud"].pk).exists()


def test_rows_are_limited_to_the_users_scope(mapped, users):
    # A key account manager on the subsidiary's team only sees the subsidiary and what is below it.
    manager = factories.make_user(Role.KEY_ACCOUNT_MANAGER)
    factories.add_member(mapped["child"], manager, TeamRole.KEY_ACCOUNT_MANAGER)
    matrix = whitespace.build_matrix(mapped["own"], manager)
    assert {row.account.pk for row in matrix.rows} == {mapped["child"].pk, mapped["branch"].pk}
    assert matrix.total.mapped == 0  # the group's total is not theirs to see
    sub = whitespace.build_matrix(mapped["child"], manager)
    assert sub.total.won == D(50) and sub.rows[0].depth == 0
    # The other team's key account manager sees no row of it at all.
    other = whitespace.build_matrix(mapped["own"], factories.make_user(Role.KEY_ACCOUNT_MANAGER))
    assert other.rows == []
