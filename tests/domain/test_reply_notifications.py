"""A reply to a comment tells the person replied to so (issue 11, point 7): "replied to your
comment", never "mentioned you" nor "also commented", and once."""

from __future__ import annotations

import pytest

from kith.core.errors import NotFound
from kith.graph import services as graph
from kith.social import services as social
from kith.timelines.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db(transaction=True)

K = NotificationKind


def received(person) -> list[tuple[str, int]]:
    return list(Notification.objects.filter(recipient=person).order_by("id").values_list("kind", "actor_id"))


def test_a_reply_notifies_the_comments_author_as_a_reply(alice, bob, carol):
    post = social.publish_post(alice, "what do you think?")
    comment = social.add_comment(bob, post, "I think so")
    Notification.objects.all().delete()
    reply = social.add_comment(carol, post, "@bob why?", parent=comment)  # apps put the @mention in
    assert received(bob) == [(K.REPLIED, carol.id)]
    note = Notification.objects.get(recipient=bob)
    assert (note.post_id, note.comment_id) == (post.id, reply.id)
    # The post's author still hears of the comment on their post.
    assert received(alice) == [(K.COMMENTED, carol.id)]


def test_a_reply_to_the_posts_author_is_a_reply_not_a_comment(alice, bob):
    post = social.publish_post(alice, "hello")
    own = social.add_comment(alice, post, "adding something")
    social.add_comment(bob, post, "to your addition", parent=own)
    assert received(alice) == [(K.REPLIED, bob.id)]


def test_replying_to_ones_own_comment_notifies_only_the_others(alice, bob, carol):
    post = social.publish_post(alice, "hello")
    first = social.add_comment(bob, post, "first")
    social.add_comment(carol, post, "second")
    Notification.objects.all().delete()
    social.add_comment(bob, post, "and a footnote", parent=first)
    assert received(bob) == []
    assert received(alice) == [(K.COMMENTED, bob.id)]
    assert received(carol) == [(K.ALSO_COMMENTED, bob.id)]


def test_no_reply_notification_across_a_block_or_a_mute(alice, bob, carol, dave):
    post = social.publish_post(alice, "hello")
    comment = social.add_comment(bob, post, "hi")
    graph.block(bob, carol)
    Notification.objects.all().delete()
    with pytest.raises(NotFound):  # carol no longer sees bob's comment to reply to
        social.add_comment(carol, post, "blocked", parent=comment)
    graph.mute(bob, dave)  # muted with notifications
    social.add_comment(dave, post, "muted", parent=comment)
    assert received(bob) == []
    assert received(alice) == [(K.COMMENTED, dave.id)]
