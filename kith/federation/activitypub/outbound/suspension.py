"""Suspension of a local person: what it sent is taken back from every server that got it, and
sent again if the suspension is lifted within the 30 days its data is kept.

On `PersonSuspended` each post goes back by a Delete (a reshare by an Undo of its Announce),
each comment by a Delete, each like by an Undo of the Like, to exactly the inboxes the
delivery records name for it (`Delivery.subject` "post:1", "comment:2", "like:3": every
inbox it was sent or tried to, so a limited post's Delete reaches only those of its audience
that may have it).  On
`PersonRestored` the actor is Updated for its followers' servers (their cached 410 ends)
and the same content goes out again: a Create whose Note carries `updated` = the restore's
time (receiving pods let it win over the tombstone the Delete left, docs/adr/0009), an
Announce, a Like, each with a new id.

Durable and idempotent: the `Retraction` row fixes the stamps of both directions' activity
ids, so a re-run (the consumer is a durable one: a crash runs it again) makes the same rows,
and `Delivery`'s (activity, inbox) uniqueness sends nothing twice.  Each batch is written in
one transaction that first locks the person's row and checks the suspension still stands
(or is still lifted): a restore committed meanwhile stops the retraction, which cannot then
enqueue a Delete after the re-Create.  Reads are batched (a fixed number of queries per
batch of RETRACT_BATCH objects); Deletes need no rendering.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kith.core import events
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.context import AS_PUBLIC
from kith.federation.activitypub.models import Retraction
from kith.federation.activitypub.outbound.common import CONTENT_TYPE, _follower_inboxes, _thread, stable_name
from kith.federation.delivery import Outgoing, drop_signed_deliveries, enqueue_batch
from kith.federation.models import Delivery, DeliveryState
from kith.people.models import AccountState, Person
from kith.social.models import Comment, Like, Post

RETRACT_BATCH = 200
REPLIES_AFTER = timedelta(seconds=3)
PROTOCOL = "activitypub"
# Deliveries of a retraction are about "retract:post:1": a restore drops those still pending,
# so no Delete left in a retry queue can overtake the re-Create and take the content away again.
RETRACT_PREFIX = "retract:"
CONTENT_SUBJECTS = ("post:", "comment:", "like:")


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso_ms(moment: datetime) -> str:
    """`updated` to the millisecond: a restore seconds after the tombstone must still be later."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _body(activity: dict[str, Any]) -> bytes:
    return json.dumps(activity, separators=(",", ":"), ensure_ascii=False).encode()


def _batches(queryset: QuerySet[Any]) -> Iterator[list[Any]]:
    """The rows of `queryset` in id order, RETRACT_BATCH at a time (keyset paging: a batch
    costs the same at the end of a large account as at its start)."""
    after = 0
    while True:
        rows = list(queryset.filter(id__gt=after).order_by("id")[:RETRACT_BATCH])
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _sent_before(subjects: Sequence[str], *, reached_only: bool = False) -> dict[str, tuple[set[str], str]]:
    """Per subject: the inboxes its deliveries were addressed to, and the id of its latest
    activity (a reshare's Announce or a Like, as the other servers know it now: a restore
    sends them again under new ids).

    `reached_only` (a retraction): only inboxes that may hold the object: deliveries SENT, or
    tried at least once (a try that timed out or failed may still have arrived; a FAILED row
    always was).  Never one that was not tried (still PENDING, or DROPPED before it went out,
    e.g. by the suspension itself): a Delete there would tell a server that never had it the
    object's URI, which for a limited post is already a leak.  A restore asks for all of them:
    what was meant for a server goes to it (its audience still decides a limited post's)."""
    rows = Delivery.objects.filter(subject__in=subjects)
    if reached_only:
        rows = rows.filter(Q(state=DeliveryState.SENT) | Q(attempts__gt=0))
    found: dict[str, tuple[set[str], str]] = {}
    for subject, inbox, activity_uri in rows.order_by("id").values_list("subject", "inbox", "activity_uri"):
        inboxes = found[subject][0] if subject in found else set()
        inboxes.add(inbox)
        found[subject] = (inboxes, activity_uri)
    return found


