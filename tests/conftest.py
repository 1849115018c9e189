"""Shared fixtures, and the guard that keeps every test on this machine."""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests import factories
from tests.harness import schema

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):  # unix socket path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded(real):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise ConnectionRefusedError(f"tests may not reach outside this machine (tried {address!r})")
        return real(self, address)

    return connect


def _local_getaddrinfo(host, *args, **kwargs):
    """Name lookups would ask a DNS server outside: only literal addresses and localhost resolve."""
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and name != "localhost":
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, f"tests do not resolve names ({name!r})") from None
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _no_network_outside_loopback():
    """Tests never reach the internet: any non-loopback connection or DNS lookup fails loudly."""
    socket.socket.connect = _guarded(_real_connect)
    socket.socket.connect_ex = _guarded(_real_connect_ex)
    socket.getaddrinfo = _local_getaddrinfo
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex
    socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(scope="session")
def _media_roots(tmp_path_factory):
    """One folder holding every test's media folder; the numbers keep the tests apart."""
    return tmp_path_factory.mktemp("media"), itertools.count()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, _media_roots):
    """A media folder of the test's own, not yet made (as `tmp_path / "media"` was).  Not under
    `tmp_path` itself: making one for every test of a run (a numbered folder and a symlink to
    the latest) costs ~1 ms of CPU each, ~8 CPU-s a CI run, where a name costs nothing."""
    folder, numbers = _media_roots
    settings.MEDIA_ROOT = str(folder / f"media-{next(numbers)}")


@pytest.fixture
def alice(db):
    return factories.person("alice")


@pytest.fixture
def bob(db):
    return factories.person("bob")


@pytest.fixture
def carol(db):
    return factories.person("carol")


@pytest.fixture
def dave(db):
    return factories.person("dave")


# ---- real pod processes: `kith` commands and scripts run as subprocesses ------------------
# Used by tests/test_cli.py and tests/test_fanout_kill.py.  Each pod gets its own data dir
# (SQLite file and job queue) and, when KITH_TEST_DATABASE_URL is set, its own PostgreSQL
# database, cloned from a migrated template made once per test process.

REPO_ROOT = Path(__file__).resolve().parent.parent
PROCESS_TIMEOUT = 90  # seconds any one subprocess may take
TEST_SECRET_KEY = "pod-process-test-secret-key-0123456789abcdef"


def _pg_admin_url() -> str | None:
    return os.environ.get("KITH_TEST_DATABASE_URL") or None


def _pg_url_for(name: str) -> str:
    parts = urlsplit(_pg_admin_url())
    return urlunsplit(parts._replace(path=f"/{name}"))


def _pg_execute(sql: str, attempts: int = 20) -> None:
    """Run one statement on the PostgreSQL server; retried while the database is busy
    (autovacuum may visit a template database just as it is being cloned)."""
    import psycopg

    for attempt in range(attempts):
        try:
            with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
                conn.execute(sql)
            return
        except psycopg.errors.ObjectInUse:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


def _pod_environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KITH_") and key not in ("DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER")
        # Kept bytecode even where the shell turned it off, as tests/harness/pod.py's pods:
        # each `kith` command would compile Kith's modules again (~0.35 CPU-s).
        and key != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        KITH_DATA_DIR=str(data_dir),
        KITH_SECRET_KEY=TEST_SECRET_KEY,
        KITH_LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO_ROOT),
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["KITH_DATABASE_URL"] = database_url
    return env


