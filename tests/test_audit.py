"""Every write path leaves exactly one audit record per changed object, with actor, UTC time, before/after
values, the request id and the path it came through."""

import pytest
from django.db import connection
from django.db.models import Max
from django.urls import reverse

from kam.accounts.models import Account
from kam.audit.models import ObjectChange
from tests import factories


def changes_of(account_number):
    account_ids = list(Account.objects.filter(account_number=account_number).values_list("pk", flat=True))
    return ObjectChange.objects.filter(content_type__model="account", object_id__in=account_ids).order_by("id")


def test_page_writes_are_audited(login, users):
    client = login(users.admin)
    response = client.post(
        reverse("accounts:account_add"),
        {"name": "Acme", "account_number": "A-1", "currency": "EUR", "status": "customer"},
    )
    assert response.status_code == 302
    account = Account.objects.get(account_number="A-1")
    created = changes_of("A-1").get()
    assert (created.action, created.source, created.actor, created.before) == ("create", "web", users.admin, None)
    assert created.after["name"] == "Acme" and created.request_id and created.time.tzinfo is not None

    client.post(
        reverse("accounts:account_edit", args=[account.pk]),
        {
            "name": "Acme Europe",
            "account_number": "A-1",
            "currency": "EUR",
            "status": "customer",
            "version": account.version,
        },
    )
    updated = changes_of("A-1").last()
    assert updated.action == "update"
    assert updated.before["name"] == "Acme" and updated.after["name"] == "Acme Europe"
    assert [c[0] for c in updated.changed_fields] == ["name"]

    client.post(reverse("accounts:account_delete", args=[account.pk]))
    deleted = ObjectChange.objects.filter(content_type__model="account", object_id=account.pk).order_by("id").last()
    assert deleted.action == "delete" and deleted.before["name"] == "Acme Europe" and deleted.after is None
    assert ObjectChange.objects.filter(content_type__model="account", object_id=account.pk).count() == 3


def test_api_writes_are_audited_with_the_token_owner(client, users):
    from kam.users.models import ApiToken

    _, raw = ApiToken.issue(users.lead, "test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_X_REQUEST_ID": "req-abcdef123"}
    response = client.post(
        "/api/v1/accounts", {"name": "Beta", "account_number": "B-1"}, content_type="application/json", **auth
    )
    assert response.status_code == 201, response.content
    account_id = response.json()["id"]
    client.patch(
        f"/api/v1/accounts/{account_id}", {"industry": "Retail", "version": 1}, content_type="application/json", **auth
    )
    client.delete(f"/api/v1/accounts/{account_id}", **auth)
    records = list(ObjectChange.objects.filter(content_type__model="account", object_id=account_id).order_by("id"))
    assert [r.action for r in records] == ["create", "update", "delete"]
    assert {r.source for r in records} == {"api"} and {r.actor_id for r in records} == {users.lead.pk}
    assert {r.request_id for r in records} == {"req-abcdef123"}
    assert records[1].before["industry"] == "" and records[1].after["industry"] == "Retail"


def test_import_writes_are_audited(users):
    from kam.accounts.imports import apply_import, start_import

    data = b"account_number,name,currency\nI-1,Imported One,EUR\nI-2,Imported Two,USD\n"
    run = start_import(users.admin, "accounts", "accounts.csv", data)
    assert ObjectChange.objects.filter(content_type__model="account").count() == 0  # the dry run wrote nothing
    apply_import(run)
    records = ObjectChange.objects.filter(content_type__model="account")
    assert records.count() == 2
    assert {(r.source, r.actor_id, r.action) for r in records} == {("import", users.admin.pk, "create")}


def test_admin_writes_are_audited(login, users, portfolio):
    client = login(users.admin)
    account = portfolio.other
    before = ObjectChange.objects.aggregate(last=Max("id"))["last"]
    response = client.post(
        reverse("admin:accounts_account_change", args=[account.pk]),
        {
            "name": "Renamed in admin",
            "legal_name": "",
            "account_number": account.account_number,
            "crm_id": "",
            "industry": "",
            "country": "",
            "region": "",
            "currency": "EUR",
            "status": "customer",
            "owner": "",
        },
    )
    assert response.status_code == 302, response.content[:500]
    record = ObjectChange.objects.exclude(pk__lte=before).filter(content_type__model="account").get()
    assert (record.source, record.actor_id, record.after["name"]) == ("admin", users.admin.pk, "Renamed in admin")


@pytest.mark.django_db(transaction=True)
def test_background_job_writes_are_audited(users):
    """A large import applied by the worker (a real one, with committed transactions) is attributed to the
    person who uploaded it."""
    from django.core.management import call_command

    from kam.accounts.imports import apply_import, start_import

    data = b"month,currency,rate_per_eur\n2026-01,USD,1.1\n2026-02,USD,1.2\n"
    run = start_import(users.lead, "fx", "fx.csv", data, background=True)
    call_command("db_worker", batch=True, queue_name="*", verbosity=0, startup_delay=False, reload=False)
    run.refresh_from_db()
    assert run.status == "preview"
    apply_import(run, background=True)
    call_command("db_worker", batch=True, queue_name="*", verbosity=0, startup_delay=False, reload=False)
    run.refresh_from_db()
    assert run.status == "applied"
    records = ObjectChange.objects.filter(content_type__model="fxrate")
    assert records.count() == 2 and {(r.actor_id, r.source) for r in records} == {(users.lead.pk, "import")}


def test_unchanged_save_writes_no_record(users):
    account = factories.make_account("Stable")
    count = ObjectChange.objects.count()
    account.save()
    assert ObjectChange.objects.count() == count


def test_audit_records_cannot_be_changed_or_deleted(users):
    factories.make_account("Audited")
    record = ObjectChange.objects.first()
    record.object_repr = "tampered"
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        ObjectChange.objects.all().update(object_repr="tampered")
    with pytest.raises(PermissionError):
        ObjectChange.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_database_refuses_audit_tampering_even_in_raw_sql(users):
    from django.db import DatabaseError, transaction

    factories.make_account("Audited")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_objectchange SET object_repr = 'x'")


def test_account_activity_feed_and_history_pages(login, users, portfolio):
    client = login(users.kam)
    page = client.get(reverse("accounts:account", args=[portfolio.own.pk]) + "?tab=activity").content.decode()
    assert "Created" in page and "Own Group" in page
    history = client.get(reverse("accounts:account_history", args=[portfolio.own.pk])).content.decode()
    assert "History of Own Group" in history and "Created" in history
