"""Two versions of a charter side by side, section by section: which sections changed, and line by line what was
removed (left), added (right) or rewritten (both). The lines are the section's Markdown as written, followed by the
fields and tables that belong to it (kam.charters.rendering.section_lines)."""

import difflib
from dataclasses import dataclass, field
from itertools import zip_longest

from kam.charters.rendering import SectionView, charter_sections, section_lines

EQUAL, CHANGED, REMOVED, ADDED = "equal", "changed", "removed", "added"


@dataclass
class DiffRow:
    left: str | None
    right: str | None
    kind: str  # equal, changed, removed (left only), added (right only)


@dataclass
class SectionDiff:
    key: str
    number: int
    title: str  # the newer title
    old_title: str
    rows: list[DiffRow] = field(default_factory=list)
    added: int = 0  # lines only in the newer version (or rewritten there)
    removed: int = 0  # lines only in the older version (or rewritten there)

    @property
    def changed(self) -> bool:
        return self.added > 0 or self.removed > 0 or self.title != self.old_title

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}"


def diff_lines(old: list[str], new: list[str]) -> tuple[list[DiffRow], int, int]:
    rows, added, removed = [], 0, 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow(line, line, EQUAL) for line in old[i1:i2])
        elif tag == "delete":
            rows.extend(DiffRow(line, None, REMOVED) for line in old[i1:i2])
            removed += i2 - i1
        elif tag == "insert":
            rows.extend(DiffRow(None, line, ADDED) for line in new[j1:j2])
            added += j2 - j1
        else:  # replace: pair the rewritten lines, the rest stand alone
            for left, right in zip_longest(old[i1:i2], new[j1:j2]):
                kind = CHANGED if left is not None and right is not None else (REMOVED if right is None else ADDED)
                rows.append(DiffRow(left, right, kind))
            removed += i2 - i1
            added += j2 - j1
    return rows, added, removed


def compare_contents(old: dict, new: dict) -> list[SectionDiff]:
    """Section by section, in the newer version's order; a section only one side has is all added or removed."""
    old_views = {view.key: view for view in charter_sections(old)}
    new_views = {view.key: view for view in charter_sections(new)}
    keys = [view.key for view in charter_sections(new)] + [k for k in old_views if k not in new_views]
    diffs = []
    for key in keys:
        before = old_views.get(key)
        after = new_views.get(key)
        reference: SectionView = after or before
        rows, added, removed = diff_lines(
            section_lines(before) if before else [], section_lines(after) if after else []
        )
        diffs.append(
            SectionDiff(
                key=key,
                number=reference.number,
                title=after.title if after else before.title,
                old_title=before.title if before else "",
                rows=rows,
                added=added,
                removed=removed,
            )
        )
    return diffs


def summary(diffs: list[SectionDiff]) -> str:
    changed = [diff for diff in diffs if diff.changed]
    if not changed:
        return "No section changed."
    names = "; ".join(f"{diff.heading} (+{diff.added} −{diff.removed})" for diff in changed)
    return f"{len(changed)} of {len(diffs)} sections changed: {names}."
