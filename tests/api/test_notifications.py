"""Notifications: Kith's kinds as Mastodon's types, filters by type and account, paging,
single reads, dismiss and clear, the unread count, and visibility of what they are about."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.graph import services as graph
from kith.messaging import selectors as conversation_selectors
from kith.messaging import services as messaging
from kith.social import services
from kith.social.models import Visibility
from kith.timelines.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def listed(client, params: dict | None = None) -> list[dict]:
    status, body = client.get("/api/v1/notifications", params)
    assert status == 200
    return body


def summary(body: list[dict]) -> list[tuple[str, str, str | None]]:
    """(type, account id, status id) of each notification, newest first."""
    return [(n["type"], n["account"]["id"], n["status"]["id"] if n["status"] else None) for n in body]


def test_each_kind_becomes_its_mastodon_type_with_its_status(api_as, alice, bob, carol, dave):
    post = services.publish_post(alice, "alice writes")
    mention = services.publish_post(bob, "hello @alice")
    comment = services.add_comment(bob, post, "a comment")
    services.like(carol, post=post)
    services.like(carol, comment=services.add_comment(alice, post, "alice replies"))
    reshare = services.reshare(dave, post)
    graph.follow(dave, alice)
    factories.aspect(carol, "friends", alice)  # carol starts sharing with alice
    conversation = messaging.start_conversation(bob, [alice], "subject", "a private message")
    [message] = conversation_selectors.messages_in(conversation, alice)

    body = listed(api_as(alice))
    liked_comment = Notification.objects.get(recipient=alice, kind="liked", comment__isnull=False).comment_id
    assert summary(body) == [
        ("mention", str(bob.id), str(message.post_id)),  # a message is a direct status
        ("follow", str(carol.id), None),
        ("follow", str(dave.id), None),
        ("reblog", str(dave.id), str(post.id)),
        ("favourite", str(carol.id), str(liked_comment)),
        ("favourite", str(carol.id), str(post.id)),
        ("mention", str(bob.id), str(comment.id)),
        ("mention", str(bob.id), str(mention.id)),
    ]
    assert str(reshare.id) not in {n["status"]["id"] for n in body if n["status"]}
    assert body[0]["status"]["visibility"] == "direct"
    commented = body[6]
    assert commented["status"]["in_reply_to_id"] == str(post.id)
    assert commented["group_key"] == f"ungrouped-{commented['id']}"
    assert commented["created_at"].endswith("Z")
    assert commented["account"]["acct"] == "bob"


def test_also_commented_and_follow_requests(api_as, alice, bob, carol):
    post = services.publish_post(carol, "carol writes")
    services.add_comment(alice, post, "alice was here")
    reply = services.add_comment(bob, post, "bob too")
    locked = factories.person("locked", locked=True)
    graph.follow(alice, locked)
    assert summary(listed(api_as(alice))) == [("mention", str(bob.id), str(reply.id))]
    assert summary(listed(api_as(locked))) == [("follow_request", str(alice.id), None)]


def test_types_exclude_types_and_account_id(api_as, alice, bob, carol):
    post = services.publish_post(alice, "alice writes")
    services.like(bob, post=post)
    services.add_comment(carol, post, "carol comments")
    graph.follow(bob, alice)
    client = api_as(alice)
    assert [n["type"] for n in listed(client, {"types[]": ["favourite", "follow"]})] == ["follow", "favourite"]
    assert [n["type"] for n in listed(client, {"exclude_types[]": ["follow", "favourite"]})] == ["mention"]
    assert [n["type"] for n in listed(client, {"account_id": bob.id})] == ["follow", "favourite"]
    assert listed(client, {"types[]": "update"}) == []  # a type Kith never sends


def test_paging_with_link_headers(api_as, alice):
    post = services.publish_post(alice, "popular")
    likers = [factories.person() for _ in range(5)]
    for person in likers:
        services.like(person, post=post)
    client = api_as(alice)
    first = listed(client, {"limit": 2})
    assert [n["account"]["id"] for n in first] == [str(likers[4].id), str(likers[3].id)]
    assert f"max_id={first[1]['id']}" in client.last["Link"]
    older = listed(client, {"limit": 2, "max_id": first[1]["id"]})
    assert [n["account"]["id"] for n in older] == [str(likers[2].id), str(likers[1].id)]


def test_get_one_dismiss_and_clear(api_as, alice, bob):
    post = services.publish_post(alice, "alice writes")
    services.like(bob, post=post)
    graph.follow(bob, alice)
    client = api_as(alice)
    follow, like = listed(client)
    status, one = client.get(f"/api/v1/notifications/{like['id']}")
    assert status == 200
    assert one == like
    assert api_as(bob).get(f"/api/v1/notifications/{like['id']}")[0] == 404
    assert api_as(bob).post(f"/api/v1/notifications/{like['id']}/dismiss")[0] == 200
    assert len(listed(client)) == 2  # someone else's dismiss changes nothing
    assert client.post(f"/api/v1/notifications/{like['id']}/dismiss") == (200, {})
    assert [n["id"] for n in listed(client)] == [follow["id"]]
    assert client.get(f"/api/v1/notifications/{like['id']}")[0] == 404
    assert client.post("/api/v1/notifications/clear") == (200, {})
    assert listed(client) == []


def test_a_message_is_a_mention_only_its_participants_get(api_as, alice, bob, carol):
    conversation = messaging.start_conversation(bob, [alice], "subject", "a private message")
    row = Notification.objects.get(recipient=alice)
    [notification] = listed(api_as(alice))
    assert notification["type"] == "mention"
    assert notification["status"]["id"] == str(row.post_id)
    assert api_as(alice).get("/api/v1/notifications/unread_count")[1] == {"count": 1}
    assert api_as(carol).get(f"/api/v1/notifications/{row.id}")[0] == 404
    # Once bob is blocked, his message and its notification are gone from alice's API.
    graph.block(alice, bob)
    assert listed(api_as(alice)) == []
    assert conversation.id not in {c.id for c in conversation_selectors.conversations_for(alice)}


def test_unread_count_with_limit_types_and_the_marker(api_as, alice, bob, carol):
    post = services.publish_post(alice, "alice writes")
    services.like(bob, post=post)
    services.like(carol, post=post)
    graph.follow(bob, alice)
    client = api_as(alice)
    assert client.get("/api/v1/notifications/unread_count")[1] == {"count": 3}
    assert client.get("/api/v1/notifications/unread_count", {"limit": 2})[1] == {"count": 2}
    assert client.get("/api/v1/notifications/unread_count", {"types[]": "favourite"})[1] == {"count": 2}
    assert client.get("/api/v1/notifications/unread_count", {"exclude_types[]": "favourite"})[1] == {"count": 1}
    assert client.get("/api/v1/notifications/unread_count", {"account_id": bob.id})[1] == {"count": 2}
    # Reading up to the second newest (the notifications marker) leaves one unread.
    second_newest = listed(client)[1]["id"]
    client.post("/api/v1/markers", {"notifications": {"last_read_id": second_newest}})
    assert client.get("/api/v1/notifications/unread_count")[1] == {"count": 1}
    assert api_as(alice, scopes="write").get("/api/v1/notifications/unread_count")[0] == 403


def test_a_limited_post_keeps_its_audience_and_a_block_hides_the_notification(api_as, alice, bob):
    close = factories.aspect(bob, "close", alice)
    post = services.publish_post(bob, "for close friends, @alice", visibility=Visibility.LIMITED, aspect_ids=[close.id])
    client = api_as(alice)
    mentions = {"types[]": "mention"}  # being put in bob's aspect also told her he shares with her
    assert summary(listed(client, mentions)) == [("mention", str(bob.id), str(post.id))]
    # Out of the aspect now: the post's audience was fixed when it was published, so she still sees it.
    graph.remove_from_aspect(bob, close, alice)
    assert summary(listed(client, mentions)) == [("mention", str(bob.id), str(post.id))]
    note_id = listed(client, mentions)[0]["id"]
    # A block hides the post, and with it the notification: nothing about the post is served.
    graph.block(bob, alice)
    assert listed(client) == []
    assert client.get(f"/api/v1/notifications/{note_id}")[0] == 404
    assert client.get("/api/v1/notifications/unread_count")[1] == {"count": 0}


def test_a_notification_about_a_post_the_viewer_cannot_see_is_not_served(api_as, alice, bob, carol):
    # A notification row whose post is outside the recipient's audience (written by a bug, or
    # a federation race) must not leak the post: it is dropped, not rendered.
    others = factories.aspect(bob, "others", carol)
    hidden = services.publish_post(bob, "not for alice", visibility=Visibility.LIMITED, aspect_ids=[others.id])
    row = Notification.objects.create(recipient=alice, kind="mentioned", actor=bob, post=hidden)
    client = api_as(alice)
    assert listed(client) == []
    assert client.get(f"/api/v1/notifications/{row.id}")[0] == 404


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        status, _ = client.get("/api/v1/notifications")
    assert status == 200
    return len(captured.captured_queries)


def test_notifications_cost_the_same_queries_for_one_or_twenty(api_as, alice, bob):
    # A like of a post and a comment: the two kinds of status a page can hold (each kind
    # loads its rows in a fixed number of queries; more rows of it add none).
    post = services.publish_post(alice, "alice writes")
    services.add_comment(bob, post, "first")
    services.like(bob, post=post)
    client = api_as(alice)
    assert len(listed(client)) == 2
    one = _queries(client)
    people = [factories.person() for _ in range(6)]
    for person in people:
        services.like(person, post=post)
        services.add_comment(person, services.publish_post(alice, "another"), "a comment")
        graph.follow(person, alice)
    services.reshare(people[0], post)
    services.publish_post(people[1], "hi @alice")
    assert len(listed(client)) == 20
    assert _queries(client) == one
