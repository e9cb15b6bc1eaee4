"""Documents KAM hands to customers (charters, account plans): one neutral model, two renderers, Markdown in.

A `Document` is a title block (title, subtitle, status, metadata rows), sections with headings, and blocks:
paragraphs of spans (bold, italic, code, links), bullet and numbered lists (nested), tables and notes.
`to_pdf(doc)` typesets it with typst and `to_docx(doc)` writes it with python-docx; both look like the same
professional document (title block, running header, page numbers, tables with a shaded header row).

User text is only ever *data*: the PDF template reads the document as JSON (`sys.inputs`) and places each string as
text, so nothing a user writes (`#`, `$`, `\\`, `[`, `<script>`, `{{`) can be read as typst markup or code; python-docx
writes text nodes; Markdown is rendered with raw HTML switched off and sanitised by nh3 (no script, no javascript:
links). Characters XML cannot hold (control characters, lone surrogates) become U+FFFD in both outputs.
"""

from __future__ import annotations

import html
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from html.parser import HTMLParser

import markdown as markdown_lib
import nh3

# Markdown ---------------------------------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "a",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "blockquote",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
LINK_SCHEMES = {"http", "https", "mailto"}
_SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
# What XML 1.0 (DOCX) cannot hold and typst would show as nothing: C0 controls but tab/newline/CR, lone surrogates,
# the non-characters U+FFFE/U+FFFF.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(text) -> str:
    """Text as both renderers can hold it: characters XML refuses become U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", "" if text is None else str(text))


def markdown_to_html(text: str) -> str:
    """Markdown (tables, sane lists) as sanitised HTML: raw HTML in the text is shown as text, never interpreted;
    links keep only http(s) and mailto targets."""
    md = markdown_lib.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    # Without these two, "<b>" or "<script>" in the text would pass through as markup; now they are escaped text.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    rendered = md.convert(clean_text(text or ""))
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=LINK_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


# The document model ----------------------------------------------------------------------------------------------


@dataclass
class Span:
    """A run of text with inline formatting. `link` is an http(s) or mailto address, or empty."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    link: str = ""

    def to_data(self) -> dict:
        return {
            "text": clean_text(self.text),
            "bold": self.bold,
            "italic": self.italic,
            "code": self.code,
            "link": self.link if _SAFE_LINK.match(self.link or "") else "",
        }


def spans_of(value) -> list[Span]:
    """Plain text or spans, as spans."""
    if value is None:
        return []
    if isinstance(value, Span):
        return [value]
    if isinstance(value, str):
        return [Span(value)]
    return list(value)


def plain(spans) -> str:
    return "".join(span.text for span in spans_of(spans))


@dataclass
class Paragraph:
    spans: list[Span]
    style: str = ""  # "", "quote", "code" or "small"
    kind = "paragraph"

    def to_data(self) -> dict:
        return {"type": self.kind, "spans": [s.to_data() for s in self.spans], "style": self.style}


@dataclass
class Heading:
    """A heading inside a section (the section's own title is not a block). Level 1–2: a sub-heading; 3+: minor."""

    spans: list[Span]
    level: int = 2
    kind = "heading"

    def to_data(self) -> dict:
        return {"type": self.kind, "spans": [s.to_data() for s in self.spans], "level": max(1, min(self.level, 4))}


@dataclass
class Note:
    """A boxed remark, e.g. "This version is signed"."""

    spans: list[Span]
    kind = "note"

    def to_data(self) -> dict:
        return {"type": self.kind, "spans": [s.to_data() for s in self.spans]}


@dataclass
class ListItem:
    spans: list[Span]
    children: list = field(default_factory=list)  # nested ListBlocks (or paragraphs of a loose item)

    def to_data(self) -> dict:
        return {"spans": [s.to_data() for s in self.spans], "children": [c.to_data() for c in self.children]}


@dataclass
class ListBlock:
    items: list[ListItem]
    ordered: bool = False
    kind = "list"

    def to_data(self) -> dict:
        return {"type": self.kind, "ordered": self.ordered, "items": [i.to_data() for i in self.items]}


# Fill colours a body cell may take (`Table.tones`), e.g. the levels of a risk heat map.
TONES = {"good": "D9EFD9", "warn": "FCE8B2", "bad": "F4C7C3", "muted": "EEF2F7"}


