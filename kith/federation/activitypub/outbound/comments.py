"""Comments: Create, Update and Delete of a reply, and forwarding remote comments to a post's audience."""

from __future__ import annotations

from kith.core import events
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.context import AS_PUBLIC
from kith.federation.activitypub.models import InboundActivity, RemoteObject
from kith.federation.activitypub.outbound.common import (
    _audience,
    _follower_inboxes,
    _previous_inboxes,
    _send,
    _shared_inboxes,
    post_inboxes,
    stable_name,
)
from kith.federation.delivery import drop_deliveries
from kith.jobs import task
from kith.people.models import Person
from kith.social.models import Comment


def comment_addressing(comment: Comment) -> dict[str, list[str]]:
    post = comment.post
    if post.is_limited:
        return render.addressing(post, _audience(post))
    return {"to": [AS_PUBLIC], "cc": [uris.followers(comment.author.username)]}


def _comment_inboxes(comment: Comment) -> set[str]:
    post = comment.post
    inboxes = _shared_inboxes([post.author]) if not post.author.is_local else set()
    if post.author.is_local or post.is_limited:
        inboxes |= post_inboxes(post)
    if not post.is_limited:
        inboxes |= _follower_inboxes(comment.author)
    return inboxes


@task()
@stable_name
def federate_comment(comment_id: int) -> None:
    comment = (
        Comment.objects.select_related("author", "post__author__ap_actor", "post__ap_object", "parent__author")
        .filter(id=comment_id)
        .first()
    )
    if comment is None:
        return
    if not comment.author.is_local:
        _forward_remote_comment(comment)
        return
    note = render.comment_note(comment, comment_addressing(comment))
    activity = render.wrap(
        "Create", comment.author, note, activity_id=uris.activity(note["id"], "create"),
        to=note["to"], cc=note["cc"], published=note["published"],
    )
    _send(activity, _comment_inboxes(comment), comment.author, f"comment:{comment.id}")


def _forward_remote_comment(comment: Comment) -> None:
    """A remote comment on a local public post travels on to the post's followers.

    The original activity is forwarded unchanged, signed by the post's author;
    receivers refetch the comment from its own server before believing it.
    Comments on limited posts need no forwarding: their authors' pods address
    every member of the audience directly.
    """
    post = comment.post
    if not post.author.is_local or post.is_limited:
        return
    origin = RemoteObject.objects.filter(comment=comment).first()
    inbound = InboundActivity.objects.filter(activity_uri=origin.activity_uri).first() if origin else None
    if inbound is None:
        return
    commenter_host = comment.author.domain
    inboxes = {inbox for inbox in post_inboxes(post) if commenter_host not in inbox}
    _send(inbound.payload, inboxes, post.author, f"comment:{comment.id}")


@events.subscribe(events.CommentCreated, in_worker=True)
@stable_name
def _on_comment(event: events.CommentCreated) -> None:
    federate_comment.call_local(event.comment_id)


@task()
@stable_name
def federate_comment_edit(comment_id: int) -> None:
    comment = (
        Comment.objects.select_related("author", "post__author__ap_actor", "post__ap_object", "parent__author")
        .filter(id=comment_id, author__domain="")
        .first()
    )
    if comment is None or comment.edited_at is None:
        return
    note = render.comment_note(comment, comment_addressing(comment))
    activity = render.wrap(
        "Update", comment.author, note, activity_id=uris.activity(note["id"], "update", int(comment.edited_at.timestamp())),
        to=note["to"], cc=note["cc"],
    )
    subject = f"comment:{comment.id}"
    _send(activity, _comment_inboxes(comment) | _previous_inboxes(subject), comment.author, subject)


@events.subscribe(events.CommentEdited, in_worker=True)
@stable_name
def _on_comment_edit(event: events.CommentEdited) -> None:
    federate_comment_edit.call_local(event.comment_id)


@task()
@stable_name
def federate_comment_delete(comment_id: int, post_id: int, author_id: int) -> None:
    author = Person.objects.filter(id=author_id).first()
    if author is None or not author.is_local:
        return
    subject = f"comment:{comment_id}"
    drop_deliveries(subject)
    object_uri = uris.comment(author.username, comment_id)
    tombstone = render.tombstone(object_uri, "Note")
    tombstone.pop("@context")
    activity = render.wrap("Delete", author, tombstone, activity_id=uris.activity(object_uri, "delete"), to=[AS_PUBLIC])
    _send(activity, _previous_inboxes(subject), author, f"delete:{subject}")


@events.subscribe(events.CommentDeleted, in_worker=True)
@stable_name
def _on_comment_delete(event: events.CommentDeleted) -> None:
    federate_comment_delete.call_local(event.comment_id, event.post_id, event.author_id)
