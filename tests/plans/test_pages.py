"""The plan pages: the account's plan tab, inline editing (htmx and plain), conflicts, workflow, compare, list."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.audit.models import ObjectChange
from kam.plans import services
from kam.plans.models import AccountPlan, Objective, PlanVersion, Risk
from tests.plans.conftest import YEAR, add, fill

HTMX = {"HTTP_HX_REQUEST": "true"}


def tab(account, number=None):
    url = reverse("accounts:account", args=[account.pk]) + "?tab=plan"
    return url + (f"&v={number}" if number else "")


def test_a_key_account_without_plan_offers_to_start_one(client, login, key_account, users):
    page = login(users.kam).get(tab(key_account)).content.decode()
    assert 'data-testid="plan-empty"' in page and "Start the plan" in page
    response = client.post(
        reverse("plans:create", args=[key_account.pk]), {"start_year": YEAR, "horizon_years": 4, "title": ""}
    )
    assert response.status_code == 302
    plan = AccountPlan.objects.get(account=key_account)
    assert (plan.title, plan.horizon_years, plan.versions.get().status) == ("Own Group account plan", 4, "draft")
    page = client.get(tab(key_account)).content.decode()
    assert "Version 1 for 2026" in page and "Submit for approval" in page


def test_a_viewer_sees_the_plan_but_no_edit_controls(login, draft, users, key_account):
    fill(draft, users.kam)
    page = login(users.viewer).get(tab(key_account)).content.decode()
    assert "Become sole logistics supplier" in page and "Competitor discounts" in page
    assert "Add an objective" not in page and "Submit for approval" not in page
    assert login(users.viewer).get(reverse("plans:item_add", args=[draft.pk, "risk"])).status_code == 403


def test_a_text_section_is_edited_in_place_with_htmx(login, draft, users):
    client = login(users.kam)
    url = reverse("plans:section", args=[draft.pk, "situation"])
    form = client.get(url + "?edit=1", **HTMX).content.decode()
    assert 'id="section-situation"' in form and "<textarea" in form and "<html" not in form
    response = client.post(url, {"situation": "Growing in **Europe**", "row_version": draft.version}, **HTMX)
    html = response.content.decode()
    assert "<strong>Europe</strong>" in html and 'id="plan-quality"' in html and 'hx-swap-oob="true"' in html
    assert PlanVersion.objects.get(pk=draft.pk).situation == "Growing in **Europe**"


def test_a_stale_section_edit_is_refused_keeps_the_text_and_the_first_edit_survives(login, draft, users):
    client = login(users.kam)
    url = reverse("plans:section", args=[draft.pk, "situation"])
    read = draft.version
    client.post(url, {"situation": "First", "row_version": read}, **HTMX)
    response = client.post(url, {"situation": "Second, typed at length", "row_version": read}, **HTMX)
    html = response.content.decode()
    assert "changed by someone else" in html and "Second, typed at length" in html
    assert PlanVersion.objects.get(pk=draft.pk).situation == "First"
    changes = ObjectChange.objects.filter(content_type__model="planversion", object_id=str(draft.pk))
    assert changes.filter(action="update").count() == 1  # one write, one history entry


def test_a_plain_post_without_htmx_redirects_to_the_section(login, draft, users, key_account):
    response = login(users.kam).post(
        reverse("plans:section", args=[draft.pk, "swot"]),
        {"swot_strengths": "Reach", "swot_weaknesses": "", "swot_opportunities": "", "swot_threats": "",
         "row_version": draft.version},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith("#section-swot")
    assert PlanVersion.objects.get(pk=draft.pk).swot_strengths == "Reach"


def test_rows_are_added_edited_and_deleted_inline(login, draft, users):
    client = login(users.kam)
    form = client.get(reverse("plans:item_add", args=[draft.pk, "objective"]), **HTMX).content.decode()
    assert "New objective" in form and "<html" not in form
    response = client.post(
        reverse("plans:item_add", args=[draft.pk, "objective"]),
        {"side": "ours", "title": "Grow in Asia", "achieved": "unknown"},
        **HTMX,
    )
    assert response["HX-Retarget"] == "#section-objectives"
    objective = Objective.objects.get(plan_version=draft, title="Grow in Asia")
    assert "Grow in Asia" in response.content.decode()
    response = client.post(
        reverse("plans:item_add", args=[draft.pk, "kpi"]),
        {"objective": objective.pk, "metric": "Revenue", "direction": "higher", "source": "computed",
         "computed_metric": "revenue_t12m", "baseline": "100"},
        **HTMX,
    )  # fmt: skip
    assert response["HX-Retarget"] == "#section-objectives", response.content.decode()
    kpi = objective.kpis.get()
    client.post(
        reverse("plans:item_add", args=[draft.pk, "target"]), {"kpi": kpi.pk, "period": YEAR, "target": "150"}, **HTMX
    )
    assert kpi.targets.get().target == Decimal("150")
    # A field error comes back on the form, in the editor.
    response = client.post(
        reverse("plans:item_add", args=[draft.pk, "risk"]), {"title": "", "category": "financial"}, **HTMX
    )
    assert "HX-Retarget" not in response and "This field is required" in response.content.decode()
    risk = add(draft, "risk", users.kam, title="Strike", category="operational", likelihood=2, impact=5)
    response = client.post(
        reverse("plans:item_edit", args=["risk", risk.pk]),
        {"title": "Strike", "category": "operational", "likelihood": 4, "impact": 5, "status": "open",
         "mitigation": "Second site", "version": risk.version},
        **HTMX,
    )  # fmt: skip
    assert Risk.objects.get(pk=risk.pk).score == 20 and "4 × 5 = 20" in response.content.decode()
    response = client.post(
        reverse("plans:item_delete", args=["objective", objective.pk]), {"version": objective.version}, **HTMX
    )
    assert not Objective.objects.filter(pk=objective.pk).exists() and not kpi.targets.exists()


def test_a_stale_row_edit_is_refused_and_the_first_survives(login, draft, users):
    risk = add(draft, "risk", users.kam, title="Strike", category="operational", likelihood=2, impact=5)
    client = login(users.kam)
    data = {"title": "Strike", "category": "operational", "likelihood": 3, "impact": 5, "status": "open"}
    first = client.post(reverse("plans:item_edit", args=["risk", risk.pk]), {**data, "version": risk.version}, **HTMX)
    assert first["HX-Retarget"] == "#section-risks"
    data["title"] = "Strike at the port"
    second = client.post(reverse("plans:item_edit", args=["risk", risk.pk]), {**data, "version": risk.version}, **HTMX)
    html = second.content.decode()
    assert "changed by someone else" in html and "Strike at the port" in html
    assert Risk.objects.get(pk=risk.pk).title == "Strike"


def test_the_page_shows_the_heat_map_overdue_actions_pipeline_tco_and_quality(login, draft, users, key_account):
    rows = fill(draft, users.kam)
    add(draft, "action", users.kam, title="Late", owner=users.kam, due_date=dt.date(2020, 1, 1))
    add(draft, "risk", users.kam, title="Fire", category="operational", likelihood=5, impact=4, mitigation="Sprinkle")
    add(draft, "opportunity", users.kam, title="Renewal", kind="renewal", value=Decimal("1000"), probability=90,
        stage="won")  # fmt: skip
    page = login(users.kam).get(tab(key_account)).content.decode()
    assert "2 overdue" in page  # fill()'s workshop was due on 2026-06-30 too
    # Heat map: six cells score 15 or more (3×5, 4×4, 4×5, 5×3, 5×4, 5×5); the risks are counted in their cells.
    assert page.count('<td class="heat high"') == 6 and "<strong>1</strong>" in page
    # Pipeline: the open 250,000 at 40 % → 100,000 weighted; the won renewal 1,000.
    assert "Open pipeline 250,000.00 EUR" in page and "weighted <strong>100,000.00 EUR" in page
    assert "won 1,000.00 EUR" in page
    # TCO: 900 vs 700 a year over 3 years → 2,700 vs 2,100, saving 600 (22.2 %).
    assert "600.00 EUR (22.2 %)" in page
    assert "Action “Late” is overdue" in page
    assert rows["kpi"].metric in page


def test_workflow_submit_approve_next_year_and_compare(login, draft, users, key_account):
    fill(draft, users.kam)
    kam = login(users.kam)
    kam.post(reverse("plans:workflow", args=[draft.pk, "submit"]), {"row_version": draft.version})
    assert PlanVersion.objects.get(pk=draft.pk).status == "in_review"
    # The KAM does not lead the team: approving is refused (and the page offers no button), nothing changes.
    assert "Approve version 1" not in kam.get(tab(key_account)).content.decode()
    assert kam.post(reverse("plans:workflow", args=[draft.pk, "approve"])).status_code == 403
    assert PlanVersion.objects.get(pk=draft.pk).status == "in_review"
    lead = login(users.lead)
    lead.post(reverse("plans:workflow", args=[draft.pk, "approve"]))
    assert PlanVersion.objects.get(pk=draft.pk).status == "approved"
    page = lead.get(tab(key_account)).content.decode()
    assert "Start 2027&#x27;s plan" in page or "Start 2027's plan" in page
    assert "Add an objective" not in page  # frozen
    response = lead.post(reverse("plans:next_year", args=[draft.plan_id]))
    new = PlanVersion.objects.get(plan=draft.plan, number=2)
    assert response["Location"].endswith("v=2")
    services.update_version(new, {"situation": "Asia next"}, users.lead)
    objective = Objective.objects.get(plan_version=new, title="Become sole logistics supplier")
    services.save_item(new, "objective", {"title": "Sole supplier by 2028"}, users.lead, item=objective)
    page = lead.get(reverse("plans:compare", args=[draft.plan_id])).content.decode()
    assert "From version 1 (2026) to version 2 (2027)" in page and "2 sections changed" in page
    assert "Become sole logistics supplier" in page and "Sole supplier by 2028" in page and "Asia next" in page


def test_frozen_versions_refuse_edits_from_pages(login, draft, users):
    services.submit(draft, users.kam)
    services.approve(draft, users.lead)
    client = login(users.kam)
    assert client.get(reverse("plans:item_add", args=[draft.pk, "risk"])).status_code == 403
    assert client.get(reverse("plans:section", args=[draft.pk, "situation"]) + "?edit=1").status_code == 403


def test_the_plan_list_shows_the_newest_version_and_exports_csv(login, draft, users):
    client = login(users.lead)
    page = client.get(reverse("plans:plan_list")).content.decode()
    assert "Own Group account plan" in page and "2026–2028" in page and "Draft" in page
    csv = b"".join(client.get(reverse("plans:plan_list") + "?export=csv").streaming_content).decode("utf-8-sig")
    assert csv.splitlines()[1].startswith("Own Group,OWN-1,Own Group account plan,2026-2028,2026,1,Draft")
    assert client.get(reverse("plans:plan_list") + "?latest_status=approved").content.decode().count("OWN-1") == 0


@pytest.mark.parametrize("kind", ["nonsense", "PlanVersion"])
def test_unknown_kinds_are_404(login, draft, users, kind):
    assert login(users.kam).get(reverse("plans:item_add", args=[draft.pk, kind])).status_code == 404


def test_the_plan_list_names_the_key_accounts_without_a_plan(login, key_account, users, portfolio):
    from kam.accounts.models import Account

    Account.objects.filter(pk=portfolio.other.pk).update(is_key_account=True)
    page = login(users.kam).get(reverse("plans:plan_list")).content.decode()
    assert "1 key account in your accounts has no plan yet" in page and "Own Group" in page
    assert "Other Group" not in page  # another team's
    services.create_plan(key_account, users.kam, YEAR)
    assert 'data-testid="without-plan"' not in login(users.kam).get(reverse("plans:plan_list")).content.decode()
    page = login(users.lead).get(reverse("plans:plan_list")).content.decode()
    assert "1 key account in your accounts has no plan yet" in page and "Other Group" in page


def test_goals_are_evaluated_on_the_approved_plan(login, draft, users, key_account):
    rows = fill(draft, users.kam)
    services.submit(draft, users.kam)
    services.approve(draft, users.lead)
    client = login(users.kam)
    page = client.get(tab(key_account)).content.decode()
    assert "Year-end evaluation" in page and page.count("Year-end evaluation") == 1  # our goal only
    ours = Objective.objects.get(pk=rows["ours"].pk)
    response = client.post(
        reverse("plans:evaluate", args=[ours.pk]), {"achieved": "true", "version": ours.version}, **HTMX
    )
    assert "Our goals achieved in 2026: 1 of 1 evaluated (100.0 %)" in response.content.decode()
    assert Objective.objects.get(pk=ours.pk).achieved is True
    stale = client.post(reverse("plans:evaluate", args=[ours.pk]), {"achieved": "false", "version": ours.version})
    assert stale.status_code == 302 and Objective.objects.get(pk=ours.pk).achieved is True
    assert login(users.viewer).post(reverse("plans:evaluate", args=[ours.pk]), {"achieved": ""}).status_code == 403


def test_the_home_page_counts_the_plans_waiting_for_my_approval(login, draft, users, leader):
    services.submit(draft, users.kam)
    waiting = "1 account plan waiting for your approval"
    assert waiting in login(users.lead).get("/").content.decode()
    assert waiting in login(leader).get("/").content.decode()  # the account's team leader
    assert waiting not in login(users.kam).get("/").content.decode()  # may not approve this one
    services.approve(draft, users.lead)
    assert waiting not in login(users.lead).get("/").content.decode()
