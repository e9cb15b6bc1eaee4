"""The shared document layer (kam.core.documents): Markdown in, PDF (typst) and DOCX (python-docx) out. User text is
data: it survives literally and is never interpreted as typst, HTML or Word markup."""

import io
import shutil
import subprocess
import zipfile

import pytest
from docx import Document as WordDocument
from pypdf import PdfReader

from kam.core import documents as d

HOSTILE = '<script>alert(1)</script> {{ x }} #set text(red) $x^2$ \\ "quoted" [link] @ref *b* _i_ `c`'


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def docx_text(data: bytes) -> str:
    word = WordDocument(io.BytesIO(data))
    parts = [p.text for p in word.paragraphs]
    for table in word.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def libreoffice_pdf(docx: bytes, tmp_path) -> bytes:
    """The DOCX converted by LibreOffice, as a reader's office suite would open it; its own profile directory, so
    parallel runs do not share one."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    source = tmp_path / "document.docx"
    source.write_bytes(docx)
    out = tmp_path / "out"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    converted = out / "document.pdf"
    assert result.returncode == 0 and converted.exists(), result.stdout + result.stderr
    return converted.read_bytes()


@pytest.fixture
def sample():
    return d.Document(
        title="Acme Industries",
        subtitle="Charter, version 2",
        kicker="Key account management charter",
        status="Draft",
        metadata=[("Account number", "ACME-1"), ("Note", HOSTILE)],
        header="Running header text",
        footer="Confidential footer",
        sections=[
            d.Section(
                "Overview",
                d.from_markdown(
                    "Intro with **bold words** and *slanted words* and a [site](https://example.org).\n\n"
                    "## A sub heading\n\n- first bullet\n- second bullet\n    1. nested one\n\n"
                    "1. step one\n2. step two\n\n| KPI | Target |\n|---|---|\n| Net promoter score | 40 |\n"
                ),
                number="1",
            ),
            d.Section(
                "Service level agreements",
                [
                    d.Table.of(
                        ["Responsibility", "Commitment"], [["Account reviews", "Quarterly"], ["Hostile", HOSTILE]]
                    ),
                    d.Paragraph([d.Span(HOSTILE)]),
                    d.Note([d.Span("Boxed " + HOSTILE)]),
                ],
                number="4",
            ),
        ],
    )


def test_markdown_gives_headings_lists_tables_and_inline_formatting():
    blocks = d.from_markdown(
        "Some **bold** and *italic* text with [a link](https://example.org/x).\n\n"
        "# Heading\n\n- one\n- two\n    1. inner\n\n3. three\n4. four\n\n| A | B |\n|---|---|\n| 1 | *2* |\n"
    )
    kinds = [type(b).__name__ for b in blocks]
    assert kinds == ["Paragraph", "Heading", "ListBlock", "ListBlock", "Table"]
    paragraph = blocks[0]
    assert [(s.text, s.bold, s.italic, s.link) for s in paragraph.spans] == [
        ("Some ", False, False, ""),
        ("bold", True, False, ""),
        (" and ", False, False, ""),
        ("italic", False, True, ""),
        (" text with ", False, False, ""),
        ("a link", False, False, "https://example.org/x"),
        (".", False, False, ""),
    ]
    bullets, numbered, table = blocks[2], blocks[3], blocks[4]
    assert not bullets.ordered and [d.plain(i.spans) for i in bullets.items] == ["one", "two"]
    assert bullets.items[1].children[0].ordered and d.plain(bullets.items[1].children[0].items[0].spans) == "inner"
    assert numbered.ordered and [d.plain(i.spans) for i in numbered.items] == ["three", "four"]
    assert [d.plain(c) for c in table.header] == ["A", "B"]
    assert [[d.plain(c) for c in row] for row in table.rows] == [["1", "2"]]
    assert table.rows[0][1][0].italic


def test_markdown_keeps_raw_html_and_script_links_as_text():
    html = d.markdown_to_html('<script>alert(1)</script> <b onclick="x()">b</b> [x](javascript:alert(1))')
    assert "<script" not in html and "<b " not in html and "javascript:" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    blocks = d.from_markdown("<script>alert(1)</script> [x](javascript:alert(1))")
    assert d.plain(blocks[0].spans) == "<script>alert(1)</script> x"
    assert all(s.link == "" for s in blocks[0].spans)


def test_to_html_escapes_every_text():
    html = d.to_html([d.Paragraph([d.Span(HOSTILE, bold=True)]), d.Table.of(["<th>"], [["<td>"]])])
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;th&gt;" in html
    assert "<strong>" in html


def test_pdf_has_title_block_sections_table_and_hostile_text_literally(sample):
    pdf = d.to_pdf(sample)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for expected in (
        "Acme Industries",
        "DRAFT",
        "Charter, version 2",
        "1. Overview",
        "A sub heading",
        "first bullet",
        "nested one",
        "step two",
        "Net promoter score",
        "4. Service level agreements",
        "Account reviews Quarterly",
        "Confidential footer",
        "Page 1 of",
        HOSTILE,
        "Boxed " + HOSTILE,
    ):
        assert expected in text, expected
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Acme Industries"


def test_pdf_running_header_appears_from_page_two(sample):
    sample.sections = sample.sections * 8
    reader = PdfReader(io.BytesIO(d.to_pdf(sample)))
    assert len(reader.pages) > 1
    assert "Running header text" not in reader.pages[0].extract_text()
    assert "Running header text" in reader.pages[1].extract_text()
    assert f"Page 2 of {len(reader.pages)}" in " ".join(reader.pages[1].extract_text().split())


def test_docx_has_styles_lists_tables_and_hostile_text_literally(sample):
    data = d.to_docx(sample)
    word = WordDocument(io.BytesIO(data))
    styles = [(p.style.name, p.text) for p in word.paragraphs]
    assert ("Title", "Acme Industries") in styles
    assert ("Heading 1", "1. Overview") in styles and ("Heading 1", "4. Service level agreements") in styles
    assert ("Heading 2", "A sub heading") in styles
    assert ("List Bullet", "first bullet") in styles and ("List Number", "step one") in styles
    assert ("List Number 2", "nested one") in styles
    bold = [r.text for p in word.paragraphs for r in p.runs if r.bold]
    assert "bold words" in bold
    text = docx_text(data)
    assert HOSTILE in text and "Net promoter score" in text and "Account reviews" in text
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "&lt;script&gt;" in xml and "<script>" not in xml
    footer = zipfile.ZipFile(io.BytesIO(data)).read("word/footer1.xml").decode()
    assert "PAGE" in footer and "NUMPAGES" in footer
    rels = zipfile.ZipFile(io.BytesIO(data)).read("word/_rels/document.xml.rels").decode()
    assert "https://example.org" in rels  # the link is a real hyperlink


def test_each_numbered_list_starts_at_one_in_docx():
    doc = d.Document(
        title="Lists",
        sections=[d.Section("S", d.from_markdown("1. a\n2. b\n\nText\n\n1. c\n2. d\n"))],
    )
    word = WordDocument(io.BytesIO(d.to_docx(doc)))
    numbered = [p for p in word.paragraphs if p.style.name == "List Number"]
    ids = [p._p.pPr.numPr.numId.val for p in numbered]
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]


def test_control_characters_do_not_break_either_format():
    doc = d.Document(
        title="Bell\x07 and \x1b escape", sections=[d.Section("S", [d.Paragraph([d.Span("x\x00y\ud800z")])])]
    )
    assert "Bell\ufffd and \ufffd escape" in pdf_text(d.to_pdf(doc))
    assert "x\ufffdy\ufffdz" in docx_text(d.to_docx(doc))


def test_docx_opens_in_libreoffice(sample, tmp_path):
    converted = libreoffice_pdf(d.to_docx(sample), tmp_path)
    text = pdf_text(converted)
    assert "Acme Industries" in text and "4. Service level agreements" in text and "Net promoter score" in text
    assert "<script>alert(1)</script>" in text


def _pdf_fills(pdf: bytes) -> set[tuple[int, int, int]]:
    """The RGB fill colours the PDF's pages paint with (0–255)."""
    import re

    fills = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        stream = page.get_contents().get_data().decode("latin-1")
        for r, g, b in re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) scn", stream):
            fills.add(tuple(round(float(c) * 255) for c in (r, g, b)))
    return fills


