"""kam.stakeholders.orgchart: the reporting tree (roots, order, circles), the layout (no overlaps, managers above,
deterministic, compact for 300 people), the SVG (well-formed, escaped, vacant places, dotted lines, page vs. PDF) and
the static checks of kam/orgchart.js."""

import datetime as dt
import json
import random
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kam.stakeholders import orgchart, services
from kam.stakeholders.orgchart import Person, build_tree, layout, people_from_contacts, people_from_states, to_svg

SVG = "{http://www.w3.org/2000/svg}"
JS = Path(__file__).resolve().parents[2] / "kam" / "core" / "static" / "kam" / "orgchart.js"
CSS = JS.with_name("kam.css")


def p(pid, name, manager=None, **fields):
    return Person(id=pid, name=name, manager_id=manager, **fields)


def company(size, seed=7):
    """A plausible company of `size` people: a CEO, executives, managers, wide operational teams, a few dotted
    lines, leavers, every attitude and buying role."""
    rng = random.Random(seed)
    people = [p(1, "Chief Executive", level="executive", attitude="champion", buying_role="economic_buyer")]
    managers = [1]
    for pid in range(2, size + 1):
        manager = rng.choice(managers[:8] if pid < 12 else managers)
        level = "executive" if pid < 8 else "management" if pid < 50 else "operational"
        people.append(
            p(
                pid,
                f"Person {pid:03d}",
                manager,
                title=f"Title {pid}",
                level=level,
                attitude=rng.choice(list(orgchart.ATTITUDES)),
                buying_role=rng.choice([*orgchart.BADGES, "", "", ""]),
                dotted_id=rng.randint(1, size) if rng.random() < 0.05 else None,
                owner=rng.choice(["", "Kim Keller"]),
                strength_now=rng.randint(0, 2),
                strength_desired=rng.randint(1, 4),
                left_on=dt.date(2026, 1, 5) if rng.random() < 0.03 else None,
            )
        )
        if level != "operational":
            managers.append(pid)
    return people


def overlaps(a, b):
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


# The tree -----------------------------------------------------------------------------------------------------------


def test_roots_and_order_executives_first_then_name():
    forest = build_tree(
        [
            p(1, "Zoe Root", level="executive"),
            p(2, "bob", 1, level="operational"),
            p(3, "Anna", 1, level="operational"),
            p(4, "Yuri", 1, level="executive"),
            p(5, "Carl", 1, level="management"),
            p(6, "Alf Root", level="management"),
        ]
    )
    assert [n.id for n in forest.roots] == [1, 6]  # executive before management, whatever the name
    assert [c.person.name for c in forest.nodes[1].children] == ["Yuri", "Carl", "Anna", "bob"]  # name: case-blind
    assert forest.nodes[2].depth == 1 and forest.nodes[2].parent is forest.nodes[1]
    assert forest.cycles == [] and forest.outside == []


def test_a_manager_outside_the_map_makes_a_root_and_is_reported():
    forest = build_tree([p(1, "Boss"), p(2, "Report", 99), p(3, "Below", 2)])
    assert {n.id for n in forest.roots} == {1, 2}
    assert forest.outside == [2]
    assert [c.id for c in forest.nodes[2].children] == [3]


def test_a_circle_is_broken_at_its_most_senior_member_and_reported():
    people = [
        p(1, "Ann", 3, level="operational"),
        p(2, "Ben", 1, level="executive"),
        p(3, "Cat", 2, level="management"),
        p(4, "Dan", 2),  # hangs off the circle
        p(5, "Eve", 5),  # her own manager: a root, no circle to report
    ]
    forest = build_tree(people)
    # Reported from where it was broken (Ben, the executive) along the reporting lines: Ben → Ann → Cat → Ben.
    assert forest.cycles == [(2, 1, 3)]
    assert [n.id for n in forest.roots] == [2, 5]
    assert len(forest) == 5
    # Everyone is reachable from a root exactly once.
    seen = [n.id for n in orgchart._preorder(forest.roots)]
    assert sorted(seen) == [1, 2, 3, 4, 5]
    assert layout(forest).boxes.keys() == {1, 2, 3, 4, 5}


