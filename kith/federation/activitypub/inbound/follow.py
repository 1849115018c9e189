"""Follow, and the Accept or Reject that answers one of ours."""

from __future__ import annotations

from kith.federation.activitypub.inbound.common import Drop, local_person
from kith.federation.activitypub.models import FollowActivity, RemoteActor
from kith.federation.activitypub.parse import ActivityData
from kith.graph import services as graph
from kith.graph.models import Follow


def _follow(activity: ActivityData, actor: RemoteActor) -> None:
    target = local_person(activity.object_id or "")
    if target is None:
        raise Drop("a follow of nobody here")
    relation = graph.follow(actor.person, target)
    FollowActivity.objects.update_or_create(follow=relation, defaults={"uri": activity.id})


def _accept_or_reject(activity: ActivityData, actor: RemoteActor, accepted: bool) -> None:
    follow = _our_follow(activity, actor)
    if follow is None:
        raise Drop("an answer to a follow we did not send")
    if accepted:
        graph.accept_follow_request(actor.person, follow.follower)
    else:
        graph.follow_refused(follow.follower, actor.person)


def _our_follow(activity: ActivityData, actor: RemoteActor) -> Follow | None:
    """The Follow an Accept/Reject answers: by its activity id, or (embedded) by its actor and object."""
    found = FollowActivity.objects.select_related("follow__follower").filter(uri=activity.object_id or "").first()
    if found is not None and found.follow.followee_id == actor.person_id:
        return found.follow
    embedded = activity.object if isinstance(activity.object, ActivityData) else None
    follower = local_person(embedded.actor) if embedded is not None and embedded.type == "Follow" else None
    if follower is None:
        return None
    return Follow.objects.select_related("follower").filter(follower=follower, followee=actor.person).first()
