"""What pages must never show: limited posts to outsiders, markup from people, forms without CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from kith.graph.services import block, follow
from kith.people.services import update_profile
from kith.social import services
from kith.social.models import Post, Visibility
from tests import factories
from tests.web.conftest import client_for, page, publish

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "the secret plan for the weekend"


@pytest.fixture
def limited_post(alice, bob, carol):
    """Alice's post for her aspect holding bob; carol follows alice (so sees her public posts)."""
    friends = factories.aspect(alice, "Friends", bob)
    follow(carol, alice)
    return services.publish_post(alice, f"{SECRET} #plans", visibility=Visibility.LIMITED, aspect_ids=[friends.id])


def outsider(who: str, author, carol) -> Client:
    """A non-member who follows the author, an anonymous visitor, or a person the author blocked."""
    if who == "non-member":
        return client_for(carol)
    if who == "anonymous":
        return Client()
    mallory = factories.person("mallory")
    block(author, mallory)
    return client_for(mallory)


def test_members_see_the_limited_post_everywhere(limited_post, as_bob):
    assert SECRET in page(as_bob, f"/posts/{limited_post.id}")
    assert SECRET in page(as_bob, "/")
    assert SECRET in page(as_bob, "/@alice")
    assert SECRET in page(as_bob, "/search?q=secret")


@pytest.mark.parametrize("who", ["non-member", "anonymous", "blocked"])
def test_outsiders_never_see_the_limited_post(limited_post, alice, carol, who):
    client = outsider(who, alice, carol)
    page(client, f"/posts/{limited_post.id}", status=404)
    page(client, f"/posts/{limited_post.id}/likes", status=404)
    for url in ["/@alice", "/search?q=secret", "/search?q=plans", "/tags/plans", "/public"]:
        assert SECRET not in page(client, url), url
    if who != "anonymous":
        assert SECRET not in page(client, "/")
        assert client.post(f"/posts/{limited_post.id}/comments", {"text": "hi"}).status_code == 404
        assert client.post(f"/posts/{limited_post.id}/like").status_code == 404
        assert client.post(f"/posts/{limited_post.id}/reshare").status_code == 404
    assert not limited_post.comments.exists()
    assert not limited_post.likes.exists()


def test_a_blocked_person_sees_none_of_the_blockers_posts(alice, as_alice):
    public = services.publish_post(alice, "public but not for mallory")
    mallory = factories.person("mallory")
    follow(mallory, alice)
    block(alice, mallory)
    client = client_for(mallory)
    page(client, f"/posts/{public.id}", status=404)
    assert "not for mallory" not in page(client, "/@alice")
    assert "not for mallory" not in page(client, "/")


def test_csrf_is_enforced_on_forms(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.account)
    response = client.post("/posts", {"text": "forged", "audience": "public"})
    assert response.status_code == 403
    assert not Post.objects.exists()
    token = page(client, "/posts/new").split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post("/posts", {"text": "real", "audience": "public", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_pages_forbid_inline_script_by_policy(as_alice):
    csp = as_alice.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_markup_in_posts_comments_and_names_is_never_live(alice, bob, as_alice, as_bob):
    update_profile(alice, display_name=HOSTILE, bio=HOSTILE, location=HOSTILE, tags=["safe"])
    update_profile(bob, display_name=HOSTILE)
    factories.aspect(alice, "Friends", bob)
    post = publish(as_alice, HOSTILE + " #safe", "public", content_warning=HOSTILE, poll_options=f"{HOSTILE}\nno")
    services.add_comment(bob, post, HOSTILE)
    services.like(bob, post=post)
    as_alice.post("/conversations/new", {"recipients": "bob", "subject": HOSTILE, "text": HOSTILE})
    conversation_id = bob.conversations.get().conversation_id
    urls = [
        "/", "/public", f"/posts/{post.id}", f"/posts/{post.id}/likes", f"/posts/{post.id}/edit", "/@alice", "/@bob",
        "/tags/safe", "/search?q=alert", "/notifications", "/contacts", "/aspects", "/conversations",
        f"/conversations/{conversation_id}", "/settings/profile", "/posts/new",
    ]
    for client in (as_alice, as_bob):
        for url in urls:
            if client is as_bob and url.endswith("/edit"):
                continue
            html = page(client, url)
            assert "<script>alert" not in html, url
            assert "<img src=x" not in html, url
    # Shown, as text: escaped rather than dropped.
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page(as_bob, "/@alice")
