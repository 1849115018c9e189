"""The inbox against a hostile fediverse, issue 12's part: hostile hosts, deep JSON, and objects owned by
their actor, not their host (ids under the actor's own id, or confirmed by a fetch from the origin).
The fixtures and helpers are those of test_adversarial.py (conftest.py, support.py)."""

from __future__ import annotations

import pytest

from kith.federation.activitypub import uris
from kith.federation.activitypub.models import (
    InboundState,
    RemoteObject,
    Tombstone,
)
from tests.federation.inbox.support import (
    accept,
    domain_state,
    refused,
    remote_person,
    send,
    stored_then,
)

pytestmark = pytest.mark.django_db(transaction=True)


# ---- hostile hosts, deep JSON and ownership by actor (issue 12) ----------------------------------------------


@pytest.mark.parametrize("host", [
    "127.000.003.002", "0x7f.1", "[::1", "xn--", "\u2603.example", "a..b", "-a.example", "1.2.3.4:99999",
    "[fe80::1%25eth0]", "x" * 300,
])
def test_key_id_with_a_malformed_host_is_a_401_not_a_500(client, alice, bob, host):
    """A keyId whose URL does not parse (127.000.003.002 made httpx raise InvalidURL: a 500 for anyone)."""
    follow = bob.activity("Follow", uris.actor("alice"))
    refused(send(client, bob, follow, key_id=f"https://{host}/users/bob#main-key"), 401, "signature not accepted")


def test_json_nested_below_the_recursion_limit_is_refused_too(client, alice, bob):
    """900 levels parse without a RecursionError, but nothing after the parser should recurse that deep."""
    depth = 900
    refused(send(client, bob, b'{"a":' * depth + b"1" + b"}" * depth), 400, "nests more than")


def test_a_note_under_another_actors_path_is_not_stored(client, alice, bob, eve, peer):
    """Same host, wrong actor: eve cannot create a note at bob's /users/bob/statuses/... id."""
    squatted = eve.note("s1", "Words put in bob's mouth", serve=False) | {"id": f"{bob.uri}/statuses/s1"}
    before = domain_state()
    create = eve.create(squatted)
    accept(client, eve, create)
    stored_then(create, InboundState.FAILED, "origin does not confirm")
    assert domain_state() == before
    assert not RemoteObject.objects.filter(uri=squatted["id"]).exists()
    # bob's real note at that id, arriving afterwards, is still his.
    real = bob.note("s1", "bob's own words")
    accept(client, bob, bob.create(real))
    assert RemoteObject.objects.get(uri=real["id"]).post.author == remote_person(bob)


def test_a_note_whose_origin_names_another_author_is_not_stored(client, alice, bob, eve, peer):
    bob.note("s2", "bob's own words")  # served at /users/bob/statuses/s2, by bob
    forged = eve.note("s2", "eve's copy", serve=False) | {"id": f"{bob.uri}/statuses/s2"}
    create = eve.create(forged)
    accept(client, eve, create)
    stored_then(create, InboundState.FAILED, "names another author")
    assert not RemoteObject.objects.filter(uri=forged["id"]).exists()


def test_a_misskey_shaped_id_is_believed_when_its_origin_confirms_it(client, alice, bob, peer):
    """Misskey's notes live at /notes/<id>, not under /users/<id>: the origin's copy decides."""
    note = bob.note("m1", "from a Misskey-like server", serve=False) | {"id": peer.url("/notes/m1")}
    peer.serve_json("/notes/m1", note)
    accept(client, bob, bob.create(note))
    assert RemoteObject.objects.get(uri=note["id"]).post.author == remote_person(bob)
    assert peer.hits("/notes/m1") == 1


def test_a_misskey_shaped_id_the_origin_does_not_serve_is_not_stored(client, alice, bob, peer):
    note = bob.note("m2", "nobody serves this", serve=False) | {"id": peer.url("/notes/m2")}
    create = bob.create(note)
    accept(client, bob, create)
    stored_then(create, InboundState.FAILED, "origin does not confirm")
    assert not RemoteObject.objects.filter(uri=note["id"]).exists()


def test_a_delete_keeps_no_tombstone_for_another_actors_id(client, alice, bob, eve, peer):
    """eve's Delete of bob's next status (before it arrives) must not stop bob's Create."""
    target = f"{bob.uri}/statuses/next"
    accept(client, eve, eve.activity("Delete", target))
    assert not Tombstone.objects.filter(uri=target).exists()
    real = bob.note("next", "not deleted by eve")
    accept(client, bob, bob.create(real))
    assert RemoteObject.objects.filter(uri=real["id"], post__isnull=False).exists()


def test_a_tombstone_for_a_misskey_shaped_id_stops_only_its_own_actor(client, alice, bob, eve, peer):
    target = peer.url("/notes/m3")
    accept(client, eve, eve.activity("Delete", target))
    note = bob.note("m3", "bob's note at a predictable id", serve=False) | {"id": target}
    peer.serve_json("/notes/m3", note)
    accept(client, bob, bob.create(note))
    assert RemoteObject.objects.get(uri=target).post.author == remote_person(bob)


def test_a_delete_before_its_create_still_wins(client, alice, bob, peer):
    """The owner's own Delete overtaking the Create keeps working (under their path)."""
    note = bob.note("gone", "deleted at once")
    accept(client, bob, bob.activity("Delete", note["id"]))
    assert Tombstone.objects.get(uri=note["id"]).actor_uri == bob.uri
    create = bob.create(note)
    accept(client, bob, create)
    stored_then(create, InboundState.DROPPED, "deleted before it arrived")
