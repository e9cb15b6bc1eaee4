import logging
import re
import time

from django.conf import settings
from django.contrib.auth import logout

from kam.core.context import ChangeContext, _current, new_request_id

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_request_id_for_logs = {"value": "-"}


class RequestIdMiddleware:
    """Gives each request an id (or keeps a sane X-Request-ID from the proxy) and echoes it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID_RE.match(incoming) else new_request_id()
        _request_id_for_logs["value"] = request.request_id
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _request_id_for_logs["value"]
        return True


class SessionTimeoutMiddleware:
    """Absolute session lifetime: the idle timeout is the cookie age, this ends a session however active it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session") and not request.auth_token:
            started = request.session.get("kam_started_at")
            now = int(time.time())
            if started is None:
                request.session["kam_started_at"] = now
            elif now - int(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)


class AuditContextMiddleware:
    """Attributes every change made while handling the request to the signed-in user and the request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        source = "api" if request.path.startswith("/api/") else "admin" if request.path.startswith("/admin/") else "web"
        token = _current.set(
            ChangeContext(
                actor_id=user.pk if authenticated else None,
                actor_label=user.email if authenticated else "anonymous",
                request_id=request.request_id,
                source=source,
            )
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
