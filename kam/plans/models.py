"""Strategic account plans (issue 7): one living, multi-year plan per key account, kept as annual versions.

`AccountPlan` is the plan itself (the account, the horizon). `PlanVersion` is one year's plan: its text sections
(situation, SWOT, competitors, value proposition) and, as child rows, its objectives, KPIs with targets per period,
actions, risks and opportunities. A version goes draft → in review → approved → superseded (when the next approved
version replaces it). An approved or superseded version is frozen: its text and its child rows cannot change or be
deleted (refused here, at the model level, whatever writes them).

Every child row carries a `lineage`: a UUID given when the row is first written and copied when next year's version
is cloned from this one, so the same objective (risk, …) can be followed across versions (kam.plans.diff)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from kam.accounts.models import MONEY, Account, AccountScopedModel, currency_validator
from kam.core.models import KamModel
from kam.core.permissions import ACTIONS, ADD, CHANGE, DELETE, VIEW
from kam.core.roles import Role
from kam.plans.choices import (
    FROZEN_STATUSES,
    ActionStatus,
    CellStatus,
    ComputedMetric,
    Direction,
    KPISource,
    ObjectiveSide,
    OpportunityKind,
    OpportunityStage,
    RiskCategory,
    RiskStatus,
    TCOCostKind,
    VersionStatus,
)
from kam.teams.models import READ_ONLY_FOR_TEAMS

APPROVE = "approve"
MIN_HORIZON, MAX_HORIZON = 3, 5
VALUE = {"max_digits": 20, "decimal_places": 4}

# The text sections of a version (Markdown), in the order a plan shows them.
TEXT_SECTIONS = (
    "situation",
    "swot_strengths",
    "swot_weaknesses",
    "swot_opportunities",
    "swot_threats",
    "competitors",
    "value_proposition",
)
# Settings of a version that are not Markdown sections: the TCO comparison's heading.
VERSION_SETTINGS = ("tco_alternative", "tco_years")

# Who may do what with plans: the account's team writes (scope narrows to their accounts); approving is narrowed
# further to the account's team leader (kam.plans.services.may_approve).
PLAN_PERMISSIONS = {
    Role.ADMIN: frozenset({*ACTIONS, APPROVE}),
    Role.PROGRAMME_LEAD: frozenset({*ACTIONS, APPROVE}),
    Role.KEY_ACCOUNT_MANAGER: frozenset({VIEW, ADD, CHANGE, DELETE, APPROVE}),
    Role.EXECUTIVE_SPONSOR: frozenset({VIEW}),
    Role.VIEWER: frozenset({VIEW}),
}


def _account_url(account_id) -> str:
    return reverse("accounts:account", args=[account_id])


class AccountPlan(AccountScopedModel):
    """The strategic plan of one key account over a horizon of 3–5 years from `start_year`; its content lives in
    its annual versions."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="plan")
    title = models.CharField(max_length=200)
    start_year = models.PositiveSmallIntegerField(validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    horizon_years = models.PositiveSmallIntegerField(
        default=MIN_HORIZON,
        validators=[MinValueValidator(MIN_HORIZON), MaxValueValidator(MAX_HORIZON)],
        help_text="How many years the plan looks ahead (3–5).",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    permission_actions = PLAN_PERMISSIONS

    class Meta:
        ordering = ["account__name", "account__account_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon_years__gte=MIN_HORIZON, horizon_years__lte=MAX_HORIZON),
                name="plan_horizon_3_to_5_years",
            )
        ]

    def __str__(self):
        return self.title or f"Account plan of {self.account}"

    def get_absolute_url(self):
        return _account_url(self.account_id)

    @property
    def end_year(self) -> int:
        return self.start_year + self.horizon_years - 1


class PlanVersion(AccountScopedModel):
    """One year's version of a plan (numbered 1, 2, … within the plan): the text sections here, the structured
    content in the child rows. Frozen once approved: afterwards only its status (approved → superseded) and the date
    of its last review change."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="versions")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    situation = models.TextField(blank=True, help_text="The client's business, strategy and challenges (Markdown).")
    swot_strengths = models.TextField("strengths", blank=True)
    swot_weaknesses = models.TextField("weaknesses", blank=True)
    swot_opportunities = models.TextField("opportunities", blank=True)
    swot_threats = models.TextField("threats", blank=True)
    competitors = models.TextField(blank=True, help_text="Competitors present in the account (Markdown).")
    value_proposition = models.TextField(blank=True, help_text="Why the client works with us (Markdown).")
    tco_alternative = models.CharField(
        "TCO compared with",
        max_length=100,
        blank=True,
        default="The client's current solution",
        help_text="What the total-cost-of-ownership comparison sets our offer against.",
    )
    tco_years = models.PositiveSmallIntegerField(
        "TCO period (years)",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Annual costs count this many times in the comparison.",
    )
    review_note = models.CharField(max_length=500, blank=True, help_text="Why it was returned to draft, if it was.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True, help_text="When the plan was last reviewed.")

    permission_actions = PLAN_PERMISSIONS
    # What may still change once the version is frozen.
    FROZEN_MUTABLE = frozenset({"status", "reviewed_at", "version", "updated_at"})

    class Meta:
        ordering = ["plan_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_plan_version_per_number")]
        indexes = [models.Index(fields=["plan", "status"])]

    def __str__(self):
        return f"{self.account} plan {self.year} (version {self.number})"

    def get_absolute_url(self):
        return _account_url(self.account_id)

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = type(self)._base_manager.filter(pk=self.pk).first()
            if stored is not None and stored.status in FROZEN_STATUSES:
                changed = [
                    f.attname
                    for f in self._meta.concrete_fields
                    if f.attname not in self.FROZEN_MUTABLE and getattr(stored, f.attname) != getattr(self, f.attname)
                ]
                moves = {(VersionStatus.APPROVED, VersionStatus.APPROVED)}
                moves |= {(VersionStatus.APPROVED, VersionStatus.SUPERSEDED)}
                moves |= {(VersionStatus.SUPERSEDED, VersionStatus.SUPERSEDED)}
                if changed or (stored.status, self.status) not in moves:
                    raise ValidationError(
                        f"Version {stored.number} is {stored.get_status_display().lower()}: it is frozen and cannot "
                        "change. Start next year's plan to change it."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if type(self)._base_manager.filter(pk=self.pk, status__in=FROZEN_STATUSES).exists():
            raise ValidationError(f"Version {self.number} is approved: it is frozen and cannot be deleted.")
        return super().delete(*args, **kwargs)


class PlanItem(AccountScopedModel):
    """A row of a version's structured content. `account` repeats the version's (scope and activity feed)."""

    plan_version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="%(class)s_set")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    lineage = models.UUIDField(
        default=uuid.uuid4, editable=False, help_text="The same on this row's copies in other versions."
    )

    permission_actions = PLAN_PERMISSIONS
    # Compared by kam.plans.diff: everything the author wrote (foreign keys to other rows compare by lineage).
    audit_exclude = KamModel.audit_exclude

    class Meta:
        abstract = True

    def get_absolute_url(self):
        return _account_url(self.account_id)

    def _refuse_if_frozen(self, verb: str):
        status = PlanVersion._base_manager.filter(pk=self.plan_version_id).values_list("status", "number").first()
        if status is not None and status[0] in FROZEN_STATUSES:
            raise ValidationError(
                f"Version {status[1]} is {VersionStatus(status[0]).label.lower()}: it is frozen, its "
                f"{self._meta.verbose_name_plural} cannot be {verb}."
            )

    # Fields that may still change on a frozen version (the year-end evaluation of an approved plan's goals).
    FROZEN_MUTABLE = frozenset()

    def _changes_only_frozen_mutable(self) -> bool:
        if self._state.adding or not self.FROZEN_MUTABLE:
            return False
        stored = type(self)._base_manager.filter(pk=self.pk).first()
        if stored is None:
            return False
        bookkeeping = {"version", "updated_at"}
        changed = {
            f.attname for f in self._meta.concrete_fields if getattr(stored, f.attname) != getattr(self, f.attname)
        }
        return bool(changed & self.FROZEN_MUTABLE) and not changed - self.FROZEN_MUTABLE - bookkeeping

    def save(self, *args, **kwargs):
        if not self._changes_only_frozen_mutable():
            self._refuse_if_frozen("changed")
        if self.account_id is None and self.plan_version_id is not None:
            self.account_id = PlanVersion._base_manager.filter(pk=self.plan_version_id).values_list("account_id")[0][0]
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_frozen("deleted")
        return super().delete(*args, **kwargs)


class Objective(PlanItem):
    """A goal, the client's or ours, written SMART; our goals link to the client goal they serve. Imported goals
    (goals.csv) keep their file id, unique within a version (next year's copy keeps it too)."""

    side = models.CharField(max_length=8, choices=ObjectiveSide.choices, default=ObjectiveSide.OURS)
    title = models.CharField(max_length=200)
    specific = models.TextField(blank=True)
    measurable = models.TextField(blank=True)
    achievable = models.TextField(blank=True)
    relevant = models.TextField(blank=True)
    time_bound = models.TextField("time-bound", blank=True)
    due_date = models.DateField(null=True, blank=True)
    linked_objective = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supporting",
        help_text="The client goal this one serves.",
    )
    achieved = models.BooleanField(
        null=True, blank=True, help_text="At the year's end: reached (yes), missed (no); empty until evaluated."
    )

    external_id = models.CharField(
        max_length=64, blank=True, help_text="The goal's id in goals.csv (DEFINITIONS §11), when imported."
    )

    FROZEN_MUTABLE = frozenset({"achieved"})  # evaluated at the year's end, after the plan was approved

    class Meta:
        ordering = ["plan_version_id", "side", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan_version", "external_id"],
                condition=~Q(external_id=""),
                name="one_imported_goal_per_version",
            )
        ]

    def __str__(self):
        return self.title


