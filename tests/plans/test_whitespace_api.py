"""The whitespace REST API: the matrix, cells with optimistic concurrency, business units, the offerings catalogue,
scope (404) and role (403), and bad input refused with field errors (never a 500)."""

from decimal import Decimal

import pytest

from kam.plans import whitespace
from kam.plans.models import BusinessUnit, Offering, WhitespaceCell
from kam.users.models import ApiToken

JSON = "application/json"
HUGE = 2**70


@pytest.fixture
def api(client, users):
    """`api("kam").get(path)` etc.: requests with the role's token."""

    class Caller:
        def __init__(self, user):
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'tests')[1]}"}

        def get(self, path, **extra):
            return client.get(path, **self.headers, **extra)

        def delete(self, path, **extra):
            return client.delete(path, **self.headers, **extra)

        def send(self, method, path, body, **extra):
            return getattr(client, method)(path, body, content_type=JSON, **self.headers, **extra)

    return lambda role: Caller(getattr(users, role))


@pytest.fixture
def cloud(db):
    return Offering.objects.create(name="Cloud", position=1)


def fields(response) -> dict:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_the_matrix_as_json(api, users, portfolio, cloud):
    europe = whitespace.add_business_unit(portfolio.own, portfolio.own, "Europe", users.lead)
    whitespace.save_cell(
        portfolio.own, portfolio.own, cloud, {"status": "won", "annual_value": Decimal(300)}, users.lead
    )
    data = {"status": "pipeline", "annual_value": Decimal(100)}
    whitespace.save_cell(portfolio.own, portfolio.own_child, cloud, data, users.lead)
    response = api("viewer").get(f"/api/v1/accounts/{portfolio.own.pk}/whitespace")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [o["name"] for o in body["offerings"]] == ["Cloud"]
    assert [(r["key"], r["depth"]) for r in body["rows"]] == [
        (f"a{portfolio.own.pk}", 0), (f"u{europe.pk}", 1), (f"a{portfolio.own_child.pk}", 1),
    ]  # fmt: skip
    own = body["rows"][0]
    assert own["cells"][0]["status"] == "won" and Decimal(own["cells"][0]["annual_value"]) == 300
    assert Decimal(own["totals"]["won"]) == 300 and Decimal(own["totals"]["open"]) == 100
    assert Decimal(own["totals"]["captured_percent"]) == Decimal(75)
    assert body["rows"][1]["cells"][0] == {
        "id": None, "offering_id": cloud.pk, "status": "none", "annual_value": None, "competitor": "", "note": "",
        "version": 0, "open_opportunity_ids": [],
    }  # fmt: skip
    assert Decimal(body["columns"][0]["totals"]["mapped"]) == 400 and Decimal(body["total"]["won"]) == 300


def test_put_a_cell_with_if_match_and_a_stale_one_is_refused(api, portfolio, cloud):
    url = f"/api/v1/accounts/{portfolio.own.pk}/whitespace/cells/a{portfolio.own_child.pk}/{cloud.pk}"
    created = api("kam").send("put", url, {"status": "potential", "annual_value": "1000.50", "version": 0})
    assert created.status_code == 200, created.content
    etag = created["ETag"]
    changed = api("kam").send("put", url, {"status": "won", "annual_value": "2000"}, HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["status"] == "won"
    stale = api("lead").send("put", url, {"status": "none"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert WhitespaceCell.objects.get().status == "won"
    competitor = api("kam").send("put", url, {"status": "competitor"})
    assert competitor.status_code == 422 and "competitor" in fields(competitor)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "sold"}, "status"),
        ({"status": "won", "annual_value": "-1"}, "annual_value"),
        ({"status": "won", "annual_value": None, "note": None}, "note"),
        ({"status": "won", "competitor": 5}, "competitor"),
        ({"status": "won", "version": HUGE}, "version"),
        ({"status": "won", "note": "a\x00b"}, "note"),
    ],
)
def test_bad_cell_input_is_a_field_error(api, portfolio, cloud, body, field):
    url = f"/api/v1/accounts/{portfolio.own.pk}/whitespace/cells/a{portfolio.own.pk}/{cloud.pk}"
    response = api("lead").send("put", url, body)
    assert response.status_code == 422, response.content
    assert field in fields(response)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/{other}/whitespace",
        "/api/v1/accounts/{huge}/whitespace",
        "/api/v1/accounts/{own}/whitespace/cells/a{other}/{cloud}",
        "/api/v1/accounts/{own}/whitespace/cells/u{huge}/{cloud}",
        "/api/v1/accounts/{own}/whitespace/cells/zz/{cloud}",
        "/api/v1/accounts/{own}/whitespace/cells/a{own}/{huge}",
        "/api/v1/offerings/{huge}",
        "/api/v1/business-units/{huge}",
    ],
)
def test_out_of_scope_and_absurd_ids_are_not_found(api, portfolio, cloud, path):
    url = path.format(own=portfolio.own.pk, other=portfolio.other.pk, cloud=cloud.pk, huge=HUGE)
    if "/cells/" in url:
        response = api("kam").send("put", url, {"status": "won"})
    elif "business-units" in url:
        response = api("kam").send("patch", url, {"name": "X", "version": 1})
    else:
        response = api("kam").get(url)
    assert response.status_code == 404, response.content
    assert not WhitespaceCell.objects.exists()


