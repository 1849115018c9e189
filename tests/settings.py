"""Test settings: the production settings with a throwaway data dir and fast hashing.

KITH_TEST_DATABASE_URL switches the suite to PostgreSQL (each xdist worker gets
its own test database, named by pytest-django).  The KITH_* variables that configure
a pod are ignored if set in the developer's shell, so a test run never touches a real
pod's data; the suite's own knobs (KITH_TEST_*, KITH_FUZZ_*, KITH_INTEROP_*, KITH_CRASH_*) are kept.
"""

import atexit
import os
import shutil
import tempfile

# Loaded before huey: a pod's process leaves redis out of huey when it keeps its jobs in SQLite
# (kith/jobs/queue.py `_import_huey`), but tests build Redis queues at run time as well
# (tests/test_jobs.py, tests/test_cli.py), which a pod never does.
import redis  # noqa: F401

# Knobs of the test suite itself, kept; every other KITH_* configures a pod and is dropped.
TEST_KNOBS = ("KITH_TEST_", "KITH_FUZZ_", "KITH_INTEROP_", "KITH_CRASH_")
for _name in [name for name in os.environ if name.startswith("KITH_") and not name.startswith(TEST_KNOBS)]:
    del os.environ[_name]
_data_dir = tempfile.mkdtemp(prefix="kith-test-")
atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
os.environ["KITH_DATA_DIR"] = _data_dir
os.environ["KITH_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["KITH_URL"] = "http://testserver"
if test_database := os.environ.get("KITH_TEST_DATABASE_URL"):
    os.environ["KITH_DATABASE_URL"] = test_database

from kith.settings import *  # noqa: E402,F403
from kith.settings import ALLOWED_HOSTS, DATABASES  # noqa: E402

ALLOWED_HOSTS += ["testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Jobs run synchronously inside the test process (after commit, like production).
KITH_JOBS_IMMEDIATE = True
# Sizes small enough that tests exercise the worker path, not only the inline one.
KITH_INLINE_FANOUT_LIMIT = 5
KITH_FANOUT_BATCH_SIZE = 7
if DATABASES["default"]["ENGINE"] == "kith.core.sqlite":
    # In memory, on Django's own backend: kith.core.sqlite's writer lock leaves in-memory
    # databases alone anyway (tests/test_sqlite_writer_lock.py tests it on a file; the pods
    # tests start use it), and pytest-django names xdist workers' databases by this name.
    # (tests/sqliteflush: Django's, with a cheaper flush between transactional tests.)  ":memory:"
    # is what Django makes of no name; spelled out, pytest-django leaves it alone for a backend
    # it does not know as SQLite's rather than naming it after the pod database's file.
    DATABASES["default"]["ENGINE"] = "tests.sqliteflush"
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
KITH_PREGENERATE_KEYS = False  # keys are made on first use; 2048-bit generation is slow
KITH_API_CHECK_RESPONSES = True  # every API response is also rendered through its schema and compared
KITH_EVENTS_RAISE = True  # a failing event consumer fails the test (production logs and goes on)
# The API's rate limit (kith/api/middleware.py) counts in the cache, which lives as long as the
# test process: high enough that no test meets it by accident (tests/api/test_oauth.py lowers it).
KITH_API_RATE_LIMIT = 1_000_000
# Sign-up logs straight in, as most tests expect; tests/web/test_accounts.py turns the pod's
# default (confirm the e-mail address first) back on where it tests it.
KITH_SIGNUP_CONFIRM_EMAIL = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Empties tables with DELETE, not TRUNCATE, between transactional tests (tests/pgflush).
    DATABASES["default"]["ENGINE"] = "tests.pgflush"
    # Test databases named per run (pytest-django adds _gw0, _gw1 for xdist workers): two runs on
    # one server (CI's, a developer's) would otherwise drop each other's test_<name>_gw0 mid-run.
    # Set here, in the controller, before xdist starts its workers, which inherit it.
    os.environ.setdefault("KITH_TEST_RUN_ID", f"{os.getpid()}")
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.environ['KITH_TEST_RUN_ID']}"}
