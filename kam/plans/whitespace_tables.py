"""Tables of the offerings catalogue and of the programme's opportunity list (their columns drive the CSV export)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from kam.accounts.figures import round_money
from kam.core.tables import KamTable
from kam.plans.models import Offering, Opportunity

NUMBER = {"td": {"class": "num"}, "th": {"class": "num"}}


def _amount(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


class OfferingTable(KamTable):
    name = tables.Column()
    category = tables.Column()
    description = tables.Column(orderable=False)
    position = tables.Column(verbose_name="Column order", attrs=NUMBER)
    is_active = tables.BooleanColumn(verbose_name="Active")
    cell_count = tables.Column(verbose_name="Cells mapped", attrs=NUMBER)

    class Meta:
        model = Offering
        fields = ("name", "category", "description", "position", "is_active", "cell_count")
        attrs = {"class": "table"}
        order_by = ("position", "name")
        empty_text = "No offerings."

    def __init__(self, *args, can_change=False, **kwargs):
        self.can_change = can_change
        super().__init__(*args, **kwargs)

    def render_name(self, record, value):
        if self.can_change:
            return format_html('<a href="{}">{}</a>', reverse("plans:offering_edit", args=[record.pk]), value)
        return value

    def value_name(self, record=None, value=None):
        return value


class OpportunityTable(KamTable):
    account = tables.Column(order_by=("account__name", "account__account_number"))
    plan = tables.Column(
        accessor="plan_version__year", verbose_name="Plan", order_by=("plan_version__year", "plan_version__number")
    )
    title = tables.Column()
    kind = tables.Column()
    offering = tables.Column()
    business_unit = tables.Column(verbose_name="Business unit")
    stage = tables.Column()
    value = tables.Column(attrs=NUMBER)
    currency = tables.Column()
    probability = tables.Column(verbose_name="Probability %", attrs=NUMBER)
    weighted = tables.Column(verbose_name="Weighted value", attrs=NUMBER)
    expected_close = tables.DateColumn(format="Y-m-d", verbose_name="Expected close")
    next_step = tables.Column(verbose_name="Next step", orderable=False)

    class Meta:
        model = Opportunity
        fields = (
            "account", "plan", "title", "kind", "offering", "business_unit", "stage", "value", "currency",
            "probability", "weighted", "expected_close", "next_step",
        )  # fmt: skip
        attrs = {"class": "table"}
        order_by = ("expected_close",)
        empty_text = "No opportunities."

    def render_account(self, record):
        url = reverse("accounts:account", args=[record.account_id])
        return format_html('<a href="{}">{}</a>', url, record.account.name)

    def value_account(self, record=None, value=None):
        return record.account.name

    def render_plan(self, record):
        return f"{record.plan_version.year} (v{record.plan_version.number})"

    def value_plan(self, record=None, value=None):
        return f"{record.plan_version.year} v{record.plan_version.number}"

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record=None, value=None):
        return record.get_kind_display()

    def render_stage(self, record):
        return format_html('<span class="badge stage-{}">{}</span>', record.stage, record.get_stage_display())

    def value_stage(self, record=None, value=None):
        return record.get_stage_display()

    def render_value(self, value):
        return _amount(value)

    def value_value(self, record=None, value=None):
        return value

    def render_weighted(self, record):
        return _amount(round_money(record.weighted_value))

    def value_weighted(self, record=None, value=None):
        return round_money(record.weighted_value)
