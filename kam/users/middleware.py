from kam.users.models import ApiToken


class ApiTokenMiddleware:
    """Signs in API calls that carry `Authorization: Bearer kam_…`. Only under /api/, so a token can never
    open the HTML pages; session users keep working as before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.auth_token = None
        if request.path.startswith("/api/"):
            header = request.headers.get("Authorization", "")
            scheme, _, raw = header.partition(" ")
            if scheme.lower() == "bearer" and raw:
                token = ApiToken.authenticate(raw.strip())
                if token is not None:
                    request.user = token.user
                    request.auth_token = token
                else:
                    from django.contrib.auth.models import AnonymousUser

                    request.user = AnonymousUser()
                    request.auth_token_invalid = True
        return self.get_response(request)