def test_sponsor_may_read_but_not_write(api, portfolio, cloud):
    assert api("sponsor").get(f"/api/v1/accounts/{portfolio.own.pk}/whitespace").status_code == 200
    url = f"/api/v1/accounts/{portfolio.own.pk}/whitespace/cells/a{portfolio.own.pk}/{cloud.pk}"
    assert api("sponsor").send("put", url, {"status": "won"}).status_code == 403
    assert not WhitespaceCell.objects.exists()


def test_business_units(api, users, portfolio, cloud):
    base = f"/api/v1/accounts/{portfolio.own.pk}/business-units"
    added = api("kam").send("post", base, {"name": "Retail", "account_id": portfolio.own_child.pk})
    assert added.status_code == 201, added.content
    unit = added.json()
    assert unit["account_id"] == portfolio.own_child.pk
    duplicate = api("kam").send("post", base, {"name": "retail", "account_id": portfolio.own_child.pk})
    assert duplicate.status_code == 422 and "name" in fields(duplicate)
    outside = api("lead").send("post", base, {"name": "Sneaky", "account_id": portfolio.other.pk})
    assert outside.status_code == 422 and "account_id" in fields(outside)
    assert [u["name"] for u in api("viewer").get(base).json()] == ["Retail"]
    patch = f"/api/v1/business-units/{unit['id']}"
    assert api("kam").send("patch", patch, {"name": "Retail EU"}).status_code == 428
    renamed = api("kam").send("patch", patch, {"name": "Retail EU", "version": unit["version"]})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Retail EU"
    assert api("kam").send("patch", patch, {"name": None, "version": 2}).status_code == 422
    assert api("kam").delete(patch).status_code == 204
    assert not BusinessUnit.objects.exists()


def test_offerings_catalogue(api, users, portfolio, cloud):
    created = api("lead").send("post", "/api/v1/offerings", {"name": "Consulting", "category": "Services"})
    assert created.status_code == 201, created.content
    offering = created.json()
    assert api("lead").send("post", "/api/v1/offerings", {"name": "consulting"}).status_code == 422
    assert api("kam").send("post", "/api/v1/offerings", {"name": "Mine"}).status_code == 403
    assert [o["name"] for o in api("viewer").get("/api/v1/offerings").json()] == ["Cloud", "Consulting"]
    url = f"/api/v1/offerings/{offering['id']}"
    assert api("lead").send("patch", url, {"is_active": None, "version": offering["version"]}).status_code == 422
    retired = api("lead").send("patch", url, {"is_active": False}, HTTP_IF_MATCH=f'"{offering["version"]}"')
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    assert [o["name"] for o in api("viewer").get("/api/v1/offerings?active=true").json()] == ["Cloud"]
    whitespace.save_cell(portfolio.own, portfolio.own, cloud, {"status": "won"}, users.lead)
    protected = api("admin").delete(f"/api/v1/offerings/{cloud.pk}")
    assert protected.status_code == 422 and "Retire it instead" in fields(protected)["offering"]
    assert api("admin").delete(url).status_code == 204
    assert list(Offering.objects.values_list("name", flat=True)) == ["Cloud"]