def _still(person_id: int, **state: Any) -> bool:
    """Lock the person's row and tell whether it is still as the run found it: a suspension
    or restore committed meanwhile has the row, and the other direction's run takes over."""
    return Person.objects.select_for_update().filter(id=person_id, **state).exists()


# ---- retraction -------------------------------------------------------------------------------


def retract(person_id: int) -> int:
    """Send the Deletes and Undos of a suspended local person's content; returns rows made."""
    person = Person.objects.filter(id=person_id, domain="").first()
    if person is None or person.state != AccountState.SUSPENDED or person.suspended_at is None:
        return 0
    retraction, _ = Retraction.objects.get_or_create(person=person, suspended_at=person.suspended_at)
    stamp = _stamp(retraction.suspended_at)
    suspended = {"state": AccountState.SUSPENDED, "suspended_at": retraction.suspended_at}
    with transaction.atomic():
        if not _still(person.id, **suspended):
            return 0
        # Whatever had not gone out yet stays home (and gets no Delete: that server never had it).
        drop_signed_deliveries(person, CONTENT_SUBJECTS, "its author was suspended")
    made = 0
    for kind, queryset in (
        ("post", Post.objects.filter(author=person).select_related("reshare_of__author__ap_actor", "reshare_of__ap_object")),
        ("comment", Comment.objects.filter(author=person).only("id")),
        ("like", Like.objects.filter(person=person).select_related(
            "post__author__ap_actor", "post__ap_object", "comment__author__ap_actor", "comment__ap_object",
        )),
    ):
        for rows in _batches(queryset):
            with transaction.atomic():
                if not _still(person.id, **suspended):
                    return made
                made += enqueue_batch(
                    protocol=PROTOCOL, content_type=CONTENT_TYPE, signer=person,
                    outgoing=_retractions(kind, person, rows, stamp),
                )
    return made


def _retractions(kind: str, person: Person, rows: Sequence[Any], stamp: int) -> list[Outgoing]:
    sent = _sent_before([f"{kind}:{row.id}" for row in rows], reached_only=True)
    outgoing = []
    for row in rows:
        subject = f"{kind}:{row.id}"
        if subject not in sent:
            continue  # never reached anyone: nobody to tell
        inboxes, latest = sent[subject]
        if kind == "post" and "/activity/announce" in latest:
            activity = _undo_announce(person, row, latest, stamp)
        elif kind in ("post", "comment"):
            object_uri = uris.post(person.username, row.id) if kind == "post" else uris.comment(person.username, row.id)
            tombstone = render.tombstone(object_uri, "Note")
            tombstone.pop("@context")
            activity = render.wrap(
                "Delete", person, tombstone, activity_id=uris.activity(object_uri, "delete", stamp), to=[AS_PUBLIC]
            )
        else:
            activity = _undo_like(person, row, latest, stamp)
        outgoing.append(Outgoing(activity["id"], _body(activity), sorted(inboxes), f"{RETRACT_PREFIX}{subject}"))
    return outgoing


def _undo_announce(person: Person, post: Post, announce_id: str, stamp: int) -> dict[str, Any]:
    object_uri = uris.post(person.username, post.id)
    announce = {"id": announce_id, "type": "Announce", "actor": render.actor_uri(person)}
    if post.reshare_of is not None:
        announce["object"] = render.post_uri(post.reshare_of)
    return render.wrap("Undo", person, announce, activity_id=uris.activity(object_uri, "undo", stamp), to=[AS_PUBLIC])


def _undo_like(person: Person, liked: Like, like_id: str, stamp: int) -> dict[str, Any]:
    target = render.post_uri(liked.post) if liked.post_id else render.comment_uri(liked.comment)
    like = {"id": like_id, "type": "Like", "actor": render.actor_uri(person), "object": target}
    author = liked.post.author if liked.post_id else liked.comment.author
    return render.wrap(
        "Undo", person, like, activity_id=uris.activity(uris.like(person.username, liked.id), "undo", stamp),
        to=[render.actor_uri(author)],
    )


