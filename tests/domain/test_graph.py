"""The sharing graph: follows and requests, aspects, blocks, mutes."""

from __future__ import annotations

import pytest

from kith.core import events
from kith.core.errors import Conflict, Invalid, NotAllowed, NotFound
from kith.graph import selectors as graph_selectors
from kith.graph import services as graph
from kith.graph.models import Aspect, AspectMembership, Follow, FollowState
from kith.messaging import services as messaging
from kith.social import selectors
from kith.social import services as social
from kith.social.models import Post, Visibility
from kith.timelines import selectors as timeline_selectors
from kith.timelines.models import Notification, NotificationKind
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def stream_ids(person) -> list[int]:
    return [p.id for p in timeline_selectors.stream(person)]


def notifications_of(person, kind=None):
    rows = Notification.objects.filter(recipient=person)
    return rows.filter(kind=kind) if kind else rows


@pytest.fixture
def captured_events():
    """Domain events emitted during the test, by type."""
    seen: list[object] = []
    handlers = {}
    for name in ("StartedSharing", "StoppedSharing", "PersonBlocked", "Unfollowed", "FollowRequested"):
        event_type = getattr(events, name)

        def handler(event, _seen=seen):
            _seen.append(event)

        handlers[event_type] = handler
        events.subscribe(event_type)(handler)
    yield seen
    for event_type, handler in handlers.items():
        events.unsubscribe(event_type, handler)


# ---- following ----------------------------------------------------------------------


def test_follow_an_open_account_is_accepted_at_once(alice, bob):
    relation = graph.follow(bob, alice)
    assert relation.state == FollowState.ACCEPTED
    assert list(graph_selectors.followers(alice)) == [bob]
    assert list(graph_selectors.following(bob)) == [alice]
    assert notifications_of(alice, NotificationKind.FOLLOWED).filter(actor=bob).count() == 1


def test_follow_is_idempotent(alice, bob):
    first = graph.follow(bob, alice)
    second = graph.follow(bob, alice)
    assert first.pk == second.pk
    assert Follow.objects.count() == 1
    assert notifications_of(alice).count() == 1


def test_cannot_follow_oneself_or_an_inactive_person(alice, bob):
    with pytest.raises(Invalid):
        graph.follow(alice, alice)
    from kith.people.services import delete_account

    delete_account(bob.account)
    bob.refresh_from_db()
    with pytest.raises(NotFound):
        graph.follow(alice, bob)


def test_following_brings_public_posts_into_the_stream(alice, bob):
    graph.follow(bob, alice)
    post = social.publish_post(alice, "hi followers")
    assert stream_ids(bob) == [post.id]


def test_locked_account_gets_a_request_that_can_be_accepted(alice, bob):
    locked = factories.person("lockie", locked=True)
    relation = graph.follow(alice, locked)
    assert relation.state == FollowState.PENDING
    assert list(graph_selectors.follow_requests(locked)) == [alice]
    assert notifications_of(locked, NotificationKind.FOLLOW_REQUEST).filter(actor=alice).count() == 1
    assert not notifications_of(locked, NotificationKind.FOLLOWED).exists()
    before = social.publish_post(locked, "before accepting")
    assert before.id not in stream_ids(alice)

    graph.accept_follow_request(locked, alice)
    assert Follow.objects.get(follower=alice, followee=locked).state == FollowState.ACCEPTED
    assert list(graph_selectors.follow_requests(locked)) == []
    after = social.publish_post(locked, "after accepting")
    assert after.id in stream_ids(alice)
    assert before.id not in stream_ids(alice)


def test_locked_account_can_reject_a_request(alice):
    locked = factories.person("lockie", locked=True)
    graph.follow(alice, locked)
    graph.reject_follow_request(locked, alice)
    assert not Follow.objects.filter(follower=alice, followee=locked).exists()
    social.publish_post(locked, "not for alice")
    assert stream_ids(alice) == []
    with pytest.raises(NotFound):
        graph.reject_follow_request(locked, alice)
    with pytest.raises(NotFound):
        graph.accept_follow_request(locked, alice)


