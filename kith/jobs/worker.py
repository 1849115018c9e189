"""Running the huey consumer: as its own process (`kith worker`) or inside the web process (`kith serve`)."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any

from django.db import close_old_connections
from huey.consumer import Consumer

from kith.jobs import discover_tasks, resumers, start_recoveries
from kith.jobs.queue import describe, huey

log = logging.getLogger(__name__)

# On SIGTERM a separate worker stops taking jobs and waits this long for running
# ones; whatever is still running then is recovered from the pod's own state.
SHUTDOWN_TIMEOUT_SECONDS = 30
# Telling lost work from queued work reads (deserialises) every queued message: a longer queue
# is left to the sweeps.
QUEUE_READ_LIMIT = 20_000


class EmbeddedConsumer(Consumer):  # type: ignore[misc]  # huey ships no types
    """A consumer that leaves signal handling to its host (the web server)."""

    def _set_signal_handlers(self) -> None:
        pass


_hooks_lock = threading.Lock()
_hooks_installed = False


def _install_connection_hygiene() -> None:
    """Drop broken or expired database connections around each job, as Django does per request.

    Only consumers install this: in the tests' immediate mode jobs run inside the
    test's transaction, whose connection must not be touched.
    """
    global _hooks_installed
    with _hooks_lock:
        if _hooks_installed:
            return

        @huey.pre_execute(name="kith-db-before")  # type: ignore[untyped-decorator]  # huey ships no types
        def _before(task: object) -> None:
            close_old_connections()

        @huey.post_execute(name="kith-db-after")  # type: ignore[untyped-decorator]  # huey ships no types
        def _after(task: object, task_value: object, exc: BaseException | None) -> None:
            close_old_connections()

        _hooks_installed = True


def make_consumer(threads: int, embedded: bool = False) -> Consumer:
    """A huey consumer with `threads` worker threads and the periodic scheduler."""
    _install_connection_hygiene()
    consumer_class = EmbeddedConsumer if embedded else Consumer
    # max_delay bounds how long an idle SQLite-backed worker waits before polling again.
    return consumer_class(
        huey,
        workers=max(1, threads),
        worker_type="thread",
        periodic=True,
        initial_delay=0.05,
        backoff=1.5,
        max_delay=0.5,
        check_worker_health=True,
        # SIGTERM (systemd, docker stop) finishes running jobs; SIGINT stops at once.
        graceful_signal="TERM",
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
    )


def startup_recovery(*, whole_pod: bool = False) -> int:
    """Re-enqueue durable work a previous worker claimed but never finished: each owner's
    recovery declared with `kith.jobs.at_start` (fan-outs, then pending events), in order.

    Returns how much work was queued again.  Safe with other live workers: work whose
    lease is held is left to its holder.
    """
    resumed = 0
    for what, recovery in start_recoveries():
        queued = recovery(whole_pod)
        if queued:
            log.info("resumed %d %s", queued, what)
        resumed += queued
    if whole_pod:
        # Nobody else can be running jobs: work whose job is not in the queue lost it with the
        # process that died (photos, inbound activities, deliveries held under its leases).
        resume_lost_work()
    return resumed


def _queued_first_arguments() -> dict[type, set[Any]] | None:
    """The first argument of every queued or scheduled job, by task class (None: too many to read)."""
    if huey.pending_count() + huey.scheduled_count() > QUEUE_READ_LIMIT:
        return None
    found: dict[type, set[Any]] = defaultdict(set)
    for queued in [*huey.pending(), *huey.scheduled()]:
        if queued.args:
            found[type(queued)].add(queued.args[0])
    return found


def resume_lost_work() -> int:
    """Run every `@resumes` declaration (kith.jobs) with the jobs still queued; returns how many
    jobs they queued.  Only for a process that is the whole pod, before its consumer starts."""
    try:
        queued = _queued_first_arguments()
    except Exception:  # an unreadable message: the sweeps will find the work
        log.warning("could not read the job queue; lost work waits for the sweeps", exc_info=True)
        return 0
    if queued is None:
        log.info("the job queue is too long to read at start; lost work waits for the sweeps")
        return 0
    total = 0
    for job, resumer in resumers():
        try:
            count = resumer(queued.get(job.task_class, set()))
        except Exception:  # one failing must not keep the others (or the pod) from starting
            log.exception("could not resume the lost jobs of %s", job.task_class.__name__)
            continue
        if count:
            log.info("queued %d lost %s jobs again", count, job.task_class.__name__)
        total += count
    return total


def run_worker(threads: int) -> None:
    """Run a separate worker process until SIGTERM/SIGINT (`kith worker`)."""
    tasks = discover_tasks()
    startup_recovery()
    log.info("worker: %d threads, queue %s, %d tasks", threads, describe(), len(tasks))
    make_consumer(threads).run()
    log.info("worker stopped")


_embedded_lock = threading.Lock()
_embedded: Consumer | None = None


def start_embedded(threads: int) -> Consumer:
    """Start worker threads inside this process once (used by `kith serve`)."""
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            discover_tasks()
            startup_recovery(whole_pod=True)
            _embedded = make_consumer(threads, embedded=True)
            _embedded.start()
            log.info("embedded worker: %d threads, queue %s", threads, describe())
        return _embedded
