"""The whitespace pages: the matrix for each role, editing a cell (htmx and plain), conflicts, the CSV export, the
offerings catalogue and the programme's weighted pipeline."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.plans import services, whitespace
from kam.plans.models import BusinessUnit, Offering, WhitespaceCell
from tests import factories

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def offering(db):
    return Offering.objects.create(name="Cloud", category="Services")


@pytest.fixture
def europe(portfolio, users):
    return whitespace.add_business_unit(portfolio.own, portfolio.own, "Europe", users.lead)


def cell_url(account, row, offering):
    return reverse("plans:whitespace_cell", args=[account.pk, row, offering.pk])


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("role", ["admin", "lead", "kam", "sponsor", "viewer"])
def test_the_matrix_renders_for_every_role(role, login, users, portfolio, offering, europe):
    whitespace.save_cell(
        portfolio.own, portfolio.own, offering, {"status": "won", "annual_value": D("1234567")}, users.lead
    )
    page = login(getattr(users, role)).get(reverse("plans:whitespace", args=[portfolio.own.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Own Subsidiary" in html and "Europe" in html and "Cloud" in html
    assert "1,234,567" in html and 'class="ws-sticky depth-1"' in html
    editable = role in ("admin", "lead", "kam")
    assert (cell_url(portfolio.own, f"a{portfolio.own.pk}", offering) in html) is editable


def test_empty_catalogue_and_no_cells_are_explained(login, users, portfolio):
    url = reverse("plans:whitespace", args=[portfolio.own.pk])
    html = login(users.lead).get(url).content.decode()
    assert "No offerings in the catalogue yet" in html and reverse("plans:offering_add") in html
    Offering.objects.create(name="Cloud")
    html = login(users.viewer).get(url).content.decode()
    assert "No cell is set yet" in html


def test_a_cell_is_edited_with_htmx(login, users, portfolio, offering, europe):
    client = login(users.kam)
    url = cell_url(portfolio.own, f"u{europe.pk}", offering)
    form = client.get(url, **HTMX)
    assert form.status_code == 200 and b"<form" in form.content and b"<html" not in form.content
    saved = client.post(url, {"status": "pipeline", "annual_value": "5000", "version": "0"}, **HTMX)
    assert saved.status_code == 200 and saved["HX-Retarget"] == "#ws-matrix"
    assert b'id="ws-matrix"' in saved.content and b"5,000" in saved.content
    cell = WhitespaceCell.objects.get(business_unit=europe, offering=offering)
    assert (cell.status, cell.annual_value) == ("pipeline", D("5000"))


def test_a_cell_is_edited_without_javascript_and_competitor_is_required(login, users, portfolio, offering):
    client = login(users.lead)
    url = cell_url(portfolio.own, f"a{portfolio.own_child.pk}", offering)
    page = client.get(url)
    assert page.status_code == 200 and b"<html" in page.content
    refused = client.post(url, {"status": "competitor", "annual_value": "10", "version": "0"})
    assert refused.status_code == 200 and "Name the competitor" in refused.content.decode()
    assert not WhitespaceCell.objects.exists()
    saved = client.post(url, {"status": "competitor", "competitor": "Rival", "annual_value": "10", "version": "0"})
    assert saved.status_code == 302 and saved["Location"].endswith(f"#cell-a{portfolio.own_child.pk}-{offering.pk}")
    assert WhitespaceCell.objects.get().competitor == "Rival"


def test_a_stale_cell_edit_shows_a_conflict_and_keeps_what_was_typed(login, users, portfolio, offering):
    first = whitespace.save_cell(portfolio.own, portfolio.own, offering, {"status": "potential"}, users.lead)
    whitespace.save_cell(portfolio.own, portfolio.own, offering, {"note": "Lead's note"}, users.lead)
    url = cell_url(portfolio.own, f"a{portfolio.own.pk}", offering)
    data = {"status": "won", "annual_value": "777", "note": "My typing", "version": str(first.version)}
    response = login(users.kam).post(url, data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps only successful responses
    assert "Someone changed this cell" in html and "My typing" in html and "777" in html and "Lead&#x27;s note" in html
    cell = WhitespaceCell.objects.get()
    assert (cell.status, cell.note) == ("potential", "Lead's note")
    assert f'name="version" value="{cell.version}"' in html  # saving again is a deliberate overwrite
    again = login(users.kam).post(url, {**data, "version": str(cell.version)}, **HTMX)
    assert again.status_code == 200 and WhitespaceCell.objects.get().status == "won"


def test_sponsor_and_other_team_cannot_edit(login, users, portfolio, offering):
    assert login(users.sponsor).post(cell_url(portfolio.own, f"a{portfolio.own.pk}", offering), {}).status_code == 403
    url = cell_url(portfolio.other, f"a{portfolio.other.pk}", offering)
    assert login(users.kam).post(url, {"status": "won", "version": "0"}).status_code == 404
    # A row of another team's subtree under one's own matrix does not exist either.
    assert login(users.kam).get(cell_url(portfolio.own, f"a{portfolio.other.pk}", offering)).status_code == 404
    assert login(users.kam).get(cell_url(portfolio.own, "x1", offering)).status_code == 404
    assert not WhitespaceCell.objects.exists()


def test_csv_export_has_a_line_per_cell_and_the_totals(login, users, portfolio, offering, europe):
    whitespace.save_cell(portfolio.own, portfolio.own, offering, {"status": "won", "annual_value": D(300)}, users.lead)
    data = {"status": "competitor", "annual_value": D(100), "competitor": "Rival", "note": "=cmd"}
    whitespace.save_cell(portfolio.own, portfolio.own, offering, data, users.lead, business_unit=europe)
    response = login(users.viewer).get(reverse("plans:whitespace", args=[portfolio.own.pk]) + "?export=csv")
    rows = csv_rows(response)
    header = rows[0]
    lines = {(r[0], r[3]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert lines[("Europe", "Cloud")]["Status"] == "Competitor-held"
    assert lines[("Europe", "Cloud")]["Competitor"] == "Rival" and lines[("Europe", "Cloud")]["Note"] == "'=cmd"
    own_total = lines[("Own Group", "All offerings")]
    assert (own_total["Won (EUR)"], own_total["Competitor-held (EUR)"], own_total["Captured %"]) == (
        "300.00", "100.00", "75.000000",
    )  # fmt: skip
    assert lines[("All client parts", "All offerings")]["Won (EUR)"] == "300.00"
    # The page heads the matrix with the whole client's totals: 300 won of 400 valued → 75.0 % captured.
    page = login(users.viewer).get(reverse("plans:whitespace", args=[portfolio.own.pk])).content.decode()
    headline = page[page.index('data-testid="ws-headline"') :][:900]
    assert "300.00 EUR" in headline and "100.00 EUR" in headline and "75.0 %" in headline


def test_business_units_are_added_renamed_and_deleted(login, users, portfolio):
    client = login(users.kam)
    add = reverse("plans:business_unit_add", args=[portfolio.own.pk])
    assert client.post(add, {"account": portfolio.own_child.pk, "name": "Retail"}).status_code == 302
    unit = BusinessUnit.objects.get(name="Retail", account=portfolio.own_child)
    duplicate = client.post(add, {"account": portfolio.own_child.pk, "name": "retail"})
    assert "has a business unit called retail already" in duplicate.content.decode()
    outside = client.post(add, {"account": portfolio.other.pk, "name": "Sneaky"})
    assert outside.status_code == 200 and not BusinessUnit.objects.filter(name="Sneaky").exists()
    edit = reverse("plans:business_unit_edit", args=[portfolio.own.pk, unit.pk])
    assert client.post(edit, {"name": "Retail EU", "version": unit.version}).status_code == 302
    stale = client.post(edit, {"name": "Retail US", "version": unit.version})
    assert "changed by someone else" in stale.content.decode()
    assert BusinessUnit.objects.get(pk=unit.pk).name == "Retail EU"
    delete = reverse("plans:business_unit_delete", args=[portfolio.own.pk, unit.pk])
    assert client.post(delete).status_code == 302 and not BusinessUnit.objects.filter(pk=unit.pk).exists()


def test_deleting_a_linked_business_unit_shows_why_not(login, users, portfolio, offering, europe):
    portfolio.own.is_key_account = True
    portfolio.own.save()
    cell = whitespace.save_cell(
        portfolio.own, portfolio.own, offering, {"status": "potential"}, users.lead, business_unit=europe
    )
    plan = services.create_plan(portfolio.own, users.lead, 2026)
    data = {"title": "Deal", "kind": "upsell", "value": D(1), "cell": cell}
    services.save_item(plan.versions.get(), "opportunity", data, users.lead)
    response = login(users.kam).post(reverse("plans:business_unit_delete", args=[portfolio.own.pk, europe.pk]))
    assert response.status_code == 200 and "move them first" in response.content.decode()
    assert BusinessUnit.objects.filter(pk=europe.pk).exists()
    # The matrix shows the open opportunity on its cell, titles in the tooltip.
    html = login(users.viewer).get(reverse("plans:whitespace", args=[portfolio.own.pk])).content.decode()
    assert 'title="Deal">1 open' in html
    # From the cell, a new opportunity goes to the plan's draft, linked to the cell.
    form = login(users.kam).get(cell_url(portfolio.own, f"u{europe.pk}", offering), **HTMX).content.decode()
    add_url = reverse("plans:item_add", args=[plan.versions.get().pk, "opportunity"]) + f"?cell={cell.pk}"
    assert "Add an opportunity here" in form and add_url in form and "Deal (Identified" in form


def test_offerings_crud_and_the_protected_delete(login, users, portfolio):
    client = login(users.lead)
    assert (
        client.post(reverse("plans:offering_add"), {"name": "Cloud", "position": 1, "is_active": "on"}).status_code
        == 302
    )
    cloud = Offering.objects.get(name="Cloud")
    clash = client.post(reverse("plans:offering_add"), {"name": "cloud", "position": 1})
    assert "already" in clash.content.decode()
    edit = reverse("plans:offering_edit", args=[cloud.pk])
    assert (
        client.post(edit, {"name": "Cloud", "category": "IT", "position": 2, "version": cloud.version}).status_code
        == 302
    )
    cloud.refresh_from_db()
    assert (cloud.category, cloud.is_active) == ("IT", False)
    listing = login(users.viewer).get(reverse("plans:offerings") + "?q=it")
    assert listing.status_code == 200 and "Cloud" in listing.content.decode()
    exported = csv_rows(login(users.viewer).get(reverse("plans:offerings") + "?export=csv"))
    assert exported[1][0] == "Cloud"
    whitespace.save_cell(portfolio.own, portfolio.own, cloud, {"status": "won"}, users.lead)
    refused = login(users.lead).post(reverse("plans:offering_delete", args=[cloud.pk]), follow=True)
    assert "cannot be deleted. Retire it instead" in refused.content.decode()
    assert Offering.objects.filter(pk=cloud.pk).exists()
    spare = Offering.objects.create(name="Spare")
    assert login(users.lead).post(reverse("plans:offering_delete", args=[spare.pk])).status_code == 302
    assert not Offering.objects.filter(pk=spare.pk).exists()
    assert login(users.kam).post(reverse("plans:offering_add"), {"name": "Nope"}).status_code == 403


def test_opportunity_list_weighted_totals_by_stage_and_quarter(login, users, portfolio):
    portfolio.own.is_key_account = True
    portfolio.own.save()
    factories.fact(portfolio.own, "2026-03", 1, 1)  # the as-of month
    factories.rate("2026-03", "USD", "1.1")
    version = services.create_plan(portfolio.own, users.lead, 2026).versions.get()

    def add(title, value, currency, probability, stage, close):
        data = {"title": title, "kind": "upsell", "value": D(value), "currency": currency,
                "probability": probability, "stage": stage, "expected_close": close}  # fmt: skip
        return services.save_item(version, "opportunity", data, users.lead)

    add("EUR deal", "100000", "EUR", 50, "qualified", "2026-05-10")  # 50,000
    add("USD deal", "110000", "USD", 40, "qualified", "2026-08-01")  # 44,000 USD = 40,000 EUR
    add("Proposal", "20000", "EUR", 75, "proposal", "2026-05-31")  # 15,000
    add("Won deal", "9000", "EUR", 100, "won", "2026-02-01")  # 9,000, not in the open pipeline
    response = login(users.viewer).get(reverse("plans:opportunity_list"))
    totals = response.context["totals"]
    assert [(s["label"], s["count"], s["weighted"]) for s in totals["stages"]] == [
        ("Qualified", 2, D("90000.00")), ("Proposal", 1, D("15000.00")), ("Won", 1, D("9000.00")),
    ]  # fmt: skip
    assert [(q["label"], q["weighted"]) for q in totals["quarters"]] == [
        ("2026 Q2", D("65000.00")), ("2026 Q3", D("40000.00")),
    ]  # fmt: skip
    assert totals["open_total"] == D("105000.00") and totals["missing"] == []
    html = response.content.decode()
    assert "105,000.00 EUR" in html and "value × probability" in html
    filtered = login(users.viewer).get(reverse("plans:opportunity_list") + "?stage=qualified")
    assert filtered.context["totals"]["open_total"] == D("90000.00")
    exported = csv_rows(login(users.viewer).get(reverse("plans:opportunity_list") + "?export=csv&sort=-weighted"))
    assert exported[1][2] == "EUR deal" and exported[1][10] == "50000.00"
    # Out of scope: the other team's KAM sees none of them.
    assert login(portfolio.other_kam).get(reverse("plans:opportunity_list")).context["totals"]["stages"] == []


def test_a_missing_rate_is_reported_not_guessed(login, users, portfolio):
    portfolio.own.is_key_account = True
    portfolio.own.save()
    factories.fact(portfolio.own, "2026-03", 1, 1)
    version = services.create_plan(portfolio.own, users.lead, 2026).versions.get()
    data = {"title": "GBP deal", "kind": "upsell", "value": D(100), "currency": "GBP", "probability": 50}
    services.save_item(version, "opportunity", data, users.lead)
    response = login(users.lead).get(reverse("plans:opportunity_list"))
    assert response.context["totals"]["missing"] == ["GBP (1 opportunity)"]
    assert response.context["totals"]["open_total"] == D("0.00")
    assert "GBP (1 opportunity)" in response.content.decode()
