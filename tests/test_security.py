import time

import pytest
from django.test import Client
from django.urls import reverse

from kam.accounts.models import Account
from tests import factories


def test_security_headers_on_every_response(client, login, users):
    for response in (client.get(reverse("login")), login(users.admin).get(reverse("accounts:account_list"))):
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert len(response["X-Request-ID"]) >= 8


def test_csrf_is_required_to_sign_in(users):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": users.admin.email, "password": factories.PASSWORD})
    assert response.status_code == 403


def test_sign_in_rotates_the_session_and_sign_out_ends_it(client, users):
    client.get(reverse("login"))
    client.session.save()
    before = client.cookies.get("sessionid").value if client.cookies.get("sessionid") else None
    response = client.post(reverse("login"), {"username": users.kam.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after and after != before
    client.post(reverse("logout"))
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=after).exists()
    assert client.get(reverse("home")).status_code == 302


def test_login_is_throttled_after_repeated_failures(client, users):
    for _ in range(5):
        client.post(reverse("login"), {"username": users.kam.email, "password": "wrong-password"})
    response = client.post(reverse("login"), {"username": users.kam.email, "password": factories.PASSWORD})
    assert response.status_code in (403, 429)
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_absolute_session_timeout(client, users, settings):
    client.post(reverse("login"), {"username": users.kam.email, "password": factories.PASSWORD})
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session["kam_started_at"] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    assert client.get(reverse("home")).status_code == 302


def test_passwords_are_hashed_with_argon2():
    from django.conf import settings as dj_settings

    from kam import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert dj_settings.AUTH_USER_MODEL == "users.User"


def test_user_text_is_escaped_everywhere(login, users):
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    account = factories.make_account(hostile, account_number="X-1")
    client = login(users.admin)
    for url in (
        reverse("accounts:account_list"),
        reverse("accounts:account", args=[account.pk]),
        reverse("accounts:account", args=[account.pk]) + "?tab=activity",
        reverse("accounts:account_history", args=[account.pk]),
        reverse("audit:change_list"),
    ):
        page = client.get(url).content.decode()
        assert "<script>alert(1)" not in page and "onerror=alert(2)>" not in page, url
        assert "&lt;script&gt;" in page, url


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_exports_neutralise_spreadsheet_formulas(login, users, export):
    import io

    for n, name in enumerate(['=HYPERLINK("http://x")', "+cmd|calc", "-2+3", "@SUM(A1)", "\tTabbed", "-"]):
        factories.make_account(name, account_number=f"F-{n}")
    response = login(users.admin).get(reverse("accounts:account_list") + f"?export={export}")
    if export == "csv":
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        cells = [c for line in text.splitlines()[1:] for c in line.split(",")]
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content)).active
        cells = [str(c.value) for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None]
    names = [c for c in cells if "HYPERLINK" in c or "cmd" in c or "SUM" in c or "Tabbed" in c or c.startswith("'-2")]
    assert names and all(c.lstrip('"').startswith("'") for c in names), names
    assert "-" in cells  # a lone dash is harmless and kept


def test_server_errors_show_the_request_id_not_a_traceback(users, settings, monkeypatch):
    from kam.accounts import views

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.AccountListView, "get_context_data", boom)
    client = Client(raise_request_exception=False)
    client.force_login(users.admin)
    response = client.get(reverse("accounts:account_list"), HTTP_X_REQUEST_ID="trace-12345678")
    assert response.status_code == 500
    body = response.content.decode()
    assert "trace-12345678" in body and "secret internals" not in body and "Traceback" not in body


def test_out_of_scope_objects_look_the_same_as_missing_ones(login, users, portfolio):
    client = login(users.kam)
    hidden = client.get(reverse("accounts:account", args=[portfolio.other.pk]))
    missing = client.get(reverse("accounts:account", args=[999999]))
    assert hidden.status_code == missing.status_code == 404
    main = [r.content.decode().split('<main id="main">')[1] for r in (hidden, missing)]
    assert main[0] == main[1]


def test_autocomplete_only_offers_visible_accounts(login, users, portfolio):
    results = login(users.kam).get(reverse("accounts:account_autocomplete") + "?q=Group").json()["results"]
    assert [r["text"] for r in results] == ["Own Group (OWN-1)"]


def test_edit_form_only_offers_visible_parents(login, users, portfolio):
    page = login(users.kam).get(reverse("accounts:account_edit", args=[portfolio.own_child.pk])).content.decode()
    assert "Own Group" in page and "Other Group" not in page


def test_kam_cannot_move_an_account_out_of_their_scope(login, users, portfolio):
    client = login(users.kam)
    account = portfolio.own_child
    response = client.post(
        reverse("accounts:account_edit", args=[account.pk]),
        {
            "name": account.name,
            "account_number": account.account_number,
            "currency": "EUR",
            "status": "customer",
            "parent": portfolio.other.pk,
            "version": account.version,
        },
    )
    assert response.status_code == 200  # the form refuses the invisible parent
    assert Account.objects.get(pk=account.pk).parent_id == portfolio.own.pk


def test_hierarchy_cycles_are_refused(login, users, portfolio):
    client = login(users.admin)
    group = portfolio.own
    response = client.post(
        reverse("accounts:account_edit", args=[group.pk]),
        {
            "name": group.name,
            "account_number": group.account_number,
            "currency": "EUR",
            "status": "customer",
            "parent": portfolio.own_child.pk,
            "version": group.version,
        },
    )
    assert response.status_code == 200
    assert Account.objects.get(pk=group.pk).parent_id is None


def test_production_settings_pass_the_deploy_check(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("KAM_")}
    env.update(
        KAM_SECRET_KEY="x" * 60 + "production-like-key-with-enough-entropy-0123456789",
        KAM_ALLOWED_HOSTS="kam.example.com",
        KAM_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        DJANGO_SETTINGS_MODULE="kam.settings",
        KAM_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-m", "kam.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_xlsx_export_survives_control_characters(login, users):
    import io

    from openpyxl import load_workbook

    factories.make_account("Bell\x07 and \x1b escape", account_number="CTRL-1")
    response = login(users.admin).get(reverse("accounts:account_list") + "?export=xlsx")
    assert response.status_code == 200
    names = [row[0].value for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2)]
    assert names == ["Bell\ufffd and \ufffd escape"]


def test_export_follows_the_filters_and_sorting_of_the_list(login, users, portfolio):
    response = login(users.kam).get(reverse("accounts:account_list") + "?export=csv&sort=-name&q=own")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Name,Account number,Status,Key,Parent")
    assert [line.split(",")[:5] for line in lines[1:]] == [
        ["Own Subsidiary", "OWN-1-1", "Customer", "No", "Own Group"],
        ["Own Group", "OWN-1", "Customer", "No", ""],
    ]


def test_no_template_uses_inline_styles():
    """The CSP allows styles from our own stylesheet only ('self'): an inline style="…" is refused by the browser."""
    from pathlib import Path

    offenders = [
        str(path)
        for path in Path("kam/templates").rglob("*.html")
        if 'style="' in path.read_text(encoding="utf-8") or "<style" in path.read_text(encoding="utf-8")
    ]
    assert not offenders
