"""A fake remote ActivityPub server on loopback, and a way to post signed activities to our inbox.

    peer = FakePeer.start("127.0.0.7")       # a threaded http.server on a free port
    bob = peer.actor("bob")                  # serves /users/bob (RSA key from a session-wide pool)
    peer.serve_json("/notes/1", {...})       # any document
    peer.redirect("/users/eve", "http://127.0.0.1:1/")   # and ways to misbehave per path:
    peer.huge(...), peer.drip(...), peer.wrong_type(...), peer.foreign_id(...)
    response = post_activity(client, bob, {...})          # signed POST to the test client's inbox

The peer records every request it receives (`peer.requests`, `peer.hits(path)`), so
tests can assert how often something was fetched.  It never touches the database
and runs in its own threads; `peer.reset()` forgets routes and requests between
tests (the server itself can live for a whole module or session).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding

from kith.federation import httpsig
from kith.people.keys import generate_pem_pair

AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTIVITY_JSON = "application/activity+json"

# ---- keys: 2048-bit RSA generation costs ~0.1 s, so a pool is made once per test session ---------

_KEYS: list[tuple[str, str]] = []
_KEYS_LOCK = threading.Lock()


def key_pair(index: int) -> tuple[str, str]:
    """(public PEM, private PEM) number `index` of the session-wide pool."""
    with _KEYS_LOCK:
        while len(_KEYS) <= index:
            _KEYS.append(generate_pem_pair())
        return _KEYS[index]


# ---- the server --------------------------------------------------------------------------------------


@dataclass
class Route:
    """What one path answers.  `mode` is "normal", "drip" (body a byte at a time) or "huge"."""

    status: int = 200
    body: bytes = b""
    content_type: str = ACTIVITY_JSON
    headers: tuple[tuple[str, str], ...] = ()
    mode: str = "normal"
    drip_interval: float = 0.05
    huge_bytes: int = 0


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _record(self, body: bytes = b"") -> None:
        self.server.peer._record(Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))

    def do_GET(self) -> None:
        self._record()
        route = self.server.peer._route_for(self.path)
        # The client may give up (size cap, deadline): that is the point of some routes.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(route)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._record(self.rfile.read(length))
        self._answer(Route(status=202, content_type="text/plain"))

    def _answer(self, route: Route) -> None:
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        for name, value in route.headers:
            self.send_header(name, value)
        if route.mode == "huge":
            # No Content-Length: the client can only find out by reading.
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b" " * 65536
            for _ in range(route.huge_bytes // len(chunk) + 1):
                self.wfile.write(chunk)
            return
        if route.mode == "drip":
            self.send_header("Connection", "close")
            self.end_headers()
            for byte in route.body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(route.drip_interval)
            return
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        self.wfile.write(route.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    peer: FakePeer


@dataclass
class FakeActor:
    """An actor the peer serves; its document is re-served whenever it changes."""

    peer: FakePeer
    username: str
    key_index: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return self.peer.url(f"/users/{self.username}")

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def inbox(self) -> str:
        return f"{self.uri}/inbox"

    @property
    def followers(self) -> str:
        return f"{self.uri}/followers"

    @property
    def handle(self) -> str:
        return f"{self.username}@{self.peer.netloc}"

    @property
    def public_pem(self) -> str:
        return key_pair(self.key_index)[0]

    @property
    def private_pem(self) -> str:
        return key_pair(self.key_index)[1]

    def document(self) -> dict[str, Any]:
        doc = {
            "@context": AS_CONTEXT,
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.username,
            "name": self.username.capitalize(),
            "summary": "",
            "inbox": self.inbox,
            "outbox": f"{self.uri}/outbox",
            "followers": self.followers,
            "following": f"{self.uri}/following",
            "endpoints": {"sharedInbox": self.peer.url("/inbox")},
            "manuallyApprovesFollowers": False,
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public_pem},
        }
        doc.update(self.extra)
        return doc

    def publish(self) -> FakeActor:
        self.peer.serve_json(f"/users/{self.username}", self.document())
        return self

    def rotate_key(self, key_index: int) -> None:
        """A new key under the same key id (what a restarted Fedify peer looks like)."""
        self.key_index = key_index
        self.publish()

    def update(self, **extra: Any) -> None:
        self.extra.update(extra)
        self.publish()

    # -- building what this actor sends -------------------------------------------------------------

    def activity_id(self, name: str | None = None) -> str:
        return f"{self.uri}/activities/{name or next(self.peer.counter)}"

    def note(self, slug: str, content: str = "Hello", *, to: list[str] | None = None, cc: list[str] | None = None,
             serve: bool = True, **fields: Any) -> dict[str, Any]:
        """A Note by this actor at /users/<name>/statuses/<slug> (served there unless serve=False)."""
        note = {
            "id": f"{self.uri}/statuses/{slug}",
            "type": "Note",
            "attributedTo": self.uri,
            "content": f"<p>{content}</p>",
            "published": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "to": [AS_PUBLIC] if to is None else to,
            "cc": [self.followers] if cc is None else cc,
        }
        note.update(fields)
        if serve:
            self.peer.serve_json(urlsplit(note["id"]).path, {"@context": AS_CONTEXT, **note})
        return note

    def activity(self, kind: str, obj: Any, *, name: str | None = None, **fields: Any) -> dict[str, Any]:
        activity = {"@context": AS_CONTEXT, "id": self.activity_id(name), "type": kind, "actor": self.uri, "object": obj}
        if isinstance(obj, dict) and "to" in obj:
            activity.setdefault("to", obj["to"])
            activity.setdefault("cc", obj.get("cc", []))
        activity.update(fields)
        return activity

    def create(self, note: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return self.activity("Create", note, **fields)


class FakePeer:
    """A remote server under the test's control, on its own loopback address and a free port."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self._lock = threading.Lock()
        self._routes: dict[str, Route] = {}
        self._actors: dict[str, FakeActor] = {}
        self.requests: list[Recorded] = []
        self.counter = itertools.count(1)
        server.peer = self

    @classmethod
    def start(cls, address: str = "127.0.0.7") -> FakePeer:
        server = _Server((address, 0), _Handler)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fake-peer-{address}", daemon=True
        )
        peer = cls(server, thread)
        thread.start()
        return peer

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self._actors.clear()
            self.requests.clear()

    # -- addresses -------------------------------------------------------------------------------

    @property
    def address(self) -> str:
        return self._server.server_address[0]

    @property
    def netloc(self) -> str:
        return f"{self.address}:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://{self.netloc}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- what it serves -------------------------------------------------------------------------------

    def serve(self, path: str, route: Route) -> None:
        with self._lock:
            self._routes[path] = route

    def serve_json(self, path: str, document: Any, *, content_type: str = ACTIVITY_JSON, status: int = 200) -> None:
        self.serve(path, Route(status=status, body=json.dumps(document).encode(), content_type=content_type))

    def actor(self, username: str, *, key_index: int = 0, **extra: Any) -> FakeActor:
        actor = FakeActor(self, username, key_index, dict(extra))
        with self._lock:
            self._actors[username] = actor
        return actor.publish()

    # -- ways to misbehave --------------------------------------------------------------------------------

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.serve(path, Route(status=status, content_type="text/plain", headers=(("Location", location),)))

    def huge(self, path: str, size: int = 4 * 1024 * 1024) -> None:
        self.serve(path, Route(mode="huge", huge_bytes=size))

    def drip(self, path: str, document: Any, interval: float = 0.05) -> None:
        self.serve(path, Route(mode="drip", body=json.dumps(document).encode(), drip_interval=interval))

    def wrong_type(self, path: str, document: Any, content_type: str = "text/html") -> None:
        self.serve_json(path, document, content_type=content_type)

    def foreign_id(self, path: str, document: dict[str, Any], other_base: str) -> None:
        """Serve `document` at `path` claiming an id on another host (a server speaking for another)."""
        self.serve_json(path, {**document, "id": other_base + path})

    # -- what it saw ------------------------------------------------------------------------------------

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def hits(self, path: str, method: str = "GET") -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.method == method and urlsplit(r.path).path == path)

    def _route_for(self, raw_path: str) -> Route:
        parts = urlsplit(raw_path)
        with self._lock:
            if parts.path in self._routes:  # anything set explicitly wins, WebFinger included
                return self._routes[parts.path]
            if parts.path == "/.well-known/webfinger":
                return self._webfinger(parse_qs(parts.query).get("resource", [""])[0])
            return Route(status=404, body=b'{"error": "not found"}')

    def _webfinger(self, resource: str) -> Route:
        username, _, host = resource.removeprefix("acct:").partition("@")
        actor = self._actors.get(username)
        if actor is None or host != self.netloc:
            return Route(status=404, body=b"{}", content_type="application/jrd+json")
        document = {
            "subject": f"acct:{actor.handle}",
            "links": [{"rel": "self", "type": ACTIVITY_JSON, "href": actor.uri}],
        }
        return Route(body=json.dumps(document).encode(), content_type="application/jrd+json")


