"""Write path for persons of other pods, as adapters discover them."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from kith.core import events
from kith.core.errors import Conflict, Invalid, NotAllowed
from kith.core.text import normalise_tag, sanitise_html
from kith.people import hooks
from kith.people.models import Account, AccountState, Person, ProfileTag
from kith.people.services import MAX_PROFILE_TAGS, USERNAME_RE, _audit

PROFILE_IMAGE_FIELDS = ("avatar", "header")


@transaction.atomic
def upsert_remote_person(username: str, domain: str, *, display_name: str = "") -> Person:
    """The Person for name@domain on another pod, created on first sight.

    Remote usernames follow their own server's rules; we accept the common
    alphabet (letters, digits, _ . -) and nothing that could break a handle.
    """
    domain = domain.strip().lower()
    if not domain or "/" in domain or "@" in domain:
        raise Invalid("A remote person needs a domain.")
    if not (USERNAME_RE.match(username) or all(c.isalnum() or c in "_.-" for c in username)) or len(username) > 64:
        raise Invalid("That is not a username Kith can show.")
    person = _locked_person(username, domain)
    if person is None:
        try:
            with transaction.atomic():  # a savepoint: the insert may lose a race, the caller goes on
                person = Person.objects.create(
                    username=username, domain=domain, display_name=display_name[:100],
                    limited=hooks.starts_limited(domain),  # first seen on a silenced domain (kith.moderation)
                )
        except IntegrityError:
            # Another request or job met them at the same moment and stored them first (PostgreSQL
            # runs those side by side: an inbox applying their Follow while someone here follows
            # them): theirs is the row.
            person = _locked_person(username, domain)
            if person is None:
                raise
    elif person.state == AccountState.DELETED:
        # The remote account was deleted and the name is in use again over there.
        person.state = AccountState.ACTIVE
        person.save(update_fields=["state"])
    return person


def _locked_person(username: str, domain: str) -> Person | None:
    return Person.objects.select_for_update().filter(username__iexact=username, domain=domain).first()


# As kith.social.remote.MAX_REMOTE_HTML: what is kept of a remote person's bio before cleaning.
MAX_REMOTE_BIO_HTML = 100_000


@transaction.atomic
def update_remote_profile(
    person: Person, *, display_name: str, bio_html: str, locked: bool, searchable: bool
) -> Person:
    """Mirror a remote person's public profile (their private fields never travel)."""
    if person.is_local:
        raise NotAllowed("Local profiles change through people.services.update_profile.")
    person.display_name = display_name.strip()[:100]
    person.bio_html = sanitise_html(bio_html[:MAX_REMOTE_BIO_HTML])
    person.locked, person.searchable = locked, searchable
    person.save(update_fields=["display_name", "bio_html", "locked", "searchable", "updated_at"])
    events.emit_on_commit(events.ProfileUpdated(person.id))
    return person


@transaction.atomic
def remove_remote_person(person: Person) -> None:
    """Their server says they are gone: remove what they wrote here and keep a tombstone."""
    if person.is_local:
        raise Invalid("Local accounts are deleted through people.services.delete_account.")
    # Each package above deletes what it holds of theirs, in this transaction.
    events.emit_on_commit(events.PersonPurged(person.id))
    person.state = AccountState.DELETED
    person.display_name = ""
    person.bio_html = ""
    person.save(update_fields=["state", "display_name", "bio_html", "updated_at"])
    for field in PROFILE_IMAGE_FIELDS:
        set_remote_profile_image(person, field, None)
    set_remote_profile_tags(person, ())


@transaction.atomic
def suspend_remote_person(person: Person, *, actor: Account | None, reason: str, audit: bool = True) -> None:
    """This pod's staff suspend a person of another pod: what they wrote here is purged (as for
    remove_remote_person) and the row stays SUSPENDED, so nothing new from them is taken in
    and upsert_remote_person does not bring them back; unsuspend_remote_person does."""
    if person.is_local:
        raise Invalid("Local accounts are suspended through people.services.suspend_account.")
    person = Person.objects.select_for_update().get(id=person.id)
    if person.state == AccountState.SUSPENDED:
        return
    if person.state != AccountState.ACTIVE:
        raise Conflict("That account is gone already.")
    purge_and_suspend(person)
    if audit:  # False: the caller (a moderation action) logs it with the action's id
        _audit("person.suspend", actor=actor, target=person, reason=reason)


