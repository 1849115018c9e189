"""Posts: Create, Update and Delete of a Note (or an Announce and its Undo for a reshare)."""

from __future__ import annotations

from kith.core import events
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.context import AS_PUBLIC
from kith.federation.activitypub.outbound.common import (
    _audience,
    _follower_inboxes,
    _load_post,
    _previous_inboxes,
    _send,
    _shared_inboxes,
    _thread,
    latest_activity_id,
    post_inboxes,
    stable_name,
)
from kith.federation.delivery import drop_deliveries
from kith.federation.models import Delivery
from kith.jobs import task
from kith.people.models import Person
from kith.social.media import finish_processing


@task()
@stable_name
def federate_post(post_id: int) -> None:
    # Photos are described by what processing finds (type, size, blurhash) and served only once
    # processed: a photo posted straight after its upload would otherwise go out unserved, and
    # the receiving server, finding nothing there, would give it up.
    finish_processing(post_id)
    post = _load_post(post_id)
    if post is None or not post.author.is_local:
        return
    if post.reshare_of_id:
        root = post.reshare_of
        activity = render.wrap(
            "Announce", post.author, render.post_uri(root),
            activity_id=uris.activity(uris.post(post.author.username, post.id), "announce"),
            to=[AS_PUBLIC], cc=[uris.followers(post.author.username), render.actor_uri(root.author)],
            published=render._iso(post.created_at),
        )
        _send(activity, _follower_inboxes(post.author) | _shared_inboxes([root.author]), post.author, f"post:{post.id}")
        return
    audience = _audience(post) if post.is_limited else None
    note = render.note(post, audience, _thread(post))
    activity = render.wrap(
        "Create", post.author, note, activity_id=uris.activity(note["id"], "create"),
        to=note["to"], cc=note["cc"], published=note["published"],
    )
    _send(activity, post_inboxes(post), post.author, f"post:{post.id}")


@task()
@stable_name
def federate_edit(post_id: int) -> None:
    finish_processing(post_id)  # photos added by the edit (see federate_post)
    post = _load_post(post_id)
    if post is None or not post.author.is_local or post.edited_at is None:
        return
    note = render.note(post, _audience(post) if post.is_limited else None, _thread(post))
    stamp = int(post.edited_at.timestamp())
    activity = render.wrap(
        "Update", post.author, note, activity_id=uris.activity(note["id"], "update", stamp),
        to=note["to"], cc=note["cc"],
    )
    _send(activity, post_inboxes(post) | _previous_inboxes(f"post:{post.id}"), post.author, f"post:{post.id}")


@task()
@stable_name
def federate_delete(post_id: int, author_id: int) -> None:
    author = Person.objects.filter(id=author_id).first()
    subject = f"post:{post_id}"
    if author is None or not author.is_local:
        return
    # Whatever had not gone out yet stays home; everyone who got it hears of the deletion.
    drop_deliveries(subject)
    object_uri = uris.post(author.username, post_id)
    announce_id = uris.activity(object_uri, "announce")
    if Delivery.objects.filter(subject=subject, activity_uri=announce_id).exists():
        # A reshare went out as an Announce, which other servers know by its own id: it is taken
        # back by an Undo naming it, as Mastodon does (a Delete of the post's id matched nothing).
        announce = {
            "id": latest_activity_id(subject, announce_id, prefix=announce_id),
            "type": "Announce", "actor": render.actor_uri(author),
        }
        undo = render.wrap("Undo", author, announce, activity_id=uris.activity(object_uri, "undo"), to=[AS_PUBLIC])
        _send(undo, _previous_inboxes(subject), author, f"delete:{subject}")
        return
    activity = render.wrap(
        "Delete", author, render.tombstone(object_uri, "Note") | {"@context": None},
        activity_id=uris.activity(object_uri, "delete"), to=[AS_PUBLIC],
    )
    activity["object"].pop("@context", None)
    _send(activity, _previous_inboxes(subject), author, f"delete:{subject}")


@events.subscribe(events.PostPublished, in_worker=True)
@stable_name
def _on_post(event: events.PostPublished) -> None:
    federate_post.call_local(event.post_id)


@events.subscribe(events.PostEdited, in_worker=True)
@stable_name
def _on_edit(event: events.PostEdited) -> None:
    federate_edit.call_local(event.post_id)


@events.subscribe(events.PostDeleted, in_worker=True)
@stable_name
def _on_delete(event: events.PostDeleted) -> None:
    federate_delete.call_local(event.post_id, event.author_id)
