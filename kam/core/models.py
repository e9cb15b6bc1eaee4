"""The base every user-facing model subclasses: timestamps, a version for optimistic concurrency, the
restricted manager (kam.core.permissions) and change logging into the audit trail (kam.audit)."""

from django.db import models

from kam.core.permissions import RestrictedQuerySet


def snapshot(instance) -> dict:
    """A JSON-ready picture of the object's stored fields, as the audit trail keeps it."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in instance.audit_exclude:
            continue
        value = field.value_from_object(instance)
        if value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        data[field.attname if field.is_relation else field.name] = value
    return data


class KamModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False, help_text="Grows by one with every change.")

    objects = RestrictedQuerySet.as_manager()

    # Fields left out of audit snapshots (noise that changes on every save).
    audit_exclude = frozenset({"created_at", "updated_at", "version"})

    class Meta:
        abstract = True

    @classmethod
    def scope_filter(cls, user):
        raise NotImplementedError(f"{cls.__name__} must say which objects a team member sees")

    @property
    def audit_account_id(self):
        """The account whose activity feed shows changes of this object (None: none)."""
        return None

    def save(self, *args, **kwargs):
        from kam.audit.services import record_change

        adding = self._state.adding
        before = self._stored_snapshot() if not adding else None
        if not adding:
            self.version = (self.version or 0) + 1
        super().save(*args, **kwargs)
        after = snapshot(self)
        if adding or before != after:
            record_change(self, "create" if adding else "update", before, after)
        self._stored_state = after

    def delete(self, *args, **kwargs):
        from kam.audit.services import record_change

        before = self._stored_snapshot()
        record_change(self, "delete", before, None)
        return super().delete(*args, **kwargs)

    def _stored_snapshot(self):
        stored = getattr(self, "_stored_state", None)
        if stored is not None:
            return stored
        # The values as they are in the database now (one query): the true "before" even for stale instances.
        fresh = type(self)._base_manager.filter(pk=self.pk).first()
        return snapshot(fresh) if fresh is not None else None


class WorkerHeartbeat(models.Model):
    """Each running `kam worker` touches its row every few seconds; a task left RUNNING by a worker whose
    heartbeat stopped (killed, machine lost) is put back in the queue."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    last_seen = models.DateTimeField()

    def __str__(self):
        return self.worker_id


class ScheduledRun(models.Model):
    """One row per periodic job and time slot. The unique constraint is what makes several schedulers safe:
    only the instance whose INSERT wins enqueues the job for that slot."""

    job = models.CharField(max_length=100)
    slot = models.CharField(max_length=32, help_text="The period this run covers, e.g. 2026-11-28T06 for hourly.")
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_job_and_slot")]
        ordering = ["-enqueued_at"]

    def __str__(self):
        return f"{self.job} @ {self.slot}"
