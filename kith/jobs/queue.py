"""Builds the huey instance from settings: SQLite (embedded), Redis (scale-out) or immediate (tests)."""

from __future__ import annotations

import sqlite3
import sys

from django.conf import settings


def _import_huey() -> None:
    """Import huey without the client libraries of queues this process does not use.

    huey.storage imports redis and psycopg, when installed, for its Redis and PostgreSQL
    queues: ~0.25 CPU-s in every process that loads Kith (each pod process, each `kith`
    command), ~1/4 of setting Django up.  Kith never uses huey's PostgreSQL queue, and Redis
    only with KITH_REDIS_URL (read once, at start).  A name set to None in sys.modules makes
    its import fail, which huey expects of a library that is not installed; the names are
    taken out again at once, so any later `import redis` or `import psycopg` (Django's
    PostgreSQL backend, the streaming API's wake-ups) loads the real library.  huey is
    imported here first: Kith's modules take it (and `crontab`) from kith.jobs."""
    unused = ["psycopg"] if settings.KITH_REDIS_URL else ["psycopg", "redis"]
    hidden = [name for name in unused if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # "not installed", for this import only
    try:
        import huey  # noqa: F401
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


_import_huey()

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey  # noqa: E402 (after _import_huey)
from huey.storage import SqliteStorage  # noqa: E402


class QueueStorage(SqliteStorage):  # type: ignore[misc]  # huey ships no types: its classes are Any
    """huey's SQLite queue with the pod database's durability: WAL with synchronous=NORMAL.

    huey's default (synchronous=FULL) fsyncs at every enqueue: an inbox activity waited
    ~15 ms on the disk for ~4 ms of work, and concurrent requests queued behind each
    other's fsyncs (docs/performance.md).  NORMAL survives a crash of the pod; a power cut
    can lose the last enqueues, as it can the last commits of the pod database itself, and
    nothing depends on a job message alone: the sweeps re-enqueue from the pod's own rows
    (fan-outs, deliveries, pending inbound activities)."""

    def _create_connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class QueueHuey(SqliteHuey):  # type: ignore[misc]  # huey ships no types
    storage_class = QueueStorage


def queue_file() -> str:
    """Where the embedded (SQLite) queue lives: beside the pod's other data."""
    return str(settings.KITH_DATA_DIR / "queue.sqlite3")


def describe() -> str:
    """The queue backend in words, for `kith check` and log lines (no secrets)."""
    if getattr(settings, "KITH_JOBS_IMMEDIATE", False):
        return "immediate (in-process, tests)"
    if settings.KITH_REDIS_URL:
        return "Redis (KITH_REDIS_URL)"
    return f"SQLite file {queue_file()}"


def build_huey() -> Huey:
    if getattr(settings, "KITH_JOBS_IMMEDIATE", False):
        return MemoryHuey("kith", immediate=True, results=False)
    if settings.KITH_REDIS_URL:
        # blocking=True: workers wait on BRPOP and wake the moment a job is enqueued.
        return RedisHuey("kith", url=settings.KITH_REDIS_URL, blocking=True, read_timeout=1, results=False)
    settings.KITH_DATA_DIR.mkdir(parents=True, exist_ok=True)
    return QueueHuey("kith", filename=queue_file(), results=False, timeout=20)


huey = build_huey()
