"""Where the ActivityPub adapter plugs into the protocol-neutral core and the domain's ports
(kith/federation/activitypub/apps.py), and the names its queued work keeps across the split of
outbound.py into a package (a job or pending event queued before an upgrade still runs)."""

from __future__ import annotations

from kith.core import events
from kith.federation import delivery
from kith.federation.activitypub import lookup, sender
from kith.federation.activitypub.models import RemoteActor, RemoteObject
from kith.jobs import huey
from kith.social import lookup as lookup_port
from kith.social.wire_ids import wire_ids

OUTBOUND = "kith.federation.activitypub.outbound"
OUTBOUND_TASKS = {
    "federate_block", "federate_comment", "federate_comment_delete", "federate_comment_edit", "federate_delete",
    "federate_edit", "federate_follow", "federate_follow_accepted", "federate_follow_rejected", "federate_like",
    "federate_move", "federate_person_deleted", "federate_poll_counts", "federate_post", "federate_profile",
    "federate_report", "federate_unfollow", "federate_unlike", "federate_votes", "send_due_poll_updates_job",
}
OUTBOUND_CONSUMERS = {
    "_on_block", "_on_comment", "_on_comment_delete", "_on_comment_edit", "_on_delete", "_on_edit", "_on_follow",
    "_on_follow_accepted", "_on_follow_rejected", "_on_like", "_on_move", "_on_person_deleted", "_on_post",
    "_on_profile", "_on_report_forwarded", "_on_unblock", "_on_unfollow", "_on_unlike", "_on_vote",
    "_on_suspended", "_on_restored",
}


def test_the_adapter_registers_its_sender_lookup_and_wire_ids():
    registered = delivery._senders["activitypub"]
    assert registered.send is sender.send_activitypub
    assert registered.prepare is sender.prepare_activitypub
    assert lookup_port._directory is lookup.DIRECTORY
    ids = wire_ids()
    assert ids is not None
    assert (ids.remote_people.model, ids.remote_people.key) == (RemoteActor, "person_id")
    assert (ids.remote_posts.model, ids.remote_posts.key) == (RemoteObject, "post_id")
    assert (ids.remote_comments.model, ids.remote_comments.key) == (RemoteObject, "comment_id")


def test_queued_outbound_work_keeps_its_names():
    tasks = {name for name in huey._registry._registry if name.startswith("kith.federation.activitypub.outbound")}
    assert tasks == {f"{OUTBOUND}.{name}" for name in OUTBOUND_TASKS}
    consumers = {name for name in events._by_name if name.startswith("kith.federation.activitypub.outbound")}
    assert consumers == {f"{OUTBOUND}.{name}" for name in OUTBOUND_CONSUMERS}
    assert {"kith.federation.activitypub.inbound.apply_inbound_job",
            "kith.federation.activitypub.inbound.sweep_inbound_job"} <= set(huey._registry._registry)
