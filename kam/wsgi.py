import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
application = get_wsgi_application()

# Build the OpenAPI schema while the worker starts (about 0.2 s), not in the first request for it.
from kam.api import api  # noqa: E402 — needs the application set up above

api.get_openapi_schema()
