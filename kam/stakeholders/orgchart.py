"""The organisation map of a customer as a chart (issue 8): one tree, one layout, one SVG — inline in the page
(enhanced by `kam/orgchart.js`: collapse, search, zoom) and standalone for the plan PDF.

    people = people_from_contacts(contacts)          # or people_from_states(services.map_as_of(account, moment))
    forest = build_tree(people)                      # roots, children, cycles broken and reported
    svg = to_svg(layout(forest), interactive=True)   # interactive=False: colours inline, no data- attributes

The tree rules (`build_tree`):
- a person's parent is their manager (`manager_id`) when the manager is on the map; otherwise they are a root (the
  map of one moment or one subsidiary may not hold everyone's manager; those are listed in `Forest.outside`);
- a circle of managers (bad data: the services refuse one, imports or old history may still hold one) is broken at
  its most senior member (then by name), who becomes a root; each circle is reported in `Forest.cycles`;
- children and roots are ordered by level (executive, management, operational), then name, then id.

The layout rules (`layout`):
- top-down; every box has the same size (BOX_W × BOX_H); a level of the tree is a row, rows ROW_STEP apart;
- each subtree owns a vertical band of the chart: sibling subtrees sit side by side, never overlapping, and a
  manager is centred above the band of their reports;
- compact (the default): when a manager has more than `stack_over` (2) reports without reports of their own
  (leaves), those leaves are stacked as a vertical list under the manager (columns of at most `max_rows`, each with a
  spine line on its left), to the right of the reports who do have teams — so an operational team takes one column,
  not a row: a generated 300-person account is ~13,000 units wide instead of ~55,000 (trees are wide, not deep, so
  height is the cheap direction);
- the layout is a pure function of the forest: the same people give the same picture.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape

from kam.core.documents import clean_text

# Sizes (SVG user units, i.e. CSS pixels at zoom 1) --------------------------------------------------------------

BOX_W, BOX_H = 200, 78
H_GAP = 20  # between sibling bands
V_GAP = 44  # between rows: room for the elbow of the manager lines (and the collapse toggle)
ROW_STEP = BOX_H + V_GAP
STACK_GAP = 12  # between the boxes of a stacked list
STACK_STEP = BOX_H + STACK_GAP
INDENT = 24  # a stacked list is indented this much right of its spine
MARGIN = 20
LEGEND_H = 46
MIN_WIDTH = 760  # the legend's width

LEVEL_RANK = {"executive": 0, "management": 1, "operational": 2}
BADGES = {
    "economic_buyer": ("EB", "Economic buyer"),
    "decision_maker": ("DM", "Decision maker"),
    "technical_buyer": ("TB", "Technical buyer"),
    "user": ("U", "User"),
    "influencer": ("I", "Influencer"),
    "gatekeeper": ("G", "Gatekeeper"),
    "coach": ("C", "Coach"),
}
ATTITUDES = {  # class suffix: (label, fill, border) — fills used inline when there is no page stylesheet (PDF)
    "champion": ("Champion", "#c8ecd2", "#1a7f37"),
    "supporter": ("Supporter", "#e6f5e9", "#5aa469"),
    "neutral": ("Neutral", "#eef1f5", "#8792a2"),
    "sceptic": ("Sceptic", "#fdeccb", "#b7791f"),
    "blocker": ("Blocker", "#f9d3cd", "#b42318"),
}
VACANT = ("Vacant", "#f3f4f6", "#9aa3ae")
STRENGTH_LABELS = {0: "None", 1: "Aware of us", 2: "Acquainted", 3: "Trusted", 4: "Trusted advisor"}
STRENGTH_MAX = 4
INK, MUTED, LINE, ACCENT = "#1c2430", "#5b6675", "#8792a2", "#1f5fbf"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"


# Records ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """What the map shows of one person: plain values, from a Contact (today) or a ContactState (the past)."""

    id: int
    name: str
    title: str = ""
    account: str = ""
    manager_id: int | None = None
    dotted_id: int | None = None
    buying_role: str = ""
    attitude: str = "neutral"
    influence: str = "medium"
    level: str = "operational"
    owner: str = ""  # who of ours holds the relationship (a display name)
    strength_now: int = 0
    strength_desired: int = 0
    left_on: dt.date | None = None

    @property
    def has_left(self) -> bool:
        return self.left_on is not None


def _names(model, ids: set, label) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {obj.pk: label(obj) for obj in model.objects.filter(pk__in=ids)}


def _owner_names(ids) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    return _names(get_user_model(), set(ids), lambda user: user.full_name or user.email)


def _account_names(ids) -> dict[int, str]:
    from kam.accounts.models import Account

    return _names(Account, set(ids), lambda account: account.name)


def people_from_contacts(
    contacts: Iterable, owners: Mapping[int, str] | None = None, accounts: Mapping[int, str] | None = None
) -> list[Person]:
    """The people of today's map. `owners` (user id → name) and `accounts` (account id → name) are read in one
    query each when not given."""
    contacts = list(contacts)
    if owners is None:
        owners = _owner_names(c.relationship_owner_id for c in contacts)
    if accounts is None:
        accounts = _account_names(c.account_id for c in contacts)
    return [
        Person(
            id=c.pk,
            name=c.name,
            title=c.title,
            account=accounts.get(c.account_id, ""),
            manager_id=c.reports_to_id,
            dotted_id=c.dotted_line_to_id,
            buying_role=c.buying_role,
            attitude=c.attitude,
            influence=c.influence,
            level=c.level,
            owner=owners.get(c.relationship_owner_id, "") if c.relationship_owner_id else "",
            strength_now=c.relationship_now,
            strength_desired=c.relationship_desired,
            left_on=c.left_on,
        )
        for c in contacts
    ]


def people_from_states(
    states: Iterable, owners: Mapping[int, str] | None = None, accounts: Mapping[int, str] | None = None
) -> list[Person]:
    """The people of the map as of a moment (`services.map_as_of`). Owner and account names are today's."""
    states = list(states)
    if owners is None:
        owners = _owner_names(s.relationship_owner_user_id for s in states)
    if accounts is None:
        accounts = _account_names(s.account_id for s in states)
    return [
        Person(
            id=s.contact_id,
            name=s.name,
            title=s.title,
            account=accounts.get(s.account_id, ""),
            manager_id=s.reports_to_contact_id,
            dotted_id=s.dotted_line_to_contact_id,
            buying_role=s.buying_role,
            attitude=s.attitude,
            influence=s.influence,
            level=s.level,
            owner=owners.get(s.relationship_owner_user_id, "") if s.relationship_owner_user_id else "",
            strength_now=s.relationship_now,
            strength_desired=s.relationship_desired,
            left_on=s.left_on,
        )
        for s in states
    ]