class PlanKPI(PlanItem):
    """How an objective is measured: entered by the team per period, or computed from the portfolio data."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="kpis")
    metric = models.CharField(max_length=200)
    unit = models.CharField(max_length=30, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    baseline = models.DecimalField(**VALUE, null=True, blank=True)
    source = models.CharField(max_length=10, choices=KPISource.choices, default=KPISource.ENTERED)
    computed_metric = models.CharField(max_length=20, choices=ComputedMetric.choices, blank=True)

    class Meta:
        ordering = ["plan_version_id", "objective_id", "pk"]
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"
        constraints = [
            models.CheckConstraint(
                condition=(Q(source=KPISource.ENTERED) & Q(computed_metric=""))
                | (Q(source=KPISource.COMPUTED) & ~Q(computed_metric="")),
                name="plan_kpi_computed_metric_iff_computed",
                violation_error_message="A computed KPI names its metric; an entered one has none.",
            )
        ]

    def __str__(self):
        return self.metric


class KPITarget(PlanItem):
    """A KPI's target for one period (a year) and, for entered KPIs, the actual value reached."""

    kpi = models.ForeignKey(PlanKPI, on_delete=models.CASCADE, related_name="targets")
    period = models.PositiveSmallIntegerField(help_text="The year.")
    target = models.DecimalField(**VALUE)
    actual = models.DecimalField(**VALUE, null=True, blank=True, help_text="Entered KPIs only.")

    class Meta:
        ordering = ["plan_version_id", "kpi_id", "period"]
        verbose_name = "KPI target"
        constraints = [models.UniqueConstraint(fields=["kpi", "period"], name="one_kpi_target_per_period")]

    def __str__(self):
        return f"{self.kpi} {self.period}: {self.target.normalize():,f}"


