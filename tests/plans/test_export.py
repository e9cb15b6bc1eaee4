"""A plan version as PDF and DOCX (kam.plans.export): every section and its content, the KPI figures as hand-computed
and formatted, the heat-map counts, the whitespace labels and totals; the DOCX opens in LibreOffice; hostile text
stays text; an empty draft exports too."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from docx import Document as WordDocument

from kam.core import documents
from kam.plans import export, services, whitespace
from kam.plans.models import BusinessUnit, Offering
from tests import factories
from tests.core.test_documents import docx_text, libreoffice_pdf, pdf_text
from tests.plans.conftest import YEAR, add

TODAY = dt.date(YEAR, 6, 1)
HOSTILE = "#set text(red) $x$ <script>alert(1)</script> \\ ]"
HEADINGS = [
    "1. Executive summary",
    "2. Situation",
    "3. SWOT analysis",
    "4. Competitors",
    "5. Value proposition",
    "6. Objectives and KPIs",
    "7. Actions",
    "8. Risks",
    "9. Opportunities",
    "10. Whitespace",
    "11. Organisation map",
]
TEXTS = {
    "situation": f"The client **grows** fast in Europe. {HOSTILE}",
    "swot_strengths": "Strength: dense network",
    "swot_weaknesses": "Weakness: slow quoting",
    "swot_opportunities": "Opportunity: cold chain",
    "swot_threats": "Threat: price pressure",
    "competitors": "- Rival GmbH\n- Cheap Freight Ltd",
    "value_proposition": "We deliver on time, every time.",
}


@pytest.fixture
def facts(key_account):
    """T12M revenue for 2026 (as of March 2026) = 100000 + 23749.9988 = 123749.9988 EUR; the wallet 300000 EUR: share
    of wallet 41.2499996 %. Its §10 figure (six places) is 41.250000, and every display of a computed percentage rounds
    that figure to one decimal, half-up: 41.3 % — as the page, the API and the account page say (not 41.2 %, which
    the exact value would give)."""
    factories.fact(key_account, "2025-06", "100000", "30000")
    factories.fact(key_account, "2026-03", "23749.9988", "5000")
    factories.wallet(key_account, YEAR, "300000")
    factories.rate("2026-03", "USD", "1.2")


@pytest.fixture
def full(draft, users, portfolio, facts):
    """A version with every section and rows of every kind."""
    kam = users.kam
    services.update_version(draft, {**TEXTS, "tco_alternative": "Incumbent 3PL", "tco_years": 3}, kam)
    goal = add(draft, "objective", kam, side="client", title="Cut logistics cost by 10 %", specific="Freight spend")
    ours = add(
        draft, "objective", kam, side="ours", title="Become sole logistics supplier", linked_objective=goal,
        measurable="Share of wallet above 40 %", due_date=dt.date(YEAR, 12, 31),
    )  # fmt: skip
    revenue = add(
        draft, "kpi", kam, objective=ours, metric="Revenue T12M", unit="EUR", baseline=Decimal("100000"),
        source="computed", computed_metric="revenue_t12m",
    )  # fmt: skip
    add(draft, "target", kam, kpi=revenue, period=YEAR, target=Decimal("150000"))
    share = add(
        draft, "kpi", kam, objective=ours, metric="Share of wallet", baseline=Decimal("30"), source="computed",
        computed_metric="share_of_wallet",
    )  # fmt: skip
    add(draft, "target", kam, kpi=share, period=YEAR, target=Decimal("40"))
    savings = add(draft, "kpi", kam, objective=goal, metric="Cost savings", unit="EUR", baseline=Decimal("1234567.125"))
    add(draft, "target", kam, kpi=savings, period=YEAR, target=Decimal("2000000"), actual=Decimal("1500000.005"))
    add(draft, "target", kam, kpi=savings, period=YEAR + 1, target=Decimal("2500000"))
    add(draft, "action", kam, title=f"Workshop {HOSTILE}", owner=kam, due_date=dt.date(YEAR, 1, 15), objective=ours)
    add(draft, "action", kam, title="Kick-off", owner=kam, due_date=dt.date(YEAR, 1, 10), status="done")
    add(draft, "action", kam, title="Quarterly review", due_date=dt.date(YEAR, 9, 30), status="in_progress")
    for title, likelihood, impact, status in (
        ("Competitor discounts", 4, 4, "open"),
        ("Key contact leaves", 4, 4, "mitigated"),
        ("Late payments", 2, 3, "open"),
        ("Old closed risk", 5, 5, "closed"),
    ):
        add(
            draft, "risk", kam, title=title, category="competitive", likelihood=likelihood, impact=impact,
            status=status, mitigation=f"Mitigate {HOSTILE}",
        )  # fmt: skip
    freight = Offering.objects.create(name="Managed Freight", position=1)
    contract = Offering.objects.create(name="Contract Logistics", position=2)
    europe = BusinessUnit.objects.create(account=portfolio.own, name="Europe")
    own, child = portfolio.own, portfolio.own_child
    whitespace.save_cell(own, own, contract, {"status": "won", "annual_value": Decimal("120000")}, kam)
    cell = whitespace.save_cell(
        own, own, freight, {"status": "potential", "annual_value": Decimal("80000")}, kam, business_unit=europe
    )
    held = {"status": "competitor", "annual_value": Decimal("30000"), "competitor": "Rival GmbH"}
    whitespace.save_cell(own, child, contract, held, kam)
    add(
        draft, "opportunity", kam, title="Freight for Europe", kind="cross_sell", value=Decimal("250000"),
        currency="EUR", probability=40, stage="qualified", cell=cell, next_step=f"Site visit {HOSTILE}",
        expected_close=dt.date(YEAR, 10, 1),
    )  # fmt: skip
    add(
        draft, "opportunity", kam, title="US warehousing", kind="upsell", value=Decimal("120000"), currency="USD",
        probability=50, stage="proposal",
    )  # fmt: skip
    add(
        draft, "opportunity", kam, title="UK returns", kind="new_business", value=Decimal("10000"), currency="GBP",
        probability=90, stage="negotiation",
    )  # fmt: skip
    add(
        draft, "opportunity", kam, title="Renewal 2025", kind="renewal", value=Decimal("5000"), currency="EUR",
        probability=100, stage="won",
    )  # fmt: skip
    for item, kind, indirect, alternative, ours_cost in (
        ("Licences", "annual", False, "900", "700"),
        ("Migration", "one_off", False, "0", "1000"),
        ("Downtime", "annual", True, "1000", "200"),
    ):
        add(
            draft, "tco", kam, item=item, cost_kind=kind, indirect=indirect, alternative_cost=Decimal(alternative),
            our_cost=Decimal(ours_cost),
        )  # fmt: skip
    draft.refresh_from_db()
    return draft


# What both formats must hold, as a reader sees it (whitespace collapsed).
EXPECTED = [
    *HEADINGS,
    # Title block.
    "Own Group (OWN-1)",
    f"Horizon {YEAR}–{YEAR + 2}",
    f"Generated {TODAY:%Y-%m-%d}",
    # Summary: 2 open actions, 1 overdue; risks 16, 16 (high) and 6 (low), the closed one left out; the pipeline
    # 250000 EUR + 120000 USD / 1.2 (the GBP one has no rate); the won whitespace.
    "2 (1 overdue)",
    "2 high, 0 medium, 1 low",
    "350,000.00 EUR",
    "150,000.00 EUR",
    "“UK returns” (GBP)",
    "120,000.00 EUR a year",
    "1 on track, 2 off track, 0 not measured yet",
    # Sections.
    "The client grows fast in Europe.",
    "Strengths",
    "Strength: dense network",
    "Weaknesses",
    "Weakness: slow quoting",
    "Opportunities",
    "Opportunity: cold chain",
    "Threats",
    "Threat: price pressure",
    "Rival GmbH",
    "Cheap Freight Ltd",
    "We deliver on time, every time.",
    # TCO over 3 years: alternative 2700 + 0 + 3000, ours 2100 + 1000 + 600; saving 2000 = 35.087… %.
    "Total cost of ownership over 3 years: Incumbent 3PL vs our offer",
    "5,700.00",
    "3,700.00",
    "2,000.00 EUR",
    "35.1 %",
    # Objectives and KPIs.
    "The client's goals",
    "Our goals",
    "Become sole logistics supplier",
    "Serves the client goal",
    "Share of wallet above 40 %",
    "150,000.00",
    "123,750.00 (computed)",
    "40.0 %",
    "41.3 % (computed)",  # the §10 figure 41.250000 at one decimal, not the exact 41.2499996
    "1,234,567.13",  # the baseline, half-up to cents
    "2,000,000.00",
    "1,500,000.01",
    "On track",
    "Off track",
    # Actions.
    "OVERDUE",
    "Quarterly review",
    # Risks and the heat map.
    "4 × 4 = 16",
    "2 risks",
    "1 risk",
    "Likelihood 5",
    "Impact 5",
    # Opportunities.
    "Freight for Europe",
    "250,000.00 EUR",
    "100,000.00 EUR",  # 40 % of 250000
    "120,000.00 USD",
    "50,000.00 EUR",  # 50 % of 100000 EUR
    "Pipeline by stage (EUR)",
    "Negotiation 1 (1 without a rate) 0.00 0.00",
    "Open pipeline 3 (1 without a rate) 350,000.00 150,000.00",
    # Whitespace: the opportunity put the Europe cell in the pipeline.
    "Managed Freight",
    "Contract Logistics",
    "Europe",
    "Own Subsidiary",
    "In pipeline",
    "80,000.00",
    "Competitor-held (Rival GmbH)",
    "60.0 %",  # Own Group with Europe: 120000 / 200000
    "52.2 %",  # the whole account: 120000 / 230000
    "Whole account",
]


def missing(text: str, expected) -> list:
    return [fragment for fragment in expected if fragment not in text]


def test_the_pdf_holds_every_section_and_the_figures(full, users):
    content, filename, content_type = export.render(full, users.kam, "pdf", today=TODAY)
    assert content_type == "application/pdf" and filename == f"account-plan-OWN-1-{YEAR}-v1.pdf"
    text = pdf_text(content)
    assert missing(text, EXPECTED) == []
    assert text.count("OVERDUE") == 1  # the done action is past due too, but closed
    assert "Not written yet." not in text and "41.2 %" not in text  # the §10 figure's rounding, as on the page
    assert "Old closed risk" in text  # in the risk table, not in the heat map
    assert text.count(HOSTILE) >= 3  # the situation, the action and its finding
    # Narrow table cells wrap it (the extracted text has a space at each break): still every character, literally.
    assert text.replace(" ", "").count(HOSTILE.replace(" ", "")) >= 8  # … the four mitigations, the next step


def test_the_computed_actual_is_the_services_figure(full):
    kpi = full.plankpi_set.get(metric="Revenue T12M")
    assert services.kpi_actual(kpi, YEAR) == Decimal("123750.00")
    share = full.plankpi_set.get(metric="Share of wallet")
    assert services.kpi_actual(share, YEAR) == Decimal("41.250000")  # the §10 figure, shown as 41.3 %


def test_the_docx_holds_the_same_and_opens_in_libreoffice(full, users, tmp_path):
    content, filename, content_type = export.render(full, users.kam, "docx", today=TODAY)
    assert filename.endswith(".docx") and content_type.endswith("wordprocessingml.document")
    word = WordDocument(io.BytesIO(content))
    assert [p.text for p in word.paragraphs if p.style.name == "Heading 1"] == HEADINGS
    text = " ".join(docx_text(content).split())
    assert missing(text, EXPECTED) == []
    assert text.count(HOSTILE) >= 5
    assert "<script>" not in zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()
    # LibreOffice lays the pages out itself: a table row may break across a page, so each figure is looked for on
    # its own (line breaks as spaces).
    converted = " ".join(pdf_text(libreoffice_pdf(content, tmp_path)).split())
    assert missing(converted, [*HEADINGS, "123,750.00 (computed)", "41.3 %", "2 risks", "52.2 %"]) == []


def test_the_heat_map_is_shaded_by_level(full, users):
    document = export.plan_document(full, users.kam, today=TODAY)
    risks = next(s for s in document.sections if s.title == "Risks")
    heat_map = [b for b in risks.blocks if isinstance(b, documents.Table)][1]
    counts = {
        (6 - row_index, column): documents.plain(cell)
        for row_index, row in enumerate(heat_map.rows, start=1)
        for column, cell in enumerate(row[1:], start=1)
        if documents.plain(cell)
    }
    assert counts == {(4, 4): "2 risks\nCompetitor discounts; Key contact leaves", (2, 3): "1 risk\nLate payments"}
    assert heat_map.tones[0][1:] == ["good", "warn", "bad", "bad", "bad"]  # likelihood 5: 5, 10, 15, 20, 25
    assert heat_map.tones[4][1:] == ["good"] * 5  # likelihood 1
    assert heat_map.to_data()["tones"][1][4] == "bad"  # likelihood 4 × impact 4 = 16
    word = WordDocument(io.BytesIO(documents.to_docx(document)))
    fills = [
        cell._tc.tcPr.xpath("./w:shd/@w:fill")
        for table in word.tables
        for cell in table.rows[2].cells
        if "2 risks" in cell.text
    ]
    assert fills == [[documents.TONES["bad"]]]


def test_an_approved_version_says_who_approved_it(full, users):
    services.submit(full, users.kam)
    approved = services.approve(full, users.lead)
    text = pdf_text(export.render(approved, users.kam, "pdf", today=TODAY)[0])
    assert f"Approved: approved by {users.lead.display_name} on" in text and "APPROVED" in text


def test_an_empty_draft_exports_with_placeholders(draft, users, tmp_path):
    pdf = pdf_text(export.render(draft, users.kam, "pdf", today=TODAY)[0])
    docx = export.render(draft, users.kam, "docx", today=TODAY)[0]
    for text in (pdf, " ".join(docx_text(docx).split())):
        assert missing(text, HEADINGS) == []
        assert text.count("Not written yet.") == 7  # situation, four SWOT blocks, competitors, value proposition
        assert "No objectives yet." in text and "No actions yet." in text and "No risks recorded yet." in text
        assert "0 on track, 0 off track, 0 not measured yet" in text and "0.00 EUR" in text
        assert "Total cost of ownership" not in text
    assert "Not written yet." in pdf_text(libreoffice_pdf(docx, tmp_path))


def test_many_offerings_are_split_into_readable_tables(draft, users):
    for position in range(8):
        Offering.objects.create(name=f"Offering {position}", position=position)
    document = export.plan_document(draft, users.kam, today=TODAY)
    section = next(s for s in document.sections if s.title == "Whitespace")
    tables = [b for b in section.blocks if isinstance(b, documents.Table)]
    headers = [[documents.plain(cell) for cell in table.header] for table in tables]
    assert headers == [
        ["Part of the client", *(f"Offering {n}" for n in range(6))],
        ["Part of the client", "Offering 6", "Offering 7"],
        ["Part of the client", "Won", "Open", "Competitor-held", "Captured"],
    ]
    assert [documents.plain(row[0]) for row in tables[0].rows] == ["Own Group", "\u00a0\u00a0\u00a0Own Subsidiary"]
    assert "Offerings, part 2 of 2" in pdf_text(documents.to_pdf(document))


def test_an_unknown_format_is_refused(draft, users):
    with pytest.raises(ValueError, match="pdf or docx"):
        export.render(draft, users.kam, "html")


def test_the_customers_organisation_map_is_drawn_in_both_formats(draft, users, portfolio):
    from kam.stakeholders import services as stakeholders

    ceo = stakeholders.save_contact(portfolio.own, {"last_name": "Stone", "first_name": "Ada", "title": "CEO",
                                                    "attitude": "champion"}, users.kam)  # fmt: skip
    stakeholders.save_contact(portfolio.own_child, {"last_name": "Berg", "first_name": "Ben", "reports_to": ceo},
                              users.kam)  # fmt: skip
    content, _, _ = export.render(draft, users.kam, "pdf", today=TODAY)
    text = " ".join(pdf_text(content).split())
    assert "11. Organisation map" in text and "Ada Stone" in text and "Ben Berg" in text and "2 people." in text
    content, _, _ = export.render(draft, users.kam, "docx", today=TODAY)
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert any(name.startswith("word/media/") and name.endswith(".png") for name in names)  # the map as a picture


def test_an_empty_map_says_so(draft, users):
    text = " ".join(pdf_text(export.render(draft, users.kam, "pdf", today=TODAY)[0]).split())
    assert "No one is on the customer's map yet." in text
