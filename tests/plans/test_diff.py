"""kam.plans.diff: two versions compared section by section, rows matched by lineage across the clone."""

from decimal import Decimal

from kam.plans import services
from kam.plans.diff import diff_versions
from kam.plans.models import ITEM_KINDS, TEXT_SECTIONS, VERSION_SETTINGS
from tests.plans.conftest import YEAR, add


def key_of(row):
    return (type(row), row.pk)


def _row(model, version, lineage):
    return model.objects.get(plan_version=version, lineage=lineage)


def test_a_diff_with_changes_in_every_section_equals_the_expected_list(draft, users):
    kam = users.kam
    services.update_version(
        draft,
        {
            "situation": "Growing in Europe",
            "swot_strengths": "Reliability",
            "swot_weaknesses": "Price",
            "swot_threats": "New entrants",
            "competitors": "ACME",
            "value_proposition": "Speed",
        },
        kam,
    )
    goal = add(draft, "objective", kam, side="client", title="Cut logistics cost")
    ours = add(draft, "objective", kam, title="Sole supplier", linked_objective=goal)
    extra = add(draft, "objective", kam, title="Train staff")
    k1 = add(draft, "kpi", kam, objective=ours, metric="Revenue", baseline=Decimal(100), source="computed",
             computed_metric="revenue_t12m")  # fmt: skip
    k2 = add(draft, "kpi", kam, objective=extra, metric="Trained people", baseline=Decimal(3))
    t1 = add(draft, "target", kam, kpi=k1, period=YEAR, target=Decimal(150))
    t2 = add(draft, "target", kam, kpi=k2, period=YEAR, target=Decimal(10))
    a1 = add(draft, "action", kam, title="Workshop", owner=kam)
    a2 = add(draft, "action", kam, title="Site visit")
    r1 = add(draft, "risk", kam, title="Discounts", category="competitive", likelihood=3, impact=4)
    r2 = add(draft, "risk", kam, title="Strike", category="operational", likelihood=2, impact=5)
    o1 = add(draft, "opportunity", kam, title="Warehousing", kind="cross_sell", value=Decimal(1000), probability=20)
    o2 = add(draft, "opportunity", kam, title="Renewal", kind="renewal", value=Decimal(500), probability=90)
    c1 = add(draft, "tco", kam, item="Licences", alternative_cost=Decimal(900), our_cost=Decimal(700))
    c2 = add(
        draft, "tco", kam, item="Training", cost_kind="one_off", alternative_cost=Decimal(50), our_cost=Decimal(80)
    )
    services.submit(draft, kam)
    services.approve(draft, users.lead)
    new = services.start_next_year(draft.plan, kam)

    services.update_version(
        new,
        {
            "situation": "Growing in Europe and Asia",  # changed
            "swot_strengths": "Reliability, reach",  # changed
            "swot_weaknesses": "",  # dropped
            "swot_opportunities": "Asia",  # added
            "swot_threats": "New entrants, tariffs",  # changed
            "competitors": "ACME, Globex",  # changed
            "value_proposition": "Speed and cost",  # changed
            "tco_alternative": "Globex",  # changed
            "tco_years": 5,  # changed
        },
        kam,
    )
    copy = {
        (type(row), row.pk): _row(type(row), new, row.lineage)
        for row in (goal, ours, extra, k1, t1, a1, a2, r1, r2, o1, o2, c1, c2)
    }
    services.save_item(new, "objective", {"title": "Sole supplier by 2028"}, kam, item=copy[key_of(ours)])
    services.delete_item(new, copy[key_of(extra)], kam)  # with its KPI and target
    asia = add(new, "objective", kam, title="Enter Asia")
    services.save_item(new, "kpi", {"baseline": Decimal(120)}, kam, item=copy[key_of(k1)])
    k3 = add(new, "kpi", kam, objective=asia, metric="Asian revenue")
    services.save_item(new, "target", {"target": Decimal(160)}, kam, item=copy[key_of(t1)])
    t3 = add(new, "target", kam, kpi=copy[key_of(k1)], period=YEAR + 1, target=Decimal(180))
    services.save_item(new, "action", {"status": "done"}, kam, item=copy[key_of(a1)])
    services.delete_item(new, copy[key_of(a2)], kam)
    a3 = add(new, "action", kam, title="Asia roadshow", objective=asia)
    services.save_item(new, "risk", {"likelihood": 2, "mitigation": "Value case"}, kam, item=copy[key_of(r1)])
    services.delete_item(new, copy[key_of(r2)], kam)
    r3 = add(new, "risk", kam, title="Tariffs", category="financial", likelihood=4, impact=3)
    services.save_item(new, "opportunity", {"stage": "proposal", "probability": 50}, kam, item=copy[key_of(o1)])
    services.delete_item(new, copy[key_of(o2)], kam)
    o3 = add(new, "opportunity", kam, title="Asia freight", kind="new_business", value=Decimal(9000))
    services.save_item(new, "tco", {"our_cost": Decimal(650), "indirect": True}, kam, item=copy[key_of(c1)])
    services.delete_item(new, copy[key_of(c2)], kam)
    c3 = add(new, "tco", kam, item="Downtime", alternative_cost=Decimal(300), our_cost=Decimal(0))

    def fresh(row):
        return type(row).objects.get(pk=row.pk)

    def now(row):
        return fresh(copy[key_of(row)])

    diff = diff_versions(fresh(draft), fresh(new))
    assert list(diff) == [*TEXT_SECTIONS, *VERSION_SETTINGS, *ITEM_KINDS]
    assert diff == {
        "situation": {
            "added": [],
            "changed": [("Growing in Europe", "Growing in Europe and Asia", ["situation"])],
            "dropped": [],
        },
        "swot_strengths": {
            "added": [],
            "changed": [("Reliability", "Reliability, reach", ["swot_strengths"])],
            "dropped": [],
        },
        "swot_weaknesses": {"added": [], "changed": [], "dropped": ["Price"]},
        "swot_opportunities": {"added": ["Asia"], "changed": [], "dropped": []},
        "swot_threats": {
            "added": [],
            "changed": [("New entrants", "New entrants, tariffs", ["swot_threats"])],
            "dropped": [],
        },
        "competitors": {"added": [], "changed": [("ACME", "ACME, Globex", ["competitors"])], "dropped": []},
        "value_proposition": {
            "added": [],
            "changed": [("Speed", "Speed and cost", ["value_proposition"])],
            "dropped": [],
        },
        "tco_alternative": {
            "added": [],
            "changed": [("The client's current solution", "Globex", ["tco_alternative"])],
            "dropped": [],
        },
        "tco_years": {"added": [], "changed": [(3, 5, ["tco_years"])], "dropped": []},
        # The goal's copy is no change: its link from "ours" was remapped, the lineage is the same.
        "objective": {"added": [asia], "changed": [(ours, now(ours), ["title"])], "dropped": [extra]},
        "kpi": {"added": [k3], "changed": [(k1, now(k1), ["baseline"])], "dropped": [k2]},
        "target": {"added": [t3], "changed": [(t1, now(t1), ["target"])], "dropped": [t2]},
        "action": {"added": [a3], "changed": [(a1, now(a1), ["status"])], "dropped": [a2]},
        "risk": {"added": [r3], "changed": [(r1, now(r1), ["likelihood", "mitigation"])], "dropped": [r2]},
        "opportunity": {
            "added": [o3],
            "changed": [(o1, now(o1), ["probability", "stage"])],
            "dropped": [o2],
        },
        "tco": {"added": [c3], "changed": [(c1, now(c1), ["indirect", "our_cost"])], "dropped": [c2]},
    }


