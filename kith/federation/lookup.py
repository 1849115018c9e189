"""Finding people of other pods by handle, whatever protocol they speak (ActivityPub for now)."""

from __future__ import annotations

import logging

from django.db.models import Q

from kith.core.errors import Invalid
from kith.people.models import Person
from kith.people.selectors import known_person, split_handle
from kith.social.models import Post

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


def find_remote_by_url(url: str) -> Person | Post | None:
    """The remote person or public post whose ActivityPub id is `url` (the client API's search
    with `resolve=true`): known ones at once, others fetched once to learn what they are."""
    from kith.federation.activitypub import actors
    from kith.federation.activitypub.models import RemoteActor, RemoteObject
    from kith.federation.activitypub.parse import ACTOR_TYPES

    known_post = RemoteObject.objects.select_related("post").filter(uri=url, post__isnull=False).first()
    if known_post is not None:
        return known_post.post
    known_actor = RemoteActor.objects.select_related("person").filter(Q(uri=url) | Q(profile_url=url)).first()
    if known_actor is not None:
        return known_actor.person
    if actors.local_username_for(url.split("/posts/")[0]) is not None:
        return None  # ours: the caller looks locally
    try:
        kind = actors.fetch_json(url).get("type")
        if kind in ACTOR_TYPES:
            return actors.resolve_actor(url).person
    except actors.ResolveError as exc:
        log.info("could not fetch %s: %s", url, exc)
        return None
    return find_remote_post(url)
