"""Notifications: every kind, delivered once, never to oneself, never across blocks or mutes,
never about something the recipient cannot see."""

from __future__ import annotations

import pytest

from kith.core import events
from kith.graph import services as graph
from kith.messaging import services as messaging
from kith.people.services import create_local_account, suspend_account
from kith.social import services as social
from kith.social.models import Visibility
from kith.timelines import selectors as notification_selectors
from kith.timelines import services as notification_services
from kith.timelines.models import Notification, NotificationKind
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

K = NotificationKind


def received(person, kind=None) -> list[tuple[str, int]]:
    """(kind, actor id) of every notification stored for `person`, oldest first."""
    rows = Notification.objects.filter(recipient=person).order_by("id")
    if kind is not None:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("kind", "actor_id"))


# ---- mentioned -------------------------------------------------------------------------------


def test_mention_in_a_public_post_notifies_once(alice, bob):
    post = social.publish_post(alice, "hello @bob")
    assert received(bob) == [(K.MENTIONED, alice.id)]
    # A retried event, an edit keeping the mention: still one notification.
    events.dispatch(events.PostPublished(post.id))
    social.edit_post(alice, post, "hello again @bob")
    assert received(bob) == [(K.MENTIONED, alice.id)]
    assert Notification.objects.get(recipient=bob).post_id == post.id


def test_mentioning_oneself_notifies_nobody(alice):
    social.publish_post(alice, "note to @alice")
    assert received(alice) == []


