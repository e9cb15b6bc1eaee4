"""The tables of the coverage and cadence rule lists (CSV and Excel exports use them too)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from kam.core.tables import KamTable
from kam.stakeholders.models import CadenceRule, CoverageRule


def _segment(record) -> str:
    return record.get_segment_display() if record.segment else "Every segment"


class CoverageRuleTable(KamTable):
    name = tables.Column()
    kind = tables.Column()
    segment = tables.Column(empty_values=())
    attitude = tables.Column(empty_values=(), verbose_name="Attitude")
    buying_role = tables.Column(empty_values=(), verbose_name="Buying role")
    team_role = tables.Column(empty_values=(), verbose_name="Team role")
    min_strength = tables.Column(verbose_name="At least")
    is_active = tables.BooleanColumn(verbose_name="Active", yesno="Yes,No")
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        model = CoverageRule
        fields = ("name", "kind", "segment", "attitude", "buying_role", "team_role", "min_strength", "is_active")
        attrs = {"class": "table"}
        order_by = ("segment", "name")
        empty_text = "No coverage rules."

    def render_segment(self, record):
        return _segment(record)

    def value_segment(self, record, value):
        return _segment(record)

    def value_buying_role(self, record, value):
        return self.render_buying_role(record)

    def value_team_role(self, record, value):
        return self.render_team_role(record)

    def render_attitude(self, record):
        return record.get_attitude_display() or "—"

    def render_buying_role(self, record):
        if record.buying_role:
            return record.get_buying_role_display()
        return "Every contact" if record.kind == "role_owned" else "—"

    def render_team_role(self, record):
        if not record.team_role:
            return "—"
        from kam.teams.roles import role_name

        return role_name(record.team_role)

    def render_actions(self, record):
        request = self.request
        if request is None or not _can_change(request.user, CoverageRule):
            return ""
        return format_html(
            '<a href="{}">Edit</a> · <a href="{}">Delete</a>',
            reverse("stakeholders:coverage_rule_edit", args=[record.pk]),
            reverse("stakeholders:coverage_rule_delete", args=[record.pk]),
        )


class CadenceRuleTable(KamTable):
    segment = tables.Column(empty_values=())
    buying_role = tables.Column(empty_values=(), verbose_name="Who")
    days = tables.Column(verbose_name="Every (days)")
    is_active = tables.BooleanColumn(verbose_name="Active", yesno="Yes,No")
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        model = CadenceRule
        fields = ("segment", "buying_role", "days", "is_active")
        attrs = {"class": "table"}
        order_by = ("segment", "buying_role")
        empty_text = "No cadence rules."

    def render_segment(self, record):
        return _segment(record)

    def render_buying_role(self, record):
        return record.get_buying_role_display() + "s" if record.buying_role else "Every contact"

    def value_segment(self, record, value):
        return _segment(record)

    def value_buying_role(self, record, value):
        return self.render_buying_role(record)

    def render_actions(self, record):
        request = self.request
        if request is None or not _can_change(request.user, CadenceRule):
            return ""
        return format_html(
            '<a href="{}">Edit</a> · <a href="{}">Delete</a>',
            reverse("stakeholders:cadence_rule_edit", args=[record.pk]),
            reverse("stakeholders:cadence_rule_delete", args=[record.pk]),
        )


def _can_change(user, model) -> bool:
    from kam.core.permissions import CHANGE, role_allows

    return role_allows(user, CHANGE, model)
