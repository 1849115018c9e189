"""Builds the huey instance from settings: SQLite (embedded), Redis (scale-out) or immediate (tests)."""

from __future__ import annotations

from django.conf import settings
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey


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
    return SqliteHuey("kith", filename=queue_file(), results=False, timeout=20)


huey = build_huey()