def test_table_cells_take_the_fill_of_their_tone():
    def document(tones):
        table = d.Table.of(["Risk", "Level"], [["Fire", "High"], ["Flood", "Low"]], tones=tones)
        return d.Document(title="Tones", sections=[d.Section("S", [table])])

    bad = tuple(int(d.TONES["bad"][i : i + 2], 16) for i in (0, 2, 4))
    toned = document([["", "bad"], ["nonsense"]])
    assert toned.sections[0].blocks[0].to_data()["tones"] == [["", "bad"], ["", ""]]  # padded; unknown names dropped
    assert bad in _pdf_fills(d.to_pdf(toned)) and bad not in _pdf_fills(d.to_pdf(document(None)))
    word = WordDocument(io.BytesIO(d.to_docx(toned)))
    fills = [[cell._tc.tcPr.xpath("./w:shd/@w:fill") for cell in row.cells] for row in word.tables[0].rows[1:]]
    assert fills == [[[], [d.TONES["bad"]]], [[], []]]
    assert document(None).sections[0].blocks[0].to_data()["tones"] == []


def test_a_figure_is_drawn_in_the_pdf_as_a_picture_in_the_docx_and_inline_in_html():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 60" width="200" height="60">'
           '<rect x="5" y="5" width="120" height="40" fill="#c8ecd2"/><text x="12" y="30" font-size="12">Ada '
           '&amp; Ben</text></svg>')  # fmt: skip
    doc = d.Document(title="Map", sections=[d.Section("People", [d.Figure(svg, "Two people #set")])])
    text = pdf_text(d.to_pdf(doc))
    assert "Ada & Ben" in text and "Two people #set" in text  # the drawing's text, and the caption as text
    docx = d.to_docx(doc)
    media = [n for n in zipfile.ZipFile(io.BytesIO(docx)).namelist() if n.startswith("word/media/")]
    assert len(media) == 1 and d.svg_to_png(svg).startswith(b"\x89PNG")
    assert "Two people #set" in [p.text for p in WordDocument(io.BytesIO(docx)).paragraphs]
    html = d.to_html([d.Figure(svg, "<b>caption</b>")])
    assert html.startswith("<figure><svg") and "&lt;b&gt;caption&lt;/b&gt;" in html
