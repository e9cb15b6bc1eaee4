import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from kam.core.tables import KamTable
from kam.plans.choices import VersionStatus
from kam.plans.models import AccountPlan

NUMBER = {"td": {"class": "num"}, "th": {"class": "num"}}


class PlanTable(KamTable):
    account = tables.Column(verbose_name="Account", order_by=("account__name", "account__account_number"))
    account_number = tables.Column(accessor="account__account_number", verbose_name="Account number")
    title = tables.Column()
    start_year = tables.Column(verbose_name="Horizon", attrs=NUMBER)
    latest_year = tables.Column(verbose_name="Year", attrs=NUMBER)
    latest_number = tables.Column(verbose_name="Version", attrs=NUMBER)
    latest_status = tables.Column(verbose_name="Status")
    updated_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Updated")

    class Meta:
        model = AccountPlan
        fields = (
            "account",
            "account_number",
            "title",
            "start_year",
            "latest_year",
            "latest_number",
            "latest_status",
            "updated_at",
        )
        attrs = {"class": "table"}
        order_by = ("account",)
        empty_text = "No plans."

    def render_account(self, record):
        url = reverse("accounts:account", args=[record.account_id]) + "?tab=plan"
        return format_html('<a href="{}">{}</a>', url, record.account.name)

    def value_account(self, record=None, value=None):
        return record.account.name

    def render_start_year(self, record):
        return f"{record.start_year}–{record.end_year}"

    def value_start_year(self, record=None, value=None):
        return f"{record.start_year}-{record.end_year}"

    def render_latest_status(self, value):
        return format_html('<span class="badge {}">{}</span>', value, VersionStatus(value).label)

    def value_latest_status(self, record=None, value=None):
        return VersionStatus(value).label if value else ""
