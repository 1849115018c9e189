"""Fan-out on write: put a new post into the stream of every local person who should get it.

Durable by construction: a FanOut row is written in the same transaction as
the post; recipients are walked in person-id order in batches, each batch
committed together with the cursor.  A killed worker resumes after the last
committed batch, and the unique (owner, post) constraint turns any repeated
insert into a no-op, so every recipient gets the post exactly once.

One worker at a time: a run claims a lease (`claimed_until`) and renews it
with every batch.  `attempts` doubles as a fencing token: each claim bumps
it, and a run only commits a batch while the row still carries its own
number, so a run that stalled past its lease and was taken over stops
instead of writing alongside the new holder.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kith.core.durable import Claim, DurableRows, Held
from kith.core.ids import id_floor_for_ms
from kith.graph.models import Follow, FollowState, Mute
from kith.jobs import at_start, crontab, huey, periodic, task
from kith.people.models import AccountState
from kith.social.models import (
    PUBLIC_VISIBILITIES,
    Post,
)
from kith.timelines.models import FanOut, FanOutState, StreamEntry, StreamReason
from kith.visibility import kept_from_stream, stream_recipient_sources, visible_posts

log = logging.getLogger(__name__)

# The periodic sweep leaves alone fan-outs younger than this: their job is probably still queued.
SWEEP_MIN_AGE = timedelta(minutes=1)
# A job enqueued by a sweep is dropped if no worker started it within this time; the
# next sweep enqueues a fresh one.  So a long queue never fills with copies of the same job.
SWEEP_JOB_EXPIRES_SECONDS = 60
# After this many claims the periodic sweep gives up on a fan-out (`kith check` reports
# it); a restarted worker still tries it once more, since a restart is often a fix.
MAX_SWEEP_ATTEMPTS = 20
SWEEP_LIMIT = 10_000


def lease_seconds() -> int:
    configured = getattr(settings, "KITH_FANOUT_LEASE_SECONDS", None)
    if configured is None:
        configured = os.environ.get("KITH_FANOUT_LEASE_SECONDS", "30")
    return max(1, int(configured))


def _recipient_batch(post: Post, after_person_id: int, limit: int) -> list[tuple[int, str]]:
    """(person id, reason) for the next `limit` local recipients after `after_person_id`, in id order.

    Each source is read with its own ORDER BY ... LIMIT (an index range scan, so a
    batch costs the same at the end of a large audience as at its start); the
    smallest `limit` ids overall are always among the smallest `limit` of each source.
    """
    merged: dict[int, str] = {}
    for ids, reason in stream_recipient_sources(post, after_person_id):
        for person_id in ids[:limit]:
            merged.setdefault(person_id, reason)  # a follower who is also mentioned counts as a follower
    return sorted(merged.items())[:limit]


FANOUTS = DurableRows(FanOut, key_field="post_id", open_filter={"state": FanOutState.PENDING}, due_field=None)


class _LeaseLost(Exception):
    """Our lease ran out and another run claimed the fan-out."""


def _claim(post_id: int) -> Claim[FanOut] | None:
    """Take the lease on a pending fan-out, or None if it is done or gone.

    Raises durable.Held while another run holds an unexpired lease.
    """
    return FANOUTS.claim_one(post_id, now=timezone.now(), lease=timedelta(seconds=lease_seconds()))


def _write_batch(lease: Claim[FanOut], rows: list[StreamEntry], cursor: int) -> None:
    """Commit one batch of stream rows together with the cursor, if the lease is still ours."""
    with transaction.atomic():
        # The update comes first: it locks the FanOut row (PostgreSQL) and proves the lease.
        renewed = FANOUTS.fenced(lease).update(
            cursor=cursor, claimed_until=timezone.now() + timedelta(seconds=lease_seconds())
        )
        if not renewed:
            raise _LeaseLost
        StreamEntry.objects.bulk_create(rows, ignore_conflicts=True)


def _release(lease: Claim[FanOut]) -> None:
    """Give the lease back after a failure so a retry need not wait for it to expire."""
    try:
        FANOUTS.release(lease)
    except Exception:  # the database may be what failed; the lease then simply expires
        log.warning("could not release the fan-out lease of post %s", lease.key, exc_info=True)


def run_fanout(post_id: int) -> bool:
    """Write the post into its recipients' streams.  Returns True when the fan-out is finished."""
    try:
        lease = _claim(post_id)
    except Held as leased:
        # Someone else holds the lease; look again when it runs out (they may have died).
        delay = max(1.0, (leased.until - timezone.now()).total_seconds() + 0.5)
        fanout_job.schedule(args=(post_id,), delay=delay)
        return False
    if lease is None:
        return True
    try:
        post = Post.objects.select_related("author", "reshare_of").filter(id=post_id).first()
        if post is None:  # deleted meanwhile; the FanOut row went with it
            return True
        excluded = kept_from_stream(post)
        batch_size = max(1, settings.KITH_FANOUT_BATCH_SIZE)
        cursor = lease.row.cursor
        while batch := _recipient_batch(post, cursor, batch_size):
            rows = [
                StreamEntry(owner_id=person_id, post_id=post.id, reason=reason)
                for person_id, reason in batch
                if person_id not in excluded
            ]
            cursor = batch[-1][0]
            _write_batch(lease, rows, cursor)
        finished = FANOUTS.fenced(lease).update(
            state=FanOutState.DONE, finished_at=timezone.now(), claimed_until=None, cursor=cursor
        )
        if not finished:
            raise _LeaseLost
    except _LeaseLost:
        log.warning("fan-out of post %s was taken over by another run; stopping this one", post_id)
        return False
    except Exception:
        _release(lease)
        raise
    return True


