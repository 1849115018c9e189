"""Poll counts both ways: a local poll's new counts go out as a debounced Update(Question),
and an Update(Question) from a remote poll's author updates the counts mirrored here."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from kith.federation.activitypub import inbound, outbound, uris
from kith.federation.activitypub.models import InboundActivity, InboundState, PollUpdate, RemoteActor
from kith.federation.models import Delivery, DeliveryState
from kith.graph.models import Follow, FollowState
from kith.people.remote import upsert_remote_person
from kith.social import remote
from kith.social.models import Poll, Post, PostRevision, Visibility
from kith.social.services import PollDraft, delete_post, publish_post, vote

pytestmark = pytest.mark.django_db(transaction=True)
REMOTE = "https://mastodon.example"
OTHER = "https://other.example"


def _remote_actor(username: str, base: str = REMOTE) -> RemoteActor:
    domain = base.removeprefix("https://")
    person = upsert_remote_person(username, domain)
    return RemoteActor.objects.create(
        person=person, uri=f"{base}/users/{username}", inbox=f"{base}/users/{username}/inbox",
        shared_inbox=f"{base}/inbox", key_id=f"{base}/users/{username}#main-key",
        public_key_pem="unused", fetched_at=timezone.now(),
    )


def _poll_post(author, visibility=Visibility.PUBLIC) -> Post:
    return publish_post(author, "Beans or squash?", visibility=visibility, poll=PollDraft(options=["Beans", "Squash"]))


def _updates(post: Post) -> list[dict]:
    rows = Delivery.objects.filter(subject=f"post:{post.id}", activity_uri__contains="/update/poll/").order_by("id")
    return [json.loads(bytes(row.body)) | {"_inbox": row.inbox} for row in rows]


def _counts(activity: dict) -> tuple[int, list[int]]:
    question = activity["object"]
    return question["votersCount"], [choice["replies"]["totalItems"] for choice in question["oneOf"]]


@pytest.fixture
def follower():
    return _remote_actor("zed")


def test_a_local_vote_sends_the_new_counts_to_followers_once_due(alice, bob, follower):
    Follow.objects.create(follower=follower.person, followee=alice, state=FollowState.ACCEPTED)
    post = _poll_post(alice)
    before = timezone.now()
    vote(bob, post, [1])
    row = PollUpdate.objects.get(post=post)
    assert row.due_at is not None
    assert row.due_at >= before + outbound.POLL_UPDATE_DELAY
    assert _updates(post) == []  # debounced: nothing yet

    assert outbound.send_due_poll_updates(now=row.due_at) == 1
    [update] = _updates(post)
    assert update["type"] == "Update"
    assert update["actor"] == uris.actor("alice")
    assert update["object"]["type"] == "Question"
    assert update["object"]["id"] == uris.post("alice", post.id)
    assert _counts(update) == (1, [0, 1])
    assert update["_inbox"] == f"{REMOTE}/inbox"
    assert "updated" not in update["object"]  # counts are no edit: Mastodon takes them without one
    row.refresh_from_db()
    assert (row.due_at, row.sent_count) == (None, 1)


def test_at_most_one_update_a_minute_and_each_carries_the_latest_counts(alice, bob, carol, dave, follower):
    Follow.objects.create(follower=follower.person, followee=alice, state=FollowState.ACCEPTED)
    post = _poll_post(alice)
    vote(bob, post, [0])
    first_due = PollUpdate.objects.get(post=post).due_at
    vote(carol, post, [0])  # within the delay: the same pending Update will carry it
    assert PollUpdate.objects.get(post=post).due_at == first_due
    outbound.send_due_poll_updates(now=first_due)
    assert [_counts(u) for u in _updates(post)] == [(2, [2, 0])]

    sent_at = PollUpdate.objects.get(post=post).sent_at
    vote(dave, post, [1])
    row = PollUpdate.objects.get(post=post)
    assert row.due_at == sent_at + outbound.POLL_UPDATE_INTERVAL
    assert outbound.send_due_poll_updates(now=sent_at + timedelta(seconds=30)) == 0
    remote.record_remote_vote(_remote_actor("yan", OTHER).person, post, "Squash")
    assert outbound.send_due_poll_updates(now=row.due_at) == 1
    updates = _updates(post)
    first, *second = updates
    assert _counts(first) == (2, [2, 0])
    assert [_counts(u) for u in second] == [(4, [2, 2])] * 2
    assert len({u["id"] for u in second}) == 1
    assert second[0]["id"] != first["id"]
    # The remote voter does not follow alice, yet hears of the result (as Mastodon does).
    assert {u["_inbox"] for u in second} == {f"{REMOTE}/inbox", f"{OTHER}/inbox"}


def test_a_job_that_runs_early_or_twice_sends_nothing_extra(alice, bob, follower):
    Follow.objects.create(follower=follower.person, followee=alice, state=FollowState.ACCEPTED)
    post = _poll_post(alice)
    vote(bob, post, [0])
    due = PollUpdate.objects.get(post=post).due_at
    assert outbound.send_poll_update(post.id, now=due - timedelta(seconds=1)) is False
    assert outbound.send_poll_update(post.id, now=due) is True
    assert outbound.send_poll_update(post.id, now=due) is False
    assert outbound.send_due_poll_updates(now=due + timedelta(minutes=5)) == 0
    assert len(_updates(post)) == 1


def test_a_limited_poll_goes_only_to_its_audience(alice, bob, follower):
    from kith.graph.services import add_to_aspect, create_aspect

    member = _remote_actor("mia", OTHER)
    Follow.objects.create(follower=follower.person, followee=alice, state=FollowState.ACCEPTED)
    aspect = create_aspect(alice, "close")
    add_to_aspect(alice, aspect, member.person)
    add_to_aspect(alice, aspect, bob)
    post = publish_post(alice, "Secret ballot", visibility=Visibility.LIMITED, aspect_ids=[aspect.id],
                        poll=PollDraft(options=["Yes", "No"]))
    vote(bob, post, [0])
    outbound.send_due_poll_updates(now=timezone.now() + timedelta(minutes=1))
    [update] = _updates(post)
    assert update["_inbox"] == member.inbox  # its own inbox, never a shared one or a follower's
    assert update["object"]["to"] == sorted([uris.actor("bob"), member.uri])
    assert update["object"]["cc"] == []


def test_deleting_the_poll_drops_its_pending_update(alice, bob, follower):
    Follow.objects.create(follower=follower.person, followee=alice, state=FollowState.ACCEPTED)
    post = _poll_post(alice)
    vote(bob, post, [0])
    outbound.send_due_poll_updates(now=timezone.now() + timedelta(minutes=1))
    assert Delivery.objects.filter(activity_uri__contains="/update/poll/", state=DeliveryState.PENDING).exists()
    delete_post(alice, post)
    assert not PollUpdate.objects.exists()
    assert not Delivery.objects.filter(activity_uri__contains="/update/poll/", state=DeliveryState.PENDING).exists()


def test_votes_in_remote_polls_send_no_update_of_ours(bob):
    author = _remote_actor("ann")
    post = remote.record_remote_post(
        author.person, remote.RemoteContent(html="<p>Pick</p>", poll=remote.RemotePoll(options=[("A", 0), ("B", 0)])),
        visibility=Visibility.PUBLIC, audience=[],
    )
    vote(bob, post, [0])
    assert not PollUpdate.objects.exists()


# ---- inbound: the author's server reports new counts --------------------------------------------------


QUESTION = json.loads(Path("tests/fixtures/remote/mastodon/question__poll.json").read_text())


def _apply(payload: dict) -> InboundActivity:
    stored = InboundActivity.objects.create(
        activity_uri=payload["id"], actor_uri=payload["actor"], activity_type=payload["type"], payload=payload
    )
    inbound.apply(stored)
    stored.refresh_from_db()
    return stored


def _mastodon_poll() -> tuple[RemoteActor, Post]:
    author = _remote_actor("alice")
    created = _apply({"id": f"{QUESTION['id']}/activity", "type": "Create", "actor": author.uri, "object": QUESTION,
                      "to": QUESTION["to"], "cc": QUESTION["cc"]})
    assert created.state == InboundState.DONE, created.error
    return author, Post.objects.get(author=author.person)


def _question_with(voters: int | None, beans: int, squash: int, leeks: int) -> dict:
    question = copy.deepcopy(QUESTION)
    if voters is None:
        question.pop("votersCount")
    else:
        question["votersCount"] = voters
    for choice, count in zip(question["oneOf"], (beans, squash, leeks), strict=True):
        choice["replies"]["totalItems"] = count
    return question


def _counts_of(post: Post) -> tuple[int, list[int]]:
    poll = Poll.objects.get(post=post)
    return poll.voters_count, list(poll.options.values_list("votes_count", flat=True))


def test_an_update_of_the_question_updates_the_counts_without_an_edit(alice):
    author, post = _mastodon_poll()
    assert _counts_of(post) == (19, [12, 7, 0])
    applied = _apply({"id": f"{QUESTION['id']}#updates/1", "type": "Update", "actor": author.uri,
                      "object": _question_with(23, 14, 8, 1)})
    assert applied.state == InboundState.DONE, applied.error
    assert _counts_of(post) == (23, [14, 8, 1])
    post.refresh_from_db()
    assert post.edited_at is None
    assert not PostRevision.objects.filter(post=post).exists()


def test_an_update_without_voters_count_keeps_a_single_choice_poll_consistent(alice):
    author, post = _mastodon_poll()
    _apply({"id": f"{QUESTION['id']}#updates/2", "type": "Update", "actor": author.uri,
            "object": _question_with(None, 13, 7, 2)})
    assert _counts_of(post) == (22, [13, 7, 2])


def test_only_the_polls_author_updates_its_counts(alice):
    author, post = _mastodon_poll()
    intruder = _remote_actor("mallory")
    forged = _question_with(999, 999, 0, 0) | {"attributedTo": intruder.uri}
    applied = _apply({"id": f"{REMOTE}/users/mallory#updates/1", "type": "Update", "actor": intruder.uri, "object": forged})
    assert applied.state != InboundState.DONE
    assert _counts_of(post) == (19, [12, 7, 0])