# ---- posting to the pod under test ---------------------------------------------------------------------


def signed_headers(
    actor: FakeActor,
    body: bytes,
    *,
    path: str,
    host: str = "testserver",
    private_pem: str | None = None,
    key_id: str | None = None,
) -> dict[str, str]:
    """draft-cavage headers (Host, Date, Digest, Signature) as a remote server would send them."""
    return httpsig.sign(
        "POST", f"http://{host}{path}", {"Content-Type": ACTIVITY_JSON}, body,
        key_id=key_id or actor.key_id, private_key_pem=private_pem or actor.private_pem,
    )


def post_activity(
    client,
    actor: FakeActor | None,
    activity: Any,
    *,
    path: str = "/inbox",
    host: str = "testserver",
    private_pem: str | None = None,
    key_id: str | None = None,
    body: bytes | None = None,
    tamper=None,
):
    """POST `activity` to the pod's inbox at `path`, signed as `actor` (unsigned when actor is None).

    `tamper(headers) -> headers` may change the headers after signing (lower-case
    names); `body` replaces the serialised activity after signing when given.
    """
    signed_body = json.dumps(activity).encode() if not isinstance(activity, bytes) else activity
    headers: dict[str, str] = {"content-type": ACTIVITY_JSON, "host": host}
    if actor is not None:
        added = signed_headers(actor, signed_body, path=path, host=host, private_pem=private_pem, key_id=key_id)
        headers |= {name.lower(): value for name, value in added.items()}
    if tamper is not None:
        headers = tamper(headers)
    sent = body if body is not None else signed_body
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items() if name != "content-type"}
    return client.generic("POST", path, sent, content_type=headers.get("content-type", ACTIVITY_JSON), **extra)


