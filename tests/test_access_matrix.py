"""Every URL pattern and every API operation, for every role, against an object of the role's own team and
one of another team. A route that is not in the matrix fails `test_every_route_is_in_the_matrix`, so new
routes cannot ship without deciding who may use them.

Expected answers: anonymous → login redirect (pages) or 401 (API); a function outside the role → 403; an
object outside the user's scope → 404 (it does not exist for them); otherwise 200 (or the redirect after a
successful POST)."""

import importlib
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kam.accounts.models import AccountTeamMember, ImportRun
from kam.api import api
from kam.core.roles import Role
from kam.teams.models import ServiceModel, TeamRoleDefinition
from kam.users.models import ApiToken
from tests import factories

ROLES = ("admin", "lead", "kam", "sponsor", "viewer")
ALL = dict.fromkeys(ROLES, 200)
LEADS_ONLY = {"admin": 200, "lead": 200, "kam": 403, "sponsor": 403, "viewer": 403}
IMPORTERS = LEADS_ONLY


# Apps that keep their part of the matrix next to their tests: each module has `pages()` and `api()` returning entries
# in the shapes below, and `call(client, method, path, url, world, which, account, headers)` for its API operations
# (it answers for the paths `api()` lists).
APP_MATRICES = (
    "tests.charters.access",
    "tests.servicelevels.access",
    "tests.notifications.access",
    "tests.plans.access",
    "tests.stakeholders.access",
    "tests.plans.access_whitespace",
)


def app_matrices():
    modules = []
    for name in APP_MATRICES:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as missing:
            if missing.name != name:
                raise
    return modules


def scoped(own_code=200, editors=ROLES):
    """Own team's object: 200 for `editors`, 403 for the others; another team's: 404 unless global scope."""
    own = {r: (own_code if r in editors else 403) for r in ROLES}
    other = {r: (own_code if r in ("admin", "lead") else (404 if r in editors else 403)) for r in ROLES}
    return own, other


@pytest.fixture
def world(users, portfolio, tmp_path):
    from kam.accounts.imports import start_import

    import_own = start_import(users.admin, "fx", "fx.csv", b"month,currency,rate_per_eur\n2026-01,USD,1.1\n")
    import_other = start_import(users.lead, "fx", "fx2.csv", b"month,currency,rate_per_eur\n2026-01,GBP,0.8\n")
    tokens = {}
    for role in ROLES:
        tokens[role] = ApiToken.issue(getattr(users, role), "matrix")[1]
    from kam.audit.models import ObjectChange

    change = ObjectChange.objects.filter(account_id=portfolio.other.pk).first()
    # The selection workbench: a scoring model, a finished run over the portfolio (EUR facts and wallets need no
    # FX rates), a rating and an open proposal on each team's account.
    from kam.selection import services as selection
    from kam.selection.config import default_criteria

    factories.fact(portfolio.own, "2026-01", 1000, 300)
    factories.fact(portfolio.own_child, "2025-01", 800, 200)
    factories.fact(portfolio.other, "2026-01", 500, 100)
    factories.wallet(portfolio.own, 2026, 10_000)
    factories.wallet(portfolio.other, 2026, 5_000)
    model = selection.create_model(name="Matrix", criteria=default_criteria())
    run = selection.execute_run(selection.start_run(model, users.lead).pk)
    assert run.status == "done", run.message
    ratings = {
        "own": selection.set_rating(portfolio.own, "market_leader", 4, users.kam),
        "other": selection.set_rating(portfolio.other, "market_leader", 2, portfolio.other_kam),
    }
    designations = {
        "own": selection.propose(portfolio.own, users.kam, "Grows fast"),
        "other": selection.propose(portfolio.other, portfolio.other_kam, "Large wallet"),
    }
    return SimpleNamespace(
        users=users,
        p=portfolio,
        import_own=import_own,
        import_other=import_other,
        tokens=tokens,
        change=change,
        model=model,
        run=run,
        ratings=ratings,
        designations=designations,
    )


def _manager_membership(w, which):
    """The key account manager's membership of the own team's account (the KAM's) or the other team's."""
    target, manager = (w.p.own, w.users.kam) if which == "own" else (w.p.other, w.p.other_kam)
    return AccountTeamMember.objects.get(AccountTeamMember.active_q(), account=target, user=manager)


