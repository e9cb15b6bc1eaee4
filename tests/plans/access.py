"""The plans' part of the access matrix (tests/test_access_matrix.py reads `pages()`, `api()` and `call()`).

Who may do what: everyone reads the plans in their scope; a plan, its versions and their rows are written by those
who may change the account (administrators, the programme lead, the key account manager on its team); approving and
returning to draft by the account's team leader, the programme lead or an administrator. The matrix's KAM manages
the own account but does not lead its team: the API refuses them approval (403) before looking at the version."""

from kam.accounts.models import Account
from tests import factories


def _account(w, which):
    return w.p.own if which == "own" else w.p.other


def plan_of(world, account):
    """The account's plan (made a key account first), created by the programme lead on first use."""
    from kam.plans import services
    from kam.plans.models import AccountPlan

    plan = AccountPlan.objects.filter(account=account).first()
    if plan is not None:
        return plan
    Account.objects.filter(pk=account.pk).update(is_key_account=True)
    account.refresh_from_db()
    return services.create_plan(account, world.users.lead, 2026, horizon_years=5)


def _first_version(plan, status):
    """Version 1, put in `status` (set directly: the matrix tests who may call, not the workflow)."""
    from kam.plans.models import PlanVersion

    PlanVersion.objects.filter(plan=plan, number=1).update(status=status)
    return PlanVersion.objects.get(plan=plan, number=1)


def _risk(world, version):
    from kam.plans import services

    data = {"title": "Matrix risk", "category": "competitive", "likelihood": 2, "impact": 3}
    return services.save_item(version, "risk", data, world.users.lead)


def pages() -> dict:
    from tests.test_access_matrix import ALL, scoped

    read = scoped(200)
    edit = scoped(200, editors=("admin", "lead", "kam"))
    redirect = scoped(302, editors=("admin", "lead", "kam"))
    # Approving: the KAM does not lead the own account's team (403); another team's plan does not exist for them.
    approve = (
        {"admin": 302, "lead": 302, "kam": 403, "sponsor": 403, "viewer": 403},
        {"admin": 302, "lead": 302, "kam": 404, "sponsor": 403, "viewer": 403},
    )

    def account(w, which):
        account = _account(w, which)
        Account.objects.filter(pk=account.pk).update(is_key_account=True)
        return {"pk": account.pk}

    def plan(w, which):
        return {"pk": plan_of(w, _account(w, which)).pk}

    def draft(w, which, **extra):
        return {"version_pk": _first_version(plan_of(w, _account(w, which)), "draft").pk, **extra}

    def in_review(w, which, **extra):
        return {"version_pk": _first_version(plan_of(w, _account(w, which)), "in_review").pk, **extra}

    def risk(w, which):
        version = _first_version(plan_of(w, _account(w, which)), "draft")
        return {"kind": "risk", "pk": _risk(w, version).pk}

    def objective(w, which):
        from kam.plans import services

        version = _first_version(plan_of(w, _account(w, which)), "draft")
        return {"pk": services.save_item(version, "objective", {"title": "Matrix goal"}, w.users.lead).pk}

    def approved_only(w, which):
        from kam.plans.models import PlanVersion

        plan = plan_of(w, _account(w, which))
        PlanVersion.objects.filter(plan=plan, number__gt=1).update(status="draft")
        PlanVersion.objects.filter(plan=plan, number__gt=1).delete()
        _first_version(plan, "approved")
        return {"pk": plan.pk}

    def export(w, which):
        return {"pk": plan_of(w, _account(w, which)).pk, "number": 1}

    return {
        "plans:plan_list": ("get", None, ALL, None),
        # A POST creates the plan (or says it exists): either way back to the account's plan tab.
        "plans:create": ("post", account, *redirect),
        # Without htmx a section's GET goes back to the plan tab (the form is ?edit=1).
        "plans:section": ("get", lambda w, which: draft(w, which, group="situation"), *scoped(302)),
        "plans:item_add": ("get", lambda w, which: draft(w, which, kind="risk"), *edit),
        "plans:item_edit": ("get", risk, *edit),
        "plans:item_delete": ("post", risk, *redirect),
        "plans:evaluate": ("post", objective, *redirect),
        "plans:workflow": ("post", lambda w, which: in_review(w, which, step="approve"), *approve),
        "plans:next_year": ("post", approved_only, *redirect),
        "plans:compare": ("get", plan, *read),
        "plans:export_pdf": ("get", export, *read),
        "plans:export_docx": ("get", export, *read),
    }


