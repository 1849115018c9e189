"""Kith federating with bovine-herd, an independent ActivityPub server (Python/Quart).

The bovine user `cow` acts through bovine's own client-to-server API (its outbox); what
reached cow is read from bovine's store (its inbox, followers and following collections).
bovine never accepts a follow by itself: cow sends the Accept, as a person would.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.harness import WebSession
from tests.harness.pod import wait_until
from tests.interop.peers import Peer, kith_followers, kith_follows

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("interop-bovine")]
PEER = "bovine"  # which peer these tests talk to (conftest prints its logs on failure)

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"
WAIT = 20.0


@dataclass
class Cow:
    peer: Peer
    id: str
    handle: str
    actor: dict

    def inbox(self) -> list[dict]:
        return self.peer.get("/_interop/inbox")["items"]

    def received(self, kind: str, predicate=lambda activity: True) -> dict | None:
        return next((a for a in self.inbox() if a.get("type") == kind and predicate(a)), None)

    def wait_for(self, kind: str, predicate=lambda activity: True, message: str = "") -> dict:
        wait_until(lambda: self.received(kind, predicate) is not None, timeout=WAIT,
                   message=message or f"a {kind} in cow's inbox")
        return self.received(kind, predicate)

    def send(self, activity: dict) -> str:
        """POST to cow's outbox (bovine assigns the ids); returns the new activity's id."""
        answer = self.peer.post("/_interop/outbox", {"@context": AS, "actor": self.id, **activity})
        assert answer["status"] == 201, answer
        return answer["location"]

    def collection(self, name: str) -> list[str]:
        return self.peer.get("/_interop/get", id=self.actor[name], items="1")["items"]


def _id(value) -> str | None:
    return value.get("id") if isinstance(value, dict) else value


def _object(activity: dict) -> dict:
    value = activity.get("object")
    return value if isinstance(value, dict) else {"id": value}


@pytest.fixture(scope="session")
def cow(bovine) -> Cow:
    me = bovine.get("/_interop/me")
    return Cow(bovine, me["id"], me["handle"], me["actor"])


@pytest.fixture(scope="session")
def pod(bovine_pod):
    return bovine_pod


@pytest.fixture(scope="session")
def alice(pod) -> WebSession:
    pod.create_user("alice")
    return pod.session("alice")


@pytest.fixture(scope="session")
def alice_id(pod) -> str:
    return f"{pod.url}/users/alice"


@pytest.fixture(scope="session")
def linked(pod, cow, alice, alice_id):
    """alice follows cow (cow accepts) and cow follows alice (Kith accepts by itself)."""
    alice.follow(cow.handle)  # Kith WebFingers cow@127.0.0.5:PORT, fetches the actor (signed GET)
    follow = cow.wait_for("Follow", lambda a: _id(a.get("actor")) == alice_id, "alice's Follow at bovine")
    assert _id(follow["object"]) == cow.id
    assert not kith_follows(alice, cow.handle), "a follow of a remote person waits for the Accept"
    cow.send({"type": "Accept", "object": follow["id"], "to": [alice_id]})
    wait_until(lambda: kith_follows(alice, cow.handle), timeout=WAIT, message="cow's Accept at Kith")

    cows_follow = cow.send({"type": "Follow", "object": alice_id, "to": [alice_id]})
    cow.wait_for("Accept", lambda a: _id(a.get("object")) == cows_follow, "Kith's Accept of cow's Follow")
    wait_until(lambda: cow.handle in kith_followers(alice), timeout=WAIT, message="cow among alice's followers")
    return {"cows_follow": cows_follow}


def test_follow_both_ways(linked, cow, alice, alice_id):
    # bovine answers unsigned GETs of its actors with 401: Kith found cow with signed fetches.
    assert httpx.get(cow.id, headers={"Accept": "application/activity+json"}).status_code == 401
    # bovine's own bookkeeping agrees: it applied Kith's Accept and its own.
    assert alice_id in cow.collection("following")
    assert alice_id in cow.collection("followers")
    assert kith_follows(alice, cow.handle)
    assert cow.handle in kith_followers(alice)


def test_posts_both_ways(linked, pod, cow, alice, alice_id):
    post_id = alice.publish("Kith to bovine: hello, cow")
    create = cow.wait_for("Create", lambda a: "hello, cow" in (_object(a).get("content") or ""), "alice's post at bovine")
    note = _object(create)
    assert note["id"] == f"{pod.url}/users/alice/posts/{post_id}"
    assert _id(note["attributedTo"]) == alice_id
    assert PUBLIC in note["to"] or "as:Public" in note["to"]

    cow.send({"type": "Create", "to": [PUBLIC], "cc": [cow.actor["followers"]], "object": {
        "type": "Note", "attributedTo": cow.id, "content": "<p>Moo from bovine to Kith</p>",
        "to": [PUBLIC], "cc": [cow.actor["followers"]],
    }})
    wait_until(lambda: "Moo from bovine to Kith" in alice.stream(), timeout=WAIT, message="cow's post in alice's stream")


def test_replies_both_ways(linked, pod, cow, alice, alice_id):
    # cow answers alice's post: a comment on Kith's post page.
    post_id = alice.publish("What do cows think of federation?")
    post_uri = f"{pod.url}/users/alice/posts/{post_id}"
    cow.wait_for("Create", lambda a: _object(a).get("id") == post_uri, "the question at bovine")
    cow.send({"type": "Create", "to": [PUBLIC, alice_id], "object": {
        "type": "Note", "attributedTo": cow.id, "inReplyTo": post_uri, "content": "<p>Cows approve of federation</p>",
        "to": [PUBLIC, alice_id], "tag": [{"type": "Mention", "href": alice_id}],
    }})
    wait_until(lambda: "Cows approve of federation" in alice.get(f"/posts/{post_id}"), timeout=WAIT,
               message="cow's reply as a comment on alice's post")
    assert "commented on" in alice.get("/notifications")

    # alice comments on cow's post: a reply at bovine, in reply to cow's note.
    cow.send({"type": "Create", "to": [PUBLIC], "cc": [cow.actor["followers"]], "object": {
        "type": "Note", "attributedTo": cow.id, "content": "<p>Grass is green today</p>",
        "to": [PUBLIC], "cc": [cow.actor["followers"]],
    }})
    wait_until(lambda: alice.find_post("Grass is green today") is not None, timeout=WAIT, message="cow's post at Kith")
    alice.comment(alice.find_post("Grass is green today"), "Alice agrees about the grass")
    reply = cow.wait_for("Create", lambda a: "agrees about the grass" in (_object(a).get("content") or ""),
                         "alice's comment at bovine")
    assert _id(reply["actor"]) == alice_id
    parent = _object(reply)["inReplyTo"]
    assert "Grass is green today" in (cow.peer.get("/_interop/get", id=_id(parent)).get("content") or "")


def test_likes_and_boosts_both_ways(linked, pod, cow, alice, alice_id):
    # cow likes and boosts alice's post: counted and notified on Kith.
    post_id = alice.publish("Like me, cow")
    post_uri = f"{pod.url}/users/alice/posts/{post_id}"
    cow.wait_for("Create", lambda a: _object(a).get("id") == post_uri, "the post at bovine")
    cow.send({"type": "Like", "object": post_uri, "to": [alice_id]})
    wait_until(lambda: "1 like" in alice.get(f"/posts/{post_id}"), timeout=WAIT, message="cow's like counted")
    cow.send({"type": "Announce", "object": post_uri, "to": [PUBLIC], "cc": [alice_id, cow.actor["followers"]]})
    wait_until(lambda: "reshared" in alice.get("/notifications"), timeout=WAIT, message="cow's boost notified")
    assert "liked" in alice.get("/notifications")

    # alice likes and reshares cow's post: a Like and an Announce of cow's note at bovine.
    cow.send({"type": "Create", "to": [PUBLIC], "cc": [cow.actor["followers"]], "object": {
        "type": "Note", "attributedTo": cow.id, "content": "<p>Boost me, alice</p>",
        "to": [PUBLIC], "cc": [cow.actor["followers"]],
    }})
    wait_until(lambda: alice.find_post("Boost me, alice") is not None, timeout=WAIT, message="cow's post at Kith")
    at_kith = alice.find_post("Boost me, alice")
    alice.act(at_kith, "like")
    alice.act(at_kith, "reshare")
    like = cow.wait_for("Like", lambda a: _id(a.get("actor")) == alice_id, "alice's Like at bovine")
    announce = cow.wait_for("Announce", lambda a: _id(a.get("actor")) == alice_id, "alice's Announce at bovine")
    liked = cow.peer.get("/_interop/get", id=_id(like["object"]))
    assert "Boost me, alice" in liked["content"]
    assert _id(announce["object"]) == liked["id"]


def test_unfollow_both_ways(linked, cow, alice, alice_id):
    # alice unfollows cow: an Undo of her Follow, and bovine drops her from cow's followers.
    alice.relate(cow.handle, "unfollow")
    undo = cow.wait_for("Undo", lambda a: _id(a.get("actor")) == alice_id and _object(a).get("type") == "Follow", "alice's Undo at bovine")
    assert _id(_object(undo)["object"]) == cow.id  # the Follow is embedded, as Mastodon sends it
    wait_until(lambda: alice_id not in cow.collection("followers"), timeout=WAIT,
               message="alice gone from cow's followers")
    assert not kith_follows(alice, cow.handle)

    # cow unfollows alice: Kith drops cow from alice's followers.
    cow.send({"type": "Undo", "to": [alice_id], "object": {
        "type": "Follow", "id": linked["cows_follow"], "actor": cow.id, "object": alice_id}})
    wait_until(lambda: cow.handle not in kith_followers(alice), timeout=WAIT,
               message="cow gone from alice's followers")
