"""The stream, the public timeline, tag pages and followed tags."""

from __future__ import annotations

import pytest
from django.test import Client

from kith.graph.services import follow
from kith.social import services
from kith.social.models import TagFollow, Visibility
from tests.web.conftest import page

pytestmark = pytest.mark.django_db(transaction=True)


def test_visitors_get_the_public_timeline(alice):
    services.publish_post(alice, "hello visitors")
    services.publish_post(alice, "for nobody else", visibility=Visibility.LIMITED)
    client = Client()
    assert client.get("/")["Location"] == "/public"
    html = page(client, "/public")
    assert "hello visitors" in html
    assert "for nobody else" not in html


def test_stream_shows_followed_people_with_load_more(alice, bob, as_bob):
    follow(bob, alice)
    for number in range(23):
        services.publish_post(alice, f"update {number}")
    html = page(as_bob, "/")
    assert "update 22" in html
    assert "update 2<" not in html
    max_id = html.split('rel="next" href="?max_id=')[1].split('"')[0]
    older = page(as_bob, f"/?max_id={max_id}")
    assert "update 2<" in older
    assert 'rel="next"' not in older
    for nonsense in ("not-a-number", "99999999999999999999999", "-5", "１２"):
        assert "update 22" in page(as_bob, f"/?max_id={nonsense}")


def test_tag_page_and_following_tags(alice, bob, as_bob):
    services.publish_post(alice, "I love #Cats")
    html = page(as_bob, "/tags/cats")
    assert "I love" in html
    assert "Follow this tag" in html
    as_bob.post("/tags/cats/follow")
    assert TagFollow.objects.filter(person=bob, tag__name="cats").exists()
    assert "Stop following this tag" in page(as_bob, "/tags/cats")
    followed = page(as_bob, "/followed-tags")
    assert 'href="/tags/cats"' in followed
    assert "I love" in followed
    as_bob.post("/tags/cats/unfollow", {"next": "/followed-tags"})
    assert not TagFollow.objects.filter(person=bob).exists()
    assert "Follow this tag" not in page(Client(), "/tags/cats")
