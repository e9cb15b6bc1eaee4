"""The REST API at /api/v1/: one NinjaAPI, one error format, the same permission choke point as the pages."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from kam.core.services import StaleObject


class TokenAuth(HttpBearer):
    """`Authorization: Bearer kam_…` — the token is resolved by ApiTokenMiddleware, which also attributes
    the request's changes to the token's owner in the audit trail."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        if getattr(request, "auth_token", None) is not None:
            return request.user
        return None


class KamAPI(NinjaAPI):
    """The schema is the same for every request once the routers are mounted: built once per path prefix (about
    0.2 s each time with every app's operations) instead of on every request to /openapi.json."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        cache = self.__dict__.setdefault("_schema_cache", {})
        if path_prefix not in cache:
            cache[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return cache[path_prefix]


api = KamAPI(
    title="KAM API",
    version="1",
    description="Key Account Management. Authenticate with a personal token (Profile → API tokens) sent as "
    "`Authorization: Bearer <token>`, or with the browser session (CSRF token required for writes). "
    'Errors always have the shape `{"detail": "…", "errors": [{"field": "…", "message": "…"}]}`.',
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)


def error(request, status, detail, errors=None):
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(NinjaValidationError)
def on_invalid_input(request, exc):
    errors = []
    for item in exc.errors:
        location = [
            str(part) for part in item.get("loc", []) if part not in ("body", "query", "path", "payload", "filters")
        ]
        errors.append({"field": ".".join(location), "message": item.get("msg", "invalid")})
    return error(request, 422, "The request has invalid fields.", errors)


@api.exception_handler(ValidationError)
def on_domain_validation(request, exc):
    if hasattr(exc, "error_dict"):
        errors = [{"field": f, "message": m} for f, messages in exc.message_dict.items() for m in messages]
    else:
        errors = [{"field": "", "message": m} for m in exc.messages]
    return error(request, 422, "The request has invalid fields.", errors)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error(request, 404, "Not found.")


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return error(request, 403, str(exc) or "Your role may not do this.")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return error(request, 401, "Authentication required: send a valid API token or sign in.")


@api.exception_handler(StaleObject)
def on_stale(request, exc):
    return error(request, 412, str(exc), [{"field": "version", "message": f"current version is {exc.current_version}"}])


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return error(request, exc.status_code, str(exc))


from kam.accounts.api import router as accounts_router  # noqa: E402
from kam.charters.api import router as charters_router  # noqa: E402
from kam.notifications.api import router as notifications_router  # noqa: E402
from kam.plans.api import router as plans_router  # noqa: E402
from kam.plans.whitespace_api import router as whitespace_router  # noqa: E402
from kam.selection.api import router as selection_router  # noqa: E402
from kam.servicelevels.api import router as servicelevels_router  # noqa: E402
from kam.stakeholders.api import router as stakeholders_router  # noqa: E402
from kam.teams.api import router as teams_router  # noqa: E402
from kam.users.api import router as users_router  # noqa: E402

api.add_router("/", accounts_router)
api.add_router("/", users_router)
api.add_router("/selection/", selection_router)
api.add_router("/", teams_router)
api.add_router("/", charters_router)
api.add_router("/", servicelevels_router)
api.add_router("/", notifications_router)
api.add_router("/", plans_router)
api.add_router("/", stakeholders_router)
api.add_router("/", whitespace_router)
