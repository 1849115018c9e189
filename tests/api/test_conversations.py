"""Conversations through the Mastodon API: direct statuses and Kith conversations are one thing."""

from __future__ import annotations

import pytest

from kith.graph.services import block
from kith.messaging import selectors as conversations
from kith.messaging import services as messaging
from kith.messaging.models import Conversation, Message
from kith.social.models import Post, Visibility

pytestmark = pytest.mark.django_db(transaction=True)


def _direct(client, text, **extra):
    status, body = client.post("/api/v1/statuses", {"status": text, "visibility": "direct", **extra})
    assert status == 200, body
    return body


def test_a_direct_status_starts_a_conversation_the_web_shows(api_as, alice, bob, carol):
    body = _direct(api_as(alice), "hi @bob, lunch?")
    [conversation] = Conversation.objects.all()
    assert Message.objects.get().post_id == int(body["id"])
    assert {p.person_id for p in conversation.participants.all()} == {alice.id, bob.id}
    assert body["visibility"] == "direct"
    # bob sees it in his conversation list, unread, with the status; carol sees nothing.
    status, listed = api_as(bob).get("/api/v1/conversations")
    assert status == 200
    [entry] = listed
    assert entry["id"] == str(conversation.id)
    assert entry["unread"] is True
    assert [a["acct"] for a in entry["accounts"]] == ["alice"]
    assert entry["last_status"]["id"] == body["id"]
    assert api_as(carol).get("/api/v1/conversations")[1] == []
    assert api_as(carol).get(f"/api/v1/statuses/{body['id']}")[0] == 404
    # Not in anyone's home timeline: read in the conversation.
    assert api_as(bob).get("/api/v1/timelines/home")[1] == []
    # Announced as Mastodon announces a direct message: a mention carrying the status.
    [notification] = api_as(bob).get("/api/v1/notifications")[1]
    assert (notification["type"], notification["status"]["id"]) == ("mention", body["id"])


def test_a_reply_to_a_message_is_a_message_in_its_conversation(api_as, alice, bob, carol):
    conversation = messaging.start_conversation(alice, [bob, carol], "Plans", "dinner friday?")
    [first] = conversations.messages_in(conversation, alice)
    # bob replies from a Mastodon app without mentioning anyone: still to everyone in it.
    reply = _direct(api_as(bob), "yes!", in_reply_to_id=str(first.post_id))
    assert Message.objects.get(post_id=int(reply["id"])).conversation_id == conversation.id
    for person in (alice, carol):
        assert api_as(person).get(f"/api/v1/statuses/{reply['id']}")[0] == 200
    # Even with the visibility left out, a reply to a message stays in the conversation.
    status, other = api_as(carol).post(
        "/api/v1/statuses", {"status": "me too", "in_reply_to_id": str(first.post_id)}
    )
    assert status == 200
    assert other["visibility"] == "direct"
    assert Message.objects.filter(conversation=conversation).count() == 3
    # The thread of a message is its conversation.
    status, context = api_as(alice).get(f"/api/v1/statuses/{reply['id']}/context")
    assert [s["id"] for s in context["ancestors"]] == [str(first.post_id)]
    assert [s["id"] for s in context["descendants"]] == [other["id"]]
    [entry] = api_as(alice).get("/api/v1/conversations")[1]
    assert entry["last_status"]["id"] == other["id"]
    assert sorted(a["acct"] for a in entry["accounts"]) == ["bob", "carol"]


def test_a_private_reply_to_a_public_post_starts_a_conversation_not_a_public_comment(api_as, alice, bob, carol):
    public = api_as(alice).post("/api/v1/statuses", {"status": "a public thought"})[1]
    reply = _direct(api_as(bob), "@alice just between us", in_reply_to_id=public["id"])
    assert Post.objects.get(id=int(reply["id"])).visibility == Visibility.DIRECT
    assert api_as(carol).get(f"/api/v1/statuses/{reply['id']}")[0] == 404
    assert api_as(carol).get(f"/api/v1/statuses/{public['id']}/context")[1]["descendants"] == []
    assert api_as(alice).get(f"/api/v1/statuses/{reply['id']}")[0] == 200


def test_mark_read_and_remove(api_as, alice, bob):
    conversation = messaging.start_conversation(alice, [bob], "", "hello")
    client = api_as(bob)
    status, entry = client.post(f"/api/v1/conversations/{conversation.id}/read")
    assert status == 200
    assert entry["unread"] is False
    assert client.get("/api/v1/conversations")[1][0]["unread"] is False
    assert client.delete(f"/api/v1/conversations/{conversation.id}") == (200, {})
    assert client.get("/api/v1/conversations")[1] == []
    # alice still has it; a new message brings it back for bob, unread.
    assert len(api_as(alice).get("/api/v1/conversations")[1]) == 1
    messaging.send_message(alice, conversation, "still there?")
    [entry] = client.get("/api/v1/conversations")[1]
    assert entry["unread"] is True


def test_others_conversations_are_not_found(api_as, alice, bob, carol):
    conversation = messaging.start_conversation(alice, [bob], "", "hello")
    for call in (
        lambda c: c.post(f"/api/v1/conversations/{conversation.id}/read"),
        lambda c: c.delete(f"/api/v1/conversations/{conversation.id}"),
    ):
        status, body = call(api_as(carol))
        assert status == 404
        assert body == {"error": "Record not found"}
    assert api_as(carol).post("/api/v1/conversations/99999999999999999999/read")[0] in (404, 422)
    assert api_as(None).get("/api/v1/conversations")[0] == 401


def test_a_blocked_persons_messages_are_left_out(api_as, alice, bob, carol):
    conversation = messaging.start_conversation(alice, [bob, carol], "", "hello both")
    messaging.send_message(carol, conversation, "carol here")
    block(bob, carol)
    [entry] = api_as(bob).get("/api/v1/conversations")[1]
    assert entry["last_status"]["content"].count("hello both") == 1


def test_paging_follows_the_newest_message(api_as, alice, bob):
    started = [messaging.start_conversation(alice, [bob], "", f"number {n}") for n in range(5)]
    client = api_as(bob)
    status, first = client.get("/api/v1/conversations", {"limit": 2})
    assert [e["id"] for e in first] == [str(c.id) for c in reversed(started[-2:])]
    seen = [e["id"] for e in first]
    link = client.last["Link"]
    max_id = link.split("max_id=")[1].split(">")[0].split("&")[0]
    rest = client.get("/api/v1/conversations", {"max_id": max_id, "limit": 10})[1]
    assert seen + [e["id"] for e in rest] == [str(c.id) for c in reversed(started)]