@dataclass
class Table:
    """A table with a header row; each cell is spans. `widths`: relative column widths (default equal). `tones`:
    optionally, per body row, a tone name (TONES) or "" per cell: the cell's fill colour."""

    header: list[list[Span]]
    rows: list[list[list[Span]]]
    widths: list[float] = field(default_factory=list)
    tones: list[list[str]] = field(default_factory=list)
    kind = "table"

    @classmethod
    def of(cls, header, rows, widths=None, tones=None) -> Table:
        """A table from plain strings (or spans)."""
        return cls(
            header=[spans_of(cell) for cell in header],
            rows=[[spans_of(cell) for cell in row] for row in rows],
            widths=list(widths or []),
            tones=[list(row) for row in tones or []],
        )

    @property
    def columns(self) -> int:
        return max(1, len(self.header), *(len(row) for row in self.rows))

    def to_data(self) -> dict:
        columns = self.columns
        widths = self.widths if len(self.widths) == columns else [1] * columns

        def pad(cells):
            cells = list(cells) + [[] for _ in range(columns - len(cells))]
            return [[s.to_data() for s in cell] for cell in cells]

        def tone_row(index):
            tones = list(self.tones[index]) if index < len(self.tones) else []
            tones = [tone if tone in TONES else "" for tone in tones[:columns]]
            return tones + [""] * (columns - len(tones))

        return {
            "type": self.kind,
            "columns": columns,
            "widths": [float(w) for w in widths],
            "header": pad(self.header),
            "rows": [pad(row) for row in self.rows],
            "tones": [tone_row(i) for i in range(len(self.rows))] if self.tones else [],
        }


@dataclass
class Figure:
    """A drawing given as SVG (KAM's own, e.g. the organisation map: its text already escaped), scaled to the text
    width, with a caption. The PDF embeds the SVG itself; the DOCX a PNG of it that typst renders."""

    svg: str
    caption: str = ""
    kind = "figure"

    def to_data(self) -> dict:
        return {"type": self.kind, "svg": self.svg, "caption": clean_text(self.caption)}


Block = Paragraph | Heading | Note | ListBlock | Table | Figure


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)
    number: str = ""  # shown before the title: "4" -> "4. Service level agreements"

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title

    def to_data(self) -> dict:
        return {"heading": clean_text(self.heading), "blocks": [b.to_data() for b in self.blocks]}


@dataclass
class Document:
    title: str
    subtitle: str = ""
    kicker: str = ""  # the small line above the title, e.g. "Key account management charter"
    status: str = ""  # a badge next to the title block, e.g. "Signed" or "Draft"
    metadata: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    header: str = ""  # running header, from page 2 on
    footer: str = ""  # left of the page number on every page
    contents: bool = True  # a list of the sections after the title block
    author: str = "KAM"

    def to_data(self) -> dict:
        return {
            "title": clean_text(self.title),
            "subtitle": clean_text(self.subtitle),
            "kicker": clean_text(self.kicker),
            "status": clean_text(self.status),
            "metadata": [[clean_text(k), clean_text(v)] for k, v in self.metadata],
            "sections": [s.to_data() for s in self.sections],
            "header": clean_text(self.header),
            "footer": clean_text(self.footer),
            "contents": bool(self.contents and self.sections),
            "author": clean_text(self.author),
        }


# Markdown to blocks ----------------------------------------------------------------------------------------------


