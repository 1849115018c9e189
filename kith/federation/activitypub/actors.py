"""Finding remote actors: fetch, verify the document's origin, store as Person + RemoteActor."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from kith.core import hosts, jsonbody
from kith.federation import httpsig, media_cache, safe_http
from kith.federation.activitypub import uris
from kith.federation.activitypub.context import ACTIVITY_CONTENT_TYPES
from kith.federation.activitypub.models import RemoteActor, RemoteKey
from kith.federation.activitypub.parse import ActorData, ParseError, parse_actor, same_origin, valid_url
from kith.federation.keys import instance_key
from kith.moderation import domains as domain_policies
from kith.people.models import Person
from kith.people.remote import set_remote_profile_tags, update_remote_profile, upsert_remote_person

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=1)
ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
JSON_TYPES = (*ACTIVITY_CONTENT_TYPES, "application/json")


class ResolveError(Exception):
    """A remote actor or object could not be had (unreachable, invalid, or lying about its id)."""


class NamesAnotherId(ResolveError):
    """The document fetched from one address says it is another (a profile page answering with
    its actor, a status page with its note): only that other address may be believed."""

    def __init__(self, url: str, claimed: object) -> None:
        super().__init__(f"the document at {url} claims to be {claimed!r}")
        self.claimed = claimed if isinstance(claimed, str) else None


def _sign_as_instance(request) -> None:
    # Servers in authorized-fetch mode answer only signed GETs; the pod signs as itself.
    key = instance_key()
    headers = httpsig.sign(
        "GET", str(request.url), dict(request.headers), None,
        key_id=uris.instance_key_id(), private_key_pem=key.private_key_pem,
    )
    request.headers.update(headers)


def fetch_json(url: str) -> dict:
    """GET an ActivityPub document, signed, bounded, and insist it is what it claims to be.

    The document's `id` must be the URL it was fetched from (after redirects on the
    same origin): a server may only speak for its own objects.  Nothing is fetched from a
    server this pod does not federate with (a suspended domain, or allow-list mode).
    """
    host = hosts.host_key(url)
    if host is not None and not domain_policies.federates_with(host):
        raise ResolveError(f"this pod does not federate with {host}")
    try:
        response = safe_http.request(
            "GET", url, headers={"Accept": ACCEPT}, accept_types=JSON_TYPES, sign=_sign_as_instance
        )
    except safe_http.FetchError as exc:
        raise ResolveError(str(exc)) from exc
    if response.status == 410:
        raise ResolveError(f"{url} is gone")
    if response.status != 200:
        raise ResolveError(f"{url} answered {response.status}")
    try:
        document = jsonbody.loads(response.body)
    except ValueError as exc:  # not JSON, or nested too deeply
        raise ResolveError(f"{url} did not answer with JSON") from exc
    if not isinstance(document, dict):
        raise ResolveError(f"{url} did not answer with a JSON object")
    document_id = document.get("id")
    if document_id != url and not (isinstance(document_id, str) and document_id == response.url and same_origin(url, response.url)):
        raise NamesAnotherId(url, document_id)
    return document


def _is_fresh(actor: RemoteActor) -> bool:
    return timezone.now() - actor.fetched_at < STALE_AFTER


def domain_of(actor_id: str) -> str:
    """Person.domain for an actor id: host[:port] through the one host normaliser (kith/core/hosts.py)."""
    return hosts.host_key(actor_id) or urlsplit(actor_id).netloc.lower()


def local_username_for(uri: str) -> str | None:
    prefix = uris.actor("")
    if uri.startswith(prefix) and "/" not in uri[len(prefix):] and uri[len(prefix):]:
        return uri[len(prefix):]
    return None


def store_actor(data: ActorData) -> RemoteActor:
    """Create or refresh the Person and RemoteActor for a parsed actor document: the profile
    (name, bio, profile tags) at once, the avatar and header copied by the worker when new."""
    try:
        return _store_actor(data)
    except IntegrityError:
        # The same actor stored at this moment by another request or job (an inbox verifying
        # their signature while someone here looks them up; PostgreSQL runs both side by side):
        # their rows are there now, and this refreshes them.
        return _store_actor(data)


@transaction.atomic
def _store_actor(data: ActorData) -> RemoteActor:
    existing = RemoteActor.objects.select_related("person").filter(uri=data.id).first()
    if existing is None:
        person = upsert_remote_person(data.preferred_username, domain_of(data.id), display_name=data.name or "")
        if RemoteActor.objects.filter(person=person).exists():
            # Same name@domain, new actor id: the old account was replaced over there.
            RemoteActor.objects.filter(person=person).delete()
        existing = RemoteActor(person=person, uri=data.id)
    existing.inbox = data.inbox
    existing.shared_inbox = data.shared_inbox or ""
    existing.outbox = data.outbox or ""
    existing.followers_url = data.followers or ""
    existing.following_url = data.following or ""
    existing.profile_url = data.url or ""
    existing.key_id = data.key_id or ""  # empty for an actor that publishes only Multikeys
    existing.public_key_pem = data.public_key_pem or ""
    existing.actor_type = data.type
    existing.fetched_at = timezone.now()
    existing.save()
    _store_multikeys(existing, data.multikeys)
    update_remote_profile(
        existing.person,
        display_name=data.name or "",
        bio_html=data.summary_html or "",
        locked=bool(data.manually_approves_followers),
        searchable=bool(data.discoverable),
    )
    set_remote_profile_tags(existing.person, data.hashtags)
    # Copied in the worker once this commits (this may run inside an inbox request).
    media_cache.record_profile_images(existing.person, avatar_url=data.icon_url, header_url=data.image_url)
    return existing


def _store_multikeys(actor: RemoteActor, multikeys: tuple[tuple[str, str], ...]) -> None:
    """Keep exactly the Multikeys the document lists now (a dropped key stops verifying)."""
    published = dict(multikeys)
    stored = {key.key_id: key for key in RemoteKey.objects.filter(actor=actor)}
    gone = [key.id for key_id, key in stored.items() if key_id not in published]
    if gone:
        RemoteKey.objects.filter(id__in=gone).delete()
    for key_id, pem in published.items():
        known = stored.get(key_id)
        if known is None:
            RemoteKey.objects.create(actor=actor, key_id=key_id, public_key_pem=pem)
        elif known.public_key_pem != pem:
            RemoteKey.objects.filter(id=known.id).update(public_key_pem=pem)


def public_key_pem(actor: RemoteActor, key_id: str) -> str:
    """The PEM of the actor's key named `key_id`: its `publicKey`, or one of its Multikeys."""
    if key_id and key_id == actor.key_id:
        return actor.public_key_pem
    pem = RemoteKey.objects.filter(actor=actor, key_id=key_id).values_list("public_key_pem", flat=True).first()
    if pem is None:
        raise ResolveError("that key does not belong to the actor it names")
    return pem


