"""Settings for the test suite: the production settings with a throw-away key and plain static files.
The database comes from KAM_DATABASE_URL as always (SQLite by default, PostgreSQL in CI's second run)."""

import os

os.environ.setdefault("KAM_TESTING", "1")
os.environ.setdefault("KAM_HTTPS", "0")

from kam.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405 - speed only

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
