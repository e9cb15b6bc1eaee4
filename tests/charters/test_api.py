"""The charters API: create from the template, PATCH with If-Match (412 stale, 428 missing), versions, compare,
sign-off, exports, the template."""

import pytest

from kam.charters import services
from kam.charters.models import Charter, CharterTemplate
from kam.users.models import ApiToken
from tests.charters.conftest import today


@pytest.fixture
def api(client, users):
    tokens = {role: ApiToken.issue(getattr(users, role), "tests")[1] for role in ("admin", "lead", "kam", "viewer")}

    def call(method, path, body=None, role="kam", **headers):
        headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens[role]}"
        if method in ("get", "delete"):
            return getattr(client, method)(path, **headers)
        return getattr(client, method)(path, body or {}, content_type="application/json", **headers)

    return call


def test_create_from_the_template_then_read_it(api, portfolio):
    created = api("post", f"/api/v1/accounts/{portfolio.own.pk}/charter", {"note": "Kick-off"})
    assert created.status_code == 201
    body = created.json()
    assert body["latest_version"] == 1 and body["status"] == "draft" and body["signed"] is None
    assert [s["key"] for s in body["sections"]][:2] == ["overview", "responsibilities"] and len(body["sections"]) == 10
    assert created["ETag"] == f'"{body["version"]}"'
    again = api("post", f"/api/v1/accounts/{portfolio.own.pk}/charter")
    assert again.status_code == 409 and Charter.objects.filter(account=portfolio.own).count() == 1
    read = api("get", f"/api/v1/accounts/{portfolio.own.pk}/charter", role="viewer")
    assert read.status_code == 200 and read.json()["id"] == body["id"]
    assert api("get", f"/api/v1/charters/{body['id']}/versions/1").json()["note"] == "Kick-off"
    assert api("get", f"/api/v1/accounts/{portfolio.other.pk}/charter", role="lead").status_code == 404


