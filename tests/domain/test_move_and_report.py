"""Account migration out (Move) and reports sent to the reported person's server (Flag)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from kith.core.errors import Conflict, Invalid, NotAllowed
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.models import RemoteActor, RemoteObject
from kith.federation.models import Delivery
from kith.graph.models import Follow, FollowState
from kith.moderation.services import file_report
from kith.people.remote import upsert_remote_person
from kith.people.services import move_account, set_aliases
from kith.social.models import Comment, Post

pytestmark = pytest.mark.django_db(transaction=True)
REMOTE = "https://mastodon.example"


def _remote_actor(username: str) -> RemoteActor:
    person = upsert_remote_person(username, "mastodon.example")
    return RemoteActor.objects.create(
        person=person, uri=f"{REMOTE}/users/{username}", inbox=f"{REMOTE}/users/{username}/inbox",
        shared_inbox=f"{REMOTE}/inbox", key_id=f"{REMOTE}/users/{username}#main-key",
        public_key_pem="unused", fetched_at=timezone.now(),
    )


def _move(person, target):
    return move_account(person, target, own_uri=uris.actor(person.username), target_aliases=target.also_known_as)


def test_aliases_render_in_the_actor(alice, bob):
    set_aliases(alice, [uris.actor("bob")])
    alice.refresh_from_db()
    assert render.actor(alice)["alsoKnownAs"] == [uris.actor("bob")]
    with pytest.raises(Invalid):
        set_aliases(alice, ["not a uri"])


def test_move_refused_unless_the_target_lists_the_old_account(alice, bob):
    with pytest.raises(NotAllowed):
        _move(alice, bob)
    alice.refresh_from_db()
    assert alice.moved_to_id is None


def test_move_to_self_is_refused(alice):
    set_aliases(alice, [uris.actor("alice")])
    with pytest.raises(Invalid):
        _move(alice, alice)


def test_moving_twice_is_refused(alice, bob, carol):
    set_aliases(bob, [uris.actor("alice")])
    set_aliases(carol, [uris.actor("alice")])
    _move(alice, bob)
    with pytest.raises(Conflict):
        _move(alice, carol)


def test_move_takes_local_followers_along_and_tells_remote_ones(alice, bob, carol):
    Follow.objects.create(follower=carol, followee=alice, state=FollowState.ACCEPTED)
    remote = _remote_actor("zed")
    Follow.objects.create(follower=remote.person, followee=alice, state=FollowState.ACCEPTED)
    set_aliases(bob, [uris.actor("alice")])
    _move(alice, bob)
    alice.refresh_from_db()
    assert alice.moved_to_id == bob.id
    assert Follow.objects.filter(follower=carol, followee=bob).exists()
    assert not Follow.objects.filter(follower=carol, followee=alice).exists()
    assert render.actor(alice)["movedTo"] == uris.actor("bob")
    delivery = Delivery.objects.get(subject=f"move:{alice.id}")
    assert delivery.inbox == f"{REMOTE}/inbox"
    body = json.loads(bytes(delivery.body))
    assert (body["type"], body["actor"], body["object"], body["target"]) == (
        "Move", uris.actor("alice"), uris.actor("alice"), uris.actor("bob"),
    )


def test_a_forwarded_report_is_an_anonymous_flag_from_the_instance(alice):
    remote = _remote_actor("spammer")
    post = Post.objects.create(author=remote.person, source="buy now", html="<p>buy now</p>", created_at=timezone.now())
    RemoteObject.objects.create(uri=f"{REMOTE}/statuses/1", kind="post", post=post)
    report = file_report(remote.person, reporter=alice, posts=[post], comment="spam", forward=True)
    delivery = Delivery.objects.get(subject=f"report:{report.id}")
    assert delivery.inbox == remote.inbox
    assert delivery.signer_id is None
    body = json.loads(bytes(delivery.body))
    assert body["type"] == "Flag"
    assert body["actor"] == uris.instance_actor()
    assert body["object"] == [remote.uri, f"{REMOTE}/statuses/1"]
    assert body["content"] == "spam"
    assert "alice" not in json.dumps(body)


def test_a_forwarded_flag_names_the_reported_comments_too(alice):
    remote = _remote_actor("spammer")
    post = Post.objects.create(author=remote.person, source="hi", html="<p>hi</p>", created_at=timezone.now())
    RemoteObject.objects.create(uri=f"{REMOTE}/statuses/1", kind="post", post=post)
    reply = Comment.objects.create(
        post=post, author=remote.person, source="buy now", html="<p>buy now</p>", created_at=timezone.now()
    )
    RemoteObject.objects.create(uri=f"{REMOTE}/statuses/2", kind="comment", comment=reply)
    report = file_report(remote.person, reporter=alice, comments=[reply], comment="spam", forward=True)
    body = json.loads(bytes(Delivery.objects.get(subject=f"report:{report.id}").body))
    assert body["object"] == [remote.uri, f"{REMOTE}/statuses/2"]


def test_a_report_not_forwarded_stays_home(alice):
    remote = _remote_actor("spammer")
    file_report(remote.person, reporter=alice, comment="spam")
    assert not Delivery.objects.exists()


def test_the_instance_actor_of_a_pod_with_a_port_parses(settings):
    from kith.federation.activitypub.parse import parse_actor
    from kith.federation.keys import instance_key

    settings.KITH_URL, settings.KITH_DOMAIN = "http://127.0.0.4:8080", "127.0.0.4:8080"
    document = render.instance_actor(instance_key().public_key_pem)
    assert parse_actor(document).preferred_username == "127.0.0.4"
