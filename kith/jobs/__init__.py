"""The background job queue: huey underneath, one small interface on top.

Services never call huey directly; they call `enqueue_on_commit(task, ...)`
so a job only exists if the transaction that asked for it committed.  huey
deletes a task when a worker dequeues it, so a killed worker loses the task:
durability comes from state the pod owns (e.g. timelines.FanOut rows), which
`sweep` tasks find and re-enqueue.  See docs/adr/0002-job-queue.md.

Tasks may live in any module of an installed `kith` app; the worker imports
them all when it starts (`discover_tasks`), so a job enqueued by another
process (the web, `kith user create`) always finds its function.

When a process that is the whole pod (`kith serve`) starts, the jobs that were
running when the previous one died are lost, and their work waits for its sweep
(minutes).  Modules declare with `@resumes(job)` how to queue such work again at
once: kith.jobs.worker reads the queue first, so only work with no job of its
own is queued again.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable, Set
from typing import Any

from django.db import transaction

from kith.jobs.queue import huey  # first: it imports huey (kith/jobs/queue.py `_import_huey`)

from huey import crontab  # isort: skip

__all__ = ["crontab", "discover_tasks", "enqueue_on_commit", "huey", "periodic", "resumes", "task"]

log = logging.getLogger(__name__)

# Defaults for every task: 4 tries in all, waiting 10 s, 20 s, 40 s between them.
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY = 10
DEFAULT_RETRY_BACKOFF = 2


# huey ships no types: a task is its untyped TaskWrapper (called to enqueue, `.schedule`, `.call_local`).
TaskDecorator = Callable[[Callable[..., Any]], Any]


def task(**options: Any) -> TaskDecorator:
    """Declare a background task (huey's `task` with Kith's retry defaults)."""
    options.setdefault("retries", DEFAULT_RETRIES)
    options.setdefault("retry_delay", DEFAULT_RETRY_DELAY)
    options.setdefault("retry_backoff", DEFAULT_RETRY_BACKOFF)
    decorator: TaskDecorator = huey.task(**options)
    return decorator


def periodic(schedule: Any, **options: Any) -> TaskDecorator:
    """Declare a task the worker runs on `schedule` (a huey `crontab`)."""
    decorator: TaskDecorator = huey.periodic_task(schedule, **options)
    return decorator


# A function given the first arguments of the `job`s still queued (or scheduled), which queues
# the job again for the work that has none; returns how much it queued.
Resumer = Callable[[Set[Any]], int]
_resumers: list[tuple[Any, Resumer]] = []


def resumes(job: Any) -> Callable[[Resumer], Resumer]:
    """Declare the function that queues `job` again, at a whole-pod start, for durable work
    whose job was lost (kith.jobs.worker.startup_recovery calls it)."""

    def register(resumer: Resumer) -> Resumer:
        if all(registered is not resumer for _job, registered in _resumers):
            _resumers.append((job, resumer))
        return resumer

    return register


def resumers() -> list[tuple[Any, Resumer]]:
    return list(_resumers)


# A function run when a worker starts (`whole_pod`: the process is the whole pod, so nobody
# else can hold a lease or be dispatching); returns how much durable work it queued again.
StartRecovery = Callable[[bool], int]
_at_start: list[tuple[int, str, StartRecovery]] = []


def at_start(what: str, *, order: int) -> Callable[[StartRecovery], StartRecovery]:
    """Declare a recovery that kith.jobs.worker.startup_recovery runs at every worker start,
    by ascending `order` (never the order modules happen to be imported in), and logs as
    "resumed N <what>".  The owners of durable work register here, so that this low layer
    never imports them."""

    def register(recovery: StartRecovery) -> StartRecovery:
        if all(registered is not recovery for _order, _what, registered in _at_start):
            _at_start.append((order, what, recovery))
        return recovery

    return register


def start_recoveries() -> list[tuple[str, StartRecovery]]:
    return [(what, recovery) for _order, what, recovery in sorted(_at_start, key=lambda entry: entry[0])]


def enqueue_on_commit(job: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `job(*args, **kwargs)` in the worker once the current transaction commits."""
    transaction.on_commit(lambda: job(*args, **kwargs))


# Modules never imported by discovery: schema history, tests, and entry points
# with side effects of their own.
_SKIPPED_PARTS = {"migrations", "tests", "management"}
_SKIPPED_MODULES = {"kith.wsgi", "kith.asgi", "kith.cli", "kith.settings"}


def discover_tasks() -> list[str]:
    """Import every module of the installed kith apps so all tasks are registered.

    Returns the names of the registered tasks.  A module that fails to import
    is logged, not fatal: the other tasks still run.
    """
    from django.apps import apps

    seen: set[str] = set()
    for app in apps.get_app_configs():
        if not app.name.startswith("kith."):
            continue
        package = importlib.import_module(app.name)
        for found in pkgutil.walk_packages(package.__path__, f"{app.name}."):
            parts = set(found.name.split("."))
            if parts & _SKIPPED_PARTS or found.name in _SKIPPED_MODULES or found.name in seen:
                continue
            seen.add(found.name)
            try:
                importlib.import_module(found.name)
            except Exception:
                log.exception("could not import %s while looking for tasks", found.name)
    return sorted(huey._registry._registry)
