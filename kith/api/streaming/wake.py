"""Optional wake-ups: tell streaming processes to poll now rather than at their next tick.

Polling alone is correct (every event is a durable row); a wake-up only cuts the
delay.  With KITH_REDIS_URL set it goes over Redis pub/sub, on PostgreSQL over
LISTEN/NOTIFY; on SQLite (one machine) there is nothing to wake with and the
poll interval bounds the delay.  Best effort: a failed publish is logged, never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection

log = logging.getLogger(__name__)

CHANNEL = "kith_streaming"
_redis_client: Any = None


def _redis() -> Any:
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.KITH_REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    return _redis_client


def publish() -> None:
    try:
        if settings.KITH_REDIS_URL:
            _redis().publish(CHANNEL, b"1")
        elif connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])
    except Exception as exc:  # a lost wake-up costs one poll interval, nothing more
        log.debug("streaming wake-up not sent: %s", exc)


def _postgres_conninfo() -> str | None:
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        return None
    from psycopg.conninfo import make_conninfo

    options = {
        "dbname": database.get("NAME"), "user": database.get("USER"), "password": database.get("PASSWORD"),
        "host": database.get("HOST"), "port": database.get("PORT"),
    }
    return make_conninfo(**{key: str(value) for key, value in options.items() if value})


async def listen(on_wake: Callable[[], None]) -> None:
    """Call `on_wake` for every wake-up until cancelled; reconnects after errors."""
    while True:
        try:
            if settings.KITH_REDIS_URL:
                await _listen_redis(on_wake)
            elif (conninfo := _postgres_conninfo()) is not None:
                await _listen_postgres(conninfo, on_wake)
            else:
                return  # SQLite: polling only
        except asyncio.CancelledError:
            raise
        except (OSError, DatabaseError, Exception) as exc:
            log.warning("streaming wake-ups lost (%s); polling until they are back", exc)
        await asyncio.sleep(5)


async def _listen_redis(on_wake: Callable[[], None]) -> None:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(settings.KITH_REDIS_URL)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(CHANNEL)
        async for message in pubsub.listen():
            if message.get("type") == "message":
                on_wake()
    finally:
        with contextlib.suppress(Exception):
            await pubsub.aclose()
            await client.aclose()


async def _listen_postgres(conninfo: str, on_wake: Callable[[], None]) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as listener:
        await listener.execute(f"LISTEN {CHANNEL}")
        async for _notice in listener.notifies():
            on_wake()