def test_a_very_long_chain_and_several_circles_end():
    chain = [p(1, "Top")] + [p(i, f"P{i}", i - 1) for i in range(2, 3001)]  # deeper than the recursion limit
    circles = [p(10_000 + i, f"C{i}", 10_000 + (i + 1) % 4) for i in range(4)]
    circles += [p(20_000, "X", 20_001), p(20_001, "Y", 20_000)]
    forest = build_tree(chain + circles)
    assert len(forest.cycles) == 2
    assert forest.nodes[3000].depth == 2999
    assert len(layout(forest).boxes) == 3006


def test_people_from_contacts_and_from_the_history(portfolio, person, users):
    ceo = person(portfolio.own, "Stone", "Ada", title="CEO", level="executive", relationship_owner=users.kam)
    cfo = person(portfolio.own_child, "Kim", "Lee", reports_to=ceo, buying_role="economic_buyer")
    from kam.stakeholders.models import Contact

    people = people_from_contacts(Contact.objects.filter(account__in=[portfolio.own, portfolio.own_child]))
    by_id = {x.id: x for x in people}
    assert by_id[ceo.pk].owner == (users.kam.full_name or users.kam.email)
    assert by_id[cfo.pk].manager_id == ceo.pk and by_id[cfo.pk].account == portfolio.own_child.name
    services.mark_left(cfo, dt.date.today(), users.kam)
    states = services.map_as_of(portfolio.own, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    past = {x.id: x for x in people_from_states(states)}
    assert past[cfo.pk].has_left and past[cfo.pk].manager_id == ceo.pk
    svg = to_svg(layout(build_tree(past.values())), interactive=False)
    assert "Vacant — formerly Lee Kim" in svg


# The layout ---------------------------------------------------------------------------------------------------------


def test_no_two_boxes_overlap_and_managers_sit_above_for_300_people():
    result = layout(build_tree(company(300)))
    boxes = list(result.boxes.values())
    assert len(boxes) == 300
    clashes = [(a.node.id, b.node.id) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if overlaps(a, b)]
    assert clashes == []
    for box in boxes:
        assert box.x >= 0 and box.x + box.w <= result.width and box.y + box.h <= result.height
        parent = box.node.parent
        if parent is not None:
            assert result.boxes[parent.id].y + orgchart.BOX_H <= box.y
    # Compact: the wide operational teams are stacked, so the map is far narrower than a row per level.
    plain = layout(build_tree(company(300)), compact=False)
    assert any(b.stacked for b in boxes)
    assert result.width < plain.width / 3
    plain_boxes = list(plain.boxes.values())
    assert not any(overlaps(a, b) for i, a in enumerate(plain_boxes) for b in plain_boxes[i + 1 :])


def test_more_leaves_than_the_threshold_are_stacked_under_their_manager():
    forest = build_tree([p(1, "Boss")] + [p(i, f"Leaf {i}", 1) for i in range(2, 9)] + [p(9, "Sub", 2)])
    result = layout(forest, stack_over=6)  # Boss: 6 leaves (3..8) and one with a team (2): a row
    assert len({result.boxes[i].y for i in range(2, 9)}) == 1 and not result.boxes[3].stacked
    forest = build_tree([p(1, "Boss")] + [p(i, f"Leaf {i}", 1) for i in range(2, 10)] + [p(20, "Sub", 2)])
    result = layout(forest, stack_over=6)  # 7 leaves: stacked, right of the report with a team, in name order
    leaves = sorted((result.boxes[i] for i in range(3, 10)), key=lambda b: b.node.person.name)
    assert all(b.stacked for b in leaves) and len({b.x for b in leaves}) == 1
    assert [b.y for b in leaves] == sorted(b.y for b in leaves) and leaves[0].x > result.boxes[2].x
    tall = layout(build_tree([p(1, "Boss")] + [p(i, f"Leaf {i:02d}", 1) for i in range(2, 32)]), max_rows=12)
    assert len({b.x for b in tall.boxes.values() if b.stacked}) == 3  # 30 leaves: three columns of ten
    assert len({b.y for b in layout(build_tree([p(1, "B"), p(2, "L", 1), p(3, "M", 1)])).boxes.values()}) == 2


def test_the_layout_is_deterministic():
    people = company(120, seed=3)
    first = layout(build_tree(people))
    again = layout(build_tree(list(reversed(people))))  # the order people come in does not matter
    assert {i: (b.x, b.y) for i, b in first.boxes.items()} == {i: (b.x, b.y) for i, b in again.boxes.items()}
    assert to_svg(first, interactive=True) == to_svg(again, interactive=True)


# The SVG ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def hostile():
    return [
        p(
            1,
            'Ada <script>alert("x")</script> & Co',
            title="CEO 'quoted' <b>",
            level="executive",
            attitude="champion",
            buying_role="economic_buyer",
            owner='Kim <Keller> & "Sons"',
            strength_now=2,
            strength_desired=3,
        ),  # fmt: skip
        p(2, "Bea Blocker", 1, attitude="blocker", dotted_id=3, title="CFO"),
        p(3, "Cy Sceptic", 1, attitude="sceptic", buying_role="technical_buyer"),
        p(4, "Dee Left", 2, attitude="champion", title="Head of IT", left_on=dt.date(2026, 2, 1)),
        p(5, "Ed\x00Null", 2, attitude="supporter"),  # a character XML cannot hold
    ]


def test_svg_is_well_formed_and_escapes_every_name(hostile):
    for interactive in (True, False):
        svg = to_svg(layout(build_tree(hostile)), interactive=interactive, title='Map of <Acme> & "Co"')
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg"
        assert "<script" not in svg and "<b>" not in svg
        texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
        assert "Ada <script>" in texts  # the name is shown as text, not read as markup
        assert "ours: Kim <Keller>" in texts
        assert "Ed\ufffdNull" in texts
        assert not any(k.startswith("on") for e in root.iter() for k in e.attrib)
        assert root.find(f"{SVG}style") is None and not any("style" in e.attrib for e in root.iter())


def test_svg_draws_vacant_places_dotted_lines_badges_and_attitudes(hostile):
    svg = to_svg(layout(build_tree(hostile)), interactive=True)
    root = ET.fromstring(svg)
    nodes = {g.get("data-id"): g for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()}
    assert set(nodes) == {"1", "2", "3", "4", "5"}
    assert "att-champion" in nodes["1"].get("class") and "att-blocker" in nodes["2"].get("class")
    assert "att-sceptic" in nodes["3"].get("class") and "att-supporter" in nodes["5"].get("class")
    vacant = nodes["4"]
    assert "vacant" in vacant.get("class") and "att-champion" not in vacant.get("class")
    assert "Vacant — formerly Dee Left" in "".join(vacant.itertext())
    assert vacant.find(f"{SVG}rect").get("stroke-dasharray")  # a dashed border
    badges = {
        g.get("data-id"): [t.text for t in g.iter(f"{SVG}text") if t.get("class") == "badge"] for g in nodes.values()
    }
    assert badges["1"] == ["EB"] and badges["3"] == ["TB"] and badges["2"] == []
    edges = list(root.iter(f"{SVG}path"))
    solid = [e for e in edges if e.get("class") == "edge"]
    dotted = [e for e in edges if e.get("class") == "edge dotted"]
    assert {(e.get("data-from"), e.get("data-to")) for e in solid} == {("2", "1"), ("3", "1"), ("4", "2"), ("5", "2")}
    assert [(e.get("data-from"), e.get("data-to")) for e in dotted] == [("2", "3")]
    assert dotted[0].get("stroke-dasharray") and not solid[0].get("stroke-dasharray")
    # Search text, parents and toggles for the script; toggles only on managers, reachable by keyboard.
    assert nodes["2"].get("data-parent") == "1" and nodes["1"].get("data-parent") == ""
    assert nodes["2"].get("data-search") == "bea blocker cfo"
    toggles = {t.get("data-toggle"): t for t in root.iter() if t.get("data-toggle")}
    assert set(toggles) == {"1", "2"}
    assert toggles["1"].get("role") == "button" and toggles["1"].get("tabindex") == "0"
    assert toggles["1"].get("aria-expanded") == "true"


def test_the_document_svg_has_colours_and_no_data_attributes(hostile):
    svg = to_svg(layout(build_tree(hostile)), interactive=False)
    root = ET.fromstring(svg)
    assert not any(k.startswith("data-") for e in root.iter() for k in e.attrib)
    assert not any(e.get("data-toggle") or e.get("tabindex") for e in root.iter())
    boxes = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "box" and r.get("width") == str(orgchart.BOX_W)]
    fills = {r.get("fill") for r in boxes}
    assert orgchart.ATTITUDES["champion"][1] in fills and orgchart.ATTITUDES["blocker"][1] in fills
    assert orgchart.VACANT[1] in fills
    assert all(r.get("stroke") for r in boxes)
    assert root.get("font-family") and root.get("width") and root.get("viewBox")
    assert all(t.get("fill") for t in root.iter(f"{SVG}text"))  # readable without a stylesheet


