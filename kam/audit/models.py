from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit records cannot be changed.")

    def delete(self):
        raise PermissionError("Audit records cannot be deleted.")


class ObjectChange(models.Model):
    """One create, update or delete of one object: who, when (UTC), through what, and the values before and
    after. Written in the same transaction as the change; never updated or deleted (a database trigger on
    PostgreSQL refuses it too)."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"

    time = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text="The actor's e-mail at the time, or 'system'.")
    request_id = models.CharField(max_length=64, db_index=True)
    source = models.CharField(max_length=16, help_text="web, api, import, admin, job, cli or system")
    action = models.CharField(max_length=8, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=300)
    # The account whose activity feed shows this change; a plain id so the record outlives the account.
    account_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-time"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit records cannot be deleted.")

    def get_absolute_url(self):
        return reverse("audit:change", args=[self.pk])

    @property
    def changed_fields(self):
        """[(field, before, after)] for the fields that differ."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
