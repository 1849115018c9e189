"""Reads of private conversations.

Only participants see a conversation, and of its messages only those kith.visibility
lets them see (a message's audience is fixed when it is written; a block hides the
blocked person's messages).  A conversation none of whose messages the person may see
is not listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from kith.core.errors import NotFound
from kith.messaging.models import Conversation, ConversationParticipant, Message
from kith.people.models import Person
from kith.visibility import filter_by_post_visibility

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class ConversationAnnotations(TypedDict):
    """What `conversations_for` adds to each conversation."""

    unread: bool
    last_visible_id: int | None


def _visible_messages(person: Person) -> QuerySet[Message]:
    return filter_by_post_visibility(person, Message.objects.all(), "post")


def conversations_for(
    person: Person, *, include_hidden: bool = False
) -> QuerySet[WithAnnotations[Conversation, ConversationAnnotations]]:
    """`person`'s conversations, the newest message first, each with `unread` and
    `last_visible_id` (the id of the newest message they may see)."""
    mine = ConversationParticipant.objects.filter(person=person)
    if not include_hidden:
        mine = mine.filter(hidden=False)
    visible = _visible_messages(person).filter(conversation=OuterRef("pk"))
    read_up_to = ConversationParticipant.objects.filter(conversation=OuterRef(OuterRef("pk")), person=person).values(
        "last_read_message_id"
    )[:1]
    return (
        Conversation.objects.filter(id__in=mine.values("conversation_id"))
        .annotate(
            last_visible_id=Subquery(visible.order_by("-post_id").values("post_id")[:1]),
            unread=Exists(visible.filter(post_id__gt=Subquery(read_up_to)).exclude(post__author=person)),
        )
        .filter(last_visible_id__isnull=False)
        .prefetch_related("participants__person")
        .order_by("-last_message_id", "-id")
    )


def conversation_for(person: Person, conversation_id: int) -> Conversation:
    """One of `person`'s conversations (hidden ones too) with a message they may read: its
    subject and participants are as private as its messages."""
    conversation = conversations_for(person, include_hidden=True).filter(id=conversation_id).first()
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def conversation_of_post(person: Person, post_id: int) -> Conversation | None:
    """The conversation a direct post belongs to, if `person` takes part in it."""
    message = Message.objects.filter(post_id=post_id, conversation__participants__person=person).first()
    return None if message is None else conversation_for(person, message.conversation_id)


def messages_in(conversation: Conversation, viewer: Person) -> QuerySet[Message]:
    """The messages `viewer` may read, oldest first."""
    return (
        _visible_messages(viewer)
        .filter(conversation=conversation)
        .select_related("post__author")
        .order_by("post_id")
    )


def unread_conversation_count(person: Person) -> int:
    return conversations_for(person).filter(unread=True).count()
