"""Notifications: listed, counted in the header, marked read."""

from __future__ import annotations

import re

import pytest

from kith.graph import services as graph
from kith.graph.services import block
from kith.messaging.services import start_conversation
from kith.social import services
from kith.social.models import Visibility
from kith.timelines.models import Notification, NotificationKind
from kith.timelines.notify import notify
from tests import factories
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


# ---- issue 11, point 7: read by looking, naming the post, replies said as replies ----------------


def items(html: str) -> list[str]:
    """The notifications on the page, each as its sentence's HTML."""
    return re.findall(r'<li class="notification[^"]*"[^>]*>(.*?)</li>', html, re.S)


def test_looking_at_notifications_reads_them_and_the_header_count_follows(alice, bob, carol, as_alice):
    post = services.publish_post(alice, "hello")
    services.add_comment(bob, post, "hi alice")
    services.like(carol, post=post)
    assert unread_badge(page(as_alice, "/")) == "2"
    html = page(as_alice, "/notifications")
    # Shown as new this once, and no longer counted in the header of the same page.
    assert html.count('class="notification unread"') == 2
    assert unread_badge(html) is None
    assert not Notification.objects.filter(recipient=alice, read=False).exists()
    again = page(as_alice, "/notifications")
    assert 'class="notification unread"' not in again
    assert unread_badge(page(as_alice, "/")) is None


def test_only_the_notifications_shown_are_read(alice, as_alice):
    post = services.publish_post(alice, "popular")
    fans = [factories.person(f"fan{n}") for n in range(23)]
    for fan in fans:
        services.like(fan, post=post)
    html = page(as_alice, "/notifications")
    assert unread_badge(html) == "3"  # 20 shown and read, 3 on the next page
    older = re.search(r'rel="next" href="\?max_id=(\d+)"', html).group(1)
    fragment = as_alice.get(f"/notifications?max_id={older}", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.count('class="notification unread"') == 3
    assert unread_badge(page(as_alice, "/")) is None


def test_other_peoples_notifications_are_not_read_by_my_looking(alice, bob, carol, as_alice):
    services.add_comment(carol, services.publish_post(bob, "bob's"), "carol's comment")
    page(as_alice, "/notifications")
    assert Notification.objects.filter(recipient=bob, read=False).count() == 1


LUNCH = "Lunch at the harbour on Friday: who is in? Bring your own sandwiches, the café is closed."
SHORT = "“Lunch at the harbour on Friday: who is in? Bring your own…”"


def test_every_kind_names_its_post_and_links_to_it(alice, bob, carol, dave, as_alice):
    lunch = services.publish_post(alice, LUNCH)
    comment = services.add_comment(bob, lunch, "count me in")
    services.like(bob, post=lunch)
    services.reshare(bob, lunch)
    own_comment = services.add_comment(alice, lunch, "great, see you there")
    reply = services.add_comment(carol, lunch, "@alice can I bring a friend?", parent=own_comment)
    services.like(carol, comment=own_comment)
    mention = services.publish_post(bob, "hey @alice, *look* at this")
    carols = services.publish_post(carol, "Sunday hike?")
    services.add_comment(alice, carols, "yes!")
    also = services.add_comment(dave, carols, "me too")
    in_comment = services.add_comment(bob, carols, "@alice bring boots")
    graph.add_to_aspect(bob, graph.create_aspect(bob, "Hikers"), alice)
    graph.follow(carol, alice)
    alice.locked = True
    alice.save(update_fields=["locked"])
    graph.follow(dave, alice)
    start_conversation(bob, [alice], "plans", "a message")
    start_conversation(carol, [alice], "", "no subject")
    poll = services.publish_post(alice, "Which day?", poll=services.PollDraft(["Fri", "Sat"]))
    notify(alice, NotificationKind.POLL_ENDED, carol, post=poll)  # no code ends polls with one yet

    found = "\n".join(items(page(as_alice, "/notifications")))
    expected = [
        f'commented on your post <a href="/posts/{lunch.id}#comment-{comment.id}">{SHORT}</a>',
        f'liked your post <a href="/posts/{lunch.id}">{SHORT}</a>',
        f'reshared your post <a href="/posts/{lunch.id}">{SHORT}</a>',
        f'replied to your comment on <a href="/posts/{lunch.id}#comment-{reply.id}">{SHORT}</a>',
        f'liked your comment on <a href="/posts/{lunch.id}#comment-{own_comment.id}">{SHORT}</a>',
        f'mentioned you in their post <a href="/posts/{mention.id}">“hey @alice, look at this”</a>',
        f'also commented on <a href="/posts/{carols.id}#comment-{also.id}">“Sunday hike?”</a>',
        f'mentioned you in a comment on <a href="/posts/{carols.id}#comment-{in_comment.id}">“Sunday hike?”</a>',
        "started sharing with you.",
        "followed you.",
        'asked to follow you: <a href="/contacts">answer in your contacts</a>.',
        "sent you a message in <a href=\"/conversations/",
        "“plans”</a>.",
        "sent you <a href=\"/conversations/",
        f'The poll <a href="/posts/{poll.id}">“Which day?”</a> you voted in has ended.',
    ]
    for sentence in expected:
        assert sentence.replace("“", "&ldquo;").replace("”", "&rdquo;") in found or sentence in found, sentence
    # The reply is a reply: no "mentioned you" for it, although it holds @alice.
    assert f"#comment-{reply.id}" not in "\n".join(line for line in found.splitlines() if "mentioned you" in line)
    for line in items(page(as_alice, "/notifications")):
        assert 'href="/@' in line or "The poll" in line  # every one names who (or what) it is about


def test_a_content_warning_is_named_instead_of_the_text_and_a_post_without_text_says_so(alice, bob, as_alice):
    hidden = services.publish_post(alice, "the ending of the film", content_warning="Film spoilers")
    services.like(bob, post=hidden)
    bare = services.publish_post(alice, "", poll=services.PollDraft(["yes", "no"]))
    services.like(bob, post=bare)
    html = page(as_alice, "/notifications")
    assert "Film spoilers" in html
    assert "the ending of the film" not in html
    assert f'liked your post <a href="/posts/{bare.id}">(a post without text)</a>' in html


def test_a_post_the_viewer_no_longer_sees_is_not_named(alice, bob, as_bob):
    friends = factories.aspect(alice, "Friends", bob)
    secret = services.publish_post(alice, "hi @bob, secret plans", visibility=Visibility.LIMITED,
                                   aspect_ids=[friends.id])
    assert "secret plans" in page(as_bob, "/notifications")
    block(alice, bob)
    assert secret.id
    html = page(as_bob, "/notifications")
    assert "secret plans" not in html
