"""Direct notes as conversations: what arrives from Mastodon-like servers, and what Kith sends."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kith.federation.activitypub import inbound, outbound, render, uris
from kith.federation.activitypub.models import ConversationContext, InboundActivity, InboundState, RemoteActor
from kith.federation.activitypub.parse import classify_addressing, parse_note
from kith.messaging import selectors as conversations
from kith.messaging import services as messaging
from kith.messaging.models import Conversation, Message
from kith.people.remote import upsert_remote_person
from kith.social.models import Comment, Post, Visibility
from kith.social.services import publish_post
from kith.timelines.models import Notification, NotificationKind, StreamEntry
from kith.visibility import can_see_post

pytestmark = pytest.mark.django_db(transaction=True)
REMOTE = "https://mastodon.example"


def _actor(username: str) -> RemoteActor:
    person = upsert_remote_person(username, "mastodon.example")
    return RemoteActor.objects.create(
        person=person, uri=f"{REMOTE}/users/{username}", inbox=f"{REMOTE}/users/{username}/inbox",
        shared_inbox=f"{REMOTE}/inbox", key_id=f"{REMOTE}/users/{username}#main-key",
        followers_url=f"{REMOTE}/users/{username}/followers",
        public_key_pem="unused", actor_type="Person", fetched_at=timezone.now(),
    )


def _mention(uri: str) -> dict:
    return {"type": "Mention", "href": uri, "name": "@" + uri.rsplit("/", 1)[1]}


def _note(actor: RemoteActor, number: int, to: list[str], *, mentions: list[str] | None = None, **extra) -> dict:
    """A Mastodon-shaped Create of a Note (as its direct messages look)."""
    note = {
        "id": f"{actor.uri}/statuses/{number}", "type": "Note", "attributedTo": actor.uri,
        "content": f"<p>note {number}</p>", "published": "2026-12-01T10:00:00Z",
        "to": to, "cc": [], "tag": [_mention(uri) for uri in (to if mentions is None else mentions)],
        **extra,
    }
    return {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{note['id']}/activity", "type": "Create",
        "actor": actor.uri, "to": to, "cc": [], "object": note,
    }


def _apply(payload: dict) -> InboundActivity:
    stored = InboundActivity.objects.create(
        activity_uri=payload["id"], actor_uri=payload["actor"], activity_type=payload["type"], payload=payload
    )
    inbound.apply(stored)
    stored.refresh_from_db()
    return stored


def _message(actor: RemoteActor, number: int) -> Message:
    return Message.objects.select_related("conversation", "post").get(post__ap_object__uri=f"{actor.uri}/statuses/{number}")


def test_a_direct_note_from_mastodon_is_a_conversation(alice, bob):
    ann = _actor("ann")
    applied = _apply(_note(ann, 1, [uris.actor("alice")], conversation="tag:mastodon.example,2026:objectId=1"))
    assert applied.state == InboundState.DONE, applied.error
    message = _message(ann, 1)
    assert message.post.visibility == Visibility.DIRECT
    assert {p.person_id for p in message.conversation.participants.all()} == {ann.person_id, alice.id}
    assert can_see_post(alice, message.post)
    assert not can_see_post(bob, message.post)
    assert [c.id for c in conversations.conversations_for(alice)] == [message.conversation_id]
    assert not StreamEntry.objects.filter(post=message.post).exists()
    assert Notification.objects.get(recipient=alice).kind == NotificationKind.PRIVATE_MESSAGE
    # Mastodon's next message in the thread: by inReplyTo, or by its conversation alone.
    _apply(_note(ann, 2, [uris.actor("alice")], inReplyTo=f"{ann.uri}/statuses/1"))
    _apply(_note(ann, 3, [uris.actor("alice")], conversation="tag:mastodon.example,2026:objectId=1"))
    assert _message(ann, 2).conversation_id == _message(ann, 3).conversation_id == message.conversation_id
    assert Conversation.objects.count() == 1


def test_a_mastodon_reply_to_a_kith_message_joins_its_conversation(alice):
    ann = _actor("ann")
    conversation = messaging.start_conversation(alice, [ann.person], "Lunch", "lunch tomorrow?")
    [first] = conversations.messages_in(conversation, alice)
    applied = _apply(_note(ann, 10, [uris.actor("alice")], inReplyTo=uris.post("alice", first.post_id)))
    assert applied.state == InboundState.DONE, applied.error
    assert _message(ann, 10).conversation_id == conversation.id
    # A Kith pod's context (ours, sent back) finds it too, without inReplyTo.
    _apply(_note(ann, 11, [uris.actor("alice")], context=uris.conversation(conversation.id)))
    assert _message(ann, 11).conversation_id == conversation.id


def test_a_context_does_not_let_an_outsider_into_a_conversation(alice, bob):
    ann, mallory = _actor("ann"), _actor("mallory")
    conversation = messaging.start_conversation(alice, [ann.person], "", "just us")
    applied = _apply(_note(mallory, 20, [uris.actor("alice")], context=uris.conversation(conversation.id)))
    assert applied.state == InboundState.DONE, applied.error
    # mallory's note is a message to alice, in a conversation of its own.
    assert _message(mallory, 20).conversation_id != conversation.id
    assert not conversation.participants.filter(person=mallory.person).exists()


def test_a_limited_note_that_mentions_someone_stays_a_limited_post(alice, bob):
    ann = _actor("ann")
    _apply(_note(ann, 30, [uris.actor("alice"), uris.actor("bob")], mentions=[uris.actor("alice")]))
    post = Post.objects.get(ap_object__uri=f"{ann.uri}/statuses/30")
    assert post.visibility == Visibility.LIMITED
    assert not Message.objects.exists()


def test_a_private_reply_to_a_public_post_is_a_conversation_not_a_comment(alice, bob):
    ann = _actor("ann")
    public = publish_post(alice, "a public thought")
    _apply(_note(ann, 40, [uris.actor("alice")], inReplyTo=uris.post("alice", public.id)))
    assert not Comment.objects.exists()
    message = _message(ann, 40)
    assert can_see_post(alice, message.post)
    assert not can_see_post(bob, message.post)


def test_a_comment_on_a_post_limited_to_one_person_stays_a_comment(alice):
    ann = _actor("ann")
    limited = publish_post(alice, "for ann only", visibility=Visibility.LIMITED, person_ids=[ann.person_id])
    # Kith addresses a comment to the post's audience and author, mentioning the author.
    _apply(_note(ann, 50, [uris.actor("alice")], inReplyTo=uris.post("alice", limited.id)))
    assert Comment.objects.get().post_id == limited.id
    assert not Message.objects.exists()


def test_what_kith_sends_for_a_message_reads_as_direct_and_threads(alice, bob):
    ann, ben = _actor("ann"), _actor("ben")
    conversation = messaging.start_conversation(alice, [ann.person, ben.person, bob], "Trip", "where to?")
    messaging.send_message(alice, conversation, "any ideas?")
    first, second = (m.post for m in conversations.messages_in(conversation, alice))

    def sent(post):
        loaded = Post.objects.select_related("author").get(id=post.id)
        return render.note(loaded, outbound._audience(loaded), outbound._thread(loaded))

    opening, reply = sent(first), sent(second)
    for note in (opening, reply):
        everyone = sorted([ann.uri, ben.uri, uris.actor("bob")])
        assert sorted(note["to"]) == everyone
        assert note["cc"] == []
        assert sorted(t["href"] for t in note["tag"] if t["type"] == "Mention") == everyone
        assert note["context"] == note["conversation"] == uris.conversation(conversation.id)
        parsed = parse_note(note)
        assert classify_addressing(parsed.to, parsed.cc, uris.followers("alice"), mentions=parsed.mentions) == "direct"
    assert opening["name"] == "Trip"
    assert "inReplyTo" not in opening
    assert reply["inReplyTo"] == uris.post("alice", first.id)
    assert "name" not in reply


def test_only_the_authors_server_names_a_new_conversations_context(alice):
    ann, mallory = _actor("ann"), _actor("mallory")
    # mallory (on mastodon.example too, but what matters is the host) claims a context of
    # another server first: it is not recorded, so that server's conversation stays whole.
    _apply(_note(mallory, 60, [uris.actor("alice")], context="https://elsewhere.example/contexts/9"))
    _apply(_note(mallory, 61, [uris.actor("alice")], conversation="tag:elsewhere.example,2026:objectId=9"))
    assert not ConversationContext.objects.exists()
    # ann's own server's context is recorded, and her next note finds the conversation by it.
    _apply(_note(ann, 62, [uris.actor("alice")], context=f"{REMOTE}/contexts/ann-1"))
    _apply(_note(ann, 63, [uris.actor("alice")], context=f"{REMOTE}/contexts/ann-1"))
    assert _message(ann, 62).conversation_id == _message(ann, 63).conversation_id
