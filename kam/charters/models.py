"""KAM charters (seed 000): the programme's charter template, each account's charter made from it, and the charter's
versions — every saved edit is one, and a signed version is frozen for good.

The charter row holds the working copy (ten sections and the structured customisation); each `CharterVersion` holds a
complete copy of the content as it was saved. Signing records who signed which version (our approver, the client's
signatory, the date); from then on that version cannot change or be deleted, and the next edit starts a new draft."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from kam.accounts.models import Account, AccountScopedModel
from kam.charters.choices import CharterStatus, MeetingCadence, VersionStatus
from kam.charters.defaults import default_sections
from kam.core.models import KamModel
from kam.core.permissions import ACTIONS, ADD, CHANGE, VIEW
from kam.core.roles import Role

SIGN_OFF = "sign_off"

# The structured customisation of an account's charter, each shown in the section it belongs to.
FIELD_SECTIONS = {
    "client_goals": "overview",
    "kpis": "overview",
    "meeting_cadence": "collaboration",
    "communication_preferences": "collaboration",
    "collaboration_tools": "technology",
    "other_tools": "technology",
    "client_responsibilities": "client_responsibilities",
}
CONTENT_FIELDS = tuple(FIELD_SECTIONS)


class CharterTemplate(KamModel):
    """The programme-wide template (one row): ten sections, each with a default Markdown text and guidance for writers.
    An account's charter copies the sections when it is created; later edits here change only new charters."""

    sections = models.JSONField(
        default=default_sections, help_text="[{key, number, title, body (Markdown), guidance}], in order."
    )

    # The programme lead and administrators write the template; everyone reads it.
    permission_actions = {
        Role.KEY_ACCOUNT_MANAGER: frozenset({VIEW}),
        Role.EXECUTIVE_SPONSOR: frozenset({VIEW}),
        Role.VIEWER: frozenset({VIEW}),
    }

    class Meta:
        ordering = ["pk"]
        verbose_name = "charter template"

    def __str__(self):
        return "Programme charter template"

    def get_absolute_url(self):
        return reverse("charters:template")

    @classmethod
    def scope_filter(cls, user):
        return Q()

    @classmethod
    def current(cls) -> "CharterTemplate":
        """The stored template, or the shipped defaults (unsaved) where the row is missing."""
        template = cls.objects.order_by("pk").first()
        return template if template is not None else cls(sections=default_sections())

    def section(self, key: str) -> dict | None:
        return next((s for s in self.sections if s.get("key") == key), None)


