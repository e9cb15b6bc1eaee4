"""Selection and segmentation: scoring models, their runs and ranked results, people's ratings of accounts,
and the designation of key accounts (DEFINITIONS §7 and §9; docs/user-guide/selection.md)."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property

from kam.accounts.models import Account, AccountScopedModel
from kam.core.models import KamModel
from kam.core.permissions import RestrictedQuerySet
from kam.core.roles import Role
from kam.selection.choices import (
    DesignationKind,
    DesignationStatus,
    PopBasis,
    RatedAttribute,
    RunStatus,
    Segment,
)

# The workbench ranks the whole customer base: it is for the programme lead and administrators only.
LEAD_ONLY = {
    Role.KEY_ACCOUNT_MANAGER: frozenset(),
    Role.EXECUTIVE_SPONSOR: frozenset(),
    Role.VIEWER: frozenset(),
}

HUNDRED, SIX = Decimal(100), Decimal("0.000001")
FIGURE = {"max_digits": 32, "decimal_places": 9, "null": True, "blank": True}


def default_quadrant_names():
    return {
        Segment.STRATEGIC: Segment.STRATEGIC.label,
        Segment.DEVELOP: Segment.DEVELOP.label,
        Segment.MAINTAIN: Segment.MAINTAIN.label,
        Segment.SERVE_EFFICIENTLY: Segment.SERVE_EFFICIENTLY.label,
    }


class ScoringModel(KamModel):
    """A named set of weighted criteria and the segmentation settings. Every change makes a new version (the
    audit trail keeps each one); a run copies the version it used, so editing never changes an earlier run."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    criteria = models.JSONField(
        default=list,
        help_text="[{criterion, weight, normalisation, direction, bands}] — see docs/user-guide/selection.md.",
    )
    as_of = models.DateField(
        null=True, blank=True, help_text="As-of month (first day). Blank: the latest month in the facts."
    )
    pop_basis = models.CharField(
        "potential operating profit basis", max_length=16, choices=PopBasis.choices, default=PopBasis.HEADROOM
    )
    pop_threshold = models.DecimalField(
        "POP threshold (EUR)",
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="High potential operating profit starts here. Blank: the median of the classified accounts.",
    )
    wallet_threshold = models.DecimalField(
        "wallet threshold (EUR)",
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="A high wallet starts here. Blank: the median of the classified accounts.",
    )
    quadrant_names = models.JSONField(default=default_quadrant_names, blank=True)

    permission_actions = LEAD_ONLY

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("selection:model", args=[self.pk])

    @classmethod
    def scope_filter(cls, user):
        return Q(pk__in=[])

    def quadrant_name(self, segment: str) -> str:
        return (self.quadrant_names or {}).get(segment) or Segment(segment).label


class SelectionRun(KamModel):
    """One run of a scoring model over every top-level account, kept as it was computed."""

    scoring_model = models.ForeignKey(ScoringModel, null=True, on_delete=models.SET_NULL, related_name="runs")
    model_name = models.CharField(max_length=100)
    model_version = models.PositiveIntegerField()
    config = models.JSONField(help_text="The model's criteria and settings as this run used them.")
    as_of = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True, help_text="Why the run failed.")
    warnings = models.JSONField(default=list, blank=True)
    population = models.PositiveIntegerField(default=0)
    classified = models.PositiveIntegerField(default=0)
    pop_threshold = models.DecimalField(**FIGURE)
    wallet_threshold = models.DecimalField(**FIGURE)
    segment_totals = models.JSONField(
        default=dict, blank=True, help_text="{segment: {accounts, revenue, wallet, pop}} (EUR, as computed)."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    permission_actions = LEAD_ONLY
    audit_exclude = KamModel.audit_exclude | {"progress"}

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.model_name} v{self.model_version} — run {self.pk}"

    def get_absolute_url(self):
        return reverse("selection:run", args=[self.pk])

    @classmethod
    def scope_filter(cls, user):
        return Q(pk__in=[])

    @property
    def is_running(self):
        return self.status in {RunStatus.QUEUED, RunStatus.RUNNING}

    @property
    def segment_counts(self) -> dict:
        """{segment: accounts}, from the totals the run keeps."""
        return {segment: totals["accounts"] for segment, totals in (self.segment_totals or {}).items()}

    def quadrant_name(self, segment: str) -> str:
        if segment == Segment.UNCLASSIFIED:
            return Segment.UNCLASSIFIED.label
        return (self.config.get("quadrant_names") or {}).get(segment) or Segment(segment).label


