"""Who is acting and under which request id: one context for the audit trail, set by the web middleware,
the API, the command line and background jobs alike."""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ChangeContext:
    actor_id: int | None
    actor_label: str
    request_id: str
    source: str  # web, api, import, admin, job, cli


_current: ContextVar[ChangeContext | None] = ContextVar("kam_change_context", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_context() -> ChangeContext:
    context = _current.get()
    if context is None:
        return ChangeContext(actor_id=None, actor_label="system", request_id=new_request_id(), source="system")
    return context


@contextmanager
def acting_as(user=None, *, source: str, request_id: str | None = None):
    """Attribute every change made inside the block to `user` (None = the system)."""
    label = user.email if user is not None and getattr(user, "pk", None) else "system"
    token = _current.set(
        ChangeContext(
            actor_id=user.pk if user is not None and getattr(user, "pk", None) else None,
            actor_label=label,
            request_id=request_id or new_request_id(),
            source=source,
        )
    )
    try:
        yield
    finally:
        _current.reset(token)