def _fresh_member(account):
    from kam.teams import services as teams

    return teams.add_member(account, factories.make_user(), "support", 10)


# name -> (method, kwargs builder(world, which) or None, {role: status} for own, {role: status} for other)
def page_matrix():
    detail_own, detail_other = scoped(200)
    edit_own, edit_other = scoped(200, editors=("admin", "lead", "kam"))
    delete_own, delete_other = scoped(200, editors=("admin", "lead"))

    def account(w, which):
        return {"pk": (w.p.own if which == "own" else w.p.other).pk}

    def run(w, which):
        return {"pk": (w.import_own if which == "own" else w.import_other).pk}

    def change(w, which):
        return {"pk": w.change.pk}

    def model(w, which):
        return {"pk": w.model.pk}

    def sel_run(w, which):
        return {"pk": w.run.pk}

    def result(w, which):
        return {"pk": w.run.pk, "account_id": w.p.own.pk}

    def rating(w, which):
        return {"pk": w.ratings[which].pk}

    def designation(w, which):
        return {"pk": w.designations[which].pk}

    def token(w, which):
        owner = w.users.kam
        token = owner.api_tokens.first()
        return {"pk": token.pk}

    def team_member(w, which):
        target = w.p.own if which == "own" else w.p.other
        return {"pk": target.pk, "member": _manager_membership(w, which).pk}

    def fresh_team_member(w, which):
        """Ending a membership consumes it: each request ends a new one."""
        target = w.p.own if which == "own" else w.p.other
        return {"pk": target.pk, "member": _fresh_member(target).pk}

    def team_role(w, which):
        return {"pk": TeamRoleDefinition.objects.get(key="finance_partner").pk}

    def service_model(w, which):
        return {"pk": ServiceModel.objects.get(segment="strategic").pk}

    return {
        "home": ("get", None, ALL, None),
        "login": ("get", None, dict.fromkeys(ROLES, 302), None),  # signed-in users are sent on
        "logout": ("post", None, dict.fromkeys(ROLES, 302), None),
        "healthz": ("get", None, ALL, None),
        "readyz": ("get", None, ALL, None),
        "accounts:account_list": ("get", None, ALL, None),
        "accounts:account_add": ("get", None, LEADS_ONLY, None),
        "accounts:account_autocomplete": ("get", None, ALL, None),
        "accounts:account": ("get", account, detail_own, detail_other),
        "accounts:account_edit": ("get", account, edit_own, edit_other),
        "accounts:account_delete": ("get", account, delete_own, delete_other),
        "accounts:account_history": ("get", account, detail_own, detail_other),
        "accounts:fxrate_list": ("get", None, ALL, None),
        "accounts:import_list": ("get", None, IMPORTERS, None),
        "accounts:import_add": ("get", None, IMPORTERS, None),
        "accounts:import_detail": ("get", run, IMPORTERS, IMPORTERS),
        "accounts:import_apply": (
            "post",
            run,
            {**IMPORTERS, "admin": 302, "lead": 302},
            {**IMPORTERS, "admin": 302, "lead": 302},
        ),
        "accounts:import_errors": ("get", run, IMPORTERS, IMPORTERS),
        "accounts:import_mapping": ("post", run, IMPORTERS, IMPORTERS),  # an empty mapping re-shows the form
        "audit:change_list": ("get", None, LEADS_ONLY, None),
        "audit:change": ("get", change, LEADS_ONLY, None),
        # Selection: the workbench is the programme lead's (no team scope); ratings and decisions follow the account.
        "selection:workbench": ("get", None, LEADS_ONLY, None),
        "selection:model_list": ("get", None, LEADS_ONLY, None),
        "selection:model_add": ("get", None, LEADS_ONLY, None),
        "selection:model": ("get", model, LEADS_ONLY, None),
        "selection:model_edit": ("get", model, LEADS_ONLY, None),
        "selection:model_delete": ("get", model, LEADS_ONLY, None),
        "selection:model_history": ("get", model, LEADS_ONLY, None),
        "selection:model_run": ("post", model, {**LEADS_ONLY, "admin": 302, "lead": 302}, None),
        "selection:run_list": ("get", None, LEADS_ONLY, None),
        "selection:run": ("get", sel_run, LEADS_ONLY, None),
        "selection:result": ("get", result, LEADS_ONLY, None),
        "selection:run_matrix": ("get", sel_run, LEADS_ONLY, None),
        "selection:run_capacity": ("get", sel_run, LEADS_ONLY, None),
        "selection:run_retiering": ("get", sel_run, LEADS_ONLY, None),
        "selection:run_propose": ("post", sel_run, {**LEADS_ONLY, "admin": 302, "lead": 302}, None),
        "selection:run_delete": ("get", sel_run, LEADS_ONLY, None),
        "selection:rating_list": ("get", None, ALL, None),
        "selection:rating_set": ("get", None, {**ALL, "sponsor": 403, "viewer": 403}, None),
        "selection:rating_delete": ("get", rating, delete_own, delete_other),
        "selection:designation_list": ("get", None, ALL, None),
        "selection:designation_add": ("get", None, {**ALL, "sponsor": 403, "viewer": 403}, None),
        "selection:designation": ("get", designation, detail_own, detail_other),
        # An empty POST decides nothing: the page is shown again with the reason, to whoever may see it.
        "selection:designation_decide": ("post", designation, detail_own, detail_other),
        "selection:dedesignate": ("get", account, LEADS_ONLY, LEADS_ONLY),
        # Teams: staffing decides who can open an account, so it is the programme lead's (and administrators');
        # the catalogue, service models and rules are read by everyone; the charter is edited like the account.
        "teams:member_add": ("get", account, LEADS_ONLY, LEADS_ONLY),
        "teams:member_edit": ("get", team_member, LEADS_ONLY, LEADS_ONLY),
        "teams:member_end": (
            "post",
            fresh_team_member,
            {**LEADS_ONLY, "admin": 302, "lead": 302},
            {**LEADS_ONLY, "admin": 302, "lead": 302},
        ),
        "teams:handover": ("get", account, LEADS_ONLY, LEADS_ONLY),
        "teams:charter": ("get", account, edit_own, edit_other),
        "teams:handover_all": ("get", None, LEADS_ONLY, None),
        "teams:role_list": ("get", None, ALL, None),
        "teams:role_add": ("get", None, LEADS_ONLY, None),
        "teams:role_edit": ("get", team_role, LEADS_ONLY, None),
        "teams:service_models": ("get", None, ALL, None),
        "teams:service_model": ("get", service_model, LEADS_ONLY, None),
        "teams:settings": ("get", None, LEADS_ONLY, None),  # the form is for those who may change the rules
        "teams:coverage": ("get", None, ALL, None),  # scoped: the key accounts the user sees
        "teams:workload": ("get", None, LEADS_ONLY, None),  # every team's people: for those who staff teams
        "teams:capacity": ("get", lambda w, which: {"user_id": w.users.kam.pk}, LEADS_ONLY, None),
        "users:profile": ("get", None, ALL, None),
        # Only the KAM owns the token used here: everyone else is told it does not exist.
        "users:token_revoke": ("post", token, {**dict.fromkeys(ROLES, 404), "kam": 302}, None),
        "users:password_change": ("get", None, ALL, None),
        "users:password_change_done": ("get", None, ALL, None),
        "users:password_reset": ("get", None, ALL, None),
        "users:password_reset_done": ("get", None, ALL, None),
        "users:password_reset_confirm": ("get", lambda w, which: {"uidb64": "MQ", "token": "bad-token"}, ALL, None),
        "users:password_reset_complete": ("get", None, ALL, None),
    } | {name: entry for module in app_matrices() for name, entry in module.pages().items()}


