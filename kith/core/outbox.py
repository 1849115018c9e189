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

from django.utils import timezone

from kith.core import events
from kith.core.durable import DurableRows, exponential_backoff
from kith.core.models import PendingEvent
from kith.jobs import at_start, crontab, huey, periodic, task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
# How long a worker may run one consumer before another may take the row over.
CLAIM = timedelta(minutes=10)
SWEEP_LIMIT = 1000
# A swept row's job may itself wait in the queue: expire it so a long queue never fills
# with copies of the same job (the next sweep makes a fresh one).
SWEEP_JOB_EXPIRES_SECONDS = 120


# A row exists until its consumer has run.
PENDING_EVENTS = DurableRows(PendingEvent)


def _backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, at most 6 hours."""
    return exponential_backoff(attempts, base=timedelta(minutes=1), cap=timedelta(hours=6))


def run_pending(row_id: int) -> bool:
    """Run one pending row's consumer and delete the row; False if it failed (kept for later).

    The row is claimed first: a job the sweep queued again while the original one still
    waited in the queue finds it claimed (or gone) and does nothing."""
    now = timezone.now()
    if not PENDING_EVENTS.try_claim(row_id, now=now, until=now + CLAIM):
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


@at_start("pending events", order=20)
def _requeue_pending_events(whole_pod: bool) -> int:
    """Events whose consumers never ran (the process died after the commit), or ran in vain.
    Young ones too when this process is the whole pod (`kith serve`): nobody else can be
    dispatching them.  Beside a live `kith web`, young rows may be in its hands still."""
    return sweep(include_young=whole_pod)


def sweep(*, include_young: bool = False) -> int:
    """Queue a job for every row that is due and not being run (`include_young`: every
    such row, due or not: for the start of `kith serve`, whose process is the whole pod,
    so that nobody else can be dispatching them).  Returns how many were queued."""
    now = timezone.now()
    if include_young:
        # The whole pod restarts: a claim was made by the process that died with it.
        PENDING_EVENTS.release_all()
        rows = PENDING_EVENTS.open()
    else:
        rows = PENDING_EVENTS.due(now).filter(attempts__lt=MAX_ATTEMPTS)
    # Claim: only the sweep whose update moves due_at on queues the job.
    taken = PENDING_EVENTS.sweep(
        rows, order_by="id", limit=SWEEP_LIMIT, push_due_to=now + events.DISPATCH_GRACE
    )
    for row_id in taken:
        huey.enqueue(run_pending_job.s(row_id, expires=SWEEP_JOB_EXPIRES_SECONDS))
    return len(taken)


def stuck(older_than: timedelta = timedelta(minutes=10)) -> tuple[int, int]:
    """(rows older than `older_than`, of which given up), for `kith check`."""
    old = PendingEvent.objects.filter(created_at__lt=timezone.now() - older_than)
    return old.count(), old.filter(attempts__gte=MAX_ATTEMPTS).count()


@periodic(crontab(minute="*"))
def sweep_pending_events_job() -> None:
    queued = sweep()
    if queued:
        log.info("re-queued %d pending events", queued)