class _BlockBuilder(HTMLParser):
    """Reads the sanitised HTML of `markdown_to_html` (a closed set of tags) into blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list = []
        self.containers: list = []  # open ListBlocks/ListItems, innermost last
        self.spans: list[Span] | None = None  # the inline run being collected
        self.inline_target = None  # what the current run becomes when it closes: (kind, extra)
        self.bold = self.italic = self.code = 0
        self.links: list[str] = []
        self.table: Table | None = None
        self.row: list | None = None
        self.in_head = False
        self.quote = 0
        self.pre = 0

    # Where finished blocks go: the innermost list item, or the document.
    def _emit(self, block):
        if self.containers and isinstance(self.containers[-1], ListItem):
            item = self.containers[-1]
            if isinstance(block, Paragraph) and not item.spans and not item.children:
                item.spans = block.spans  # the first paragraph of a loose item is the item's text
            else:
                item.children.append(block)
        else:
            self.blocks.append(block)

    def _start_run(self, target):
        self._flush_loose()
        self.spans = []
        self.inline_target = target

    def _flush_loose(self):
        """Text directly inside a list item (tight lists) is collected as the item's run."""
        if self.spans is not None and self.inline_target == ("item",):
            item = self.containers[-1]
            spans = _trim(self.spans)
            if spans:
                if not item.spans and not item.children:
                    item.spans = spans
                else:
                    item.children.append(Paragraph(spans))
            self.spans = None
            self.inline_target = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "code" and not self.pre:
            self.code += 1
        elif tag == "a":
            href = attrs.get("href") or ""
            self.links.append(href if _SAFE_LINK.match(href) else "")
        elif tag == "br":
            if self.spans is not None:
                self.spans.append(Span("\n"))
        elif tag == "p":
            self._start_run(("paragraph", "quote" if self.quote else ""))
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._start_run(("heading", int(tag[1])))
        elif tag == "pre":
            self.pre += 1
            self._start_run(("paragraph", "code"))
        elif tag == "blockquote":
            self.quote += 1
        elif tag in ("ul", "ol"):
            self._flush_loose()
            block = ListBlock(items=[], ordered=tag == "ol")
            self._emit(block)
            self.containers.append(block)
        elif tag == "li":
            item = ListItem(spans=[])
            if self.containers and isinstance(self.containers[-1], ListBlock):
                self.containers[-1].items.append(item)
            self.containers.append(item)
            self.spans = []
            self.inline_target = ("item",)
        elif tag == "table":
            self.table = Table(header=[], rows=[])
        elif tag == "thead":
            self.in_head = True
        elif tag == "tbody":
            self.in_head = False
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td"):
            self.spans = []
            self.inline_target = ("cell",)

    def handle_endtag(self, tag):
        if tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag == "code" and not self.pre:
            self.code = max(0, self.code - 1)
        elif tag == "a":
            if self.links:
                self.links.pop()
        elif tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "pre"):
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            self._close_run()
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        elif tag == "li":
            self._flush_loose()
            if self.containers and isinstance(self.containers[-1], ListItem):
                self.containers.pop()
        elif tag in ("ul", "ol"):
            if self.containers and isinstance(self.containers[-1], ListBlock):
                self.containers.pop()
            if self.containers and isinstance(self.containers[-1], ListItem):
                self.spans = []
                self.inline_target = ("item",)
        elif tag in ("th", "td"):
            if self.row is not None:
                self.row.append(_trim(self.spans or []))
            self.spans = None
            self.inline_target = None
        elif tag == "tr":
            if self.table is not None and self.row is not None:
                if self.in_head and not self.table.header:
                    self.table.header = self.row
                else:
                    self.table.rows.append(self.row)
            self.row = None
        elif tag == "table":
            if self.table is not None:
                self._emit(self.table)
            self.table = None

    def _close_run(self):
        if self.spans is None or self.inline_target is None:
            return
        spans = self.spans if self.inline_target == ("paragraph", "code") else _trim(self.spans)
        kind = self.inline_target
        self.spans = None
        self.inline_target = None
        if kind[0] == "heading":
            if spans:
                self._emit(Heading(spans, level=kind[1]))
        elif spans:
            if kind == ("paragraph", "code"):
                spans = [Span(plain(spans).rstrip("\n"), code=True)]
            self._emit(Paragraph(spans, style=kind[1]))
        if self.containers and isinstance(self.containers[-1], ListItem):
            self.spans = []
            self.inline_target = ("item",)

    def handle_data(self, data):
        if self.spans is None:
            if not data.strip():
                return
            # Stray text outside any block (should not happen with Markdown's output): a paragraph of its own.
            self._emit(Paragraph([Span(data.strip())]))
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        if not data:
            return
        link = self.links[-1] if self.links else ""
        span = Span(data, bold=bool(self.bold), italic=bool(self.italic), code=bool(self.code), link=link)
        previous = self.spans[-1] if self.spans else None
        if previous is not None and (previous.bold, previous.italic, previous.code, previous.link) == (
            span.bold,
            span.italic,
            span.code,
            span.link,
        ):
            previous.text += data
        else:
            self.spans.append(span)

    def close(self):
        super().close()
        self._flush_loose()
        return self.blocks


def _trim(spans: list[Span]) -> list[Span]:
    """Spans without leading/trailing blanks (Markdown's HTML has line breaks between tags)."""
    spans = [Span(s.text, s.bold, s.italic, s.code, s.link) for s in spans if s.text]
    while spans and not spans[0].text.strip() and spans[0].text != "\n":
        spans.pop(0)
    while spans and not spans[-1].text.strip():
        spans.pop()
    if spans:
        spans[0].text = spans[0].text.lstrip(" ")
        spans[-1].text = spans[-1].text.rstrip(" ")
    return [s for s in spans if s.text]


def from_markdown(text: str) -> list:
    """Markdown as document blocks, through the same sanitised HTML the pages show."""
    builder = _BlockBuilder()
    builder.feed(markdown_to_html(text or ""))
    return builder.close()