# The tree -----------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    person: Person
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    depth: int = 0

    @property
    def id(self) -> int:
        return self.person.id


@dataclass
class Forest:
    roots: list[Node]
    nodes: dict[int, Node]  # id → node, in the order given
    cycles: list[tuple[int, ...]] = field(default_factory=list)  # each circle found, from where it was broken
    outside: list[int] = field(default_factory=list)  # people whose manager is not on this map (they are roots)

    def __len__(self) -> int:
        return len(self.nodes)


def _order(person: Person):
    return (LEVEL_RANK.get(person.level, len(LEVEL_RANK)), person.name.casefold(), person.name, person.id)


def build_tree(people: Iterable[Person]) -> Forest:
    """The reporting tree (see the module's rules). A person listed twice counts once (the first)."""
    nodes: dict[int, Node] = {}
    for person in people:
        nodes.setdefault(person.id, Node(person))
    parent_of: dict[int, int | None] = {}
    outside = []
    for pid, node in nodes.items():
        manager = node.person.manager_id
        if manager is None or manager == pid:
            parent_of[pid] = None
        elif manager not in nodes:
            parent_of[pid] = None
            outside.append(pid)
        else:
            parent_of[pid] = manager
    # Circles: walk up from each person; a walk that meets itself found a circle. Each person is walked once
    # (state 2 = done), so this is linear and ends whatever the data.
    cycles = []
    state: dict[int, int] = {}
    for start in nodes:
        path, on_path, current = [], set(), start
        while current is not None and state.get(current, 0) == 0 and current not in on_path:
            path.append(current)
            on_path.add(current)
            current = parent_of[current]
        if current is not None and current in on_path:
            circle = path[path.index(current) :]
            breaker = min(circle, key=lambda i: _order(nodes[i].person))
            parent_of[breaker] = None
            at = circle.index(breaker)
            cycles.append(tuple(circle[at:] + circle[:at]))
        for pid in path:
            state[pid] = 2
    roots = []
    for pid, node in nodes.items():
        parent = parent_of[pid]
        if parent is None:
            roots.append(node)
        else:
            node.parent = nodes[parent]
            nodes[parent].children.append(node)
    roots.sort(key=lambda n: _order(n.person))
    # Depths and child order, iteratively: a long chain must not hit Python's recursion limit.
    stack = list(roots)
    while stack:
        node = stack.pop()
        node.children.sort(key=lambda n: _order(n.person))
        for child in node.children:
            child.depth = node.depth + 1
            stack.append(child)
    return Forest(roots=roots, nodes=nodes, cycles=cycles, outside=outside)


