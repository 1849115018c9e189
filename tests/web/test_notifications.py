"""Notifications: listed, counted in the header, marked read."""

from __future__ import annotations

import re

import pytest

from kith.graph import services as graph
from kith.graph.services import block
from kith.messaging.services import start_conversation
from kith.social import services
from tests.web.conftest import page

pytestmark = pytest.mark.django_db(transaction=True)


def unread_badge(html: str) -> str | None:
    nav = html.split("</nav>")[0]
    found = re.search(r'Notifications <span class="badge" id="unread-notifications">(\d+)<', nav)
    return found.group(1) if found else None


def test_notifications_listed_counted_and_marked_read(alice, bob, carol, as_alice):
    post = services.publish_post(alice, "hello")
    services.add_comment(bob, post, "hi alice")
    services.like(carol, post=post)
    assert unread_badge(page(as_alice, "/")) == "2"
    html = page(as_alice, "/notifications")
    assert "commented on" in html
    assert "liked" in html
    assert html.count('class="notification unread"') == 2

    assert as_alice.post("/notifications/read")["Location"] == "/notifications"
    html = page(as_alice, "/notifications")
    assert unread_badge(html) is None
    assert 'class="notification unread"' not in html


def test_notifications_of_blocked_people_are_hidden(alice, bob, as_alice):
    services.add_comment(bob, services.publish_post(alice, "hello"), "hi")
    block(alice, bob)
    html = page(as_alice, "/notifications")
    assert "No notifications yet." in html
    assert unread_badge(html) is None


def test_every_kind_renders(alice, bob, carol, as_alice):
    post = services.publish_post(alice, "poll?", poll=services.PollDraft(["a", "b"]))
    services.publish_post(bob, "hey @alice")
    services.add_comment(bob, post, "c")
    services.like(bob, post=post)
    services.reshare(bob, post)
    graph.add_to_aspect(bob, graph.create_aspect(bob, "Friends"), alice)
    graph.follow(carol, alice)
    start_conversation(bob, [alice], "hi", "a message")
    html = page(as_alice, "/notifications")
    for words in ["mentioned you in", "commented on", "liked", "reshared", "started sharing with you.",
                  "followed you.", "sent you"]:
        assert words in html, words
