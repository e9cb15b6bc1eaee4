"""A person's notifications over REST: list (newest first, optionally unread only), mark one or all read."""

import datetime as dt

from ninja import Router, Schema
from ninja.pagination import paginate

from kam.accounts.api import Pagination
from kam.core.api import ERRORS, WRITE_ERRORS, get_restricted, restricted
from kam.core.permissions import CHANGE, VIEW
from kam.notifications import services
from kam.notifications.models import Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    url: str
    account_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationReadAllOut(Schema):
    marked_read: int


@router.get("/notifications", response={200: list[NotificationOut], **ERRORS})
@paginate(Pagination)
def list_notifications(request, unread: bool = False):
    """The signed-in person's notifications, newest first (nobody sees another person's, whatever the role)."""
    notifications = restricted(request, Notification, VIEW).order_by("-created_at", "-pk")
    return notifications.filter(read_at__isnull=True) if unread else notifications


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **WRITE_ERRORS})
def read_notification(request, notification_id: int):
    return services.mark_read(get_restricted(request, Notification, CHANGE, notification_id))


@router.post("/notifications/read-all", response={200: NotificationReadAllOut, **WRITE_ERRORS})
def read_all_notifications(request):
    restricted(request, Notification, CHANGE)
    return {"marked_read": services.mark_all_read(request.user)}
