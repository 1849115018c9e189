"""Selectors read in a fixed number of queries, however much there is to read.

Each test counts the queries of a read (and of touching everything a page
renders from its result: authors, reshared posts, photos, polls, the viewer's
likes) with a little data, then with much more of every kind, and asserts the
count is exactly the same.  Page views are measured separately (tests/web).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.graph import services as graph
from kith.messaging import selectors as messaging_selectors
from kith.messaging import services as messaging
from kith.social import selectors
from kith.social import services as social
from kith.social.models import Media, MediaState, Visibility
from kith.timelines import selectors as notification_selectors
from kith.timelines import selectors as timeline_selectors
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def queries(read: Callable[[], object]) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = read()
    return len(captured.captured_queries), result


def touch_posts(posts) -> int:
    """Everything a list of posts renders with."""
    touched = 0
    for post in posts:
        shown = post.reshare_of if post.reshare_of_id else post
        touched += len(post.author.username) + len(shown.author.username)
        touched += len(list(shown.media.all()))
        poll = getattr(shown, "poll", None)
        if poll is not None:
            touched += len(list(poll.options.all()))
        touched += int(shown.viewer_liked) + int(shown.viewer_reshared) + len(shown.viewer_votes)
    return touched


def photo(owner) -> int:
    return Media.objects.create(owner=owner, file="media/x.png", content_type="image/png", state=MediaState.READY).id


def varied_posts(author, viewer, count: int, start: int = 0) -> None:
    """Plain, limited, polled, illustrated and reshared posts, some liked, voted in and commented on."""
    resharer = factories.person()
    graph.follow(viewer, resharer)
    for n in range(start, start + count):
        kind = n % 5
        if kind == 0:
            post = social.publish_post(author, f"plain {n} #bulk")
        elif kind == 1:
            post = social.publish_post(author, f"limited {n}", visibility=Visibility.LIMITED, person_ids=[viewer.id])
        elif kind == 2:
            post = social.publish_post(author, f"poll {n} #bulk", poll=social.PollDraft(["yes", "no"]))
            social.vote(viewer, post, [0])
        elif kind == 3:
            post = social.publish_post(author, f"photo {n}", media_ids=[photo(author), photo(author)])
        else:
            post = social.reshare(resharer, social.publish_post(author, f"original {n}"))
        target = post.reshare_of or post
        social.like(viewer, post=target)
        social.add_comment(viewer, target, "a comment")


def assert_same_count(read, grow) -> None:
    few, result = queries(read)
    assert result, "the small case must read something"
    grow()
    many, bigger = queries(read)
    assert many == few, f"{few} queries with a little data, {many} with more"
    return result, bigger


def test_stream_reads_in_constant_queries(alice, bob):
    graph.follow(alice, bob)

    def read():
        posts = timeline_selectors.stream(alice)
        touch_posts(posts)
        return posts

    varied_posts(bob, alice, 5)
    small, large = assert_same_count(read, lambda: varied_posts(bob, alice, 30, start=5))
    assert len(large) == selectors.PAGE_SIZE > len(small)


def test_post_page_with_fifty_comments_reads_in_constant_queries(alice, bob, carol):
    post = social.publish_post(alice, "discuss", poll=social.PollDraft(["a", "b"]), media_ids=[photo(alice)])
    social.add_comment(bob, post, "first")
    social.like(carol, post=post)

    def read():
        shown = selectors.post_for(carol, post.id)
        touch_posts([shown])
        comments = selectors.comments_for(carol, shown)
        for comment in comments:
            assert comment.author.username
            assert comment.viewer_liked in (True, False)
        likers = selectors.likers(carol, shown)
        return comments + likers

    def grow():
        people = [factories.person() for _ in range(5)]
        parent = None
        for n in range(49):
            comment = social.add_comment(people[n % 5], post, f"comment {n}", parent=parent)
            parent = comment if n % 3 == 0 else None
            if n % 4 == 0:
                social.like(carol, comment=comment)
        for person in people:
            social.like(person, post=post)

    _, large = assert_same_count(read, grow)
    assert len([c for c in large if hasattr(c, "post_id")]) == 50


def test_person_posts_read_in_constant_queries(alice, bob):
    def read():
        posts = selectors.person_posts(alice, bob)
        touch_posts(posts)
        return posts

    varied_posts(bob, alice, 5)
    assert_same_count(read, lambda: varied_posts(bob, alice, 30, start=5))


def test_notifications_read_in_constant_queries(alice, bob):
    def read():
        rows = notification_selectors.notifications(alice)
        for row in rows:
            assert row.actor.username
            if row.post_id:
                assert row.post.author.username
            if row.comment_id:
                assert row.comment.author.username
                assert row.comment.post_id
            if row.conversation_id:
                assert row.conversation.subject is not None
        return rows

    social.like(bob, post=social.publish_post(alice, "hello"))

    def grow():
        people = [factories.person() for _ in range(6)]
        post = social.publish_post(alice, "popular")
        for person in people:
            graph.follow(person, alice)
            social.like(person, post=post)
            social.add_comment(person, post, f"hi @{alice.username}")
            social.reshare(person, post)
            social.publish_post(person, f"hey @{alice.username}")
            messaging.start_conversation(person, [alice], "hi", "a message")
            factories.aspect(person, "Friends", alice)

    small, large = assert_same_count(read, grow)
    assert len(large) == selectors.PAGE_SIZE
    assert len({row.kind for row in large}) >= 4


def test_conversations_read_in_constant_queries(alice, bob):
    def read():
        conversations = list(messaging_selectors.conversations_for(alice))
        for conversation in conversations:
            assert conversation.unread in (True, False)
            assert all(p.person.username for p in conversation.participants.all())
        return conversations

    messaging.start_conversation(bob, [alice], "hi", "first")

    def grow():
        people = [factories.person() for _ in range(4)]
        for n in range(15):
            conversation = messaging.start_conversation(people[n % 4], [alice, people[(n + 1) % 4]], f"c{n}", "hi")
            messaging.send_message(alice, conversation, "answer")

    _, large = assert_same_count(read, grow)
    assert len(large) == 16