def blocks_text(blocks) -> str:
    """The plain text of blocks, one line per paragraph, item or table row (for comparisons and search)."""
    lines: list[str] = []

    def walk(block, depth=0):
        if isinstance(block, (Paragraph, Heading, Note)):
            lines.append(plain(block.spans))
        elif isinstance(block, ListBlock):
            for n, item in enumerate(block.items, start=1):
                marker = f"{n}." if block.ordered else "-"
                lines.append("  " * depth + f"{marker} {plain(item.spans)}".rstrip())
                for child in item.children:
                    walk(child, depth + 1)
        elif isinstance(block, Table):
            for row in [block.header, *block.rows]:
                lines.append(" | ".join(plain(cell) for cell in row))

    for block in blocks:
        walk(block)
    return "\n".join(lines)


# PDF (typst) -----------------------------------------------------------------------------------------------------

# The layout. It reads the whole document from sys.inputs as JSON and places every string as text: no user text is
# ever part of this source.
TYPST_TEMPLATE = r"""
#let doc = json(bytes(sys.inputs.at("document")))
#let accent = rgb("#1f3a5f")
#let muted = rgb("#5b6675")
#let rule = rgb("#c9d1dc")
#let shade = rgb("#eef2f7")
#let tones = (good: rgb("#d9efd9"), warn: rgb("#fce8b2"), bad: rgb("#f4c7c3"), muted: shade)

#set document(title: doc.title, author: doc.author)
#set text(font: "Libertinus Serif", size: 10.5pt, lang: "en", hyphenate: false, fallback: true)
#set par(justify: false, leading: 0.62em, spacing: 0.9em)
#set page(
  paper: "a4",
  margin: (top: 2.5cm, bottom: 2.3cm, x: 2.2cm),
  header: context {
    if counter(page).get().first() > 1 {
      set text(8.5pt, fill: muted)
      grid(columns: (1fr, auto), align: (left, right), text(doc.header), text(doc.title))
      v(-0.45em)
      line(length: 100%, stroke: 0.5pt + rule)
    }
  },
  footer: context {
    set text(8.5pt, fill: muted)
    line(length: 100%, stroke: 0.5pt + rule)
    v(-0.35em)
    grid(
      columns: (1fr, auto),
      align: (left, right),
      text(doc.footer),
      [Page #counter(page).display() of #counter(page).final().first()],
    )
  },
)
#set list(indent: 0.6em, body-indent: 0.5em, marker: ([•], [–], [·]))
#set enum(indent: 0.6em, body-indent: 0.5em)
#show heading.where(level: 1): it => block(above: 1.7em, below: 0.8em, sticky: true)[
  #text(13.5pt, weight: "bold", fill: accent, it.body)
  #v(-0.5em)
  #line(length: 100%, stroke: 0.6pt + accent)
]
#show heading.where(level: 2): it => block(
  above: 1.2em, below: 0.6em, sticky: true, text(11.5pt, weight: "bold", fill: accent, it.body),
)
#show heading.where(level: 3): it => block(
  above: 1em, below: 0.5em, sticky: true, text(10.5pt, weight: "bold", it.body),
)
#show link: it => text(fill: accent, underline(it))

#let one-span(s) = {
  let body = if s.code { raw(s.text) } else { text(s.text) }
  if s.bold { body = strong(body) }
  if s.italic { body = emph(body) }
  if s.link != "" { body = link(s.link, body) }
  body
}
#let runs(spans) = {
  for s in spans {
    let parts = s.text.split("\n")
    for (i, part) in parts.enumerate() {
      if i > 0 { linebreak() }
      if part != "" { one-span((..s, text: part)) }
    }
  }
}

#let render-block(b) = {
  if b.type == "paragraph" {
    if b.style == "code" {
      block(fill: shade, inset: 8pt, radius: 3pt, width: 100%, for s in b.spans { raw(s.text, block: true) })
    } else if b.style == "quote" {
      block(inset: (left: 10pt), stroke: (left: 2pt + rule), text(fill: muted, runs(b.spans)))
    } else if b.style == "small" {
      par(text(9pt, fill: muted, runs(b.spans)))
    } else {
      par(runs(b.spans))
    }
  } else if b.type == "heading" {
    heading(level: if b.level <= 2 { 2 } else { 3 }, outlined: false, runs(b.spans))
  } else if b.type == "note" {
    block(fill: shade, inset: 9pt, radius: 3pt, width: 100%, stroke: 0.5pt + rule, runs(b.spans))
  } else if b.type == "list" {
    let items = b.items.map(item => [#runs(item.spans)#for c in item.children { render-block(c) }])
    if b.ordered { enum(..items) } else { list(..items) }
  } else if b.type == "figure" {
    block(above: 0.9em, below: 0.9em, width: 100%)[
      #image(bytes(b.svg), format: "svg", width: 100%)
      #if b.caption != "" { align(center, text(9pt, fill: muted, b.caption)) }
    ]
  } else if b.type == "table" {
    block(breakable: true, above: 0.9em, below: 0.9em, table(
      columns: b.widths.map(w => w * 1fr),
      inset: (x: 6pt, y: 5pt),
      stroke: (x, y) => (bottom: 0.5pt + rule, top: if y == 0 { 0.8pt + accent } else { none }),
      fill: (x, y) => if y == 0 { shade } else if b.tones.len() > 0 {
        tones.at(b.tones.at(y - 1).at(x), default: none)
      },
      align: left + top,
      table.header(..b.header.map(cell => text(weight: "bold", fill: accent, runs(cell)))),
      // join concatenates the rows in one pass (a fold copies the growing array for each row: quadratic).
      ..b.rows.join(default: ()).map(cell => runs(cell)),
    ))
  }
}

// The title block.
#block(width: 100%, inset: (bottom: 10pt), stroke: (bottom: 1.2pt + accent))[
  #if doc.kicker != "" { text(9pt, weight: "bold", fill: muted, tracking: 0.08em, upper(doc.kicker)); v(0.2em) }
  #grid(
    columns: (1fr, auto),
    align: (left + bottom, right + bottom),
    gutter: 12pt,
    text(22pt, weight: "bold", fill: accent, doc.title),
    if doc.status != "" {
      box(
        fill: shade, stroke: 0.6pt + accent, inset: (x: 8pt, y: 4pt), radius: 10pt,
        text(9pt, weight: "bold", fill: accent, upper(doc.status)),
      )
    },
  )
  #if doc.subtitle != "" { v(0.1em); text(12pt, fill: muted, doc.subtitle) }
]
#if doc.metadata.len() > 0 {
  v(0.4em)
  grid(
    columns: (auto, 1fr),
    column-gutter: 14pt,
    row-gutter: 6pt,
    ..doc.metadata.map(((k, v)) => (text(9.5pt, fill: muted, k), text(9.5pt, v))).flatten(),
  )
}
#if doc.contents {
  v(0.8em)
  block(fill: shade, inset: 10pt, radius: 3pt, width: 100%)[
    #text(9.5pt, weight: "bold", fill: accent, "Contents")
    #v(0.2em)
    #set text(9.5pt)
    #let half = calc.ceil(doc.sections.len() / 2)
    #grid(
      columns: (1fr, 1fr),
      column-gutter: 14pt,
      stack(spacing: 0.55em, ..doc.sections.slice(0, half).map(s => text(s.heading))),
      stack(spacing: 0.55em, ..doc.sections.slice(half).map(s => text(s.heading))),
    )
  ]
}

#for s in doc.sections {
  heading(level: 1, s.heading)
  for b in s.blocks { render-block(b) }
}
"""


