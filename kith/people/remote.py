"""Write path for persons of other pods, as adapters discover them."""

from __future__ import annotations

from django.db import transaction

from kith.core.errors import Invalid
from kith.people.models import AccountState, Person
from kith.people.services import USERNAME_RE


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
    person = Person.objects.select_for_update().filter(username__iexact=username, domain=domain).first()
    if person is None:
        person = Person.objects.create(username=username, domain=domain, display_name=display_name[:100])
    elif person.state == AccountState.DELETED:
        # The remote account was deleted and the name is in use again over there.
        person.state = AccountState.ACTIVE
        person.save(update_fields=["state"])
    return person


@transaction.atomic
def remove_remote_person(person: Person) -> None:
    """Their server says they are gone: remove what they wrote here and keep a tombstone."""
    from kith.social.services import purge_person_content

    if person.is_local:
        raise Invalid("Local accounts are deleted through people.services.delete_account.")
    purge_person_content(person)
    person.state = AccountState.DELETED
    person.display_name = ""
    person.bio_html = ""
    person.save(update_fields=["state", "display_name", "bio_html", "updated_at"])


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
