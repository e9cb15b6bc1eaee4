import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from kam.charters.models import Charter
from kam.core.tables import KamTable

NUMBER = {"td": {"class": "num"}, "th": {"class": "num"}}


class CharterTable(KamTable):
    account = tables.Column(verbose_name="Account", order_by=("account__name", "account__account_number"))
    account_number = tables.Column(accessor="account__account_number", verbose_name="Account number")
    status = tables.Column()
    latest_number = tables.Column(verbose_name="Current version", attrs=NUMBER)
    signed_number = tables.Column(
        accessor="signed_version__number",
        verbose_name="Signed version",
        attrs=NUMBER,
    )
    signed_on = tables.DateColumn(accessor="signed_version__signed_on", format="Y-m-d", verbose_name="Signed on")
    updated_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Updated")

    class Meta:
        model = Charter
        fields = ("account", "account_number", "status", "latest_number", "signed_number", "signed_on", "updated_at")
        attrs = {"class": "table"}
        order_by = ("account",)
        empty_text = "No charters."

    def render_account(self, record):
        url = reverse("accounts:account", args=[record.account_id]) + "?tab=charter"
        return format_html('<a href="{}">{}</a>', url, record.account.name)

    def value_account(self, record=None, value=None):
        return record.account.name

    def render_status(self, record, value):
        label = value
        if record.has_draft_after_signing:
            label = f"Draft (v{record.latest_number}) after signing"
        return format_html('<span class="badge {}">{}</span>', record.status, label)

    def value_status(self, record=None, value=None):
        return record.get_status_display()
