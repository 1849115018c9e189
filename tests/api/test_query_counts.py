"""Hot endpoints run a constant number of queries, whatever a page holds.

A page's queries must not grow with its items: entities are rendered per page, never
per item.  Some queries run only when a page holds a kind of thing at all (poll options
of reshared posts besides those of posts, comments behind notifications), so the small
page is the newest few items holding ONE of every kind (a reshare of a rich post, a
rich post, a comment ...), and the large page is twenty items with many of each:
reshares (reblogs), photos, polls, mentions, tags, comments, likes.  Both must cost
exactly the same number of queries.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.graph import services as graph
from kith.social import services
from kith.timelines.models import Notification
from tests import factories
from tests.api.conftest import ApiClient
from tests.api.richdata import rich_posts

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = 20


def _shape(sql: str) -> str:
    """A query with its literal values taken out, so the same query for other ids compares equal."""
    sql = re.sub(r"IN \([^)]*\)", "IN (...)", sql)
    sql = re.sub(r"'[^']*'", "?", sql)
    return re.sub(r"\b\d+\b", "?", sql)[:400]


def count_queries(client: ApiClient, path: str, params: dict) -> tuple[list[str], list]:
    client.get(path, params)  # warm-up: per-process caches (content types, settings) are not the page's cost
    with CaptureQueriesContext(connection) as captured:
        status, body = client.get(path, params)
    assert status == 200, body
    return [_shape(query["sql"]) for query in captured.captured_queries], body


def assert_constant(client: ApiClient, path: str, kinds: int) -> None:
    """`kinds`: how many of the newest items it takes to hold one of every kind."""
    single, _ = count_queries(client, path, {"limit": 1})
    small, first = count_queries(client, path, {"limit": kinds})
    large, page = count_queries(client, path, {"limit": PAGE})
    assert len(first) == kinds
    assert len(page) == PAGE, f"{path}: the large page should be full, it holds {len(page)}"
    print(f"{path}: {len(single)} queries for 1 item, {len(small)} for {kinds} (one of each kind),"  # noqa: T201
          f" {len(large)} for {PAGE}")
    extra = Counter(large) - Counter(small)
    missing = Counter(small) - Counter(large)
    assert len(large) == len(small), (
        f"{path}: {len(small)} queries for {kinds} items but {len(large)} for {PAGE}; only with {PAGE}:\n"
        + "\n".join(f"{n} x {q}" for q, n in extra.items())
        + f"\nonly with {kinds}:\n" + "\n".join(f"{n} x {q}" for q, n in missing.items())
    )


@pytest.fixture
def people():
    alice, bob, carol, dave = (factories.person(name) for name in ("alice", "bob", "carol", "dave"))
    graph.follow(alice, bob)
    graph.follow(alice, carol)
    return alice, bob, carol, dave


def test_home_timeline_costs_the_same_for_one_item_and_a_rich_page(people):
    alice, bob, carol, dave = people
    rich = rich_posts(carol, [bob, dave, alice], 7)  # bob reshares some of carol's posts: reblogs
    rich_posts(bob, [carol, dave], 5)
    services.add_comment(alice, rich.posts[0], "alice was here")
    services.like(alice, post=rich.posts[1])
    services.reshare(alice, rich.posts[2])
    services.bookmark(alice, rich.posts[3])
    # The newest two: a rich post and a reblog of another.
    services.reshare(bob, rich_posts(dave, [carol], 1).posts[0])
    rich_posts(bob, [carol], 1)
    assert_constant(ApiClient(alice), "/api/v1/timelines/home", 2)


def test_notifications_cost_the_same_for_one_and_a_page_of_every_kind(people):
    alice, bob, carol, dave = people
    # mentions, comments, likes and reshares of alice's rich posts, follows
    mine = rich_posts(alice, [bob, carol], 3)
    for _ in mine.posts:
        services.publish_post(carol, f"@{alice.username} look at #kithtest")
    graph.follow(bob, alice)
    graph.follow(carol, alice)
    own_comment = services.add_comment(alice, mine.posts[1], "alice's own comment")
    # The newest: one notification of each kind, dave's doing.
    before = Notification.objects.filter(recipient=alice).count()
    graph.follow(dave, alice)
    services.publish_post(dave, f"@{alice.username} a mention #kithtest")
    comment = services.add_comment(dave, mine.posts[0], f"@{alice.username} a comment")
    services.add_comment(alice, mine.posts[0], "an answer", parent=comment)
    services.like(dave, post=mine.posts[1])
    services.like(dave, comment=own_comment)
    services.reshare(dave, mine.posts[2])
    kinds = Notification.objects.filter(recipient=alice).count() - before
    assert_constant(ApiClient(alice), "/api/v1/notifications", kinds)


def test_account_statuses_cost_the_same_for_one_and_a_rich_page(people):
    alice, bob, carol, dave = people
    theirs = rich_posts(carol, [dave], 8)
    for post in theirs.posts[:-1]:
        services.reshare(bob, post)  # reblogs on bob's page
    mine = rich_posts(bob, [carol, dave, alice], 12)
    services.like(alice, post=mine.posts[0])
    services.bookmark(alice, mine.posts[1])
    services.pin(bob, mine.posts[2])
    # The newest two: a reblog of a rich post and a rich post.
    services.reshare(bob, theirs.posts[-1])
    rich_posts(bob, [carol], 1)
    assert_constant(ApiClient(alice), f"/api/v1/accounts/{bob.id}/statuses", 2)
