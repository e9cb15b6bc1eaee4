"""The charters' part of the access matrix (tests/test_access_matrix.py reads `pages()`, `api()` and `call()`).

Who may do what: everyone reads the programme template and the charters in their scope; the programme lead and
administrators change the template; an account's charter is created and edited by those who may change the account
(administrators, the programme lead, the key account manager on its team); sign-off by the programme lead,
administrators or the account's own key account manager."""

from django.utils import timezone

from tests import factories


def charter_of(world, account):
    """The account's charter, created (by the programme lead) on first use."""
    from kam.charters import services
    from kam.charters.models import Charter

    charter = Charter.objects.filter(account=account).first()
    return charter or services.create_charter(account, world.users.lead)


def _account(w, which):
    return w.p.own if which == "own" else w.p.other


def pages() -> dict:
    from tests.test_access_matrix import ALL, LEADS_ONLY, scoped

    read_own, read_other = scoped(200)
    edit_own, edit_other = scoped(200, editors=("admin", "lead", "kam"))
    create_own, create_other = scoped(302, editors=("admin", "lead", "kam"))

    def account(w, which):
        return {"pk": _account(w, which).pk}

    def charter(w, which):
        return {"pk": charter_of(w, _account(w, which)).pk}

    def version(w, which):
        return {"pk": charter_of(w, _account(w, which)).pk, "number": 1}

    return {
        "charters:charter_list": ("get", None, ALL, None),
        "charters:template": ("get", None, ALL, None),
        "charters:template_edit": ("get", None, LEADS_ONLY, None),
        # A POST creates the charter (or, when it exists, says so): either way back to the account's Charter tab.
        "charters:create": ("post", account, create_own, create_other),
        "charters:edit": ("get", charter, edit_own, edit_other),
        "charters:sign_off": ("get", charter, edit_own, edit_other),  # the KAM is the own account's manager
        "charters:version": ("get", version, read_own, read_other),
        "charters:compare": ("get", charter, read_own, read_other),
        "charters:export_docx": ("get", charter, read_own, read_other),
        "charters:export_pdf": ("get", charter, read_own, read_other),
    }


def api() -> dict:
    from tests.test_access_matrix import ALL, LEADS_ONLY, scoped

    read = scoped(200)
    edit = scoped(200, editors=("admin", "lead", "kam"))
    return {
        ("GET", "/api/v1/charter-template"): (ALL, None),
        ("PUT", "/api/v1/charter-template"): (LEADS_ONLY, None),
        ("GET", "/api/v1/charters"): (ALL, None),
        ("GET", "/api/v1/accounts/{account_id}/charter"): read,
        ("POST", "/api/v1/accounts/{account_id}/charter"): scoped(201, editors=("admin", "lead", "kam")),
        ("GET", "/api/v1/charters/{charter_id}"): read,
        ("PATCH", "/api/v1/charters/{charter_id}"): edit,
        ("GET", "/api/v1/charters/{charter_id}/versions"): read,
        ("GET", "/api/v1/charters/{charter_id}/versions/{number}"): read,
        ("GET", "/api/v1/charters/{charter_id}/compare"): read,
        ("POST", "/api/v1/charters/{charter_id}/sign-off"): edit,
        ("GET", "/api/v1/charters/{charter_id}/export.docx"): read,
        ("GET", "/api/v1/charters/{charter_id}/export.pdf"): read,
    }


def call(client, method, path, url, world, which, account, headers):
    from kam.charters import services
    from kam.charters.models import Charter, CharterTemplate

    n = next(factories._numbers)
    if path == "/api/v1/accounts/{account_id}/charter" and method == "POST":
        Charter.objects.filter(account=account).delete()  # each try creates the charter anew
        return client.post(url, {}, content_type="application/json", **headers)
    charter = charter_of(world, account)
    url = url.replace("{charter_id}", str(charter.pk)).replace("{number}", "1")
    if method == "GET":
        return client.get(url, **headers)
    if path == "/api/v1/charter-template":
        body = {"sections": [{"key": "value", "body": f"Edited {n}"}], "version": CharterTemplate.current().version}
    elif path.endswith("/sign-off"):
        if charter.status == "signed":  # the newest version must be unsigned: a new draft to sign
            charter = services.update_charter(charter, {"client_goals": f"Goal {n}"}, world.users.lead)
        today = timezone.localdate()  # version 1 was written today: it cannot have been signed before
        body = {"client_signatory_name": "Client Signatory", "signed_on": today.isoformat(), "version": charter.version}
    else:
        body = {"client_goals": f"Goal {n}", "version": charter.version}
    return getattr(client, method.lower())(url, body, content_type="application/json", **headers)
