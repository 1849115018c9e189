"""Delete: an actor leaves, or its author deletes a post or comment (a tombstone when it came first)."""

from __future__ import annotations

from kith.federation.activitypub.inbound.common import Drop
from kith.federation.activitypub.models import RemoteActor, RemoteObject, Tombstone
from kith.federation.activitypub.parse import ActivityData, same_origin, under_actor
from kith.people.remote import remove_remote_person
from kith.social import services


def _delete(activity: ActivityData, actor: RemoteActor) -> None:
    target = activity.object_id
    if target == actor.uri:
        remove_remote_person(actor.person)
        return
    found = RemoteObject.objects.select_related("post__author", "comment__author", "comment__post").filter(uri=target).first()
    if found is None:
        _keep_tombstone(target, actor)
        raise Drop("deleted something we do not have (tombstone kept)")
    if found.post is not None:
        services.delete_post(actor.person, found.post)  # refuses anyone but the author
    elif found.comment is not None:
        services.delete_comment(actor.person, found.comment)  # the comment's or the post's author
    Tombstone.objects.update_or_create(uri=target, defaults={"actor_uri": actor.uri})


def _keep_tombstone(target: str | None, actor: RemoteActor) -> None:
    """A Delete of something not here yet (it may overtake its Create): remember it for the
    actor, so that their Create arriving later is ignored.

    Only for an id the actor may own: under their own id path, or on their server and not
    under another actor's path (a sibling of the actor's id: /users/bob/... for /users/eve).
    A tombstone only ever stops a note by its own actor (ingest_note), so one kept for a
    Misskey-shaped id (/notes/x) that is in truth someone else's changes nothing for them."""
    if not target or not same_origin(target, actor.uri):
        return
    if under_actor(target, actor.uri):
        Tombstone.objects.update_or_create(uri=target, defaults={"actor_uri": actor.uri})
        return
    siblings = actor.uri.rstrip("/").rsplit("/", 1)[0] + "/"
    if target.startswith(siblings):
        raise Drop("a Delete of an object under another actor's id")
    Tombstone.objects.get_or_create(uri=target, defaults={"actor_uri": actor.uri})
