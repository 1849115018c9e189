"""Move: account migration; local followers follow the new account, if it names the old one."""

from __future__ import annotations

import logging

from kith.core.errors import DomainError
from kith.federation.activitypub import actors
from kith.federation.activitypub.models import RemoteActor
from kith.federation.activitypub.parse import ActivityData, ParseError, parse_actor
from kith.graph import services as graph
from kith.graph.models import FollowState
from kith.people.models import Person
from kith.people.remote import record_remote_move

log = logging.getLogger(__name__)


def _move(activity: ActivityData, actor: RemoteActor) -> None:
    """Account migration: local followers of the old account follow the new one, if it agrees."""
    if activity.object_id != actor.uri or not activity.target:
        raise ParseError("an actor may only move itself")
    new_home = parse_actor(actors.fetch_json(activity.target))
    if actor.uri not in new_home.also_known_as:
        raise ParseError("the new account does not name the old one in alsoKnownAs")
    successor = actors.resolve_actor(activity.target, refresh=True).person
    record_remote_move(actor.person, successor)  # the profile here says where they went
    followers = Person.objects.filter(
        domain="", following_rel__followee=actor.person, following_rel__state=FollowState.ACCEPTED
    )
    for follower in followers:
        try:
            graph.follow(follower, successor)
        except DomainError as exc:  # e.g. a block between them: that follower stays behind
            log.info("move: %s does not follow %s: %s", follower.handle, successor.handle, exc)
            continue
        graph.unfollow(follower, actor.person)