class Action(PlanItem):
    """Something someone does for the plan, by a date."""

    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    objective = models.ForeignKey(Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions")

    class Meta:
        ordering = ["plan_version_id", "due_date", "pk"]

    def __str__(self):
        return self.title


class Risk(PlanItem):
    """A risk to the account, scored likelihood × impact (1–25), with its mitigation."""

    title = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=RiskCategory.choices)
    likelihood = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    impact = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    mitigation = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=RiskStatus.choices, default=RiskStatus.OPEN)

    class Meta:
        ordering = ["plan_version_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5, impact__gte=1, impact__lte=5),
                name="plan_risk_scores_1_to_5",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class Opportunity(PlanItem):
    """A growth opportunity in the account: what we could sell, to which business unit, worth how much."""

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=OpportunityKind.choices)
    offering = models.CharField(max_length=200, blank=True, help_text="What we would sell.")
    business_unit = models.CharField(max_length=200, blank=True, help_text="The client's business unit.")
    value = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="EUR", validators=[currency_validator])
    probability = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)], help_text="Per cent."
    )
    stage = models.CharField(max_length=16, choices=OpportunityStage.choices, default=OpportunityStage.IDENTIFIED)
    cell = models.ForeignKey(
        "WhitespaceCell",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
        help_text="The whitespace cell (business unit × offering) it would fill.",
    )
    expected_close = models.DateField(null=True, blank=True)
    next_step = models.TextField(blank=True)

    class Meta:
        ordering = ["plan_version_id", "pk"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="plan_opportunity_probability_0_to_100")
        ]

    def __str__(self):
        return self.title

    @property
    def weighted_value(self):
        return self.value * self.probability / 100


