"""What the inbound handlers share: finding the people, posts and comments an activity names
(no fetching), the exception that drops an activity, and the bookkeeping of Likes and Announces."""

from __future__ import annotations

from kith.federation.activitypub import actors, uris
from kith.federation.activitypub.models import ObjectKind, RemoteActor, RemoteObject, Tombstone
from kith.federation.activitypub.parse import ActivityData
from kith.people.models import AccountState, Person
from kith.social.models import Comment, Like, Post


class Drop(Exception):
    """Valid, but nothing to do (not for us, unknown object, already applied); logged, not retried."""


def local_person(uri: str) -> Person | None:
    username = actors.local_username_for(uri)
    if username is None:
        return None
    return Person.objects.filter(username__iexact=username, domain="", state=AccountState.ACTIVE).first()


def _local_object_id(uri: str, kind: str) -> int | None:
    """The id in one of our own URIs, e.g. .../users/ann/posts/123 -> 123 for kind 'posts'."""
    prefix = uris.actor("")
    if not uri.startswith(prefix):
        return None
    parts = uri[len(prefix):].split("/")
    if len(parts) == 3 and parts[1] == kind and parts[2].isdigit():
        return int(parts[2])
    return None


def find_post(uri: str) -> Post | None:
    if (post_id := _local_object_id(uri, "posts")) is not None:
        return Post.objects.select_related("author").filter(id=post_id).first()
    found = RemoteObject.objects.select_related("post__author").filter(uri=uri, kind=ObjectKind.POST).first()
    return found.post if found else None


def find_comment(uri: str) -> Comment | None:
    if (comment_id := _local_object_id(uri, "comments")) is not None:
        return Comment.objects.select_related("post", "author").filter(id=comment_id).first()
    found = RemoteObject.objects.select_related("comment__post").filter(uri=uri, kind=ObjectKind.COMMENT).first()
    return found.comment if found else None


def _person_for(uri: str) -> Person | None:
    """A person by actor id, local or already known remote (no fetching)."""
    person = local_person(uri)
    if person is not None:
        return person
    known = RemoteActor.objects.select_related("person").filter(uri=uri).first()
    return known.person if known else None


def _not_undone(activity: ActivityData, actor: RemoteActor) -> None:
    if RemoteObject.objects.filter(uri=activity.id).exists():
        raise Drop("already applied")
    if Tombstone.objects.filter(uri=activity.id, actor_uri=actor.uri).exists():
        raise Drop("undone before it arrived")


def _link(activity: ActivityData, kind: str, **made: Like | Post) -> None:
    """Name the like or reshare a Like or Announce made by the activity's id (an Undo names it).

    A person has one like or reshare of a thing: a second Like or Announce of it, sent after
    an Undo of the first that is not applied yet (deliveries and inbound jobs run concurrently,
    so a later activity may be applied first), takes the name over; that Undo then finds
    nothing to undo, and the like or reshare stays, as its actor last wanted."""
    RemoteObject.objects.update_or_create(**made, defaults={"uri": activity.id, "kind": kind, "activity_uri": activity.id})
