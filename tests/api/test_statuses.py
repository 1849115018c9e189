"""Statuses through the client API: posting with each visibility, replies and threads, edits,
favourites, reshares, bookmarks, pins, scheduled statuses and the Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.graph import services as graph
from kith.social import drafts, services
from kith.social.models import Comment, Post, ScheduledPost, Visibility
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _create(client, data, *, form=False, **extra):
    return client.post("/api/v1/statuses", data, form=form, **extra)


# ---- posting and visibility -----------------------------------------------------------------


@pytest.mark.parametrize("form", [True, False], ids=["form", "json"])
def test_post_a_public_status(api_as, alice, form):
    status, body = _create(api_as(alice), {"status": "Hello #kith", "spoiler_text": "greeting", "language": "en"},
                           form=form)
    assert status == 200, body
    post = Post.objects.get(id=int(body["id"]))
    assert post.visibility == Visibility.PUBLIC
    assert post.source == "Hello #kith"
    assert body["visibility"] == "public"
    assert body["spoiler_text"] == "greeting"
    assert body["sensitive"] is True
    assert body["language"] == "en"
    assert [t["name"] for t in body["tags"]] == ["kith"]
    assert api_as(None).get(f"/api/v1/statuses/{post.id}")[0] == 200


def test_json_nulls_mean_not_given(api_as, alice):
    status, body = _create(api_as(alice), {"status": "nulls", "media_ids": None, "spoiler_text": None,
                                           "in_reply_to_id": None, "poll": None, "sensitive": None,
                                           "scheduled_at": None, "visibility": None})
    assert status == 200, body
    assert body["visibility"] == "public"


def test_unlisted_maps_to_unlisted(api_as, alice):
    _, body = _create(api_as(alice), {"status": "quiet", "visibility": "unlisted"}, form=True)
    assert Post.objects.get(id=int(body["id"])).visibility == Visibility.UNLISTED
    assert body["visibility"] == "unlisted"


def test_private_reaches_followers_and_aspect_members_only(api_as, alice, bob, carol, dave):
    factories.aspect(alice, "Friends", bob)
    graph.follow(dave, alice)
    _, body = _create(api_as(alice), {"status": "followers only", "visibility": "private"}, form=True)
    post = Post.objects.get(id=int(body["id"]))
    assert post.visibility == Visibility.LIMITED
    assert body["visibility"] == "private"
    assert api_as(bob).get(f"/api/v1/statuses/{post.id}")[0] == 200
    assert api_as(dave).get(f"/api/v1/statuses/{post.id}")[0] == 200
    assert api_as(carol).get(f"/api/v1/statuses/{post.id}")[0] == 404
    assert api_as(None).get(f"/api/v1/statuses/{post.id}")[0] == 404


def test_direct_reaches_the_mentioned_only(api_as, alice, bob, carol):
    _, body = _create(api_as(alice), {"status": "hi @bob", "visibility": "direct"})
    post = Post.objects.get(id=int(body["id"]))
    assert post.visibility == Visibility.DIRECT
    assert body["visibility"] == "direct"
    assert api_as(bob).get(f"/api/v1/statuses/{post.id}")[0] == 200
    assert api_as(carol).get(f"/api/v1/statuses/{post.id}")[0] == 404


@pytest.mark.parametrize("form", [True, False], ids=["form", "json"])
def test_kith_aspect_ids_limit_to_those_aspects(api_as, alice, bob, carol, form):
    family = factories.aspect(alice, "Family", bob)
    factories.aspect(alice, "Work", carol)
    status, body = _create(api_as(alice), {"status": "family news", "kith_aspect_ids[]" if form else "kith_aspect_ids":
                                           [str(family.id)]}, form=form)
    assert status == 200, body
    post = Post.objects.get(id=int(body["id"]))
    assert post.visibility == Visibility.LIMITED
    assert api_as(bob).get(f"/api/v1/statuses/{post.id}")[0] == 200
    assert api_as(carol).get(f"/api/v1/statuses/{post.id}")[0] == 404


def test_someone_elses_aspect_is_refused(api_as, alice, bob):
    theirs = factories.aspect(bob, "Bob's")
    status, body = _create(api_as(alice), {"status": "x", "kith_aspect_ids": [theirs.id]})
    assert status == 422
    assert "aspect" in body["error"]
    assert not Post.objects.filter(author=alice).exists()


def test_unknown_visibility_and_empty_status_are_422(api_as, alice):
    assert _create(api_as(alice), {"status": "x", "visibility": "everyone"})[0] == 422
    assert _create(api_as(alice), {"status": ""})[0] == 422


def test_posting_needs_write_scope(api_as, alice):
    assert _create(api_as(alice, scopes="read"), {"status": "x"})[0] == 403
    assert _create(api_as(None), {"status": "x"})[0] == 401


# ---- idempotency -------------------------------------------------------------------------------


def test_same_idempotency_key_returns_the_same_status(api_as, alice):
    client = api_as(alice)
    first = _create(client, {"status": "once"}, headers={"Idempotency-Key": "abc"})
    again = _create(client, {"status": "once"}, headers={"Idempotency-Key": "abc"})
    assert first[0] == again[0] == 200
    assert first[1]["id"] == again[1]["id"]
    assert Post.objects.filter(author=alice).count() == 1
    other = _create(client, {"status": "once"}, headers={"Idempotency-Key": "def"})
    assert other[1]["id"] != first[1]["id"]


def test_idempotency_keys_are_per_account_and_expire(api_as, alice, bob):
    from kith.social.models import PublishKey

    _, mine = _create(api_as(alice), {"status": "a"}, headers={"Idempotency-Key": "k"})
    _, theirs = _create(api_as(bob), {"status": "b"}, headers={"Idempotency-Key": "k"})
    assert mine["id"] != theirs["id"]
    PublishKey.objects.filter(person=alice).update(created_at=datetime.now(UTC) - timedelta(hours=2))
    _, later = _create(api_as(alice), {"status": "a"}, headers={"Idempotency-Key": "k"})
    assert later["id"] != mine["id"]


def test_a_failed_post_does_not_use_up_the_key(api_as, alice):
    client = api_as(alice)
    assert _create(client, {"status": ""}, headers={"Idempotency-Key": "k"})[0] == 422
    status, body = _create(client, {"status": "now with text"}, headers={"Idempotency-Key": "k"})
    assert status == 200
    assert "now with text" in body["content"]


# ---- replies and threads --------------------------------------------------------------------------


def test_replies_to_posts_and_comments_and_the_context(api_as, alice, bob, carol):
    post = services.publish_post(alice, "root")
    # (A direct reply would be private: a conversation, tests/api/test_conversations.py.)
    _, reply = _create(api_as(bob), {"status": "first reply", "in_reply_to_id": str(post.id),
                                     "visibility": "private"}, form=True)
    assert reply["in_reply_to_id"] == str(post.id)
    assert reply["in_reply_to_account_id"] == str(alice.id)
    assert reply["visibility"] == "public"  # a reply's visibility is its post's
    comment = Comment.objects.get(id=int(reply["id"]))
    assert comment.post_id == post.id
    assert comment.parent_id is None
    _, nested = _create(api_as(carol), {"status": "reply to reply", "in_reply_to_id": reply["id"]})
    assert nested["in_reply_to_id"] == reply["id"]
    assert Comment.objects.get(id=int(nested["id"])).parent_id == comment.id
    _, other = _create(api_as(alice), {"status": "second reply", "in_reply_to_id": str(post.id)})

    _, context = api_as(None).get(f"/api/v1/statuses/{post.id}/context")
    assert context["ancestors"] == []
    assert [s["id"] for s in context["descendants"]] == [reply["id"], nested["id"], other["id"]]

    _, context = api_as(None).get(f"/api/v1/statuses/{nested['id']}/context")
    assert [s["id"] for s in context["ancestors"]] == [str(post.id), reply["id"]]
    assert context["descendants"] == []

    _, context = api_as(alice).get(f"/api/v1/statuses/{reply['id']}/context")
    assert [s["id"] for s in context["ancestors"]] == [str(post.id)]
    assert [s["id"] for s in context["descendants"]] == [nested["id"]]


def test_reply_to_a_limited_post_stays_in_its_audience(api_as, alice, bob, carol):
    family = factories.aspect(alice, "Family", bob)
    post = services.publish_post(alice, "family", visibility=Visibility.LIMITED, aspect_ids=[family.id])
    status, reply = _create(api_as(bob), {"status": "for the family", "in_reply_to_id": post.id})
    assert status == 200
    assert reply["visibility"] == "private"
    assert api_as(carol).get(f"/api/v1/statuses/{reply['id']}")[0] == 404
    assert _create(api_as(carol), {"status": "me too", "in_reply_to_id": post.id})[0] == 404


def test_context_hides_comments_of_blocked_people(api_as, alice, bob, carol):
    post = services.publish_post(alice, "root")
    blocked = services.add_comment(bob, post, "from bob")
    services.add_comment(carol, post, "from carol")
    graph.block(carol, bob)
    _, context = api_as(carol).get(f"/api/v1/statuses/{post.id}/context")
    assert str(blocked.id) not in [s["id"] for s in context["descendants"]]
    assert len(context["descendants"]) == 1


def test_context_costs_the_same_for_one_comment_or_many(api_as, alice, bob, carol):
    post = services.publish_post(alice, "root")
    first = services.add_comment(bob, post, "one")
    client = api_as(carol)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/statuses/{post.id}/context")[0] == 200
        return len(queries)

    few = count()
    for n in range(6):
        services.add_comment(carol if n % 2 else bob, post, f"more {n}", parent=first if n % 3 else None)
    assert count() == few


# ---- batch, delete, edit, history, source ---------------------------------------------------------


def test_batch_get_skips_hidden_statuses(api_as, alice, bob, carol):
    family = factories.aspect(alice, "Family", bob)
    public = services.publish_post(alice, "public")
    hidden = services.publish_post(alice, "family", visibility=Visibility.LIMITED, aspect_ids=[family.id])
    comment = services.add_comment(bob, public, "nice")
    _, body = api_as(carol).get("/api/v1/statuses", {"id[]": [comment.id, hidden.id, public.id, 12345]})
    assert [s["id"] for s in body] == [str(comment.id), str(public.id)]
    _, body = api_as(bob).get("/api/v1/statuses", {"id[]": [hidden.id]})
    assert [s["id"] for s in body] == [str(hidden.id)]


def test_delete_returns_the_source_for_redraft(api_as, alice, bob):
    post = services.publish_post(alice, "say *this*")
    assert api_as(bob).delete(f"/api/v1/statuses/{post.id}")[0] == 404
    status, body = api_as(alice).delete(f"/api/v1/statuses/{post.id}")
    assert status == 200
    assert body["text"] == "say *this*"
    assert not Post.objects.filter(id=post.id).exists()
    assert api_as(alice).get(f"/api/v1/statuses/{post.id}")[0] == 404


def test_delete_a_comment(api_as, alice, bob, carol):
    post = services.publish_post(alice, "root")
    comment = services.add_comment(bob, post, "oops")
    assert api_as(carol).delete(f"/api/v1/statuses/{comment.id}")[0] == 404
    status, body = api_as(bob).delete(f"/api/v1/statuses/{comment.id}")
    assert status == 200
    assert body["text"] == "oops"
    assert not Comment.objects.filter(id=comment.id).exists()


@pytest.mark.parametrize("form", [True, False], ids=["form", "json"])
def test_edit_and_history(api_as, alice, bob, form):
    client = api_as(alice)
    _, created = _create(client, {"status": "first"})
    status, edited = client.put(f"/api/v1/statuses/{created['id']}", {"status": "second", "spoiler_text": "cw"},
                                form=form)
    assert status == 200, edited
    assert "second" in edited["content"]
    assert edited["spoiler_text"] == "cw"
    assert edited["edited_at"] is not None
    client.put(f"/api/v1/statuses/{created['id']}", {"status": "third"}, form=form)
    _, history = api_as(None).get(f"/api/v1/statuses/{created['id']}/history")
    assert ["first" in h["content"] for h in history] == [True, False, False]
    assert ["third" in h["content"] for h in history] == [False, False, True]
    assert [h["spoiler_text"] for h in history] == ["", "cw", ""]
    assert history[0]["account"]["id"] == str(alice.id)
    _, source = client.get(f"/api/v1/statuses/{created['id']}/source")
    assert source == {"id": created["id"], "text": "third", "spoiler_text": ""}
    assert api_as(bob).put(f"/api/v1/statuses/{created['id']}", {"status": "mine now"})[0] == 404
    assert api_as(bob).get(f"/api/v1/statuses/{created['id']}/source")[0] == 404


def test_history_of_an_unedited_status_is_its_current_version(api_as, alice):
    post = services.publish_post(alice, "just once")
    _, history = api_as(None).get(f"/api/v1/statuses/{post.id}/history")
    assert len(history) == 1
    assert "just once" in history[0]["content"]


def test_edit_a_comment(api_as, alice, bob):
    post = services.publish_post(alice, "root")
    comment = services.add_comment(bob, post, "tpyo")
    status, body = api_as(bob).put(f"/api/v1/statuses/{comment.id}", {"status": "typo"})
    assert status == 200
    assert "typo" in body["content"]
    _, history = api_as(alice).get(f"/api/v1/statuses/{comment.id}/history")
    assert ["tpyo" in h["content"] for h in history] == [True, False]


def test_edit_replaces_the_poll_and_resets_votes(api_as, alice, bob):
    post = services.publish_post(alice, "q", poll=services.PollDraft(options=("a", "b")))
    services.vote(bob, post, [0])
    client = api_as(alice)
    _, same = client.put(f"/api/v1/statuses/{post.id}", {"status": "q?", "poll": {"options": ["a", "b"],
                                                                                  "expires_in": 3600}})
    assert same["poll"]["votes_count"] == 1
    _, changed = client.put(f"/api/v1/statuses/{post.id}", {"status": "q?", "poll": {"options": ["a", "c"],
                                                                                     "expires_in": 3600}})
    assert [o["title"] for o in changed["poll"]["options"]] == ["a", "c"]
    assert changed["poll"]["votes_count"] == 0
    _, history = api_as(None).get(f"/api/v1/statuses/{post.id}/history")
    assert history[0]["poll"] == {"options": [{"title": "a"}, {"title": "b"}]}
    _, removed = client.put(f"/api/v1/statuses/{post.id}", {"status": "no poll"})
    assert removed["poll"] is None


# ---- favourites, reshares, bookmarks, pins --------------------------------------------------------


def test_favourite_and_unfavourite_posts_and_comments(api_as, alice, bob):
    post = services.publish_post(alice, "like me")
    comment = services.add_comment(alice, post, "and me")
    client = api_as(bob)
    _, body = client.post(f"/api/v1/statuses/{post.id}/favourite")
    assert body["favourited"] is True
    assert body["favourites_count"] == 1
    _, body = client.post(f"/api/v1/statuses/{comment.id}/favourite")
    assert body["favourited"] is True
    assert body["favourites_count"] == 1
    assert client.get(f"/api/v1/statuses/{post.id}")[1]["favourited"] is True
    _, body = client.post(f"/api/v1/statuses/{post.id}/unfavourite")
    assert body["favourited"] is False
    assert body["favourites_count"] == 0
    _, body = client.post(f"/api/v1/statuses/{comment.id}/unfavourite")
    assert body["favourited"] is False


def test_reblog_a_public_post(api_as, alice, bob, carol):
    post = services.publish_post(alice, "share me")
    status, body = api_as(bob).post(f"/api/v1/statuses/{post.id}/reblog")
    assert status == 200
    assert body["reblog"]["id"] == str(post.id)
    assert body["account"]["id"] == str(bob.id)
    assert body["reblog"]["reblogged"] is True
    assert api_as(bob).get(f"/api/v1/statuses/{post.id}")[1]["reblogged"] is True
    _, accounts = api_as(carol).get(f"/api/v1/statuses/{post.id}/reblogged_by")
    assert [a["id"] for a in accounts] == [str(bob.id)]
    _, body = api_as(bob).post(f"/api/v1/statuses/{post.id}/unreblog")
    assert body["id"] == str(post.id)
    assert body["reblogged"] is False
    assert not Post.objects.filter(reshare_of=post).exists()


def test_reblog_of_a_limited_post_or_a_comment_is_refused(api_as, alice, bob):
    family = factories.aspect(alice, "Family", bob)
    limited = services.publish_post(alice, "family", visibility=Visibility.LIMITED, aspect_ids=[family.id])
    status, body = api_as(bob).post(f"/api/v1/statuses/{limited.id}/reblog")
    assert status == 422
    assert "public" in body["error"]
    comment = services.add_comment(alice, services.publish_post(alice, "root"), "a comment")
    status, body = api_as(bob).post(f"/api/v1/statuses/{comment.id}/reblog")
    assert status == 422
    assert "comments" in body["error"]
    assert not Post.objects.filter(author=bob).exists()


def test_bookmarks_list_pages_and_hides_what_is_no_longer_visible(api_as, alice, bob):
    made = [services.publish_post(alice, f"post {n}") for n in range(3)]
    client = api_as(bob)
    for post in made:
        _, body = client.post(f"/api/v1/statuses/{post.id}/bookmark")
        assert body["bookmarked"] is True
    status, first = client.get("/api/v1/bookmarks", {"limit": 2})
    assert [s["id"] for s in first] == [str(made[2].id), str(made[1].id)]
    assert "max_id=" in client.last["Link"]
    next_url = client.last["Link"].split(";")[0].strip("<>")
    _, rest = client.get(next_url.replace("http://testserver", ""))
    assert [s["id"] for s in rest] == [str(made[0].id)]
    graph.block(alice, bob)
    assert client.get("/api/v1/bookmarks")[1] == []
    graph.unblock(alice, bob)
    _, body = client.post(f"/api/v1/statuses/{made[0].id}/unbookmark")
    assert body["bookmarked"] is False
    assert len(client.get("/api/v1/bookmarks")[1]) == 2


def test_bookmarks_and_favourites_cost_the_same_for_one_or_many(api_as, alice, bob, carol):
    client = api_as(bob)

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path)[0] == 200
        return len(queries)

    def add(n: int) -> None:
        for i in range(n):
            author = alice if i % 2 else carol
            post = services.publish_post(author, f"post {i}", poll=services.PollDraft(options=("a", "b"))
                                         if i % 3 == 0 else None)
            services.bookmark(bob, post)
            services.like(bob, post=post)
            services.like(bob, comment=services.add_comment(author, post, "c"))

    add(1)
    one_bookmark, one_favourite = count("/api/v1/bookmarks"), count("/api/v1/favourites")
    add(6)
    assert count("/api/v1/bookmarks") == one_bookmark
    assert count("/api/v1/favourites") == one_favourite


def test_favourites_list_posts_and_comments_newest_like_first(api_as, alice, bob):
    post = services.publish_post(alice, "p")
    comment = services.add_comment(alice, post, "c")
    client = api_as(bob)
    client.post(f"/api/v1/statuses/{post.id}/favourite")
    client.post(f"/api/v1/statuses/{comment.id}/favourite")
    _, body = client.get("/api/v1/favourites")
    assert [s["id"] for s in body] == [str(comment.id), str(post.id)]
    assert all(s["favourited"] for s in body)
    assert "max_id=" in client.last["Link"]


def test_favourited_by_pages_and_stays_constant(api_as, alice, bob):
    post = services.publish_post(alice, "popular")
    likers = [factories.person() for _ in range(5)]
    client = api_as(bob)
    services.like(likers[0], post=post)
    with CaptureQueriesContext(connection) as one:
        client.get(f"/api/v1/statuses/{post.id}/favourited_by")
    for person in likers[1:]:
        services.like(person, post=post)
    with CaptureQueriesContext(connection) as many:
        _, body = client.get(f"/api/v1/statuses/{post.id}/favourited_by", {"limit": 3})
    assert len(one) == len(many)
    assert [a["id"] for a in body] == [str(p.id) for p in reversed(likers[2:])]
    _, older = client.get(client.last["Link"].split(";")[0].strip("<>").replace("http://testserver", ""))
    assert [a["id"] for a in older] == [str(likers[1].id), str(likers[0].id)]


def test_pins_own_public_posts_up_to_five(api_as, alice, bob):
    client = api_as(alice)
    made = [services.publish_post(alice, f"p{n}") for n in range(6)]
    for post in made[:5]:
        status, body = client.post(f"/api/v1/statuses/{post.id}/pin")
        assert status == 200
        assert body["pinned"] is True
    status, body = client.post(f"/api/v1/statuses/{made[5].id}/pin")
    assert status == 422
    assert "maximum" in body["error"]
    assert client.post(f"/api/v1/statuses/{made[0].id}/unpin")[1]["pinned"] is False
    assert client.post(f"/api/v1/statuses/{made[5].id}/pin")[0] == 200
    limited = services.publish_post(alice, "x", visibility=Visibility.DIRECT, person_ids=[bob.id])
    assert client.post(f"/api/v1/statuses/{limited.id}/pin")[0] == 422
    assert api_as(bob).post(f"/api/v1/statuses/{made[1].id}/pin")[0] == 422


# ---- scheduled statuses ------------------------------------------------------------------------


def test_scheduled_status_is_kept_then_published_once_when_due(api_as, alice, bob):
    factories.aspect(alice, "Friends", bob)
    client = api_as(alice)
    when = datetime.now(UTC) + timedelta(hours=1)
    status, body = _create(client, {"status": "later", "visibility": "private",
                                    "scheduled_at": when.isoformat()}, form=True)
    assert status == 200, body
    assert body["params"]["text"] == "later"
    assert body["params"]["visibility"] == "private"
    assert not Post.objects.filter(author=alice).exists()
    scheduled_id = body["id"]
    _, listed = client.get("/api/v1/scheduled_statuses")
    assert [s["id"] for s in listed] == [scheduled_id]
    assert api_as(bob).get(f"/api/v1/scheduled_statuses/{scheduled_id}")[0] == 404

    assert drafts.publish_due() == 0
    assert drafts.publish_due(now=datetime.now(UTC) + timedelta(hours=2)) == 1
    assert drafts.publish_due(now=datetime.now(UTC) + timedelta(hours=2)) == 0
    post = Post.objects.get(author=alice)
    assert post.source == "later"
    assert post.visibility == Visibility.LIMITED
    assert api_as(bob).get(f"/api/v1/statuses/{post.id}")[0] == 200
    assert client.get(f"/api/v1/scheduled_statuses/{scheduled_id}")[0] == 404


def test_two_workers_publish_a_scheduled_status_once(alice):
    row = drafts.schedule(alice, datetime.now(UTC) + timedelta(hours=1), drafts.Draft(text="once"))
    due = datetime.now(UTC) + timedelta(hours=2)
    # The second worker saw the row before the first one published it.
    assert drafts._publish_one(row.id) == 1
    assert drafts._publish_one(row.id) == 0
    assert drafts.publish_due(now=due) == 0
    assert Post.objects.filter(author=alice).count() == 1


def test_scheduled_too_soon_publishes_now_and_reschedule_and_cancel(api_as, alice):
    client = api_as(alice)
    soon = datetime.now(UTC) + timedelta(minutes=1)
    _, body = _create(client, {"status": "now", "scheduled_at": soon.isoformat()})
    assert "content" in body
    assert Post.objects.filter(author=alice).count() == 1
    later = datetime.now(UTC) + timedelta(days=1)
    _, scheduled = _create(client, {"status": "tomorrow", "scheduled_at": later.isoformat()})
    new_time = (later + timedelta(hours=3)).replace(microsecond=0)
    status, moved = client.put(f"/api/v1/scheduled_statuses/{scheduled['id']}", {"scheduled_at": new_time.isoformat()},
                               form=True)
    assert status == 200, moved
    assert moved["scheduled_at"].startswith(new_time.strftime("%Y-%m-%dT%H:%M:%S"))
    too_soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert client.put(f"/api/v1/scheduled_statuses/{scheduled['id']}", {"scheduled_at": too_soon})[0] == 422
    assert client.delete(f"/api/v1/scheduled_statuses/{scheduled['id']}") == (200, {})
    assert not ScheduledPost.objects.exists()


def test_scheduled_status_with_the_same_key_is_not_scheduled_twice(api_as, alice):
    client = api_as(alice)
    data = {"status": "later", "scheduled_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    first = _create(client, data, headers={"Idempotency-Key": "s"})[1]
    again = _create(client, data, headers={"Idempotency-Key": "s"})[1]
    assert first["id"] == again["id"]
    assert ScheduledPost.objects.count() == 1
    drafts.publish_due(now=datetime.now(UTC) + timedelta(hours=2))
    post = Post.objects.get(author=alice)
    # Once published, the key answers with the post.
    assert _create(client, data, headers={"Idempotency-Key": "s"})[1]["id"] == str(post.id)


def _queries(client, path: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        status, _ = client.get(path, params)
        assert status == 200
    return len(queries)


def test_batch_get_and_reblogged_by_and_scheduled_cost_the_same_for_one_or_many(api_as, alice, bob):
    client = api_as(alice)
    target = services.publish_post(alice, "share me")
    posts = [services.publish_post(bob, "p", poll=services.PollDraft(options=("a", "b")))]
    comments = [services.add_comment(bob, target, "c")]
    services.reshare(bob, target)
    later = datetime.now(UTC) + timedelta(hours=1)
    drafts.schedule(alice, later, drafts.Draft(text="s"))
    ids = {"id[]": [p.id for p in posts] + [c.id for c in comments]}
    one = (_queries(client, "/api/v1/statuses", ids), _queries(client, f"/api/v1/statuses/{target.id}/reblogged_by"),
           _queries(client, "/api/v1/scheduled_statuses"))
    for n in range(5):
        posts.append(services.publish_post(factories.person(), f"p{n}"))
        comments.append(services.add_comment(factories.person(), target, f"c{n}", parent=comments[0]))
        services.reshare(factories.person(), target)
        drafts.schedule(alice, later + timedelta(minutes=n + 1), drafts.Draft(text=f"s{n}"))
    ids = {"id[]": [p.id for p in posts] + [c.id for c in comments]}
    many = (_queries(client, "/api/v1/statuses", ids), _queries(client, f"/api/v1/statuses/{target.id}/reblogged_by"),
            _queries(client, "/api/v1/scheduled_statuses"))
    assert many == one


def test_old_idempotency_keys_are_forgotten(api_as, alice):
    from kith.social.models import PublishKey

    _create(api_as(alice), {"status": "a"}, headers={"Idempotency-Key": "old"})
    _create(api_as(alice), {"status": "b"}, headers={"Idempotency-Key": "new"})
    PublishKey.objects.filter(key="old").update(created_at=datetime.now(UTC) - timedelta(hours=2))
    assert drafts.forget_old_publish_keys() == 1
    assert list(PublishKey.objects.values_list("key", flat=True)) == ["new"]
