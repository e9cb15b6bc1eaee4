from django.db import models


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"


# Versions whose content is frozen: their child rows and text sections cannot change any more.
FROZEN_STATUSES = frozenset({VersionStatus.APPROVED, VersionStatus.SUPERSEDED})


class ObjectiveSide(models.TextChoices):
    CLIENT = "client", "The client's goal"
    OURS = "ours", "Our goal"


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class KPISource(models.TextChoices):
    ENTERED = "entered", "Entered"
    COMPUTED = "computed", "Computed from the portfolio data"


class ComputedMetric(models.TextChoices):
    REVENUE_T12M = "revenue_t12m", "Revenue, trailing 12 months (EUR)"
    GROSS_PROFIT_T12M = "gross_profit_t12m", "Gross profit, trailing 12 months (EUR)"
    SHARE_OF_WALLET = "share_of_wallet", "Share of wallet (%)"
    GROWTH_YOY = "growth_yoy", "Growth vs prior 12 months (%)"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_ACTION_STATUSES = frozenset({ActionStatus.OPEN, ActionStatus.IN_PROGRESS})


class RiskCategory(models.TextChoices):
    FINANCIAL = "financial", "Financial"
    REPUTATIONAL = "reputational", "Reputational"
    OPERATIONAL = "operational", "Operational"
    RELATIONSHIP = "relationship", "Relationship"
    COMPETITIVE = "competitive", "Competitive"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATED = "mitigated", "Mitigated"
    CLOSED = "closed", "Closed"


class OpportunityKind(models.TextChoices):
    UPSELL = "upsell", "Upsell"
    CROSS_SELL = "cross_sell", "Cross-sell"
    NEW_BUSINESS = "new_business", "New business"
    RENEWAL = "renewal", "Renewal"


class OpportunityStage(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    QUALIFIED = "qualified", "Qualified"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


CLOSED_STAGES = frozenset({OpportunityStage.WON, OpportunityStage.LOST})


class CellStatus(models.TextChoices):
    NONE = "none", "None"
    POTENTIAL = "potential", "Potential"
    PIPELINE = "pipeline", "In pipeline"
    WON = "won", "Won"
    COMPETITOR = "competitor", "Competitor-held"


class TCOCostKind(models.TextChoices):
    ANNUAL = "annual", "Annual"
    ONE_OFF = "one_off", "One-off"