def test_timing_for_a_300_person_account():
    people = company(300)
    started = time.perf_counter()
    result = layout(build_tree(people))
    page = to_svg(result, interactive=True)
    elapsed = (time.perf_counter() - started) * 1000
    document = to_svg(result, interactive=False)
    print(
        f"\norgchart 300 people: build+layout+svg {elapsed:.1f} ms; {result.width:.0f}x{result.height:.0f} units; "
        f"page SVG {len(page) / 1024:.0f} KiB, document SVG {len(document) / 1024:.0f} KiB"
    )
    assert ET.fromstring(page) is not None


def test_the_document_svg_is_readable_by_typst(hostile, tmp_path):
    typst = pytest.importorskip("typst")
    (tmp_path / "map.svg").write_text(to_svg(layout(build_tree(company(40))), interactive=False))
    (tmp_path / "hostile.svg").write_text(to_svg(layout(build_tree(hostile)), interactive=False))
    (tmp_path / "main.typ").write_text('#image("map.svg")\n#pagebreak()\n#image("hostile.svg")\n')
    assert typst.compile(str(tmp_path / "main.typ"))[:5] == b"%PDF-"


# The script ---------------------------------------------------------------------------------------------------------


def test_the_script_builds_no_markup_from_data_and_the_styles_exist():
    source = JS.read_text()
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.DOTALL)  # the comments may name what is avoided
    for banned in ("eval(", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "new Function",
                   "setAttribute(\"style\"", ".style."):  # fmt: skip
        assert banned not in code, banned
    for hook in ("data-toggle", "data-orgchart-search", "data-orgchart-zoom", "data-search", "data-parent",
                 "aria-expanded", "ctrlKey", "viewBox"):  # fmt: skip
        assert hook in code, hook
    css = CSS.read_text()
    assert "/* Organisation map */" in css
    for rule in ("att-champion", "att-supporter", "att-neutral", "att-sceptic", "att-blocker", "vacant", ".match",
                 ".dim"):  # fmt: skip
        assert rule in css.split("/* Organisation map */", 1)[1], rule


