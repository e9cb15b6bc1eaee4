"""For kam/templates/django_tables2/table.html: decide once per table whether its cells need attributes."""

from django import template

register = template.Library()


@register.simple_tag
def plain_cells(table) -> bool:
    """True when neither the table nor any of its columns sets td/cell attributes or localize: every cell can then be
    written as a plain <td> — the same markup django-tables2 writes, without building the attributes for each cell."""
    if any(key in table.attrs for key in ("td", "cell")):
        return False
    return all(column.localize is None and not {"td", "cell"} & set(column.column.attrs) for column in table.columns)
