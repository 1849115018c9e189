"""Reads of private conversations: only their participants ever see them."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, QuerySet

from kith.core.errors import NotFound
from kith.messaging.models import Conversation, ConversationParticipant, Message
from kith.people.models import Person


def conversations_for(person: Person) -> QuerySet[Conversation]:
    mine = ConversationParticipant.objects.filter(person=person, hidden=False)
    unread = Message.objects.filter(
        conversation=OuterRef("pk"),
        id__gt=ConversationParticipant.objects.filter(conversation=OuterRef(OuterRef("pk")), person=person).values(
            "last_read_message_id"
        )[:1],
    )
    return (
        Conversation.objects.filter(id__in=mine.values("conversation_id"))
        .annotate(unread=Exists(unread))
        .prefetch_related("participants__person")
        .order_by(F("last_message_at").desc(), "-id")
    )


def conversation_for(person: Person, conversation_id: int) -> Conversation:
    conversation = Conversation.objects.filter(
        id=conversation_id, participants__person=person
    ).prefetch_related("participants__person").first()
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def messages_in(conversation: Conversation) -> QuerySet[Message]:
    return Message.objects.filter(conversation=conversation).select_related("author").order_by("id")


def unread_conversation_count(person: Person) -> int:
    return conversations_for(person).filter(unread=True).count()
