"""Compare two versions of a plan, section by section (issue 7: "what was added, changed, dropped").

`diff_versions(old, new)` returns, for every text section (kam.plans.models.TEXT_SECTIONS, then the TCO settings
VERSION_SETTINGS) and every kind of row
(kam.plans.models.ITEM_KINDS), in that order,
`{"added": [...], "changed": [(before, after, fields)], "dropped": [...]}`:

- a text section is one entry: "added" holds the new text when the section was empty before, "dropped" the old
  text when it is empty now, "changed" `(old text, new text, [section])` when both differ and neither is empty;
- rows are matched across the versions by their `lineage` (kept when a version is cloned): "added" holds the new
  version's rows without a match, "dropped" the old version's, "changed" `(old row, new row, [field names])` for
  matched rows whose written fields differ (links to other rows compare by the lineage of the row they point at,
  so a remapped link is no change). Lists are in row order (primary key).
"""

from kam.plans.models import ITEM_KINDS, TEXT_SECTIONS, VERSION_SETTINGS, PlanItem, PlanVersion

# Never compared: bookkeeping, not content.
SKIP = frozenset({"id", "created_at", "updated_at", "version", "plan_version", "account", "lineage"})
ROW_LINKS = frozenset({"linked_objective", "objective", "kpi"})


def _empty() -> dict:
    return {"added": [], "changed": [], "dropped": []}


def _fields(model) -> list:
    return [f for f in model._meta.concrete_fields if f.name not in SKIP]


def _value(row: PlanItem, field, lineages: dict):
    if field.name in ROW_LINKS:
        linked = getattr(row, field.attname)
        return None if linked is None else lineages.get((field.related_model, linked))
    return getattr(row, field.attname)


def _rows(version: PlanVersion) -> dict:
    return {
        kind: list(model._base_manager.filter(plan_version=version).order_by("pk"))
        for kind, model in ITEM_KINDS.items()
    }


def diff_versions(old: PlanVersion, new: PlanVersion) -> dict:
    result = {}
    for name in (*TEXT_SECTIONS, *VERSION_SETTINGS):
        before, after = getattr(old, name) or "", getattr(new, name) or ""
        section = _empty()
        if before != after:
            if not before:
                section["added"].append(after)
            elif not after:
                section["dropped"].append(before)
            else:
                section["changed"].append((before, after, [name]))
        result[name] = section
    old_rows, new_rows = _rows(old), _rows(new)
    lineages = {}
    for rows in (*old_rows.values(), *new_rows.values()):
        for row in rows:
            lineages[(type(row), row.pk)] = row.lineage
    for kind, model in ITEM_KINDS.items():
        section = _empty()
        before = {row.lineage: row for row in old_rows[kind]}
        after_lineages = {row.lineage for row in new_rows[kind]}
        fields = _fields(model)
        for row in new_rows[kind]:
            match = before.get(row.lineage)
            if match is None:
                section["added"].append(row)
                continue
            changed = [f.name for f in fields if _value(match, f, lineages) != _value(row, f, lineages)]
            if changed:
                section["changed"].append((match, row, changed))
        section["dropped"] = [row for row in old_rows[kind] if row.lineage not in after_lineages]
        result[kind] = section
    return result