# The consumers are durable (kith.core.outbox): one that dies half-way is run again, and the
# stamps make the rerun's rows those already made.  Named under the package, as its others are.
@events.subscribe(events.PersonSuspended, in_worker=True)
@stable_name
def _on_suspended(event: events.PersonSuspended) -> None:
    retract(event.person_id)


# ---- restore ----------------------------------------------------------------------------------


def restore(person_id: int) -> int:
    """Send a restored local person's content again to the servers that had it; returns rows made."""
    person = Person.objects.filter(id=person_id, domain="").first()
    if person is None or person.state != AccountState.ACTIVE:
        return 0
    with transaction.atomic():
        retraction = (
            Retraction.objects.select_for_update().filter(person=person).order_by("-suspended_at").first()
        )
        if retraction is None:
            return 0  # never retracted (lifted before the retraction ran): everything is still out there
        restored_at = retraction.restored_at
        if restored_at is None:
            retraction.restored_at = restored_at = timezone.now()
            retraction.save(update_fields=["restored_at"])
        # Deletes still waiting in a retry queue must not overtake the content going out again.
        drop_signed_deliveries(person, [RETRACT_PREFIX], "its author was restored")
    stamp = _stamp(restored_at)
    active = {"state": AccountState.ACTIVE}
    followers = sorted(_follower_inboxes(person))
    made = 0
    with transaction.atomic():
        if not _still(person.id, **active):
            return 0
        made += enqueue_batch(
            protocol=PROTOCOL, content_type=CONTENT_TYPE, signer=person, outgoing=[_actor_update(person, stamp, followers)]
        )
    posts = (
        Post.objects.filter(author=person)
        .select_related("author", "poll", "reshare_of__author__ap_actor", "reshare_of__ap_object")
        .prefetch_related("media", "tags", "poll__options", "audience__person__ap_actor")
    )
    comments = Comment.objects.filter(author=person).select_related(
        "author", "post__author__ap_actor", "post__ap_object", "parent__author", "parent__ap_object"
    ).prefetch_related("post__audience__person__ap_actor")
    likes = Like.objects.filter(person=person).select_related(
        "post__author__ap_actor", "post__ap_object", "comment__author__ap_actor", "comment__ap_object",
    )
    # Posts before comments and likes, which go REPLIES_AFTER later: a server drops a reply to a
    # post it does not have, and deliveries to one server are sent concurrently.
    replies_at = restored_at + REPLIES_AFTER
    for kind, queryset in (("post", posts), ("comment", comments), ("like", likes)):
        for rows in _batches(queryset):
            with transaction.atomic():
                if not _still(person.id, **active):
                    return made
                made += enqueue_batch(
                    protocol=PROTOCOL, content_type=CONTENT_TYPE, signer=person,
                    outgoing=_redeliveries(kind, person, rows, restored_at, followers),
                    not_before=None if kind == "post" else replies_at,
                )
    return made


def _actor_update(person: Person, stamp: int, followers: list[str]) -> Outgoing:
    """The actor answers again: its followers' servers refetch it instead of keeping the 410."""
    actor = render.actor(person)
    actor.pop("@context")
    activity = render.wrap(
        "Update", person, actor, activity_id=uris.activity(actor["id"], "update", stamp),
        to=[AS_PUBLIC], cc=[uris.followers(person.username)],
    )
    return Outgoing(activity["id"], _body(activity), followers, f"profile:{person.id}")


def _members(post: Post) -> list[Person]:
    return [row.person for row in post.audience.all()]  # prefetched


