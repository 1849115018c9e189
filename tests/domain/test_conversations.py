"""Private conversations: start, reply, read state, hiding, and keeping others out."""

from __future__ import annotations

import pytest

from kith.core.errors import Invalid, NotAllowed, NotFound
from kith.messaging import selectors as conversations
from kith.messaging import services as messaging
from kith.messaging.models import ConversationParticipant, Message
from kith.people.services import delete_account
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def unread(person) -> dict[int, bool]:
    return {c.id: c.unread for c in conversations.conversations_for(person)}


def test_start_a_conversation(alice, bob, carol):
    conversation = messaging.start_conversation(alice, [bob, carol, alice], "  Plans  ", "dinner **tonight**?")
    assert conversation.subject == "Plans"
    assert set(conversation.participants.values_list("person_id", flat=True)) == {alice.id, bob.id, carol.id}
    [message] = conversations.messages_in(conversation, bob)
    assert message.post.author == alice
    assert "<strong>tonight</strong>" in message.post.html
    for person in (alice, bob, carol):
        assert [c.id for c in conversations.conversations_for(person)] == [conversation.id]


@pytest.mark.parametrize("text", ["", "   "])
def test_a_conversation_needs_text_and_someone_else(alice, bob, text):
    with pytest.raises(Invalid):
        messaging.start_conversation(alice, [bob], "s", text)
    with pytest.raises(Invalid):
        messaging.start_conversation(alice, [alice], "s", "talking to myself")
    with pytest.raises(Invalid):
        messaging.start_conversation(alice, [], "s", "to nobody")
    assert not Message.objects.exists()


def test_a_conversation_has_a_size_limit(alice):
    people = [factories.person() for _ in range(messaging.MAX_PARTICIPANTS)]
    with pytest.raises(Invalid):
        messaging.start_conversation(alice, people, "crowd", "hello all")


def test_cannot_write_to_a_deleted_person(alice, bob):
    delete_account(bob.account)
    bob.refresh_from_db()
    with pytest.raises(NotAllowed):
        messaging.start_conversation(alice, [bob], "s", "hello?")


def test_reply_orders_messages_and_conversations(alice, bob, carol):
    older = messaging.start_conversation(alice, [bob], "older", "one")
    newer = messaging.start_conversation(alice, [carol], "newer", "two")
    assert [c.id for c in conversations.conversations_for(alice)] == [newer.id, older.id]
    messaging.send_message(bob, older, "reply")
    assert [c.id for c in conversations.conversations_for(alice)] == [older.id, newer.id]
    assert [m.post.source for m in conversations.messages_in(older, alice)] == ["one", "reply"]


def test_read_state(alice, bob, carol):
    conversation = messaging.start_conversation(alice, [bob, carol], "s", "hello")
    assert unread(alice) == {conversation.id: False}  # one's own message is read
    assert unread(bob) == {conversation.id: True}
    assert conversations.unread_conversation_count(bob) == 1
    messaging.mark_read(bob, conversation)
    assert unread(bob) == {conversation.id: False}
    assert unread(carol) == {conversation.id: True}
    messaging.send_message(carol, conversation, "hi all")
    assert unread(bob) == {conversation.id: True}
    assert unread(alice) == {conversation.id: True}
    assert unread(carol) == {conversation.id: False}


def test_hidden_conversation_comes_back_with_a_new_message(alice, bob):
    conversation = messaging.start_conversation(alice, [bob], "s", "hello")
    messaging.hide_conversation(bob, conversation)
    assert list(conversations.conversations_for(bob)) == []
    assert [c.id for c in conversations.conversations_for(alice)] == [conversation.id]
    messaging.send_message(alice, conversation, "still there?")
    assert [c.id for c in conversations.conversations_for(bob)] == [conversation.id]


