"""Kith federating with a small ActivityPub peer built on Fedify (Node 22, @fedify/fedify 1.10).

The peer (fedify_peer/peer.mjs) has one actor, `peer`, with RSA and Ed25519 keys made
anew on every start and a shared inbox; it accepts follows by itself, as Fedify apps do.
Fedify signs with RFC 9421 first and falls back to draft-cavage when the answer is a
4xx, so every delivery from it also exercises Kith's 401 for signatures it cannot verify.
The test acts as `peer` through /_interop/* and reads what it received there.
Fedify looks up `acct:` handles over https only, so the peer finds Kith people by actor URL.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.harness import WebSession
from tests.harness.pod import wait_until
from tests.interop.peers import Peer, kith_followers, kith_follows

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("interop-fedify")]
PEER = "fedify"  # which peer these tests talk to (conftest prints its logs on failure)

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
WAIT = 20.0


@dataclass
class FedifyPeer:
    peer: Peer
    id: str
    handle: str

    def state(self) -> dict:
        return self.peer.get("/_interop/received")

    def received(self, kind: str, predicate=lambda activity: True) -> dict | None:
        return next((a for a in reversed(self.state()["received"]) if a.get("type") == kind and predicate(a)), None)

    def wait_for(self, kind: str, predicate=lambda activity: True, message: str = "") -> dict:
        wait_until(lambda: self.received(kind, predicate) is not None, timeout=WAIT,
                   message=message or f"a {kind} at the Fedify peer")
        return self.received(kind, predicate)

    def act(self, action: str, **body) -> dict:
        return self.peer.post(f"/_interop/{action}", body)


def _id(value) -> str | None:
    return value.get("id") if isinstance(value, dict) else value


def _object(activity: dict) -> dict:
    value = activity.get("object")
    return value if isinstance(value, dict) else {"id": value}


def _content(activity: dict) -> str:
    return _object(activity).get("content") or ""


@pytest.fixture(scope="session")
def fed(fedify) -> FedifyPeer:
    return FedifyPeer(fedify, f"{fedify.url}/users/peer", f"peer@{fedify.host}:{fedify.port}")


@pytest.fixture(scope="session")
def pod(fedify_pod):
    return fedify_pod


@pytest.fixture(scope="session")
def alice(pod) -> WebSession:
    pod.create_user("alice")
    return pod.session("alice")


@pytest.fixture(scope="session")
def alice_id(pod) -> str:
    return f"{pod.url}/users/alice"


@pytest.fixture(scope="session")
def linked(pod, fed, alice, alice_id):
    """alice follows the peer (it accepts by itself) and the peer follows alice (so does Kith)."""
    alice.follow(fed.handle)  # Kith WebFingers peer@127.0.0.6:PORT and fetches the actor
    follow = fed.wait_for("Follow", lambda a: _id(a.get("actor")) == alice_id, "alice's Follow at the peer")
    assert _id(follow["object"]) == fed.id
    wait_until(lambda: kith_follows(alice, fed.handle), timeout=WAIT, message="the peer's Accept at Kith")

    peers_follow = fed.act("follow", actor=alice_id)["id"]
    fed.wait_for("Accept", lambda a: _id(a.get("object")) == peers_follow, "Kith's Accept of the peer's Follow")
    wait_until(lambda: fed.handle in kith_followers(alice), timeout=WAIT, message="the peer among alice's followers")
    return {"peers_follow": peers_follow}


def test_follow_both_ways(linked, pod, fed, alice, alice_id):
    assert alice_id in fed.state()["followers"]
    assert kith_follows(alice, fed.handle)
    assert fed.handle in kith_followers(alice)
    # Fedify knocks with RFC 9421 first and remembers what a server accepted: Kith verified it.
    assert fed.peer.get("/_interop/spec", origin=pod.url)["spec"] == "rfc9421"


def test_posts_both_ways(linked, pod, fed, alice, alice_id):
    post_id = alice.publish("Kith to Fedify: hello, peer")
    create = fed.wait_for("Create", lambda a: "hello, peer" in _content(a), "alice's post at the peer")
    note = _object(create)
    assert note["id"] == f"{pod.url}/users/alice/posts/{post_id}"
    assert _id(note["attributedTo"]) == alice_id

    fed.act("post", content="<p>Hello Kith, from Fedify</p>")
    wait_until(lambda: "Hello Kith, from Fedify" in alice.stream(), timeout=WAIT, message="the peer's post in alice's stream")


def test_replies_both_ways(linked, pod, fed, alice, alice_id):
    # The peer answers alice's post: a comment on Kith's post page.
    post_id = alice.publish("What does Fedify think of Kith?")
    post_uri = f"{pod.url}/users/alice/posts/{post_id}"
    fed.wait_for("Create", lambda a: _object(a).get("id") == post_uri, "the question at the peer")
    fed.act("post", content="<p>Fedify thinks Kith federates</p>", inReplyTo=post_uri, replyTo=alice_id)
    wait_until(lambda: "Fedify thinks Kith federates" in alice.get(f"/posts/{post_id}"), timeout=WAIT,
               message="the peer's reply as a comment on alice's post")
    assert "commented on" in alice.get("/notifications")

    # alice comments on the peer's post: a reply at the peer, in reply to its note.
    note_id = fed.act("post", content="<p>Fedify weather report: sunny</p>")["id"]
    wait_until(lambda: alice.find_post("Fedify weather report") is not None, timeout=WAIT, message="the peer's post at Kith")
    alice.comment(alice.find_post("Fedify weather report"), "Alice enjoys the sun")
    reply = fed.wait_for("Create", lambda a: "enjoys the sun" in _content(a), "alice's comment at the peer")
    assert _id(reply["actor"]) == alice_id
    assert _id(_object(reply)["inReplyTo"]) == note_id


def test_likes_and_boosts_both_ways(linked, pod, fed, alice, alice_id):
    # The peer likes and boosts alice's post: counted and notified on Kith.
    post_id = alice.publish("Like me, Fedify")
    post_uri = f"{pod.url}/users/alice/posts/{post_id}"
    fed.wait_for("Create", lambda a: _object(a).get("id") == post_uri, "the post at the peer")
    fed.act("like", object=post_uri, actor=alice_id)
    wait_until(lambda: "1 like" in alice.get(f"/posts/{post_id}"), timeout=WAIT, message="the peer's like counted")
    fed.act("announce", object=post_uri, actor=alice_id)
    wait_until(lambda: "reshared" in alice.get("/notifications"), timeout=WAIT, message="the peer's boost notified")
    assert "liked" in alice.get("/notifications")

    # alice likes and reshares the peer's post: a Like and an Announce of its note at the peer.
    note_id = fed.act("post", content="<p>Boost me, Kith</p>")["id"]
    wait_until(lambda: alice.find_post("Boost me, Kith") is not None, timeout=WAIT, message="the peer's post at Kith")
    at_kith = alice.find_post("Boost me, Kith")
    alice.act(at_kith, "like")
    alice.act(at_kith, "reshare")
    like = fed.wait_for("Like", lambda a: _id(a.get("actor")) == alice_id, "alice's Like at the peer")
    announce = fed.wait_for("Announce", lambda a: _id(a.get("actor")) == alice_id, "alice's Announce at the peer")
    assert _id(like["object"]) == note_id
    assert _id(announce["object"]) == note_id


def test_unlike_reaches_the_peer(linked, fed, alice, alice_id):
    note_id = fed.act("post", content="<p>Like me, then think again</p>")["id"]
    wait_until(lambda: alice.find_post("then think again") is not None, timeout=WAIT, message="the peer's post at Kith")
    at_kith = alice.find_post("then think again")
    alice.act(at_kith, "like")
    like = fed.wait_for("Like", lambda a: _id(a.get("object")) == note_id, "alice's Like at the peer")
    alice.act(at_kith, "unlike")
    undo = fed.wait_for("Undo", lambda a: _id(a.get("object")) == like["id"], "alice's Undo of her Like at the peer")
    inner = undo.get("object")
    # Embedded: the Like is gone once undone, so it cannot be fetched by its id.
    assert isinstance(inner, dict), inner
    assert inner["type"] == "Like"
    assert _id(inner["object"]) == note_id


def test_unfollow_both_ways(linked, fed, alice, alice_id):
    # alice unfollows the peer: an Undo of her Follow, and the peer drops her from its followers.
    alice.relate(fed.handle, "unfollow")
    undo = fed.wait_for("Undo", lambda a: _id(a.get("actor")) == alice_id and _object(a).get("type") == "Follow", "alice's Undo at the peer")
    assert _id(_object(undo)["object"]) == fed.id  # the Follow is embedded, as Mastodon sends it
    wait_until(lambda: alice_id not in fed.state()["followers"], timeout=WAIT, message="alice gone from the peer's followers")
    assert not kith_follows(alice, fed.handle)

    # The peer unfollows alice: Kith drops it from alice's followers.
    fed.act("unfollow", actor=alice_id, follow=linked["peers_follow"])
    wait_until(lambda: fed.handle not in kith_followers(alice), timeout=WAIT, message="the peer gone from alice's followers")


def test_the_peers_multikeys_are_stored(linked, pod, fed):
    """Fedify publishes its RSA and Ed25519 keys as FEP-521a `assertionMethod` Multikeys: Kith
    reads and keeps both (a signature may name either)."""
    import sqlite3

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    database = pod.data_dir / "kith.sqlite3"
    if not database.exists():
        pytest.skip("the pod runs on PostgreSQL: its tables are not read from here")
    with sqlite3.connect(database) as db:
        pems = [pem for (pem,) in db.execute(
            "SELECT k.public_key_pem FROM activitypub_remotekey k"
            " JOIN activitypub_remoteactor a ON a.id = k.actor_id WHERE a.uri = ?", (fed.id,))]
    keys = [serialization.load_pem_public_key(pem.encode()) for pem in pems]
    assert any(isinstance(key, ed25519.Ed25519PublicKey) for key in keys), pems
    assert any(isinstance(key, rsa.RSAPublicKey) for key in keys), pems


def test_new_keys_after_a_restart(pod, fed, alice, alice_id):
    """Fedify makes new keys on every start: Kith refetches the key once when a signature fails."""
    post_id = alice.publish("Still there, Fedify?")
    post_uri = f"{pod.url}/users/alice/posts/{post_id}"
    fed.peer.restart()
    fed.act("like", object=post_uri, actor=alice_id)
    wait_until(lambda: "1 like" in alice.get(f"/posts/{post_id}"), timeout=WAIT,
               message="a like signed with the peer's new key")
    assert fed.peer.get("/_interop/spec", origin=pod.url)["spec"] == "rfc9421"
