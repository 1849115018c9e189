"""Builds the huey instance from settings: SQLite (embedded), Redis (scale-out) or immediate (tests)."""

from __future__ import annotations

import sqlite3

from django.conf import settings
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.storage import SqliteStorage


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
