"""The stakeholders' part of the access matrix (tests/test_access_matrix.py reads `pages()`, `api()` and `call()`).

Who may do what: everyone reads the contacts in their scope; administrators, the programme lead and the key account
manager on the account's team add and change them and record departures; executive sponsors and viewers read."""


def _account(w, which):
    return w.p.own if which == "own" else w.p.other


def contact_of(world, account, name="Matrix"):
    from kam.stakeholders import services
    from kam.stakeholders.models import Contact

    contact = Contact.objects.filter(account=account, last_name=name, left_on__isnull=True).first()
    return contact or services.save_contact(account, {"last_name": name}, world.users.lead)


def coverage_rule_of(world=None):
    from kam.stakeholders.models import CoverageRule

    return CoverageRule.objects.order_by("pk").first()


def cadence_rule_of(world=None):
    from kam.stakeholders.models import CadenceRule

    return CadenceRule.objects.order_by("pk").first()


def free_cadence_key() -> dict:
    """A (segment, buying role) without a cadence rule yet: each POST adds a new one."""
    from kam.selection.choices import Segment
    from kam.stakeholders.choices import BuyingRole
    from kam.stakeholders.models import CadenceRule

    taken = set(CadenceRule.objects.values_list("segment", "buying_role"))
    for segment in Segment.values:
        for role in ["", *BuyingRole.values]:
            if (segment, role) not in taken:
                return {"segment": segment, "buying_role": role}
    raise AssertionError("every (segment, buying role) has a cadence rule")


def pages() -> dict:
    from tests.test_access_matrix import ALL, LEADS_ONLY, scoped

    def coverage_rule(w, which):
        return {"pk": coverage_rule_of(w).pk}

    def cadence_rule(w, which):
        return {"pk": cadence_rule_of(w).pk}

    edit = scoped(200, editors=("admin", "lead", "kam"))
    # A POST without a date answers with the form and its error (200), for those who may.

    def account(w, which):
        return {"account_pk": _account(w, which).pk}

    def contact(w, which):
        return {"pk": contact_of(w, _account(w, which)).pk}

    def interaction(w, which):
        from kam.stakeholders.interactions import log_interaction

        account = _account(w, which)
        data = {"subject": "Matrix meeting", "occurred_on": "2026-01-05", "next_steps": "Send the offer"}
        return {
            "pk": log_interaction(account, data, w.users.lead, contacts=[contact_of(w, account)], participants=[]).pk
        }

    # Sponsors log interactions too (they meet the client's executives); viewers read.
    log = scoped(200, editors=("admin", "lead", "kam", "sponsor"))
    # Turning a next step into a plan action: back to the tab with what happened (no plan here: a message).
    plan_action = scoped(302, editors=("admin", "lead", "kam"))

    return {
        "stakeholders:interaction_add": ("get", account, *log),
        "stakeholders:interaction_edit": ("get", interaction, *log),
        "stakeholders:next_step": ("post", interaction, *plan_action),
        "stakeholders:contact_list": ("get", None, ALL, None),
        "stakeholders:overdue": ("get", None, ALL, None),
        "stakeholders:contact_add": ("get", account, *edit),
        "stakeholders:contact_edit": ("get", contact, *edit),
        "stakeholders:contact_left": ("get", contact, *edit),
        "stakeholders:contact_vcard": ("get", contact, *scoped(200)),
        "stakeholders:coverage_matrix": ("get", lambda w, which: {"pk": _account(w, which).pk}, *scoped(200)),
        # The programme's rules: everyone reads them; the programme lead and administrators change them.
        "stakeholders:coverage_rules": ("get", None, ALL, None),
        "stakeholders:coverage_rule_add": ("get", None, LEADS_ONLY, None),
        "stakeholders:coverage_rule_edit": ("get", coverage_rule, LEADS_ONLY, None),
        "stakeholders:coverage_rule_delete": ("get", coverage_rule, LEADS_ONLY, None),
        "stakeholders:cadence_rules": ("get", None, ALL, None),
        "stakeholders:cadence_rule_add": ("get", None, LEADS_ONLY, None),
        "stakeholders:cadence_rule_edit": ("get", cadence_rule, LEADS_ONLY, None),
        "stakeholders:cadence_rule_delete": ("get", cadence_rule, LEADS_ONLY, None),
    }


