"""Two versions side by side: exactly the sections that changed, line by line."""

from kam.charters import compare, services
from kam.charters.rendering import effective_content


def _contents(charter, a, b):
    versions = {v.number: v for v in charter.versions.all()}
    return effective_content(versions[a]), effective_content(versions[b])


def test_the_diff_names_exactly_the_changed_sections(charter, users):
    overview = charter.sections[0]["body"]
    charter = services.update_charter(
        charter,
        {"sections": {"overview": overview.replace("matters most", "counts most")}, "meeting_cadence": "monthly"},
        users.kam,
    )
    diffs = compare.compare_contents(*_contents(charter, 1, 2))
    assert [d.key for d in diffs if d.changed] == ["overview", "collaboration"]
    assert len(diffs) == 10
    overview_diff = next(d for d in diffs if d.key == "overview")
    rewritten = [r for r in overview_diff.rows if r.kind == "changed"]
    assert len(rewritten) == 1 and "matters most" in rewritten[0].left and "counts most" in rewritten[0].right
    assert (overview_diff.added, overview_diff.removed) == (1, 1)
    collaboration = next(d for d in diffs if d.key == "collaboration")
    added = [r.right for r in collaboration.rows if r.kind == "added"]
    assert "Meeting rhythm: Monthly" in added and all(r.left is None for r in collaboration.rows if r.kind == "added")
    assert compare.summary(diffs).startswith("2 of 10 sections changed: 1. Overview and objectives (+1 −1)")


def test_fields_count_in_their_own_section(charter, users):
    charter = services.update_charter(
        charter,
        {
            "client_goals": "Halve the delivery time",
            "kpis": [{"name": "On-time delivery", "target": "98 %"}],
            "collaboration_tools": ["slack", "jira"],
            "client_responsibilities": "Name a project owner.",
        },
        users.kam,
    )
    diffs = compare.compare_contents(*_contents(charter, 1, 2))
    assert [d.key for d in diffs if d.changed] == ["overview", "technology", "client_responsibilities"]
    overview = next(d for d in diffs if d.key == "overview")
    assert "On-time delivery | 98 % | " in [r.right for r in overview.rows]


def test_removed_lines_are_on_the_left_only(charter, users):
    charter = services.update_charter(charter, {"sections": {"value": "Short."}}, users.kam)
    diffs = compare.compare_contents(*_contents(charter, 1, 2))
    value = next(d for d in diffs if d.key == "value")
    assert value.removed > value.added == 1
    assert any(r.kind == "removed" and r.right is None for r in value.rows)


def test_the_same_version_twice_has_no_change(charter):
    content = effective_content(charter.versions.get())
    diffs = compare.compare_contents(content, content)
    assert not any(d.changed for d in diffs) and compare.summary(diffs) == "No section changed."


def test_diff_lines_pairs_rewritten_lines():
    rows, added, removed = compare.diff_lines(["a", "b", "c"], ["a", "B", "c", "d"])
    assert [(r.left, r.right, r.kind) for r in rows] == [
        ("a", "a", "equal"),
        ("b", "B", "changed"),
        ("c", "c", "equal"),
        (None, "d", "added"),
    ]
    assert (added, removed) == (2, 1)