def test_a_fresh_clone_differs_in_nothing(draft, users):
    from tests.plans.conftest import fill

    fill(draft, users.kam)
    services.update_version(draft, {"situation": "Same"}, users.kam)
    services.submit(draft, users.kam)
    services.approve(draft, users.lead)
    new = services.start_next_year(draft.plan, users.kam)
    draft.refresh_from_db()
    diff = diff_versions(draft, new)
    assert all(section == {"added": [], "changed": [], "dropped": []} for section in diff.values())


def test_relinking_an_objective_is_a_change_of_its_link(draft, users):
    goal = add(draft, "objective", users.kam, side="client", title="Goal")
    other_goal = add(draft, "objective", users.kam, side="client", title="Other goal")
    ours = add(draft, "objective", users.kam, title="Ours", linked_objective=goal)
    services.submit(draft, users.kam)
    services.approve(draft, users.lead)
    new = services.start_next_year(draft.plan, users.kam)
    copy = _row(type(ours), new, ours.lineage)
    services.save_item(new, "objective", {"linked_objective": _row(type(goal), new, other_goal.lineage)}, users.kam,
                       item=copy)  # fmt: skip
    changed = diff_versions(draft, new)["objective"]["changed"]
    assert [(before.pk, fields) for before, _, fields in changed] == [(ours.pk, ["linked_objective"])]
