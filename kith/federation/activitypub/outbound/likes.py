"""Likes: Like and Undo Like, and forwarding remote likes to a post's audience."""

from __future__ import annotations

from kith.core import events
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.models import InboundActivity, RemoteObject
from kith.federation.activitypub.outbound.common import (
    _previous_inboxes,
    _send,
    _shared_inboxes,
    latest_activity_id,
    post_inboxes,
    stable_name,
)
from kith.federation.delivery import drop_deliveries
from kith.jobs import task
from kith.people.models import Person
from kith.social.models import Comment, Like, Post


@task()
@stable_name
def federate_like(like_id: int) -> None:
    liked = Like.objects.select_related("person", "post__author", "comment__post__author", "comment__author").filter(id=like_id).first()
    if liked is None:
        return
    if not liked.person.is_local:
        _forward_remote_like(liked)
        return
    post = liked.post or liked.comment.post
    target = render.post_uri(liked.post) if liked.post else render.comment_uri(liked.comment)
    author = liked.post.author if liked.post else liked.comment.author
    activity = render.wrap(
        "Like", liked.person, target, activity_id=uris.like(liked.person.username, liked.id),
        to=[render.actor_uri(author)],
    )
    inboxes = _shared_inboxes([author, post.author]) | (post_inboxes(post) if post.is_limited or post.author.is_local else set())
    _send(activity, inboxes, liked.person, f"like:{liked.id}")


def _forward_remote_like(liked: Like) -> None:
    """A remote like of a local public post travels on to the post's followers, like replies do.

    Receivers refetch the Like from the liker's server before counting it.
    """
    post = liked.post or liked.comment.post
    if not post.author.is_local or post.is_limited:
        return
    origin = RemoteObject.objects.filter(like=liked).first()
    inbound = InboundActivity.objects.filter(activity_uri=origin.activity_uri).first() if origin else None
    if inbound is None:
        return
    inboxes = {inbox for inbox in post_inboxes(post) if liked.person.domain not in inbox}
    _send(inbound.payload, inboxes, post.author, f"like:{liked.id}")


@task()
@stable_name
def federate_unlike(like_id: int, person_id: int, post_id: int | None = None, comment_id: int | None = None) -> None:
    person = Person.objects.filter(id=person_id).first()
    if person is None or not person.is_local:
        return
    subject = f"like:{like_id}"
    drop_deliveries(subject)
    like_uri = uris.like(person.username, like_id)
    # The Like is embedded: it no longer exists to be fetched by its id.
    like: str | dict = like_uri
    post = Post.objects.select_related("author__ap_actor", "ap_object").filter(id=post_id).first() if post_id else None
    comment = (
        Comment.objects.select_related("author__ap_actor", "ap_object").filter(id=comment_id).first() if comment_id else None
    )
    if post is not None or comment is not None:
        target = render.post_uri(post) if post is not None else render.comment_uri(comment)
        like = {
            "id": latest_activity_id(subject, like_uri, prefix=like_uri), "type": "Like",
            "actor": render.actor_uri(person), "object": target,
        }
    activity = render.wrap("Undo", person, like, activity_id=uris.activity(like_uri, "undo"))
    _send(activity, _previous_inboxes(subject), person, f"undo:{subject}")


@events.subscribe(events.LikeAdded, in_worker=True)
@stable_name
def _on_like(event: events.LikeAdded) -> None:
    federate_like.call_local(event.like_id)


@events.subscribe(events.LikeRemoved, in_worker=True)
@stable_name
def _on_unlike(event: events.LikeRemoved) -> None:
    federate_unlike.call_local(event.like_id, event.person_id, event.post_id, event.comment_id)
