"""Named builders for test data, all going through the real services."""

from __future__ import annotations

import itertools

from kith.graph import services as graph
from kith.graph.models import Aspect
from kith.people.models import Person
from kith.people.services import create_local_account

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"


def person(username: str | None = None, *, locked: bool = False, display_name: str = "") -> Person:
    username = username or f"user{next(_numbers)}"
    account = create_local_account(username, f"{username}@example.test", PASSWORD, display_name=display_name)
    person = account.person
    if locked:
        person.locked = True
        person.save(update_fields=["locked"])
    return person


def remote_person(username: str, domain: str = "remote.example") -> Person:
    """A person of another pod, as federation will create them."""
    return Person.objects.create(username=username, domain=domain, display_name=username.capitalize())


def aspect(owner: Person, name: str, *members: Person) -> Aspect:
    created = graph.create_aspect(owner, name)
    for member in members:
        graph.add_to_aspect(owner, created, member)
    return created
