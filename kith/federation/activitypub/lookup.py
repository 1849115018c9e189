"""The ActivityPub answer to the lookup port (kith/social/lookup.py): people by handle
(WebFinger) and people or public posts by address, fetched from their servers when new or
stale.  Registered as the remote directory at app ready (apps.py)."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q

from kith.federation import lookup
from kith.federation.activitypub import actors, inbound, render
from kith.federation.activitypub.models import RemoteActor, RemoteObject
from kith.federation.activitypub.parse import (
    ACTOR_TYPES,
    NOTE_TYPES,
    ParseError,
    classify_addressing,
    parse_actor,
    parse_note,
    same_origin,
)
from kith.people.models import Person
from kith.social.lookup import Lookup, Missing, RemoteDirectory
from kith.social.models import Post

log = logging.getLogger(__name__)

# A profile's address on servers whose WebFinger answers only for acct: (`/@name`, `/users/name`,
# `/u/name`; Mastodon also shows a remote account at `/@name@server`).
_PROFILE_PATH_RE = re.compile(r"^/(?:@|users/|u/)([\w.~-]{1,255})(?:@([A-Za-z0-9.:-]{1,260}))?/?$")


def look_up_handle(handle: str) -> Lookup:
    """The person called name@server, fetched from their server when new or stale, or why not.

    A handle of this pod finds nobody here: the caller looks locally."""
    username, _, domain = handle.strip().removeprefix("@").partition("@")
    domain = domain.lower()
    if not lookup.USERNAME_RE.match(username) or not lookup.valid_host(domain):
        return Lookup(missing=Missing.MALFORMED, host=domain)
    if domain == settings.KITH_DOMAIN.lower():
        return Lookup(missing=Missing.UNKNOWN_ACCOUNT, host=domain)
    try:
        return Lookup(found=actors.resolve_handle(f"{username}@{domain}"), host=domain)
    except actors.ResolveError as exc:
        return lookup.nobody(exc, domain)


def find_remote_post(url: str) -> Post | None:
    """The public post at `url` on another server, fetched and stored on first sight; None otherwise.

    Only public and unlisted posts are taken this way: the pod fetches as itself,
    and a limited post must come to its audience by delivery, never by lookup.
    """

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
    return render.actor_uri(person)


def current_aliases(person: Person) -> list[str]:
    """What `person` says it also is, now: a remote actor is fetched again (alsoKnownAs)."""
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
    try:
        parts = urlsplit(url.strip())  # raises for `https://[::1` and the like
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        return Lookup(missing=Missing.MALFORMED)
    host = parts.netloc.lower()
    if parts.scheme not in ("http", "https") or parts.username or parts.password or not lookup.valid_host(host):
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
                return lookup.nobody(again, host)
        failure: actors.ResolveError = exc
    except actors.ResolveError as exc:
        if (missing := lookup.unreached(exc)) is not None:
            return Lookup(missing=missing, host=host)
        failure = exc
    resources = [url]
    if match := _PROFILE_PATH_RE.match(parts.path):
        resources.append(f"acct:{match.group(1)}@{(match.group(2) or host).lower()}")
    for resource in resources:
        try:
            return Lookup(found=actors.resolve_actor(actors.webfinger_actor_uri(host, resource)).person, host=host)
        except actors.ResolveError as exc:
            if (missing := lookup.unreached(exc)) is not None:
                return Lookup(missing=missing, host=host)
            failure = exc
    return lookup.nobody(failure, host)


def _what_is_at(url: str, document: dict, host: str) -> Lookup:
    """A fetched document that is its own address: an actor or a note, or nothing to show."""
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
            return lookup.nobody(exc, host)
    if kind in NOTE_TYPES:
        post = find_remote_post(url)
        if post is not None:
            return Lookup(found=post, host=host)
    return Lookup(missing=Missing.NOTHING_TO_SHOW, host=host)


DIRECTORY = RemoteDirectory(
    look_up_handle=look_up_handle, look_up_url=look_up_url, actor_uri=actor_uri, current_aliases=current_aliases
)
