"""Pages of kam.servicelevels."""


def account_tab_context(request, account) -> dict:
    """What this app's tab on the account page shows (the account is already permission-checked)."""
    return {}
