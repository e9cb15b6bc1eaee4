"""Sending and reading notifications. Everything that tells a person something goes through `notify`."""

from django.utils import timezone

from kam.notifications.models import Notification


def notify(users, title: str, body: str = "", url: str = "", account=None) -> list[Notification]:
    """One notification per distinct active user, in the caller's transaction (rolled back with it)."""
    sent, seen = [], set()
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        sent.append(
            Notification.objects.create(user=user, title=title[:200], body=body, url=url[:500], account=account)
        )
    return sent


def mark_read(notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save()
    return notification


def mark_all_read(user) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    count = 0
    for notification in unread.iterator():
        mark_read(notification)
        count += 1
    return count


UNREAD_CAP = 100  # the header says "99+" beyond: counting further is work for no information


def unread_count(user, cap: int = UNREAD_CAP) -> int:
    """Unread notifications, counted up to `cap` (every page asks, so the count never scans a long inbox)."""
    return Notification.objects.filter(user=user, read_at__isnull=True)[:cap].count()
