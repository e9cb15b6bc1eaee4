"""Every URL pattern and every API operation, for every role, against an object of the role's own team and
one of another team. A route that is not in the matrix fails `test_every_route_is_in_the_matrix`, so new
routes cannot ship without deciding who may use them.

Expected answers: anonymous → login redirect (pages) or 401 (API); a function outside the role → 403; an
object outside the user's scope → 404 (it does not exist for them); otherwise 200 (or the redirect after a
successful POST)."""

from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kam.accounts.models import ImportRun
from kam.api import api
from kam.users.models import ApiToken
from tests import factories

ROLES = ("admin", "lead", "kam", "sponsor", "viewer")
ALL = dict.fromkeys(ROLES, 200)
LEADS_ONLY = {"admin": 200, "lead": 200, "kam": 403, "sponsor": 403, "viewer": 403}
IMPORTERS = LEADS_ONLY


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
    return SimpleNamespace(
        users=users, p=portfolio, import_own=import_own, import_other=import_other, tokens=tokens, change=change
    )


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

    def token(w, which):
        owner = w.users.kam
        token = owner.api_tokens.first()
        return {"pk": token.pk}

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
        "users:profile": ("get", None, ALL, None),
        # Only the KAM owns the token used here: everyone else is told it does not exist.
        "users:token_revoke": ("post", token, {**dict.fromkeys(ROLES, 404), "kam": 302}, None),
        "users:password_change": ("get", None, ALL, None),
        "users:password_change_done": ("get", None, ALL, None),
        "users:password_reset": ("get", None, ALL, None),
        "users:password_reset_done": ("get", None, ALL, None),
        "users:password_reset_confirm": ("get", lambda w, which: {"uidb64": "MQ", "token": "bad-token"}, ALL, None),
        "users:password_reset_complete": ("get", None, ALL, None),
    }


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
    }


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
    account = world.p.own if which == "own" else world.p.other
    run = world.import_own if which == "own" else world.import_other
    url = path.replace("{account_id}", str(account.pk)).replace("{import_id}", str(run.pk))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
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
                factories.add_member(target, world.users.sponsor) if which == "own" else None
                factories.add_member(target, world.users.viewer) if which == "own" else None
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