PUBLIC_PAGES = {
    "login",
    "healthz",
    "readyz",
    "users:password_reset",
    "users:password_reset_done",
    "users:password_reset_confirm",
    "users:password_reset_complete",
    "logout",
}


def named_patterns(resolver=None, prefix=""):
    """Every named URL outside the admin site and the API (those have their own checks below)."""
    resolver = resolver or get_resolver()
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in ("admin", "api"):
                continue
            names |= named_patterns(entry, prefix + (f"{entry.namespace}:" if entry.namespace else ""))
        elif isinstance(entry, URLPattern):
            assert entry.name, f"URL pattern {entry.pattern} has no name, so the access matrix cannot cover it"
            names.add(prefix + entry.name)
    return names


def test_every_route_is_in_the_matrix():
    missing = named_patterns() - set(page_matrix())
    assert not missing, f"Routes without an access-matrix entry: {sorted(missing)}"


def api_operations():
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}


def api_matrix():
    detail_own, detail_other = scoped(200)
    change_own, change_other = scoped(200, editors=("admin", "lead", "kam"))
    delete_own, delete_other = scoped(204, editors=("admin", "lead"))
    create = {**LEADS_ONLY, "admin": 201, "lead": 201}
    return {
        ("GET", "/api/v1/accounts"): (ALL, None),
        ("POST", "/api/v1/accounts"): (create, None),
        ("GET", "/api/v1/accounts/{account_id}"): (detail_own, detail_other),
        ("PATCH", "/api/v1/accounts/{account_id}"): (change_own, change_other),
        ("DELETE", "/api/v1/accounts/{account_id}"): (delete_own, delete_other),
        ("GET", "/api/v1/accounts/{account_id}/figures"): (detail_own, detail_other),
        ("GET", "/api/v1/accounts/{account_id}/facts"): (detail_own, detail_other),
        ("GET", "/api/v1/fx-rates"): (ALL, None),
        ("GET", "/api/v1/imports"): (IMPORTERS, None),
        ("POST", "/api/v1/imports"): ({**IMPORTERS, "admin": 201, "lead": 201}, None),
        ("GET", "/api/v1/imports/{import_id}"): (IMPORTERS, IMPORTERS),
        ("POST", "/api/v1/imports/{import_id}/apply"): (IMPORTERS, IMPORTERS),
        ("GET", "/api/v1/me"): (ALL, None),
        # Selection: the workbench (models, runs, results) is the programme lead's; it has no team scope.
        ("GET", "/api/v1/selection/models"): (LEADS_ONLY, None),
        ("POST", "/api/v1/selection/models"): (create, None),
        ("GET", "/api/v1/selection/models/{model_id}"): (LEADS_ONLY, None),
        ("PATCH", "/api/v1/selection/models/{model_id}"): (LEADS_ONLY, None),
        ("DELETE", "/api/v1/selection/models/{model_id}"): ({**LEADS_ONLY, "admin": 204, "lead": 204}, None),
        ("POST", "/api/v1/selection/models/{model_id}/runs"): ({**LEADS_ONLY, "admin": 202, "lead": 202}, None),
        ("GET", "/api/v1/selection/runs"): (LEADS_ONLY, None),
        ("GET", "/api/v1/selection/runs/{run_id}"): (LEADS_ONLY, None),
        ("DELETE", "/api/v1/selection/runs/{run_id}"): ({**LEADS_ONLY, "admin": 204, "lead": 204}, None),
        ("GET", "/api/v1/selection/runs/{run_id}/results"): (LEADS_ONLY, None),
        ("GET", "/api/v1/selection/runs/{run_id}/segments"): (LEADS_ONLY, None),
        ("GET", "/api/v1/selection/runs/{run_id}/matrix"): (LEADS_ONLY, None),
        ("GET", "/api/v1/selection/runs/{run_id}/capacity"): (LEADS_ONLY, None),
        ("GET", "/api/v1/selection/runs/{run_id}/retiering"): (LEADS_ONLY, None),
        # Ratings and designations belong to an account: scoped like it.
        ("GET", "/api/v1/selection/ratings"): (ALL, None),
        ("PUT", "/api/v1/selection/ratings"): (change_own, change_other),
        ("DELETE", "/api/v1/selection/ratings/{rating_id}"): (delete_own, delete_other),
        ("GET", "/api/v1/selection/designations"): (ALL, None),
        ("POST", "/api/v1/selection/designations"): scoped(201, editors=("admin", "lead", "kam")),
        ("POST", "/api/v1/selection/designations/{designation_id}/approve"): (LEADS_ONLY, LEADS_ONLY),
        ("POST", "/api/v1/selection/designations/{designation_id}/reject"): (LEADS_ONLY, LEADS_ONLY),
        # The KAM proposed the own team's proposal; the other team's KAM the other one.
        ("POST", "/api/v1/selection/designations/{designation_id}/withdraw"): (change_own, change_other),
        ("POST", "/api/v1/selection/accounts/{account_id}/de-designate"): (create, create),
        # Teams: the catalogue, service models and team rules are read by everyone and changed by the programme lead;
        # staffing (members, handovers) is the lead's for every account; the team and its charter follow the account.
        ("GET", "/api/v1/teams/roles"): (ALL, None),
        ("POST", "/api/v1/teams/roles"): (create, None),
        ("PATCH", "/api/v1/teams/roles/{role_id}"): (LEADS_ONLY, None),
        ("GET", "/api/v1/teams/service-models"): (ALL, None),
        ("PUT", "/api/v1/teams/service-models/{model_id}"): (LEADS_ONLY, None),
        ("GET", "/api/v1/teams/settings"): (ALL, None),
        ("PATCH", "/api/v1/teams/settings"): (LEADS_ONLY, None),
        ("GET", "/api/v1/accounts/{account_id}/team"): (detail_own, detail_other),
        ("POST", "/api/v1/accounts/{account_id}/team"): (create, create),
        ("PATCH", "/api/v1/teams/members/{member_id}"): (LEADS_ONLY, LEADS_ONLY),
        ("POST", "/api/v1/teams/members/{member_id}/end"): (LEADS_ONLY, LEADS_ONLY),
        ("POST", "/api/v1/accounts/{account_id}/handover"): (create, create),
        ("GET", "/api/v1/teams/handovers"): (ALL, None),
        ("POST", "/api/v1/teams/handover-all"): (LEADS_ONLY, None),
        ("PUT", "/api/v1/accounts/{account_id}/team-charter"): (change_own, change_other),
        ("GET", "/api/v1/teams/coverage"): (ALL, None),
        ("GET", "/api/v1/teams/workload"): (LEADS_ONLY, None),
        ("PUT", "/api/v1/teams/people/{user_id}/capacity"): (LEADS_ONLY, None),
    } | {operation: entry for module in app_matrices() for operation, entry in module.api().items()}


