"""One hub per streaming process: its connections, and the poll loop that feeds them.

The poll loop is the only place that reads events: one poll (in a worker thread, off
the event loop) serves every connection of the process, then each connection's
deliveries are queued for its own sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import close_old_connections

from kith.api.streaming import wake
from kith.api.streaming.channels import Channel
from kith.api.streaming.source import Delivery, EventSource, Listener

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
# Tokens revoked, or accounts suspended, while streaming: their connections end within this.
REVALIDATE_SECONDS = 30.0
# A client that reads slower than events arrive is disconnected rather than buffered without end.
MAX_PENDING = 1000

T = TypeVar("T")
_db_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kith-streaming-db")


async def run_db(function: Callable[..., T], *args: Any) -> T:
    """Run ORM work in a worker thread: the event loop never waits on the database."""

    def call() -> T:
        close_old_connections()
        return function(*args)

    return await asyncio.get_running_loop().run_in_executor(_db_threads, call)


_ids = itertools.count(1)


@dataclass
class Connection:
    """One SSE response or WebSocket: who it is for, what it listens to, what waits to be sent."""

    viewer_id: int
    token_id: int
    scopes: list[str]
    key: int = field(default_factory=lambda: next(_ids))
    channels: dict[Channel, int] = field(default_factory=dict)  # channel -> since (ms)
    queue: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def listen(self, channel: Channel) -> None:
        self.channels.setdefault(channel, int(time.time() * 1000))

    def forget(self, channel: Channel) -> None:
        self.channels.pop(channel, None)

    def listeners(self, notifications: bool) -> list[Listener]:
        return [
            Listener(self.key, self.viewer_id, channel, since, notifications)
            for channel, since in self.channels.items()
        ]

    def deliver(self, delivery: Delivery) -> None:
        if delivery.channel not in self.channels:
            return  # unsubscribed since the poll began
        if self.queue.qsize() >= MAX_PENDING:
            log.info("streaming: connection %s fell %s events behind; closing it", self.key, MAX_PENDING)
            self.close()
            return
        self.queue.put_nowait(delivery)

    def close(self) -> None:
        self.closed.set()

    async def next(self, timeout: float) -> Delivery | None:
        """The next delivery, or None after `timeout` (time for a heartbeat) or once closed."""
        if not self.queue.empty():
            return self.queue.get_nowait()
        getter = asyncio.ensure_future(self.queue.get())
        closer = asyncio.ensure_future(self.closed.wait())
        try:
            done, _ = await asyncio.wait({getter, closer}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closer.cancel()
            if not getter.done():
                getter.cancel()
        if getter in done and not getter.cancelled():
            return getter.result()
        return None


class Hub:
    def __init__(self) -> None:
        self.connections: dict[int, Connection] = {}
        self.source = EventSource()
        self.woken = asyncio.Event()
        self.started = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._started = False

    def ensure_started(self) -> None:
        if not self._started:
            self._started = True
            self._tasks = [asyncio.create_task(self._run()), asyncio.create_task(wake.listen(self.woken.set))]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for connection in self.connections.values():
            connection.close()

    async def add(self, connection: Connection) -> None:
        """Register a connection once the cursors stand at "now": from the moment a client has
        its response (or handshake), every event after it reaches it."""
        self.ensure_started()
        await self.started.wait()
        self.connections[connection.key] = connection

    def remove(self, connection: Connection) -> None:
        self.connections.pop(connection.key, None)

    async def _run(self) -> None:
        while True:
            try:
                await run_db(self.source.start)
                self.started.set()
                break
            except Exception:
                log.exception("streaming: cannot read the database; retrying")
                await asyncio.sleep(5)
        revalidated = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.woken.wait(), POLL_SECONDS)
            self.woken.clear()
            listeners = [
                listener
                for connection in list(self.connections.values())
                for listener in connection.listeners(_may_read_notifications(connection))
            ]
            try:
                deliveries = await run_db(self.source.poll, listeners)
                if deliveries:
                    log.debug("streaming: %s deliveries for %s listeners", len(deliveries), len(listeners))
            except Exception:
                log.exception("streaming: poll failed; trying again")
                await asyncio.sleep(POLL_SECONDS)
                continue
            for delivery in deliveries:
                if (connection := self.connections.get(delivery.key)) is not None:
                    connection.deliver(delivery)
            if time.monotonic() - revalidated > REVALIDATE_SECONDS:
                revalidated = time.monotonic()
                await self._revalidate()

    async def _revalidate(self) -> None:
        from kith.api.streaming.auth import still_valid

        connections = list(self.connections.values())
        if not connections:
            return
        try:
            valid = await run_db(still_valid, {c.token_id for c in connections})
        except Exception:
            log.exception("streaming: could not recheck tokens")
            return
        for connection in connections:
            if connection.token_id not in valid:
                connection.close()


def _may_read_notifications(connection: Connection) -> bool:
    from kith.api.streaming.channels import may_read_notifications

    return may_read_notifications(connection.scopes)


_hub: Hub | None = None


def hub() -> Hub:
    """This process's hub (created inside the running event loop)."""
    global _hub
    if _hub is None:
        _hub = Hub()
    return _hub
