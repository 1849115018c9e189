"""A private reply to a limited post is never a comment its whole audience reads (review of issue 11)."""

from __future__ import annotations

import pytest

from kith.federation.activitypub import uris
from kith.messaging.models import Message
from kith.social.models import Comment, Visibility
from kith.social.services import publish_post
from kith.visibility import can_see_comment, can_see_post
from tests.federation.test_inbound_messages import _actor, _apply, _note

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_direct_reply_to_the_author_alone_is_a_message_not_a_comment_for_the_audience(alice, bob):
    ann = _actor("ann")
    limited = publish_post(alice, "for ann and bob", visibility=Visibility.LIMITED, person_ids=[ann.person_id, bob.id])
    # ann answers alice alone (Mastodon's "direct"), leaving bob out.
    _apply(_note(ann, 60, [uris.actor("alice")], inReplyTo=uris.post("alice", limited.id)))
    comment = Comment.objects.filter(post=limited).first()
    assert comment is None or not can_see_comment(bob, comment)
    message = Message.objects.select_related("post").get()
    assert can_see_post(alice, message.post)
    assert not can_see_post(bob, message.post)


def test_a_reply_to_the_whole_audience_stays_a_comment(alice, bob):
    ann = _actor("ann")
    limited = publish_post(alice, "for ann and bob", visibility=Visibility.LIMITED, person_ids=[ann.person_id, bob.id])
    to = [uris.actor("alice"), uris.actor("bob")]
    _apply(_note(ann, 61, to, inReplyTo=uris.post("alice", limited.id)))
    assert Comment.objects.get().post_id == limited.id
    assert not Message.objects.exists()
