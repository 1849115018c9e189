"""Private conversations: a subject, two or more participants, messages, read state."""

from __future__ import annotations

from django.db import models

from kith.core.models import SnowflakeField
from kith.people.models import Person


class Conversation(models.Model):
    id = SnowflakeField()
    subject = models.CharField(max_length=255, blank=True)
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)


class ConversationParticipant(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="conversations")
    # Messages with ids up to this one have been read by this participant.
    last_read_message_id = models.BigIntegerField(default=0)
    hidden = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "conversation"], name="participant_unique")]


class Message(models.Model):
    id = SnowflakeField()
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    source = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "id"], name="message_conversation_idx")]
