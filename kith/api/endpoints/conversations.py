"""Conversations: /api/v1/conversations.  A Kith conversation is Mastodon's conversation.

Its messages are direct statuses (kith.messaging keeps them as direct posts), so posting a
direct status starts a conversation with the people it mentions, and replying to one of
its messages writes in that conversation; the list shows each conversation the viewer
takes part in, newest message first, with the newest message they may see.  Paging keys
are those messages' ids.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query

from kith.api import entities
from kith.api.auth import OAuth, me
from kith.api.pagination import PageParams, link_header
from kith.api.params import DbId
from kith.api.routing import ApiRouter
from kith.api.schemas import Conversation, Empty
from kith.core.errors import NotFound
from kith.messaging import selectors as conversations
from kith.messaging import services as messaging
from kith.people.models import Person
from kith.social import selectors as posts
from kith.social.selectors import paginate

router = ApiRouter(tags=["conversations"])


def _entities(viewer: Person, rows: list) -> list[dict]:
    """Conversation entities, their last statuses rendered in one batch."""
    statuses = {
        int(status["id"]): status
        for status in entities.statuses(viewer, posts.posts_by_ids(viewer, [row.last_visible_id for row in rows]))
    }
    return entities.conversations(viewer, rows, statuses)


def _own(viewer: Person, conversation_id: int):
    found = conversations.conversations_for(viewer, include_hidden=True).filter(id=conversation_id).first()
    if found is None:
        raise NotFound("Record not found")
    return found


@router.get("/v1/conversations", response=list[Conversation], auth=OAuth("read:statuses"))
def list_conversations(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[dict]:
    viewer = me(request)
    wanted = page.to_page()
    rows = sorted(
        paginate(conversations.conversations_for(viewer), wanted, "last_visible_id"),
        key=lambda row: row.last_visible_id, reverse=True,
    )
    link_header(request, response, [row.last_visible_id for row in rows], limit=wanted.limit)
    return _entities(viewer, rows)


@router.post("/v1/conversations/{conversation_id}/read", response=Conversation, auth=OAuth("write:conversations"))
def mark_read(request: HttpRequest, conversation_id: DbId) -> dict:
    viewer = me(request)
    messaging.mark_read(viewer, _own(viewer, conversation_id))
    return _entities(viewer, [_own(viewer, conversation_id)])[0]


@router.delete("/v1/conversations/{conversation_id}", response=Empty, auth=OAuth("write:conversations"))
def remove(request: HttpRequest, conversation_id: DbId) -> dict:
    """Out of the list until someone writes in it again; the messages stay."""
    viewer = me(request)
    messaging.hide_conversation(viewer, _own(viewer, conversation_id))
    return {}
