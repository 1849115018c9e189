"""Block: a remote person blocks one of ours."""

from __future__ import annotations

from kith.federation.activitypub.inbound.common import Drop, local_person
from kith.federation.activitypub.models import RemoteActor
from kith.federation.activitypub.parse import ActivityData
from kith.graph import services as graph


def _block(activity: ActivityData, actor: RemoteActor) -> None:
    target = local_person(activity.object_id or "")
    if target is None:
        raise Drop("a block of nobody here")
    graph.block(actor.person, target)