def wait_until(predicate, *, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class Pod:
    """One pod on disk, driven through real processes: `kith ...` and Django scripts."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.env = _pod_environment(data_dir, database_url)
        self._started: list[tuple[subprocess.Popen, Path]] = []

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "kith.sqlite3"

    def _env(self, extra_env: dict[str, str] | None) -> dict[str, str]:
        return {**self.env, **(extra_env or {})}

    def kith(self, *args: str, input: str | None = None, extra_env: dict[str, str] | None = None,
             timeout: float = PROCESS_TIMEOUT) -> subprocess.CompletedProcess:
        """Run `kith ARGS` to completion; returns the CompletedProcess (text output)."""
        return subprocess.run(
            [sys.executable, "-m", "kith.cli", *args], env=self._env(extra_env), cwd=self.data_dir,
            input=input if input is not None else "", capture_output=True, text=True, timeout=timeout,
        )

    def script(self, code: str, extra_env: dict[str, str] | None = None, timeout: float = PROCESS_TIMEOUT) -> str:
        """Run Python `code` with Django set up on kith.settings; returns its stdout, fails on error."""
        prelude = "import django, os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'kith.settings'\ndjango.setup()\n"
        done = subprocess.run(
            [sys.executable, "-c", prelude + textwrap.dedent(code)], env=self._env(extra_env), cwd=self.data_dir,
            capture_output=True, text=True, timeout=timeout,
        )
        assert done.returncode == 0, f"script failed ({done.returncode}):\n{done.stderr}"
        return done.stdout

    def start(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start `kith ARGS` in its own process group; stopped at teardown if still running."""
        log_path = self.data_dir / f"{args[0]}-{len(self._started)}.log"
        log = open(log_path, "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "kith.cli", *args], env=self._env(extra_env), cwd=self.data_dir,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        self._started.append((proc, log_path))
        return proc

    def log_of(self, proc: subprocess.Popen) -> str:
        for started, path in self._started:
            if started is proc:
                return path.read_text(errors="replace")
        return ""

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig` to the process group and wait (bounded); returns the exit code."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                pytest.fail(f"`kith` pid {proc.pid} did not stop within {timeout}s of {sig!r}:\n{self.log_of(proc)}")
        return proc.returncode

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the pod's database directly (use ? placeholders)."""
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, autocommit=True) as conn:
                return list(conn.execute(sql.replace("?", "%s"), params).fetchall())
        conn = sqlite3.connect(self.sqlite_path, timeout=30)
        try:
            return list(conn.execute(sql, params).fetchall())
        finally:
            conn.close()

    def close(self) -> None:
        for proc, _path in self._started:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


class _PodTemplate:
    """Fills a `make_pod` pod's database: a copy of the run's migrated schema (tests/harness/schema.py)."""

    def clone(self, data_dir: Path, migrated: bool) -> str | None:
        """Fill `data_dir` (and a new PostgreSQL database); returns its database URL or None."""
        if _pg_admin_url():
            name = f"kith_pod_{uuid.uuid4().hex[:10]}"
            if migrated:
                schema.clone_postgres(_pg_admin_url(), schema.postgres_schema(_pg_admin_url()), name)
            else:
                _pg_execute(f'CREATE DATABASE "{name}"')
            return _pg_url_for(name)
        if migrated:
            source = sqlite3.connect(schema.sqlite_schema())
            target = sqlite3.connect(data_dir / "kith.sqlite3")
            with target:
                source.backup(target)
            source.close()
            target.close()
        return None


@pytest.fixture(scope="session")
def _pod_template():
    return _PodTemplate()


@pytest.fixture
def make_pod(_pod_template, tmp_path_factory):
    """make_pod(migrated=True) -> Pod: a fresh pod for subprocess tests, cleaned up afterwards."""
    pods: list[Pod] = []

    def make(migrated: bool = True) -> Pod:
        data_dir = tmp_path_factory.mktemp("pod")
        pod = Pod(data_dir, _pod_template.clone(data_dir, migrated))
        pods.append(pod)
        return pod

    yield make
    for pod in pods:
        pod.close()
        if pod.database_url:
            name = urlsplit(pod.database_url).path.lstrip("/")
            _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Tests marked `server` in one module run on one xdist worker: they share module-scoped pods, which are costly to start, and some
    follow on from each other (a follow made in one test, used by the next).

    Seen here: under loadgroup a multi-pod module was still split over two workers, so
    `make test` uses --dist loadfile, which keeps every module on one worker; the group
    markers stay for anyone running with loadgroup."""
    for item in items:
        if item.get_closest_marker("server") and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


# ---- costly modules first -----------------------------------------------------------------
# `make test` runs `pytest -n 2 --dist loadfile`: each module goes whole to one xdist
# worker, in the order the workers collected them (pytest_configure below turns off xdist's
# own reorder by test count, which put one-test modules like the property test last).  Longest first keeps
# a costly module from starting last and leaving one worker idle while the other finishes
# it.  Seconds per module (the slower of a SQLite and a PostgreSQL run of `.ci/run`, both side
# by side on 2 cores, measured with --durations) for the modules above ~35 s; any other
# module counts 0.02 s a test.
# Only the order changes: nothing is skipped, and a module's own tests keep their order.
MODULE_SECONDS = {
    "tests/visibility/test_property.py": 710,
    "tests/visibility/test_matrix.py": 609,
    "tests/federation/test_crash_delivery.py": 487,
    "tests/browser/test_pages.py": 469,
    "tests/federation/test_multipod.py": 384,
    "tests/test_cli.py": 332,
    "tests/test_bench.py": 265,
    "tests/api/test_streaming.py": 238,
    "tests/web/test_queries.py": 215,
    "tests/browser/test_first_hour.py": 196,
    "tests/api/test_visibility_walk.py": 152,
    "tests/test_soak.py": 144,
    "tests/web/test_aspect_stream.py": 129,
    "tests/federation/inbox/test_adversarial.py": 128,
    "tests/api/test_discovery.py": 122,
    "tests/api/test_statuses.py": 119,
    "tests/browser/test_journeys.py": 116,
    "tests/domain/test_query_counts.py": 114,
    "tests/fuzz/test_db_api.py": 109,
    "tests/browser/test_everyday.py": 109,
    "tests/domain/test_streams.py": 96,
    "tests/api/test_query_counts.py": 88,
    "tests/web/test_login_throttle.py": 87,
    "tests/api/test_mastodon_py.py": 83,
    "tests/api/test_accounts.py": 80,
    "tests/api/test_toot.py": 77,
    "tests/federation/test_multipod_moderation.py": 75,
    # Moderation's modules with real pods (session 8 estimates under CI load; refresh when measured).
    "tests/federation/test_multipod_domains.py": 110,
    "tests/test_cli_moderation.py": 80,
    "tests/browser/test_moderation.py": 70,
    "tests/browser/test_staff_pages.py": 70,
    "tests/api/test_mastodon_py_admin.py": 60,
    "tests/api/test_mastodon_py_admin_accounts.py": 50,
    "tests/api/test_mastodon_py_admin_domains.py": 50,
    "tests/test_search.py": 77,
    "tests/web/test_posts.py": 73,
    "tests/browser/test_aspect_stream.py": 67,
    "tests/api/test_review_findings.py": 63,
    "tests/web/test_htmx.py": 52,
    "tests/federation/test_remote_profiles.py": 49,
    "tests/fuzz/test_nodb_text.py": 49,
    "tests/federation/test_suspension.py": 55,
    "tests/domain/test_notifications.py": 47,
    "tests/domain/test_posts.py": 45,
    "tests/api/test_notifications.py": 44,
    "tests/api/test_openapi.py": 43,
    "tests/api/test_foundation.py": 42,
    "tests/web/test_notifications.py": 40,
    "tests/api/test_oauth.py": 39,
    "tests/api/test_relationships.py": 39,
    "tests/interop/test_fedify.py": 38,
    "tests/api/test_timelines.py": 38,
    "tests/web/test_people.py": 36,
    "tests/domain/test_interactions.py": 36,
    "tests/domain/test_graph.py": 35,
    "tests/federation/test_multipod_profiles.py": 35,
}


class _CostlyModulesFirst:
    @pytest.hookimpl(trylast=True)  # after pytest-django's own reordering
    def pytest_collection_modifyitems(self, config, items):
        if not os.environ.get("PYTEST_XDIST_WORKER"):
            return  # a plain run keeps pytest's order
        modules: dict[str, list] = {}
        for item in items:
            modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

        def seconds(module: str) -> float:
            return MODULE_SECONDS.get(module, 0.02 * len(modules[module]))

        items[:] = [item for module in sorted(modules, key=seconds, reverse=True) for item in modules[module]]


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        schema.share_run_id(config)
    config.pluginmanager.register(_CostlyModulesFirst(), "kith-costly-modules-first")
    if hasattr(config.option, "loadscopereorder"):  # xdist's --no-loadscope-reorder
        config.option.loadscopereorder = False


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On PostgreSQL, pytest-django's test database is a copy of the run's migrated schema (its
    `migrate` then finds nothing to do): no worker migrates one of its own."""
    from django.conf import settings

    if base := _pg_admin_url():
        settings.DATABASES["default"].setdefault("TEST", {})["TEMPLATE"] = schema.postgres_schema(base)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """The test database, set up; then the flush after each transactional test skips the
    `post_migrate` signal's content types and permissions.  That flush keeps their tables
    (tests/flush_kept.py), so the signal would only read them all again to find nothing to
    write: ~0.1 CPU-s per transactional test."""
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.db.models.signals import post_migrate

    post_migrate.disconnect(create_contenttypes)
    post_migrate.disconnect(create_permissions, dispatch_uid="django.contrib.auth.management.create_permissions")
    yield
    post_migrate.connect(create_contenttypes)
    post_migrate.connect(create_permissions, dispatch_uid="django.contrib.auth.management.create_permissions")


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput"):  # the run's controller (or a run without xdist), last out
        schema.remove()
