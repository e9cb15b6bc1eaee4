from django.db import models


class CharterStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class VersionStatus(models.TextChoices):
    """A version's place in the charter's life: derived, never stored (kam.charters.models.CharterVersion.status)."""

    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"
    SUPERSEDED = "superseded", "Superseded"


class CollaborationTool(models.TextChoices):
    SLACK = "slack", "Slack"
    MICROSOFT_TEAMS = "microsoft_teams", "Microsoft Teams"
    CLICKUP = "clickup", "ClickUp"
    TRELLO = "trello", "Trello"
    JIRA = "jira", "Jira"
    ASANA = "asana", "Asana"
    ZOOM = "zoom", "Zoom"
    GOOGLE_MEET = "google_meet", "Google Meet"
    EMAIL = "email", "E-mail"
    OTHER = "other", "Other"


class MeetingCadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
