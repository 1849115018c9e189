"""Applying verified, stored activities to the domain (in the worker, idempotently).

The inbox has already checked the HTTP signature and that the signing key
belongs to the activity's actor.  Everything here re-checks authority on the
objects: only an object's author may update or delete it, a Like or Announce
needs a post its actor may see, an Announce of a limited post is refused, and
a Delete that arrives before its Create leaves a tombstone that wins.

This package is the dispatcher (`apply`, its job and the sweep of lost jobs); each verb or
family has its own module (as Mastodon's app/lib/activitypub/activity/*.rb): create, update,
delete, follow (Follow, Accept, Reject), undo, like, announce, block, flag, move; what they
share is in common (looking things up) and notes (a note's content and ownership).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Set
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kith.core.durable import DurableRows
from kith.core.errors import DomainError
from kith.federation.activitypub import actors
from kith.federation.activitypub.inbound.announce import _announce
from kith.federation.activitypub.inbound.block import _block
from kith.federation.activitypub.inbound.common import Drop, find_comment, find_post, local_person
from kith.federation.activitypub.inbound.create import _create_note, ingest_note
from kith.federation.activitypub.inbound.delete import _delete
from kith.federation.activitypub.inbound.flag import _flag
from kith.federation.activitypub.inbound.follow import _accept_or_reject, _follow
from kith.federation.activitypub.inbound.like import _like
from kith.federation.activitypub.inbound.move import _move
from kith.federation.activitypub.inbound.undo import _undo
from kith.federation.activitypub.inbound.update import _update
from kith.federation.activitypub.models import InboundActivity, InboundState, RemoteActor
from kith.federation.activitypub.parse import ActivityData, ParseError, parse_activity
from kith.jobs import crontab, periodic, resumes, task
from kith.moderation import domains as domain_policies
from kith.people.models import AccountState

log = logging.getLogger(__name__)


HANDLERS: dict[str, Callable[[ActivityData, RemoteActor], None]] = {
    "Create": _create_note,
    "Update": _update,
    "Delete": _delete,
    "Follow": _follow,
    "Accept": lambda activity, actor: _accept_or_reject(activity, actor, accepted=True),
    "Reject": lambda activity, actor: _accept_or_reject(activity, actor, accepted=False),
    "Like": _like,
    "Announce": _announce,
    "Undo": _undo,
    "Block": _block,
    "Flag": _flag,
    "Move": _move,
}


def _refetched(activity: ActivityData) -> ActivityData:
    """A forwarded activity, as its own server tells it: nothing the forwarder sent is believed."""
    if activity.type == "Like":
        original = parse_activity(actors.fetch_json(activity.id))
        if (original.type, original.actor, original.object_id) != (activity.type, activity.actor, activity.object_id):
            raise ParseError("the forwarded Like is not what its own server says")
        return original
    # Create/Update: the object comes again from its own server.
    return replace(activity, object=activity.object_id)


def apply(inbound: InboundActivity) -> None:
    """Apply one stored activity; records the outcome on the row."""
    try:
        activity = parse_activity(inbound.payload)
        handler = HANDLERS.get(activity.type)
        if handler is None:
            raise Drop(f"{activity.type} is not handled yet")
        if inbound.forwarded_by:
            activity = _refetched(activity)
            actor = actors.resolve_actor(activity.actor)
        else:
            actor = RemoteActor.objects.select_related("person").get(uri=activity.actor)
        if actor.person.state != AccountState.ACTIVE and activity.type != "Delete":
            raise Drop("the actor is not active here")
        if not domain_policies.federates_with(actor.person.domain):  # stored before a suspension
            raise Drop("this pod does not federate with the actor's server")
        dropped: Drop | None = None
        with transaction.atomic():
            try:
                handler(activity, actor)
            except Drop as reason:
                # Kept: what a handler wrote before dropping (a Delete's tombstone for a Create
                # still to come) must survive, or a Delete that arrives first would not win.
                dropped = reason
            # The outcome is recorded with what the handler wrote, in one transaction: a process
            # killed after the handler's commit would otherwise leave the row pending, and its
            # replay would find the note stored and end "dropped" although it was applied.
            _record(inbound, *((InboundState.DROPPED, str(dropped)) if dropped else (InboundState.DONE, "")))
        return
    except Drop as reason:
        state, error = InboundState.DROPPED, str(reason)
    except (ParseError, DomainError, actors.ResolveError, RemoteActor.DoesNotExist) as problem:
        log.info("dropped activity %s: %s", inbound.activity_uri, problem)
        state, error = InboundState.FAILED, f"{type(problem).__name__}: {problem}"
    _record(inbound, state, error)


def _record(inbound: InboundActivity, state: str, error: str) -> None:
    InboundActivity.objects.filter(id=inbound.id).update(
        state=state, error=error[:2000], applied_at=timezone.now(), attempts=inbound.attempts + 1
    )


@task()
def apply_inbound_job(inbound_id: int) -> None:
    inbound = InboundActivity.objects.filter(id=inbound_id, state=InboundState.PENDING).first()
    if inbound is not None:
        apply(inbound)


# A stored activity still pending this long after it arrived lost its job: huey drops a job
# whose worker dies mid-task, and the SQLite queue does not fsync each enqueue
# (kith/jobs/queue.py).  The row is the durable record; the sweep enqueues it again, a few
# times at most (a row that makes apply() crash must not be retried every minute forever).
SWEEP_AFTER = timedelta(minutes=5)


SWEEP_LIMIT = 500


MAX_SWEEPS = 5
# Stored activities still to apply; no lease: applying one twice changes nothing.
INBOUND = DurableRows(
    InboundActivity, open_filter={"state": InboundState.PENDING}, due_field=None, lease_field=None
)


def sweep_pending_inbound(now: datetime | None = None) -> int:
    """Enqueue again the stored activities whose apply job was lost; returns how many."""
    now = now or timezone.now()
    lost = INBOUND.open().filter(received_at__lt=now - SWEEP_AFTER, attempts__lt=MAX_SWEEPS)
    ids = INBOUND.sweep(lost, order_by="received_at", limit=SWEEP_LIMIT, count_attempt=True)
    for inbound_id in ids:
        apply_inbound_job(inbound_id)
    return len(ids)


@resumes(apply_inbound_job)
def resume_pending_inbound(queued: Set[int]) -> int:
    """At a pod's start, queue again the stored activities whose job is not in the queue (it was
    running when the worker died), oldest first, instead of after SWEEP_AFTER.  Counted as a
    sweep: an activity that kills the worker must not be tried at every start for ever."""
    waiting = INBOUND.open().filter(attempts__lt=MAX_SWEEPS)
    ids = INBOUND.sweep(waiting, order_by="received_at", limit=SWEEP_LIMIT, count_attempt=True, skip=queued)
    for inbound_id in ids:
        apply_inbound_job(inbound_id)
    return len(ids)


@periodic(crontab(minute="*"))
def sweep_inbound_job() -> None:
    sweep_pending_inbound()


# The names other modules and tests use, from where they live now.
__all__ = [
    "HANDLERS", "MAX_SWEEPS", "SWEEP_AFTER", "SWEEP_LIMIT", "Drop", "apply", "apply_inbound_job", "find_comment",
    "find_post", "ingest_note", "local_person", "resume_pending_inbound", "sweep_inbound_job", "sweep_pending_inbound",
]
