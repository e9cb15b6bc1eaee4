from django.urls import reverse

from kam.core.permissions import GLOBAL_SCOPE_ROLES, IMPORT, VIEW, role_allows


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    from kam.accounts.models import ImportRun

    items = [
        ("Home", reverse("home")),
        ("Accounts", reverse("accounts:account_list")),
        ("FX rates", reverse("accounts:fxrate_list")),
    ]
    if role_allows(user, IMPORT, ImportRun):
        items.append(("Imports", reverse("accounts:import_list")))
    from kam.selection.models import KeyAccountDesignation, ScoringModel

    if role_allows(user, VIEW, ScoringModel):
        items.append(("Selection", reverse("selection:workbench")))
    elif role_allows(user, VIEW, KeyAccountDesignation):
        items.append(("Key account decisions", reverse("selection:designation_list")))
    # Service levels (policies, calendars, obligations, compliance) are tabs of the requests pages.
    items.append(("Requests", reverse("servicelevels:request_list")))
    items.append(("Charters", reverse("charters:charter_list")))
    # Plans: the list, the programme pipeline and the offering catalogue (tabs of the plans pages).
    items.append(("Plans", reverse("plans:plan_list")))
    items.append(("Contacts", reverse("stakeholders:contact_list")))
    if user.role in GLOBAL_SCOPE_ROLES:
        items.append(("Teams", reverse("teams:workload")))
        items.append(("Audit log", reverse("audit:change_list")))
    items.append(("API", "/api/v1/docs"))
    from kam.notifications.services import unread_count

    path = request.path
    return {
        "unread_notifications": unread_count(user),
        "nav": [(label, url, url != "/" and path.startswith(url) or url == path) for label, url in items],
    }
