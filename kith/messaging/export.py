"""Messaging's section of a person's data export (see kith.people.export)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from kith.messaging.models import Conversation, Message
from kith.people.export import ExportFiles, export_id, export_time, handles, section
from kith.people.models import Person
from kith.visibility import filter_by_post_visibility


@section("conversations")
def _conversations(person: Person, files: ExportFiles) -> list[dict[str, Any]]:
    conversations = (
        Conversation.objects.filter(participants__person=person)
        .prefetch_related(
            "participants__person",
            Prefetch(
                "messages",
                queryset=filter_by_post_visibility(person, Message.objects.all(), "post")
                .select_related("post__author")
                .order_by("post_id"),
            ),
        )
        .order_by("id")
    )
    return [
        {
            "id": export_id(conversation.id),
            "subject": conversation.subject,
            "participants": handles(p.person for p in conversation.participants.all()),
            "messages": [
                {
                    "id": export_id(message.post_id),
                    "author": message.post.author.handle,
                    "created_at": export_time(message.post.created_at),
                    "source": message.post.source,
                    "html": message.post.html,
                }
                for message in conversation.messages.all()
            ],
        }
        for conversation in conversations
    ]