def test_reject_does_not_remove_an_accepted_follow(alice, bob):
    graph.follow(bob, alice)
    with pytest.raises(NotFound):
        graph.reject_follow_request(alice, bob)
    assert Follow.objects.filter(follower=bob, followee=alice).exists()


def test_unfollow_removes_their_posts_from_the_stream_but_keeps_posts_shared_with_you(alice, bob):
    graph.follow(bob, alice)
    bobs_aspect = factories.aspect(alice, "Friends", bob)
    public = social.publish_post(alice, "public")
    limited = social.publish_post(alice, "limited", visibility=Visibility.LIMITED, aspect_ids=[bobs_aspect.id])
    assert set(stream_ids(bob)) == {public.id, limited.id}
    graph.unfollow(bob, alice)
    assert stream_ids(bob) == [limited.id]
    later = social.publish_post(alice, "later")
    assert later.id not in stream_ids(bob)


def test_remove_follower(alice, bob):
    graph.follow(bob, alice)
    graph.remove_follower(alice, bob)
    assert not Follow.objects.exists()


# ---- aspects ---------------------------------------------------------------------------


def test_aspects_create_rename_delete(alice):
    friends = graph.create_aspect(alice, "  Friends ")
    work = graph.create_aspect(alice, "Work")
    assert friends.name == "Friends"
    assert list(graph_selectors.aspects_of(alice)) == [friends, work]
    graph.rename_aspect(alice, friends, "Family")
    friends.refresh_from_db()
    assert friends.name == "Family"
    graph.delete_aspect(alice, work)
    assert list(graph_selectors.aspects_of(alice)) == [friends]


def test_aspect_names_are_unique_per_owner(alice, bob):
    friends = graph.create_aspect(alice, "Friends")
    graph.create_aspect(alice, "Work")
    with pytest.raises(Conflict):
        graph.create_aspect(alice, "Friends")
    with pytest.raises(Conflict):
        graph.rename_aspect(alice, friends, "Work")
    graph.rename_aspect(alice, friends, "Friends")  # renaming to its own name is fine
    graph.create_aspect(bob, "Friends")  # another owner may use the name
    assert Aspect.objects.filter(name="Friends").count() == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_aspect_names_must_be_sensible(alice, name):
    with pytest.raises(Invalid):
        graph.create_aspect(alice, name)


def test_other_peoples_aspects_cannot_be_touched(alice, bob, carol):
    friends = graph.create_aspect(alice, "Friends")
    with pytest.raises(NotFound):
        graph.rename_aspect(bob, friends, "Mine")
    with pytest.raises(NotFound):
        graph.delete_aspect(bob, friends)
    with pytest.raises(NotFound):
        graph.add_to_aspect(bob, friends, carol)
    with pytest.raises(NotFound):
        graph.remove_from_aspect(bob, friends, carol)
    assert Aspect.objects.get(id=friends.id).name == "Friends"


def test_add_to_aspect_starts_sharing_follows_and_notifies_once(alice, bob, captured_events):
    friends = graph.create_aspect(alice, "Friends")
    work = graph.create_aspect(alice, "Work")
    graph.add_to_aspect(alice, friends, bob)
    graph.add_to_aspect(alice, friends, bob)  # again: nothing new
    graph.add_to_aspect(alice, work, bob)  # a second aspect: still the same sharing
    relation = graph_selectors.relationship(alice, bob)
    assert relation.sharing
    assert relation.following
    assert set(relation.aspect_ids) == {friends.id, work.id}
    assert graph_selectors.relationship(bob, alice).shared_with
    assert not graph_selectors.relationship(bob, alice).following  # sharing is one-way
    assert [type(e).__name__ for e in captured_events].count("StartedSharing") == 1
    # One notification tells bob; "started sharing" already says alice follows him.
    assert list(notifications_of(bob).values_list("kind", "actor")) == [(NotificationKind.STARTED_SHARING, alice.id)]