def _owns_key(actor: RemoteActor, key_id: str) -> bool:
    return (bool(key_id) and actor.key_id == key_id) or RemoteKey.objects.filter(actor=actor, key_id=key_id).exists()


REFETCH_ACTOR_INTERVAL = 60  # seconds


def _may_refetch_actor(actor_uri: str) -> bool:
    """Signatures naming keys an actor does not have (random fragments) must not each cost a
    fetch from its server."""
    marker = "kith:ap:actor-refetch:" + hashlib.sha256(actor_uri.encode()).hexdigest()
    return cache.add(marker, 1, REFETCH_ACTOR_INTERVAL)


def _actor_from(uri: str, document: dict) -> RemoteActor:
    """Parse, check and store an actor document fetched from `uri`."""
    try:
        data = parse_actor(document)
    except ParseError as exc:
        raise ResolveError(f"invalid actor at {uri}: {exc}") from exc
    if data.id != uri:
        raise ResolveError(f"the actor at {uri} claims to be {data.id}")
    if not (data.key_id and data.public_key_pem) and not data.multikeys:
        raise ResolveError(f"the actor at {uri} has no public key, so nothing it sends can be verified")
    return store_actor(data)


def resolve_actor(uri: str, *, refresh: bool = False) -> RemoteActor:
    if not valid_url(uri):  # from another server's document (a WebFinger link): NUL, "\ud800", "javascript:"...
        raise ResolveError(f"{uri[:200]!r} is not an actor's address")
    if local_username_for(uri) is not None:
        raise ResolveError("that actor lives on this pod")
    known = RemoteActor.objects.select_related("person").filter(uri=uri).first()
    if known is not None and not refresh and _is_fresh(known):
        return known
    try:
        document = fetch_json(uri)
        if known is not None:
            parse_actor(document)  # a bad refresh keeps what we had rather than lose the person
    except (ParseError, ResolveError):
        if known is not None:
            return known
        raise
    return _actor_from(uri, document)


