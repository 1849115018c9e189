"""Precomputed reading: stream rows, fan-out progress and notifications."""

from __future__ import annotations

from typing import Any

from django.db import models

from kith.core.models import SnowflakeField
from kith.people.models import Person
from kith.social.models import Comment, Post


class StreamReason(models.TextChoices):
    OWN = "own", "own post"
    FOLLOWING = "following", "follows the author"
    AUDIENCE = "audience", "in the post's audience"
    TAG = "tag", "follows one of its tags"
    MENTION = "mention", "mentioned"


class StreamEntry(models.Model):
    """One post in one person's stream, written at publish time (fan-out on write).

    Ordered by post id (time-sortable), so a page is an index range scan on
    (owner, post).  Reading still asks kith.visibility: a block or deletion
    after fan-out must hide the row.
    """

    owner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=StreamReason.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "post"], name="stream_entry_unique")]


class FanOutState(models.TextChoices):
    PENDING = "pending", "pending"
    DONE = "done", "done"


class FanOut(models.Model):
    """Durable progress of writing one post into its recipients' streams.

    Recipients are processed in person-id order; `cursor` is the last id done,
    committed with each batch.  A worker killed mid-way leaves the row pending;
    the sweep re-enqueues it and the next run resumes after `cursor`.  The
    unique (owner, post) constraint makes a repeated batch a no-op.
    """

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="+", primary_key=True)
    state = models.CharField(max_length=16, choices=FanOutState.choices, default=FanOutState.PENDING)
    cursor = models.BigIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "claimed_until"], name="fanout_pending_idx")]


class NotificationKind(models.TextChoices):
    MENTIONED = "mentioned", "mentioned you"
    COMMENTED = "commented", "commented on your post"
    ALSO_COMMENTED = "also_commented", "also commented"
    REPLIED = "replied", "replied to your comment"
    LIKED = "liked", "liked"
    RESHARED = "reshared", "reshared your post"
    STARTED_SHARING = "started_sharing", "started sharing with you"
    FOLLOWED = "followed", "followed you"
    FOLLOW_REQUEST = "follow_request", "asked to follow you"
    PRIVATE_MESSAGE = "private_message", "sent you a message"
    POLL_ENDED = "poll_ended", "a poll you voted in ended"
    # Moderation (written on events.ModerationNotice; `data` says what happened):
    MODERATION_WARNING = "moderation_warning", "moderators acted on your account"
    REPORT_OUTCOME = "report_outcome", "your report was handled"
    SEVERED_RELATIONSHIPS = "severed_relationships", "lost connections"
    ADMIN_REPORT = "admin_report", "filed a report"


# The moderation kinds above, the one place they are listed: kith.timelines.consumers writes
# only these on events.ModerationNotice, and kith.visibility (rule 17) shows them whatever the
# state, blocks or limits of the account they name.
MODERATION_NOTIFICATION_KINDS: frozenset[str] = frozenset({
    NotificationKind.MODERATION_WARNING,
    NotificationKind.REPORT_OUTCOME,
    NotificationKind.SEVERED_RELATIONSHIPS,
    NotificationKind.ADMIN_REPORT,
})


class Notification(models.Model):
    id = SnowflakeField()
    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    actor = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        "messaging.Conversation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    read = models.BooleanField(default=False)
    # Moderation notices only: {"action_id": .., "report_id": .., "domain": .., "count": ..}.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Not a column: what kith.web's notifications page shows for the post.
    post_title: str
    # Not a column: the report a report notice (admin_report, report_outcome) is about, on that page.
    report: Any

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient_idx"),
            models.Index(fields=["recipient", "read"], name="notification_unread_idx"),
        ]


class MarkerTimeline(models.TextChoices):
    HOME = "home", "home"
    NOTIFICATIONS = "notifications", "notifications"


class Marker(models.Model):
    """Where a person stopped reading a timeline, saved so their other apps resume there."""

    owner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    timeline = models.CharField(max_length=16, choices=MarkerTimeline.choices)
    last_read_id = models.BigIntegerField()
    version = models.PositiveIntegerField(default=0)  # bumped on every change (optimistic locking in clients)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "timeline"], name="marker_unique")]


class FilterContext(models.TextChoices):
    HOME = "home", "home and lists"
    NOTIFICATIONS = "notifications", "notifications"
    PUBLIC = "public", "public and tag timelines"
    THREAD = "thread", "conversations"
    ACCOUNT = "account", "profiles"


class FilterAction(models.TextChoices):
    WARN = "warn", "show behind a warning"
    HIDE = "hide", "hide completely"


class Filter(models.Model):
    """A person's own content filter: keywords and chosen statuses, hidden or shown behind a warning."""

    owner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=256)
    contexts = models.JSONField(default=list)  # FilterContext values
    action = models.CharField(max_length=8, choices=FilterAction.choices, default=FilterAction.WARN)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "id"], name="filter_owner_idx")]


class FilterKeyword(models.Model):
    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="keywords")
    keyword = models.CharField(max_length=512)
    whole_word = models.BooleanField(default=True)


class FilterStatus(models.Model):
    """A post or a comment the filter's owner filters by hand."""

    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="statuses")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(post__isnull=False, comment__isnull=True)
                | models.Q(post__isnull=True, comment__isnull=False),
                name="filter_status_one_target",
            ),
            models.UniqueConstraint(fields=["filter", "post"], name="filter_status_post_unique"),
            models.UniqueConstraint(fields=["filter", "comment"], name="filter_status_comment_unique"),
        ]
