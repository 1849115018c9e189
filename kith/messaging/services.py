"""Write paths for private conversations.

A message is published as a direct post (kith.social.services.publish_post) whose
audience is exactly the conversation's other participants at that moment, in the same
transaction as the conversation's own rows.  So reading it is decided by kith.visibility,
federating it is the adapters' ordinary direct post, and a participant added later (from
another server's reply) never sees the messages written before they were in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from django.db import transaction
from django.utils import timezone

from kith.core import events
from kith.core.errors import Invalid, NotAllowed, NotFound
from kith.messaging.models import Conversation, ConversationParticipant, Message
from kith.messaging.selectors import conversation_of_post
from kith.people.models import Person
from kith.social import remote, services
from kith.social.compose import Compose, reply_target
from kith.social.models import Post, Visibility
from kith.social.text import mentioned_in
from kith.visibility import blocked_either_way

MAX_PARTICIPANTS = 50
MAX_SUBJECT_CHARS = 255


def _check_recipients(author: Person, recipients: Iterable[Person]) -> dict[int, Person]:
    others = {p.id: p for p in recipients if p.id != author.id}
    if not others:
        raise Invalid("A conversation needs at least one other person.")
    if len(others) + 1 > MAX_PARTICIPANTS:
        raise Invalid(f"A conversation has at most {MAX_PARTICIPANTS} people.")
    for person in others.values():
        if not person.is_active or blocked_either_way(author, person.id):
            raise NotAllowed(f"You cannot write to {person.handle}.")
    return others


@transaction.atomic
def start_conversation(author: Person, recipients: Sequence[Person], subject: str, text: str) -> Conversation:
    """A new conversation between `author` and `recipients`, with its first message."""
    return _start(author, recipients, subject, Compose(text=text, visibility=Visibility.DIRECT)).conversation


@transaction.atomic
def send_message(author: Person, conversation: Conversation, text: str) -> Message:
    """A reply in a conversation `author` takes part in, to all its other participants."""
    return _send(author, conversation, Compose(text=text, visibility=Visibility.DIRECT))


@transaction.atomic
def publish_direct(author: Person, compose: Compose) -> Post:
    """A direct compose from a client (or its scheduled post), or a reply to a message
    (kith.social.drafts.submit hands them here: registered in kith.messaging.apps).

    It goes into the conversation of the message it answers (which the author must be
    able to read), or starts a new conversation with the people it mentions (a private
    reply to anything else starts one too: it never becomes a comment others could read)."""
    if compose.in_reply_to_id is not None:
        post, _comment = reply_target(author, compose.in_reply_to_id)
        conversation = conversation_of_post(author, post.id)
        if conversation is not None:
            return _send(author, conversation, compose).post
    return _start(author, mentioned_in(compose.text), "", compose).post


def _start(author: Person, recipients: Sequence[Person], subject: str, compose: Compose) -> Message:
    others = _check_recipients(author, recipients)
    conversation = Conversation.objects.create(
        subject=(subject or "").strip()[:MAX_SUBJECT_CHARS], author=author, last_message_at=timezone.now()
    )
    ConversationParticipant.objects.bulk_create(
        ConversationParticipant(conversation=conversation, person_id=pid) for pid in [author.id, *others]
    )
    return _publish(conversation, author, others, compose)


def _send(author: Person, conversation: Conversation, compose: Compose) -> Message:
    others = list(
        ConversationParticipant.objects.filter(conversation=conversation).exclude(person=author).select_related("person")
    )
    if len(others) == ConversationParticipant.objects.filter(conversation=conversation).count():
        raise NotFound("No such conversation.")
    for participant in others:
        # As when starting a conversation: a block either way stops writing to that person.
        if blocked_either_way(author, participant.person_id):
            raise NotAllowed("A block stands between you and someone in this conversation.")
    people = {p.person_id: p.person for p in others if p.person.is_active}
    if not people:
        raise NotAllowed("Nobody else in this conversation can read it any more.")
    return _publish(conversation, author, people, compose)


def _publish(conversation: Conversation, author: Person, others: dict[int, Person], compose: Compose) -> Message:
    """The message is a direct post to exactly the conversation's other participants."""
    post = services.publish(
        author,
        replace(
            compose, visibility=Visibility.DIRECT, person_ids=tuple(sorted(others)), exact_audience=True,
            aspect_ids=(), all_aspects=False, in_reply_to_id=None, scheduled_at=None, idempotency_key="",
        ),
    )
    return _attach(conversation, post)


def _attach(conversation: Conversation, post: Post) -> Message:
    message = Message.objects.create(conversation=conversation, post=post)
    Conversation.objects.filter(id=conversation.id, last_message_id__lt=post.id).update(
        last_message_at=post.created_at, last_message_id=post.id
    )
    # The author has read their own message; everyone sees the conversation again.
    ConversationParticipant.objects.filter(conversation=conversation, person_id=post.author_id).update(
        last_read_message_id=post.id
    )
    ConversationParticipant.objects.filter(conversation=conversation).update(hidden=False)
    events.emit_on_commit(events.MessageSent(post.id))
    return message


# ---- from other servers ------------------------------------------------------------------


@transaction.atomic
def record_remote_message(
    author: Person,
    content: remote.RemoteContent,
    *,
    audience: Sequence[Person],
    conversation: Conversation | None = None,
    subject: str = "",
    published=None,
) -> Message:
    """A direct note from another server, as a message.

    Without `conversation` it starts one between its author and everyone it was addressed
    to.  In an existing one the author must take part; people it newly addresses join
    (they see this message and later ones, never earlier ones).
    """
    people = {p.id: p for p in audience if p.id != author.id}
    if not people:
        raise Invalid("A message needs someone to go to.")
    if conversation is None:
        conversation = Conversation.objects.create(
            subject=(subject or "").strip()[:MAX_SUBJECT_CHARS], author=author, last_message_at=timezone.now()
        )
        ConversationParticipant.objects.create(conversation=conversation, person=author)
    elif not ConversationParticipant.objects.filter(conversation=conversation, person=author).exists():
        raise NotAllowed("Only its participants write in a conversation.")
    joined = set(ConversationParticipant.objects.filter(conversation=conversation).values_list("person_id", flat=True))
    newcomers = [pid for pid in people if pid not in joined]
    if len(joined) + len(newcomers) > MAX_PARTICIPANTS:
        raise Invalid(f"A conversation has at most {MAX_PARTICIPANTS} people.")
    ConversationParticipant.objects.bulk_create(
        ConversationParticipant(conversation=conversation, person_id=pid) for pid in newcomers
    )
    post = remote.record_remote_post(
        author, content, visibility=Visibility.DIRECT, audience=list(people.values()), published=published
    )
    return _attach(conversation, post)


# ---- read state ------------------------------------------------------------------------------


def mark_read(person: Person, conversation: Conversation) -> None:
    last = Message.objects.filter(conversation=conversation).order_by("-post_id").values_list("post_id", flat=True).first()
    with transaction.atomic():
        ConversationParticipant.objects.filter(conversation=conversation, person=person).update(
            last_read_message_id=last or 0
        )
        from kith.timelines.models import Notification

        Notification.objects.filter(recipient=person, conversation=conversation, read=False).update(read=True)


def hide_conversation(person: Person, conversation: Conversation) -> None:
    """Out of `person`'s list until someone writes in it again (Mastodon's "remove")."""
    ConversationParticipant.objects.filter(conversation=conversation, person=person).update(hidden=True)
