"""Every page renders for its owner, with the shared layout and nothing inline for the CSP to block."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kith.messaging.services import start_conversation
from kith.social import services
from tests import factories
from tests.web.conftest import page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def urls(alice, bob):
    factories.aspect(alice, "Friends", bob)
    post = services.publish_post(alice, "hello #kith", poll=services.PollDraft(["a", "b"]))
    comment = services.add_comment(alice, post, "a comment")
    conversation = start_conversation(alice, [bob], "hi", "hello bob")
    return [
        "/", "/public", "/tags/kith", "/followed-tags", "/posts/new", f"/posts/{post.id}", f"/posts/{post.id}/edit",
        f"/posts/{post.id}/likes", f"/comments/{comment.id}/edit", "/@alice", "/@bob", "/contacts", "/aspects",
        "/notifications", "/conversations", "/conversations/new", f"/conversations/{conversation.id}",
        "/search", "/search?q=hello", "/settings/profile", "/settings/password", "/settings/delete",
        "/settings/export",
    ]


def test_every_page_renders_for_its_owner(urls, as_alice):
    for url in urls:
        html = page(as_alice, url)
        assert 'class="skip-link" href="#main"' in html, url
        assert '<main id="main"' in html, url
        assert 'href="/static/web/kith.css"' in html, url
        # Scripts only from our own static files, never inline (the CSP would refuse them anyway).
        scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
        assert len(scripts) == len(re.findall(r'<script src="/static/web/[\w./-]+\.js" defer></script>', html)), url
        assert not any(body.strip() for body in scripts), url
        assert not re.search(r"<[^>]+\sstyle=", html), url
        for form in re.findall(r'<form method="post".*?</form>', html, flags=re.S):
            assert "csrfmiddlewaretoken" in form, (url, form[:200])


def test_public_pages_render_for_visitors(alice):
    client = Client()
    for url in ["/public", "/tags/kith", "/@alice", "/search?q=x", "/login", "/signup", "/password-reset"]:
        page(client, url)


def test_unknown_pages_are_404_with_the_layout(as_alice):
    html = page(as_alice, "/posts/12345", status=404)
    assert "No such post." in html
    assert "Not found" in page(as_alice, "/@ghost", status=404)


def test_stylesheet_is_served():
    response = Client().get("/static/web/kith.css")
    assert response.status_code == 200
    assert b"prefers-color-scheme: dark" in b"".join(response.streaming_content)