def test_add_to_aspect_puts_bobs_posts_in_alices_stream(alice, bob):
    factories.aspect(alice, "Friends", bob)
    post = social.publish_post(bob, "bob posts")
    assert post.id in stream_ids(alice)


def test_remove_from_one_of_two_aspects_keeps_sharing(alice, bob):
    friends = factories.aspect(alice, "Friends", bob)
    factories.aspect(alice, "Work", bob)
    graph.remove_from_aspect(alice, friends, bob)
    relation = graph_selectors.relationship(alice, bob)
    assert relation.sharing
    assert relation.following


def test_remove_from_last_aspect_stops_sharing(alice, bob, captured_events):
    friends = factories.aspect(alice, "Friends", bob)
    bobs_post = social.publish_post(bob, "bob posts")
    assert bobs_post.id in stream_ids(alice)
    graph.remove_from_aspect(alice, friends, bob)
    relation = graph_selectors.relationship(alice, bob)
    assert not relation.sharing
    assert not relation.following
    assert not graph_selectors.relationship(bob, alice).shared_with
    assert "StoppedSharing" in [type(e).__name__ for e in captured_events]
    assert bobs_post.id not in stream_ids(alice)
    later = social.publish_post(alice, "friends only", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    assert later.id not in stream_ids(bob)


def test_deleting_a_members_last_aspect_stops_sharing_like_removing_them(alice, bob, carol, captured_events):
    friends = factories.aspect(alice, "Friends", bob, carol)
    factories.aspect(alice, "Work", carol)
    graph.delete_aspect(alice, friends)
    stopped = [e for e in captured_events if type(e).__name__ == "StoppedSharing"]
    assert [(e.sharer_id, e.recipient_id) for e in stopped] == [(alice.id, bob.id)]
    assert not graph_selectors.relationship(alice, bob).sharing
    assert not graph_selectors.relationship(alice, bob).following
    assert graph_selectors.relationship(alice, carol).sharing
    assert graph_selectors.relationship(alice, carol).following


def test_contacts_lists_the_people_in_aspects(alice, bob, carol, dave):
    friends = factories.aspect(alice, "Friends", bob)
    factories.aspect(alice, "Work", carol)
    graph.follow(dave, alice)
    assert set(graph_selectors.contacts(alice)) == {bob, carol}
    assert list(graph_selectors.contacts(alice, friends)) == [bob]


# ---- blocks ------------------------------------------------------------------------------


def test_block_cuts_follows_both_ways_and_aspect_membership(alice, bob):
    factories.aspect(alice, "Friends", bob)
    graph.follow(bob, alice)
    graph.block(alice, bob)
    assert not Follow.objects.filter(follower=alice, followee=bob).exists()
    assert not Follow.objects.filter(follower=bob, followee=alice).exists()
    assert not AspectMembership.objects.filter(aspect__owner=alice, person=bob).exists()
    relation = graph_selectors.relationship(alice, bob)
    assert relation.blocking
    assert not relation.sharing
    assert graph_selectors.relationship(bob, alice).blocked_by


def test_block_is_idempotent_and_not_for_oneself(alice, bob):
    first = graph.block(alice, bob)
    assert graph.block(alice, bob).pk == first.pk
    with pytest.raises(Invalid):
        graph.block(alice, alice)


@pytest.mark.parametrize("direction", ["blocker-acts", "blocked-acts"])
def test_a_block_stops_every_interaction_both_ways(alice, bob, direction):
    public = social.publish_post(alice, "alice's public post")
    bobs = social.publish_post(bob, "bob's public post")
    comment = social.add_comment(bob, public, "bob was here")
    graph.block(alice, bob)
    actor, target, targets_post = (alice, bob, bobs) if direction == "blocker-acts" else (bob, alice, public)
    with pytest.raises(NotFound):
        social.add_comment(actor, targets_post, "still there?")
    with pytest.raises(NotFound):
        social.like(actor, post=targets_post)
    with pytest.raises(NotAllowed):
        social.reshare(actor, targets_post)
    with pytest.raises(NotAllowed):
        graph.follow(actor, target)
    with pytest.raises(NotAllowed):
        messaging.start_conversation(actor, [target], "hi", "hello?")
    with pytest.raises(NotAllowed):
        graph.add_to_aspect(actor, graph.create_aspect(actor, "Try"), target)
    if direction == "blocker-acts":
        with pytest.raises(NotFound):
            social.like(actor, comment=comment)
    assert not Post.objects.filter(reshare_of__isnull=False).exists()


def test_a_block_stops_messages_in_an_existing_conversation(alice, bob):
    conversation = messaging.start_conversation(alice, [bob], "hi", "hello bob")
    graph.block(alice, bob)
    with pytest.raises(NotAllowed):
        messaging.send_message(bob, conversation, "can you hear me?")


def test_unblock_allows_following_again(alice, bob):
    graph.follow(bob, alice)
    graph.block(alice, bob)
    graph.unblock(alice, bob)
    assert not graph_selectors.relationship(alice, bob).blocking
    assert not Follow.objects.exists()  # the old ties stay cut
    graph.follow(bob, alice)


def test_block_hides_posts_already_in_the_stream(alice, bob):
    graph.follow(bob, alice)
    post = social.publish_post(alice, "before the block")
    assert stream_ids(bob) == [post.id]
    graph.block(bob, alice)
    assert stream_ids(bob) == []


# ---- mutes -------------------------------------------------------------------------------


def test_mute_keeps_the_muted_persons_posts_out_of_the_stream(alice, bob, carol):
    graph.follow(bob, alice)
    graph.follow(bob, carol)
    graph.mute(bob, alice)
    muted = social.publish_post(alice, "you will not see this")
    resharing_muted = social.reshare(carol, muted)
    carols = social.publish_post(carol, "carol's own")
    assert stream_ids(bob) == [carols.id]
    assert resharing_muted.id not in stream_ids(bob)
    # Muting is not blocking: the post itself stays readable on its page.
    assert selectors.post_for(bob, muted.id).id == muted.id
    graph.unmute(bob, alice)
    later = social.publish_post(alice, "after unmute")
    assert later.id in stream_ids(bob)


def test_mute_also_hides_what_is_already_in_the_stream(alice, bob):
    graph.follow(bob, alice)
    before = social.publish_post(alice, "before the mute")
    assert stream_ids(bob) == [before.id]
    graph.mute(bob, alice)
    assert stream_ids(bob) == []


def test_mute_is_not_for_oneself_and_is_idempotent(alice, bob):
    with pytest.raises(Invalid):
        graph.mute(alice, alice)
    assert graph.mute(alice, bob).pk == graph.mute(alice, bob).pk
    assert graph_selectors.relationship(alice, bob).muting


def test_a_block_stops_replies_to_and_likes_of_the_other_persons_comments(alice, bob, carol):
    """On a third person's post both may still comment, but neither can reach the other's comment."""
    post = social.publish_post(carol, "carol's public post")
    alices = social.add_comment(alice, post, "alice comments")
    bobs = social.add_comment(bob, post, "bob comments")
    graph.block(alice, bob)
    with pytest.raises(NotFound):
        social.add_comment(bob, post, "replying to alice", parent=alices)
    with pytest.raises(NotFound):
        social.add_comment(alice, post, "replying to bob", parent=bobs)
    with pytest.raises(NotFound):
        social.like(bob, comment=alices)
    with pytest.raises(NotFound):
        social.like(alice, comment=bobs)
    social.add_comment(bob, post, "a comment of his own is fine")
