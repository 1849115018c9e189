"""Accounts (who logs in) and persons (who posts: local or remote, one model)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from kith.core.models import SnowflakeField


class AccountState(models.TextChoices):
    ACTIVE = "active", "active"
    # Staff froze the login (moderation): it cannot log in or act; what it wrote stays up.
    # Only an Account is ever frozen; its Person stays active.
    FROZEN = "frozen", "frozen"
    SUSPENDED = "suspended", "suspended"
    DELETED = "deleted", "deleted"


class Role(models.TextChoices):
    """Who may do what on this pod.  A moderator acts on accounts, posts and reports; only
    an admin also changes the pod's settings, rules, domain policies and people's roles."""

    ADMIN = "admin", "admin"
    MODERATOR = "moderator", "moderator"
    USER = "user", "user"


class Account(AbstractUser):
    """A login on this pod.  `username` equals the local person's username."""

    email = models.EmailField(unique=True)
    state = models.CharField(max_length=16, choices=AccountState.choices, default=AccountState.ACTIVE)
    suspended_reason = models.TextField(blank=True)
    # Kept in step with Django's is_staff/is_superuser by kith.people.services.set_role.
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("username"), name="account_username_ci_unique")]

    # The role says what an account may do; the state whether it may now.  A frozen or
    # suspended admin keeps the role (lifting the action gives it back) but acts as nobody
    # meanwhile: these two are what every check asks (web decorators, StaffOAuth, services).
    @property
    def is_admin(self) -> bool:
        """An admin whose account is active."""
        return self.role == Role.ADMIN and self.state == AccountState.ACTIVE

    @property
    def is_moderator(self) -> bool:
        """Staff: an admin or a moderator, whose account is active."""
        return self.role in (Role.ADMIN, Role.MODERATOR) and self.state == AccountState.ACTIVE


class Person(models.Model):
    """Somebody who can post and be shared with, on this pod (`domain == ""`) or another."""

    id = SnowflakeField()
    account = models.OneToOneField(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    username = models.CharField(max_length=64)
    domain = models.CharField(max_length=255, blank=True, default="", db_index=True)
    display_name = models.CharField(max_length=100, blank=True)
    bio_source = models.TextField(blank=True)
    bio_html = models.TextField(blank=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    header = models.ImageField(upload_to="headers/%Y/%m/", blank=True)
    # Private profile: shown only to people this person shares with (as in diaspora*).
    location = models.CharField(max_length=255, blank=True)
    birthday = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=255, blank=True)
    searchable = models.BooleanField(default=True, help_text="Listed in people search")
    locked = models.BooleanField(default=False, help_text="New followers need approval")
    state = models.CharField(max_length=16, choices=AccountState.choices, default=AccountState.ACTIVE)
    # Account migration: the actor URIs this person also answers to (a local person's, set in
    # settings), and the account they moved to.
    also_known_as = models.JSONField(default=list, blank=True)
    moved_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Moderation (kith.moderation sets these through kith.people.services):
    # limited: posts shown only to people who already follow; not in public, tag or search results.
    limited = models.BooleanField(default=False)
    # Photos of every post shown behind a click ("mark media sensitive" on the account).
    force_sensitive = models.BooleanField(default=False)
    # When staff suspended this person (state SUSPENDED): a local person's data is kept 30 days
    # from then, so an appeal can restore it, and purged after.
    suspended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), "domain", name="person_handle_unique"),
        ]

    def __str__(self) -> str:
        return self.handle

    @property
    def is_local(self) -> bool:
        return self.domain == ""

    @property
    def handle(self) -> str:
        return f"{self.username}@{self.domain or settings.KITH_DOMAIN}"

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def is_active(self) -> bool:
        return self.state == AccountState.ACTIVE

    # A new picture is stored under a new name (the storage never reuses a name in use), so a
    # hash of the name changes with the picture: put in the served URL (`?v=`), it lets browsers,
    # apps and other pods tell a new avatar from one they have, although the path stays the same.
    @property
    def avatar_version(self) -> str:
        return _version(self.avatar.name)

    @property
    def header_version(self) -> str:
        return _version(self.header.name)


def _version(stored_name: str | None) -> str:
    return hashlib.sha256((stored_name or "").encode()).hexdigest()[:12] if stored_name else ""


class ProfileTag(models.Model):
    """Up to five tags a person describes themself with (diaspora*'s profile tags)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="profile_tags")
    name = models.CharField(max_length=64, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["person", "name"], name="profile_tag_unique")]


class PersonKey(models.Model):
    """A local person's RSA key pair, used to sign what the pod sends for them."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="key", primary_key=True)
    public_key_pem = models.TextField()
    private_key_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)


class LoginThrottle(models.Model):
    """Failed log-ins (and e-mail-sending requests) counted per account name or client address,
    when the pod has no Redis (kith/people/throttle.py).  `key` is a hash: the table holds no
    name or address.  Rows expire and are pruned, so its size follows the recent failures only."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)


class PendingSignup(models.Model):
    """A sign-up waiting for its e-mail address to be confirmed (KITH_SIGNUP_CONFIRM_EMAIL).
    The username is not reserved until then; the password is kept hashed only."""

    token_hash = models.CharField(max_length=64, unique=True)
    username = models.CharField(max_length=30)
    email = models.EmailField()
    password = models.CharField(max_length=128)
    language = models.CharField(max_length=16, blank=True)
    expires_at = models.DateTimeField(db_index=True)
