from django.apps import AppConfig


class ChartersConfig(AppConfig):
    name = "kam.charters"
    label = "charters"
    verbose_name = "Charters"
