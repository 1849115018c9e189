"""What the streaming processes tail besides the domain's own rows: edits and deletions.

A deleted post leaves no row to find, so its deletion is written here, with who
could see it, from the domain event.  Rows are short-lived: the streaming
processes read them within a poll interval, and `consumers.prune` removes them
after RETENTION.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models

# Longer than any poll interval or reconnect a streaming process may need.
RETENTION = timedelta(minutes=10)


class StreamEventKind(models.TextChoices):
    EDITED = "status.update", "a post was edited"
    DELETED = "delete", "a post was deleted"


class StreamEvent(models.Model):
    """Append-only: ids increase in insertion order, which is what the tailing cursor follows."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=16, choices=StreamEventKind.choices)
    # No foreign keys: a deleted post is gone, and an event must outlive it.
    post_id = models.BigIntegerField()
    author_id = models.BigIntegerField()
    # For a deletion: whether anyone could see the post (public or unlisted), and if not,
    # the local people in its audience (the only ones told of the deletion).
    public = models.BooleanField(default=False)
    audience = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
