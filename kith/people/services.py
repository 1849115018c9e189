"""Write paths for accounts and persons: sign-up, profile, password, deletion, suspension."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kith.core import events
from kith.core.errors import Conflict, Invalid, NotAllowed, NotFound
from kith.core.text import normalise_tag, render_markdown
from kith.jobs import enqueue_on_commit
from kith.people import hooks
from kith.people.images import clean_profile_image
from kith.people.keys import generate_key_job
from kith.people.mail import reset_link, send_templated
from kith.people.models import Account, AccountState, PendingSignup, Person, ProfileTag, Role

USERNAME_RE = re.compile(r"^[a-zA-Z0-9_]{1,30}$")
# Names that would be confusing or collide with routes and well-known actors.
RESERVED_USERNAMES = {
    "admin", "administrator", "root", "kith", "instance", "actor", "system", "support", "abuse",
    "postmaster", "webmaster", "hostmaster", "security", "moderator", "api", "static", "media",
    "well-known", "inbox", "outbox", "users", "tags", "settings", "notifications", "search", "about",
}
MAX_PROFILE_TAGS = 5
MAX_ALIASES = 10


def _audit(action: str, *, actor: Account | None = None, target: Account | Person, reason: str = "", **data: Any) -> None:
    """Write `action` to the audit log in this transaction: kith.moderation owns the log
    and sits above people, so it subscribes to events.Audited rather than being called."""
    events.emit_on_commit(events.Audited(
        action, actor.pk if actor is not None else None, type(target).__name__, str(target.pk), reason, data
    ))


def validate_username(username: str) -> None:
    if not USERNAME_RE.match(username):
        raise Invalid("A username is 1 to 30 letters, digits or underscores.")
    if username.lower() in RESERVED_USERNAMES:
        raise Invalid("That username is reserved.")


def _check_new_name_and_address(username: str, email: str) -> str:
    """The normalised e-mail address, once the username is valid and free and the address is one."""
    validate_username(username)
    email = Account.objects.normalize_email(email).strip()
    if not email or "@" not in email:
        raise Invalid("Enter a valid e-mail address.")
    hooks.check_signup_email(email)  # e.g. kith.moderation's canonical e-mail blocks
    if Account.objects.filter(username__iexact=username).exists() or Person.objects.filter(
        username__iexact=username, domain=""
    ).exists():
        raise Conflict("That username is taken.")
    return email


@transaction.atomic
def create_local_account(
    username: str, email: str, password: str, *, is_admin: bool = False, display_name: str = "",
    default_aspects: bool = False, language: str | None = None, password_hash: str | None = None,
) -> Account:
    """Sign-up: an Account to log in with and the local Person it posts as.

    `default_aspects`: start with diaspora*'s Family, Friends, Work and Acquaintances, named in
    `language` if the pod has it (sign-up and `kith user create` ask for them; tests and tools
    that build accounts do not)."""
    email = _check_new_name_and_address(username, email)
    if Account.objects.filter(email__iexact=email).exists():
        raise Conflict("An account with that e-mail address exists already.")
    account = Account(
        username=username, email=email, is_staff=is_admin, is_superuser=is_admin,
        role=Role.ADMIN if is_admin else Role.USER,
    )
    if password_hash is not None:  # a confirmed sign-up: validated and hashed when it was asked for
        account.password = password_hash
    else:
        try:
            validate_password(password, account)
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages)) from exc
        account.set_password(password)
    account.save()
    person = Person.objects.create(account=account, username=username, domain="", display_name=display_name)
    # The graph (above people) makes the default aspects, in this transaction.
    events.emit_on_commit(events.LocalAccountCreated(person.id, default_aspects, language))
    if getattr(settings, "KITH_PREGENERATE_KEYS", True):

        enqueue_on_commit(generate_key_job, person.id)
    if is_admin:
        _audit("account.create_admin", target=account)
    return account


SIGNUP_VALID_FOR = timedelta(days=1)


def request_signup(username: str, email: str, password: str, *, language: str | None = None) -> None:
    """Sign-up that needs its e-mail address confirmed, answering the same whether or not the
    address has an account already (a taken username may be said: handles are public).

    A free address is sent a confirmation link (`confirm_signup` makes the account); the owner
    of a taken one is told that someone tried, with a link to reset their password.  Both paths
    hash the password and queue one e-mail, so neither answers measurably faster."""

    email = _check_new_name_and_address(username, email)
    try:
        validate_password(password, Account(username=username, email=email))
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages)) from exc
    password_hash = make_password(password)
    now = timezone.now()
    PendingSignup.objects.filter(expires_at__lte=now).delete()
    owner = Account.objects.filter(email__iexact=email).first()
    if owner is not None:
        send_templated("signup_taken", owner.email, {"username": owner.username, "reset_url": reset_link(owner)})
        return
    token = secrets.token_urlsafe(32)
    PendingSignup.objects.create(
        token_hash=hashlib.sha256(token.encode()).hexdigest(), username=username, email=email,
        password=password_hash, language=language or "", expires_at=now + SIGNUP_VALID_FOR,
    )
    confirm_url = settings.KITH_URL + reverse("web:signup_confirm", kwargs={"token": token})
    send_templated("signup_confirm", email, {"username": username, "confirm_url": confirm_url})


def pending_signup(token: str) -> PendingSignup | None:
    return PendingSignup.objects.filter(
        token_hash=hashlib.sha256(token.encode()).hexdigest(), expires_at__gt=timezone.now()
    ).first()


@transaction.atomic
def confirm_signup(token: str) -> Account:
    """Make the account a confirmation link stands for (once; the username may have been
    taken meanwhile, since a pending sign-up reserves nothing)."""
    pending = pending_signup(token)
    if pending is None:
        raise NotFound("This link is not valid (any more). Sign up again.")
    pending.delete()
    return create_local_account(
        pending.username, pending.email, "", default_aspects=True, language=pending.language or None,
        password_hash=pending.password,
    )


def change_password(account: Account, old_password: str, new_password: str) -> None:
    if not account.check_password(old_password):
        raise NotAllowed("The current password is not right.")
    try:
        validate_password(new_password, account)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages)) from exc
    account.set_password(new_password)
    account.save(update_fields=["password"])


PROFILE_TEXT_FIELDS = {"display_name": 100, "location": 255, "gender": 255}


@transaction.atomic
def update_profile(
    person: Person,
    *,
    avatar: UploadedFile[bytes] | None = None,
    header: UploadedFile[bytes] | None = None,
    tags: list[str] | None = None,
    **fields: Any,
) -> Person:
    """Change any of: display_name, bio (Markdown), location, birthday, gender, searchable, locked, tags, images."""
    changed: list[str] = []
    before = {name: getattr(person, name) for name in (*PROFILE_TEXT_FIELDS, "bio_source", "bio_html", "birthday", "searchable", "locked")}
    for name, limit in PROFILE_TEXT_FIELDS.items():
        if name in fields:
            value = (fields.pop(name) or "").strip()
            if len(value) > limit:
                raise Invalid(f"{name.replace('_', ' ').capitalize()} is longer than {limit} characters.")
            setattr(person, name, value)
            changed.append(name)
    if "bio" in fields:
        bio = (fields.pop("bio") or "").strip()
        if len(bio) > 5000:
            raise Invalid("The bio is longer than 5000 characters.")
        person.bio_source = bio
        person.bio_html = render_markdown(bio).html if bio else ""
        changed += ["bio_source", "bio_html"]
    if "birthday" in fields:
        birthday = fields.pop("birthday")
        if birthday is not None and not isinstance(birthday, date):
            raise Invalid("The birthday must be a date.")
        person.birthday = birthday
        changed.append("birthday")
    for flag in ("searchable", "locked"):
        if flag in fields:
            setattr(person, flag, bool(fields.pop(flag)))
            changed.append(flag)
    if fields:
        raise Invalid(f"Unknown profile fields: {', '.join(sorted(fields))}")
    if avatar is not None:
        person.avatar.save(f"{person.id}.png", clean_profile_image(avatar, max_side=400), save=False)
        changed.append("avatar")
    if header is not None:
        person.header.save(f"{person.id}.png", clean_profile_image(header, max_side=1500), save=False)
        changed.append("header")
    tags_changed = False
    if tags is not None:
        names: list[str] = []
        for raw in tags:
            name = normalise_tag(raw.strip())
            if name and re.fullmatch(r"\w{1,64}", name) and name not in names:
                names.append(name)
        if len(names) > MAX_PROFILE_TAGS:
            raise Invalid(f"A profile has at most {MAX_PROFILE_TAGS} tags.")
        tags_changed = names != list(person.profile_tags.values_list("name", flat=True))
        if tags_changed:
            ProfileTag.objects.filter(person=person).delete()
            ProfileTag.objects.bulk_create(
                ProfileTag(person=person, name=name, position=index) for index, name in enumerate(names)
            )
    changed = [name for name in changed if name in ("avatar", "header") or getattr(person, name) != before[name]]
    if changed or tags_changed:
        person.save(update_fields=[*changed, "updated_at"])
        # Only a real change travels: other pods are sent an Update for each one.
        events.emit_on_commit(events.ProfileUpdated(person.id))
    return person


# ---- account migration ---------------------------------------------------------------------
# Other pods name people by URI, so aliases are stored as the URIs the protocol adapters
# resolve handles to (kith.social.lookup, answered by the federation adapters); this module
# never fetches anything itself.


@transaction.atomic
def set_aliases(person: Person, actor_uris: Sequence[str]) -> Person:
    """The accounts `person` also is (alsoKnownAs): a new home must list the old one before a move."""
    if not person.is_local:
        raise NotAllowed("Only people of this pod have aliases set here.")
    aliases = list(dict.fromkeys(uri.strip() for uri in actor_uris if uri.strip()))
    if len(aliases) > MAX_ALIASES:
        raise Invalid(f"At most {MAX_ALIASES} aliases.")
    if any(not uri.startswith(("https://", "http://")) for uri in aliases):
        raise Invalid("An alias is the address of an account.")
    if aliases != person.also_known_as:
        person.also_known_as = aliases
        person.save(update_fields=["also_known_as", "updated_at"])
        _audit("account.aliases", actor=person.account, target=person, aliases=aliases)
        events.emit_on_commit(events.ProfileUpdated(person.id))
    return person


@transaction.atomic
def move_account(person: Person, target: Person, *, own_uri: str, target_aliases: Sequence[str]) -> Person:
    """Move `person` to `target`: only if the target names `own_uri` among its aliases.

    `target_aliases` is what the target says now (for a remote target, freshly fetched).
    Local followers follow the target instead; other pods are told by a Move.
    """
    if not person.is_local:
        raise NotAllowed("Only people of this pod can move from here.")
    if target.id == person.id:
        raise Invalid("An account cannot move to itself.")
    if person.moved_to_id is not None:
        raise Conflict("This account has moved already.")
    if not target.is_active or target.moved_to_id is not None:
        raise Invalid("That account cannot be moved to.")
    if own_uri not in target_aliases:
        raise NotAllowed("The new account must first list this one as an alias.")
    person.moved_to = target
    person.save(update_fields=["moved_to", "updated_at"])
    # The graph (above people) moves the local followers along, in this transaction.
    events.emit_on_commit(events.AccountMoved(person.id, target.id))
    _audit("account.move", actor=person.account, target=person, to=target.handle)
    return person


@transaction.atomic
def delete_account(account: Account, *, actor: Account | None = None, reason: str = "") -> None:
    """Remove the person's content and close the account; the handle stays reserved.

    The Person row remains as a tombstone (state DELETED) so the name cannot be
    taken over and other pods can be told the person is gone.
    """
    _purge(account, action="account.delete", actor=actor or account, reason=reason)


@transaction.atomic
def purge_suspended_account(account: Account, *, reason: str, suspended_before: datetime) -> None:
    """The end of a suspension that was not lifted in time (kith.moderation's periodic job):
    its content and account go as by a deletion, the pod (no one person) the actor in the log.
    Refused unless the account is still suspended, since before `suspended_before` (a
    suspension lifted meanwhile, or lifted and imposed again since, is not due)."""
    locked = Account.objects.select_for_update().filter(
        pk=account.pk, state=AccountState.SUSPENDED, person__suspended_at__lte=suspended_before
    ).exists()
    if not locked:
        raise Conflict("Only an account suspended since before then is purged.")
    _purge(account, action="account.purge", actor=None, reason=reason)


def _purge(account: Account, *, action: str, actor: Account | None, reason: str) -> None:
    person: Person = account.person
    # Each package above deletes what it holds of theirs, in this transaction.
    events.emit_on_commit(events.PersonPurged(person.id))
    person.state = AccountState.DELETED
    person.display_name = ""
    person.bio_source = person.bio_html = ""
    person.location = person.gender = ""
    person.birthday = None
    person.avatar.delete(save=False)
    person.header.delete(save=False)
    person.searchable = False
    person.save()
    ProfileTag.objects.filter(person=person).delete()
    account.state = AccountState.DELETED
    account.is_active = False
    account.email = f"deleted-{account.pk}@invalid"
    account.set_unusable_password()
    account.save()
    _audit(action, actor=actor, target=account, reason=reason, username=account.username)
    events.emit_on_commit(events.PersonDeleted(person.id))


@transaction.atomic
def suspend_account(moderator: Account | None, account: Account, reason: str, *, audit: bool = True) -> None:
    """Hide everything of the account and stop it logging in, reversibly: its data is kept
    (30 days for a staff suspension, kith.moderation) and adapters retract what it sent.
    `audit=False` when the caller logs the change itself (a moderation action, whose entry
    carries the action's id): one change, one entry."""
    account.state = AccountState.SUSPENDED
    account.suspended_reason = reason
    account.save(update_fields=["state", "suspended_reason"])
    Person.objects.filter(account=account).update(state=AccountState.SUSPENDED, suspended_at=timezone.now())
    if audit:
        _audit("account.suspend", actor=moderator, target=account, reason=reason)
    events.emit_on_commit(events.AccountSuspended(account.pk))
    events.emit_on_commit(events.PersonSuspended(account.person.pk))


@transaction.atomic
def unsuspend_account(
    moderator: Account | None, account: Account, reason: str = "", *,
    to_state: str = AccountState.ACTIVE, audit: bool = True,
) -> None:
    """Lift a suspension: the account logs in again and adapters deliver its content again.
    Not once it was purged (30 days on, kith.moderation.suspensions): nothing is left to restore.
    `to_state` FROZEN when a freeze is still in force (kith.moderation knows): the person and
    their content come back, the log-in does not."""
    if to_state not in (AccountState.ACTIVE, AccountState.FROZEN):
        raise Invalid("A suspension lifted leaves the account active or frozen.")
    if Account.objects.filter(pk=account.pk, state=AccountState.DELETED).exists():
        raise Conflict("This account was purged after its suspension: there is nothing left to restore.")
    was_suspended = account.state == AccountState.SUSPENDED
    account.state = to_state
    account.suspended_reason = ""
    account.save(update_fields=["state", "suspended_reason"])
    Person.objects.filter(account=account).update(state=AccountState.ACTIVE, suspended_at=None)
    if audit:
        _audit("account.unsuspend", actor=moderator, target=account, reason=reason)
    if was_suspended:
        events.emit_on_commit(events.PersonRestored(account.person.pk))


@transaction.atomic
def set_limited(
    moderator: Account | None, person: Person, limited: bool, reason: str = "", *, audit: bool = True
) -> bool:
    """Limit a person (their posts reach only people who already follow them; kith.visibility
    reads the flag) or lift it.  Staff (kith.moderation) and domain silencing decide when.
    Returns whether the flag changed."""
    changed = Person.objects.filter(id=person.id).exclude(limited=limited).update(
        limited=limited, updated_at=timezone.now()
    ) > 0
    person.limited = limited
    if changed and audit:
        _audit("person.limit" if limited else "person.unlimit", actor=moderator, target=person, reason=reason)
    return changed


@transaction.atomic
def set_force_sensitive(
    moderator: Account | None, person: Person, sensitive: bool, reason: str = "", *, audit: bool = True
) -> bool:
    """Show every photo of the person's behind a click (or stop).  Returns whether it changed."""
    changed = Person.objects.filter(id=person.id).exclude(force_sensitive=sensitive).update(
        force_sensitive=sensitive, updated_at=timezone.now()
    ) > 0
    person.force_sensitive = sensitive
    if changed and audit:
        _audit("person.sensitive" if sensitive else "person.unsensitive", actor=moderator, target=person, reason=reason)
    return changed


@transaction.atomic
def freeze_account(moderator: Account | None, account: Account, reason: str, *, audit: bool = True) -> None:
    """Stop an account logging in or acting (its sessions end at their next request, its API
    tokens are refused); what it wrote stays up and its person stays active."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.state == AccountState.FROZEN:
        return
    if account.state != AccountState.ACTIVE:
        raise Conflict("Only an active account can be frozen.")
    account.state = AccountState.FROZEN
    account.save(update_fields=["state"])
    if audit:
        _audit("account.freeze", actor=moderator, target=account, reason=reason)


@transaction.atomic
def unfreeze_account(moderator: Account | None, account: Account, reason: str = "", *, audit: bool = True) -> None:
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.state != AccountState.FROZEN:
        return
    account.state = AccountState.ACTIVE
    account.save(update_fields=["state"])
    if audit:
        _audit("account.unfreeze", actor=moderator, target=account, reason=reason)


@transaction.atomic
def set_role(actor: Account | None, account: Account, role: str, reason: str = "") -> None:
    """Make `account` an admin, a moderator or a user (Django's is_staff/is_superuser follow).

    `actor` None is the pod's operator at the command line; otherwise it must be an admin,
    and the pod keeps at least one admin."""
    if role not in Role.values:
        raise Invalid(f"Unknown role {role!r}: admin, moderator or user.")
    if actor is not None and not actor.is_admin:  # is_admin: an admin whose account is active
        raise NotAllowed("Only an admin changes roles.")
    # The admins' rows locked: two admins taking each other's role at once must not leave none
    # (PostgreSQL; SQLite's transactions take turns anyway).
    admins = set(
        Account.objects.select_for_update().filter(role=Role.ADMIN, state=AccountState.ACTIVE).values_list("pk", flat=True)
    )
    if account.pk in admins and role != Role.ADMIN and not admins - {account.pk}:
        raise Conflict("The pod keeps at least one admin.")
    before = account.role
    account.role = role
    account.is_staff = role in (Role.ADMIN, Role.MODERATOR)
    account.is_superuser = role == Role.ADMIN
    account.save(update_fields=["role", "is_staff", "is_superuser"])
    _audit("account.role", actor=actor, target=account, reason=reason, before=before, after=role)
