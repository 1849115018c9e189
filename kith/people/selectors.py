"""Reads about persons."""

from __future__ import annotations

from django.conf import settings

from kith.people.models import AccountState, Person
from kith.visibility import Viewer, can_see_person


def profile_url(person: Person) -> str:
    """The person's page on this pod (remote persons get a local view of their profile)."""
    suffix = person.username if person.is_local else f"{person.username}@{person.domain}"
    return f"{settings.KITH_URL}/@{suffix}"


# Longer than any name@domain (names up to 255 characters, hosts 253 and a port): no handle.
MAX_HANDLE_CHARS = 520


def split_handle(handle: str) -> tuple[str, str]:
    """'name', '@name', 'name@domain' or '@name@domain' -> (name, domain or '' for this pod);
    ('', '') for text too long to be a handle (SQLite refuses LIKE patterns over 50 kB, which
    the case-insensitive lookups by name are) or holding NUL (PostgreSQL refuses it in a query)."""
    if len(handle) > MAX_HANDLE_CHARS or "\x00" in handle:
        return "", ""
    handle = handle.strip().lstrip("@")
    username, _, domain = handle.partition("@")
    domain = domain.lower()
    if domain == settings.KITH_DOMAIN.lower():
        domain = ""
    return username, domain


def person_by_handle(handle: str, viewer: Viewer = None) -> Person | None:
    username, domain = split_handle(handle)
    if not username:
        return None
    person = Person.objects.filter(username__iexact=username, domain=domain).first()
    if person is None or not can_see_person(viewer, person):
        return None
    return person


def known_person(username: str, domain: str) -> Person | None:
    """A person this pod knows by name, for linking mentions (no visibility: mentions are public names)."""
    if domain.lower() == settings.KITH_DOMAIN.lower():
        domain = ""
    return Person.objects.filter(username__iexact=username, domain=domain, state=AccountState.ACTIVE).first()
