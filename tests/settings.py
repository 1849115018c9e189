"""Test settings: the production settings with a throwaway data dir and fast hashing.

KITH_TEST_DATABASE_URL switches the suite to PostgreSQL (each xdist worker gets
its own test database, named by pytest-django).
"""

import os
import tempfile

os.environ.setdefault("KITH_DATA_DIR", tempfile.mkdtemp(prefix="kith-test-"))
os.environ.setdefault("KITH_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("KITH_URL", "http://testserver")
if test_database := os.environ.get("KITH_TEST_DATABASE_URL"):
    os.environ["KITH_DATABASE_URL"] = test_database
os.environ.pop("KITH_REDIS_URL", None)

from kith.settings import *  # noqa: F403
from kith.settings import ALLOWED_HOSTS, DATABASES

ALLOWED_HOSTS += ["testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Jobs run synchronously inside the test process (after commit, like production).
KITH_JOBS_IMMEDIATE = True
# Sizes small enough that tests exercise the worker path, not only the inline one.
KITH_INLINE_FANOUT_LIMIT = 5
KITH_FANOUT_BATCH_SIZE = 7
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": None}  # in-memory
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
KITH_PREGENERATE_KEYS = False  # keys are made on first use; 2048-bit generation is slow