# ---- RFC 9421, built by hand from the RFC's rules (independent of kith.federation.rfc9421) -------------


def rfc9421_headers(
    method: str,
    url: str,
    body: bytes | None,
    *,
    key_id: str,
    private_pem: str,
    components: tuple[str, ...] | None = None,
    created: int | None = None,
    alg: str | None = "rsa-v1_5-sha256",
    digest: str = "sha-256",
    label: str = "sig1",
    extra_params: str = "",
) -> dict[str, str]:
    """Signature-Input, Signature (and Content-Digest for a body) as Fedify sends them."""
    parts = urlsplit(url)
    headers: dict[str, str] = {"host": parts.netloc, "date": httpsig.http_date()}
    if body is not None:
        hashed = hashlib.sha512(body) if digest == "sha-512" else hashlib.sha256(body)
        headers["content-digest"] = f"{digest}=:{base64.b64encode(hashed.digest()).decode()}:"
    if components is None:
        components = ("@method", "@target-uri", "@authority", "host", "date") + (("content-digest",) if body is not None else ())
    derived = {
        "@method": method.upper(),
        "@target-uri": url,
        "@authority": parts.netloc.lower(),
        "@scheme": parts.scheme,
        "@path": parts.path or "/",
        "@query": "?" + parts.query,
        "@request-target": (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
    }
    params = "".join([
        f';alg="{alg}"' if alg else "",
        f';keyid="{key_id}"',
        f";created={int(time.time()) if created is None else created}",
        extra_params,
    ])
    signature_params = "(" + " ".join(f'"{c}"' for c in components) + ")" + params
    lines = [f'"{c}": {derived[c] if c.startswith("@") else headers[c]}' for c in components]
    lines.append(f'"@signature-params": {signature_params}')
    base = "\n".join(lines).encode()
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(base)
    elif alg == "rsa-pss-sha512":
        signature = key.sign(base, padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64), hashes.SHA512())
    else:
        signature = key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    headers["signature-input"] = f"{label}={signature_params}"
    headers["signature"] = f"{label}=:{base64.b64encode(signature).decode()}:"
    return headers