class Charter(AccountScopedModel):
    """An account's charter: the template's ten sections as this account's team wrote them, plus what is particular to
    the client (goals, KPIs, how and how often the teams meet, the tools they share, what the client does)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="charter")
    status = models.CharField(max_length=16, choices=CharterStatus.choices, default=CharterStatus.DRAFT)
    sections = models.JSONField(default=list, help_text="[{key, number, title, body (Markdown)}], in order.")
    client_goals = models.TextField(
        "client-specific goals", blank=True, help_text="What the client wants to achieve with us (Markdown)."
    )
    kpis = models.JSONField("KPIs", default=list, blank=True, help_text="[{name, target, measure}]")
    meeting_cadence = models.CharField(
        "meeting rhythm",
        max_length=16,
        choices=MeetingCadence.choices,
        blank=True,
        help_text="How often the key account manager and the client meet.",
    )
    communication_preferences = models.TextField(
        blank=True, help_text="Channels, contacts, languages, hours, report recipients (Markdown)."
    )
    collaboration_tools = models.JSONField(default=list, blank=True, help_text="Keys of the tools both teams use.")
    other_tools = models.CharField(max_length=300, blank=True, help_text="Other tools, in words.")
    client_responsibilities = models.TextField(
        blank=True, help_text="What was agreed with this client about their part (Markdown)."
    )
    latest_number = models.PositiveIntegerField(default=0, help_text="The number of the newest version.")
    signed_version = models.ForeignKey(
        "CharterVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    # Who may edit follows the account (the programme lead, administrators, the key account managers on its team);
    # signing off is narrowed further to the account's own key account manager (kam.charters.services.may_sign_off).
    permission_actions = {
        Role.ADMIN: frozenset({*ACTIONS, SIGN_OFF}),
        Role.PROGRAMME_LEAD: frozenset({*ACTIONS, SIGN_OFF}),
        Role.KEY_ACCOUNT_MANAGER: frozenset({VIEW, ADD, CHANGE, SIGN_OFF}),
        Role.EXECUTIVE_SPONSOR: frozenset({VIEW}),
        Role.VIEWER: frozenset({VIEW}),
    }

    class Meta:
        ordering = ["account__name", "account__account_number"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self):
        return f"Charter of {self.account}"

    def get_absolute_url(self):
        return reverse("accounts:account", args=[self.account_id]) + "?tab=charter"

    def content(self) -> dict:
        """The working copy as a version stores it (without the commitments, which come from the service levels)."""
        return {
            "sections": [
                {"key": s["key"], "number": s["number"], "title": s["title"], "body": s["body"]} for s in self.sections
            ],
            **{name: getattr(self, name) for name in CONTENT_FIELDS},
        }

    @property
    def has_draft_after_signing(self) -> bool:
        return self.signed_version_id is not None and self.status == CharterStatus.DRAFT


class CharterVersion(AccountScopedModel):
    """One saved state of a charter (1, 2, …) with its full content, who saved it and why; and, once signed, who
    signed it and when. Versions are never edited; a signed one cannot change or be deleted at all."""

    charter = models.ForeignKey(Charter, on_delete=models.CASCADE, related_name="versions")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    content = models.JSONField(help_text="Sections, fields, and (when signed) the commitments and account as signed.")
    note = models.CharField(max_length=300, blank=True, help_text="What changed, in a few words.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="our approver",
    )
    client_signatory_name = models.CharField("client signatory", max_length=200, blank=True)
    client_signatory_title = models.CharField("client signatory's title", max_length=200, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True, help_text="When the sign-off was recorded.")

    # Versions are written by the charter's services only; through the API and pages they are read.
    permission_actions = {role: frozenset({VIEW}) for role in Role.values}
    # The content is the version itself (never changed once written) and the charter's own audit records each
    # change of it: the version's audit records who wrote and who signed what, without the whole text again.
    audit_exclude = KamModel.audit_exclude | {"content"}

    class Meta:
        ordering = ["charter", "-number"]
        constraints = [models.UniqueConstraint(fields=["charter", "number"], name="one_charter_version_per_number")]

    def __str__(self):
        return f"{self.charter.account} charter, version {self.number}"

    def get_absolute_url(self):
        return reverse("charters:version", args=[self.charter_id, self.number])

    @property
    def is_signed(self) -> bool:
        return self.signed_on is not None

    def status_in(self, charter: Charter) -> str:
        if self.signed_on is None:
            return VersionStatus.DRAFT
        return VersionStatus.SIGNED if charter.signed_version_id == self.pk else VersionStatus.SUPERSEDED

    @property
    def status(self) -> str:
        return self.status_in(self.charter)

    def get_status_display(self) -> str:
        return VersionStatus(self.status).label

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = type(self)._base_manager.filter(pk=self.pk).values("signed_on", "content", "number").first()
            if stored is not None:
                if stored["signed_on"] is not None:
                    raise ValidationError(f"Version {stored['number']} is signed: it is frozen and cannot change.")
                if stored["number"] != self.number or _editable(stored["content"]) != _editable(self.content):
                    raise ValidationError("A charter version keeps the content it was saved with: edit the charter.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if type(self)._base_manager.filter(pk=self.pk, signed_on__isnull=False).exists():
            raise ValidationError(f"Version {self.number} is signed: it is frozen and cannot be deleted.")
        return super().delete(*args, **kwargs)


def _editable(content: dict) -> dict:
    """The part of a version's content its author wrote; signing adds the commitments and account as signed."""
    return {k: v for k, v in (content or {}).items() if k not in ("commitments", "account")}
