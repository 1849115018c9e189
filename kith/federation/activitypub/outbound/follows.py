"""Follows: Follow, Accept, Reject and Undo Follow."""

from __future__ import annotations

import time

from kith.core import events
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.models import FollowActivity
from kith.federation.activitypub.outbound.common import _send, stable_name
from kith.federation.models import Delivery
from kith.graph.models import Follow, FollowState
from kith.jobs import task
from kith.people.models import Person


def _follow_uri(follow: Follow) -> str:
    return f"{uris.actor(follow.follower.username)}/follows/{follow.id}"


@task()
@stable_name
def federate_follow(follow_id: int) -> None:
    follow = Follow.objects.select_related("follower", "followee__ap_actor").filter(id=follow_id).first()
    if follow is None:
        return
    if follow.follower.is_local and not follow.followee.is_local:
        activity_uri = _follow_uri(follow)
        FollowActivity.objects.update_or_create(follow=follow, defaults={"uri": activity_uri})
        activity = render.wrap(
            "Follow", follow.follower, render.actor_uri(follow.followee), activity_id=activity_uri
        )
        subject = f"follow:{follow.follower_id}:{follow.followee_id}"
        _send(activity, [follow.followee.ap_actor.inbox], follow.follower, subject)
    elif not follow.follower.is_local and follow.followee.is_local and follow.state == FollowState.ACCEPTED:
        _answer_follow(follow, "Accept")


def _answer_follow(follow: Follow, verdict: str, follower: Person | None = None, followee: Person | None = None) -> None:
    follower = follower or follow.follower
    followee = followee or follow.followee
    known = FollowActivity.objects.filter(follow=follow).first() if follow is not None else None
    follow_object = known.uri if known else {"type": "Follow", "actor": render.actor_uri(follower), "object": render.actor_uri(followee)}
    stamp = follow.id if follow is not None else follower.id
    activity = render.wrap(
        verdict, followee, follow_object,
        activity_id=f"{uris.actor(followee.username)}/{verdict.lower()}s/{stamp}",
    )
    _send(activity, [follower.ap_actor.inbox], followee, f"{verdict.lower()}:{follower.id}:{followee.id}")


@task()
@stable_name
def federate_follow_accepted(follow_id: int) -> None:
    follow = Follow.objects.select_related("follower__ap_actor", "followee").filter(id=follow_id).first()
    if follow is not None and not follow.follower.is_local and follow.followee.is_local:
        _answer_follow(follow, "Accept")


@task()
@stable_name
def federate_follow_rejected(follower_id: int, followee_id: int) -> None:
    people = {p.id: p for p in Person.objects.select_related("ap_actor").filter(id__in=[follower_id, followee_id])}
    follower, followee = people.get(follower_id), people.get(followee_id)
    if follower and followee and not follower.is_local and followee.is_local:
        _answer_follow(None, "Reject", follower=follower, followee=followee)


@task()
@stable_name
def federate_unfollow(follower_id: int, followee_id: int) -> None:
    people = {p.id: p for p in Person.objects.select_related("ap_actor").filter(id__in=[follower_id, followee_id])}
    follower, followee = people.get(follower_id), people.get(followee_id)
    if not (follower and followee and follower.is_local and not followee.is_local):
        return
    sent = Delivery.objects.filter(subject=f"follow:{follower_id}:{followee_id}").values_list("activity_uri", flat=True).first()
    # The Follow is embedded, not just named: Kith does not serve its Follow activities, and
    # receivers such as Fedify apps (undo.getObject()) must see what is undone (as Mastodon sends it).
    follow_object = {"type": "Follow", "actor": render.actor_uri(follower), "object": render.actor_uri(followee)}
    if sent:
        follow_object = {"id": sent, **follow_object}
    activity = render.wrap(
        "Undo", follower, follow_object,
        activity_id=f"{uris.actor(follower.username)}/unfollows/{followee.id}-{int(time.time())}",
    )
    _send(activity, [followee.ap_actor.inbox], follower, f"unfollow:{follower_id}:{followee_id}")


@events.subscribe(events.FollowRequested, in_worker=True)
@stable_name
def _on_follow(event: events.FollowRequested) -> None:
    federate_follow.call_local(event.follow_id)


@events.subscribe(events.FollowAccepted, in_worker=True)
@stable_name
def _on_follow_accepted(event: events.FollowAccepted) -> None:
    federate_follow_accepted.call_local(event.follow_id)


@events.subscribe(events.FollowRejected, in_worker=True)
@stable_name
def _on_follow_rejected(event: events.FollowRejected) -> None:
    federate_follow_rejected.call_local(event.follower_id, event.followee_id)


@events.subscribe(events.Unfollowed, in_worker=True)
@stable_name
def _on_unfollow(event: events.Unfollowed) -> None:
    federate_unfollow.call_local(event.follower_id, event.followee_id)
