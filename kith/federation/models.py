"""Protocol-neutral federation state.  Protocol-specific tables live in each adapter."""

from __future__ import annotations

from django.db import models


class InstanceKey(models.Model):
    """The pod's own key pair, for the instance actor that signs fetches made for nobody in particular."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    public_key_pem = models.TextField()
    private_key_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)


class DeliveryState(models.TextChoices):
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"  # gave up after days of retries, or refused for good (4xx)
    DROPPED = "dropped", "dropped"  # its object was deleted before it went out


class Delivery(models.Model):
    """One activity to one inbox: durable until sent, retried with backoff for days.

    Protocol-neutral: the adapter named by `protocol` signs and sends `body`.
    """

    protocol = models.CharField(max_length=16, default="activitypub")
    activity_uri = models.CharField(max_length=2048)
    inbox = models.URLField(max_length=2048)
    host = models.CharField(max_length=255, db_index=True)
    body = models.BinaryField()
    content_type = models.CharField(max_length=128)
    # Whose key signs it; null means the instance actor.
    signer = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # What it is about ("post:123"), so deleting the object drops its pending deliveries.
    subject = models.CharField(max_length=64, blank=True, db_index=True)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity_uri", "inbox"], name="delivery_once_per_inbox"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due_idx")]


class HostHealth(models.Model):
    """Per-host failure tracking: a dead host is probed now and then, not hammered."""

    host = models.CharField(max_length=255, primary_key=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    unavailable_until = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)


class CopyState(models.TextChoices):
    PENDING = "pending", "pending"  # to be fetched (again, at next_attempt_at, after a failure)
    DONE = "done", "done"
    FAILED = "failed", "failed"  # refused (not an image, too big, a private address) or retried out


class RemoteProfileImage(models.Model):
    """A remote person's avatar or header as their server names it, and how our copy stands.

    Protocol-neutral: an adapter records the URL its protocol gave (kith.federation.media_cache);
    the worker copies and cleans the picture into Person.avatar/header.  The row is what makes
    the copy durable: a job lost with its worker is found again by the sweep, and a URL that is
    not new is never fetched again."""

    KINDS = (("avatar", "avatar"), ("header", "header"))

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=KINDS)
    url = models.CharField(max_length=2048)
    state = models.CharField(max_length=8, choices=CopyState.choices, default=CopyState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)  # a job is at it (a lease, also the fencing token)
    last_error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="remote_profile_image_once")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="profile_image_due_idx")]
