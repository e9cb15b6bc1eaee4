import django_tables2 as tables

from kam.core.tables import KamTable
from kam.teams.models import TeamRoleDefinition


class RoleTable(KamTable):
    name = tables.Column()
    key = tables.Column()
    responsibilities = tables.Column(orderable=False)
    required_per_key_account = tables.BooleanColumn(verbose_name="Required on every key account", yesno="Yes,—")
    active = tables.BooleanColumn(yesno="Yes,No")
    edit = tables.Column(empty_values=(), orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        model = TeamRoleDefinition
        fields = ("name", "key", "responsibilities", "required_per_key_account", "position", "active")
        attrs = {"class": "table"}
        order_by = ("position",)
        empty_text = "No roles."

    def render_edit(self, record):
        from django.urls import reverse
        from django.utils.html import format_html

        return format_html('<a href="{}">Edit</a>', reverse("teams:role_edit", args=[record.pk]))
