"""Customer organisation maps (issue 8): the people of a key account, how they report to each other, what they think
of us and who of ours knows them; the interactions with them; the programme's coverage and cadence rules.

A `Contact` works at an account (the group or one of its subsidiaries) and may report to another contact of the same
customer (the same top-level group) — a solid line — and have a dotted line to another. People who leave keep their
place on the map as a vacant position (`left_on`), their reports moved to the leaver's manager.

Every change of what the map shows is kept as a `ContactState` (valid from … to), so the map can be drawn as of any
past moment; the audit log keeps who changed what."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from kam.accounts.models import Account, AccountScopedModel
from kam.core.models import KamModel
from kam.core.permissions import ACTIONS, VIEW
from kam.core.roles import Role
from kam.selection.choices import Segment
from kam.stakeholders.choices import (
    Attitude,
    BuyingRole,
    CoverageRuleKind,
    Influence,
    InteractionKind,
    Level,
    Sentiment,
    Strength,
)
from kam.teams.models import READ_ONLY_FOR_TEAMS

# Who may do what: the account's team keeps its map and logs its interactions (scope narrows to their accounts);
# sponsors log interactions too (they meet the client's executives); viewers read.
STAKEHOLDER_PERMISSIONS = {
    Role.ADMIN: frozenset(ACTIONS),
    Role.PROGRAMME_LEAD: frozenset(ACTIONS),
    Role.KEY_ACCOUNT_MANAGER: frozenset(ACTIONS),
    Role.EXECUTIVE_SPONSOR: frozenset({VIEW}),
    Role.VIEWER: frozenset({VIEW}),
}
INTERACTION_PERMISSIONS = {**STAKEHOLDER_PERMISSIONS, Role.EXECUTIVE_SPONSOR: frozenset(ACTIONS)}

# What a ContactState remembers (the fields the map shows).
TRACKED_FIELDS = (
    "account_id",
    "first_name",
    "last_name",
    "title",
    "business_unit",
    "reports_to_id",
    "dotted_line_to_id",
    "buying_role",
    "attitude",
    "influence",
    "level",
    "relationship_owner_id",
    "relationship_now",
    "relationship_desired",
    "left_on",
)


class Contact(AccountScopedModel):
    """A person at a customer."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    title = models.CharField("job title", max_length=200, blank=True)
    business_unit = models.CharField(max_length=200, blank=True, help_text="Their business unit or department.")
    location = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports", help_text="Their manager."
    )
    dotted_line_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dotted_reports",
        help_text="A second, functional manager (a dotted line on the map).",
    )
    buying_role = models.CharField(max_length=20, choices=BuyingRole.choices, blank=True)
    attitude = models.CharField(max_length=12, choices=Attitude.choices, default=Attitude.NEUTRAL)
    influence = models.CharField(max_length=8, choices=Influence.choices, default=Influence.MEDIUM)
    level = models.CharField(
        max_length=12, choices=Level.choices, default=Level.OPERATIONAL, help_text="How senior the person is."
    )
    relationship_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
        help_text="Who of ours holds the relationship.",
    )
    relationship_now = models.PositiveSmallIntegerField(
        "relationship today", choices=Strength.choices, default=Strength.NONE
    )
    relationship_desired = models.PositiveSmallIntegerField(
        "relationship wanted", choices=Strength.choices, default=Strength.ACQUAINTED
    )
    left_on = models.DateField(
        null=True, blank=True, help_text="The day they left the company; their place stays on the map, vacant."
    )
    notes = models.TextField(blank=True)
    external_id = models.CharField(
        max_length=64, blank=True, help_text="The contact's id in the CRM export it was imported from."
    )

    permission_actions = STAKEHOLDER_PERMISSIONS

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["account", "last_name"]), models.Index(fields=["external_id"])]
        constraints = [
            models.CheckConstraint(condition=~Q(reports_to=models.F("pk")), name="contact_not_own_manager"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def has_left(self) -> bool:
        return self.left_on is not None

    def get_absolute_url(self):
        return reverse("accounts:account", args=[self.account_id]) + "?tab=stakeholders"


class ContactState(models.Model):
    """What the map showed of a contact from `valid_from` until `valid_to` (open: still so). Written by
    kam.stakeholders.services with every change of a tracked field; read by `services.map_as_of`."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="states")
    group = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", help_text="The customer (top-level account) it belongs to."
    )
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    title = models.CharField(max_length=200, blank=True)
    business_unit = models.CharField(max_length=200, blank=True)
    # Plain ids, not foreign keys: the history stays as it was even when a person is deleted later.
    reports_to_contact_id = models.IntegerField(null=True, blank=True)
    dotted_line_to_contact_id = models.IntegerField(null=True, blank=True)
    buying_role = models.CharField(max_length=20, choices=BuyingRole.choices, blank=True)
    attitude = models.CharField(max_length=12, choices=Attitude.choices)
    influence = models.CharField(max_length=8, choices=Influence.choices)
    level = models.CharField(max_length=12, choices=Level.choices)
    relationship_owner_user_id = models.IntegerField(null=True, blank=True)
    relationship_now = models.PositiveSmallIntegerField(choices=Strength.choices)
    relationship_desired = models.PositiveSmallIntegerField(choices=Strength.choices)
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["contact_id", "valid_from"]
        indexes = [models.Index(fields=["group", "valid_from"])]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(valid_to__isnull=True), name="one_open_state_per_contact"
            )
        ]

    def __str__(self):
        return f"{self.name} from {self.valid_from:%Y-%m-%d %H:%M}"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Interaction(AccountScopedModel):
    """A meeting, call, e-mail, visit, event or review with people of the customer."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=10, choices=InteractionKind.choices, default=InteractionKind.MEETING)
    occurred_on = models.DateField("date")
    level = models.CharField(max_length=12, choices=Level.choices, default=Level.OPERATIONAL)
    subject = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    next_steps = models.TextField(blank=True, help_text="What happens next; each line can become a plan action.")
    contacts = models.ManyToManyField(Contact, related_name="interactions", help_text="Their side.")
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="client_interactions", blank=True, help_text="Our side."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    permission_actions = INTERACTION_PERMISSIONS

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        indexes = [models.Index(fields=["account", "-occurred_on"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_on:%Y-%m-%d}: {self.subject}"

    def get_absolute_url(self):
        return reverse("accounts:account", args=[self.account_id]) + "?tab=stakeholders"


class ProgrammeRule(KamModel):
    """Programme-wide settings: the programme lead's to change, everyone's to read."""

    permission_actions = READ_ONLY_FOR_TEAMS

    class Meta:
        abstract = True

    @classmethod
    def scope_filter(cls, user):
        return Q()


class CoverageRule(ProgrammeRule):
    """A relationship the programme expects on the key accounts of a segment (blank: every segment)."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=CoverageRuleKind.choices)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True, help_text="Blank: every segment.")
    attitude = models.CharField(max_length=12, choices=Attitude.choices, blank=True)
    buying_role = models.CharField(max_length=20, choices=BuyingRole.choices, blank=True)
    team_role = models.CharField(
        max_length=32, blank=True, help_text="A role of the team role catalogue, e.g. executive_sponsor."
    )
    min_strength = models.PositiveSmallIntegerField(
        choices=Strength.choices, default=Strength.NONE, help_text="The relationship the owner must have at least."
    )
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["segment", "name"]

    def __str__(self):
        return self.name


class CadenceRule(ProgrammeRule):
    """How often the people of a segment's key accounts (in a buying role, or any) must be met: a contact is overdue
    when their last interaction (or their arrival on the map) is more than `days` ago."""

    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True, help_text="Blank: every segment.")
    buying_role = models.CharField(
        max_length=20, choices=BuyingRole.choices, blank=True, help_text="Blank: every contact."
    )
    days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(730)])
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["segment", "buying_role"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "buying_role"], name="one_cadence_per_segment_and_role")
        ]

    def __str__(self):
        who = BuyingRole(self.buying_role).label.lower() + "s" if self.buying_role else "every contact"
        where = Segment(self.segment).label if self.segment else "every segment"
        return f"{where}: {who} every {self.days} days"
