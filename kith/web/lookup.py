"""Finding a person by handle for the pages: known here, or fetched from their pod on demand."""

from __future__ import annotations

from kith.federation.lookup import find_remote_person
from kith.people.models import Person
from kith.people.selectors import person_by_handle, split_handle
from kith.visibility import Viewer, can_see_person


def find_person(handle: str, viewer: Viewer) -> Person | None:
    """Only logged-in people make the pod fetch from elsewhere, so anonymous visitors cannot use it as a proxy."""
    person = person_by_handle(handle, viewer)
    if person is not None or viewer is None:
        return person
    username, domain = split_handle(handle)
    if not domain:
        return None
    person = find_remote_person(f"{username}@{domain}")
    return person if person is not None and can_see_person(viewer, person) else None
