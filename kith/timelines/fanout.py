"""Fan-out on write: put a new post into the stream of every local person who should get it.

Durable by construction: a FanOut row is written in the same transaction as
the post; recipients are walked in person-id order in batches, each batch
committed together with the cursor.  A killed worker resumes after the last
committed batch, and the unique (owner, post) constraint turns any repeated
insert into a no-op, so every recipient gets the post exactly once.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.utils import timezone
from huey import crontab

from kith.graph.models import Block, Follow, FollowState, Mute
from kith.jobs import huey, task
from kith.people.models import AccountState
from kith.social.models import LIMITED_VISIBILITIES, Post, PostAudience, PostMention, TagFollow, Visibility
from kith.timelines.models import FanOut, FanOutState, StreamEntry, StreamReason

log = logging.getLogger(__name__)


def lease_seconds() -> int:
    return int(os.environ.get("KITH_FANOUT_LEASE_SECONDS", "30"))


def _recipient_batch(post: Post, after_person_id: int, limit: int) -> list[tuple[int, str]]:
    """(person id, reason) for the next local recipients after `after_person_id`, in id order."""
    local_active = {"person__domain": "", "person__state": AccountState.ACTIVE, "person_id__gt": after_person_id}
    sources = []
    if post.visibility in LIMITED_VISIBILITIES:
        sources.append(
            PostAudience.objects.filter(post_id=post.id, **local_active)
            .annotate(pid=F("person_id"), reason=Value(StreamReason.AUDIENCE.value))
            .values_list("pid", "reason")
        )
    else:
        sources.append(
            Follow.objects.filter(
                followee_id=post.author_id,
                state=FollowState.ACCEPTED,
                follower__domain="",
                follower__state=AccountState.ACTIVE,
                follower_id__gt=after_person_id,
            )
            .annotate(pid=F("follower_id"), reason=Value(StreamReason.FOLLOWING.value))
            .values_list("pid", "reason")
        )
        sources.append(
            PostMention.objects.filter(post_id=post.id, **local_active)
            .annotate(pid=F("person_id"), reason=Value(StreamReason.MENTION.value))
            .values_list("pid", "reason")
        )
        if post.visibility == Visibility.PUBLIC:
            tag_ids = list(post.tags.values_list("id", flat=True))
            if tag_ids:
                sources.append(
                    TagFollow.objects.filter(tag_id__in=tag_ids, **local_active)
                    .annotate(pid=F("person_id"), reason=Value(StreamReason.TAG.value))
                    .values_list("pid", "reason")
                )
    query = sources[0].union(*sources[1:]) if len(sources) > 1 else sources[0]
    return list(query.order_by("pid")[:limit])


def _excluded_for(post: Post) -> set[int]:
    """People who must not get the post in their stream: muters and either side of a block."""
    author_id = post.author_id
    excluded = set(Mute.objects.filter(muted_id=author_id).values_list("muter_id", flat=True))
    excluded |= set(Block.objects.filter(blocked_id=author_id).values_list("blocker_id", flat=True))
    excluded |= set(Block.objects.filter(blocker_id=author_id).values_list("blocked_id", flat=True))
    if post.reshare_of_id:
        root_author = post.reshare_of.author_id
        excluded |= set(Block.objects.filter(blocked_id=root_author).values_list("blocker_id", flat=True))
        excluded |= set(Block.objects.filter(blocker_id=root_author).values_list("blocked_id", flat=True))
        excluded |= set(Mute.objects.filter(muted_id=root_author).values_list("muter_id", flat=True))
    return excluded


class _Leased(Exception):
    """Another worker holds the fan-out's lease until `until`."""

    def __init__(self, until):
        super().__init__(until)
        self.until = until


def _claim(post_id: int) -> FanOut | None:
    """Take the lease on a pending fan-out, or None if it is done or leased by a live worker."""
    now = timezone.now()
    with transaction.atomic():
        fanout = FanOut.objects.select_for_update().filter(post_id=post_id).first()
        if fanout is None or fanout.state == FanOutState.DONE:
            return None
        if fanout.claimed_until and fanout.claimed_until > now:
            raise _Leased(fanout.claimed_until)
        fanout.claimed_until = now + timedelta(seconds=lease_seconds())
        fanout.attempts += 1
        fanout.save(update_fields=["claimed_until", "attempts"])
        return fanout


def run_fanout(post_id: int) -> bool:
    """Write the post into its recipients' streams.  Returns True when finished."""
    try:
        fanout = _claim(post_id)
    except _Leased as leased:
        # Someone else holds the lease; look again when it runs out (they may have died).
        delay = max(1.0, (leased.until - timezone.now()).total_seconds() + 0.5)
        fanout_job.schedule(args=(post_id,), delay=delay)
        return False
    if fanout is None:
        return True
    post = Post.objects.select_related("author", "reshare_of").filter(id=post_id).first()
    if post is None:  # deleted meanwhile; the FanOut row went with it
        return True
    excluded = _excluded_for(post)
    batch_size = settings.KITH_FANOUT_BATCH_SIZE
    cursor = fanout.cursor
    while True:
        batch = _recipient_batch(post, cursor, batch_size)
        if not batch:
            break
        rows, seen = [], set()
        for person_id, reason in batch:
            if person_id in seen or person_id in excluded:
                continue
            seen.add(person_id)
            rows.append(StreamEntry(owner_id=person_id, post_id=post.id, reason=reason))
        cursor = batch[-1][0]
        with transaction.atomic():
            StreamEntry.objects.bulk_create(rows, ignore_conflicts=True)
            FanOut.objects.filter(post_id=post.id).update(
                cursor=cursor, claimed_until=timezone.now() + timedelta(seconds=lease_seconds())
            )
    FanOut.objects.filter(post_id=post.id).update(
        state=FanOutState.DONE, finished_at=timezone.now(), claimed_until=None, cursor=cursor
    )
    return True


@task()
def fanout_job(post_id: int) -> None:
    run_fanout(post_id)


def sweep_pending_fanouts(include_claimed: bool = False) -> int:
    """Re-enqueue fan-outs nobody is working on (a worker died, or a job was lost)."""
    now = timezone.now()
    pending = FanOut.objects.filter(state=FanOutState.PENDING)
    if not include_claimed:
        # Leave alone rows younger than a minute: their job is probably still queued.
        pending = pending.filter(created_at__lt=now - timedelta(minutes=1)).exclude(claimed_until__gt=now)
    post_ids = list(pending.values_list("post_id", flat=True)[:10_000])
    for post_id in post_ids:
        fanout_job(post_id)
    return len(post_ids)


@huey.periodic_task(crontab(minute="*"))
def sweep_fanouts_job() -> None:
    sweep_pending_fanouts()
