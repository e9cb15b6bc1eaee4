from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "kam.teams"
    label = "teams"
    verbose_name = "Account teams"
