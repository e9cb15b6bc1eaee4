from django.apps import AppConfig


class ServiceLevelsConfig(AppConfig):
    name = "kam.servicelevels"
    label = "servicelevels"
    verbose_name = "Service levels and client requests"