def to_pdf(doc: Document) -> bytes:
    """The document as PDF, typeset by typst with its embedded fonts (no system fonts, no network)."""
    import typst

    data = json.dumps(doc.to_data(), ensure_ascii=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a glyph the embedded fonts lack: typst substitutes, we carry on
        return typst.compile(
            TYPST_TEMPLATE.encode(), format="pdf", sys_inputs={"document": data}, ignore_system_fonts=True
        )


FIGURE_TEMPLATE = r"""
#set page(width: auto, height: auto, margin: 4pt, fill: white)
#image(bytes(sys.inputs.svg), format: "svg", width: 18cm)
"""


def svg_to_png(svg: str, ppi: float = 150) -> bytes:
    """A PNG of an SVG drawing, rendered by typst (Word documents do not show SVG everywhere)."""
    import typst

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return typst.compile(
            FIGURE_TEMPLATE.encode(), format="png", ppi=ppi, sys_inputs={"svg": svg}, ignore_system_fonts=True
        )


# DOCX (python-docx) ----------------------------------------------------------------------------------------------

ACCENT = "1F3A5F"
MUTED = "5B6675"
SHADE = "EEF2F7"
RULE = "C9D1DC"


def to_docx(doc: Document) -> bytes:
    """The document as DOCX: Word's own styles (Title, Heading 1–3, List Bullet/Number, a table grid), a running
    header, "Page n of m" fields in the footer."""
    from docx import Document as WordDocument
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm, Pt, RGBColor

    data = doc.to_data()
    word = WordDocument()
    word.core_properties.title = data["title"]
    word.core_properties.author = data["author"]
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.4), Cm(2.2)
    section.different_first_page_header_footer = True

    styles = word.styles
    normal = styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(5)
    normal.paragraph_format.line_spacing = 1.12
    for name, size in (("Heading 1", 14), ("Heading 2", 12), ("Heading 3", 10.5)):
        style = styles[name]
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor.from_string(ACCENT if name != "Heading 3" else "1C2430")
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.space_before = Pt(16 if name == "Heading 1" else 10)
        style.paragraph_format.space_after = Pt(6)
    title_style = styles["Title"]
    title_style.font.size = Pt(24)
    title_style.font.color.rgb = RGBColor.from_string(ACCENT)
    _remove_borders(title_style.element)  # the template underlines the title; the title block has its own rule

    # Running header (from page 2) and footer with page numbers (every page).
    header = section.header.paragraphs[0]
    _run(header, data["header"], size=8.5, color=MUTED)
    header.add_run("\t\t")
    _run(header, data["title"], size=8.5, color=MUTED)
    _bottom_border(header)
    for footer in (section.footer, section.first_page_footer):
        paragraph = footer.paragraphs[0]
        _top_border(paragraph)
        _run(paragraph, data["footer"], size=8.5, color=MUTED)
        paragraph.add_run("\t\t")
        _run(paragraph, "Page ", size=8.5, color=MUTED)
        _field(paragraph, "PAGE", size=8.5)
        _run(paragraph, " of ", size=8.5, color=MUTED)
        _field(paragraph, "NUMPAGES", size=8.5)

    # Title block.
    if data["kicker"]:
        kicker = word.add_paragraph()
        _run(kicker, data["kicker"].upper(), size=9, bold=True, color=MUTED)
        kicker.paragraph_format.space_after = Pt(2)
    title = word.add_paragraph(style="Title")
    title.add_run(data["title"])
    if data["subtitle"] or data["status"]:
        line = word.add_paragraph()
        if data["subtitle"]:
            _run(line, data["subtitle"], size=12, color=MUTED)
        if data["status"]:
            if data["subtitle"]:
                _run(line, "   ", size=12)
            _run(line, f" {data['status'].upper()} ", size=9, bold=True, color=ACCENT, shade=SHADE)
        _bottom_border(line, color=ACCENT, size=12)
    if data["metadata"]:
        table = word.add_table(rows=0, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        for key, value in data["metadata"]:
            cells = table.add_row().cells
            _cell_text(cells[0], key, size=9.5, color=MUTED)
            _cell_text(cells[1], value, size=9.5)
        _column_widths(table, [Cm(4.5), Cm(12.1)])
        word.add_paragraph()
    if data["contents"]:
        heading = word.add_paragraph()
        _run(heading, "Contents", size=10, bold=True, color=ACCENT)
        for s in data["sections"]:
            entry = word.add_paragraph()
            entry.paragraph_format.space_after = Pt(1)
            entry.paragraph_format.left_indent = Cm(0.4)
            _run(entry, s["heading"], size=9.5)

    numbering = _Numbering(word)
    for s in data["sections"]:
        word.add_heading(s["heading"], level=1)
        for block in s["blocks"]:
            _docx_block(word, block, numbering)

    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _docx_block(word, block, numbering, depth=0):
    from docx.shared import Cm, Pt

    kind = block["type"]
    if kind == "paragraph":
        paragraph = word.add_paragraph()
        if block["style"] == "code":
            for s in block["spans"]:
                _run(paragraph, s["text"], font="Consolas", size=9)
            _shade(paragraph, SHADE)
        elif block["style"] == "quote":
            paragraph.paragraph_format.left_indent = Cm(0.6)
            _spans(paragraph, block["spans"], color=MUTED)
        elif block["style"] == "small":
            _spans(paragraph, block["spans"], color=MUTED, size=9)
        else:
            _spans(paragraph, block["spans"])
    elif kind == "heading":
        paragraph = word.add_heading(level=2 if block["level"] <= 2 else 3)
        _spans(paragraph, block["spans"])
    elif kind == "figure":
        word.add_picture(io.BytesIO(svg_to_png(block["svg"])), width=Cm(16.5))
        if block["caption"]:
            caption = word.add_paragraph()
            _run(caption, block["caption"], color=MUTED, size=9)
    elif kind == "note":
        paragraph = word.add_paragraph()
        _spans(paragraph, block["spans"])
        _shade(paragraph, SHADE)
        paragraph.paragraph_format.left_indent = Cm(0.2)
    elif kind == "list":
        num_id = numbering.new_list() if block["ordered"] else None
        for item in block["items"]:
            style = ("List Number" if block["ordered"] else "List Bullet") + (f" {depth + 1}" if depth else "")
            paragraph = word.add_paragraph(style=style)
            if num_id is not None:
                numbering.apply(paragraph, num_id, depth)
            _spans(paragraph, item["spans"])
            for child in item["children"]:
                _docx_block(word, child, numbering, min(depth + 1, 2))
    elif kind == "table":
        columns = block["columns"]
        table = word.add_table(rows=1, cols=columns)
        table.style = word.styles["Table Grid"]
        for cell, spans in zip(table.rows[0].cells, block["header"], strict=True):
            paragraph = cell.paragraphs[0]
            _spans(paragraph, spans, bold=True, color=ACCENT)
            _shade_cell(cell, SHADE)
        _repeat_header(table.rows[0])
        for index, row in enumerate(block["rows"]):
            cells = table.add_row().cells
            tones = block["tones"][index] if block["tones"] else [""] * columns
            for cell, spans, tone in zip(cells, row, tones, strict=True):
                _spans(cell.paragraphs[0], spans)
                if tone:
                    _shade_cell(cell, TONES[tone])
        total = sum(block["widths"]) or columns
        usable = Cm(16.6)
        _column_widths(table, [int(usable * w / total) for w in block["widths"]])
        _table_borders(table)
        spacer = word.add_paragraph()
        spacer.paragraph_format.space_after = Pt(2)


def _run(paragraph, text, *, bold=False, italic=False, size=None, color=None, font=None, shade=None):
    from docx.shared import Pt, RGBColor

    run = paragraph.add_run(clean_text(text))
    run.bold = bold or None
    run.italic = italic or None
    if size:
        run.font.size = Pt(size)
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    if font:
        run.font.name = font
    if shade:
        _run_shade(run, shade)
    return run


def _spans(paragraph, spans, *, bold=False, color=None, size=None):
    for s in spans:
        parts = s["text"].split("\n")
        for i, part in enumerate(parts):
            if i:
                paragraph.add_run().add_break()
            if not part:
                continue
            options = {
                "bold": bold or s["bold"],
                "italic": s["italic"],
                "size": size,
                "color": color,
                "font": "Consolas" if s["code"] else None,
            }
            if s["link"]:
                _hyperlink(paragraph, s["link"], part, **options)
            else:
                _run(paragraph, part, **options)


def _hyperlink(paragraph, url, text, **options):
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = _run(paragraph, text, **{**options, "color": options.get("color") or ACCENT})
    run.underline = True
    link.append(run._r)  # moves the run into the hyperlink
    paragraph._p.append(link)


def _field(paragraph, instruction, size=None):
    """A Word field (PAGE, NUMPAGES): begin, instruction, separator, a placeholder result, end — each in a run of
    its own with the same formatting, as Word writes them."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def part(tag, **attributes):
        run = _run(paragraph, "", size=size, color=MUTED)
        element = OxmlElement(tag)
        for name, value in attributes.items():
            element.set(qn(name), value)
        run._r.append(element)
        return element

    part("w:fldChar", **{"w:fldCharType": "begin"})
    part("w:instrText", **{"xml:space": "preserve"}).text = f" {instruction} "
    part("w:fldChar", **{"w:fldCharType": "separate"})
    part("w:t").text = "1"
    part("w:fldChar", **{"w:fldCharType": "end"})


def _border(paragraph, side, color=RULE, size=4):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = paragraph._p.get_or_add_pPr()
    borders = properties.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        properties.append(borders)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size))
    edge.set(qn("w:space"), "4")
    edge.set(qn("w:color"), color)
    borders.append(edge)


def _remove_borders(element):
    from docx.oxml.ns import qn

    properties = element.find(qn("w:pPr"))
    borders = properties.find(qn("w:pBdr")) if properties is not None else None
    if borders is not None:
        properties.remove(borders)


def _bottom_border(paragraph, color=RULE, size=4):
    _border(paragraph, "bottom", color, size)


def _top_border(paragraph, color=RULE, size=4):
    _border(paragraph, "top", color, size)


def _shade(paragraph, fill):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    paragraph._p.get_or_add_pPr().append(shading)


def _run_shade(run, fill):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    run._r.get_or_add_rPr().append(shading)


def _shade_cell(cell, fill):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _cell_text(cell, text, **options):
    _run(cell.paragraphs[0], text, **options)
    cell.paragraphs[0].paragraph_format.space_after = 0


def _column_widths(table, widths):
    """Both the grid (LibreOffice reads it) and each cell (Word reads those)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=False):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