def test_every_api_operation_is_in_the_matrix():
    missing = api_operations() - set(api_matrix())
    assert not missing, f"API operations without an access-matrix entry: {sorted(missing)}"


def _page_request(client, method, url):
    return client.post(url) if method == "post" else client.get(url)


@pytest.mark.parametrize("name", sorted(page_matrix()))
def test_page_access(name, world, client):
    method, kwargs_for, own_expected, other_expected = page_matrix()[name]
    cases = [("own", own_expected)] + ([("other", other_expected)] if other_expected else [])
    for which, expected in cases:
        for role in ROLES:
            # fresh objects per request where a POST consumes them (revoke, apply)
            if name == "users:token_revoke":
                world.users.kam.api_tokens.all().delete()
                ApiToken.issue(world.users.kam, "to revoke")
            if name == "accounts:import_apply":
                ImportRun.objects.filter(pk__in=[world.import_own.pk, world.import_other.pk]).update(status="preview")
            url = reverse(name, kwargs=kwargs_for(world, which) if kwargs_for else None)
            client.force_login(getattr(world.users, role))
            response = _page_request(client, method, url)
            assert response.status_code == expected[role], f"{role} {method.upper()} {url} ({which})"
            client.logout()
        # Anonymous visitors: public pages answer, everything else sends them to sign in.
        url = reverse(name, kwargs=kwargs_for(world, which) if kwargs_for else None)
        response = _page_request(client, method, url)
        if name in PUBLIC_PAGES:
            assert response.status_code in (200, 302), url
        else:
            assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_admin_site_is_for_staff_only(world, client):
    for role in ROLES:
        client.force_login(getattr(world.users, role))
        response = client.get("/admin/accounts/account/")
        expected = 200 if role == "admin" else 302
        assert response.status_code == expected, role
        client.logout()


