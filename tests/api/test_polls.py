"""Polls through the client API: created with a status, read, voted in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kith.social import services
from kith.social.models import Poll, Visibility
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("form", [True, False], ids=["form", "json"])
def test_create_a_poll_with_a_status(api_as, alice, form):
    if form:
        data = {"status": "Tea or coffee?", "poll[options][]": ["tea", "coffee"], "poll[expires_in]": "3600",
                "poll[multiple]": "true"}
    else:
        data = {"status": "Tea or coffee?", "poll": {"options": ["tea", "coffee"], "expires_in": 3600,
                                                     "multiple": True}}
    status, body = api_as(alice).post("/api/v1/statuses", data, form=form)
    assert status == 200, body
    poll = body["poll"]
    assert [o["title"] for o in poll["options"]] == ["tea", "coffee"]
    assert poll["multiple"] is True
    assert poll["expired"] is False
    assert poll["id"] == body["id"]
    row = Poll.objects.get(post_id=int(body["id"]))
    assert timedelta(minutes=59) < row.expires_at - timezone.now() <= timedelta(hours=1)


def test_a_poll_needs_two_options(api_as, alice):
    status, body = api_as(alice).post("/api/v1/statuses", {"status": "?", "poll": {"options": ["only"],
                                                                                   "expires_in": 3600}})
    assert status == 422


@pytest.mark.parametrize("form", [True, False], ids=["form", "json"])
def test_vote_and_read_the_results(api_as, alice, bob, carol, form):
    post = services.publish_post(alice, "?", poll=services.PollDraft(options=("a", "b", "c"), multiple=True))
    status, body = api_as(bob).post(f"/api/v1/polls/{post.id}/votes",
                                    {"choices[]" if form else "choices": ["0", "2"]}, form=form)
    assert status == 200, body
    assert body["voted"] is True
    assert body["own_votes"] == [0, 2]
    assert [o["votes_count"] for o in body["options"]] == [1, 0, 1]
    assert body["voters_count"] == 1
    _, seen = api_as(carol).get(f"/api/v1/polls/{post.id}")
    assert seen["voted"] is False
    assert seen["own_votes"] == []
    _, anonymous = api_as(None).get(f"/api/v1/polls/{post.id}")
    assert anonymous["votes_count"] == 2
    assert anonymous.get("voted") is None
    _, status_body = api_as(bob).get(f"/api/v1/statuses/{post.id}")
    assert status_body["poll"]["own_votes"] == [0, 2]


def test_double_votes_expired_polls_and_bad_choices_are_422(api_as, alice, bob, carol):
    post = services.publish_post(alice, "?", poll=services.PollDraft(options=("a", "b")))
    client = api_as(bob)
    assert client.post(f"/api/v1/polls/{post.id}/votes", {"choices": [0]})[0] == 200
    status, body = client.post(f"/api/v1/polls/{post.id}/votes", {"choices": [1]})
    assert status == 422
    assert "already" in body["error"]
    assert api_as(carol).post(f"/api/v1/polls/{post.id}/votes", {"choices": [0, 1]})[0] == 422
    assert api_as(carol).post(f"/api/v1/polls/{post.id}/votes", {"choices": [7]})[0] == 422
    Poll.objects.filter(post=post).update(expires_at=timezone.now() - timedelta(minutes=1))
    status, body = api_as(carol).post(f"/api/v1/polls/{post.id}/votes", {"choices": [0]})
    assert status == 422
    assert "ended" in body["error"]
    assert api_as(carol).get(f"/api/v1/polls/{post.id}")[1]["expired"] is True


def test_a_hidden_poll_is_404(api_as, alice, bob, carol):
    family = factories.aspect(alice, "Family", bob)
    post = services.publish_post(alice, "?", visibility=Visibility.LIMITED, aspect_ids=[family.id],
                                 poll=services.PollDraft(options=("a", "b")))
    assert api_as(bob).get(f"/api/v1/polls/{post.id}")[0] == 200
    assert api_as(carol).get(f"/api/v1/polls/{post.id}")[0] == 404
    assert api_as(carol).post(f"/api/v1/polls/{post.id}/votes", {"choices": [0]})[0] == 404
    plain = services.publish_post(alice, "no poll")
    assert api_as(bob).get(f"/api/v1/polls/{plain.id}")[0] == 404
