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


# ---- moderation: limited and sensitive authors (kith.visibility rules 15 and 16) -------------


def test_a_limited_persons_posts_are_on_followers_streams_and_no_public_or_tag_page(alice, bob, as_bob):
    from kith.people.services import set_limited

    follow(bob, alice)
    services.publish_post(alice, "quietly posted #hush")
    set_limited(None, alice, True)
    assert "quietly posted" in page(as_bob, "/")
    assert "quietly posted" in page(as_bob, "/@alice")
    for client in (as_bob, Client()):
        assert "quietly posted" not in page(client, "/public")
        assert "quietly posted" not in page(client, "/tags/hush")
    assert "quietly posted" not in page(Client(), "/@alice")


def test_photos_of_an_account_staff_marked_sensitive_are_behind_a_click(alice, bob, as_bob):
    from kith.people.services import set_force_sensitive
    from tests.web.test_queries import photo

    follow(bob, alice)
    post = services.publish_post(alice, "look at this", media_ids=[photo(alice)])
    html = page(as_bob, f"/posts/{post.id}")
    assert 'class="sensitive-media"' not in html
    set_force_sensitive(None, alice, True)
    for url in (f"/posts/{post.id}", "/", "/@alice"):
        html = page(as_bob, url)
        assert 'class="sensitive-media"' in html, url
        # The photo is inside the closed <details>, not beside it.
        assert html.index('class="sensitive-media"') < html.index("/media/"), url


def test_a_post_marked_sensitive_hides_its_photos_but_a_content_warning_hides_it_all(alice, as_alice):
    from tests.web.test_queries import photo

    marked = services.publish_post(alice, "marked", media_ids=[photo(alice)], sensitive=True)
    warned = services.publish_post(alice, "warned", media_ids=[photo(alice)], content_warning="spoilers")
    assert 'class="sensitive-media"' in page(as_alice, f"/posts/{marked.id}")
    html = page(as_alice, f"/posts/{warned.id}")
    assert 'class="content-warning"' in html
    assert 'class="sensitive-media"' not in html
