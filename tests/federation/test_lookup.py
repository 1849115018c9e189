"""Finding people (and posts) of other servers by handle or address, and why nobody was found.

Every server here is a real one on loopback started by the test: a fake ActivityPub
server (tests/federation/peers.py), a plain HTTP server without WebFinger, a closed
port, a port that accepts and never answers.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from kith.federation import safe_http
from kith.people.models import Person
from kith.social.lookup import Missing, look_up_handle, look_up_url
from kith.social.models import Post
from tests.federation.peers import FakePeer

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "127.0.0.14"


@pytest.fixture(scope="module")
def _peer() -> Iterator[FakePeer]:
    peer = FakePeer.start(ADDRESS)
    yield peer
    peer.close()


@pytest.fixture
def peer(_peer, settings) -> FakePeer:
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    _peer.reset()
    return _peer


@pytest.fixture
def plain_site(tmp_path, settings) -> Iterator[str]:
    """A web server that is no fediverse server: files only, 404 for WebFinger and NodeInfo."""
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    (tmp_path / "index.html").write_text("<h1>My homepage</h1>")
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer((ADDRESS, 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"{ADDRESS}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> str:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind((ADDRESS, 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    return f"{ADDRESS}:{port}"


def _fediverse(peer: FakePeer) -> None:
    peer.serve_json("/.well-known/nodeinfo", {"links": [{
        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": peer.url("/nodeinfo/2.1"),
    }]}, content_type="application/json")


# ---- found ---------------------------------------------------------------------------------------


def test_a_profile_page_that_answers_with_its_actor(peer):
    """Mastodon: /@bob asked for ActivityPub answers with the actor, whose id is /users/bob."""
    bob = peer.actor("bob")
    peer.serve_json("/@bob", bob.document())
    found = look_up_url(peer.url("/@bob")).found
    assert isinstance(found, Person)
    assert (found.username, found.domain) == ("bob", peer.netloc)


def test_a_profile_page_of_html_is_asked_about_with_webfinger(peer):
    """Kith: /@carol is a web page; the server's WebFinger names the actor for that address."""
    carol = peer.actor("carol")
    peer.wrong_type("/people/carol", {"not": "activitypub"})
    peer.serve_json("/.well-known/webfinger", {
        "subject": f"acct:{carol.handle}", "links": [{"rel": "self", "type": "application/activity+json", "href": carol.uri}],
    }, content_type="application/jrd+json")
    found = look_up_url(peer.url("/people/carol")).found
    assert isinstance(found, Person)
    assert found.username == "carol"


def test_a_profile_address_is_read_as_a_handle_when_webfinger_knows_only_handles(peer):
    peer.actor("dora")
    peer.wrong_type("/@dora", {"not": "activitypub"})
    for path in ("/@dora", "/users/dora"):  # /users/dora is the actor itself
        found = look_up_url(peer.url(path)).found
        assert isinstance(found, Person), path
        assert found.username == "dora"
    found = look_up_handle(f"dora@{peer.netloc}").found
    assert isinstance(found, Person)
    assert found.username == "dora"


def test_a_status_page_that_answers_with_its_note(peer):
    bob = peer.actor("bob")
    note = bob.note("7", "Seen from afar")
    peer.serve_json("/@bob/7", note)  # Mastodon's status page, asked for ActivityPub
    found = look_up_url(peer.url("/@bob/7")).found
    assert isinstance(found, Post)
    assert "Seen from afar" in found.html
    followers_only = bob.note("8", "Only for followers", to=[bob.followers], cc=[])
    assert look_up_url(followers_only["id"]).missing is Missing.NOTHING_TO_SHOW


@pytest.mark.parametrize("kind", [["Note", "Thing"], ["Thing"], [["Person"]], {"id": "Person"}, "as:Note"])
def test_a_document_of_several_or_odd_types(peer, kind):
    """Found by fuzzing (tests/fuzz/test_db_discovery.py): JSON-LD allows a list of types, and a
    list is no key of a set (a TypeError: a 500 on searching the address).  The first type counts,
    as in the parsers."""
    bob = peer.actor("bob")
    note = bob.note("9", "Typed twice", type=kind)
    found = look_up_url(note["id"])
    if kind in (["Note", "Thing"], "as:Note"):
        assert isinstance(found.found, Post)
    else:
        assert found.missing is Missing.NOTHING_TO_SHOW


# ---- why nobody ----------------------------------------------------------------------------------


def test_an_account_the_server_does_not_have(peer):
    _fediverse(peer)
    nobody = look_up_handle(f"nobody@{peer.netloc}")
    assert (nobody.found, nobody.missing, nobody.host) == (None, Missing.UNKNOWN_ACCOUNT, peer.netloc)
    assert look_up_url(peer.url("/@nobody")).missing is Missing.UNKNOWN_ACCOUNT


def test_a_server_without_webfinger_is_no_fediverse_server(plain_site):
    assert look_up_handle(f"someone@{plain_site}").missing is Missing.NOT_FEDIVERSE
    assert look_up_url(f"http://{plain_site}/@someone").missing is Missing.NOT_FEDIVERSE
    assert look_up_url(f"http://{plain_site}/").missing is Missing.NOT_FEDIVERSE


def test_a_server_that_cannot_be_reached(settings):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    closed = _closed_port()
    assert look_up_handle(f"someone@{closed}").missing is Missing.UNREACHABLE
    assert look_up_url(f"http://{closed}/@someone").missing is Missing.UNREACHABLE


def test_a_server_that_does_not_answer_in_time(settings, monkeypatch):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    monkeypatch.setattr(safe_http.client(), "timeout", httpx.Timeout(0.3))
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind((ADDRESS, 0))
    silent.listen(8)  # the kernel accepts; nobody ever answers
    try:
        host = f"{ADDRESS}:{silent.getsockname()[1]}"
        assert look_up_handle(f"someone@{host}").missing is Missing.TIMED_OUT
        assert look_up_url(f"http://{host}/@someone").missing is Missing.TIMED_OUT
    finally:
        silent.close()


def test_a_private_address_is_refused(peer, settings):
    peer.actor("bob")
    settings.KITH_ALLOW_PRIVATE_FEDERATION = False
    assert look_up_handle(f"bob@{peer.netloc}").missing is Missing.PRIVATE_ADDRESS
    assert look_up_url(f"https://{peer.netloc}/@bob").missing is Missing.PRIVATE_ADDRESS
    assert peer.requests == []


@pytest.mark.parametrize("handle", ["bob@", "@bob@", "b ob@pod.example", "bob@pod..example", "bob@-pod.example",
                                    "bob@pod.example:99999", "bob@pod.example:0", "bob@pod_example.org"])
def test_malformed_handles(handle, peer):
    assert look_up_handle(handle).missing is Missing.MALFORMED
    assert peer.requests == []


@pytest.mark.parametrize("url", ["https://", "ftp://pod.example/@bob", "https://pod.example:99999/@bob",
                                 "https://user:secret@pod.example/@bob", "https://exa mple.org/@bob", "https:///@bob"])
def test_malformed_addresses(url, peer):
    assert look_up_url(url).missing is Missing.MALFORMED
    assert peer.requests == []