def _api_call(client, method, path, world, which, token):
    def _selection_objects(method, path, world, which, account):
        """The selection object a call acts on; fresh where the call consumes it (delete, decide, propose)."""
        from kam.accounts.models import Account
        from kam.selection import services as selection
        from kam.selection.models import KeyAccountDesignation

        model, run = world.model, world.run
        rating, designation = world.ratings[which], world.designations[which]
        if method == "DELETE" and "/models/" in path:
            model = selection.create_model(name=f"Doomed {next(factories._numbers)}", criteria=world.model.criteria)
        if method == "DELETE" and "/runs/" in path:
            run = selection.start_run(world.model, world.users.lead)
        if method == "DELETE" and "/ratings/" in path:
            rating = selection.set_rating(account, "complexity", 3, world.users.admin)
        if path.endswith(("/designations", "/approve", "/reject", "/withdraw", "/de-designate")):
            # One open proposal per account: close earlier ones, and reset the flag the last decision changed.
            KeyAccountDesignation.objects.filter(account=account, status="proposed").update(status="withdrawn")
            Account.objects.filter(pk=account.pk).update(is_key_account=path.endswith("/de-designate"))
            if path.endswith(("/approve", "/reject", "/withdraw")):
                proposer = world.users.kam if which == "own" else world.p.other_kam
                designation = selection.propose(account, proposer, "Matrix proposal")
        model.refresh_from_db()
        return SimpleNamespace(model=model, run=run, rating=rating, designation=designation)

    account = world.p.own if which == "own" else world.p.other
    run = world.import_own if which == "own" else world.import_other
    url = path.replace("{account_id}", str(account.pk)).replace("{import_id}", str(run.pk))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    for module in app_matrices():
        if any(operation_path == path for _, operation_path in module.api()):
            return module.call(client, method, path, url, world, which, account, headers)
    if "/selection/" in path:
        sel = _selection_objects(method, path, world, which, account)
        url = (
            url.replace("{model_id}", str(sel.model.pk))
            .replace("{run_id}", str(sel.run.pk))
            .replace("{rating_id}", str(sel.rating.pk))
            .replace("{designation_id}", str(sel.designation.pk))
        )
        body = {
            ("POST", "/api/v1/selection/models"): {"name": f"Model {next(factories._numbers)}"},
            ("PATCH", "/api/v1/selection/models/{model_id}"): {"description": "Edited", "version": sel.model.version},
            ("PUT", "/api/v1/selection/ratings"): {"account_id": account.pk, "attribute": "complexity", "value": 2},
            ("POST", "/api/v1/selection/designations"): {"account_id": account.pk, "reason": "Strategic fit"},
            ("POST", "/api/v1/selection/designations/{designation_id}/reject"): {"note": "Too small"},
            ("POST", "/api/v1/selection/accounts/{account_id}/de-designate"): {"reason": "Lost the business"},
        }.get((method, path))
        if method in ("GET", "DELETE"):
            return getattr(client, method.lower())(url, **headers)
        return getattr(client, method.lower())(url, body or {}, content_type="application/json", **headers)
    if "/teams/" in path or path.endswith(("/team", "/handover", "/team-charter")):
        return _teams_call(client, method, path, url, world, which, account, headers)
    if method == "GET":
        return client.get(url, **headers)
    if method == "DELETE":
        return client.delete(url, **headers)
    if method == "PATCH":
        return client.patch(
            url, {"region": "EMEA", "version": account.version}, content_type="application/json", **headers
        )
    if path.endswith("/imports"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("fx.csv", b"month,currency,rate_per_eur\n2026-02,USD,1.1\n", "text/csv")
        return client.post(url, {"kind": "fx", "file": upload}, **headers)
    if path.endswith("/apply"):
        ImportRun.objects.filter(pk=run.pk).update(status="preview")
        return client.post(url, **headers)
    n = factories._numbers.__next__()
    return client.post(
        url, {"name": f"New {n}", "account_number": f"API-{n}"}, content_type="application/json", **headers
    )


def _teams_call(client, method, path, url, world, which, account, headers):
    """A teams operation, on fresh objects where the call consumes them (ending a membership, handovers)."""
    n = next(factories._numbers)
    role = TeamRoleDefinition.objects.get(key="support")
    model = ServiceModel.objects.get(segment="unclassified")
    url = (
        url.replace("{role_id}", str(role.pk))
        .replace("{model_id}", str(model.pk))
        .replace("{user_id}", str(world.users.kam.pk))
    )
    member = None
    if "{member_id}" in path:
        member = _fresh_member(account) if path.endswith("/end") else _manager_membership(world, which)
        url = url.replace("{member_id}", str(member.pk))
    if method == "GET":
        return client.get(url, **headers)
    body = {
        ("POST", "/api/v1/teams/roles"): lambda: {"key": f"matrix_{n}", "name": f"Matrix role {n}"},
        ("PATCH", "/api/v1/teams/roles/{role_id}"): lambda: {"responsibilities": f"Edit {n}", "version": role.version},
        ("PUT", "/api/v1/teams/service-models/{model_id}"): lambda: {
            "workload_weight": "1.00",
            "review_cadence": "quarterly",
            "in_person_meetings_per_year": 2,
            "promised_service": f"Edit {n}",
            "roles": [{"role_key": "key_account_manager", "min_members": 1, "expected_allocation_percent": 10}],
        },
        ("PATCH", "/api/v1/teams/settings"): lambda: {"default_team_charter": f"Charter {n}"},
        ("POST", "/api/v1/accounts/{account_id}/team"): lambda: {
            "user_id": factories.make_user().pk,
            "team_role": "support",
            "allocation_percent": 10,
        },
        ("PATCH", "/api/v1/teams/members/{member_id}"): lambda: {
            "allocation_percent": n % 100,
            "version": member.version,
        },
        ("POST", "/api/v1/teams/members/{member_id}/end"): dict,
        ("POST", "/api/v1/accounts/{account_id}/handover"): lambda: {
            "to_user_id": factories.make_user(Role.KEY_ACCOUNT_MANAGER).pk,
            "note": "Matrix handover",
        },
        ("POST", "/api/v1/teams/handover-all"): _leaving_manager,
        ("PUT", "/api/v1/accounts/{account_id}/team-charter"): lambda: {"text": f"Charter {n}"},
        ("PUT", "/api/v1/teams/people/{user_id}/capacity"): lambda: {"accounts_limit": n % 20},
    }[(method, path)]()
    return getattr(client, method.lower())(url, body, content_type="application/json", **headers)


def _leaving_manager():
    """A key account manager with an account of their own, and a successor: each call has something to hand over."""
    from kam.teams import services as teams

    leaving = factories.make_user(Role.KEY_ACCOUNT_MANAGER)
    teams.add_member(factories.make_account(), leaving, "key_account_manager", 10)
    return {"from_user_id": leaving.pk, "to_user_id": factories.make_user(Role.KEY_ACCOUNT_MANAGER).pk, "note": "Bye"}


@pytest.mark.parametrize("operation", sorted(api_matrix()), ids=lambda op: f"{op[0]} {op[1]}")
def test_api_access(operation, world, client):
    method, path = operation
    own_expected, other_expected = api_matrix()[operation]
    cases = [("own", own_expected)] + ([("other", other_expected)] if other_expected else [])
    for which, expected in cases:
        for role in ROLES:
            if method == "DELETE":  # deleting needs a leaf account: give each try its own
                target = factories.make_account(parent=None)
                factories.add_member(target, world.users.kam) if which == "own" else None
                factories.add_member(target, world.users.sponsor, "executive_sponsor") if which == "own" else None
                factories.add_member(target, world.users.viewer, "support") if which == "own" else None
                if which == "own":
                    world.p.own = target
                else:
                    world.p.other = target
            else:
                world.p.own.refresh_from_db()
                world.p.other.refresh_from_db()
            response = _api_call(client, method, path, world, which, world.tokens[role])
            assert response.status_code == expected[role], f"{role} {method} {path} ({which}): {response.content[:200]}"
        response = _api_call(client, method, path, world, which, None)
        assert response.status_code == 401, f"anonymous {method} {path}"
        response = _api_call(client, method, path, world, which, "kam_not-a-real-token")
        assert response.status_code == 401, f"bogus token {method} {path}"
