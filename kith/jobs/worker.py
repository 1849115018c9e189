"""Running the huey consumer: as its own process (`kith worker`) or inside the web process (`kith serve`)."""

from __future__ import annotations

import logging
import threading

from huey.consumer import Consumer

from kith.jobs.queue import huey

log = logging.getLogger(__name__)


class EmbeddedConsumer(Consumer):
    """A consumer that leaves signal handling to its host (the web server)."""

    def _set_signal_handlers(self) -> None:
        pass


def make_consumer(threads: int, embedded: bool = False) -> Consumer:
    consumer_class = EmbeddedConsumer if embedded else Consumer
    # max_delay bounds how long an idle SQLite-backed worker waits before polling again.
    return consumer_class(
        huey,
        workers=threads,
        worker_type="thread",
        periodic=True,
        initial_delay=0.05,
        backoff=1.5,
        max_delay=0.5,
        check_worker_health=True,
    )


def startup_recovery() -> None:
    """Re-enqueue durable work a previous worker claimed but never finished."""
    from kith.timelines.fanout import sweep_pending_fanouts

    resumed = sweep_pending_fanouts(include_claimed=True)
    if resumed:
        log.info("resumed %d unfinished fan-outs", resumed)


_embedded_lock = threading.Lock()
_embedded: Consumer | None = None


def start_embedded(threads: int) -> Consumer:
    """Start worker threads inside this process once (used by `kith serve`)."""
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            startup_recovery()
            _embedded = make_consumer(threads, embedded=True)
            _embedded.start()
        return _embedded
