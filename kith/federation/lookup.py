"""Finding people and posts of other pods by handle or address, whatever protocol they speak
(ActivityPub for now), and saying why nothing was found."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db.models import Q

from kith.core import jsonbody
from kith.core.errors import Invalid
from kith.federation import safe_http
from kith.people.models import Person
from kith.people.selectors import known_person, split_handle
from kith.social.models import Post

log = logging.getLogger(__name__)

_USERNAME_RE = re.compile(r"^[\w.~-]{1,255}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::(\d{{1,5}}))?$")
# A profile's address on servers whose WebFinger answers only for acct: (`/@name`, `/users/name`,
# `/u/name`; Mastodon also shows a remote account at `/@name@server`).
_PROFILE_PATH_RE = re.compile(r"^/(?:@|users/|u/)([\w.~-]{1,255})(?:@([A-Za-z0-9.:-]{1,260}))?/?$")

# This pod's own addresses of people, posts and comments (web pages and ActivityPub ids).
LOCAL_POST_PATH = re.compile(r"^/(?:posts|users/[\w.-]+/posts)/(\d+)/?$")
LOCAL_COMMENT_PATH = re.compile(r"^/users/[\w.-]+/comments/(\d+)/?$")
LOCAL_PERSON_PATH = re.compile(r"^/(?:@|users/)([\w.-]+(?:@[\w.:-]+)?)/?$")


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


def _valid_host(host: str) -> bool:
    match = _HOST_RE.match(host)
    return match is not None and (match.group(1) is None or 0 < int(match.group(1)) < 65536)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def _unreached(exc: BaseException) -> Missing | None:
    """The reason when `exc` says the server was never heard from (None: it answered)."""
    causes = list(_causes(exc))
    if any(isinstance(cause, safe_http.BlockedAddress) for cause in causes):
        return Missing.PRIVATE_ADDRESS
    if any(isinstance(cause, httpx.TimeoutException) for cause in causes):
        return Missing.TIMED_OUT
    fetch = next((cause for cause in causes if isinstance(cause, safe_http.FetchError)), None)
    if fetch is not None and not isinstance(fetch, safe_http.Refused):
        return Missing.UNREACHABLE
    return None


def _speaks_fediverse(host: str) -> bool:
    """Whether the server that found nobody is a fediverse server at all: it has NodeInfo, as
    Mastodon, Pleroma, Misskey, GoToSocial, Lemmy, Friendica and Kith do."""
    from kith.federation.activitypub.actors import base_url

    try:
        response = safe_http.request(
            "GET", f"{base_url(host)}/.well-known/nodeinfo", headers={"Accept": "application/json"},
            accept_types=("application/json", "application/jrd+json"),
        )
        document = jsonbody.loads(response.body) if response.status == 200 else None
    except (safe_http.FetchError, ValueError):
        return False
    return isinstance(document, dict) and isinstance(document.get("links"), list) and bool(document["links"])


def _nobody(exc: BaseException, host: str) -> Lookup:
    log.info("found nothing on %s: %s", host, exc)
    missing = _unreached(exc)
    if missing is None:
        missing = Missing.UNKNOWN_ACCOUNT if _speaks_fediverse(host) else Missing.NOT_FEDIVERSE
    return Lookup(missing=missing, host=host)


def look_up_handle(handle: str) -> Lookup:
    """The person called name@server, fetched from their server when new or stale, or why not.

    A handle of this pod finds nobody here: the caller looks locally."""
    from kith.federation.activitypub.actors import ResolveError, resolve_handle

    username, _, domain = handle.strip().removeprefix("@").partition("@")
    domain = domain.lower()
    if not _USERNAME_RE.match(username) or not _valid_host(domain):
        return Lookup(missing=Missing.MALFORMED, host=domain)
    if domain == settings.KITH_DOMAIN.lower():
        return Lookup(missing=Missing.UNKNOWN_ACCOUNT, host=domain)
    try:
        return Lookup(found=resolve_handle(f"{username}@{domain}"), host=domain)
    except ResolveError as exc:
        return _nobody(exc, domain)


def find_remote_person(handle: str) -> Person | None:
    """The person with this name@domain, fetched from their pod when new or stale; None if not found."""
    username, domain = split_handle(handle)
    if not username or not domain:
        return None
    found = look_up_handle(f"{username}@{domain}").found
    return found if isinstance(found, Person) else None


def find_remote_post(url: str):
    """The public post at `url` on another server, fetched and stored on first sight; None otherwise.

    Only public and unlisted posts are taken this way: the pod fetches as itself,
    and a limited post must come to its audience by delivery, never by lookup.
    """
    from kith.federation.activitypub import actors, inbound
    from kith.federation.activitypub.models import RemoteObject
    from kith.federation.activitypub.parse import ParseError, classify_addressing, parse_note

    known = RemoteObject.objects.select_related("post").filter(uri=url, post__isnull=False).first()
    if known is not None:
        return known.post
    if actors.local_username_for(url.split("/posts/")[0]) is not None:
        return None  # ours: local search finds it
    try:
        note = parse_note(actors.fetch_json(url))
        author = actors.resolve_actor(note.attributed_to)
        if classify_addressing(note.to, note.cc, author.followers_url) not in ("public", "unlisted"):
            return None
        inbound.ingest_note(note, author)
    except (actors.ResolveError, ParseError, inbound.Drop) as exc:
        log.info("could not fetch %s: %s", url, exc)
    found = RemoteObject.objects.select_related("post").filter(uri=url, post__isnull=False).first()
    return found.post if found else None


def actor_uri(person: Person) -> str:
    """The URI other servers know `person` by."""
    from kith.federation.activitypub import render

    return render.actor_uri(person)


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
    from kith.federation.activitypub import actors
    from kith.federation.activitypub.parse import ParseError, parse_actor

    try:
        uri = actor_uri(person)
        actors.resolve_actor(uri, refresh=True)
        return list(parse_actor(actors.fetch_json(uri)).also_known_as)
    except (actors.ResolveError, ParseError) as exc:
        log.info("could not fetch the aliases of %s: %s", person.handle, exc)
        return []


def look_up_url(url: str) -> Lookup:
    """The remote person or public post an address names, or why nothing was found.

    Known ones at once.  Otherwise the address is fetched as ActivityPub: an actor or a
    note there (or at the address the document says is its own, on the same server: a
    profile page answering with its actor, a status page with its note).  An address that
    is not an ActivityPub document, such as a Kith profile page (`/@bob`), is asked about
    with WebFinger (Mastodon and Kith answer for their profile addresses), then by the
    handle its path spells (`/@name`, `/users/name`).  This pod's own addresses find
    nothing here: the caller looks locally (`local_address`)."""
    from kith.federation.activitypub import actors
    from kith.federation.activitypub.models import RemoteActor, RemoteObject
    from kith.federation.activitypub.parse import same_origin

    try:
        parts = urlsplit(url.strip())  # raises for `https://[::1` and the like
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        return Lookup(missing=Missing.MALFORMED)
    host = parts.netloc.lower()
    if parts.scheme not in ("http", "https") or parts.username or parts.password or not _valid_host(host):
        return Lookup(missing=Missing.MALFORMED, host=host)
    url = url.strip()
    known_post = RemoteObject.objects.select_related("post").filter(uri=url, post__isnull=False).first()
    if known_post is not None:
        return Lookup(found=known_post.post, host=host)
    # An actor's profile address (`url`) is whatever its own document says: believed only on the
    # actor's own server, else anyone could claim another's profile address and be found by it.
    candidates = RemoteActor.objects.select_related("person").filter(Q(uri=url) | Q(profile_url=url)).order_by("id")
    known_actor = next((actor for actor in candidates[:10] if actor.uri == url or same_origin(actor.uri, url)), None)
    if known_actor is not None:
        return Lookup(found=known_actor.person, host=host)
    if url.startswith(settings.KITH_URL + "/") or actors.local_username_for(url.split("/posts/")[0]) is not None:
        return Lookup(host=host)  # ours: the caller looks locally
    try:
        return _what_is_at(url, actors.fetch_json(url), host)
    except actors.NamesAnotherId as exc:
        claimed = exc.claimed
        if claimed is not None and same_origin(url, claimed):
            try:
                return _what_is_at(claimed, actors.fetch_json(claimed), host)
            except actors.ResolveError as again:
                return _nobody(again, host)
        failure: actors.ResolveError = exc
    except actors.ResolveError as exc:
        if (missing := _unreached(exc)) is not None:
            return Lookup(missing=missing, host=host)
        failure = exc
    resources = [url]
    if match := _PROFILE_PATH_RE.match(parts.path):
        resources.append(f"acct:{match.group(1)}@{(match.group(2) or host).lower()}")
    for resource in resources:
        try:
            return Lookup(found=actors.resolve_actor(actors.webfinger_actor_uri(host, resource)).person, host=host)
        except actors.ResolveError as exc:
            if (missing := _unreached(exc)) is not None:
                return Lookup(missing=missing, host=host)
            failure = exc
    return _nobody(failure, host)


def _what_is_at(url: str, document: dict, host: str) -> Lookup:
    """A fetched document that is its own address: an actor or a note, or nothing to show."""
    from kith.federation.activitypub import actors
    from kith.federation.activitypub.parse import ACTOR_TYPES, NOTE_TYPES

    kind = document.get("type")
    if isinstance(kind, list):  # JSON-LD allows several types: the first one, as the parsers read it
        kind = next((item for item in kind if isinstance(item, str)), None)
    if isinstance(kind, str):
        kind = kind.removeprefix("as:")
    else:
        kind = None  # a list or an object is no type (and no key of a set: that was a TypeError, a 500)
    if kind in ACTOR_TYPES:
        try:
            return Lookup(found=actors.resolve_actor(url).person, host=host)
        except actors.ResolveError as exc:
            return _nobody(exc, host)
    if kind in NOTE_TYPES:
        post = find_remote_post(url)
        if post is not None:
            return Lookup(found=post, host=host)
    return Lookup(missing=Missing.NOTHING_TO_SHOW, host=host)