def test_non_participants_can_neither_read_nor_write(alice, bob, carol):
    conversation = messaging.start_conversation(alice, [bob], "private", "just us")
    assert conversations.conversation_for(bob, conversation.id).id == conversation.id
    with pytest.raises(NotFound):
        conversations.conversation_for(carol, conversation.id)
    with pytest.raises(NotFound):
        messaging.send_message(carol, conversation, "let me in")
    assert list(conversations.conversations_for(carol)) == []
    # Marking or hiding someone else's conversation does nothing to it.
    messaging.mark_read(carol, conversation)
    messaging.hide_conversation(carol, conversation)
    assert not ConversationParticipant.objects.filter(person=carol).exists()
    assert Message.objects.filter(conversation=conversation).count() == 1


# ---- messages are direct posts -----------------------------------------------------------


def test_a_message_is_a_direct_post_that_only_its_participants_see(alice, bob, carol):
    from kith.social.models import Visibility
    from kith.timelines.models import StreamEntry
    from kith.visibility import can_see_post

    conversation = messaging.start_conversation(alice, [bob], "s", "for bob, not for @carol")
    [message] = conversations.messages_in(conversation, alice)
    post = message.post
    assert post.visibility == Visibility.DIRECT
    assert can_see_post(alice, post)
    assert can_see_post(bob, post)
    # A mention in the text does not widen a conversation.
    assert not can_see_post(carol, post)
    assert not can_see_post(None, post)
    assert list(conversations.messages_in(conversation, carol)) == []
    # Read in the conversation, never in a stream.
    assert not StreamEntry.objects.filter(post=post).exists()


def test_a_block_hides_the_blocked_persons_messages(alice, bob, carol):
    from kith.graph.services import block

    conversation = messaging.start_conversation(alice, [bob, carol], "s", "hello both")
    messaging.send_message(carol, conversation, "hi from carol")
    block(bob, carol)
    assert [m.post.source for m in conversations.messages_in(conversation, bob)] == ["hello both"]
    with pytest.raises(NotAllowed):
        messaging.send_message(bob, conversation, "can carol read this?")


def test_a_new_message_notifies_the_others_naming_it(alice, bob, carol):
    from kith.timelines.models import Notification, NotificationKind

    conversation = messaging.start_conversation(alice, [bob, carol], "s", "hello")
    [message] = conversations.messages_in(conversation, alice)
    for person in (bob, carol):
        [notification] = Notification.objects.filter(recipient=person)
        assert notification.kind == NotificationKind.PRIVATE_MESSAGE
        assert (notification.post_id, notification.conversation_id) == (message.post_id, conversation.id)
    assert not Notification.objects.filter(recipient=alice).exists()
    messaging.mark_read(bob, conversation)
    assert not Notification.objects.filter(recipient=bob, read=False).exists()


def test_someone_joining_from_another_server_sees_only_what_comes_after(alice, bob):
    from kith.social.remote import RemoteContent
    from kith.visibility import can_see_post

    dora = factories.remote_person("dora", "elsewhere.example")
    erin = factories.remote_person("erin", "elsewhere.example")
    conversation = messaging.start_conversation(alice, [bob, dora], "s", "before erin")
    [first] = conversations.messages_in(conversation, alice)
    later = messaging.record_remote_message(
        dora, RemoteContent(html="<p>erin, meet alice</p>"), audience=[alice, bob, erin], conversation=conversation
    )
    assert set(conversation.participants.values_list("person_id", flat=True)) == {alice.id, bob.id, dora.id, erin.id}
    assert can_see_post(erin, later.post)
    assert not can_see_post(erin, first.post)
    assert [c.id for c in conversations.conversations_for(alice)] == [conversation.id]
    assert conversations.conversations_for(alice).get().unread
    # Someone outside the conversation cannot write into it.
    with pytest.raises(NotAllowed):
        messaging.record_remote_message(
            factories.remote_person("mallory", "elsewhere.example"),
            RemoteContent(html="<p>hi</p>"), audience=[alice], conversation=conversation,
        )


def test_a_conversation_none_of_whose_messages_one_may_read_is_not_shown(alice, bob, carol):
    from kith.graph.services import block

    conversation = messaging.start_conversation(alice, [bob, carol], "A private subject", "hello both")
    block(carol, alice)
    with pytest.raises(NotFound):
        conversations.conversation_for(carol, conversation.id)
    assert list(conversations.conversations_for(carol)) == []
    assert conversations.conversation_for(bob, conversation.id).subject == "A private subject"
