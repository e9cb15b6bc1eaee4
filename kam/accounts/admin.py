from django.contrib import admin

from kam.accounts.models import Account, AccountTeamMember, FxRate, WalletEstimate


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """Admin edits go through the same model save, so they are audited like any other write. Moving an
    account in the hierarchy belongs in the app (it maintains the subtree), so `parent` is read-only here."""

    list_display = ["name", "account_number", "status", "is_key_account", "country", "currency"]
    search_fields = ["name", "account_number", "crm_id"]
    list_filter = ["status", "is_key_account"]
    readonly_fields = ["parent", "tree_path", "depth", "version"]


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(admin.ModelAdmin):
    list_display = ["account", "user", "team_role", "allocation_percent"]
    raw_id_fields = ["account", "user"]


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ["month", "currency", "rate_per_eur"]


@admin.register(WalletEstimate)
class WalletEstimateAdmin(admin.ModelAdmin):
    list_display = ["account", "year", "currency", "amount"]
    raw_id_fields = ["account"]
