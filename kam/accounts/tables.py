import django_tables2 as tables

from kam.accounts.filtersets import order_for_search
from kam.accounts.models import Account, FxRate, ImportRun
from kam.core.permissions import has_global_scope
from kam.core.tables import KamTable


class AccountTable(KamTable):
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

    def order_name(self, queryset, is_descending):
        # A search, or a team member's scope, selects few accounts: fetch them first, then sort (order_for_search).
        # Walking the name index instead and filtering took 430 ms for a key account manager at 200,000 accounts.
        request = self.request
        if request is not None and (request.GET.get("q", "").strip() or not has_global_scope(request.user)):
            return queryset.order_by(order_for_search("name", is_descending), "account_number"), True
        return queryset.order_by("-name" if is_descending else "name", "account_number"), True  # the name index


class FxRateTable(KamTable):
    month = tables.DateColumn("Y-m")

    class Meta:
        model = FxRate
        fields = ("month", "currency", "rate_per_eur", "updated_at")
        attrs = {"class": "table"}


class ImportRunTable(KamTable):
    original_name = tables.Column("File", linkify=True)

    class Meta:
        model = ImportRun
        fields = ("original_name", "kind", "status", "rows_total", "created_by", "created_at")
        attrs = {"class": "table"}