# A minimal DOM (just what orgchart.js touches), built from the server's SVG, to run the script under node: the
# acceptance test "collapse a branch" without a browser.
HARNESS = r"""
const fs = require("fs");
const [tree, script] = [JSON.parse(fs.readFileSync(process.argv[2], "utf8")), fs.readFileSync(process.argv[3], "utf8")];
function parseSel(sel) {
  return sel.trim().split(/\s+/).map((part) => {
    const m = { tag: null, classes: [], attrs: [] };
    const tag = part.match(/^[a-z]+/); if (tag) m.tag = tag[0];
    for (const c of part.matchAll(/\.([\w-]+)/g)) m.classes.push(c[1]);
    for (const a of part.matchAll(/\[([\w-]+)(?:="([^"]*)")?\]/g)) m.attrs.push([a[1], a[2]]);
    return m;
  });
}
function one(el, m) {
  if (!el.attrs) return false;
  if (m.tag && el.tagName !== m.tag) return false;
  const cls = (el.attrs.class || "").split(/\s+/);
  if (!m.classes.every((c) => cls.includes(c))) return false;
  return m.attrs.every(([k, v]) => k in el.attrs && (v === undefined || el.attrs[k] === v));
}
function matches(el, sel) {
  const parts = parseSel(sel);
  if (!one(el, parts[parts.length - 1])) return false;
  let i = parts.length - 2, up = el.parent;
  while (i >= 0 && up) { if (one(up, parts[i])) i--; up = up.parent; }
  return i < 0;
}
class El {
  constructor(tag, attrs, text) {
    this.tagName = tag; this.attrs = attrs || {}; this.children = []; this.parent = null; this.text = text || "";
    this.listeners = {}; this.namespaceURI = "http://www.w3.org/2000/svg";
    const self = this;
    this.classList = {
      contains: (c) => (self.attrs.class || "").split(/\s+/).includes(c),
      add: (c) => self.classList.toggle(c, true), remove: (c) => self.classList.toggle(c, false),
      toggle: (c, on) => {
        let list = (self.attrs.class || "").split(/\s+/).filter(Boolean);
        if (on === undefined) on = !list.includes(c);
        list = list.filter((x) => x !== c); if (on) list.push(c);
        self.attrs.class = list.join(" "); return on;
      },
    };
  }
  getAttribute(k) { return k in this.attrs ? this.attrs[k] : null; }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  removeAttribute(k) { delete this.attrs[k]; }
  appendChild(c) { c.parent = this; this.children.push(c); return c; }
  all() {
    const out = [];
    const walk = (e) => e.children.forEach((c) => { out.push(c); walk(c); });
    walk(this);
    return out;
  }
  querySelectorAll(sel) { return this.all().filter((e) => matches(e, sel)); }
  querySelector(sel) { return this.querySelectorAll(sel)[0] || null; }
  closest(sel) { let e = this; while (e && e.attrs) { if (matches(e, sel)) return e; e = e.parent; } return null; }
  matches(sel) { return matches(this, sel); }
  contains(o) { while (o) { if (o === this) return true; o = o.parent; } return false; }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  fire(type, props) {
    const event = Object.assign({ target: this, preventDefault() {} }, props || {});
    for (let e = this; e; e = e.parent) (e.listeners[type] || []).forEach((fn) => fn(event));
  }
  get textContent() { return this.text; }
  set textContent(v) { this.text = v; }
  get viewBox() {
    const [x, y, width, height] = this.attrs.viewBox.split(/\s+/).map(Number);
    return { baseVal: { x, y, width, height } };
  }
  get transform() {
    const m = (this.attrs.transform || "").match(/translate\(([-\d.]+) ([-\d.]+)\)/);
    return { baseVal: { consolidate: () => (m ? { matrix: { e: +m[1], f: +m[2] } } : null) } };
  }
  get width() { return { baseVal: { value: +this.attrs.width } }; }
  get height() { return { baseVal: { value: +this.attrs.height } }; }
  getBoundingClientRect() { return { width: 0, height: 0 }; }
  scrollIntoView() {}
  setPointerCapture() {}
}
function build(node) {
  const el = new El(node.tag, node.attrs, node.text);
  node.children.forEach((c) => el.appendChild(build(c)));
  return el;
}
const body = new El("body", {});
const svg = body.appendChild(build(tree));
const search = body.appendChild(new El("input", { "data-orgchart-search": "" }));
search.value = "";
const zoomIn = body.appendChild(new El("button", { "data-orgchart-zoom": "in" }));
const count = body.appendChild(new El("span", { "data-orgchart-count": "" }));
global.document = {
  readyState: "complete", addEventListener() {},
  querySelectorAll: (sel) => body.querySelectorAll(sel),
  createElementNS: (ns, tag) => new El(tag, {}),
};
global.CSS = { escape: (s) => s };
eval(script);  // the script under test, in this stub page
const hidden = () => svg.all().filter((e) => e.attrs.display === "none")
  .map((e) => e.attrs["data-id"] || "edge " + e.attrs["data-from"] + ">" + e.attrs["data-to"]).sort();
const toggleOf = (id) => svg.querySelector('[data-toggle="' + id + '"]');
const out = { start: hidden() };
toggleOf("2").querySelector("circle").fire("click");
out.collapsed = hidden();
out.aria = toggleOf("2").getAttribute("aria-expanded");
out.sign = toggleOf("2").querySelector("text").textContent;
toggleOf("2").fire("click");
out.expanded = hidden();
toggleOf("1").fire("keydown", { key: "Enter" });
out.keyboard = hidden();
search.value = "  BEA ";
search.fire("input");
out.match = svg.querySelectorAll("g.match").map((e) => e.attrs["data-id"]);
out.dim = svg.querySelectorAll("g.dim").map((e) => e.attrs["data-id"]).sort();
out.count = count.textContent;
search.fire("keydown", { key: "Enter" });
out.afterEnter = hidden();
const before = svg.viewBox.baseVal.width;
zoomIn.fire("click");
out.zoomed = svg.viewBox.baseVal.width / before;
console.log(JSON.stringify(out));
"""