def _repeat_header(row):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _table_borders(table):
    """Horizontal rules only: a calm table, as in the PDF."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = table._tbl.tblPr
    borders = properties.find(qn("w:tblBorders"))
    if borders is not None:
        properties.remove(borders)
    borders = OxmlElement("w:tblBorders")
    for side, value in (
        ("top", ACCENT),
        ("bottom", RULE),
        ("insideH", RULE),
        ("left", None),
        ("right", None),
        ("insideV", None),
    ):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single" if value else "nil")
        if value:
            edge.set(qn("w:sz"), "6" if side == "top" else "4")
            edge.set(qn("w:color"), value)
        borders.append(edge)
    properties.append(borders)


class _Numbering:
    """Each numbered list starts at 1: Word continues "List Number" across the whole document unless every list
    gets its own numbering instance that restarts the shared definition."""

    def __init__(self, word):
        self.word = word
        self.abstract_id = None

    def _abstract(self):
        if self.abstract_id is None:
            from docx.oxml.ns import qn

            numbering = self.word.part.numbering_part.element
            style = self.word.styles["List Number"]
            num_pr = style.element.pPr.numPr if style.element.pPr is not None else None
            num_id = num_pr.numId.val if num_pr is not None and num_pr.numId is not None else None
            for num in numbering.findall(qn("w:num")):
                if num_id is not None and int(num.get(qn("w:numId"))) == num_id:
                    self.abstract_id = int(num.find(qn("w:abstractNumId")).get(qn("w:val")))
            if self.abstract_id is None:  # no definition in the template: the style's own numbering is used
                self.abstract_id = -1
        return self.abstract_id

    def new_list(self):
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        abstract = self._abstract()
        if abstract < 0:
            return None
        numbering = self.word.part.numbering_part.element
        ids = [int(num.get(qn("w:numId"))) for num in numbering.findall(qn("w:num"))]
        num = OxmlElement("w:num")
        num.set(qn("w:numId"), str(max(ids, default=0) + 1))
        reference = OxmlElement("w:abstractNumId")
        reference.set(qn("w:val"), str(abstract))
        num.append(reference)
        override = OxmlElement("w:lvlOverride")
        override.set(qn("w:ilvl"), "0")
        start = OxmlElement("w:startOverride")
        start.set(qn("w:val"), "1")
        override.append(start)
        num.append(override)
        numbering.append(num)
        return int(num.get(qn("w:numId")))

    @staticmethod
    def apply(paragraph, num_id, depth):
        if num_id is None or depth:
            return
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = num_id


# HTML (pages) ----------------------------------------------------------------------------------------------------


def _spans_html(spans) -> str:
    parts = []
    for span in spans:
        text = html.escape(clean_text(span.text)).replace("\n", "<br>")
        if span.code:
            text = f"<code>{text}</code>"
        if span.italic:
            text = f"<em>{text}</em>"
        if span.bold:
            text = f"<strong>{text}</strong>"
        link = span.to_data()["link"]
        if link:
            text = f'<a href="{html.escape(link)}" rel="noopener noreferrer nofollow">{text}</a>'
        parts.append(text)
    return "".join(parts)


def to_html(blocks):
    """Blocks as HTML for a page (a SafeString): every text is escaped, links keep http(s) and mailto only. Headings
    inside a section are <h4>, so they sit below the page's own headings."""
    from django.utils.safestring import mark_safe

    out = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"<h4>{_spans_html(block.spans)}</h4>")
        elif isinstance(block, Note):
            out.append(f'<p class="note">{_spans_html(block.spans)}</p>')
        elif isinstance(block, Paragraph):
            body = _spans_html(block.spans)
            if block.style == "code":
                out.append(f"<pre><code>{html.escape(clean_text(plain(block.spans)))}</code></pre>")
            elif block.style == "quote":
                out.append(f"<blockquote><p>{body}</p></blockquote>")
            else:
                out.append(f"<p>{body}</p>")
        elif isinstance(block, Figure):
            caption = f"<figcaption>{html.escape(block.caption)}</figcaption>" if block.caption else ""
            out.append(f"<figure>{block.svg}{caption}</figure>")  # KAM's own SVG, its text escaped where drawn
        elif isinstance(block, ListBlock):
            tag = "ol" if block.ordered else "ul"
            items = "".join(f"<li>{_spans_html(item.spans)}{to_html(item.children)}</li>" for item in block.items)
            out.append(f"<{tag}>{items}</{tag}>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{_spans_html(cell)}</th>" for cell in block.header)
            rows = "".join(
                "<tr>" + "".join(f"<td>{_spans_html(cell)}</td>" for cell in row) + "</tr>" for row in block.rows
            )
            out.append(f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>')
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