def _preorder(roots: list[Node]) -> list[Node]:
    out, stack = [], list(reversed(roots))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


# The layout ---------------------------------------------------------------------------------------------------------


@dataclass
class Box:
    node: Node
    x: float  # top left
    y: float
    w: float = BOX_W
    h: float = BOX_H
    stacked: bool = False  # one of a stacked list of leaves

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


@dataclass
class Edge:
    child_id: int
    manager_id: int
    points: list[tuple[float, float]]
    dotted: bool = False


@dataclass
class Layout:
    forest: Forest
    boxes: dict[int, Box]  # in pre-order: managers before their reports (the SVG draws in this order)
    edges: list[Edge]
    width: float
    height: float


@dataclass
class _Plan:
    """How a node's band is used: its branch children side by side, then (compact) its leaves stacked in columns."""

    branches: list[Node]
    leaves: list[Node]
    columns: int
    rows: int
    span: float  # the width of the children's blocks side by side
    width: float = BOX_W  # the band: the span, or one box when that is wider


def layout(forest: Forest, *, compact: bool = True, stack_over: int = 2, max_rows: int = 12) -> Layout:
    """Position every box (see the module's layout rules). `compact=False` gives the plain tree (no stacking)."""
    order = _preorder(forest.roots)
    plans: dict[int, _Plan] = {}
    for node in reversed(order):  # post-order: reports before their manager
        leaves = [c for c in node.children if not c.children]
        if compact and len(leaves) > stack_over:
            branches = [c for c in node.children if c.children]
            columns = math.ceil(len(leaves) / max_rows)
            rows = math.ceil(len(leaves) / columns)
        else:
            branches, leaves, columns, rows = list(node.children), [], 0, 0
        blocks = [plans[c.id].width for c in branches]
        if columns:
            blocks.append(columns * (INDENT + BOX_W) + (columns - 1) * H_GAP)
        span = sum(blocks) + H_GAP * (len(blocks) - 1) if blocks else 0
        plans[node.id] = _Plan(branches, leaves, columns, rows, span, max(BOX_W, span))

    boxes: dict[int, Box] = {}
    edges: list[Edge] = []
    top = MARGIN + LEGEND_H
    # Roots' bands left to right; then each manager splits its band among its reports (a stack of leaves is the last
    # block, its boxes below the manager's row).
    placed: list[tuple[Node, float]] = []
    left = MARGIN
    for root in forest.roots:
        placed.append((root, left))
        left += plans[root.id].width + 2 * H_GAP
    bottom = top + BOX_H
    while placed:
        node, band_left = placed.pop()
        plan = plans[node.id]
        y = top + node.depth * ROW_STEP
        if node.id not in boxes:
            boxes[node.id] = Box(node, band_left + (plan.width - BOX_W) / 2, y)
        box = boxes[node.id]
        x = band_left + (plan.width - plan.span) / 2
        elbow = y + BOX_H + V_GAP / 2
        for child in plan.branches:
            width = plans[child.id].width
            child_x = x + (width - BOX_W) / 2
            boxes[child.id] = Box(child, child_x, y + ROW_STEP)
            cx = child_x + BOX_W / 2
            edges.append(
                Edge(child.id, node.id, [(box.cx, y + BOX_H), (box.cx, elbow), (cx, elbow), (cx, y + ROW_STEP)])
            )
            placed.append((child, x))
            x += width + H_GAP
        for i, leaf in enumerate(plan.leaves):
            column, row = divmod(i, plan.rows)
            spine = x + column * (INDENT + BOX_W + H_GAP) + INDENT / 2
            leaf_y = y + ROW_STEP + row * STACK_STEP
            boxes[leaf.id] = Box(leaf, spine + INDENT / 2, leaf_y, stacked=True)
            mid = leaf_y + BOX_H / 2
            edges.append(
                Edge(
                    leaf.id,
                    node.id,
                    [(box.cx, y + BOX_H), (box.cx, elbow), (spine, elbow), (spine, mid), (spine + INDENT / 2, mid)],
                )
            )
        bottom = max(bottom, y + BOX_H, *(b.y + BOX_H for b in (boxes[c.id] for c in plan.leaves)))
    # Pre-order, so that the SVG draws managers before their reports and a reader of the source finds a team together.
    boxes = {n.id: boxes[n.id] for n in order}
    position = {pid: i for i, pid in enumerate(boxes)}
    edges.sort(key=lambda e: position[e.child_id])
    for node in order:
        dotted = node.person.dotted_id
        if dotted is None or dotted == node.id or dotted not in boxes or dotted == node.person.manager_id:
            continue
        edges.append(Edge(node.id, dotted, _dotted_points(boxes[node.id], boxes[dotted]), dotted=True))
    width = max(MIN_WIDTH, left - 2 * H_GAP + MARGIN) if forest.roots else MIN_WIDTH
    return Layout(forest, boxes, edges, width, bottom + MARGIN)