def api() -> dict:
    from tests.test_access_matrix import ALL, LEADS_ONLY, scoped

    read = scoped(200)
    edit = scoped(200, editors=("admin", "lead", "kam"))
    create = scoped(201, editors=("admin", "lead", "kam"))
    return {
        ("GET", "/api/v1/contacts"): (ALL, None),
        ("POST", "/api/v1/accounts/{account_id}/contacts"): create,
        ("GET", "/api/v1/contacts/{contact_id}"): read,
        ("PATCH", "/api/v1/contacts/{contact_id}"): edit,
        ("POST", "/api/v1/contacts/{contact_id}/left"): edit,
        ("GET", "/api/v1/accounts/{account_id}/org-map"): read,
        ("GET", "/api/v1/accounts/{account_id}/interactions"): read,
        ("POST", "/api/v1/accounts/{account_id}/interactions"): scoped(
            201, editors=("admin", "lead", "kam", "sponsor")
        ),
        ("GET", "/api/v1/contacts/{contact_id}/interactions"): read,
        ("GET", "/api/v1/interactions/{interaction_id}"): read,
        ("PATCH", "/api/v1/interactions/{interaction_id}"): scoped(200, editors=("admin", "lead", "kam", "sponsor")),
        ("DELETE", "/api/v1/interactions/{interaction_id}"): scoped(204, editors=("admin", "lead", "kam", "sponsor")),
        # The own account has a draft plan (made here): the action is added; another team's does not exist for them.
        ("POST", "/api/v1/interactions/{interaction_id}/next-step"): create,
        # The programme's rules: everyone reads; the programme lead and administrators write. No team scope.
        ("GET", "/api/v1/coverage-rules"): (ALL, None),
        ("POST", "/api/v1/coverage-rules"): ({**LEADS_ONLY, "admin": 201, "lead": 201}, None),
        ("GET", "/api/v1/coverage-rules/{rule_id}"): (ALL, None),
        ("PATCH", "/api/v1/coverage-rules/{rule_id}"): (LEADS_ONLY, None),
        ("DELETE", "/api/v1/coverage-rules/{rule_id}"): ({**LEADS_ONLY, "admin": 204, "lead": 204}, None),
        ("GET", "/api/v1/cadence-rules"): (ALL, None),
        ("POST", "/api/v1/cadence-rules"): ({**LEADS_ONLY, "admin": 201, "lead": 201}, None),
        ("GET", "/api/v1/cadence-rules/{rule_id}"): (ALL, None),
        ("PATCH", "/api/v1/cadence-rules/{rule_id}"): (LEADS_ONLY, None),
        ("DELETE", "/api/v1/cadence-rules/{rule_id}"): ({**LEADS_ONLY, "admin": 204, "lead": 204}, None),
        # Coverage follows the account: another team's account does not exist for team roles.
        ("GET", "/api/v1/accounts/{account_id}/coverage"): read,
        ("GET", "/api/v1/accounts/{account_id}/coverage-matrix"): read,
        ("GET", "/api/v1/contacts/overdue"): (ALL, None),
    }


def call(client, method, path, url, world, which, account, headers):
    from django.utils import timezone

    from tests import factories

    n = next(factories._numbers)
    if "-rules" in path:
        return _call_rules(client, method, path, url, headers, n)
    if "{interaction_id}" in path or path.endswith("/interactions"):
        return _call_interactions(client, method, path, url, world, account, headers, n)
    if path == "/api/v1/accounts/{account_id}/contacts":
        return client.post(url, {"last_name": f"Person {n}"}, content_type="application/json", **headers)
    if method == "GET":
        return client.get(url.replace("{contact_id}", str(contact_of(world, account).pk)), **headers)
    if path.endswith("/left"):
        contact = contact_of(world, account, name=f"Leaver {n}")  # each try a new person
        url = url.replace("{contact_id}", str(contact.pk))
        body = {"left_on": timezone.localdate().isoformat(), "version": contact.version}
        return client.post(url, body, content_type="application/json", **headers)
    contact = contact_of(world, account)
    url = url.replace("{contact_id}", str(contact.pk))
    return client.patch(url, {"title": f"Title {n}", "version": contact.version}, content_type="application/json",
                        **headers)  # fmt: skip


def _call_interactions(client, method, path, url, world, account, headers, n):
    from kam.stakeholders.interactions import log_interaction

    contact = contact_of(world, account)
    url = url.replace("{contact_id}", str(contact.pk))
    if method == "POST" and path.endswith("/interactions"):
        body = {"subject": f"Call {n}", "occurred_on": "2026-02-01", "contact_ids": [contact.pk]}
        return client.post(url, body, content_type="application/json", **headers)
    if method == "GET" and "{interaction_id}" not in path:
        return client.get(url, **headers)
    data = {"subject": f"Meeting {n}", "occurred_on": "2026-01-05", "next_steps": "Send the offer"}
    interaction = log_interaction(account, data, world.users.lead, contacts=[contact], participants=[])
    url = url.replace("{interaction_id}", str(interaction.pk))
    if method == "GET":
        return client.get(url, **headers)
    if method == "DELETE":
        return client.delete(url, **headers)
    if path.endswith("/next-step"):
        from tests.plans.access import plan_of

        plan_of(world, account)  # a draft plan to add the action to
        return client.post(url, {"text": "Send the offer"}, content_type="application/json", **headers)
    body = {"subject": f"Renamed {n}", "version": interaction.version}
    return client.patch(url, body, content_type="application/json", **headers)


def _call_rules(client, method, path, url, headers, n):
    """A coverage or cadence rule operation; a fresh rule for each DELETE, a free (segment, role) for each POST."""
    from kam.stakeholders import rules

    coverage = "/coverage-rules" in path
    if method == "POST":
        body = (
            {"name": f"Matrix rule {n}", "kind": "has_attitude", "attitude": "supporter"}
            if coverage
            else {**free_cadence_key(), "days": 45}
        )
        return client.post(url, body, content_type="application/json", **headers)
    if "{rule_id}" not in path:
        return client.get(url, **headers)
    if method == "DELETE":
        rule = (
            rules.save_coverage_rule({"name": f"Doomed {n}", "kind": "role_owned"}, None)
            if coverage
            else rules.save_cadence_rule({**free_cadence_key(), "days": 60}, None)
        )
    else:
        rule = coverage_rule_of() if coverage else cadence_rule_of()
    url = url.replace("{rule_id}", str(rule.pk))
    if method == "GET":
        return client.get(url, **headers)
    if method == "DELETE":
        return client.delete(url, **headers)
    body = {"is_active": True, "version": rule.version}
    return client.patch(url, body, content_type="application/json", **headers)
