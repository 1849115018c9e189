"""Moderation records.  For now the audit log; reports and domain policies come next."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditLogEntry(models.Model):
    """An append-only record of a privileged or destructive action and who took it."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]


class ReportState(models.TextChoices):
    OPEN = "open", "open"
    RESOLVED = "resolved", "resolved"
    DISMISSED = "dismissed", "dismissed"


class ReportCategory(models.TextChoices):
    """Mastodon's report categories.  `violation` names the pod rules broken (KITH_POD_RULES)."""

    SPAM = "spam", "spam"
    LEGAL = "legal", "legal"
    VIOLATION = "violation", "violation"
    OTHER = "other", "other"


class Report(models.Model):
    """Someone asks this pod's moderators to look at a person (and some of their posts)."""

    reporter = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_made"
    )
    # For reports forwarded by another server on behalf of someone it does not name.
    reporter_domain = models.CharField(max_length=255, blank=True)
    target = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="reports_received")
    posts = models.ManyToManyField("social.Post", blank=True, related_name="+")
    # Replies (Kith comments) reported as statuses through the client API.
    comments = models.ManyToManyField("social.Comment", blank=True, related_name="+")
    comment = models.TextField(blank=True)
    category = models.CharField(max_length=16, choices=ReportCategory.choices, default=ReportCategory.OTHER)
    # Whether a copy went to the reported person's own server.
    forwarded = models.BooleanField(default=False)
    # The pod rules named (category `violation`), as they read when the report was filed:
    # [{"id": "2", "text": "..."}]; rules are numbered lines of KITH_POD_RULES, which can change.
    rules = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=ReportState.choices, default=ReportState.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
