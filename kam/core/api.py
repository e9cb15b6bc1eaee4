"""Helpers every domain router uses: the error schema, restricted lookups and list filtering."""

from collections.abc import Callable
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404
from ninja import Schema
from ninja.errors import HttpError
from pydantic import field_validator

from kam.core.permissions import require


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {**ERRORS, 409: ErrorOut, 412: ErrorOut, 428: ErrorOut}


BIGINT = 2**63  # the databases' integers: a larger id overflows the driver (a 500) instead of finding nothing


class InputSchema(Schema):
    """Base for request bodies: what the database cannot store is refused with a field error — text with NUL
    characters (PostgreSQL), integers beyond 64 bits (both databases' drivers)."""

    @field_validator("*", mode="after")
    @classmethod
    def storable(cls, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL (0x00) characters")
        if isinstance(value, int) and not isinstance(value, bool) and not -BIGINT <= value < BIGINT:
            raise ValueError("is out of range")
        return value


def stored_id(value: int) -> int:
    """An id from a URL, if the databases can hold it; a larger one (or 0, or negative) is simply not found (404) —
    handed to the driver it would overflow (a 500)."""
    if not 0 < value < BIGINT:
        raise Http404
    return value


def restricted(request, model, action):
    """The permission choke point for API handlers: 403 if the role may not, else the scoped queryset."""
    require(request.user, action, model)
    return model.objects.restrict(request.user, action)


def get_restricted(request, model, action, pk):
    obj = restricted(request, model, action).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def filtered(request, filterset_class, queryset, filters: Schema):
    params = {k: v for k, v in filters.dict().items() if v not in (None, "")}
    filterset = filterset_class(params, queryset=queryset)
    if not filterset.is_valid():
        raise HttpError(422, "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()))
    return filterset.qs


def expected_version(request, body_version: int | None) -> int:
    """The version the client last read: If-Match: "<version>" or the body's `version`. One is required."""
    header = request.headers.get("If-Match", "").strip()
    if header:
        text = header.removeprefix("W/").strip('"')
        if not text.isdigit():
            raise HttpError(412, 'If-Match must be the ETag you read, e.g. "3".')
        return int(text)
    if body_version is not None:
        return body_version
    raise HttpError(428, "Send the version you read (If-Match header or `version` field) so no change is lost.")


def etag(obj) -> str:
    return f'"{obj.version}"'


@contextmanager
def api_field_names(rename: Callable[[str], str] | None = None, **names):
    """The services name fields as the models and forms do (`user`, `assignee`, `section_overview`); the API names
    them as its request bodies do (`user_id`, `assignee_id`, `sections.overview`). Renames the fields of a
    ValidationError raised inside, by `names` or the `rename` function; errors that concern no field get ""."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        renamed = {}
        for field, messages in error.message_dict.items():
            if field == NON_FIELD_ERRORS:
                key = ""
            else:
                key = names.get(field, rename(field) if rename else field)
            renamed.setdefault(key, []).extend(messages)
        raise ValidationError(renamed) from None


def optional_version(request, body_version: int | None) -> int | None:
    """If-Match or `version`, when the client sends one: then a stale write is refused (412); without one the write
    is not checked (operations whose effect does not depend on what the client read)."""
    if request.headers.get("If-Match", "").strip() or body_version is not None:
        return expected_version(request, body_version)
    return None


def refuse_nulls(data: dict, *names: str):
    """A PATCH may leave a field out, but not send null for one that cannot be empty."""
    for name in names:
        if name in data and data[name] is None:
            raise ValidationError({name: "This field cannot be null."})
