"""A charter as DOCX and PDF: each of the ten sections, the account, the commitments, the sign-off; the DOCX opens in
LibreOffice; hostile text stays text."""

import io
import zipfile

from django.urls import reverse
from docx import Document as WordDocument

from kam.charters import services
from kam.charters.defaults import SECTIONS
from kam.charters.rendering import charter_document, export_filename
from kam.core import documents
from tests import factories
from tests.charters.conftest import today
from tests.core.test_documents import docx_text, libreoffice_pdf, pdf_text

HOSTILE = '<script>alert(1)</script> {{ x }} #set page(flipped: true) $x$ \\ "q" `c` @ref'


def test_the_pdf_has_the_account_every_section_and_the_commitments(login, users, charter, commitments):
    commitments.first_response(4, "hours", "clock")
    charter = services.update_charter(
        charter,
        {"kpis": [{"name": "On-time delivery", "target": "98 %"}], "collaboration_tools": ["clickup"]},
        users.kam,
    )
    response = login(users.viewer).get(reverse("charters:export_pdf", args=[charter.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="charter-OWN-1-v2.pdf"'
    text = pdf_text(response.content)
    assert "Own Group" in text and "OWN-1" in text and "DRAFT" in text
    for section in SECTIONS:
        assert f"{section['number']}. {section['title']}" in text, section["title"]
    assert "First response within 4 hours; around the clock" in text
    assert "On-time delivery 98 %" in text and "ClickUp" in text
    assert "Draft: this version has not been signed yet." in text


def test_a_signed_version_shows_who_signed(users, charter):
    services.sign_off(charter, users.kam, "Dana Client", today(), "Chief Procurement Officer")
    charter.refresh_from_db()
    text = pdf_text(documents.to_pdf(charter_document(charter, charter.versions.get())))
    assert "SIGNED" in text and f"signed on {today():%Y-%m-%d}" in text
    assert "Dana Client, Chief Procurement Officer" in text and users.kam.display_name in text


def test_the_docx_has_every_section_and_opens_in_libreoffice(login, users, charter, tmp_path):
    response = login(users.viewer).get(reverse("charters:export_docx", args=[charter.pk]) + "?version=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    word = WordDocument(io.BytesIO(response.content))
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert headings == [f"{s['number']}. {s['title']}" for s in SECTIONS] + ["Sign-off"]
    text = pdf_text(libreoffice_pdf(response.content, tmp_path))
    assert "Own Group" in text
    for section in SECTIONS:
        assert f"{section['number']}. {section['title']}" in text, section["title"]


def test_an_older_version_is_exported_as_it_was(users, charter):
    charter = services.update_charter(charter, {"client_goals": "Only in version 2"}, users.kam)
    first = pdf_text(documents.to_pdf(charter_document(charter, charter.versions.get(number=1))))
    second = pdf_text(documents.to_pdf(charter_document(charter, charter.versions.get(number=2))))
    assert "Only in version 2" not in first and "Only in version 2" in second
    assert "Version 1 of 2" in first


def test_hostile_text_is_text_in_both_formats(users, portfolio, tmp_path):
    account = factories.make_account(HOSTILE, account_number="A/B C#1")
    factories.add_member(account, users.kam)
    charter = services.create_charter(account, users.kam)
    charter = services.update_charter(
        charter,
        {
            "sections": {"overview": HOSTILE + "\n\n[bad](javascript:alert(1))"},
            "client_goals": HOSTILE,
            "kpis": [{"name": HOSTILE, "target": "#1", "measure": "$5"}],
            "other_tools": HOSTILE,
            "collaboration_tools": ["other"],
        },
        users.kam,
        note=HOSTILE,
    )
    version = charter.versions.get(number=2)
    document = charter_document(charter, version)
    pdf = pdf_text(documents.to_pdf(document))
    assert pdf.count(HOSTILE) >= 5  # title, note, overview, goals, KPI, tools …
    docx = documents.to_docx(document)
    assert docx_text(docx).count(HOSTILE) >= 5
    parts = zipfile.ZipFile(io.BytesIO(docx))
    assert "javascript:" not in parts.read("word/_rels/document.xml.rels").decode()
    assert "<script>" not in parts.read("word/document.xml").decode()
    assert HOSTILE in pdf_text(libreoffice_pdf(docx, tmp_path))
    assert export_filename(charter, version, "pdf") == "charter-A-B-C-1-v2.pdf"
