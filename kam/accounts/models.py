from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import connection, models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kam.accounts.choices import AccountStatus, ImportKind, ImportStatus, TeamRole
from kam.core.models import KamModel
from kam.core.roles import Role


def in_subtree(path: str, field: str = "tree_path") -> Q:
    """Rows whose tree path starts with `path` (which ends with "/"): the accounts of that subtree. SQLite's LIKE
    ignores case and so never uses an index; there the same set is also stated as a range of paths, which is exact
    because "/" sorts right before "0" (byte order, SQLite's default collation). PostgreSQL's index answers the LIKE."""
    condition = Q(**{f"{field}__startswith": path})
    if connection.vendor == "sqlite":
        condition &= Q(**{f"{field}__gte": path, f"{field}__lt": path[:-1] + "0"})
    return condition


currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code such as EUR or USD.")
MONEY = {"max_digits": 20, "decimal_places": 4}


class Account(KamModel):
    """A customer company, or one regional subsidiary of a global account. `tree_path` ("/1/7/42/") is the
    chain of ids from the top-level account down to this one; it makes subtree roll-ups and team scope
    one indexed prefix match instead of a recursive walk."""

    name = models.CharField(max_length=200, db_index=True)
    legal_name = models.CharField(max_length=300, blank=True)
    account_number = models.CharField(
        max_length=64, unique=True, help_text="Your identifier for the customer (Salesforce AccountNumber)."
    )
    crm_id = models.CharField(
        "CRM id", max_length=64, blank=True, db_index=True, help_text="Salesforce Id or HubSpot Record ID."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The group this account belongs to (global account → regional subsidiary).",
    )
    tree_path = models.CharField(max_length=1000, editable=False, default="/", db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    industry = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 two-letter code, e.g. DE.")
    region = models.CharField(max_length=50, blank=True, help_text="Sales region, e.g. EMEA.")
    currency = models.CharField(max_length=3, default="EUR", validators=[currency_validator])
    status = models.CharField(max_length=20, choices=AccountStatus.choices, default=AccountStatus.CUSTOMER)
    is_key_account = models.BooleanField("key account", default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_accounts"
    )
    team_charter = models.TextField(
        blank=True,
        db_default="",  # bulk writers (kam generate's COPY) leave it out
        help_text="How this account's team works together. Blank: the programme's default charter.",
    )

    audit_exclude = KamModel.audit_exclude | {"tree_path", "depth"}

    class Meta:
        ordering = ["name", "account_number"]
        indexes = [
            models.Index(fields=["status", "name"]),
            models.Index(fields=["parent", "name"]),
            # The key accounts (1 % of a large tenant), in list order: their list and counts read only these.
            models.Index(fields=["is_key_account", "name", "account_number"], name="account_key_by_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:account", args=[self.pk])

    @property
    def audit_account_id(self):
        return self.pk

    @property
    def is_top_level(self):
        return self.parent_id is None

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.tree_path.strip("/").split("/") if part][:-1]

    @classmethod
    def scope_filter(cls, user):
        # A team member sees the account they are on and its whole subtree (the global account's subsidiaries).
        # The user's team paths are read first (one small query, each time a queryset is restricted, so never stale):
        # a constant prefix per path is an index range scan on tree_path. A pattern built from each row's join
        # (EXISTS … tree_path LIKE member_path || '%') cannot use the index and took ~0.3 s per query at 200,000
        # accounts (docs/performance.md).
        condition = Q(pk__in=[])
        for path in cls.member_paths(user):
            condition |= in_subtree(path)
        return condition

    @classmethod
    def member_paths(cls, user) -> list[str]:
        """The tree paths of the accounts the user's active team memberships open (each with its subtree), without
        those inside another: an account is in the user's scope when its path starts with one of them."""
        paths = sorted(
            set(
                AccountTeamMember.objects.filter(AccountTeamMember.active_q(), user=user).values_list(
                    "account__tree_path", flat=True
                )
            )
        )
        return [path for path in paths if not any(path.startswith(other) for other in paths if other != path)]

    def subtree(self):
        return Account.objects.filter(in_subtree(self.tree_path))


class AccountScopedModel(KamModel):
    """Objects that belong to one account inherit its scope."""

    class Meta:
        abstract = True

    @classmethod
    def scope_filter(cls, user):
        return Q(account__in=Account.objects.filter(Account.scope_filter(user)).values("pk"))

    @property
    def audit_account_id(self):
        return self.account_id


class AccountTeamMember(AccountScopedModel):
    """Who works on an account, in which role, with what share of their time, from when to when. An active
    membership (started, not ended) is what opens an account (and its subsidiaries) to a key account manager,
    executive sponsor or viewer; ended memberships stay as the team's history.

    `team_role` is the key of a role in the role catalogue (kam.teams.TeamRoleDefinition); kam.teams.services checks
    it and every other rule (one active key account manager, allocation, dates) before a member is written."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships")
    team_role = models.CharField(max_length=32, default=TeamRole.SUPPORT, help_text="A role of the role catalogue.")
    allocation_percent = models.PositiveSmallIntegerField(
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Share of the person's time on this account.",
    )
    start_date = models.DateField(default=timezone.localdate)
    end_date = models.DateField(null=True, blank=True, help_text="Blank: still on the team.")

    # Staffing decides who can open an account: the programme lead and administrators do it; the others read it.
    permission_actions = {
        Role.KEY_ACCOUNT_MANAGER: frozenset({"view"}),
        Role.EXECUTIVE_SPONSOR: frozenset({"view"}),
        Role.VIEWER: frozenset({"view"}),
    }

    class Meta:
        ordering = ["account", "team_role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "user"], condition=Q(end_date__isnull=True), name="team_member_once_per_account"
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(team_role=TeamRole.KEY_ACCOUNT_MANAGER, end_date__isnull=True),
                name="one_open_key_account_manager_per_account",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="team_member_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["user", "end_date"], name="team_member_user_active")]

    def __str__(self):
        return f"{self.user} — {self.role_name} on {self.account}"

    def get_absolute_url(self):
        return reverse("accounts:account", args=[self.account_id]) + "?tab=team"

    @property
    def role_name(self) -> str:
        from kam.teams.roles import role_name

        return role_name(self.team_role)

    def is_active_on(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    @classmethod
    def active_q(cls, day=None, prefix: str = "") -> Q:
        """Memberships active on `day` (today): started, and not ended before it."""
        day = day or timezone.localdate()
        return Q(**{f"{prefix}start_date__lte": day}) & (
            Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
        )


class FinancialFact(AccountScopedModel):
    """Revenue and gross profit of one account in one month (and optionally one product line), in the
    currency of the row. Rows are additive: several rows for the same month and line are summed."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="facts")
    month = models.DateField(help_text="First day of the month.")
    product_line = models.CharField(max_length=100, blank=True, help_text="Blank = unspecified (a line of its own).")
    currency = models.CharField(max_length=3, validators=[currency_validator])
    revenue = models.DecimalField(**MONEY)
    gross_profit = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["account", "-month", "product_line"]
        indexes = [models.Index(fields=["account", "month"]), models.Index(fields=["month"])]

    def __str__(self):
        return f"{self.account} {self.month:%Y-%m} {self.product_line or '(unspecified)'}"

    def get_absolute_url(self):
        return reverse("accounts:account", args=[self.account_id]) + "?tab=financials"


class WalletEstimate(AccountScopedModel):
    """The customer's total yearly spend in our categories (the wallet), as estimated by the team."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="wallet_estimates")
    year = models.PositiveSmallIntegerField()
    currency = models.CharField(max_length=3, validators=[currency_validator])
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["account", "-year"]
        constraints = [models.UniqueConstraint(fields=["account", "year"], name="one_wallet_per_account_year")]

    def __str__(self):
        return f"{self.account} wallet {self.year}"

    def get_absolute_url(self):
        return reverse("accounts:account", args=[self.account_id]) + "?tab=financials"


class FxRate(KamModel):
    """Units of `currency` per 1 EUR, the average of `month` (the ECB reference-rate convention)."""

    month = models.DateField()
    currency = models.CharField(max_length=3, validators=[currency_validator])
    rate_per_eur = models.DecimalField(max_digits=20, decimal_places=10, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["-month", "currency"]
        constraints = [models.UniqueConstraint(fields=["month", "currency"], name="one_rate_per_month_currency")]
        verbose_name = "FX rate"

    def __str__(self):
        return f"{self.currency} {self.month:%Y-%m} = {self.rate_per_eur}"

    def get_absolute_url(self):
        return reverse("accounts:fxrate_list") + f"?currency={self.currency}"

    @classmethod
    def scope_filter(cls, user):
        return Q()  # reference data: everyone who may view rates sees them all


class ImportRun(KamModel):
    """One uploaded file on its way in: checked (dry run), previewed, then applied atomically."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size_bytes = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True, help_text="Counts of creates, updates, unchanged.")
    errors = models.JSONField(default=list, blank=True, help_text="[{row, column, reason}]")
    preview = models.JSONField(default=list, blank=True)
    column_mapping = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    # Imports are for the roles that may import; other roles do not see them at all.
    permission_actions = {
        Role.KEY_ACCOUNT_MANAGER: frozenset(),
        Role.EXECUTIVE_SPONSOR: frozenset(),
        Role.VIEWER: frozenset(),
    }

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.original_name}"

    def get_absolute_url(self):
        return reverse("accounts:import_detail", args=[self.pk])

    @classmethod
    def scope_filter(cls, user):
        return Q(created_by=user)

    @property
    def progress_percent(self):
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))

    @property
    def is_running(self):
        return self.status in {ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.APPLYING}