class TCOLine(PlanItem):
    """A line of the value proposition's total-cost-of-ownership comparison: one cost, under the alternative and
    with us. Annual costs count `tco_years` times; one-off costs once."""

    item = models.CharField(max_length=200)
    cost_kind = models.CharField(
        max_length=12, choices=TCOCostKind.choices, default=TCOCostKind.ANNUAL, help_text="Annual or one-off."
    )
    indirect = models.BooleanField(default=False, help_text="An indirect cost (time, downtime, risk), not a price.")
    alternative_cost = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    our_cost = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["plan_version_id", "pk"]
        verbose_name = "TCO line"

    def __str__(self):
        return self.item


# The kinds of child rows, in the order a plan shows them (the service's and the diff's `kind`).
ITEM_KINDS = {
    "objective": Objective,
    "kpi": PlanKPI,
    "target": KPITarget,
    "action": Action,
    "risk": Risk,
    "opportunity": Opportunity,
    "tco": TCOLine,
}


# Whitespace -----------------------------------------------------------------------------------------------------


class Offering(KamModel):
    """What we sell, programme-wide: the columns of every whitespace matrix."""

    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=100, blank=True, help_text="Groups offerings, e.g. Services.")
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=100, help_text="Columns are shown in this order.")
    is_active = models.BooleanField("active", default=True, help_text="Retired offerings keep their cells.")

    permission_actions = READ_ONLY_FOR_TEAMS

    class Meta:
        ordering = ["position", "name"]

    @classmethod
    def scope_filter(cls, user):
        return Q()  # the catalogue is the programme's: everyone who may read it reads all of it

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("plans:offerings")


class BusinessUnit(AccountScopedModel):
    """A business unit of a client account: a row of the whitespace matrix, under the account (a subsidiary is a
    row of its own)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="business_units")
    name = models.CharField(max_length=100)

    permission_actions = PLAN_PERMISSIONS

    class Meta:
        ordering = ["account_id", "name"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="one_business_unit_name_per_account")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return _account_url(self.account_id)


class WhitespaceCell(AccountScopedModel):
    """Where we stand with one offering in one part of the client (an account of the plan's subtree, or one of its
    business units): nothing known, potential, in pipeline, won, or held by a competitor; with its annual value in
    EUR (what we earn when won, what it would be worth otherwise)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="whitespace_cells")
    business_unit = models.ForeignKey(
        BusinessUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="cells"
    )
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="cells")
    status = models.CharField(max_length=12, choices=CellStatus.choices, default=CellStatus.NONE)
    annual_value = models.DecimalField(
        "annual value (EUR)", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    competitor = models.CharField(max_length=100, blank=True, help_text="Who holds it, when a competitor does.")
    note = models.CharField(max_length=500, blank=True)

    permission_actions = PLAN_PERMISSIONS

    class Meta:
        ordering = ["account_id", "business_unit_id", "offering_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "offering"],
                condition=Q(business_unit__isnull=True),
                name="one_whitespace_cell_per_account_offering",
            ),
            models.UniqueConstraint(
                fields=["account", "business_unit", "offering"],
                condition=Q(business_unit__isnull=False),
                name="one_whitespace_cell_per_unit_offering",
            ),
        ]

    def __str__(self):
        where = f"{self.account} / {self.business_unit}" if self.business_unit_id else str(self.account)
        return f"{where} × {self.offering}"

    def get_absolute_url(self):
        return _account_url(self.account_id)