class SelectionResult(models.Model):
    """One top-level account in one run: its subtree figures, every criterion's value, normalised value and
    contribution, its score, rank and segment. Written in bulk by one SQL statement and never changed (the run's
    audit record covers them)."""

    # Results are written only by the run's one INSERT … SELECT, which reads the account ids from the accounts table
    # in the same transaction, so the keys hold by construction. Database foreign-key constraints would check each of
    # 200,000 rows again at commit (1.3 s of a 7 s run, docs/performance.md); deleting a run or an account still
    # deletes its results (Django's on_delete). The run needs no index of its own: (run, account) and (run, rank)
    # start with it.
    run = models.ForeignKey(
        SelectionRun, on_delete=models.CASCADE, related_name="results", db_index=False, db_constraint=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    rank = models.PositiveIntegerField()
    score = models.DecimalField(max_digits=16, decimal_places=6)
    segment = models.CharField(max_length=20, choices=Segment.choices)
    was_key_account = models.BooleanField()
    revenue_t12m = models.DecimalField(**FIGURE)
    gross_profit_t12m = models.DecimalField(**FIGURE)
    revenue_p12m = models.DecimalField(**FIGURE)
    gross_margin = models.DecimalField(**FIGURE)
    growth_yoy = models.DecimalField(**FIGURE)
    growth_cagr = models.DecimalField(**FIGURE)
    wallet = models.DecimalField(**FIGURE)
    share_of_wallet = models.DecimalField(**FIGURE)
    wallet_headroom = models.DecimalField(**FIGURE)
    potential_operating_profit = models.DecimalField(**FIGURE)
    product_lines = models.PositiveIntegerField(null=True)
    countries = models.PositiveIntegerField(null=True)
    subsidiaries = models.PositiveIntegerField(null=True)
    market_leader = models.PositiveSmallIntegerField(null=True)
    innovation_partner = models.PositiveSmallIntegerField(null=True)
    reference_value = models.PositiveSmallIntegerField(null=True)
    complexity = models.PositiveSmallIntegerField(null=True)
    normalised = models.JSONField(
        default=list, help_text="Each criterion's normalised value (0–1), in the run's order."
    )

    objects = RestrictedQuerySet.as_manager()
    permission_actions = LEAD_ONLY

    class Meta:
        ordering = ["run", "rank"]
        constraints = [models.UniqueConstraint(fields=["run", "account"], name="one_result_per_run_account")]
        indexes = [models.Index(fields=["run", "rank"], name="selection_result_run_rank")]

    def __str__(self):
        return f"#{self.rank} {self.account_id} in run {self.run_id}"

    @classmethod
    def scope_filter(cls, user):
        return Q(pk__in=[])

    @property
    def segment_name(self):
        return self.run.quadrant_name(self.segment)

    @cached_property
    def contributions(self) -> dict:
        """{criterion: {"n": normalised value, "c": points}}; points = 100 × weight × n / Σ weights, to 6 decimals
        (DEFINITIONS §7, §10), as the run's score adds them up."""
        criteria = self.run.config.get("criteria", [])
        total = sum((Decimal(c["weight"]) for c in criteria), Decimal(0))
        out = {}
        for item, value in zip(criteria, self.normalised or [], strict=False):
            n = _decimal(value)
            points = None if n is None or not total else HUNDRED * Decimal(item["weight"]) * n / total
            out[item["criterion"]] = {"n": n, "c": None if points is None else points.quantize(SIX, ROUND_HALF_UP)}
        return out

    def criterion_breakdown(self):
        """[(criterion config, raw value, normalised, points)] in the model's order: "why is this account 7th?"."""
        contributions = self.contributions
        return [
            (item, getattr(self, item["criterion"]), *contributions.get(item["criterion"], {}).values())
            for item in self.run.config.get("criteria", [])
        ]


def _decimal(value):
    return None if value is None else Decimal(str(value))


class AccountRating(AccountScopedModel):
    """A person's 1–5 rating of an account on what no data holds: strategic importance and complexity.
    Selection reads the top-level account's own ratings."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ratings")
    attribute = models.CharField(max_length=32, choices=RatedAttribute.choices)
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 (low) to 5 (high)."
    )
    note = models.TextField(blank=True, help_text="Why this rating: the evidence behind it.")
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    permission_actions = {
        Role.KEY_ACCOUNT_MANAGER: frozenset({"view", "add", "change"}),
        Role.EXECUTIVE_SPONSOR: frozenset({"view"}),
        Role.VIEWER: frozenset({"view"}),
    }

    class Meta:
        ordering = ["account", "attribute"]
        constraints = [models.UniqueConstraint(fields=["account", "attribute"], name="one_rating_per_attribute")]

    def __str__(self):
        return f"{self.account} — {self.get_attribute_display()}: {self.value}"

    def get_absolute_url(self):
        return reverse("selection:rating_list") + f"?account={self.account_id}"


class KeyAccountDesignation(AccountScopedModel):
    """A proposal to make an account a key account (or to remove it), and its decision. Approval changes the
    account's key-account flag in the same transaction; the proposal, the decision and the flag are audited."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="designations")
    kind = models.CharField(max_length=16, choices=DesignationKind.choices, default=DesignationKind.DESIGNATE)
    status = models.CharField(max_length=16, choices=DesignationStatus.choices, default=DesignationStatus.PROPOSED)
    reason = models.TextField(help_text="Why: the rationale the decision rests on.")
    run = models.ForeignKey(SelectionRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rank = models.PositiveIntegerField(null=True, blank=True)
    score = models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    # Key account managers may propose (for accounts they see); only the lead and administrators decide.
    permission_actions = {
        Role.KEY_ACCOUNT_MANAGER: frozenset({"view", "add"}),
        Role.EXECUTIVE_SPONSOR: frozenset({"view"}),
        Role.VIEWER: frozenset({"view"}),
    }

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(status="proposed"), name="one_open_designation_per_account"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.account} ({self.get_status_display().lower()})"

    def get_absolute_url(self):
        return reverse("selection:designation", args=[self.pk])
