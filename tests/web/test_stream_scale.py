"""The stream page of someone following 200 people, with 10,000 posts in the database, renders
in the same number of queries as with one post (issue 5).  The data is bulk-inserted: the rows
the pages read (people, follows, posts, stream entries) are what publish_post and fan-out write.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kith.graph.models import Follow
from kith.people.models import Person
from kith.social.models import Post, Visibility
from kith.timelines.models import StreamEntry, StreamReason

pytestmark = pytest.mark.django_db(transaction=True)

FOLLOWED = 200
POSTS = 10_000


def followed_people(viewer: Person) -> list[Person]:
    people = Person.objects.bulk_create(
        Person(username=f"friend{n}", domain="far.example" if n % 2 else "", display_name=f"Friend {n}")
        for n in range(FOLLOWED)
    )
    Follow.objects.bulk_create(Follow(follower=viewer, followee=person) for person in people)
    return people


def add_posts(viewer: Person, authors: list[Person], count: int, start: int) -> None:
    """`count` posts by the followed people, each already fanned out to the viewer's stream."""
    now = timezone.now()
    posts = Post.objects.bulk_create(
        Post(
            author=authors[n % len(authors)], visibility=Visibility.PUBLIC, source=f"post {n}",
            html=f"<p>post {n} by friend {n % len(authors)}</p>", created_at=now - timedelta(seconds=count - n),
            content_warning="a warning" if n % 7 == 0 else "", like_count=n % 5,
            comment_count=(n + 1) % 3,  # the first post has comments too: both pages count them
        )
        for n in range(start, start + count)
    )
    StreamEntry.objects.bulk_create(
        StreamEntry(owner=viewer, post=post, reason=StreamReason.FOLLOWING) for post in posts
    )


def stream_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_stream_queries_do_not_grow_with_follows_and_posts(alice, as_alice):
    authors = followed_people(alice)
    add_posts(alice, authors, 1, start=0)
    with_one, html = stream_queries(as_alice)
    assert html.count('<article class="post"') == 1

    add_posts(alice, authors, POSTS - 1, start=1)
    assert Post.objects.count() == POSTS
    with_many, html = stream_queries(as_alice)
    assert html.count('<article class="post"') == 20
    assert f"post {POSTS - 1} by friend" in html  # the newest first
    assert "@friend199@far.example" in html  # remote people appear with their pod's domain
    assert 'rel="next"' in html
    assert with_many == with_one, f"{with_one} queries with one post, {with_many} with {POSTS}"
