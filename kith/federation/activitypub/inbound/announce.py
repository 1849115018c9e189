"""Announce: a reshare of a public post we have."""

from __future__ import annotations

from kith.federation.activitypub.inbound.common import Drop, _link, _not_undone, find_post
from kith.federation.activitypub.models import ObjectKind, RemoteActor
from kith.federation.activitypub.parse import ActivityData, ParseError
from kith.people.models import AccountState
from kith.social import services
from kith.visibility import is_resharable


def _announce(activity: ActivityData, actor: RemoteActor) -> None:
    target_uri = activity.object_id or ""
    post = find_post(target_uri)
    if post is None:
        raise Drop("a reshare of something we do not have")
    if post.author.state != AccountState.ACTIVE:
        raise Drop("a reshare of someone suspended here")
    if not is_resharable(post):
        raise ParseError("only public posts can be reshared")
    _not_undone(activity, actor)
    shared = services.reshare(actor.person, post)
    _link(activity, ObjectKind.POST, post=shared)
