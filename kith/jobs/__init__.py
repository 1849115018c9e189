"""The background job queue: huey underneath, one small interface on top.

Services never call huey directly; they call `enqueue_on_commit(task, ...)`
so a job only exists if the transaction that asked for it committed.  huey
deletes a task when a worker dequeues it, so a killed worker loses the task:
durability comes from state the pod owns (e.g. timelines.FanOut rows), which
`sweep` tasks find and re-enqueue.  See docs/adr/0002-job-queue.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from kith.jobs.queue import huey

__all__ = ["enqueue_on_commit", "huey", "periodic", "task"]


def task(**options: Any) -> Callable:
    """Declare a background task (huey's `task` with Kith's defaults)."""
    options.setdefault("retries", 3)
    options.setdefault("retry_delay", 10)
    return huey.task(**options)


def periodic(schedule: Any) -> Callable:
    return huey.periodic_task(schedule)


def enqueue_on_commit(job: Callable, *args: Any, **kwargs: Any) -> None:
    """Run `job(*args, **kwargs)` in the worker once the current transaction commits."""
    transaction.on_commit(lambda: job(*args, **kwargs))
