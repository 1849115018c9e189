"""Driving the inbox and the remote side for fuzzing, shared by the hypothesis tests and the
atheris targets: a pod that knows one remote actor (BOB) and its key, signed POSTs to its
inbox, the checks every answer must pass, and a remote server made of an httpx.MockTransport
put under the safe client.  Needs Django set up and a database."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.db import transaction
from django.test import Client

from kith.federation import httpsig, safe_http
from kith.federation.activitypub import actors, inbound, parse
from kith.federation.activitypub.models import InboundActivity, InboundState, RemoteActor
from kith.federation.models import InstanceKey
from kith.people.models import Person
from tests import factories
from tests.federation.peers import key_pair
from tests.fuzz.payloads import BOB, BOB_KEY

PUBLIC_PEM, PRIVATE_PEM = key_pair(0)
ANSWERS = {202, 400, 401, 404, 405, 413}
Record = Callable[[str, object], None]


def make_pod() -> Person:
    """The pod's side: alice, the instance key, and BOB known with his key (as after a first contact)."""
    public, private = key_pair(5)
    InstanceKey.objects.get_or_create(id=1, defaults={"public_key_pem": public, "private_key_pem": private})
    alice = Person.objects.filter(username="alice", domain="").first() or factories.person("alice")
    actors.store_actor(parse.parse_actor({
        "id": BOB, "type": "Person", "preferredUsername": "bob", "inbox": f"{BOB}/inbox",
        "followers": f"{BOB}/followers", "endpoints": {"sharedInbox": "https://remote.example/inbox"},
        "publicKey": {"id": BOB_KEY, "owner": BOB, "publicKeyPem": PUBLIC_PEM},
    }))
    return alice


@contextmanager
def rolled_back() -> Iterator[None]:
    """Whatever a payload writes is undone after it, so every payload meets the same pod."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def signed_headers(path: str, body: bytes, scheme: str) -> dict[str, str]:
    """Lower-case headers BOB's server would send (Host, Date, Digest or Content-Digest, the signature)."""
    if scheme == "rfc9421":
        return _rfc9421(f"http://testserver{path}", body)
    added = httpsig.sign("POST", f"http://testserver{path}", {"Content-Type": "application/activity+json"}, body,
                         key_id=BOB_KEY, private_key_pem=PRIVATE_PEM)
    return {name.lower(): value for name, value in added.items()}


def _rfc9421(url: str, body: bytes) -> dict[str, str]:
    """What Fedify sends (tests/federation/peers.py's rfc9421_headers, with the parsed key kept:
    loading a PEM costs more than the rest of a request)."""
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    headers = {"host": "testserver", "date": httpsig.http_date(), "content-digest": f"sha-256=:{digest}:"}
    components = ("@method", "@target-uri", "@authority", "host", "date", "content-digest")
    covered = " ".join(f'"{name}"' for name in components)
    params = f'({covered});alg="rsa-v1_5-sha256";keyid="{BOB_KEY}";created={int(time.time())}'
    values = {"@method": "POST", "@target-uri": url, "@authority": "testserver"}
    lines = [f'"{name}": {values.get(name) or headers[name]}' for name in components]
    base = "\n".join([*lines, f'"@signature-params": {params}']).encode()
    signature = httpsig.load_private_key(PRIVATE_PEM).sign(base, padding.PKCS1v15(), hashes.SHA256())
    return headers | {"signature-input": f"sig1={params}", "signature": f"sig1=:{base64.b64encode(signature).decode()}:"}


def post_inbox(path: str, body: bytes, headers: dict[str, str]):
    headers = dict(headers)
    content_type = headers.pop("content-type", "application/activity+json")
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items() if name != "content-length"}
    if "content-length" in headers:
        extra["CONTENT_LENGTH"] = headers["content-length"]
    return Client().generic("POST", path, body, content_type=content_type, **extra)


def _counts() -> tuple[int, int, int]:
    return InboundActivity.objects.count(), RemoteActor.objects.count(), Person.objects.count()


def check_inbox(target: str, path: str, body: bytes, headers: dict[str, str], record: Record) -> int:
    """POST to the inbox and check: a 4xx or 202; nothing stored when refused; what was accepted
    parses, and the worker applies it to a recorded outcome without raising.  Returns the status."""
    before = _counts()
    response = post_inbox(path, body, headers)
    record(target, response.status_code)
    assert response.status_code in ANSWERS, (response.status_code, response.content[:300])
    if response.status_code != 202:
        assert _counts() == before, (response.status_code, response.content[:300])
        return response.status_code
    assert _counts()[1:] == before[1:]  # no actor learnt from a payload
    activity = parse.parse_activity(json.loads(body))  # what was accepted parses
    row = InboundActivity.objects.get(activity_uri=activity.id)
    with transaction.atomic():
        inbound.apply(row)
    row.refresh_from_db()
    record("apply", row.state)
    assert row.state in (InboundState.DONE, InboundState.DROPPED, InboundState.FAILED), row.state
    return 202


# ---- the remote side --------------------------------------------------------------------------------


class Remote:
    """Another server's answers, by path (anything else is a 404): (status, content type,
    Location, body) each; put under the safe client with `install`."""

    def __init__(self, record: Record | None = None) -> None:
        self.routes: dict[str, tuple[int, str, str, bytes]] = {}
        self.record = record

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.record is not None:
            self.record("remote asked", request.url.path if request.url.path in self.routes else "other")
        status, content_type, location, body = self.routes.get(request.url.path, (404, "application/json", "", b"{}"))
        # Header values as bytes: whatever a server sends, httpx reads them as Latin-1.
        headers = [(b"content-type", content_type.encode("utf-8", "replace"))]
        if status in (301, 302, 303, 307, 308):
            headers.append((b"location", location.encode("utf-8", "replace")))
        return httpx.Response(status, headers=headers, content=body)

    def install(self) -> httpx.Client:
        """Make this the one safe client's transport (safe_http's checks still apply); returns the client."""
        client = httpx.Client(transport=httpx.MockTransport(self.handle), follow_redirects=False)
        safe_http._client = client
        return client


def serve_json(document: Any) -> bytes:
    return json.dumps(document).encode("utf-8", "surrogatepass")
