"""Polls: votes sent to a remote poll, and the counts of a local poll sent again as they change."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kith.core import events
from kith.core.durable import DurableRows
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.models import PollUpdate
from kith.federation.activitypub.outbound.common import (
    _audience,
    _load_post,
    _previous_inboxes,
    _send,
    _shared_inboxes,
    post_inboxes,
    stable_name,
)
from kith.jobs import crontab, periodic, task
from kith.people.models import Person
from kith.social.models import PollVote


@task()
@stable_name
def federate_votes(vote_ids: tuple[int, ...]) -> None:
    """A local person's votes in a remote poll: one Note per option, sent to the poll's author."""
    votes = PollVote.objects.select_related("person", "option", "poll__post__author__ap_actor", "poll__post__ap_object").filter(id__in=vote_ids)
    for vote in votes:
        post = vote.poll.post
        if not vote.person.is_local or post.author.is_local:
            continue
        voter = vote.person
        note_id = f"{uris.actor(voter.username)}/votes/{vote.id}"
        note = {
            "id": note_id, "type": "Note", "attributedTo": render.actor_uri(voter), "name": vote.option.title,
            "inReplyTo": render.post_uri(post), "to": [render.actor_uri(post.author)], "cc": [],
        }
        activity = render.wrap("Create", voter, note, activity_id=uris.activity(note_id, "create"), to=note["to"])
        _send(activity, [post.author.ap_actor.inbox], voter, f"vote:{vote.id}")


# A local poll's counts travel as an Update of the Question (as Mastodon sends them), debounced:
# the first change waits POLL_UPDATE_DELAY so a burst of votes makes one Update, and a poll
# sends at most one Update per POLL_UPDATE_INTERVAL.  The pending Update is a PollUpdate row
# (written when the vote's event is handled), so a lost job or a restart loses nothing: the
# minute sweep sends whatever is due.
POLL_UPDATE_DELAY = timedelta(seconds=5)


POLL_UPDATE_INTERVAL = timedelta(seconds=60)


POLL_UPDATE_SWEEP_BATCH = 500
# A pending Update is claimed by clearing `due_at` in the transaction that hands it to delivery.
POLL_UPDATES = DurableRows(PollUpdate, key_field="post_id", lease_field=None, attempts_field=None)


def poll_counts_changed(post_id: int, *, now: datetime | None = None) -> datetime | None:
    """Note that a local poll's counts changed.  Returns when its Update is due, or None when one
    is pending already (it will carry this change too, since it renders the counts when sent)."""
    now = now or timezone.now()
    PollUpdate.objects.get_or_create(post_id=post_id)
    with transaction.atomic():
        row = PollUpdate.objects.select_for_update().get(post_id=post_id)
        if row.due_at is not None:
            return None
        due = now + POLL_UPDATE_DELAY
        if row.sent_at is not None:
            due = max(due, row.sent_at + POLL_UPDATE_INTERVAL)
        row.due_at = due
        row.save(update_fields=["due_at"])
    return due


def send_poll_update(post_id: int, *, now: datetime | None = None) -> bool:
    """Send the pending Update(Question) of a local poll if it is due; True if one went out."""
    now = now or timezone.now()
    with transaction.atomic():
        if not POLL_UPDATES.take_due(post_id, now=now):
            return False  # sent already by another job or the sweep, or not yet due
        row = PollUpdate.objects.get(post_id=post_id)
        post = _load_post(post_id)
        if post is None or not post.author.is_local or not hasattr(post, "poll") or post.reshare_of_id:
            row.delete()
            return False
        note = render.note(post, _audience(post) if post.is_limited else None)
        number = row.sent_count + 1
        activity = render.wrap(
            "Update", post.author, note, activity_id=f"{note['id']}/activity/update/poll/{number}",
            to=note["to"], cc=note["cc"],
        )
        subject = f"post:{post.id}"  # deleting the post drops a pending Update with the rest
        inboxes = post_inboxes(post) | _previous_inboxes(subject)
        if not post.is_limited:
            # Remote voters who do not follow the author hear of the result too (Mastodon does so).
            voters = Person.objects.filter(poll_votes__poll_id=post.id, domain__gt="").distinct()
            inboxes |= _shared_inboxes(voters)
        _send(activity, inboxes, post.author, subject)
        row.sent_at, row.sent_count = now, number
        row.save(update_fields=["sent_at", "sent_count"])
    return True


@task()
@stable_name
def federate_poll_counts(post_id: int) -> None:
    send_poll_update(post_id)


def send_due_poll_updates(*, now: datetime | None = None) -> int:
    """Send every pending poll Update that is due (the jobs' safety net); returns how many went."""
    now = now or timezone.now()
    due = POLL_UPDATES.sweep(POLL_UPDATES.due(now), order_by="due_at", limit=POLL_UPDATE_SWEEP_BATCH)
    return sum(send_poll_update(post_id, now=now) for post_id in due)


@periodic(crontab(minute="*"))
@stable_name
def send_due_poll_updates_job() -> None:
    send_due_poll_updates()


def _local_poll_of(vote_ids: tuple[int, ...]) -> int | None:
    return (
        PollVote.objects.filter(id__in=vote_ids, poll__post__author__domain="")
        .values_list("poll_id", flat=True)
        .first()
    )


@events.subscribe(events.PollVoted, in_worker=True)
@stable_name
def _on_vote(event: events.PollVoted) -> None:
    federate_votes.call_local(event.vote_ids)
    post_id = _local_poll_of(event.vote_ids)
    if post_id is not None:
        due = poll_counts_changed(post_id)
        if due is not None:
            federate_poll_counts.schedule(args=(post_id,), delay=max(1.0, (due - timezone.now()).total_seconds()))
