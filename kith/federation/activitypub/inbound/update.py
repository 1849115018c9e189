"""Update: an actor refetches itself, or its author edits a post or comment."""

from __future__ import annotations

from kith.federation.activitypub import actors
from kith.federation.activitypub.inbound.common import Drop
from kith.federation.activitypub.inbound.notes import _content, _note_of
from kith.federation.activitypub.models import RemoteActor, RemoteObject
from kith.federation.activitypub.parse import ActivityData, ActorData, ParseError
from kith.social import remote


def _update(activity: ActivityData, actor: RemoteActor) -> None:
    if isinstance(activity.object, ActorData) or activity.object_id == actor.uri:
        if activity.object_id != actor.uri:
            raise ParseError("an actor may only update itself")
        actors.resolve_actor(actor.uri, refresh=True)  # refetch rather than trust the embedded copy
        return
    note, _fetched = _note_of(activity)
    if note.attributed_to != actor.uri:
        raise ParseError("only the author may update a note")
    found = RemoteObject.objects.select_related("post", "comment").filter(uri=note.id).first()
    if found is None:
        raise Drop("an update of something we do not have")
    # Ownership was confirmed when it was stored; the domain refuses anyone but its author.
    if found.post is not None:
        remote.update_remote_post(actor.person, found.post, _content(note), edited_at=note.updated)
    elif found.comment is not None:
        remote.update_remote_comment(actor.person, found.comment, _content(note), edited_at=note.updated)
