"""Like: of a post or a comment we have."""

from __future__ import annotations

from kith.federation.activitypub.inbound.common import Drop, _link, _not_undone, find_comment, find_post
from kith.federation.activitypub.models import ObjectKind, RemoteActor
from kith.federation.activitypub.parse import ActivityData
from kith.social import services


def _like(activity: ActivityData, actor: RemoteActor) -> None:
    target_uri = activity.object_id or ""
    comment = find_comment(target_uri)
    post = None if comment else find_post(target_uri)
    if comment is None and post is None:
        raise Drop("a like of something we do not have")
    _not_undone(activity, actor)
    liked = services.like(actor.person, post=post, comment=comment)
    _link(activity, ObjectKind.LIKE, like=liked)