def actor_for_key(key_id: str, *, refresh: bool = False) -> RemoteActor:
    """The actor owning a signature's keyId (the key document may be the actor itself)."""
    if not key_id:
        raise ResolveError("the signature names no key")
    if not refresh:
        known = RemoteActor.objects.select_related("person").filter(key_id=key_id).first()
        if known is None:
            # An FEP-521a Multikey: its id is a fragment of its actor's id, so this is one actor.
            known = RemoteActor.objects.select_related("person").filter(
                uri=key_id.split("#", 1)[0], multikeys__key_id=key_id
            ).first()
        if known is not None:
            return known
    actor_uri = key_id.split("#", 1)[0]
    if local_username_for(actor_uri) is not None:
        raise ResolveError("that key belongs to an actor of this pod")
    known = RemoteActor.objects.filter(uri=actor_uri).first()
    if known is None:
        # Some servers use a separate key document: fetch it to learn its owner.
        document = fetch_json(actor_uri)
        if document.get("type") in ("Key", "CryptographicKey") or "owner" in document:
            owner = document.get("owner")
            if not isinstance(owner, str) or not same_origin(owner, key_id):
                raise ResolveError("the key's owner is not on the key's server")
            actor = resolve_actor(owner, refresh=refresh)
        else:
            actor = _actor_from(actor_uri, document)  # the actor itself: no second fetch
    else:
        actor = resolve_actor(actor_uri, refresh=refresh)
        if not refresh and not _owns_key(actor, key_id) and _may_refetch_actor(actor_uri):
            # A key id this actor did not list when we last fetched it (a key added since,
            # or a Multikey stored before Kith read them): one fresh look, at most once a minute.
            actor = resolve_actor(actor_uri, refresh=True)
    if not _owns_key(actor, key_id):
        raise ResolveError("that key does not belong to the actor it names")
    return actor


def resolve_handle(handle: str) -> Person:
    """name@domain via WebFinger, then the actor document."""
    username, _, domain = handle.strip().lstrip("@").partition("@")
    if not username or not domain:
        raise ResolveError("a handle looks like name@domain")
    if domain.lower() == settings.KITH_DOMAIN.lower():
        person = Person.objects.filter(username__iexact=username, domain="").first()
        if person is None:
            raise ResolveError("no such person here")
        return person
    known = Person.objects.filter(username__iexact=username, domain=domain.lower()).select_related("ap_actor").first()
    if known is not None and hasattr(known, "ap_actor") and _is_fresh(known.ap_actor):
        return known
    return resolve_actor(webfinger_actor_uri(domain, f"acct:{username}@{domain}")).person


def webfinger_actor_uri(domain: str, resource: str) -> str:
    """The ActivityPub actor that `domain`'s WebFinger names for `resource` (acct:name@domain,
    or an address such as a profile page's, which Mastodon and Kith also answer for)."""
    url = f"{safe_http.base_url(domain)}/.well-known/webfinger?resource={quote(resource)}"
    host = hosts.host_key(url)
    if host is not None and not domain_policies.federates_with(host):
        raise ResolveError(f"this pod does not federate with {host}")
    try:
        response = safe_http.request(
            "GET", url, headers={"Accept": "application/jrd+json, application/json"},
            accept_types=("application/jrd+json", "application/json"),
        )
        document = jsonbody.loads(response.body) if response.status == 200 else {}
    except (safe_http.FetchError, ValueError) as exc:
        raise ResolveError(f"WebFinger failed for {resource}: {exc}") from exc
    links = document.get("links") if isinstance(document, dict) else None
    for link in links if isinstance(links, list) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and link.get("type") in ACTIVITY_CONTENT_TYPES + ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"',)
            and isinstance(link.get("href"), str)
        ):
            return link["href"]
    raise ResolveError(f"{resource} has no ActivityPub actor")
