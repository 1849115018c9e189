"""The search page: people, tags and posts, as the viewer may see them."""

from __future__ import annotations

import pytest
from django.test import Client

from kith.people.services import update_profile
from kith.social import services
from tests.web.conftest import page

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_finds_people_tags_and_posts(alice, bob, as_bob):
    update_profile(alice, display_name="Alice Wonder")
    services.publish_post(alice, "Gardening notes #gardening")
    html = page(as_bob, "/search?q=gardening")
    assert 'href="/tags/gardening"' in html
    assert "Gardening notes" in html
    people = page(as_bob, "/search?q=wonder")
    assert "Alice Wonder" in people
    assert "Search" in page(Client(), "/search")


def test_search_load_more_keeps_the_query(alice, as_alice):
    for number in range(21):
        services.publish_post(alice, f"findme {number}")
    html = page(as_alice, "/search?q=findme")
    assert 'href="?q=findme&amp;max_id=' in html


# ---- a person looked up by handle or address, and why nobody was found ------------------------------------


@pytest.fixture(scope="module")
def _peer():
    from tests.federation.peers import FakePeer

    peer = FakePeer.start("127.0.0.15")
    yield peer
    peer.close()


@pytest.fixture
def peer(_peer, settings):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    _peer.reset()
    return _peer


def _nobody_found(html: str) -> str:
    """The text of the "Nobody found." line, tags stripped, entities decoded."""
    import html as entities
    import re

    match = re.search(r'<li class="empty" id="nobody-found">(.*?)</li>', html, re.S)
    assert match, "no 'Nobody found' line"
    return entities.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


def test_a_profile_address_on_another_server_finds_the_person(peer, as_alice):
    bob = peer.actor("bob")
    peer.serve_json("/@bob", bob.document())  # as Mastodon answers for a profile page
    html = page(as_alice, f"/search?q={peer.url('/@bob')}")
    assert f"@bob@{peer.netloc}" in html
    assert 'id="nobody-found"' not in html


def test_this_pods_own_addresses_find_the_person_and_open_the_post(alice, as_bob):
    update_profile(alice, display_name="Alice Wonder")
    for address in ("http://testserver/@alice", "http://testserver/users/alice"):
        assert "Alice Wonder" in page(as_bob, f"/search?q={address}"), address
    post = services.publish_post(alice, "Right here")
    response = as_bob.get(f"/search?q=http://testserver/posts/{post.id}")
    assert (response.status_code, response["Location"]) == (302, f"/posts/{post.id}")


def test_nobody_found_says_why(peer, as_alice, settings):
    import socket

    peer.serve_json("/.well-known/nodeinfo", {"links": [{"rel": "nodeinfo", "href": peer.url("/nodeinfo/2.1")}]},
                    content_type="application/json")
    probe = socket.socket()
    probe.bind(("127.0.0.15", 0))
    closed = f"127.0.0.15:{probe.getsockname()[1]}"
    probe.close()
    said = {
        f"nobody@{peer.netloc}": f"{peer.netloc} has no account by that name.",
        peer.url("/@nobody"): f"{peer.netloc} has no account by that name.",
        f"someone@{closed}": f"{closed} could not be reached.",
        f"http://{closed}/@someone": f"{closed} could not be reached.",
        "someone@": "That is not an address anyone can be found by.",
        "https://exa mple.org/@someone": "That is not an address anyone can be found by.",
    }
    for query, reason in said.items():
        line = _nobody_found(page(as_alice, f"/search?q={query}"))
        assert line.startswith("Nobody found. "), (query, line)
        assert reason in line, (query, line)
    peer.reset()  # no NodeInfo: a server that knows no WebFinger either
    assert "does not look like a fediverse server" in _nobody_found(page(as_alice, f"/search?q=someone@{peer.netloc}"))
    settings.KITH_ALLOW_PRIVATE_FEDERATION = False
    line = _nobody_found(page(as_alice, f"/search?q=someone@{peer.netloc}"))
    assert f"{peer.netloc} is on a private network, which this pod does not contact." in line


def test_logged_out_visitors_make_the_pod_fetch_nothing(peer):
    peer.actor("bob")
    html = page(Client(), f"/search?q=bob@{peer.netloc}")
    assert _nobody_found(html) == "Nobody found."
    html = page(Client(), f"/search?q={peer.url('/users/bob')}")
    assert _nobody_found(html) == "Nobody found."
    assert peer.requests == []
