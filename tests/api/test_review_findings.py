"""Regression tests for findings of the client API review (each failed before its fix)."""

from __future__ import annotations

import pytest

from kith.api.clients import register_app
from kith.social import services
from kith.social.models import Visibility
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _limited(author, *audience, text="only for friends"):
    aspect = factories.aspect(author, "Friends", *audience)
    return services.publish_post(author, text, visibility=Visibility.LIMITED, aspect_ids=[aspect.id])


# ---- a token is held to its scopes on the endpoints anonymous readers may use too ----------


@pytest.mark.parametrize("scopes", ["profile", "write:media", "write follow push"])
def test_a_token_without_read_scopes_reads_no_limited_post(api_as, alice, bob, scopes):
    post = _limited(alice, bob)
    api = api_as(bob, scopes)
    for path in (
        f"/api/v1/statuses/{post.id}",
        f"/api/v1/statuses?id[]={post.id}",
        f"/api/v1/statuses/{post.id}/context",
        f"/api/v1/statuses/{post.id}/history",
        f"/api/v1/statuses/{post.id}/favourited_by",
        f"/api/v1/accounts/{alice.id}/statuses",
        "/api/v1/timelines/public",
    ):
        status, body = api.get(path)
        assert status == 403, (path, status, body)
    # The positive control: the same person with `read` sees it.
    assert api_as(bob, "read").get(f"/api/v1/statuses/{post.id}")[0] == 200


def test_granular_read_scopes_are_enough(api_as, alice, bob):
    post = _limited(alice, bob)
    assert api_as(bob, "read:statuses").get(f"/api/v1/statuses/{post.id}")[0] == 200
    assert api_as(bob, "read:accounts").get(f"/api/v1/accounts/{alice.id}")[0] == 200
    assert api_as(bob, "read:statuses").get(f"/api/v1/accounts/{alice.id}")[0] == 403


def test_an_app_token_reads_public_things_as_nobody(client, alice, bob):
    public = services.publish_post(alice, "hello world", visibility=Visibility.PUBLIC)
    limited = _limited(alice, bob)
    app, secret = register_app("reader", "urn:ietf:wg:oauth:2.0:oob", "read")
    answer = client.post("/oauth/token", {"grant_type": "client_credentials", "client_id": app.client_id,
                                          "client_secret": secret, "scope": "read"})
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    timeline = client.get("/api/v1/timelines/public", headers=headers)
    assert timeline.status_code == 200, timeline.content
    assert [s["id"] for s in timeline.json()] == [str(public.id)]
    assert client.get(f"/api/v1/statuses/{public.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/statuses/{limited.id}", headers=headers).status_code == 404
    # ... and still acts for no one.
    assert client.get("/api/v1/timelines/home", headers=headers).status_code == 422


# ---- a limited post's existence ------------------------------------------------------------


def test_statuses_count_and_last_status_at_say_nothing_of_limited_posts(api_as, alice, bob):
    before = api_as(None).get(f"/api/v1/accounts/{alice.id}")[1]
    _limited(alice, bob)
    services.publish_post(alice, "to nobody but bob @bob", visibility=Visibility.DIRECT)
    for reader in (api_as(None), api_as(factories.person("stranger"))):
        after = reader.get(f"/api/v1/accounts/{alice.id}")[1]
        assert after["statuses_count"] == before["statuses_count"] == 0
        assert after["last_status_at"] is None
    services.publish_post(alice, "hello world", visibility=Visibility.PUBLIC)
    assert api_as(None).get(f"/api/v1/accounts/{alice.id}")[1]["statuses_count"] == 1


def test_replying_to_a_hidden_post_answers_like_replying_to_nothing(api_as, alice, bob, carol):
    post = _limited(alice, bob)
    api = api_as(carol)
    hidden = api.post("/api/v1/statuses", {"status": "hi", "in_reply_to_id": str(post.id)})
    missing = api.post("/api/v1/statuses", {"status": "hi", "in_reply_to_id": str(post.id + 7)})
    assert hidden == missing == (404, {"error": "Record not found"})
    scheduled = {"status": "hi", "in_reply_to_id": str(post.id), "scheduled_at": "2099-01-01T00:00:00Z"}
    assert api.post("/api/v1/statuses", scheduled) == missing
    assert api_as(bob).post("/api/v1/statuses", {"status": "hi", "in_reply_to_id": str(post.id)})[0] == 200


# ---- hostile numbers: a 422 (or 404), never a database overflow (500) -------------------------

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("path", [
    f"/api/v1/statuses?id[]={HUGE}",
    f"/api/v1/accounts/relationships?id[]={HUGE}",
    f"/api/v1/accounts/familiar_followers?id[]={HUGE}",
    f"/api/v1/notifications?account_id={HUGE}",
    f"/api/v1/notifications/unread_count?account_id={HUGE}",
])
def test_huge_ids_in_queries(api_as, alice, path):
    status, body = api_as(alice).get(path)
    assert status == 422, (path, status, body)


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/statuses", {"status": "x", "media_ids": [HUGE]}),
    ("/api/v1/statuses", {"status": "x", "kith_aspect_ids": [HUGE]}),
    ("/api/v1/statuses", {"status": "x", "media_ids": ["1"] * 1000}),
    ("/api/v1/statuses", {"status": "x", "poll": {"options": ["a", "b"], "expires_in": 10**20}}),
    ("/api/v1/markers", {"home": {"last_read_id": HUGE}}),
    ("/api/v2/filters", {"title": "t", "context": ["home"], "expires_in": 10**20}),
    ("/api/v2/filters", {"title": "t", "context": ["home"], "expires_in": -(10**20)}),
])
def test_huge_numbers_in_bodies(api_as, alice, path, body):
    status, answer = api_as(alice).post(path, body)
    assert status in (200, 422), (path, status, answer)


def test_huge_numbers_in_votes_filters_and_lists(api_as, alice, bob):
    poll = services.publish_post(
        bob, "which?", visibility=Visibility.PUBLIC, poll=services.PollDraft(options=("a", "b"), multiple=False),
    )
    api = api_as(alice)
    assert api.post(f"/api/v1/polls/{poll.id}/votes", {"choices": [HUGE]})[0] == 422
    filter_id = api.post("/api/v2/filters", {"title": "t", "context": ["home"]})[1]["id"]
    assert api.post(f"/api/v2/filters/{filter_id}/statuses", {"status_id": HUGE})[0] == 422
    list_id = api.post("/api/v1/lists", {"title": "friends"})[1]["id"]
    assert api.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": [HUGE]})[0] == 422
    assert api.delete(f"/api/v1/lists/{list_id}/accounts?account_ids[]={HUGE}")[0] == 422
    # ... and thousands of people cannot be shared with (followed, notified) in one request.
    assert api.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": [str(bob.id)] * 101})[0] == 422
    assert api.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": [str(bob.id)]})[0] == 200
