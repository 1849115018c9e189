"""What every outbound family shares: where things go (inboxes) and how they are handed to delivery."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from kith.federation.activitypub import render, uris
from kith.federation.activitypub.models import RemoteActor
from kith.federation.delivery import enqueue_deliveries
from kith.federation.models import Delivery
from kith.graph.models import FollowState
from kith.messaging.models import Message
from kith.people.models import Person
from kith.social.models import Post, Visibility
from kith.visibility import delivered_to_followers

CONTENT_TYPE = "application/activity+json"


def _send(activity: dict, inboxes: Iterable[str], signer: Person | None, subject: str) -> None:
    targets = sorted(set(inboxes))
    if not targets:
        return
    enqueue_deliveries(
        protocol="activitypub",
        activity_uri=activity["id"],
        body=json.dumps(activity, separators=(",", ":"), ensure_ascii=False).encode(),
        content_type=CONTENT_TYPE,
        inboxes=targets,
        signer=signer,
        subject=subject,
    )


def _follower_inboxes(person: Person) -> set[str]:
    """One inbox per server for everyone following `person` (shared inboxes where offered)."""
    actors = RemoteActor.objects.filter(
        person__following_rel__followee=person, person__following_rel__state=FollowState.ACCEPTED
    ).only("inbox", "shared_inbox")
    return {actor.delivery_inbox for actor in actors}


def _personal_inboxes(persons: Iterable[Person]) -> set[str]:
    ids = [p.id for p in persons if not p.is_local]
    return set(RemoteActor.objects.filter(person_id__in=ids).values_list("inbox", flat=True))


def _shared_inboxes(persons: Iterable[Person]) -> set[str]:
    ids = [p.id for p in persons if not p.is_local]
    return {actor.delivery_inbox for actor in RemoteActor.objects.filter(person_id__in=ids)}


def _audience(post: Post) -> list[Person]:
    return [row.person for row in post.audience.select_related("person__ap_actor")]


def post_inboxes(post: Post) -> set[str]:
    """Where a post (and everything about it) goes: its audience, or its author's followers."""
    if delivered_to_followers(post):
        return _follower_inboxes(post.author) | _shared_inboxes(post.mentions.all())
    # Limited: each member's own inbox, so no server has to sort out who may see it.
    return _personal_inboxes(_audience(post))


def _previous_inboxes(subject: str) -> set[str]:
    return set(Delivery.objects.filter(subject=subject).values_list("inbox", flat=True).distinct())


def latest_activity_id(subject: str, default: str, *, prefix: str) -> str:
    """The id under which a Like or Announce about `subject` last went out (starting with
    `prefix`): a suspension lifted sends them again under new ids (outbound.suspension), and
    an Undo must name the one the other servers hold now."""
    found = (
        Delivery.objects.filter(subject=subject, activity_uri__startswith=prefix)
        .order_by("-id").values_list("activity_uri", flat=True).first()
    )
    return found or default


def _load_post(post_id: int) -> Post | None:
    return (
        Post.objects.select_related("author", "reshare_of__author__ap_actor", "reshare_of__ap_object")
        .prefetch_related("media", "tags")
        .filter(id=post_id)
        .first()
    )


def _thread(post: Post) -> render.Thread | None:
    """A message's place in its conversation; None for any other post."""
    if post.visibility != Visibility.DIRECT:
        return None
    message = Message.objects.select_related("conversation__ap_context").filter(post_id=post.id).first()
    if message is None:
        return None
    conversation = message.conversation
    context = getattr(conversation, "ap_context", None)
    previous = (
        Message.objects.filter(conversation=conversation, post_id__lt=post.id)
        .select_related("post__author__ap_actor", "post__ap_object")
        .order_by("-post_id")
        .first()
    )
    return render.Thread(
        context=context.uri if context is not None else uris.conversation(conversation.id),
        in_reply_to=render.post_uri(previous.post) if previous is not None else None,
        subject=conversation.subject or None,
    )


# Queued jobs (huey) and pending events (kith.core.outbox) name their function by module and
# name; these were all in one module, kith.federation.activitypub.outbound, until it became a
# package.  A job or event queued before an upgrade must still find its function after it.
QUEUED_MODULE = "kith.federation.activitypub.outbound"


F = TypeVar("F", bound=Callable[..., Any])


def stable_name(func: F) -> F:
    """Keep the name a task or event consumer is queued under (QUEUED_MODULE.<name>); put it
    below @task() / @events.subscribe, which read the name."""
    func.__module__ = QUEUED_MODULE
    return func
