"""The inbox: personal for every role, marked read when followed, counted in the header."""

from kam.notifications.models import Notification
from kam.notifications.services import notify
from tests import factories


def test_notify_skips_duplicates_and_inactive_people(users):
    gone = factories.make_user(is_active=False)
    sent = notify([users.kam, users.kam, gone, None], "Escalation", url="/accounts/")
    assert [n.user for n in sent] == [users.kam]


def test_inbox_is_personal_even_for_administrators(users, login):
    mine = notify([users.admin], "For the admin")[0]
    theirs = notify([users.kam], "For the KAM only")[0]
    client = login(users.admin)
    page = client.get("/notifications/").content.decode()
    assert "For the admin" in page and "For the KAM only" not in page
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    response = client.get("/api/v1/notifications")
    assert [item["id"] for item in response.json()["items"]] == [mine.pk]


def test_following_a_notification_marks_it_read_and_goes_there(users, login):
    notification = notify([users.kam], "Escalation: R-000001", url="/accounts/")[0]
    client = login(users.kam)
    assert 'aria-label="1 unread"' in client.get("/").content.decode()
    response = client.post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert 'aria-label="1 unread"' not in client.get("/").content.decode()


def test_an_outside_url_is_not_followed(users, login):
    notification = notify([users.kam], "Odd", url="https://evil.example/")[0]
    response = login(users.kam).post(f"/notifications/{notification.pk}/open/")
    assert response["Location"] == "/notifications/"


def test_read_all_over_the_api(users, client):
    from kam.users.models import ApiToken

    notify([users.viewer], "One")
    notify([users.viewer], "Two")
    notify([users.kam], "Not the viewer's")
    token = ApiToken.issue(users.viewer, "t")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/notifications?unread=true", **headers).json()["count"] == 2
    assert client.post("/api/v1/notifications/read-all", **headers).json() == {"marked_read": 2}
    assert Notification.objects.filter(user=users.kam, read_at__isnull=True).count() == 1
