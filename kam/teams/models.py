"""Account teams (seeds 001, 002, 004): the role catalogue, the service model per segment (the resource allocation
framework), the programme's capacity rules and team charter, and handovers of key accounts. The memberships
themselves are `kam.accounts.AccountTeamMember` (they grant access: the permission choke point reads them)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from kam.accounts.models import Account, AccountScopedModel
from kam.core.models import KamModel
from kam.core.roles import Role
from kam.selection.choices import Segment

# The catalogue, the service model and the programme settings are the programme lead's to change; everyone reads them.
READ_ONLY_FOR_TEAMS = {
    Role.KEY_ACCOUNT_MANAGER: frozenset({"view"}),
    Role.EXECUTIVE_SPONSOR: frozenset({"view"}),
    Role.VIEWER: frozenset({"view"}),
}
KEY_ACCOUNT_MANAGER = "key_account_manager"


class TeamRoleDefinition(KamModel):
    """A role people take on an account team, with its responsibilities."""

    key = models.CharField(
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z][a-z0-9_]*$", "Lower-case letters, digits and _ only, e.g. finance_partner.")
        ],
        help_text="A short fixed name used in imports and the API, e.g. finance_partner.",
    )
    name = models.CharField(max_length=80, unique=True)
    responsibilities = models.TextField(blank=True, help_text="What this role does for the account.")
    required_per_key_account = models.BooleanField(
        "required on every key account", default=False, help_text="The coverage check flags key accounts without it."
    )
    position = models.PositiveSmallIntegerField(default=100, help_text="Order in lists.")
    active = models.BooleanField(default=True, help_text="Inactive roles cannot be given to new members.")

    permission_actions = READ_ONLY_FOR_TEAMS

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "team role"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("teams:role_list") + f"?q={self.key}"

    @classmethod
    def scope_filter(cls, user):
        return Q()

    @property
    def is_key_account_manager(self):
        return self.key == KEY_ACCOUNT_MANAGER


class ServiceModel(KamModel):
    """What a key account of one segment gets: the roles on its team, their expected time, and the promised service."""

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        HALF_YEARLY = "half_yearly", "Every six months"
        YEARLY = "yearly", "Yearly"

    segment = models.CharField(max_length=20, choices=Segment.choices, unique=True)
    workload_weight = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10"))],
        help_text="How much one key account of this segment weighs on the workload board (1 = an average one).",
    )
    review_cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.QUARTERLY)
    in_person_meetings_per_year = models.PositiveSmallIntegerField(default=4, validators=[MaxValueValidator(365)])
    promised_service = models.TextField(blank=True, help_text="The service this segment is promised, in words.")

    permission_actions = READ_ONLY_FOR_TEAMS

    class Meta:
        ordering = ["segment"]

    def __str__(self):
        return f"Service model: {self.get_segment_display()}"

    def get_absolute_url(self):
        return reverse("teams:service_model", args=[self.pk])

    @classmethod
    def scope_filter(cls, user):
        return Q()


class ServiceModelRole(KamModel):
    """A role a segment's key accounts must have, how many people in it, and their expected share of time."""

    service_model = models.ForeignKey(ServiceModel, on_delete=models.CASCADE, related_name="roles")
    role = models.ForeignKey(TeamRoleDefinition, on_delete=models.PROTECT, related_name="+")
    min_members = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(20)])
    expected_allocation_percent = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="The least total share of time the role's members give the account.",
    )

    permission_actions = READ_ONLY_FOR_TEAMS

    class Meta:
        ordering = ["service_model", "role__position"]
        constraints = [models.UniqueConstraint(fields=["service_model", "role"], name="one_rule_per_role_and_segment")]

    def __str__(self):
        return f"{self.service_model.get_segment_display()}: {self.min_members} × {self.role}"

    def get_absolute_url(self):
        return self.service_model.get_absolute_url()

    @classmethod
    def scope_filter(cls, user):
        return Q()


class ProgrammeSettings(KamModel):
    """The programme's team rules (one row): capacity per key account manager and the default team charter."""

    accounts_per_manager_limit = models.PositiveSmallIntegerField(
        "key accounts per manager, limit",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Above this a manager is over capacity (seed 004: 5–10).",
    )
    accounts_per_manager_warning = models.PositiveSmallIntegerField(
        "warn above",
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Above this the workload board warns.",
    )
    default_team_charter = models.TextField(
        "default team charter",
        blank=True,
        help_text="How account teams work together; every team starts from it and may write its own.",
    )

    permission_actions = READ_ONLY_FOR_TEAMS

    class Meta:
        verbose_name = "programme settings"
        verbose_name_plural = "programme settings"

    def __str__(self):
        return "Programme team rules"

    def get_absolute_url(self):
        return reverse("teams:settings")

    @classmethod
    def scope_filter(cls, user):
        return Q()

    @classmethod
    def current(cls) -> "ProgrammeSettings":
        settings_row = cls.objects.order_by("pk").first()
        return settings_row if settings_row is not None else cls(pk=None)


class PersonCapacity(KamModel):
    """How many key accounts one person can manage, where it differs from the programme's limit (part-time, a team
    leader with fewer accounts, a senior manager with more)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="key_account_capacity")
    accounts_limit = models.PositiveSmallIntegerField(
        "key accounts, limit", validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why, e.g. part-time until June.")

    permission_actions = READ_ONLY_FOR_TEAMS

    class Meta:
        verbose_name = "person's capacity"
        verbose_name_plural = "people's capacity"

    def __str__(self):
        return f"{self.user}: up to {self.accounts_limit} key accounts"

    def get_absolute_url(self):
        return reverse("teams:workload") + f"?q={self.user.email}"

    @classmethod
    def scope_filter(cls, user):
        return Q()


class Handover(AccountScopedModel):
    """A key account passed from one key account manager to another, with the note that goes with it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="handovers")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    handed_over_on = models.DateField()
    note = models.TextField(help_text="What the new manager needs to know: relationships, open work, commitments.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    permission_actions = {
        Role.KEY_ACCOUNT_MANAGER: frozenset({"view"}),
        Role.EXECUTIVE_SPONSOR: frozenset({"view"}),
        Role.VIEWER: frozenset({"view"}),
    }

    class Meta:
        ordering = ["-handed_over_on", "-pk"]

    def __str__(self):
        return f"{self.account}: {self.from_user or '—'} → {self.to_user} ({self.handed_over_on:%Y-%m-%d})"

    def get_absolute_url(self):
        return reverse("accounts:account", args=[self.account_id]) + "?tab=team"
