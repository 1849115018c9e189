"""ActivityPub's own data, kept out of the domain schema.

The domain knows a Person and a Post; only this adapter knows that the person
is `https://example.social/users/ann` with that inbox and key, or that the post
was `https://example.social/users/ann/statuses/1`.
"""

from __future__ import annotations

from django.db import models

from kith.people.models import Person
from kith.social.models import Comment, Like, Post


class RemoteActor(models.Model):
    """A remote ActivityPub actor and the Person it appears as on this pod."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="ap_actor")
    uri = models.URLField(max_length=2048, unique=True)
    inbox = models.URLField(max_length=2048)
    shared_inbox = models.URLField(max_length=2048, blank=True)
    outbox = models.URLField(max_length=2048, blank=True)
    followers_url = models.URLField(max_length=2048, blank=True)
    following_url = models.URLField(max_length=2048, blank=True)
    profile_url = models.URLField(max_length=2048, blank=True)
    key_id = models.CharField(max_length=2048, db_index=True)
    public_key_pem = models.TextField()
    actor_type = models.CharField(max_length=32, default="Person")
    fetched_at = models.DateTimeField()

    @property
    def delivery_inbox(self) -> str:
        """Where to deliver what is not addressed to this actor alone: one POST per shared inbox."""
        return self.shared_inbox or self.inbox


class RemoteKey(models.Model):
    """A further key an actor publishes as an FEP-521a `assertionMethod` Multikey (Ed25519 or RSA).

    The actor's `publicKey` stays on RemoteActor; these are the others, replaced
    whenever the actor document is fetched again.  Key ids are fragments of the
    actor's id, so a key id names one actor.
    """

    actor = models.ForeignKey(RemoteActor, on_delete=models.CASCADE, related_name="multikeys")
    key_id = models.CharField(max_length=2048, db_index=True)
    public_key_pem = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor", "key_id"], name="remote_key_once_per_actor")]


class ObjectKind(models.TextChoices):
    POST = "post", "post"
    COMMENT = "comment", "comment"
    LIKE = "like", "like"


class RemoteObject(models.Model):
    """The id a remote server gave to something we store as a domain object."""

    uri = models.URLField(max_length=2048, unique=True)
    kind = models.CharField(max_length=16, choices=ObjectKind.choices)
    post = models.OneToOneField(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="ap_object")
    comment = models.OneToOneField(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="ap_object"
    )
    like = models.OneToOneField(Like, null=True, blank=True, on_delete=models.CASCADE, related_name="ap_object")
    # The activity that created it (Like and Announce are undone by activity id).
    activity_uri = models.URLField(max_length=2048, blank=True, db_index=True)


class ConversationContext(models.Model):
    """The `context` a remote server gave to a conversation (its direct notes share it).

    Conversations started here need no row: their context is computed (uris.conversation).
    """

    uri = models.URLField(max_length=2048, unique=True)
    conversation = models.OneToOneField(
        "messaging.Conversation", on_delete=models.CASCADE, related_name="ap_context"
    )


class Tombstone(models.Model):
    """A remote object that was deleted: a Create or Update arriving later is ignored."""

    uri = models.URLField(max_length=2048, unique=True)
    actor_uri = models.URLField(max_length=2048)
    deleted_at = models.DateTimeField(auto_now_add=True)


class InboundState(models.TextChoices):
    PENDING = "pending", "pending"
    DONE = "done", "done"
    DROPPED = "dropped", "dropped"  # valid, but nothing to do (unknown object, not for us, ...)
    FAILED = "failed", "failed"


class InboundActivity(models.Model):
    """A verified activity, stored before it is applied.  Keyed by its id: a repeat changes nothing."""

    activity_uri = models.URLField(max_length=2048, unique=True)
    actor_uri = models.URLField(max_length=2048)
    activity_type = models.CharField(max_length=32)
    payload = models.JSONField()
    # Set when another server forwarded it (signed by them, not by its actor): its
    # object is then believed only as refetched from the object's own server.
    forwarded_by = models.URLField(max_length=2048, blank=True)
    state = models.CharField(max_length=16, choices=InboundState.choices, default=InboundState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "received_at"], name="inbound_pending_idx")]


class FollowActivity(models.Model):
    """The id of the Follow activity behind a follow, to name it in Accept, Reject and Undo."""

    follow = models.OneToOneField("graph.Follow", on_delete=models.CASCADE, related_name="ap_activity")
    uri = models.URLField(max_length=2048, unique=True)


class PollUpdate(models.Model):
    """A local poll whose counts changed: followers get an Update(Question), at most one a minute.

    Written when a vote is counted; `due_at` is when the next Update goes (null: nothing
    pending).  The job that sends it, or the minute sweep if that job was lost, clears
    `due_at` in the same transaction that hands the Update to the delivery engine.
    """

    post = models.OneToOneField(Post, on_delete=models.CASCADE, primary_key=True, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_count = models.PositiveIntegerField(default=0)


class Retraction(models.Model):
    """A suspension of a local person, as this adapter carried it out: what it sent went back.

    One row per suspension (its `suspended_at`), written when the retraction starts.  The
    suspension's time stamps the retraction's activity ids and the restore's time those of
    the re-delivery: a later suspension of the same person, or a restore of it, is a new
    activity to every server (inboxes keep every activity id they have seen), while a
    re-run of one (a crash, a replayed event) makes the same ids, which the delivery rows'
    uniqueness turns into nothing sent twice."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    suspended_at = models.DateTimeField()
    # When the suspension was lifted and the content began to go out again (null: not lifted).
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "suspended_at"], name="retraction_once_per_suspension")]