def _redeliveries(kind: str, person: Person, rows: Sequence[Any], restored_at: datetime, followers: list[str]) -> list[Outgoing]:
    """Each object of a batch as it goes out again: to every inbox that had it before, and for a
    limited post (or a comment on one) to its audience and nobody else."""
    sent = _sent_before([f"{kind}:{row.id}" for row in rows])
    stamp = _stamp(restored_at)
    outgoing = []
    for row in rows:
        subject = f"{kind}:{row.id}"
        if subject not in sent:
            continue  # never went out before: it is not for the restore to publish it now
        before, _latest = sent[subject]
        if kind == "post":
            activity, inboxes = _recreate_post(person, row, restored_at, stamp, before, followers)
        elif kind == "comment":
            activity, inboxes = _recreate_comment(person, row, restored_at, stamp, before, followers)
        else:
            activity, inboxes = _relike(person, row, stamp), before
        outgoing.append(Outgoing(activity["id"], _body(activity), sorted(inboxes), subject))
    return outgoing


def _audience_inboxes(members: Sequence[Person]) -> set[str]:
    """A limited post's recipients' own inboxes (as outbound.common.post_inboxes, from prefetched rows)."""
    return {member.ap_actor.inbox for member in members if not member.is_local and hasattr(member, "ap_actor")}


def _recreate_post(
    person: Person, post: Post, restored_at: datetime, stamp: int, before: set[str], followers: list[str]
) -> tuple[dict[str, Any], set[str]]:
    object_uri = uris.post(person.username, post.id)
    if post.reshare_of is not None:
        root = post.reshare_of
        activity = render.wrap(
            "Announce", person, render.post_uri(root), activity_id=uris.activity(object_uri, "announce", stamp),
            to=[AS_PUBLIC], cc=[uris.followers(person.username), render.actor_uri(root.author)],
            published=render._iso(post.created_at),
        )
        return activity, before | set(followers)
    members = _members(post) if post.is_limited else None
    note = render.note(post, members, _thread(post))
    # Later than the tombstone each receiving server keeps since the Delete: the Create wins.
    note["updated"] = _iso_ms(restored_at)
    activity = render.wrap(
        "Create", person, note, activity_id=uris.activity(object_uri, "create", stamp),
        to=note["to"], cc=note["cc"], published=note["published"],
    )
    if members is not None:
        return activity, _audience_inboxes(members)  # exactly the audience, never wider
    return activity, before | set(followers)


def _recreate_comment(
    person: Person, comment: Comment, restored_at: datetime, stamp: int, before: set[str], followers: list[str]
) -> tuple[dict[str, Any], set[str]]:
    post = comment.post
    if post.is_limited:
        members = _members(post)
        addressing = render.addressing(post, members)
        inboxes = _audience_inboxes(members) | (
            {post.author.ap_actor.delivery_inbox} if not post.author.is_local else set()
        )
    else:
        addressing = {"to": [AS_PUBLIC], "cc": [uris.followers(person.username)]}
        inboxes = before | set(followers)
    note = render.comment_note(comment, addressing)
    note["updated"] = _iso_ms(restored_at)
    activity = render.wrap(
        "Create", person, note, activity_id=uris.activity(note["id"], "create", stamp),
        to=note["to"], cc=note["cc"], published=note["published"],
    )
    return activity, inboxes


def restored_like_id(username: str, like_id: int, stamp: int) -> str:
    """A Like sent again after a restore: a new id (inboxes keep the ids they have seen), that
    the like's own address still answers for (views.like_object), for forwarded copies."""
    return f"{uris.like(username, like_id)}?restored={stamp}"


def _relike(person: Person, liked: Like, stamp: int) -> dict[str, Any]:
    author = liked.post.author if liked.post_id else liked.comment.author
    target = render.post_uri(liked.post) if liked.post_id else render.comment_uri(liked.comment)
    return render.wrap(
        "Like", person, target, activity_id=restored_like_id(person.username, liked.id, stamp),
        to=[render.actor_uri(author)],
    )


@events.subscribe(events.PersonRestored, in_worker=True)
@stable_name
def _on_restored(event: events.PersonRestored) -> None:
    restore(event.person_id)
