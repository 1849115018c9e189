"""Moderation records: the audit log, pod rules, reports, actions on accounts with their
appeals, domain policies and e-mail blocks (docs/moderation.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AuditLogIsAppendOnly(Exception):
    """Code tried to change or delete an audit log entry: a bug, never a request to answer."""


class AppendOnlyQuerySet(models.QuerySet["AuditLogEntry"]):
    """Rows are added (kith.moderation.audit.record) and read, never updated or deleted.

    Django's own bookkeeping still works: deleting an account sets `actor` to NULL through
    the model's base manager, which is a plain one."""

    def update(self, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly("The audit log is append-only: entries are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("The audit log is append-only: entries are never deleted.")


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

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("The audit log is append-only: entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("The audit log is append-only: entries are never deleted.")


class ReportState(models.TextChoices):
    OPEN = "open", "open"
    RESOLVED = "resolved", "resolved"
    DISMISSED = "dismissed", "dismissed"


class ReportCategory(models.TextChoices):
    """Mastodon's report categories.  `violation` names the pod rules broken (PodRule)."""

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
    # [{"id": "2", "text": "..."}] (PodRule ids); the rule's wording may change later.
    rules = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=ReportState.choices, default=ReportState.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The reported posts and comments as they looked when reported, kept if they are later
    # edited or deleted: [{"kind": "post"|"comment", "id": "..", "uri": "..", "html": "..",
    # "content_warning": "..", "created_at": "..", "media": [{"url": .., "description": ..}]}].
    snapshot = models.JSONField(default=list, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # What the reporter is told when the report is closed.
    outcome = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class ReportNote(models.Model):
    """A staff member's private note on a report (never shown to the reporter or the reported)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class PodRule(models.Model):
    """One of the pod's rules, edited by admins; shown on sign-up, the about page and
    /api/v1/instance/rules, and cited by reports and actions.  A removed rule keeps its row
    (deleted_at) so what cited it still reads."""

    text = models.CharField(max_length=500)
    hint = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]


class ActionKind(models.TextChoices):
    """What staff can do to an account (local or remote), Mastodon's account_action types and more."""

    WARN = "warn", "warn"
    DELETE = "delete", "delete posts"
    SENSITIVE = "sensitive", "mark media sensitive"
    LIMIT = "limit", "limit"
    FREEZE = "freeze", "freeze"
    SUSPEND = "suspend", "suspend"


class AccountAction(models.Model):
    """A moderation action on a person, with its reason, the rules it cites, the report it
    settles, and an optional expiry after which it lapses on its own (Mastodon's strike)."""

    target = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="moderation_actions")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ActionKind.choices)
    reason = models.TextField(blank=True)
    rules = models.JSONField(default=list, blank=True)  # [{"id": "2", "text": "..."}] as they read then
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions")
    # The posts and comments a `delete` or `sensitive` action was about (ids as strings).
    post_ids = models.JSONField(default=list, blank=True)
    comment_ids = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the action stopped applying, and why: lapsed (expired), lifted (by staff), appeal.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]


class AppealState(models.TextChoices):
    PENDING = "pending", "pending"
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"


class Appeal(models.Model):
    """A local person's one appeal against an action, shown to staff next to it."""

    action = models.OneToOneField(AccountAction, on_delete=models.CASCADE, related_name="appeal")
    text = models.TextField()
    state = models.CharField(max_length=16, choices=AppealState.choices, default=AppealState.PENDING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class DomainSeverity(models.TextChoices):
    """Mastodon's domain block severities."""

    NOOP = "noop", "no limit (media or reports only)"
    SILENCE = "silence", "limit"
    SUSPEND = "suspend", "suspend"


class DomainPolicy(models.Model):
    """What this pod does with another server (a domain and all its subdomains)."""

    domain = models.CharField(max_length=255, unique=True)  # normalised: lower case, punycode, no trailing dot
    severity = models.CharField(max_length=16, choices=DomainSeverity.choices, default=DomainSeverity.SILENCE)
    reject_media = models.BooleanField(default=False)
    reject_reports = models.BooleanField(default=False)
    public_comment = models.TextField(blank=True)
    private_comment = models.TextField(blank=True)
    obfuscate = models.BooleanField(default=False)  # the public list shows the domain partly starred
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class DomainAllow(models.Model):
    """A server this pod federates with in allow-list mode (FederationSettings.allowlist_mode)."""

    domain = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)


class FederationSettings(models.Model):
    """The pod's one row of federation settings admins change (id 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    allowlist_mode = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)


class CanonicalEmailBlock(models.Model):
    """Sign-up refused for an e-mail address that canonicalises to this (sha256 hex, as Mastodon)."""

    canonical_email_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
