import pytest

from kam.accounts.models import Account
from kam.users.models import ApiToken, hash_token


@pytest.fixture
def token(users):
    return ApiToken.issue(users.admin, "tests")[1]


def auth(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_stale_update_is_refused_and_the_first_write_survives(client, token, portfolio):
    account_id = portfolio.own.pk
    read = client.get(f"/api/v1/accounts/{account_id}", **auth(token))
    etag = read["ETag"]
    first = client.patch(
        f"/api/v1/accounts/{account_id}",
        {"name": "First writer"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **auth(token),
    )
    assert first.status_code == 200 and first["ETag"] != etag
    second = client.patch(
        f"/api/v1/accounts/{account_id}",
        {"name": "Second writer"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **auth(token),
    )
    assert second.status_code == 412
    assert second.json()["errors"][0]["field"] == "version"
    assert Account.objects.get(pk=account_id).name == "First writer"
    stale_body = client.patch(
        f"/api/v1/accounts/{account_id}",
        {"name": "Third", "version": 1},
        content_type="application/json",
        **auth(token),
    )
    assert stale_body.status_code == 412 and Account.objects.get(pk=account_id).name == "First writer"


def test_update_without_a_version_is_refused(client, token, portfolio):
    response = client.patch(
        f"/api/v1/accounts/{portfolio.own.pk}", {"name": "Blind"}, content_type="application/json", **auth(token)
    )
    assert response.status_code == 428
    assert Account.objects.get(pk=portfolio.own.pk).name == "Own Group"


def test_stale_form_submission_is_refused(login, users, portfolio):
    from django.urls import reverse

    client = login(users.admin)
    url = reverse("accounts:account_edit", args=[portfolio.own.pk])
    form = {"name": "Edited", "account_number": "OWN-1", "currency": "EUR", "status": "customer", "version": 0}
    response = client.post(url, form)
    assert response.status_code == 200 and "changed by someone else" in response.content.decode()
    assert Account.objects.get(pk=portfolio.own.pk).name == "Own Group"


def test_errors_have_one_shape(client, token, portfolio):
    invalid = client.post(
        "/api/v1/accounts", {"name": "", "account_number": "X"}, content_type="application/json", **auth(token)
    )
    assert invalid.status_code == 422
    body = invalid.json()
    assert body["detail"] and body["errors"][0]["field"] == "name"
    malformed = client.post("/api/v1/accounts", "{bad", content_type="application/json", **auth(token))
    assert malformed.status_code == 400 and malformed.json()["detail"] == "Cannot parse request body"
    missing = client.get("/api/v1/accounts/999999", **auth(token))
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found.", "errors": []}
    unknown_parent = client.post(
        "/api/v1/accounts",
        {"name": "Y", "account_number": "Y-1", "parent_id": 999999},
        content_type="application/json",
        **auth(token),
    )
    assert unknown_parent.status_code == 422 and unknown_parent.json()["errors"][0]["field"] == "parent_id"
    duplicate = client.post(
        "/api/v1/accounts", {"name": "Z", "account_number": "OWN-1"}, content_type="application/json", **auth(token)
    )
    assert duplicate.status_code == 422 and duplicate.json()["errors"][0]["field"] == "account_number"


def test_list_is_paginated_filtered_and_scoped(client, users, portfolio):
    raw = ApiToken.issue(users.kam, "kam")[1]
    body = client.get("/api/v1/accounts?page_size=1", **auth(raw)).json()
    assert body["count"] == 2 and len(body["items"]) == 1
    names = {a["name"] for a in client.get("/api/v1/accounts?q=subsidiary", **auth(raw)).json()["items"]}
    assert names == {"Own Subsidiary"}
    top = client.get("/api/v1/accounts?top_level=true", **auth(raw)).json()
    assert [a["name"] for a in top["items"]] == ["Own Group"]


def test_tokens_are_stored_hashed_and_can_be_revoked(client, users, login):
    from django.urls import reverse

    web = login(users.viewer)
    page = web.post(reverse("users:profile"), {"name": "BI"}).content.decode()
    token = ApiToken.objects.get(user=users.viewer)
    raw = page.split('data-testid="new-token">')[1].split("<")[0]
    assert raw.startswith("kam_") and token.key_hash == hash_token(raw) and raw not in token.key_hash
    assert raw not in web.get(reverse("users:profile")).content.decode()  # shown once only
    web.logout()
    assert client.get("/api/v1/me", **auth(raw)).json()["email"] == "viewer@example.com"
    web.force_login(users.viewer)
    web.post(reverse("users:token_revoke", args=[token.pk]))
    web.logout()
    assert client.get("/api/v1/me", **auth(raw)).status_code == 401


def test_session_writes_need_the_csrf_token(users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users.admin)
    assert client.get("/api/v1/me").status_code == 200
    response = client.post("/api/v1/accounts", {"name": "N", "account_number": "N-1"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Account.objects.filter(account_number="N-1").exists()


def test_openapi_document_and_offline_docs(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "KAM API" and "/api/v1/accounts" in schema["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "https://" not in docs and "/static/ninja/swagger-ui-bundle.js" in docs  # served offline


def test_figures_endpoint_matches_the_page_figures(client, token, portfolio):
    from tests import factories

    factories.fact(portfolio.own, "2026-01", "100.005", "40")
    factories.fact(portfolio.own_child, "2026-01", "50", "10")
    body = client.get(f"/api/v1/accounts/{portfolio.own.pk}/figures", **auth(token)).json()
    assert body["own"]["revenue_t12m"] == "100.01"  # half-up at the end
    assert body["subtree"]["revenue_t12m"] == "150.01"
    assert body["subtree"]["gross_margin_percent"] == "33.332222"  # 100 * 50 / 150.005 = 33.3322222…


def test_absurd_page_numbers_are_refused_cleanly(client, token):
    for query in ("page=99999999999999999", "page=0", "page_size=100000", "page=abc"):
        response = client.get(f"/api/v1/accounts?{query}", **auth(token))
        assert response.status_code == 422, query


def test_nul_characters_are_a_field_error_not_a_crash(client, token, login, users):
    response = client.post(
        "/api/v1/accounts",
        {"name": "Bad\x00name", "account_number": "NUL-1"},
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "name"
    page = login(users.admin).get("/accounts/?q=a%00b")
    assert page.status_code == 200 and "not valid" in page.content.decode()
    assert client.get("/api/v1/accounts?q=a%00b", **auth(token)).status_code == 422


def test_schema_names_are_unique_across_routers():
    """OpenAPI names a component after its class: two routers with a class of the same name would share one
    component, and one endpoint would document the other's shape (schemathesis caught a capacity response)."""
    import importlib
    import importlib.util
    import inspect

    from ninja import Schema

    seen = {}
    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("kam.") or importlib.util.find_spec(f"{config.name}.api") is None:
            continue
        module = importlib.import_module(f"{config.name}.api")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Schema) and cls.__module__ == module.__name__:
                assert name not in seen, f"{name} is defined in {seen.get(name)} and {module.__name__}"
                seen[name] = module.__name__
