"""In-app notifications: what KAM tells one person (an escalation reached them, a request was assigned). E-mail and
webhooks come with the notifications issue; they will read the same rows."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from kam.core.models import KamModel
from kam.core.roles import Role


class Notification(KamModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    account = models.ForeignKey("accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Where the notification leads (a page of KAM).")
    read_at = models.DateTimeField(null=True, blank=True)

    personal = True  # kam.core.permissions: nobody else's inbox, whatever the role
    permission_actions = {role: frozenset({"view", "change"}) for role in Role}  # read and mark read, nothing more

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="notification_inbox")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("notifications:inbox")

    @classmethod
    def scope_filter(cls, user):
        return Q(user=user)

    @property
    def audit_account_id(self):
        return self.account_id