def _dotted_points(box: Box, other: Box) -> list[tuple[float, float]]:
    """From the edge of one box to the facing edge of the other: top to bottom when on different rows, side to side
    on the same row."""
    if other.y + other.h <= box.y:  # the other is above
        return [(box.cx + 30, box.y), (other.cx + 30, other.y + other.h)]
    if other.y >= box.y + box.h:
        return [(box.cx + 30, box.y + box.h), (other.cx + 30, other.y)]
    if other.x >= box.x:
        return [(box.x + box.w, box.y + box.h / 2 + 8), (other.x, other.y + other.h / 2 + 8)]
    return [(box.x, box.y + box.h / 2 + 8), (other.x + other.w, other.y + other.h / 2 + 8)]


# The SVG ------------------------------------------------------------------------------------------------------------


def _fit(text: str, room: float, size: float) -> str:
    """The text cut (with an ellipsis) to about `room` units at font `size`: an average glyph is ~0.58 em wide in
    the sans-serif fonts we name; the full text stays in the box's tooltip."""
    limit = max(int(room / (0.58 * size)), 4)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _e(value) -> str:
    """Escaped for XML text and attributes (quotes too); characters XML cannot hold become U+FFFD."""
    return escape(clean_text(value), quote=True)


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _path(points) -> str:
    return "M" + " L".join(f"{_n(x)} {_n(y)}" for x, y in points)


def _attitude(person: Person) -> tuple[str, str, str, str]:
    """(class, label, fill, border)."""
    if person.has_left:
        return ("vacant", *VACANT)
    key = person.attitude if person.attitude in ATTITUDES else "neutral"
    return (f"att-{key}", *ATTITUDES[key])


def _strength(value) -> int:
    try:
        return min(max(int(value or 0), 0), STRENGTH_MAX)
    except (TypeError, ValueError):
        return 0


