"""Write helpers shared by every domain's services: optimistic concurrency and field assignment."""

from django.db import transaction


class StaleObject(Exception):
    """The object changed since the caller read it: their update is refused so the other write survives."""

    def __init__(self, current_version):
        self.current_version = current_version
        super().__init__(
            f"This object was changed by someone else (now version {current_version}). Reload it and try again."
        )


def lock_for_update(instance, expected_version: int | None):
    """Re-read the row under a lock and compare versions; returns the locked, fresh instance."""
    fresh = type(instance)._base_manager.select_for_update().get(pk=instance.pk)
    if expected_version is not None and fresh.version != expected_version:
        raise StaleObject(fresh.version)
    return fresh


def assign(instance, data: dict):
    for name, value in data.items():
        setattr(instance, name, value)
    return instance


atomic = transaction.atomic
