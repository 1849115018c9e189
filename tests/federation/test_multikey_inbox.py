"""FEP-521a Multikeys through the inbox: read from actor documents, stored, and used to verify
RFC 9421 and draft-cavage (hs2019) signatures made with Ed25519 keys, as Fedify publishes them."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.cache import cache

from kith.federation import httpsig, multikey
from kith.federation.activitypub import uris
from kith.federation.activitypub.models import InboundActivity, InboundState, RemoteActor, RemoteKey
from kith.federation.activitypub.parse import parse_actor
from kith.federation.models import InstanceKey
from kith.graph.models import Follow
from kith.people.models import PersonKey
from tests import factories
from tests.federation.peers import FakePeer, key_pair, post_activity, rfc9421_headers


def _ed25519() -> tuple[ed25519.Ed25519PrivateKey, str]:
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return private, pem


def _multikey_entry(actor, private: ed25519.Ed25519PrivateKey, fragment: str = "ed25519-key", **extra) -> dict:
    return {
        "id": f"{actor.uri}#{fragment}", "type": "Multikey", "controller": actor.uri,
        "publicKeyMultibase": multikey.encode(private.public_key()), **extra,
    }


@pytest.fixture(scope="module")
def _peer():
    peer = FakePeer.start("127.0.0.11")
    yield peer
    peer.close()


@pytest.fixture
def setup(_peer, settings, transactional_db):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    _peer.reset()
    cache.clear()
    public, private = key_pair(5)
    InstanceKey.objects.create(id=1, public_key_pem=public, private_key_pem=private)
    alice = factories.person("alice")
    public, private = key_pair(6)
    PersonKey.objects.create(person=alice, public_key_pem=public, private_key_pem=private)
    bob = _peer.actor("bob", key_index=0)
    ed_private, ed_pem = _ed25519()
    bob.update(assertionMethod=[
        # Fedify lists the RSA key again as a Multikey, under the same id as publicKey.
        {"id": bob.key_id, "type": "Multikey", "controller": bob.uri,
         "publicKeyMultibase": multikey.encode(
             serialization.load_pem_public_key(bob.public_pem.encode()))},
        _multikey_entry(bob, ed_private),
    ])
    return _peer, bob, ed_private, ed_pem


def _post_9421(client, key_id: str, private_pem: str, activity: dict, **kwargs):
    body = json.dumps(activity).encode()
    signature = rfc9421_headers(
        "POST", "http://testserver/users/alice/inbox", body, key_id=key_id, private_pem=private_pem, **kwargs
    )
    return post_activity(client, None, activity, path="/users/alice/inbox", tamper=lambda headers: headers | signature)


def _post_cavage_ed25519(client, key_id: str, private: ed25519.Ed25519PrivateKey, activity: dict):
    """draft-cavage hs2019 with an Ed25519 key, built by hand from the draft's rules."""
    body = json.dumps(activity).encode()
    headers = {
        "host": "testserver", "date": httpsig.http_date(),
        "digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
    }
    signing = "\n".join([
        "(request-target): post /users/alice/inbox",
        *(f"{name}: {headers[name]}" for name in ("host", "date", "digest")),
    ]).encode()
    headers["signature"] = (
        f'keyId="{key_id}",algorithm="hs2019",headers="(request-target) host date digest",'
        f'signature="{base64.b64encode(private.sign(signing)).decode()}"'
    )
    return post_activity(client, None, activity, path="/users/alice/inbox", tamper=lambda h: h | headers)


def test_rfc9421_with_the_ed25519_multikey_is_accepted(client, setup):
    peer, bob, _, ed_pem = setup
    response = _post_9421(client, f"{bob.uri}#ed25519-key", ed_pem, bob.activity("Follow", uris.actor("alice")), alg="ed25519")
    assert response.status_code == 202, response.content
    assert InboundActivity.objects.get().state == InboundState.DONE
    assert Follow.objects.filter(follower__username="bob").exists()
    actor = RemoteActor.objects.get(uri=bob.uri)
    assert actor.key_id == bob.key_id  # publicKey stays the main key
    assert set(RemoteKey.objects.filter(actor=actor).values_list("key_id", flat=True)) == {
        bob.key_id, f"{bob.uri}#ed25519-key",
    }
    assert peer.hits("/users/bob") == 1


def test_draft_cavage_hs2019_with_the_ed25519_multikey_is_accepted(client, setup):
    _, bob, ed_private, _ = setup
    response = _post_cavage_ed25519(client, f"{bob.uri}#ed25519-key", ed_private, bob.activity("Follow", uris.actor("alice")))
    assert response.status_code == 202, response.content
    assert Follow.objects.filter(follower__username="bob").exists()


def test_the_rsa_main_key_still_verifies(client, setup):
    _, bob, _, _ = setup
    assert _post_9421(client, bob.key_id, bob.private_pem, bob.activity("Follow", uris.actor("alice"))).status_code == 202


