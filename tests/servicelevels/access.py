"""The service-level part of the access matrix (tests/test_access_matrix.py): who may open which page and call which
operation. Client requests, obligations and an account's service settings follow the account (its team works on
them; sponsors and viewers read them); the programme's rules (policies, the default escalation path, calendars) are
read by everyone and changed by the programme lead and administrators."""

import datetime as dt
import itertools

from kam.accounts.models import Account
from kam.servicelevels import services
from kam.servicelevels.models import BusinessCalendar, ClientRequest, Holiday, Obligation, SlaPolicy

_days = itertools.count(1)


def _account(w, which):
    return w.p.own if which == "own" else w.p.other


def _request(w, which) -> ClientRequest:
    """One open request per team's account, made the first time a test needs it."""
    cache = w.__dict__.setdefault("sla_requests", {})
    account = _account(w, which)
    if account.pk not in cache:
        cache[account.pk] = services.open_request(account, subject=f"Matrix request ({which})", by=w.users.lead)
    return ClientRequest.objects.get(pk=cache[account.pk].pk)


def _obligation(w, which) -> Obligation:
    account = _account(w, which)
    existing = Obligation.objects.filter(account=account).order_by("due_date", "pk").first()
    if existing is not None:
        return existing
    Account.objects.filter(pk=account.pk).update(is_key_account=True)
    services.generate_obligations(periods_ahead=0)
    return Obligation.objects.filter(account=account).order_by("due_date", "pk").first()


def _fresh_holiday():
    calendar = BusinessCalendar.objects.get(is_default=True)
    return Holiday.objects.create(
        calendar=calendar, date=dt.date(2040, 1, 1) + dt.timedelta(days=next(_days)), name="Matrix day"
    )


def pages():
    from tests.test_access_matrix import ALL, LEADS_ONLY, scoped

    detail_own, detail_other = scoped(200)
    edit_own, edit_other = scoped(200, editors=("admin", "lead", "kam"))
    post_own, post_other = scoped(302, editors=("admin", "lead", "kam"))
    team_work = {**ALL, "sponsor": 403, "viewer": 403}

    def request(w, which):
        return {"pk": _request(w, which).pk}

    def obligation(w, which):
        return {"pk": _obligation(w, which).pk}

    def account(w, which):
        return {"pk": _account(w, which).pk}

    def calendar(w, which):
        return {"pk": BusinessCalendar.objects.get(is_default=True).pk}

    def policy(w, which):
        return {"pk": SlaPolicy.objects.get(key="first_response").pk}

    def holiday(w, which):
        """Removing a holiday consumes it: each request removes a new one."""
        fresh = _fresh_holiday()
        return {"pk": fresh.calendar_id, "holiday": fresh.pk}

    return {
        "servicelevels:request_list": ("get", None, ALL, None),
        "servicelevels:request_add": ("get", None, team_work, None),
        "servicelevels:queue": ("get", None, ALL, None),
        "servicelevels:request": ("get", request, detail_own, detail_other),
        "servicelevels:request_edit": ("get", request, edit_own, edit_other),
        # An empty POST changes nothing: the request's page is shown again with the reason.
        "servicelevels:request_status": ("post", request, edit_own, edit_other),
        "servicelevels:request_comment": ("post", request, edit_own, edit_other),
        "servicelevels:request_escalate": ("get", request, edit_own, edit_other),
        "servicelevels:compliance": ("get", None, ALL, None),  # scoped: the requests the user sees
        "servicelevels:policy_list": ("get", None, ALL, None),
        "servicelevels:policy_edit": ("get", policy, LEADS_ONLY, None),
        "servicelevels:escalation_path": ("get", None, LEADS_ONLY, None),
        "servicelevels:calendar_list": ("get", None, ALL, None),
        "servicelevels:calendar_add": ("get", None, LEADS_ONLY, None),
        "servicelevels:calendar": ("get", calendar, ALL, None),
        "servicelevels:calendar_edit": ("get", calendar, LEADS_ONLY, None),
        "servicelevels:holiday_add": ("get", calendar, LEADS_ONLY, None),
        "servicelevels:holiday_delete": ("post", holiday, {**LEADS_ONLY, "admin": 302, "lead": 302}, None),
        # Everyone who sees the account reads its service levels; the forms are for those who may change them.
        "servicelevels:account_policies": ("get", account, detail_own, detail_other),
        "servicelevels:obligation_list": ("get", None, ALL, None),
        "servicelevels:obligation_done": ("get", obligation, edit_own, edit_other),
        "servicelevels:obligation_reopen": ("post", obligation, post_own, post_other),
    }


ACCOUNT_SLA = "/api/v1/accounts/{account_id}/service-levels"


