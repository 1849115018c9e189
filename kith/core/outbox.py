"""Running what the transactional outbox holds (kith.core.events, PendingEvent rows).

A row is deleted when its consumer has run.  One still there after
`events.DISPATCH_GRACE` was left by a crash between the commit and the consumer, a
consumer that failed, or a worker job that was lost; the periodic sweep claims it
(pushing `due_at` back, so two sweeps do not take the same row) and runs its consumer
in the worker.  Failed attempts back off; after MAX_ATTEMPTS the row is kept, for
`kith check` to report, and a restarted worker tries it once more.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from huey import crontab

from kith.core import events
from kith.core.models import PendingEvent
from kith.jobs import huey, periodic, task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
# How long a worker may run one consumer before another may take the row over.
CLAIM = timedelta(minutes=10)
SWEEP_LIMIT = 1000
# A swept row's job may itself wait in the queue: expire it so a long queue never fills
# with copies of the same job (the next sweep makes a fresh one).
SWEEP_JOB_EXPIRES_SECONDS = 120


def _backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(0, attempts - 1), 360))


def run_pending(row_id: int) -> bool:
    """Run one pending row's consumer and delete the row; False if it failed (kept for later).

    The row is claimed first: a job the sweep queued again while the original one still
    waited in the queue finds it claimed (or gone) and does nothing."""
    now = timezone.now()
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    if not PendingEvent.objects.filter(unclaimed, id=row_id).update(claimed_until=now + CLAIM):
        return True  # done already, or being run by another worker
    row = PendingEvent.objects.filter(id=row_id).first()
    if row is None:
        return True
    consumer = events.consumer_named(row.consumer)
    event = events.event_from(row.event_type, row.payload)
    if consumer is None or event is None:
        log.warning("dropping pending %s: nobody consumes it any more", row)
        PendingEvent.objects.filter(id=row_id).delete()
        return True
    try:
        consumer.handler(event)
    except Exception as error:
        log.exception("event consumer %s failed on %r (attempt %d)", consumer.name, event, row.attempts + 1)
        PendingEvent.objects.filter(id=row_id).update(
            attempts=row.attempts + 1, due_at=timezone.now() + _backoff(row.attempts + 1), claimed_until=None,
            last_error=repr(error)[:2000],
        )
        return False
    PendingEvent.objects.filter(id=row_id).delete()
    return True


@task(retries=0)
def run_pending_job(row_id: int) -> None:
    run_pending(row_id)


def sweep(*, include_young: bool = False) -> int:
    """Queue a job for every row that is due and not being run (`include_young`: every
    such row, due or not: for the start of `kith serve`, whose process is the whole pod,
    so that nobody else can be dispatching them).  Returns how many were queued."""
    now = timezone.now()
    if include_young:
        # The whole pod restarts: a claim was made by the process that died with it.
        PendingEvent.objects.exclude(claimed_until=None).update(claimed_until=None)
        rows = PendingEvent.objects.all()
    else:
        rows = PendingEvent.objects.exclude(claimed_until__gt=now).filter(due_at__lte=now, attempts__lt=MAX_ATTEMPTS)
    queued = 0
    for row_id, due_at in rows.order_by("id").values_list("id", "due_at")[:SWEEP_LIMIT]:
        # Claim: only the sweep whose update moves due_at on queues the job.
        if PendingEvent.objects.filter(id=row_id, due_at=due_at).update(due_at=now + events.DISPATCH_GRACE):
            huey.enqueue(run_pending_job.s(row_id, expires=SWEEP_JOB_EXPIRES_SECONDS))
            queued += 1
    return queued


def stuck(older_than: timedelta = timedelta(minutes=10)) -> tuple[int, int]:
    """(rows older than `older_than`, of which given up), for `kith check`."""
    old = PendingEvent.objects.filter(created_at__lt=timezone.now() - older_than)
    return old.count(), old.filter(attempts__gte=MAX_ATTEMPTS).count()


@periodic(crontab(minute="*"))
def sweep_pending_events_job() -> None:
    queued = sweep()
    if queued:
        log.info("re-queued %d pending events", queued)