def _tooltip(person: Person) -> str:
    bits = [f"Vacant — formerly {person.name}" if person.has_left else person.name]
    bits += [b for b in (person.title, person.account) if b]
    lines = [" — ".join(bits)]
    if person.has_left:
        lines.append(f"Left on {person.left_on:%Y-%m-%d}")
    else:
        label = ATTITUDES.get(person.attitude, ("Neutral",))[0]
        lines.append(f"Attitude: {label}; influence: {person.influence or 'unknown'}")
    if person.buying_role in BADGES:
        lines.append(f"Buying role: {BADGES[person.buying_role][1]}")
    now, wanted = _strength(person.strength_now), _strength(person.strength_desired)
    owner = f"ours: {person.owner}" if person.owner else "no owner of ours"
    lines.append(f"Relationship: {STRENGTH_LABELS[now]} (wanted: {STRENGTH_LABELS[wanted]}), {owner}")
    return "\n".join(lines)


def _node_svg(box: Box, *, interactive: bool) -> str:
    person, node = box.node.person, box.node
    css, _label, fill, border = _attitude(person)
    static = not interactive
    classes = f"node {css}" + (" has-reports" if node.children else "")
    attrs = f'class="{classes}" transform="translate({_n(box.x)} {_n(box.y)})"'
    if interactive:
        search = " ".join(b for b in (person.name, person.title) if b).lower()
        parent = "" if node.parent is None else str(node.parent.id)
        attrs += f' data-id="{person.id}" data-parent="{parent}" data-depth="{node.depth}" data-search="{_e(search)}"'
    out = [f"<g {attrs}><title>{_e(_tooltip(person))}</title>"]
    dash = ' stroke-dasharray="4 3"' if person.has_left else ""
    paint = f' fill="{fill}" stroke="{border}" stroke-width="1.5"' if static else ""
    out.append(f'<rect class="box" width="{BOX_W}" height="{BOX_H}" rx="6"{paint}{dash}/>')
    ink = f' fill="{INK}"' if static else ""
    muted = f' fill="{MUTED}"' if static else ""
    badge = BADGES.get(person.buying_role)
    room = BOX_W - 20 - (36 if badge else 0)
    if badge:
        badge_paint = f' fill="#ffffff" stroke="{border}"' if static else ""
        out.append(
            f'<rect class="badge" x="{BOX_W - 40}" y="6" width="32" height="16" rx="8"{badge_paint}/>'
            f'<text class="badge" x="{BOX_W - 24}" y="18" text-anchor="middle" font-size="10" font-weight="700"'
            f"{ink}>{badge[0]}</text>"
        )
    if person.has_left:
        out.append(
            f'<text class="name" x="10" y="20" font-size="11.5" font-weight="700"{muted}>'
            f"{_e(_fit(f'Vacant — formerly {person.name}', room, 11.5))}</text>"
        )
    else:
        out.append(
            f'<text class="name" x="10" y="20" font-size="12.5" font-weight="700"{ink}>'
            f"{_e(_fit(person.name or '(no name)', room, 12.5))}</text>"
        )
    if person.title:
        out.append(f'<text class="title" x="10" y="37" font-size="11"{muted}>{_e(_fit(person.title, 180, 11))}</text>')
    if person.has_left:
        out.append(f'<text class="owner" x="10" y="54" font-size="11"{muted}>left {person.left_on:%Y-%m-%d}</text>')
    else:
        owner = f"ours: {person.owner}" if person.owner else "ours: —"
        out.append(f'<text class="owner" x="10" y="54" font-size="11"{ink}>{_e(_fit(owner, 180, 11))}</text>')
        now, wanted = _strength(person.strength_now), _strength(person.strength_desired)
        for i in range(STRENGTH_MAX):
            kind = "on" if i < now else "want" if i < wanted else "off"
            colours = {"on": f'fill="{ACCENT}"', "want": f'fill="#ffffff" stroke="{ACCENT}"', "off": 'fill="#d5dae1"'}
            paint = " " + colours[kind] if static else ""
            out.append(f'<rect class="str str-{kind}" x="{10 + i * 12}" y="62" width="10" height="6" rx="1"{paint}/>')
        label = STRENGTH_LABELS[now] + (f" → {STRENGTH_LABELS[wanted]}" if wanted > now else "")
        out.append(f'<text class="strength" x="60" y="68" font-size="9.5"{muted}>{_e(_fit(label, 130, 9.5))}</text>')
    if interactive and node.children:
        # The toggle sits on the box's bottom edge, over the start of the lines to the reports it hides.
        name = person.name or "this person"
        out.append(
            f'<g class="toggle" data-toggle="{person.id}" role="button" tabindex="0" aria-expanded="true" '
            f'aria-label="Collapse the team of {_e(name)} ({len(node.children)} direct)" '
            f'transform="translate({BOX_W / 2:g} {BOX_H})"><circle r="8"/>'
            '<text y="4" text-anchor="middle" font-size="12" font-weight="700">−</text></g>'
        )
    out.append("</g>")
    return "".join(out)