@task()
def fanout_job(post_id: int) -> None:
    run_fanout(post_id)


# The most posts an accepted follow brings into the follower's stream at once (the newest).
WAITED_POSTS_LIMIT = 40


def surface_posts_of_accepted_follow(follow_id: int) -> int:
    """When another pod accepts a local person's follow request: put into the follower's stream
    the followee's public and unlisted posts that came here since the request; returns how
    many rows were offered (repeats are no-ops).

    Fan-out on write gives a post to the followers the author has *when it arrives*; a request
    is not one.  A remote followee's server answers a request with an Accept and sends each
    new post as a separate delivery, and nothing orders the two: when the Accept's first
    delivery is refused or times out (the pod was busy) it is retried 30 s later while the
    post goes through at once, and even two that arrive together are applied by concurrent
    worker threads.  A post applied before the Accept was fanned out to nobody here, and
    without this the follower never saw it (the flaky multi-pod test of a locked account,
    tests/federation/test_multipod.py).  Which of those posts the other server sent after
    accepting cannot be told here, so all of them come (public ones only, as Mastodon merges
    a followee's posts on a follow).  A local followee needs none of this: the acceptance and
    the posts are written to one database, in order, and what they wrote before accepting
    stays out of the new follower's stream.
    """
    follow = Follow.objects.select_related("follower", "followee").filter(id=follow_id, state=FollowState.ACCEPTED).first()
    if follow is None or follow.followee.is_local or not follow.follower.is_local:
        return 0
    if follow.follower.state != AccountState.ACTIVE:
        return 0
    follower = follow.follower
    muted = Mute.objects.filter(muter_id=follower.id)
    if muted.filter(muted_id=follow.followee_id).exists():
        return 0
    # Posts that *arrived here* since the request (ids are this pod's clock at arrival; a remote
    # `published` time is the other server's clock).
    since = id_floor_for_ms(int(follow.created_at.timestamp() * 1000))
    waited = Post.objects.filter(author_id=follow.followee_id, visibility__in=PUBLIC_VISIBILITIES, id__gte=since)
    # As run_fanout: never what the follower may not see, nor a reshare of someone they muted.
    waited = visible_posts(follower, waited).exclude(reshare_of__author_id__in=muted.values("muted_id"))
    ids = list(waited.order_by("-id").values_list("id", flat=True)[:WAITED_POSTS_LIMIT])
    StreamEntry.objects.bulk_create(
        [StreamEntry(owner_id=follower.id, post_id=post_id, reason=StreamReason.FOLLOWING) for post_id in ids],
        ignore_conflicts=True,
    )
    return len(ids)


def sweep_pending_fanouts(include_claimed: bool = False, *, release_leases: bool = False) -> int:
    """Re-enqueue fan-outs nobody is working on (a worker died, or a job was lost).

    The periodic sweep skips young fan-outs, leased ones and ones that failed too
    often; at start-up (`include_claimed=True`) every pending fan-out is enqueued:
    a job that finds a live lease reschedules itself for when the lease runs out.
    `release_leases` (the start of a process that is the whole pod): every lease was
    held by the process that died, so it is let go and the fan-outs go on now.
    Returns how many jobs were enqueued.
    """
    now = timezone.now()
    if release_leases:
        # The claim's token is `attempts`: the next claim still fences the dead holder out.
        FANOUTS.release_all()
    pending = FANOUTS.open()
    if not include_claimed:
        pending = FANOUTS.unheld(
            pending.filter(created_at__lt=now - SWEEP_MIN_AGE, attempts__lt=MAX_SWEEP_ATTEMPTS), now
        )
    post_ids = FANOUTS.sweep(pending, order_by="post_id", limit=SWEEP_LIMIT)
    for post_id in post_ids:
        huey.enqueue(fanout_job.s(post_id, expires=SWEEP_JOB_EXPIRES_SECONDS))
    return len(post_ids)


def stuck_fanouts(older_than: timedelta = timedelta(minutes=5)) -> tuple[int, int]:
    """(pending fan-outs older than `older_than`, of which given up by the sweep), for `kith check`."""
    old = FanOut.objects.filter(state=FanOutState.PENDING, created_at__lt=timezone.now() - older_than)
    return old.count(), old.filter(attempts__gte=MAX_SWEEP_ATTEMPTS).count()


@at_start("unfinished fan-outs", order=10)
def _resume_fanouts(whole_pod: bool) -> int:
    """At a worker's start, every pending fan-out (a live lease reschedules its job); a
    whole pod's start releases the leases of the process that died."""
    return sweep_pending_fanouts(include_claimed=True, release_leases=whole_pod)


@periodic(crontab(minute="*"))
def sweep_fanouts_job() -> None:
    sweep_pending_fanouts()
