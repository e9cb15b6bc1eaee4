from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kam.notifications"
    label = "notifications"
    verbose_name = "Notifications"
