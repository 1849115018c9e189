"""Domain -> ActivityStreams JSON.  Pure functions of domain objects; no HTTP here."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from kith.federation.activitypub import uris
from kith.federation.activitypub.context import ACTOR_CONTEXT
from kith.people.keys import key_for
from kith.people.models import Person


def _image(url_path: str, media_type: str = "image/png") -> dict[str, str]:
    return {"type": "Image", "mediaType": media_type, "url": f"{settings.KITH_URL}{url_path}"}


def actor(person: Person) -> dict[str, Any]:
    """The actor document of a local person (public profile only: private fields stay home)."""
    username = person.username
    document: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": uris.actor(username),
        "type": "Person",
        "preferredUsername": username,
        "name": person.display_name or username,
        "summary": person.bio_html,
        "url": uris.profile_page(username),
        "inbox": uris.inbox(username),
        "outbox": uris.outbox(username),
        "followers": uris.followers(username),
        "following": uris.following(username),
        "endpoints": {"sharedInbox": uris.shared_inbox()},
        "manuallyApprovesFollowers": person.locked,
        "discoverable": person.searchable,
        "indexable": person.searchable,
        "published": person.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "publicKey": {
            "id": uris.key_id(username),
            "owner": uris.actor(username),
            "publicKeyPem": key_for(person).public_key_pem,
        },
        "tag": [
            {"type": "Hashtag", "name": f"#{tag.name}", "href": f"{settings.KITH_URL}/tags/{tag.name}"}
            for tag in person.profile_tags.all()
        ],
        "attachment": [],
    }
    if person.avatar:
        document["icon"] = _image(f"/avatars/{person.id}")
    if person.header:
        document["image"] = _image(f"/headers/{person.id}")
    return document


def instance_actor(public_key_pem: str) -> dict[str, Any]:
    """The pod itself, which signs fetches that are nobody's in particular (authorized fetch)."""
    return {
        "@context": ACTOR_CONTEXT,
        "id": uris.instance_actor(),
        "type": "Application",
        "preferredUsername": settings.KITH_DOMAIN,
        "name": settings.KITH_DOMAIN,
        "url": f"{settings.KITH_URL}/about",
        "inbox": uris.shared_inbox(),
        "outbox": f"{uris.instance_actor()}/outbox",
        "endpoints": {"sharedInbox": uris.shared_inbox()},
        "manuallyApprovesFollowers": True,
        "publicKey": {"id": uris.instance_key_id(), "owner": uris.instance_actor(), "publicKeyPem": public_key_pem},
    }


def tombstone(object_id: str, former_type: str = "Person") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": object_id,
        "type": "Tombstone",
        "formerType": former_type,
    }
