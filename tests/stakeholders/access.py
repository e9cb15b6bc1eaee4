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


def pages() -> dict:
    from tests.test_access_matrix import ALL, scoped

    edit = scoped(200, editors=("admin", "lead", "kam"))
    # A POST without a date answers with the form and its error (200), for those who may.

    def account(w, which):
        return {"account_pk": _account(w, which).pk}

    def contact(w, which):
        return {"pk": contact_of(w, _account(w, which)).pk}

    return {
        "stakeholders:contact_list": ("get", None, ALL, None),
        "stakeholders:contact_add": ("get", account, *edit),
        "stakeholders:contact_edit": ("get", contact, *edit),
        "stakeholders:contact_left": ("get", contact, *edit),
    }


def api() -> dict:
    return {}


def call(client, method, path, url, world, which, account, headers):
    raise AssertionError(f"no API operation here: {method} {path}")
