"""Private conversations: start, list with unread markers, read, reply."""

from __future__ import annotations

import pytest

from kith.messaging.models import Conversation, Message
from tests.web.conftest import page

pytestmark = pytest.mark.django_db(transaction=True)


def test_start_read_and_reply(alice, bob, as_alice, as_bob):
    assert "New conversation" in page(as_alice, "/conversations/new?to=bob")
    response = as_alice.post("/conversations/new", {"recipients": "bob", "subject": "Lunch?", "text": "Friday?"})
    conversation = Conversation.objects.get()
    assert response["Location"] == f"/conversations/{conversation.id}"

    listing = page(as_bob, "/conversations")
    assert "Lunch?" in listing
    assert 'class="conversation unread"' in listing
    assert 'Conversations <span class="badge">1' in listing

    html = page(as_bob, f"/conversations/{conversation.id}")
    assert "Friday?" in html
    assert 'class="conversation unread"' not in page(as_bob, "/conversations")

    as_bob.post(f"/conversations/{conversation.id}", {"text": "Yes!"})
    assert list(Message.objects.order_by("post_id").values_list("post__source", flat=True)) == ["Friday?", "Yes!"]
    assert 'class="conversation unread"' in page(as_alice, "/conversations")


def test_outsiders_cannot_read(alice, bob, carol, as_alice, as_carol):
    as_alice.post("/conversations/new", {"recipients": "bob", "subject": "secret", "text": "psst"})
    conversation = Conversation.objects.get()
    page(as_carol, f"/conversations/{conversation.id}", status=404)
    assert as_carol.post(f"/conversations/{conversation.id}", {"text": "me too"}).status_code == 404
    assert "secret" not in page(as_carol, "/conversations")


def test_unknown_recipients_and_empty_messages(alice, as_alice):
    response = as_alice.post("/conversations/new", {"recipients": "ghost", "text": "hi"})
    assert response.status_code == 400
    assert "Nobody called ghost is known here." in response.content.decode()
    response = as_alice.post("/conversations/new", {"recipients": "alice", "text": "hi"})
    assert response.status_code == 422
    assert "A conversation needs at least one other person." in response.content.decode()
    assert not Conversation.objects.exists()


def test_a_message_is_neither_on_profiles_nor_a_post_page_of_its_own(client, alice, bob, carol):
    """A message is read in its conversation: its author's profile does not list it, and its
    post address opens the conversation (for a participant) or nothing (for anyone else)."""
    from kith.messaging import selectors as conversations
    from kith.messaging import services as messaging

    conversation = messaging.start_conversation(alice, [bob], "Secret plans", "a private word")
    [message] = conversations.messages_in(conversation, bob)
    client.force_login(bob.account)
    assert "a private word" not in client.get("/@alice").content.decode()
    response = client.get(f"/posts/{message.post_id}")
    assert response.status_code == 302
    assert response["Location"] == f"/conversations/{conversation.id}#message-{message.post_id}"
    client.force_login(carol.account)
    assert client.get(f"/posts/{message.post_id}").status_code == 404
