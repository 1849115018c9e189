"""A consumer run twice (the outbox sweep after a crash) leaves notifications as they were (review)."""

from __future__ import annotations

import pytest

from kith.core import events
from kith.messaging import selectors as conversations
from kith.messaging import services as messaging
from kith.timelines.consumers import surface_message
from kith.timelines.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_message_notification_read_stays_read_when_its_consumer_runs_again(alice, bob):
    conversation = messaging.start_conversation(alice, [bob], "plans", "hello")
    [message] = conversations.messages_in(conversation, bob)
    messaging.mark_read(bob, conversation)
    surface_message(events.MessageSent(message.post_id))
    assert Notification.objects.filter(recipient=bob).count() == 1
    assert not Notification.objects.filter(recipient=bob, read=False).exists()


def test_a_message_event_recorded_before_it_named_its_participants_still_notifies(alice, bob, carol):
    """An outbox row from an older version holds only the message id: replayed, it notifies
    the participants (from the message's audience), once, in the right conversation."""
    conversation = messaging.start_conversation(alice, [bob, carol], "plans", "hello")
    [message] = conversations.messages_in(conversation, bob)
    Notification.objects.filter(recipient=carol).delete()  # the consumer never ran for carol
    surface_message(events.MessageSent(message.post_id))
    assert Notification.objects.filter(recipient=bob).count() == 1
    [for_carol] = Notification.objects.filter(recipient=carol)
    assert for_carol.conversation_id == conversation.id
