"""Finding a person by handle for the pages: known here, or fetched from their pod on demand."""

from __future__ import annotations

import re

from kith.core.errors import NotFound
from kith.federation.lookup import (
    LocalAddress,
    Lookup,
    Missing,
    find_remote_person,
    local_address,
    look_up_handle,
    look_up_url,
)
from kith.people.models import Person
from kith.people.selectors import person_by_handle, split_handle
from kith.social import selectors as social
from kith.social.models import Post
from kith.visibility import Viewer, can_see_person

# What a search box gets when someone pastes where a person lives rather than a name: an
# address (http(s)://...) or a handle with a server part (name@server, @name@server).
ADDRESS_RE = re.compile(r"^https?://", re.IGNORECASE)
HANDLE_LIKE_RE = re.compile(r"^@?[^\s@]+@[^\s@]*$")


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


def is_address(query: str) -> bool:
    """Whether a search is for one person or post by where they live, not for words."""
    query = query.strip()
    return bool(ADDRESS_RE.match(query) or HANDLE_LIKE_RE.match(query))


def look_up_address(query: str, viewer: Viewer) -> Lookup:
    """The person (or post) a handle or an address names: this pod's own at once; another
    server's only for logged-in people (who make the pod fetch), with the reason when there
    is nobody.  What is found is checked with kith.visibility."""
    query = query.strip()
    if ADDRESS_RE.match(query):
        here = local_address(query)
        if here is not None:
            return Lookup(found=_local(here, viewer))
        if viewer is None:
            return Lookup()
        result = look_up_url(query)
    else:
        local = person_by_handle(query, viewer)
        if local is not None:
            return Lookup(found=local)
        if viewer is None:
            return Lookup()
        result = look_up_handle(query)  # this pod's domain: nobody by that name (found above otherwise)
    found = result.found
    if isinstance(found, Person) and not can_see_person(viewer, found):
        return Lookup(missing=Missing.UNKNOWN_ACCOUNT, host=result.host)
    return result


def _local(address: LocalAddress, viewer: Viewer) -> Person | Post | None:
    if address.kind == "person":
        return person_by_handle(address.key, viewer)
    try:
        if address.kind == "post":
            return social.post_for(viewer, int(address.key))
        return social.comment_for(viewer, int(address.key)).post
    except (NotFound, ValueError):
        return None
