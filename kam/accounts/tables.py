import django_tables2 as tables

from kam.accounts.models import Account, FxRate, ImportRun


class AccountTable(tables.Table):
    name = tables.Column(linkify=True)
    account_number = tables.Column("Account number")
    parent = tables.Column(linkify=True, verbose_name="Parent", order_by=("parent__name",))
    owner = tables.Column(order_by=("owner__email",))
    is_key_account = tables.BooleanColumn(verbose_name="Key", yesno="Yes,—")

    class Meta:
        model = Account
        fields = (
            "name",
            "account_number",
            "status",
            "is_key_account",
            "parent",
            "industry",
            "country",
            "region",
            "currency",
            "owner",
        )
        attrs = {"class": "table"}
        order_by = ("name",)
        empty_text = "No accounts match."


class FxRateTable(tables.Table):
    month = tables.DateColumn("Y-m")

    class Meta:
        model = FxRate
        fields = ("month", "currency", "rate_per_eur", "updated_at")
        attrs = {"class": "table"}


class ImportRunTable(tables.Table):
    original_name = tables.Column("File", linkify=True)

    class Meta:
        model = ImportRun
        fields = ("original_name", "kind", "status", "rows_total", "created_by", "created_at")
        attrs = {"class": "table"}
