"""Fuzzing what other servers answer when Kith looks someone up: WebFinger (JRD), NodeInfo and
actor documents, parsed by kith/federation/activitypub/actors.py (webfinger_actor_uri,
fetch_json, resolve_actor, actor_for_key) and the lookup (kith/social/lookup.py look_up_handle and
look_up_url, answered by kith/federation/activitypub/lookup.py; kith/federation/lookup.py
speaks_fediverse).

The remote server is an httpx.MockTransport put under the one safe client, so every answer goes
through safe_http's checks (schemes, content types, sizes, redirects) without leaving the
machine.  Its answers are any status, content type and body: JRDs and actors with hostile
links and keys, redirects to hostile places, JSON of any shape, bytes.  Looking up always ends
in a person or a reason (never an exception); a signed activity from an unknown actor whose
document is hostile is a 401 or a 202, and nothing half-stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from kith.federation import httpsig, safe_http
from kith.federation.activitypub import actors
from kith.federation.activitypub.models import InboundActivity, RemoteActor, RemoteKey
from kith.federation.models import InstanceKey
from kith.people.models import Person
from kith.social import lookup
from tests import factories
from tests.federation.peers import key_pair
from tests.fuzz.common import HOSTILE_URL, NASTY_TEXT, any_json, budget, tally_for
from tests.fuzz.drivers import Remote, rolled_back, serve_json
from tests.fuzz.payloads import BOB, BOB_KEY, BOB_SPELLINGS, hostile_documents

TALLY = tally_for(__name__)
pytestmark = pytest.mark.django_db
PUBLIC_PEM, PRIVATE_PEM = key_pair(0)
ACTOR = {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    "id": BOB, "type": "Person", "preferredUsername": "bob", "name": "Bob", "summary": "<p>hi</p>",
    "inbox": f"{BOB}/inbox", "outbox": f"{BOB}/outbox", "followers": f"{BOB}/followers",
    "endpoints": {"sharedInbox": "https://remote.example/inbox"}, "url": "https://remote.example/@bob",
    "icon": {"type": "Image", "url": "https://media.remote.example/a.png"},
    "publicKey": {"id": BOB_KEY, "owner": BOB, "publicKeyPem": PUBLIC_PEM},
    "tag": [{"type": "Hashtag", "name": "#garden"}], "attachment": [{"type": "PropertyValue", "name": "a", "value": "b"}],
}
AP_TYPES = ["application/activity+json", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
            "application/ld+json", "application/json", "text/html", ""]


JRD = {"subject": "acct:bob@remote.example", "aliases": [BOB],
       "links": [{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://remote.example/@bob"},
                 {"rel": "self", "type": "application/activity+json", "href": BOB}]}


@st.composite
def jrds(draw: st.DrawFn) -> Any:
    """A WebFinger answer: a good one made hostile, links with any rel, type and href, or JSON of any shape."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(any_json())
    if kind <= 2:
        return draw(hostile_documents([JRD]))
    link = st.fixed_dictionaries({"rel": st.sampled_from(["self", "http://webfinger.net/rel/profile-page", "SELF", ""])
                                  | NASTY_TEXT, "type": st.sampled_from(AP_TYPES) | NASTY_TEXT,
                                  "href": st.sampled_from(BOB_SPELLINGS) | HOSTILE_URL | any_json(leaves=3)})
    return {"subject": draw(NASTY_TEXT), "aliases": draw(st.lists(HOSTILE_URL, max_size=2)),
            "links": draw(st.lists(link | any_json(leaves=3), max_size=4) | any_json(leaves=3))}


def _good(content_type: str) -> st.SearchStrategy[dict]:
    return st.just({"status": 200, "content_type": content_type, "location": "", "raw": None})


