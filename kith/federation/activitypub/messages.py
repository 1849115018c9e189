"""Direct notes <-> private conversations (kith.messaging).

A direct note (addressed only to people it mentions) is a message.  Which conversation
it belongs to is found, in order, from the message it replies to, from its `context`
(a conversation started here, or one another server started that we already know),
or else it starts a conversation of its own between its author and everyone it names.
Kith sends every message with its conversation's `context` and the message before it
as `inReplyTo` (render.note), so a reply reaches the same conversation on every
participant's server, and Mastodon threads it as one private conversation.
"""

from __future__ import annotations

import logging

from kith.core import hosts
from kith.core.errors import NotAllowed
from kith.federation.activitypub import uris
from kith.federation.activitypub.models import ConversationContext, ObjectKind, RemoteActor, RemoteObject
from kith.federation.activitypub.parse import NoteData
from kith.messaging import services as messaging
from kith.messaging.models import Conversation, Message
from kith.people.models import Person
from kith.social.models import Post
from kith.social.remote import RemoteContent

log = logging.getLogger(__name__)


def conversation_of(post: Post | None) -> Conversation | None:
    """The conversation a post is a message in, if it is one."""
    if post is None:
        return None
    message = Message.objects.select_related("conversation").filter(post_id=post.id).first()
    return None if message is None else message.conversation


def _by_context(context: str | None) -> Conversation | None:
    if not context:
        return None
    local_id = uris.local_conversation_id(context)
    if local_id is not None:
        return Conversation.objects.filter(id=local_id).first()
    known = ConversationContext.objects.select_related("conversation").filter(uri=context).first()
    return None if known is None else known.conversation


def _context_of_authors_server(context: str, actor_uri: str) -> bool:
    """Whether a context that starts a conversation here is the author's own server's: an
    http(s) URL on its host, or a tag: URI (Mastodon's `conversation`) naming it.  Another
    server's context is not recorded, so nobody can claim a conversation's key before the
    server that owns it (later notes in it would be split off)."""
    actor_origin = hosts.origin(actor_uri)
    if actor_origin is None:
        return False
    if context.startswith("tag:"):
        return hosts.normalise_host(context[4:].split(",", 1)[0]) == actor_origin[1]
    return hosts.origin(context) == actor_origin and uris.local_conversation_id(context) is None


def ingest_message(
    note: NoteData,
    actor: RemoteActor,
    content: RemoteContent,
    audience: list[Person],
    activity_id: str,
    *,
    replying_to: Post | None,
) -> None:
    """Store a direct note as a message (the caller's transaction; the note is new here)."""
    conversation = conversation_of(replying_to) or _by_context(note.context)
    try:
        message = messaging.record_remote_message(
            actor.person, content, audience=audience, conversation=conversation,
            subject=note.name or "", published=note.published,
        )
    except NotAllowed:
        if conversation is None:
            raise
        # A note naming a conversation its author is not in (a context reused, or forged):
        # it does not get in there; as a message to the people it names, it starts its own.
        log.info("note %s names conversation %s without its author in it", note.id, conversation.id)
        conversation = None
        message = messaging.record_remote_message(
            actor.person, content, audience=audience, subject=note.name or "", published=note.published
        )
    if conversation is None and note.context and _context_of_authors_server(note.context, actor.uri):
        ConversationContext.objects.get_or_create(uri=note.context, defaults={"conversation": message.conversation})
    RemoteObject.objects.create(uri=note.id, kind=ObjectKind.POST, post=message.post, activity_uri=activity_id)