def _tree(element):
    return {
        "tag": element.tag.removeprefix(SVG),
        "attrs": dict(element.attrib),
        "text": element.text or "",
        "children": [_tree(child) for child in element],
    }


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_script_collapses_a_branch_searches_and_zooms(hostile, tmp_path):
    svg = to_svg(layout(build_tree(hostile)), interactive=True, collapse_below=None)
    (tmp_path / "svg.json").write_text(json.dumps(_tree(ET.fromstring(svg))))
    (tmp_path / "harness.js").write_text(HARNESS)
    run = subprocess.run(
        ["node", str(tmp_path / "harness.js"), str(tmp_path / "svg.json"), str(JS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["start"] == []
    # Collapsing Bea (2) hides her reports (4, 5) and their lines; her own box and the dotted line to Cy stay.
    assert out["collapsed"] == ["4", "5", "edge 4>2", "edge 5>2"]
    assert out["aria"] == "false" and out["sign"] == "+"
    assert out["expanded"] == []
    # Enter on the CEO's toggle hides everyone below, lines (the dotted one too) included.
    assert out["keyboard"] == ["2", "3", "4", "5", "edge 2>1", "edge 2>3", "edge 3>1", "edge 4>2", "edge 5>2"]
    assert out["match"] == ["2"] and out["dim"] == ["1", "3", "4", "5"] and out["count"] == "1 match"
    # Enter in the search box opens the collapsed manager hiding the first match (and so their other reports).
    assert out["afterEnter"] == []
    assert out["zoomed"] == pytest.approx(0.8, abs=0.01)


def test_a_big_map_can_start_collapsed():
    svg = to_svg(layout(build_tree(company(60))), interactive=True, collapse_below=1)
    root = ET.fromstring(svg)
    assert root.get("data-collapse-below") == "1"
    depths = {g.get("data-depth") for g in root.iter(f"{SVG}g") if g.get("data-depth")}
    assert {"0", "1", "2"} <= depths
    assert "data-collapse-below" not in to_svg(layout(build_tree(company(60))), interactive=True)
