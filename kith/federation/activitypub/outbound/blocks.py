"""Blocks: Block and Undo Block."""

from __future__ import annotations

from kith.core import events
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.outbound.common import _send, stable_name
from kith.jobs import task
from kith.people.models import Person


@task()
@stable_name
def federate_block(blocker_id: int, blocked_id: int, undo: bool = False) -> None:
    people = {p.id: p for p in Person.objects.select_related("ap_actor").filter(id__in=[blocker_id, blocked_id])}
    blocker, blocked = people.get(blocker_id), people.get(blocked_id)
    if not (blocker and blocked and blocker.is_local and not blocked.is_local):
        return
    block_uri = f"{uris.actor(blocker.username)}/blocks/{blocked.id}"
    block = render.wrap("Block", blocker, render.actor_uri(blocked), activity_id=block_uri)
    if undo:
        block.pop("@context")
        activity = render.wrap("Undo", blocker, block, activity_id=uris.activity(block_uri, "undo"))
    else:
        activity = block
    _send(activity, [blocked.ap_actor.inbox], blocker, f"block:{blocker_id}:{blocked_id}:{int(undo)}")


@events.subscribe(events.PersonBlocked, in_worker=True)
@stable_name
def _on_block(event: events.PersonBlocked) -> None:
    federate_block.call_local(event.blocker_id, event.blocked_id)


@events.subscribe(events.PersonUnblocked, in_worker=True)
@stable_name
def _on_unblock(event: events.PersonUnblocked) -> None:
    federate_block.call_local(event.blocker_id, event.blocked_id, undo=True)