ANSWER = st.fixed_dictionaries({
    "status": st.sampled_from([200, 200, 200, 404, 410, 500, 301, 302, 308]),
    "content_type": st.sampled_from(AP_TYPES + ["application/jrd+json", "application/xrd+xml"]) | NASTY_TEXT,
    "location": st.sampled_from([BOB, "https://other.example/users/bob", "/users/bob", "http://127.0.0.1/"]) | HOSTILE_URL,
    "raw": st.none() | st.none() | st.binary(max_size=40),
})


def _route(answer: dict, document: Any) -> tuple[int, str, str, bytes]:
    body = answer["raw"] if answer["raw"] is not None else serve_json(document)
    return answer["status"], answer["content_type"], answer["location"], body


@pytest.fixture
def remote(db, monkeypatch) -> Iterator[Remote]:
    cache.clear()
    public, private = key_pair(5)
    InstanceKey.objects.create(id=1, public_key_pem=public, private_key_pem=private)
    factories.person("alice")
    server = Remote(TALLY.record)
    monkeypatch.setattr(safe_http, "_client", safe_http._client)  # restored after the test
    client = server.install()
    yield server
    client.close()


def _counts() -> tuple[int, ...]:
    return RemoteActor.objects.count(), RemoteKey.objects.count(), Person.objects.count(), InboundActivity.objects.count()


@budget(70)
@given(jrd=jrds(), jrd_answer=_good("application/jrd+json") | ANSWER, actor=hostile_documents([ACTOR]),
       actor_answer=_good("application/activity+json") | ANSWER,
       nodeinfo=any_json() | st.just({"links": [{"rel": "x", "href": "y"}]}), nodeinfo_answer=_good("application/json") | ANSWER,
       how=st.sampled_from(["handle", "url", "profile url", "resolve_actor"]))
def test_looking_up_someone_whose_server_answers_anything(remote, jrd, jrd_answer, actor, actor_answer, nodeinfo,
                                                          nodeinfo_answer, how):
    remote.routes = {"/.well-known/webfinger": _route(jrd_answer, jrd), "/users/bob": _route(actor_answer, actor),
                     "/.well-known/nodeinfo": _route(nodeinfo_answer, nodeinfo), "/@bob": _route(actor_answer, actor)}
    with rolled_back():
        if how == "handle":
            found = lookup.look_up_handle("bob@remote.example")
        elif how == "url":
            found = lookup.look_up_url(BOB)
        elif how == "profile url":
            found = lookup.look_up_url("https://remote.example/@bob")
        else:
            try:
                actors.resolve_actor(BOB)
                found = lookup.Lookup(found=Person.objects.first())
            except actors.ResolveError:
                found = lookup.Lookup(missing=lookup.Missing.UNREACHABLE)
        TALLY.record(f"look up by {how}", "found" if found.found is not None else found.missing)
        if isinstance(found.found, Person) and not found.found.is_local:
            assert found.found.domain == "remote.example", found.found.domain


@budget(60)
@given(actor=hostile_documents([ACTOR]), answer=_good("application/activity+json") | ANSWER, key_id=st.sampled_from([BOB_KEY, BOB, f"{BOB}#other"]))
def test_first_contact_with_an_actor_whose_document_is_hostile(remote, actor, answer, key_id):
    """A signed Follow from someone unknown: the inbox fetches their document to verify the key."""
    remote.routes = {"/users/bob": _route(answer, actor)}
    activity = {"id": f"{BOB}/follows/1", "type": "Follow", "actor": BOB, "object": "http://testserver/users/alice"}
    body = json.dumps(activity).encode()
    signed = httpsig.sign("POST", "http://testserver/inbox", {"Content-Type": "application/activity+json"}, body,
                          key_id=key_id, private_key_pem=PRIVATE_PEM)
    with rolled_back():
        before = _counts()
        response = Client().generic("POST", "/inbox", body, content_type="application/activity+json",
                                    **{f"HTTP_{name.upper()}": value for name, value in signed.items()})
        TALLY.record("inbox, first contact", response.status_code)
        assert response.status_code in (202, 401), response.content
        if response.status_code == 401:
            assert _counts()[3] == before[3]  # nothing stored (the actor may be: it was fetched and is valid)
