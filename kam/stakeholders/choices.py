from django.db import models


class BuyingRole(models.TextChoices):
    ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
    DECISION_MAKER = "decision_maker", "Decision maker"
    TECHNICAL_BUYER = "technical_buyer", "Technical buyer"
    USER = "user", "User"
    INFLUENCER = "influencer", "Influencer"
    GATEKEEPER = "gatekeeper", "Gatekeeper"
    COACH = "coach", "Coach"


class Attitude(models.TextChoices):
    CHAMPION = "champion", "Champion"
    SUPPORTER = "supporter", "Supporter"
    NEUTRAL = "neutral", "Neutral"
    SCEPTIC = "sceptic", "Sceptic"
    BLOCKER = "blocker", "Blocker"


class Influence(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Level(models.TextChoices):
    """How senior a person is (and at which level an interaction takes place)."""

    OPERATIONAL = "operational", "Operational"
    MANAGEMENT = "management", "Management"
    EXECUTIVE = "executive", "Executive"


class Strength(models.IntegerChoices):
    """How strong our relationship with a person is (now, and where we want it)."""

    NONE = 0, "None"
    AWARE = 1, "Aware of us"
    ACQUAINTED = 2, "Acquainted"
    TRUSTED = 3, "Trusted"
    ADVISOR = 4, "Trusted advisor"


class InteractionKind(models.TextChoices):
    MEETING = "meeting", "Meeting"
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    VISIT = "visit", "Visit"
    EVENT = "event", "Event"
    REVIEW = "review", "Review"


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class CoverageRuleKind(models.TextChoices):
    """What a coverage rule asks of an account's current (not departed) contacts."""

    HAS_ATTITUDE = "has_attitude", "At least one contact with this attitude"
    ROLE_OWNED = "role_owned", "Every contact in this buying role has a relationship owner"
    ROLE_COVERED_BY = "role_covered_by", "A contact in this buying role owned by this team role, at least this strong"
