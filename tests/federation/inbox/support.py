"""Helpers of the hostile-inbox modules: send signed activities, and check what was refused or stored."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from kith.federation import httpsig
from kith.federation.activitypub import actors, uris
from kith.federation.activitypub.models import (
    InboundActivity,
    InboundState,
    RemoteActor,
    RemoteObject,
)
from kith.graph.models import Block, Follow
from kith.people.models import Person
from kith.social.models import Comment, Like, Media, Post, PostAudience, PostRevision
from kith.timelines.models import Notification, StreamEntry
from tests.federation.peers import post_activity

PEER_ADDRESS, OTHER_ADDRESS = "127.0.0.7", "127.0.0.8"


# ---- helpers -------------------------------------------------------------------------------------------


DOMAIN_MODELS = (Post, Comment, Like, Follow, Block, Notification, PostAudience, StreamEntry, PostRevision, Media)


def domain_state() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in DOMAIN_MODELS}


def refused(response, status: int, reason: str, *, stored: int = 0) -> None:
    """Answered `status` with `reason`, and nothing stored (beyond the `stored` rows from before)."""
    assert response.status_code == status, response.content
    assert reason in response.json()["error"]
    assert InboundActivity.objects.count() == stored


def applied(activity: dict) -> InboundActivity:
    return InboundActivity.objects.get(activity_uri=activity["id"])


def stored_then(activity: dict, state: str, reason: str) -> None:
    row = applied(activity)
    assert row.state == state, (row.state, row.error)
    assert reason in row.error, row.error


def send(client, actor, activity, **kwargs):
    return post_activity(client, actor, activity, **kwargs)


def accept(client, actor, activity, **kwargs) -> InboundActivity:
    response = send(client, actor, activity, **kwargs)
    assert response.status_code == 202, response.content
    return applied(activity)


def cavage(actor, body: bytes, names: tuple[str, ...], *, path: str = "/inbox", host: str = "testserver",
           date: str | None = None) -> dict[str, str]:
    """A draft-cavage signature over exactly `names` (lower-case headers, as post_activity takes them)."""
    headers = {
        "host": host, "date": date or httpsig.http_date(), "digest": httpsig.digest_header(body),
        "content-type": "application/activity+json",
    }
    lines = [f"(request-target): post {path}" if n == "(request-target)" else f"{n}: {headers[n]}" for n in names]
    signature = httpsig.load_private_key(actor.private_pem).sign("\n".join(lines).encode(), PKCS1v15(), SHA256())
    headers["signature"] = (
        f'keyId="{actor.key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


def replace_headers(new: dict[str, str]):
    return lambda _signed: new


def remote_person(actor) -> Person:
    return RemoteActor.objects.select_related("person").get(uri=actor.uri).person


def known(actor) -> Person:
    """Make the pod know `actor` (as it would after any verified request from them)."""
    return actors.resolve_actor(actor.uri).person


def bobs_post(client, bob, name: str = "n1", content: str = "Original words") -> Post:
    note = bob.note(name, content)
    accept(client, bob, bob.create(note))
    return RemoteObject.objects.get(uri=note["id"]).post


def _follow(client, actor, target: Person) -> dict:
    activity = actor.activity("Follow", uris.actor(target.username))
    assert accept(client, actor, activity).state == InboundState.DONE
    return activity