def test_mention_in_a_limited_post_notifies_only_if_in_the_audience(alice, bob, carol):
    friends = factories.aspect(alice, "Friends", bob)
    Notification.objects.all().delete()
    social.publish_post(alice, "hi @bob and @carol", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    assert received(bob) == [(K.MENTIONED, alice.id)]
    assert received(carol) == []


def test_a_message_notifies_as_a_message_not_as_a_mention(alice, bob):
    messaging.start_conversation(alice, [bob], "", "psst @bob")
    assert received(bob) == [(K.PRIVATE_MESSAGE, alice.id)]


def test_mention_added_by_an_edit_notifies_only_if_the_post_is_seen(alice, bob, carol):
    friends = factories.aspect(alice, "Friends", bob)
    Notification.objects.all().delete()
    public = social.publish_post(alice, "hello")
    social.edit_post(alice, public, "hello @carol")
    assert received(carol) == [(K.MENTIONED, alice.id)]
    limited = social.publish_post(alice, "friends", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    social.edit_post(alice, limited, "friends and @dave_not_there and @carol")
    assert received(carol) == [(K.MENTIONED, alice.id)]


def test_mention_across_a_block_or_mute_notifies_nobody(alice, bob, carol):
    graph.block(bob, alice)
    graph.mute(carol, alice)
    social.publish_post(alice, "hi @bob and @carol")
    assert received(bob) == []
    assert received(carol) == []


def test_mention_in_a_comment_notifies_only_if_the_post_is_seen(alice, bob, carol, dave):
    friends = factories.aspect(alice, "Friends", bob)
    Notification.objects.all().delete()
    limited = social.publish_post(alice, "friends", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    social.add_comment(bob, limited, "what do @carol think?")
    assert received(carol) == []
    public = social.publish_post(alice, "public")
    social.add_comment(bob, public, "what does @dave think?")
    assert received(dave) == [(K.MENTIONED, bob.id)]


# ---- commented / also commented ---------------------------------------------------------------


def test_comment_notifies_the_posts_author_not_the_commenter(alice, bob):
    post = social.publish_post(alice, "talk")
    social.add_comment(bob, post, "hi")
    social.add_comment(alice, post, "own comment")
    assert received(alice) == [(K.COMMENTED, bob.id)]
    assert received(bob, K.COMMENTED) == []


def test_also_commented_reaches_earlier_commenters_once(alice, bob, carol, dave):
    post = social.publish_post(alice, "talk")
    social.add_comment(bob, post, "one")
    social.add_comment(bob, post, "two")
    social.add_comment(carol, post, "three")
    social.add_comment(dave, post, "four")
    assert received(bob, K.ALSO_COMMENTED) == [(K.ALSO_COMMENTED, carol.id), (K.ALSO_COMMENTED, dave.id)]
    assert received(carol, K.ALSO_COMMENTED) == [(K.ALSO_COMMENTED, dave.id)]
    assert received(dave, K.ALSO_COMMENTED) == []
    # The post's author hears "commented", never "also commented".
    assert received(alice, K.ALSO_COMMENTED) == []
    assert [a for _, a in received(alice, K.COMMENTED)] == [bob.id, bob.id, carol.id, dave.id]


def test_also_commented_skips_blocks_and_people_who_no_longer_see_the_post(alice, bob, carol, dave):
    post = social.publish_post(alice, "talk")
    social.add_comment(bob, post, "bob")
    social.add_comment(carol, post, "carol")
    graph.block(bob, dave)  # bob blocks the next commenter
    graph.block(alice, carol)  # carol cannot see alice's post any more
    Notification.objects.all().delete()
    social.add_comment(dave, post, "dave")
    assert received(bob) == []
    assert received(carol) == []
    assert received(alice) == [(K.COMMENTED, dave.id)]


def test_remote_commenters_are_not_notified(alice, bob):
    remote = factories.remote_person("zed")
    post = social.publish_post(alice, "talk")
    social.add_comment(remote, post, "from afar")
    social.add_comment(bob, post, "local")
    assert not Notification.objects.filter(recipient=remote).exists()


# ---- liked / reshared ----------------------------------------------------------------------


def test_likes_notify_the_author_once(alice, bob):
    post = social.publish_post(alice, "like me")
    social.like(bob, post=post)
    social.unlike(bob, post=post)
    social.like(bob, post=post)
    social.like(alice, post=post)
    assert received(alice) == [(K.LIKED, bob.id)]


def test_comment_like_notifies_the_comments_author(alice, bob, carol):
    post = social.publish_post(alice, "hi")
    comment = social.add_comment(bob, post, "comment")
    Notification.objects.all().delete()
    social.like(carol, comment=comment)
    social.like(bob, comment=comment)
    assert received(bob) == [(K.LIKED, carol.id)]
    assert Notification.objects.get(recipient=bob).comment_id == comment.id
    assert received(alice) == []


def test_a_muted_liker_does_not_notify(alice, bob):
    graph.mute(alice, bob)
    post = social.publish_post(alice, "hi")
    social.like(bob, post=post)
    social.add_comment(bob, post, "hi")
    assert received(alice) == []


def test_reshare_notifies_the_original_author_once(alice, bob, carol):
    post = social.publish_post(alice, "share me")
    shared = social.reshare(bob, post)
    social.reshare(bob, post)
    social.reshare(carol, shared)
    assert received(alice) == [(K.RESHARED, bob.id), (K.RESHARED, carol.id)]
    assert set(Notification.objects.filter(recipient=alice).values_list("post_id", flat=True)) == {post.id}


# ---- graph ---------------------------------------------------------------------------------


def test_follow_notifies_followed_or_follow_request(alice, bob):
    locked = factories.person("lockie", locked=True)
    graph.follow(bob, alice)
    graph.follow(bob, alice)
    graph.follow(bob, locked)
    assert received(alice) == [(K.FOLLOWED, bob.id)]
    assert received(locked) == [(K.FOLLOW_REQUEST, bob.id)]


def test_started_sharing_notifies_once(alice, bob):
    friends = graph.create_aspect(alice, "Friends")
    work = graph.create_aspect(alice, "Work")
    graph.add_to_aspect(alice, friends, bob)
    graph.add_to_aspect(alice, work, bob)
    assert received(bob) == [(K.STARTED_SHARING, alice.id)]


# ---- private messages -------------------------------------------------------------------------


def test_private_message_notifies_each_other_participant_once_per_message(alice, bob, carol):
    conversation = messaging.start_conversation(alice, [bob, carol], "plans", "dinner?")
    messaging.send_message(bob, conversation, "yes")
    assert received(bob) == [(K.PRIVATE_MESSAGE, alice.id)]
    assert received(carol) == [(K.PRIVATE_MESSAGE, alice.id), (K.PRIVATE_MESSAGE, bob.id)]
    assert received(alice) == [(K.PRIVATE_MESSAGE, bob.id)]
    messaging.mark_read(carol, conversation)
    assert not Notification.objects.filter(recipient=carol, read=False).exists()
    messaging.send_message(alice, conversation, "at eight")
    # Each message is its own notification (it names the message, as Mastodon's mention does).
    assert received(carol) == [(K.PRIVATE_MESSAGE, alice.id), (K.PRIVATE_MESSAGE, bob.id), (K.PRIVATE_MESSAGE, alice.id)]
    assert Notification.objects.filter(recipient=carol, read=False).count() == 1


# ---- reading -----------------------------------------------------------------------------------


def test_notifications_of_a_blocked_or_suspended_actor_are_hidden(alice, bob, carol):
    post = social.publish_post(alice, "hi")
    social.like(bob, post=post)
    social.like(carol, post=post)
    assert len(notification_selectors.notifications(alice)) == 2
    graph.block(alice, bob)
    moderator = create_local_account("mod", "mod@example.test", factories.PASSWORD, is_admin=True)
    suspend_account(moderator, carol.account, "spam")
    assert notification_selectors.notifications(alice) == []
    assert notification_selectors.unread_count(alice) == 0


def test_notifications_about_a_post_the_recipient_no_longer_sees_are_hidden(alice, bob):
    post = social.publish_post(alice, "hi @bob")
    assert len(notification_selectors.notifications(bob)) == 1
    social.delete_post(alice, post)
    assert notification_selectors.notifications(bob) == []


def test_notifications_can_be_read_filtered_and_dismissed(alice, bob, carol):
    post = social.publish_post(alice, "hi")
    social.like(bob, post=post)
    social.add_comment(carol, post, "hey")
    assert notification_selectors.unread_count(alice) == 2
    assert [n.kind for n in notification_selectors.notifications(alice, kinds=[K.LIKED])] == [K.LIKED]
    first = notification_selectors.notifications(alice)[0]
    notification_services.mark_read(alice, first.id)
    notification_services.mark_read(bob, notification_selectors.notifications(alice)[1].id)  # not bob's
    assert notification_selectors.unread_count(alice) == 1
    notification_services.mark_all_read(alice)
    assert notification_selectors.unread_count(alice) == 0
    notification_services.dismiss(alice, first.id)
    assert len(notification_selectors.notifications(alice)) == 1
    notification_services.clear_all(alice)
    assert notification_selectors.notifications(alice) == []


def test_comment_like_does_not_notify_someone_who_no_longer_sees_the_post(alice, bob, carol):
    post = social.publish_post(alice, "hi")
    comment = social.add_comment(bob, post, "bob's comment")
    # bob blocks alice: he no longer sees her post, nor what hangs off it, while carol still
    # sees his comment (had alice blocked him, his comment would be shown to nobody).
    graph.block(bob, alice)
    Notification.objects.all().delete()
    social.like(carol, comment=comment)
    assert received(bob) == []


def test_notify_itself_refuses_self_remote_inactive_blocked_and_muted(alice, bob, carol, dave):
    """The last line of defence, whatever a consumer forgot to check."""
    from kith.timelines.notify import notify

    remote = factories.remote_person("zed")
    graph.block(bob, alice)
    graph.mute(carol, alice)
    delete_target = factories.person("gone")
    from kith.people.services import delete_account

    delete_account(delete_target.account)
    delete_target.refresh_from_db()
    assert notify(alice, K.FOLLOWED, alice) is None
    assert notify(remote, K.FOLLOWED, alice) is None
    assert notify(bob, K.FOLLOWED, alice) is None
    assert notify(alice, K.FOLLOWED, bob) is None
    assert notify(carol, K.FOLLOWED, alice) is None
    assert notify(delete_target, K.FOLLOWED, alice) is None
    assert notify(dave, K.FOLLOWED, delete_target) is None
    assert notify(dave, K.FOLLOWED, alice) is not None
    assert notify(dave, K.FOLLOWED, alice) is not None  # the same one again, not a second
    assert Notification.objects.count() == 1
