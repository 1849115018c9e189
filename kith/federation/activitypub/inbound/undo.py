"""Undo: of a Like, an Announce, a Follow or a Block."""

from __future__ import annotations

from kith.federation.activitypub.inbound.common import Drop, local_person
from kith.federation.activitypub.models import FollowActivity, RemoteActor, RemoteObject, Tombstone
from kith.federation.activitypub.parse import ActivityData, ParseError, under_actor
from kith.graph import services as graph
from kith.social import services


def _undo(activity: ActivityData, actor: RemoteActor) -> None:
    inner = activity.object if isinstance(activity.object, ActivityData) else None
    inner_id = activity.object_id or ""
    if inner is not None and inner.actor != actor.uri:
        raise ParseError("only the actor of an activity may undo it")
    undone = RemoteObject.objects.select_related("like", "post").filter(activity_uri=inner_id).first()
    if undone is not None and undone.like is not None and undone.like.person_id == actor.person_id:
        services.unlike(actor.person, post=undone.like.post, comment=undone.like.comment)
        return
    if undone is not None and undone.post is not None and undone.post.author_id == actor.person_id:
        services.delete_post(actor.person, undone.post)
        return
    follow = FollowActivity.objects.select_related("follow__followee").filter(uri=inner_id).first()
    if follow is not None and follow.follow.follower_id == actor.person_id:
        graph.unfollow(actor.person, follow.follow.followee)
        return
    target = local_person(inner.object_id or "") if inner is not None else None
    if inner is not None and inner.type == "Follow" and target is not None:
        graph.unfollow(actor.person, target)
        return
    if inner is not None and inner.type == "Block" and target is not None:
        graph.unblock(actor.person, target)
        return
    owned = under_actor(inner_id, actor.uri) or inner_id.startswith(actor.uri.rstrip("/") + "#")  # Mastodon's #likes/1
    if (inner is None or inner.type in ("Like", "Announce")) and owned:
        # It may have overtaken its Like or Announce: remembered, so that one is dropped when it comes.
        Tombstone.objects.get_or_create(uri=inner_id, defaults={"actor_uri": actor.uri})
    raise Drop(f"nothing to undo for {inner.type if inner else inner_id}")