def test_patch_with_if_match_makes_a_version_stale_is_412_missing_is_428(api, charter):
    url = f"/api/v1/charters/{charter.pk}"
    etag = api("get", url)["ETag"]
    first = api(
        "patch",
        url,
        {
            "client_goals": "First writer",
            "sections": [{"key": "value", "body": "Value in *our* words."}],
            "kpis": [{"name": "NPS", "target": "40"}],
            "collaboration_tools": ["microsoft_teams", "clickup"],
            "meeting_cadence": "quarterly",
            "note": "From the workshop",
        },
        HTTP_IF_MATCH=etag,
    )
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["latest_version"] == 2 and body["client_goals"] == "First writer" and first["ETag"] != etag
    assert body["kpis"] == [{"name": "NPS", "target": "40", "measure": ""}]
    assert body["collaboration_tools"] == ["microsoft_teams", "clickup"]
    stale = api("patch", url, {"client_goals": "Second writer"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale.json()["errors"][0]["field"] == "version"
    missing = api("patch", url, {"client_goals": "Blind writer"})
    assert missing.status_code == 428
    charter.refresh_from_db()
    assert charter.client_goals == "First writer" and charter.latest_number == 2


def test_patch_refuses_unknown_tools_and_sections(api, charter):
    url = f"/api/v1/charters/{charter.pk}"
    bad_tool = api("patch", url, {"collaboration_tools": ["myspace"], "version": charter.version})
    assert bad_tool.status_code == 422 and bad_tool.json()["errors"][0]["field"].startswith("collaboration_tools")
    bad_section = api("patch", url, {"sections": [{"key": "nope", "body": "x"}], "version": charter.version})
    assert bad_section.status_code == 422
    nul = api("patch", url, {"client_goals": "a\x00b", "version": charter.version})
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "client_goals"
    assert charter.versions.count() == 1


def test_versions_compare_and_sign_off(api, charter, users, commitments):
    services.update_charter(charter, {"sections": {"scalability": "We grow with you."}}, users.kam, note="Shorter")
    charter.refresh_from_db()
    versions = api("get", f"/api/v1/charters/{charter.pk}/versions").json()
    assert [(v["number"], v["status"], v["note"]) for v in versions["items"]] == [
        (2, "draft", "Shorter"),
        (1, "draft", "Created from the programme template."),
    ]
    version = api("get", f"/api/v1/charters/{charter.pk}/versions/2").json()
    assert {s["key"]: s["body"] for s in version["content"]["sections"]}["scalability"] == "We grow with you."
    assert version["content"]["commitments"][0] == {
        "responsibility": "Response to client inquiries",
        "commitment": "First response within 1 working day; Mon–Fri 09:00–17:00, Europe/Berlin",
    }
    assert [c["responsibility"] for c in version["content"]["commitments"]] == [r for r, _ in commitments.rows]
    compared = api("get", f"/api/v1/charters/{charter.pk}/compare?from_version=1&to_version=2").json()
    assert compared["changed_sections"] == ["scalability"] and compared["summary"].startswith("1 of 10")
    url = f"/api/v1/charters/{charter.pk}/sign-off"
    future = api("post", url, {"client_signatory_name": "Dana", "signed_on": "2999-01-01", "version": charter.version})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "signed_on"
    assert api("post", url, {"client_signatory_name": "Dana", "signed_on": str(today())}).status_code == 428
    signed = api(
        "post",
        url,
        {
            "client_signatory_name": "Dana",
            "client_signatory_title": "CFO",
            "signed_on": str(today()),
            "version": charter.version,
        },
    )
    assert signed.status_code == 200, signed.content
    assert signed.json()["number"] == 2 and signed.json()["status"] == "signed"
    assert signed.json()["approved_by"] == users.kam.display_name
    charter.refresh_from_db()
    again = api("post", url, {"client_signatory_name": "Eve", "signed_on": str(today()), "version": charter.version})
    assert again.status_code == 422
    detail = api("get", f"/api/v1/charters/{charter.pk}").json()
    assert (
        detail["status"] == "signed"
        and detail["signed"]["number"] == 2
        and detail["signed"]["client_signatory_title"] == "CFO"
    )


def test_exports_return_documents_with_their_file_names(api, charter):
    pdf = api("get", f"/api/v1/charters/{charter.pk}/export.pdf", role="viewer")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == 'attachment; filename="charter-OWN-1-v1.pdf"'
    docx = api("get", f"/api/v1/charters/{charter.pk}/export.docx?version=1", role="viewer")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    assert docx["Content-Disposition"] == 'attachment; filename="charter-OWN-1-v1.docx"'
    assert api("get", f"/api/v1/charters/{charter.pk}/export.pdf?version=7").status_code == 404
    assert api("get", f"/api/v1/charters/{charter.pk}/export.pdf?version=0").status_code == 422


def test_the_template_is_read_by_everyone_and_changed_by_the_leads(api, charter):
    read = api("get", "/api/v1/charter-template", role="viewer")
    assert read.status_code == 200 and len(read.json()["sections"]) == 10
    change = {
        "sections": [{"key": "value", "title": "What you gain", "body": "Plenty."}],
        "version": read.json()["version"],
    }
    assert api("put", "/api/v1/charter-template", change, role="kam").status_code == 403
    assert api("put", "/api/v1/charter-template", {"sections": []}, role="lead").status_code == 428
    done = api("put", "/api/v1/charter-template", change, role="lead")
    assert done.status_code == 200 and done.json()["sections"][5]["title"] == "What you gain"
    stale = api("put", "/api/v1/charter-template", change, role="lead")
    assert stale.status_code == 412
    empty_title = api(
        "put",
        "/api/v1/charter-template",
        {"sections": [{"key": "value", "title": ""}], "version": done.json()["version"]},
        role="lead",
    )
    assert empty_title.status_code == 422
    assert CharterTemplate.current().section("value")["body"] == "Plenty."
    charter.refresh_from_db()
    assert charter.sections[5]["title"] == "Value proposition"


def test_the_list_is_scoped_and_filtered(api, charter, portfolio, users):
    services.create_charter(portfolio.other, users.lead)
    services.sign_off(charter, users.kam, "Dana", today())
    assert [c["account"]["name"] for c in api("get", "/api/v1/charters").json()["items"]] == ["Own Group"]
    everything = api("get", "/api/v1/charters", role="lead").json()
    assert [c["account"]["name"] for c in everything["items"]] == ["Other Group", "Own Group"]
    signed = api("get", "/api/v1/charters?status=signed", role="lead").json()
    assert [c["account"]["name"] for c in signed["items"]] == ["Own Group"]
    assert api("get", "/api/v1/charters?status=bogus", role="lead").status_code == 422