def purge_and_suspend(person: Person) -> None:
    """What they wrote here goes (events.PersonPurged: each package above deletes what it holds
    of theirs, in this transaction) with their pictures and profile tags; the row stays
    SUSPENDED with its name, for staff to recognise and so nothing new from them is taken.
    The caller holds the row locked and checked it is an active remote person."""
    events.emit_on_commit(events.PersonPurged(person.id))
    person.state = AccountState.SUSPENDED
    person.suspended_at = timezone.now()
    person.save(update_fields=["state", "suspended_at", "updated_at"])
    for field in PROFILE_IMAGE_FIELDS:
        set_remote_profile_image(person, field, None)
    set_remote_profile_tags(person, ())


@transaction.atomic
def unsuspend_remote_person(person: Person, *, actor: Account | None, reason: str = "", audit: bool = True) -> None:
    """Take a remote person back in: new posts and follows are accepted again (what was purged
    stays gone; their server may send it again)."""
    if person.is_local:
        raise Invalid("Local accounts are unsuspended through people.services.unsuspend_account.")
    person = Person.objects.select_for_update().get(id=person.id)
    if person.state != AccountState.SUSPENDED:
        return
    person.state = AccountState.ACTIVE
    person.suspended_at = None
    person.save(update_fields=["state", "suspended_at", "updated_at"])
    if audit:
        _audit("person.unsuspend", actor=actor, target=person, reason=reason)


@transaction.atomic
def record_remote_move(person: Person, target: Person) -> Person:
    """A remote person moved to `target` (their server sent a Move the adapter checked): their
    profile here says where they went.  Following them along is the graph's business."""
    if person.is_local:
        raise Invalid("Local accounts move through people.services.move_account.")
    if target.id == person.id:
        raise Invalid("An account cannot move to itself.")
    if person.moved_to_id != target.id:
        person.moved_to = target
        person.save(update_fields=["moved_to", "updated_at"])
    return person


@transaction.atomic
def set_remote_profile_image(person: Person, field: str, image: ContentFile[bytes] | None) -> bool:
    """Put a remote person's avatar or header in place (`image` already cleaned by
    kith.people.images), or take it away (None).  Returns whether anything changed.

    Each copy gets a name of its own, so the served URL's version changes with the picture;
    the file it replaces is deleted once the change is committed."""
    if person.is_local:
        raise Invalid("Local profiles change through people.services.update_profile.")
    if field not in PROFILE_IMAGE_FIELDS:
        raise Invalid("A profile image is an avatar or a header.")
    stored = getattr(person, field)
    # The row's name, not this object's: the copy may have been made through another one.
    old_name = Person.objects.select_for_update().filter(id=person.id).values_list(field, flat=True).first() or ""
    if image is None and not old_name:
        stored.name = None
        return False
    if image is None:
        stored.name = None
    else:
        stored.save(f"{person.id}-{secrets.token_hex(4)}.png", image, save=False)
    Person.objects.filter(id=person.id).update(**{field: stored.name or ""})
    if old_name:
        storage = stored.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return True


def normalise_profile_tags(names: Sequence[str]) -> list[str]:
    """Profile tags as a local person's are kept: case-folded, `#` dropped, word characters
    only, at most 64 each, no repeats, the first MAX_PROFILE_TAGS (others are ignored)."""
    found: list[str] = []
    for raw in names:
        name = normalise_tag(str(raw).strip())
        if name and re.fullmatch(r"\w{1,64}", name) and name not in found:
            found.append(name)
        if len(found) == MAX_PROFILE_TAGS:
            break
    return found


@transaction.atomic
def set_remote_profile_tags(person: Person, names: Sequence[str]) -> bool:
    """A remote person's profile tags as their server lists them now.  Returns whether they changed."""
    if person.is_local:
        raise Invalid("Local profiles change through people.services.update_profile.")
    wanted = normalise_profile_tags(names)
    if wanted == list(ProfileTag.objects.filter(person=person).values_list("name", flat=True)):
        return False
    ProfileTag.objects.filter(person=person).delete()
    ProfileTag.objects.bulk_create(ProfileTag(person=person, name=name, position=index) for index, name in enumerate(wanted))
    return True