def api():
    from tests.test_access_matrix import ALL, LEADS_ONLY, scoped

    detail_own, detail_other = scoped(200)
    change_own, change_other = scoped(200, editors=("admin", "lead", "kam"))
    create_own, create_other = scoped(201, editors=("admin", "lead", "kam"))
    leads_create = {**LEADS_ONLY, "admin": 201, "lead": 201}
    return {
        ("GET", "/api/v1/requests"): (ALL, None),
        # The account is named in the body: one the user cannot see is a field error (422), not a missing resource.
        ("POST", "/api/v1/requests"): (create_own, {**create_other, "kam": 422}),
        ("GET", "/api/v1/requests/queue"): (ALL, None),
        ("GET", "/api/v1/requests/{request_id}"): (detail_own, detail_other),
        ("PATCH", "/api/v1/requests/{request_id}"): (change_own, change_other),
        ("POST", "/api/v1/requests/{request_id}/status"): (change_own, change_other),
        ("POST", "/api/v1/requests/{request_id}/comments"): (create_own, create_other),
        ("GET", "/api/v1/requests/{request_id}/events"): (detail_own, detail_other),
        ("POST", "/api/v1/requests/{request_id}/escalations"): (create_own, create_other),
        ("GET", "/api/v1/requests/{request_id}/escalations"): (detail_own, detail_other),
        ("GET", "/api/v1/sla/compliance"): (ALL, None),
        ("GET", "/api/v1/sla/policies"): (ALL, None),
        ("PATCH", "/api/v1/sla/policies/{policy_id}"): (LEADS_ONLY, None),
        ("GET", "/api/v1/sla/escalation-path"): (ALL, None),
        ("PUT", "/api/v1/sla/escalation-path"): (LEADS_ONLY, None),
        ("GET", "/api/v1/sla/calendars"): (ALL, None),
        ("POST", "/api/v1/sla/calendars"): (leads_create, None),
        ("GET", "/api/v1/sla/calendars/{calendar_id}"): (ALL, None),
        ("PATCH", "/api/v1/sla/calendars/{calendar_id}"): (LEADS_ONLY, None),
        ("POST", "/api/v1/sla/calendars/{calendar_id}/holidays"): (leads_create, None),
        ("DELETE", "/api/v1/sla/calendars/{calendar_id}/holidays/{holiday_id}"): (
            {**LEADS_ONLY, "admin": 204, "lead": 204},
            None,
        ),
        ("GET", ACCOUNT_SLA): (detail_own, detail_other),
        ("PUT", ACCOUNT_SLA + "/overrides/{policy_key}"): (change_own, change_other),
        ("DELETE", ACCOUNT_SLA + "/overrides/{policy_key}"): scoped(204, editors=("admin", "lead", "kam")),
        ("PUT", ACCOUNT_SLA + "/escalation-path"): (change_own, change_other),
        ("PUT", ACCOUNT_SLA + "/calendar"): (change_own, change_other),
        ("GET", "/api/v1/obligations"): (ALL, None),
        ("POST", "/api/v1/obligations/{obligation_id}/done"): (change_own, change_other),
        ("POST", "/api/v1/obligations/{obligation_id}/reopen"): (change_own, change_other),
    }


def call(client, method, path, url, world, which, account, headers):
    """One service-level operation, on fresh or reset objects where a call consumes them."""
    n = next(_days)
    calendar = BusinessCalendar.objects.get(is_default=True)
    policy = SlaPolicy.objects.get(key="first_response")
    url = (
        url.replace("{calendar_id}", str(calendar.pk))
        .replace("{policy_id}", str(policy.pk))
        .replace("{policy_key}", policy.key)
    )
    request = obligation = None
    if "{request_id}" in path:
        request = _request(world, which)
        if path.endswith("/escalations") and method == "POST":
            ClientRequest.objects.filter(pk=request.pk).update(escalation_level=0)  # room to escalate again
        url = url.replace("{request_id}", str(request.pk))
    if "{obligation_id}" in path:
        obligation = _obligation(world, which)
        if path.endswith("/done") and obligation.status == "done":
            obligation = services.reopen_obligation(obligation)
        url = url.replace("{obligation_id}", str(obligation.pk))
    if "{holiday_id}" in path:
        url = url.replace("{holiday_id}", str(_fresh_holiday().pk))
    if method == "DELETE" and "/overrides/" in path:
        services.set_override(account, policy, 4, "hours", "business")
    if method in ("GET", "DELETE"):
        return getattr(client, method.lower())(url, **headers)
    body = {
        ("POST", "/api/v1/requests"): lambda: {"account_id": account.pk, "subject": f"Matrix {n}"},
        ("PATCH", "/api/v1/requests/{request_id}"): lambda: {"subject": f"Edited {n}", "version": request.version},
        ("POST", "/api/v1/requests/{request_id}/status"): lambda: {
            "status": services.allowed_next(request.status)[0],
            "note": "Matrix",
        },
        ("POST", "/api/v1/requests/{request_id}/comments"): lambda: {"note": f"Comment {n}"},
        ("POST", "/api/v1/requests/{request_id}/escalations"): lambda: {"reason": "Matrix escalation"},
        ("PATCH", "/api/v1/sla/policies/{policy_id}"): lambda: {
            "responsibility": f"Response to client inquiries {n}",
            "version": policy.version,
        },
        ("PUT", "/api/v1/sla/escalation-path"): lambda: {
            "levels": [{"team_role": "key_account_manager"}, {"team_role": "team_leader"}]
        },
        ("POST", "/api/v1/sla/calendars"): lambda: {"name": f"Matrix calendar {n}", "time_zone": "Europe/Paris"},
        ("PATCH", "/api/v1/sla/calendars/{calendar_id}"): lambda: {
            "regions": ["EMEA", f"R{n}"],
            "version": calendar.version,
        },
        ("POST", "/api/v1/sla/calendars/{calendar_id}/holidays"): lambda: {
            "date": (dt.date(2041, 1, 1) + dt.timedelta(days=n)).isoformat(),
            "name": "Matrix holiday",
        },
        ("PUT", ACCOUNT_SLA + "/overrides/{policy_key}"): lambda: {"target": 4, "unit": "hours", "clock": "business"},
        ("PUT", ACCOUNT_SLA + "/escalation-path"): lambda: {"levels": [{"team_role": "key_account_manager"}]},
        ("PUT", ACCOUNT_SLA + "/calendar"): lambda: {"calendar_id": calendar.pk},
        ("POST", "/api/v1/obligations/{obligation_id}/done"): lambda: {"evidence": "Minutes of the review"},
        ("POST", "/api/v1/obligations/{obligation_id}/reopen"): dict,
    }[(method, path)]()
    return getattr(client, method.lower())(url, body, content_type="application/json", **headers)