def api() -> dict:
    from tests.test_access_matrix import ALL, scoped

    read = scoped(200)
    edit = scoped(200, editors=("admin", "lead", "kam"))
    create = scoped(201, editors=("admin", "lead", "kam"))
    # The KAM may approve by role, but only as the account's team leader: on the own account they are not (403);
    # another team's plan does not exist for them (404).
    approve = (
        {"admin": 200, "lead": 200, "kam": 403, "sponsor": 403, "viewer": 403},
        {"admin": 200, "lead": 200, "kam": 404, "sponsor": 403, "viewer": 403},
    )
    version = "/api/v1/plans/{plan_id}/versions/{number}"
    return {
        ("GET", "/api/v1/plans"): (ALL, None),
        ("POST", "/api/v1/accounts/{account_id}/plan"): create,
        ("GET", "/api/v1/plans/{plan_id}"): read,
        ("POST", "/api/v1/plans/{plan_id}/next-year"): create,
        ("GET", "/api/v1/plans/{plan_id}/compare"): read,
        ("GET", version): read,
        ("PATCH", version): edit,
        ("GET", version + "/quality"): read,
        ("POST", version + "/submit"): edit,
        ("POST", version + "/approve"): approve,
        ("POST", version + "/return-to-draft"): approve,
        ("POST", version + "/items/{kind}"): create,
        ("PATCH", "/api/v1/plan-items/{kind}/{item_id}"): edit,
        ("POST", "/api/v1/plan-items/objectives/{item_id}/evaluate"): edit,
        ("DELETE", "/api/v1/plan-items/{kind}/{item_id}"): scoped(204, editors=("admin", "lead", "kam")),
    }


def call(client, method, path, url, world, which, account, headers):
    from kam.plans import services
    from kam.plans.models import AccountPlan, PlanVersion

    n = next(factories._numbers)
    if path == "/api/v1/accounts/{account_id}/plan":
        AccountPlan.objects.filter(account=account).delete()  # each try creates the plan anew
        Account.objects.filter(pk=account.pk).update(is_key_account=True)
        return client.post(url, {"start_year": 2026}, content_type="application/json", **headers)
    plan = plan_of(world, account)
    url = url.replace("{plan_id}", str(plan.pk)).replace("{number}", "1").replace("{kind}", "risks")
    if method == "GET":
        return client.get(url, **headers)
    if path.endswith("/next-year"):
        # Only version 1, approved: each try starts version 2 anew.
        PlanVersion.objects.filter(plan=plan, number__gt=1).update(status="draft")
        PlanVersion.objects.filter(plan=plan, number__gt=1).delete()
        _first_version(plan, "approved")
        return client.post(url, {}, content_type="application/json", **headers)
    in_review = path.endswith(("/approve", "/return-to-draft"))
    version = _first_version(plan, "in_review" if in_review else "draft")
    if path.endswith("/evaluate"):
        objective = services.save_item(version, "objective", {"title": f"Goal {n}"}, world.users.lead)
        url = url.replace("{item_id}", str(objective.pk))
        return client.post(url, {"achieved": True, "version": objective.version}, content_type="application/json",
                           **headers)  # fmt: skip
    if "{item_id}" in path:
        risk = _risk(world, version)
        url = url.replace("{item_id}", str(risk.pk))
        if method == "DELETE":
            return client.delete(url, **headers)
        body = {"title": f"Edited {n}", "version": risk.version}
    elif path.endswith("/items/{kind}"):
        body = {"title": f"Risk {n}", "category": "financial", "likelihood": 1, "impact": 2}
    elif path.endswith("/return-to-draft"):
        body = {"note": "Add the KPIs"}
    elif path.endswith(("/submit", "/approve")):
        body = {}
    else:
        body = {"situation": f"Situation {n}", "version": version.version}
    return getattr(client, method.lower())(url, body, content_type="application/json", **headers)
