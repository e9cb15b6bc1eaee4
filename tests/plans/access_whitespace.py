"""The whitespace pages' and API's part of the access matrix (tests/test_access_matrix.py reads `pages()`, `api()`
and `call()`).

Who may do what: everyone reads the matrices of the accounts in their scope and the offerings catalogue; cells and
business units are written by administrators, the programme lead and the key account manager on the account's team
(PLAN_PERMISSIONS); the catalogue by administrators and the programme lead only (the other roles read it)."""

from tests import factories


def matrix_offering():
    """The offering the matrix's cells use, created on first use."""
    from kam.plans.models import Offering

    return Offering.objects.get_or_create(name="Matrix offering")[0]


def unit_of(account, name="Matrix unit"):
    from kam.plans.models import BusinessUnit

    return BusinessUnit.objects.get_or_create(account=account, name=name)[0]


def _account(w, which):
    return w.p.own if which == "own" else w.p.other


def pages() -> dict:
    from tests.test_access_matrix import ALL, LEADS_ONLY, scoped

    read_own, read_other = scoped(200)
    edit_own, edit_other = scoped(200, editors=("admin", "lead", "kam"))

    def account(w, which):
        return {"pk": _account(w, which).pk}

    def cell(w, which):
        target = _account(w, which)
        return {"pk": target.pk, "row": f"a{target.pk}", "offering": matrix_offering().pk}

    def unit(w, which):
        target = _account(w, which)
        return {"pk": target.pk, "unit": unit_of(target).pk}

    def offering(w, which):
        return {"pk": matrix_offering().pk}

    return {
        "plans:whitespace": ("get", account, read_own, read_other),
        "plans:whitespace_cell": ("get", cell, edit_own, edit_other),
        "plans:business_unit_add": ("get", account, edit_own, edit_other),
        "plans:business_unit_edit": ("get", unit, edit_own, edit_other),
        "plans:business_unit_delete": ("get", unit, edit_own, edit_other),
        "plans:offerings": ("get", None, ALL, None),
        "plans:offering_add": ("get", None, LEADS_ONLY, None),
        "plans:offering_edit": ("get", offering, LEADS_ONLY, None),
        "plans:offering_delete": ("get", offering, LEADS_ONLY, None),
        "plans:opportunity_list": ("get", None, ALL, None),
    }


def api() -> dict:
    from tests.test_access_matrix import ALL, LEADS_ONLY, scoped

    read = scoped(200)
    edit = scoped(200, editors=("admin", "lead", "kam"))
    return {
        ("GET", "/api/v1/accounts/{account_id}/whitespace"): read,
        ("PUT", "/api/v1/accounts/{account_id}/whitespace/cells/{row}/{offering_id}"): edit,
        ("GET", "/api/v1/accounts/{account_id}/business-units"): read,
        ("POST", "/api/v1/accounts/{account_id}/business-units"): scoped(201, editors=("admin", "lead", "kam")),
        ("PATCH", "/api/v1/business-units/{unit_id}"): edit,
        ("DELETE", "/api/v1/business-units/{unit_id}"): scoped(204, editors=("admin", "lead", "kam")),
        ("GET", "/api/v1/offerings"): (ALL, None),
        ("POST", "/api/v1/offerings"): ({**LEADS_ONLY, "admin": 201, "lead": 201}, None),
        ("GET", "/api/v1/offerings/{offering_id}"): (ALL, None),
        ("PATCH", "/api/v1/offerings/{offering_id}"): (LEADS_ONLY, None),
        ("DELETE", "/api/v1/offerings/{offering_id}"): ({**LEADS_ONLY, "admin": 204, "lead": 204}, None),
    }


def call(client, method, path, url, world, which, account, headers):
    from kam.plans.models import Offering

    n = next(factories._numbers)
    offering = matrix_offering()
    unit = None
    if "{unit_id}" in path:
        unit = unit_of(account, f"Unit {n}")  # a fresh one each try: deleting consumes it
        url = url.replace("{unit_id}", str(unit.pk))
    if "{offering_id}" in path:
        if method == "DELETE":
            offering = Offering.objects.create(name=f"Doomed offering {n}")
        url = url.replace("{offering_id}", str(offering.pk))
    url = url.replace("{row}", f"a{account.pk}")
    if method == "GET":
        return client.get(url, **headers)
    if method == "DELETE":
        return client.delete(url, **headers)
    if path.endswith("/business-units"):
        body = {"name": f"Unit {n}"}
    elif "{unit_id}" in path:
        body = {"name": f"Renamed unit {n}", "version": unit.version}
    elif "/cells/" in path:
        body = {"status": "potential", "annual_value": "1000.00"}
    elif path == "/api/v1/offerings":
        body = {"name": f"Offering {n}"}
    else:
        body = {"category": f"Category {n}", "version": Offering.objects.get(pk=offering.pk).version}
    return getattr(client, method.lower())(url, body, content_type="application/json", **headers)
