"""Write paths for private conversations."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from kith.core import events
from kith.core.errors import Invalid, NotAllowed, NotFound
from kith.core.text import render_markdown
from kith.messaging.models import Conversation, ConversationParticipant, Message
from kith.people.models import Person
from kith.visibility import blocked_either_way

MAX_MESSAGE_CHARS = 65_535
MAX_PARTICIPANTS = 50


def _check_message(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid("A message needs some text.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise Invalid(f"A message is at most {MAX_MESSAGE_CHARS} characters.")
    return text


@transaction.atomic
def start_conversation(author: Person, recipients: Sequence[Person], subject: str, text: str) -> Conversation:
    others = {p.id: p for p in recipients if p.id != author.id}
    if not others:
        raise Invalid("A conversation needs at least one other person.")
    if len(others) + 1 > MAX_PARTICIPANTS:
        raise Invalid(f"A conversation has at most {MAX_PARTICIPANTS} people.")
    for person in others.values():
        if not person.is_active or blocked_either_way(author, person.id):
            raise NotAllowed(f"You cannot write to {person.handle}.")
    subject = (subject or "").strip()[:255]
    text = _check_message(text)
    now = timezone.now()
    conversation = Conversation.objects.create(subject=subject, author=author, last_message_at=now)
    ConversationParticipant.objects.bulk_create(
        ConversationParticipant(conversation=conversation, person_id=pid) for pid in [author.id, *others]
    )
    _add_message(conversation, author, text)
    return conversation


def _add_message(conversation: Conversation, author: Person, text: str) -> Message:
    message = Message.objects.create(
        conversation=conversation, author=author, source=text, html=render_markdown(text).html
    )
    Conversation.objects.filter(id=conversation.id).update(last_message_at=message.created_at)
    # The author has read their own message; everyone sees the conversation again.
    ConversationParticipant.objects.filter(conversation=conversation, person=author).update(
        last_read_message_id=message.id
    )
    ConversationParticipant.objects.filter(conversation=conversation).update(hidden=False)
    events.emit_on_commit(events.MessageSent(message.id))
    return message


@transaction.atomic
def send_message(author: Person, conversation: Conversation, text: str) -> Message:
    if not ConversationParticipant.objects.filter(conversation=conversation, person=author).exists():
        raise NotFound("No such conversation.")
    others = ConversationParticipant.objects.filter(conversation=conversation).exclude(person=author)
    for person_id in others.values_list("person_id", flat=True):
        # As when starting a conversation: a block either way stops writing to that person.
        if blocked_either_way(author, person_id):
            raise NotAllowed("A block stands between you and someone in this conversation.")
    return _add_message(conversation, author, _check_message(text))


def mark_read(person: Person, conversation: Conversation) -> None:
    last = Message.objects.filter(conversation=conversation).order_by("-id").values_list("id", flat=True).first()
    ConversationParticipant.objects.filter(conversation=conversation, person=person).update(
        last_read_message_id=last or 0
    )
    from kith.timelines.models import Notification

    Notification.objects.filter(recipient=person, conversation=conversation).update(read=True)


def hide_conversation(person: Person, conversation: Conversation) -> None:
    ConversationParticipant.objects.filter(conversation=conversation, person=person).update(hidden=True)
