import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_health_endpoints_answer_without_login(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_account_list_shows_only_the_users_scope(login, users, portfolio):
    client = login(users.kam)
    page = client.get(reverse("accounts:account_list")).content.decode()
    assert "Own Group" in page and "Own Subsidiary" in page
    assert "Other Group" not in page
