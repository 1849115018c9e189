"""The sharing graph: follows, aspects, blocks and mutes between persons."""

from __future__ import annotations

from django.db import models

from kith.people.models import Person


class FollowState(models.TextChoices):
    PENDING = "pending", "pending"
    ACCEPTED = "accepted", "accepted"


class Follow(models.Model):
    """`follower` receives `followee`'s posts (once accepted, for a locked followee)."""

    follower = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="following_rel")
    followee = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="follower_rel")
    state = models.CharField(max_length=16, choices=FollowState.choices, default=FollowState.ACCEPTED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_unique"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("followee")), name="follow_not_self"),
        ]
        indexes = [models.Index(fields=["followee", "state", "follower"], name="follow_followee_idx")]


class Aspect(models.Model):
    """A named audience a person puts contacts into (diaspora*'s aspects)."""

    owner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aspects")
    name = models.CharField(max_length=64)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Not a column: the members kith.graph.selectors.aspects_with_members puts on each aspect.
    members: list[Person]

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="aspect_name_unique")]

    def __str__(self) -> str:
        return self.name


class AspectMembership(models.Model):
    aspect = models.ForeignKey(Aspect, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aspect_memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["aspect", "person"], name="aspect_membership_unique")]


class Block(models.Model):
    blocker = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="blocks_received")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique")]
        indexes = [models.Index(fields=["blocked", "blocker"], name="block_blocked_idx")]


class Mute(models.Model):
    """`muter` no longer sees `muted`'s posts in their stream (nor, by default, their notifications)."""

    muter = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="mutes_made")
    muted = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="mutes_received")
    # False: only the posts are hidden, notifications from them still arrive (Mastodon's `notifications`).
    notifications = models.BooleanField(default=True)
    # A mute for a while: removed by graph.jobs.expire_mutes once this has passed.
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["muter", "muted"], name="mute_unique")]


class DomainBlock(models.Model):
    """A person's own block of a whole remote domain (Mastodon's user-level domain blocks).

    That domain's posts and notifications are hidden from the person where they
    read them, its people may no longer follow them, and its followers are removed."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="domain_blocks")
    domain = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "domain"], name="domain_block_unique")]
