"""Local surfacing: the domain events that write streams and notifications.

Federation subscribes to the same events separately (kith.federation), so
nothing here knows about other pods.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from kith.core import events
from kith.graph.models import AspectMembership, Follow, FollowState
from kith.people.models import Person
from kith.people.selectors import known_person
from kith.social.models import Comment, Like, Post, PostAudience, PostMention
from kith.social.text import render_for
from kith.timelines.fanout import fanout_job, run_fanout, surface_posts_of_accepted_follow
from kith.timelines.models import (
    MODERATION_NOTIFICATION_KINDS,
    FanOut,
    Notification,
    NotificationKind,
    StreamEntry,
    StreamReason,
)
from kith.timelines.notify import notify
from kith.visibility import can_see_comment, can_see_post, enters_streams, visibility_enters_streams

# ---- in the writing transaction: this package's own rows, kept in step with the others' ----------


@events.subscribe_in_transaction(events.PostPublished)
def write_stream_rows(event: events.PostPublished) -> None:
    """The author's own stream row and the FanOut row, committed with the post: nothing
    published is ever left without its fan-out.  Idempotent, like every consumer."""
    if not event.visibility or not visibility_enters_streams(event.visibility):
        # A message is read in its conversation.  No visibility: an event built without one
        # (tests re-send bare events); every publishing path in kith names it.
        return
    if event.into_author_stream:
        StreamEntry.objects.bulk_create(
            [StreamEntry(owner_id=event.author_id, post_id=event.post_id, reason=StreamReason.OWN)],
            ignore_conflicts=True,
        )
    FanOut.objects.bulk_create([FanOut(post_id=event.post_id)], ignore_conflicts=True)


@events.subscribe_in_transaction(events.Unfollowed)
def drop_unfollowed_posts(event: events.Unfollowed) -> None:
    """Their posts leave the stream, as in Mastodon; posts shared with you directly stay."""
    StreamEntry.objects.filter(
        owner_id=event.follower_id, post__author_id=event.followee_id, reason=StreamReason.FOLLOWING
    ).delete()


@events.subscribe_in_transaction(events.ConversationRead)
def mark_conversation_notifications_read(event: events.ConversationRead) -> None:
    Notification.objects.filter(
        recipient_id=event.person_id, conversation_id=event.conversation_id, read=False
    ).update(read=True)


# ---- after the commit ----------------------------------------------------------------------------


def _estimated_audience(post: Post) -> int:
    if post.is_limited:
        return PostAudience.objects.filter(post_id=post.id).count()
    return Follow.objects.filter(followee_id=post.author_id, state=FollowState.ACCEPTED).count()


@events.subscribe(events.PostPublished)
def surface_post(event: events.PostPublished) -> None:
    post = Post.objects.select_related("author", "reshare_of__author").filter(id=event.post_id).first()
    if post is None or not enters_streams(post):
        return  # a message: surfaced by surface_message, in its conversation
    # Small audiences are written right away so a reply appears at once; large
    # ones go to the worker, which commits progress batch by batch.
    if _estimated_audience(post) <= settings.KITH_INLINE_FANOUT_LIMIT:
        run_fanout(post.id)
    else:
        fanout_job(post.id)
    mentioned = [
        mention.person for mention in PostMention.objects.filter(post=post).select_related("person")
        if can_see_post(mention.person, post)
    ]
    if not (post.reshare_of_id or mentioned):
        return  # no write transaction (SQLite's single write lock) for nothing
    with transaction.atomic():
        if post.reshare_of is not None:
            notify(post.reshare_of.author, NotificationKind.RESHARED, post.author, post=post.reshare_of)
        for person in mentioned:
            notify(person, NotificationKind.MENTIONED, post.author, post=post)


@events.subscribe(events.PostEdited)
def surface_edit(event: events.PostEdited) -> None:
    post = Post.objects.select_related("author").filter(id=event.post_id).first()
    if post is None:
        return
    for mention in PostMention.objects.filter(post=post).select_related("person"):
        if can_see_post(mention.person, post):
            notify(mention.person, NotificationKind.MENTIONED, post.author, post=post)


@events.subscribe(events.CommentCreated)
def surface_comment(event: events.CommentCreated) -> None:
    comment = Comment.objects.select_related("author", "post__author", "parent__author").filter(
        id=event.comment_id
    ).first()
    if comment is None:
        return
    post = comment.post
    with transaction.atomic():
        notified = {comment.author_id}
        # A reply says so to the one replied to, even when they wrote the post or are mentioned.
        parent = comment.parent
        if parent is not None and parent.author_id not in notified and can_see_comment(parent.author, comment):
            notify(parent.author, NotificationKind.REPLIED, comment.author, post=post, comment=comment)
            notified.add(parent.author_id)
        if post.author_id not in notified and can_see_comment(post.author, comment):
            notify(post.author, NotificationKind.COMMENTED, comment.author, post=post, comment=comment)
        notified.add(post.author_id)
        # Rendered as add_comment renders it: without a resolver no mention is ever found.
        for username, domain in render_for(comment.source).mentions:
            person = known_person(username, domain)
            if person and person.id not in notified and can_see_comment(person, comment):
                notify(person, NotificationKind.MENTIONED, comment.author, post=post, comment=comment)
                notified.add(person.id)
        others = (
            Comment.objects.filter(post=post, author__domain="")
            .exclude(author_id__in=notified)
            .values_list("author", flat=True)
            .distinct()
        )
        for person in Person.objects.filter(id__in=list(others)):
            if can_see_comment(person, comment):
                notify(person, NotificationKind.ALSO_COMMENTED, comment.author, post=post, comment=comment)


@events.subscribe(events.LikeAdded)
def surface_like(event: events.LikeAdded) -> None:
    liked = Like.objects.select_related("person", "post__author", "comment__author", "comment__post").filter(
        id=event.like_id
    ).first()
    if liked is None:
        return
    if liked.post is not None:
        notify(liked.post.author, NotificationKind.LIKED, liked.person, post=liked.post)
    elif liked.comment is not None and can_see_comment(liked.comment.author, liked.comment):
        # The commenter may have lost sight of the post since (a block by its author).
        notify(liked.comment.author, NotificationKind.LIKED, liked.person, post=liked.comment.post, comment=liked.comment)


@events.subscribe(events.FollowRequested)
def surface_follow(event: events.FollowRequested) -> None:
    relation = Follow.objects.select_related("follower", "followee").filter(id=event.follow_id).first()
    if relation is None:
        return
    kind = NotificationKind.FOLLOW_REQUEST if relation.state == FollowState.PENDING else NotificationKind.FOLLOWED
    if kind == NotificationKind.FOLLOWED and AspectMembership.objects.filter(
        aspect__owner_id=relation.follower_id, person_id=relation.followee_id
    ).exists():
        # Put in an aspect (graph.add_to_aspect): "started sharing with you" says it once.
        return
    notify(relation.followee, kind, relation.follower)


@events.subscribe(events.FollowAccepted)
def surface_accepted_follow(event: events.FollowAccepted) -> None:
    surface_posts_of_accepted_follow(event.follow_id)


@events.subscribe(events.StartedSharing)
def surface_sharing(event: events.StartedSharing) -> None:
    people = {p.id: p for p in Person.objects.filter(id__in=[event.sharer_id, event.recipient_id])}
    if len(people) == 2:
        notify(people[event.recipient_id], NotificationKind.STARTED_SHARING, people[event.sharer_id])


@events.subscribe(events.MessageSent)
def surface_message(event: events.MessageSent) -> None:
    # The event names the conversation and its participants: messaging's tables are its own.
    post = Post.objects.select_related("author").filter(id=event.message_id).first()
    if post is None:
        return
    participant_ids, conversation_id = list(event.participant_ids), event.conversation_id or None
    if not participant_ids:
        # An event recorded before it named its participants (an outbox row from an older
        # version): a message's audience rows are exactly its other participants, and the
        # conversation is the one its notifications already name, if any was made.
        audience = PostAudience.objects.filter(post_id=post.id).values_list("person_id", flat=True)
        participant_ids = [post.author_id, *audience]
        conversation_id = (
            Notification.objects.filter(post_id=post.id, kind=NotificationKind.PRIVATE_MESSAGE)
            .filter(conversation_id__isnull=False).values_list("conversation_id", flat=True).first()
        )
    by_id = {p.id: p for p in Person.objects.filter(id__in=participant_ids)}
    participants = [by_id[pid] for pid in participant_ids if pid in by_id]
    with transaction.atomic():
        for person in participants:
            if person.id != post.author_id and can_see_post(person, post):
                notify(
                    person, NotificationKind.PRIVATE_MESSAGE, post.author,
                    post=post, conversation_id=conversation_id,
                )


@events.subscribe_in_transaction(events.ModerationNotice)
def write_moderation_notice(event: events.ModerationNotice) -> None:
    """Moderation tells a local person what happened (a warning or action on them, their
    report's outcome, connections lost to a suspension, a new report for staff).  Unlike
    other notifications these ignore blocks, mutes and the actor's state: the actor is
    often the very account that was acted on."""
    if event.kind not in MODERATION_NOTIFICATION_KINDS:
        raise ValueError(f"not a moderation notification kind: {event.kind}")
    if not Person.objects.filter(id=event.recipient_id, domain="").exists():
        return
    Notification.objects.create(
        recipient_id=event.recipient_id, kind=event.kind, actor_id=event.actor_id, data=event.data
    )

