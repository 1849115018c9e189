"""A reshare taken back reaches the servers its Announce reached (found by the soak, bench/soak.py)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from kith.federation.activitypub import uris
from kith.federation.activitypub.models import RemoteActor
from kith.federation.models import Delivery, DeliveryState
from kith.graph import services as graph
from kith.people.remote import upsert_remote_person
from kith.social import services

pytestmark = pytest.mark.django_db(transaction=True)
REMOTE = "https://mastodon.example"


def test_an_undone_reshare_sends_an_undo_of_its_announce(alice, bob):
    ann = upsert_remote_person("ann", "mastodon.example")
    RemoteActor.objects.create(
        person=ann, uri=f"{REMOTE}/users/ann", inbox=f"{REMOTE}/users/ann/inbox", shared_inbox=f"{REMOTE}/inbox",
        key_id=f"{REMOTE}/users/ann#main-key", public_key_pem="unused", fetched_at=timezone.now(),
    )
    graph.follow(ann, alice)
    post = services.publish_post(bob, "worth passing on")
    shared = services.reshare(alice, post)
    announce_id = uris.activity(uris.post("alice", shared.id), "announce")
    assert Delivery.objects.filter(activity_uri=announce_id, inbox=f"{REMOTE}/inbox").exists()
    Delivery.objects.filter(activity_uri=announce_id).update(state=DeliveryState.SENT)  # as if it went out

    services.undo_reshare(alice, post)

    [undo] = [json.loads(bytes(row.body)) for row in Delivery.objects.filter(subject=f"delete:post:{shared.id}")]
    # Other servers know the reshare by its Announce's id, never by a post id of its own: a
    # Delete of uris.post(alice, shared.id) matched nothing there, and the reshare stayed.
    assert undo["type"] == "Undo"
    assert undo["actor"] == uris.actor("alice")
    assert undo["object"] == {"id": announce_id, "type": "Announce", "actor": uris.actor("alice")}
