"""Finding people of other pods by handle, whatever protocol they speak (ActivityPub for now)."""

from __future__ import annotations

import logging

from kith.people.models import Person
from kith.people.selectors import split_handle

log = logging.getLogger(__name__)


def find_remote_person(handle: str) -> Person | None:
    """The person with this name@domain, fetched from their pod when new or stale; None if not found."""
    from kith.federation.activitypub.actors import ResolveError, resolve_handle

    username, domain = split_handle(handle)
    if not username or not domain:
        return None
    try:
        return resolve_handle(f"{username}@{domain}")
    except ResolveError as exc:
        log.info("could not find %s: %s", handle, exc)
        return None
