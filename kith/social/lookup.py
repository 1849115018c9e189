"""Finding a person or a post by handle or address, this pod's own or another server's: the one
lookup the web pages and the client API share, and why nothing was found.

This module knows no protocol.  A federation adapter registers a `RemoteDirectory` at app
ready (kith/federation/activitypub/apps.py) that finds and fetches what this pod does not know
yet; with none registered, only this pod's own people and posts are found.  Only logged-in
people make the pod fetch from elsewhere, so anonymous visitors cannot use it as a proxy;
whatever is found is checked with kith.visibility."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings

from kith.core.errors import Invalid, NotFound
from kith.people.models import Person
from kith.people.selectors import known_person, person_by_handle, split_handle
from kith.social import selectors as social
from kith.social.models import Post
from kith.visibility import Viewer, can_see_person

# This pod's own addresses of people, posts and comments (web pages and ActivityPub ids).
LOCAL_POST_PATH = re.compile(r"^/(?:posts|users/[\w.-]+/posts)/(\d+)/?$")
LOCAL_COMMENT_PATH = re.compile(r"^/users/[\w.-]+/comments/(\d+)/?$")
LOCAL_PERSON_PATH = re.compile(r"^/(?:@|users/)([\w.-]+(?:@[\w.:-]+)?)/?$")

# What a search box gets when someone pastes where a person lives rather than a name: an
# address (http(s)://...) or a handle with a server part (name@server, @name@server).
ADDRESS_RE = re.compile(r"^https?://", re.IGNORECASE)
HANDLE_LIKE_RE = re.compile(r"^@?[^\s@]+@[^\s@]*$")


class Missing(StrEnum):
    """Why a lookup found nothing (the web search says it; the client API answers empty results)."""

    MALFORMED = "malformed"  # not a handle or an address anyone could look up
    UNKNOWN_ACCOUNT = "unknown-account"  # a fediverse server, with nobody by that name
    NOT_FEDIVERSE = "not-fediverse"  # the server answered, but speaks neither WebFinger nor ActivityPub
    UNREACHABLE = "unreachable"  # no connection (refused, no such host)
    TIMED_OUT = "timed-out"  # connected, no answer in time
    PRIVATE_ADDRESS = "private-address"  # refused by safe_http: a private or reserved address
    NOTHING_TO_SHOW = "nothing-to-show"  # an address of something else (a limited post, a collection)


@dataclass(frozen=True)
class Lookup:
    found: Person | Post | None = None
    missing: Missing | None = None  # set when nothing was found and the reason is known
    host: str = ""  # the server that was asked


@dataclass(frozen=True)
class LocalAddress:
    kind: Literal["person", "post", "comment"]
    key: str  # a handle (name, or name@server for a remote person's page here), or an id


@dataclass(frozen=True)
class RemoteDirectory:
    """What a federation adapter answers for this lookup; registered at its app's ready().

    `look_up_handle(name@server)` and `look_up_url(address)` find (fetching when new or stale)
    another server's person, or public post for an address, or say why not; this pod's own
    handles and addresses find nothing there (the callers here look locally first).
    `actor_uri(person)` is the URI other servers know a person by, and `current_aliases(person)`
    what a person says it also is now (a remote one fetched again), for account moves."""

    look_up_handle: Callable[[str], Lookup]
    look_up_url: Callable[[str], Lookup]
    actor_uri: Callable[[Person], str]
    current_aliases: Callable[[Person], list[str]]


_directory: RemoteDirectory | None = None


def register_remote_directory(directory: RemoteDirectory) -> None:
    """Let the lookup find other servers' people and posts through `directory` (one protocol
    for now: a second adapter makes this a list asked in turn)."""
    global _directory
    _directory = directory


def local_address(url: str) -> LocalAddress | None:
    """What one of this pod's own addresses names (None for other servers' and unknown paths)."""
    if not url.startswith(settings.KITH_URL + "/"):
        return None
    path = urlsplit(url).path
    if match := LOCAL_POST_PATH.match(path):
        return LocalAddress("post", match.group(1))
    if match := LOCAL_COMMENT_PATH.match(path):
        return LocalAddress("comment", match.group(1))
    if match := LOCAL_PERSON_PATH.match(path):
        return LocalAddress("person", match.group(1))
    return None


def look_up_handle(handle: str) -> Lookup:
    """The person called name@server on another server, fetched when new or stale, or why not.

    A handle of this pod finds nobody here: the caller looks locally."""
    return _directory.look_up_handle(handle) if _directory is not None else Lookup()


def look_up_url(url: str) -> Lookup:
    """The remote person or public post an address names, or why nothing was found.  This pod's
    own addresses find nothing here: the caller looks locally (`local_address`)."""
    return _directory.look_up_url(url) if _directory is not None else Lookup()


def find_remote_person(handle: str) -> Person | None:
    """The person with this name@domain, fetched from their pod when new or stale; None if not found."""
    username, domain = split_handle(handle)
    if not username or not domain:
        return None
    found = look_up_handle(f"{username}@{domain}").found
    return found if isinstance(found, Person) else None


def find_person(handle: str, viewer: Viewer) -> Person | None:
    """A person by handle, known here or (for logged-in people only) fetched from their pod."""
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


def actor_uri(person: Person) -> str:
    """The URI other servers know `person` by ("" when no federation adapter is installed)."""
    return _directory.actor_uri(person) if _directory is not None else ""


def resolve_aliases(owner: Person, handles: list[str]) -> list[str]:
    """The actor URIs of the accounts named by `handles` (name@domain), for set_aliases."""
    uris: list[str] = []
    for raw in handles:
        username, domain = split_handle(raw)
        if not username:
            continue
        person = known_person(username, "") if not domain else find_remote_person(f"{username}@{domain}")
        if person is None:
            raise Invalid(f"No account {username}@{domain or 'this pod'} was found.")
        if person.id == owner.id:
            raise Invalid("An account is not its own alias.")
        uris.append(actor_uri(person))
    return uris


def current_aliases(person: Person) -> list[str]:
    """What `person` says it also is, now: a remote actor is fetched again (alsoKnownAs)."""
    if person.is_local:
        return list(person.also_known_as)
    return _directory.current_aliases(person) if _directory is not None else []
