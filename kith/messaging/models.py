"""Private conversations: a subject, two or more participants, and their messages.

A message is a direct post (kith.social.Post with visibility DIRECT) whose audience
is the conversation's other participants, fixed when it is written: who may read it
is decided by kith.visibility like every other post, it federates as a direct Note,
and the Mastodon API shows it as a direct status.  A conversation only groups such
posts, with a subject and each participant's read state.
"""

from __future__ import annotations

from django.db import models

from kith.core.models import SnowflakeField
from kith.people.models import Person
from kith.social.models import Post


class Conversation(models.Model):
    id = SnowflakeField()
    subject = models.CharField(max_length=255, blank=True)
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)
    # The newest message's id: the order of a person's conversation list and its paging key.
    last_message_id = models.BigIntegerField(default=0, db_index=True)


class ConversationParticipant(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="conversations")
    # Messages with ids up to this one have been read by this participant.
    last_read_message_id = models.BigIntegerField(default=0)
    hidden = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "conversation"], name="participant_unique")]


class Message(models.Model):
    """One direct post in a conversation; its id is the post's."""

    post = models.OneToOneField(Post, on_delete=models.CASCADE, primary_key=True, related_name="message")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")

    class Meta:
        indexes = [models.Index(fields=["conversation", "post"], name="message_conversation_idx")]
