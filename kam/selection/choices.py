from django.db import models


class Criterion(models.TextChoices):
    """Built-in criteria. Every one is a figure of the top-level account's whole subtree (DEFINITIONS §3, §9),
    except the manual ratings, which are the top-level account's own. docs/user-guide/selection.md gives each
    formula."""

    REVENUE_T12M = "revenue_t12m", "T12M revenue (EUR)"
    GROSS_PROFIT_T12M = "gross_profit_t12m", "T12M gross profit (EUR)"
    GROSS_MARGIN = "gross_margin", "Gross margin %"
    GROWTH_YOY = "growth_yoy", "Revenue growth, year over year %"
    GROWTH_CAGR = "growth_cagr", "Revenue growth, 2-year CAGR %"
    WALLET = "wallet", "Wallet size (EUR)"
    SHARE_OF_WALLET = "share_of_wallet", "Share of wallet %"
    WALLET_HEADROOM = "wallet_headroom", "Share-of-wallet headroom (100 − share of wallet)"
    POTENTIAL_OPERATING_PROFIT = "potential_operating_profit", "Potential operating profit (EUR)"
    PRODUCT_LINES = "product_lines", "Breadth: product lines bought (T12M)"
    COUNTRIES = "countries", "Breadth: countries in the hierarchy"
    SUBSIDIARIES = "subsidiaries", "Breadth: subsidiaries in the hierarchy"
    MARKET_LEADER = "market_leader", "Rated: market leader"
    INNOVATION_PARTNER = "innovation_partner", "Rated: innovation partner"
    REFERENCE_VALUE = "reference_value", "Rated: reference value"
    COMPLEXITY = "complexity", "Rated: complexity"


class RatedAttribute(models.TextChoices):
    """Attributes people rate (1–5) because no data holds them: strategic importance and complexity."""

    MARKET_LEADER = "market_leader", "Market leader"
    INNOVATION_PARTNER = "innovation_partner", "Innovation partner"
    REFERENCE_VALUE = "reference_value", "Reference value"
    COMPLEXITY = "complexity", "Complexity"


MANUAL_CRITERIA = frozenset(RatedAttribute.values)


class Normalisation(models.TextChoices):
    MIN_MAX = "min_max", "Min–max"
    PERCENTILE = "percentile", "Percentile rank"
    BANDS = "bands", "Banded thresholds"


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher", "Higher is better"
    LOWER_IS_BETTER = "lower", "Lower is better"


class PopBasis(models.TextChoices):
    HEADROOM = "headroom", "Headroom: (wallet − T12M revenue) × margin (DEFINITIONS §9)"
    FULL_WALLET = "full_wallet", "Whole wallet: wallet × margin (§9.1)"


class Segment(models.TextChoices):
    STRATEGIC = "strategic", "Strategic"
    DEVELOP = "develop", "Develop"
    MAINTAIN = "maintain", "Maintain"
    SERVE_EFFICIENTLY = "serve_efficiently", "Serve efficiently"
    UNCLASSIFIED = "unclassified", "Unclassified"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class DesignationKind(models.TextChoices):
    DESIGNATE = "designate", "Make a key account"
    DE_DESIGNATE = "de_designate", "Remove as key account"


class DesignationStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
