from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "kam.stakeholders"
    verbose_name = "Stakeholders"