def test_a_signature_by_another_ed25519_key_under_the_multikey_id_is_refused(client, setup):
    _, bob, _, _ = setup
    _, forged_pem = _ed25519()
    response = _post_9421(client, f"{bob.uri}#ed25519-key", forged_pem, bob.activity("Follow", uris.actor("alice")), alg="ed25519")
    assert response.status_code == 401
    assert not InboundActivity.objects.exists()


def test_a_key_id_the_actor_does_not_list_is_refused(client, setup):
    peer, bob, _, ed_pem = setup
    response = _post_9421(client, f"{bob.uri}#not-listed", ed_pem, bob.activity("Follow", uris.actor("alice")), alg="ed25519")
    assert response.status_code == 401
    # Unknown fragments cost at most one fresh look at the actor a minute, however many come.
    for fragment in ("another", "and-another", "more"):
        response = _post_9421(client, f"{bob.uri}#{fragment}", ed_pem, bob.activity("Follow", uris.actor("alice")), alg="ed25519")
        assert response.status_code == 401
    assert peer.hits("/users/bob") == 2
    assert not InboundActivity.objects.exists()


def test_a_multikey_added_later_is_found_by_one_refetch(client, setup):
    peer, bob, ed_private, ed_pem = setup
    assert _post_9421(client, bob.key_id, bob.private_pem, bob.activity("Follow", uris.actor("alice"))).status_code == 202
    new_private, new_pem = _ed25519()
    bob.update(assertionMethod=[_multikey_entry(bob, new_private, "key-2")])
    response = _post_9421(client, f"{bob.uri}#key-2", new_pem, bob.activity("Like", uris.actor("alice")), alg="ed25519")
    assert response.status_code == 202, response.content
    actor = RemoteActor.objects.get(uri=bob.uri)
    # The refetched document no longer lists the first Ed25519 key: it stops verifying.
    assert list(RemoteKey.objects.filter(actor=actor).values_list("key_id", flat=True)) == [f"{bob.uri}#key-2"]
    cache.clear()
    refused = _post_9421(client, f"{bob.uri}#ed25519-key", ed_pem, bob.activity("Like", uris.actor("alice")), alg="ed25519")
    assert refused.status_code == 401


def test_an_actor_with_only_multikeys_is_usable(client, setup):
    peer, _, _, _ = setup
    carl = peer.actor("carl", key_index=1)
    ed_private, ed_pem = _ed25519()
    document = carl.document()
    del document["publicKey"]
    document["assertionMethod"] = _multikey_entry(carl, ed_private)
    peer.serve_json("/users/carl", document)
    response = _post_9421(client, f"{carl.uri}#ed25519-key", ed_pem, carl.activity("Follow", uris.actor("alice")), alg="ed25519")
    assert response.status_code == 202, response.content
    assert RemoteActor.objects.get(uri=carl.uri).key_id == ""


# ---- parsing ------------------------------------------------------------------------------------------


BASE = {
    "id": "https://fedify.example/users/peer", "type": "Person", "preferredUsername": "peer",
    "inbox": "https://fedify.example/users/peer/inbox",
}
FEP_KEY = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _entry(**fields) -> dict:
    return {"id": f"{BASE['id']}#ed25519-key", "type": "Multikey", "controller": BASE["id"],
            "publicKeyMultibase": FEP_KEY} | fields


def test_parse_reads_multikeys_and_skips_what_it_cannot_use():
    doc = BASE | {"assertionMethod": [
        _entry(),
        _entry(id=f"{BASE['id']}#p256", publicKeyMultibase="zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv"),
        f"{BASE['id']}#by-reference",
        _entry(id="https://fedify.example/keys/1"),  # not a fragment of the actor: skipped
        _entry(id=f"{BASE['id']}#broken", publicKeyMultibase="not multibase"),
        {"type": "JsonWebKey", "id": f"{BASE['id']}#jwk"},
    ]}
    data = parse_actor(doc)
    assert [key_id for key_id, _ in data.multikeys] == [f"{BASE['id']}#ed25519-key"]
    assert data.multikeys[0][1] == multikey.decode_to_pem(FEP_KEY)
    assert parse_actor(BASE | {"assertionMethod": _entry()}).multikeys == data.multikeys
    assert parse_actor(BASE).multikeys == ()


@pytest.mark.parametrize(
    "entry",
    [
        _entry(controller="https://fedify.example/users/someone-else"),
        _entry(id="https://elsewhere.example/users/peer#ed25519-key"),
        _entry(id="https://fedify.example/users/peer-two#ed25519-key"),
        _entry(id=f"{BASE['id']}#"),
        _entry(id=BASE["id"]),
        _entry(controller=None),
        _entry(id=None),
        _entry(id=["https://fedify.example/users/peer#a"]),
    ],
)
def test_keys_claimed_for_someone_else_are_not_taken_and_the_actor_stays_usable(entry):
    data = parse_actor(BASE | {"assertionMethod": [entry], "publicKey": {
        "id": f"{BASE['id']}#main-key", "owner": BASE["id"], "publicKeyPem": key_pair(0)[0]}})
    assert data.multikeys == ()
    assert data.key_id == f"{BASE['id']}#main-key"
