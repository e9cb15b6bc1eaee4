from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kam.core"
    label = "core"