def _legend(width: float, title: str, *, interactive: bool) -> str:
    static = not interactive
    ink = f' fill="{INK}"' if static else ""
    out = [f'<g class="legend"><text class="legend-title" x="{MARGIN}" y="{MARGIN + 2}" font-size="13" '
           f'font-weight="700"{ink}>{_e(_fit(title, width - 2 * MARGIN, 13))}</text>']  # fmt: skip
    x = MARGIN
    for key, (label, fill, border) in [*ATTITUDES.items(), ("vacant", VACANT)]:
        paint = f' fill="{fill}" stroke="{border}"' if static else ""
        cls = "vacant" if key == "vacant" else f"att-{key}"
        out.append(
            f'<g class="{cls}"><rect class="box" x="{x}" y="{MARGIN + 10}" width="14" height="11" rx="2"{paint}/></g>'
            f'<text x="{x + 18}" y="{MARGIN + 20}" font-size="10.5"{ink}>{label}</text>'
        )
        x += 24 + len(label) * 6.5
    roles = " · ".join(f"{short} {label.lower()}" for short, label in BADGES.values())
    out.append(
        f'<text x="{MARGIN}" y="{MARGIN + 36}" font-size="10.5"{ink}>{_e(roles)} · '
        "solid line: manager · dashed: dotted line · ■ relationship today, □ wanted</text></g>"
    )
    return "".join(out)


def to_svg(
    the_layout: Layout, *, interactive: bool, title: str = "Organisation map", collapse_below: int | None = None
) -> str:
    """The map as one standalone SVG document (valid XML; every user string escaped).

    interactive=True, for pages: CSS classes only (`att-champion`, …, `vacant`; kam.css colours them), each person a
    `<g class="node" data-id data-parent data-search>`, each manager a keyboard-reachable `data-toggle`, each line
    `data-from`/`data-to` — for kam/orgchart.js; nothing inline that a strict CSP blocks (no script, style or on*).
    interactive=False, for documents: the same drawing with colours and fonts as presentation attributes, since no
    stylesheet comes along; no data- attributes, no toggles.
    `collapse_below=n` (interactive): the script opens the page with everyone deeper than level n hidden (the
    managers at level n collapsed) — a big map starts as its top; without the script everyone shows."""
    width, height = math.ceil(the_layout.width), math.ceil(the_layout.height)
    static = not interactive
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="orgchart{" interactive" if interactive else ""}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        + (f'role="group" aria-label="{_e(title)}"' if interactive else f'role="img" aria-label="{_e(title)}"')
        + (f' font-family="{FONT}"' if static else "")
        + (f' data-collapse-below="{int(collapse_below)}"' if interactive and collapse_below is not None else "")
        + ">"
    )
    out = [root, f"<title>{_e(title)}</title>", _legend(width, title, interactive=interactive)]
    out.append('<g class="edges">')
    for edge in the_layout.edges:
        kind = "edge dotted" if edge.dotted else "edge"
        dash = ' stroke-dasharray="5 4"' if edge.dotted else ""
        stroke = f' stroke="{ACCENT if edge.dotted else LINE}" stroke-width="1.3"' if static else ""
        data = f' data-from="{edge.child_id}" data-to="{edge.manager_id}"' if interactive else ""
        out.append(f'<path class="{kind}" d="{_path(edge.points)}" fill="none"{stroke}{dash}{data}/>')
    out.append('</g><g class="nodes">')
    out.extend(_node_svg(box, interactive=interactive) for box in the_layout.boxes.values())
    out.append("</g></svg>")
    return "".join(out)
