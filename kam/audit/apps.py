from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kam.audit"
    label = "audit"
