"""Pages render in a fixed number of queries whatever the amount of data (no N+1).

Each test measures a page with a little data, adds much more of every kind the
page shows (reshares, polls, photos, likes, replies, other authors), and asserts
the page still takes no more queries than the first time.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from kith.graph.services import follow
from kith.social import services
from kith.social.media import upload_media
from kith.social.models import Visibility
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

# Generous absolute ceilings; the real check is that counts do not grow with data.
MAX_QUERIES = 30


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def photo(owner):
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 90, 200)).save(out, format="PNG")
    return upload_media(owner, SimpleUploadedFile("p.png", out.getvalue()), "a blue square").id


def varied_posts(authors, viewer, how_many: int, resharing_from=None) -> None:
    """Plain, limited, polled, illustrated and reshared posts, liked and commented on."""
    for number in range(how_many):
        author = authors[number % len(authors)]
        kind = number % 5
        if kind == 0:
            post = services.publish_post(author, f"plain {number} #bulk")
        elif kind == 1:
            post = services.publish_post(author, f"limited {number}", visibility=Visibility.LIMITED, person_ids=[viewer.id])
        elif kind == 2:
            post = services.publish_post(author, f"poll {number} #bulk", poll=services.PollDraft(["yes", "no"]))
            services.vote(viewer, post, [0])
        elif kind == 3:
            post = services.publish_post(author, f"photo {number} #bulk", media_ids=[photo(author)], content_warning="cw")
        else:
            original = services.publish_post(resharing_from or authors[(number + 1) % len(authors)], f"original {number} #bulk")
            post = services.reshare(author, original)
        services.like(viewer, post=post.reshare_of or post)
        services.add_comment(viewer, post.reshare_of or post, "a comment")


@pytest.fixture
def world(alice, bob, carol):
    """Alice follows bob and carol, who post all kinds of things."""
    follow(alice, bob)
    follow(alice, carol)
    factories.aspect(alice, "Friends", bob)
    return [bob, carol]


def assert_constant(client, url, grow, django_assert_max_num_queries) -> None:
    few = count_queries(client, url)
    assert few <= MAX_QUERIES, f"{url}: {few} queries"
    grow()
    with django_assert_max_num_queries(few):
        client.get(url)


def test_stream(alice, world, as_alice, django_assert_max_num_queries):
    varied_posts(world, alice, 5)
    assert_constant(as_alice, "/", lambda: varied_posts(world, alice, 40), django_assert_max_num_queries)


def test_public_and_tag_pages(alice, world, as_alice, django_assert_max_num_queries):
    varied_posts(world, alice, 5)
    for url in ("/public", "/tags/bulk"):
        assert_constant(as_alice, url, lambda: varied_posts(world, alice, 15), django_assert_max_num_queries)


def test_post_page_with_many_comments(alice, bob, carol, as_alice, django_assert_max_num_queries):
    post = services.publish_post(alice, "discuss", poll=services.PollDraft(["a", "b"]))

    def comments(how_many: int) -> None:
        for number in range(how_many):
            author = (bob, carol)[number % 2]
            parent = services.add_comment(author, post, f"comment {number}")
            services.like(alice, comment=parent)
            services.add_comment(alice, post, f"reply {number}", parent=parent)
            services.like(author, post=post)

    comments(3)  # 6 comments
    assert_constant(as_alice, f"/posts/{post.id}", lambda: comments(22), django_assert_max_num_queries)  # 50


def test_profile_page(alice, world, as_alice, django_assert_max_num_queries):
    bob, carol = world
    varied_posts([bob], alice, 5, resharing_from=carol)

    def grow() -> None:
        varied_posts([bob], alice, 40, resharing_from=carol)

    assert_constant(as_alice, "/@bob", grow, django_assert_max_num_queries)


def test_search_page(alice, world, as_alice, django_assert_max_num_queries):
    varied_posts(world, alice, 5)

    def grow() -> None:
        varied_posts(world, alice, 25)
        for number in range(10):
            factories.person(f"bulkperson{number}")

    assert_constant(as_alice, "/search?q=bulk", grow, django_assert_max_num_queries)


def test_notifications_and_conversations(alice, bob, carol, as_alice, django_assert_max_num_queries):
    from kith.messaging.services import start_conversation

    def grow(how_many: int) -> None:
        for number in range(how_many):
            post = services.publish_post(alice, f"note {number}")
            services.add_comment(bob, post, "hi")
            services.like(carol, post=post)
            start_conversation(bob, [alice, carol], f"subject {number}", "text")

    grow(2)
    assert_constant(as_alice, "/notifications", lambda: grow(10), django_assert_max_num_queries)
    assert_constant(as_alice, "/conversations", lambda: grow(10), django_assert_max_num_queries)


def test_limited_authors_cost_no_query_per_post(alice, world, as_alice):
    """kith.visibility rule 15 is an EXISTS on Follow inside the statements the list pages
    already run (posts, comments and their counts, notifications): limiting the authors and
    commenters of a page adds no query to it.  A single post's page asks the one-post predicate,
    which probes Follow once for a limited author: twice on the post page (may see it, may
    reshare it).  Search finds nothing of theirs, so it loads less."""
    from kith.people.services import set_limited

    bob, carol = world
    varied_posts(world, alice, 10)
    post = services.publish_post(bob, "discuss")
    for number in range(4):
        services.add_comment((bob, carol)[number % 2], post, f"comment {number}")
    lists = ("/", "/@bob", "/notifications")
    before = {url: count_queries(as_alice, url) for url in (*lists, f"/posts/{post.id}", "/search?q=bulk")}
    set_limited(None, bob, True)
    set_limited(None, carol, True)
    assert {url: count_queries(as_alice, url) for url in lists} == {url: before[url] for url in lists}
    assert count_queries(as_alice, f"/posts/{post.id}") == before[f"/posts/{post.id}"] + 2
    assert count_queries(as_alice, "/search?q=bulk") <= before["/search?q=bulk"]
