from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    PROGRAMME_LEAD = "programme_lead", "Programme lead"
    KEY_ACCOUNT_MANAGER = "key_account_manager", "Key account manager"
    EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
    VIEWER = "viewer", "Viewer"
