"""Rule 15 (kith/visibility.py): a limited person reaches only the people who already follow them.

The matrix and the property test check every read path against the oracle; these cases name
the behaviours one by one: who sees the posts and comments, where they are never listed, who
is notified, who finds the person, and what fan-out writes.  Rule 16 (sensitive media) is
checked where it is rendered: tests/api/test_limited_and_sensitive.py and the web tests.
"""

from __future__ import annotations

import pytest
from django.test import Client

from kith.core.events import ModerationNotice, emit_on_commit
from kith.graph import services as graph
from kith.people.models import Person
from kith.people.services import create_local_account, set_force_sensitive, set_limited
from kith.social import selectors
from kith.social import services as social
from kith.social.models import Post, Visibility
from kith.social.search import search_people, search_posts, search_tags
from kith.timelines import selectors as timelines
from kith.timelines.models import Notification, NotificationKind
from kith.visibility import (
    can_see_comment,
    can_see_post,
    stream_recipient_sources,
    visible_comment_counts,
    visible_comments_anywhere,
    visible_posts,
)
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lia(db) -> Person:
    return factories.person("lia")


def _limit(person: Person) -> Person:
    set_limited(None, person, True)
    person.refresh_from_db()
    return person


def test_set_limited_and_set_force_sensitive_set_the_flags_and_lift_them(lia):
    assert set_limited(None, lia, True) is True
    assert lia.limited is True
    assert Person.objects.get(id=lia.id).limited is True
    set_limited(None, lia, False)
    assert Person.objects.get(id=lia.id).limited is False
    assert set_force_sensitive(None, lia, True) is True
    assert lia.force_sensitive is True
    assert Person.objects.get(id=lia.id).force_sensitive is True
    set_force_sensitive(None, lia, False)
    assert Person.objects.get(id=lia.id).force_sensitive is False


def test_a_limited_persons_public_post_is_seen_by_themself_and_their_followers_only(lia, alice, bob, carol):
    graph.follow(alice, lia)
    post = social.publish_post(lia, "hello world")
    _limit(lia)
    moderator = create_local_account("mod", "mod@example.test", factories.PASSWORD, is_admin=True).person
    post = Post.objects.select_related("author").get(id=post.id)
    assert can_see_post(lia, post)
    assert can_see_post(alice, post)
    for stranger in (bob, None, moderator):  # staff get no exception (one authority)
        assert not can_see_post(stranger, post)
        assert not visible_posts(stranger).filter(id=post.id).exists()
    assert visible_posts(alice).filter(id=post.id).exists()
    # Lifting the limit shows it to everyone again.
    set_limited(None, lia, False)
    assert visible_posts(None).filter(id=post.id).exists()


def test_a_limited_persons_closed_posts_still_reach_their_audience(lia, alice, bob):
    friends = factories.aspect(lia, "friends", bob)  # lia shares with bob; bob does not follow her
    shared = social.publish_post(lia, "for friends", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    _limit(lia)
    assert visible_posts(bob).filter(id=shared.id).exists()
    assert not visible_posts(alice).filter(id=shared.id).exists()


def test_a_reshare_of_a_limited_persons_post_is_seen_by_their_followers_only(lia, alice, bob, carol):
    graph.follow(alice, lia)
    graph.follow(bob, alice)
    graph.follow(carol, alice)
    graph.follow(carol, lia)
    original = social.publish_post(lia, "reshare me")
    reshare = social.reshare(alice, original)
    _limit(lia)
    assert not visible_posts(bob).filter(id=reshare.id).exists()
    assert visible_posts(carol).filter(id=reshare.id).exists()
    assert reshare.id not in {p.id for p in timelines.stream(bob)}
    assert reshare.id in {p.id for p in timelines.stream(carol)}


def test_a_limited_persons_posts_are_never_listed_even_for_followers(lia, alice):
    graph.follow(alice, lia)
    post = social.publish_post(lia, "findable words #limitedtag")
    other = social.publish_post(alice, "findable words #limitedtag")
    _limit(lia)
    for viewer in (alice, lia):
        assert post.id not in {p.id for p in timelines.public_posts(viewer)}
        assert post.id not in {p.id for p in timelines.public_timeline(viewer)}
        assert post.id not in {p.id for p in timelines.tag_posts(viewer, "limitedtag")}
        assert post.id not in {p.id for p in timelines.tag_timeline(viewer, "limitedtag")}
        assert [p.id for p in search_posts(viewer, "findable words")] == [other.id]
    social.follow_tag(alice, "limitedtag")
    assert [p.id for p in timelines.followed_tags_posts(alice)] == [other.id]
    # But the follower's home stream has it, and so has the profile.
    assert post.id in {p.id for p in timelines.stream(alice)}
    assert post.id in {p.id for p in selectors.person_posts(alice, lia, selectors.Page())}


def test_trends_leave_a_limited_person_out(lia, alice, bob):
    graph.follow(alice, lia)
    post = social.publish_post(lia, "trend #onlylimited")
    social.like(alice, post=post)
    _limit(lia)
    assert post.id not in {p.id for p in selectors.trending_posts(alice)}
    assert "onlylimited" not in {t.name for t in selectors.trending_tags(limit=100)}
    assert "onlylimited" not in {t.name for t in search_tags("onlylimited")}


def test_the_outbox_leaves_a_limited_persons_posts_out(lia):
    social.publish_post(lia, "in the outbox?")
    _limit(lia)
    body = Client().get("/users/lia/outbox?page=true", HTTP_ACCEPT="application/activity+json")
    assert body.status_code == 200
    assert "in the outbox?" not in body.content.decode()


def test_a_limited_persons_comment_on_someone_elses_post_is_seen_by_followers_and_the_author(lia, alice, bob, carol):
    graph.follow(carol, lia)
    post = social.publish_post(alice, "what do you think")
    comment = social.add_comment(lia, post, "I think so")
    own = social.add_comment(bob, post, "me too")
    _limit(lia)
    for viewer, shown in ((alice, True), (carol, True), (lia, True), (bob, False), (None, False)):
        assert can_see_comment(viewer, comment) is shown, viewer
        assert visible_comments_anywhere(viewer).filter(id=comment.id).exists() is shown, viewer
        assert {c.id for c in selectors.comments_for(viewer, post)} == ({comment.id} if shown else set()) | {own.id}
        assert visible_comment_counts(viewer, [post.id]) == {post.id: 2 if shown else 1}, viewer


def test_a_limited_persons_comment_on_their_own_post_is_seen_by_whoever_sees_the_post(lia, bob):
    friends = factories.aspect(lia, "friends", bob)
    post = social.publish_post(lia, "for friends", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    comment = social.add_comment(lia, post, "and a comment")
    _limit(lia)
    assert can_see_comment(bob, comment)
    assert visible_comment_counts(bob, [post.id]) == {post.id: 1}


def test_a_limited_person_notifies_only_people_who_follow_them(lia, alice, bob, carol):
    graph.follow(carol, lia)
    _limit(lia)
    alices = social.publish_post(alice, "a post")
    carols = social.publish_post(carol, "a post of carol")
    social.publish_post(lia, "hi @alice and @carol")
    social.add_comment(lia, alices, "a comment")
    social.like(lia, post=alices)
    social.like(lia, post=carols)
    graph.follow(lia, bob)
    by_lia = Notification.objects.filter(actor=lia)
    assert not by_lia.filter(recipient__in=[alice, bob]).exists()
    assert set(by_lia.filter(recipient=carol).values_list("kind", flat=True)) == {
        NotificationKind.MENTIONED, NotificationKind.LIKED,
    }


def test_notifications_made_before_the_limit_are_hidden_from_non_followers(lia, alice, carol):
    graph.follow(carol, lia)
    social.publish_post(lia, "hi @alice and @carol")
    assert Notification.objects.filter(actor=lia, recipient=alice).exists()
    _limit(lia)
    assert not timelines.notifications(alice)
    assert [n.actor_id for n in timelines.notifications(carol)] == [lia.id]
    assert timelines.unread_count(alice) == 0


def test_moderation_notices_are_not_hidden_by_the_limit(lia, alice):
    """A limited person's report still reaches staff (its actor is the reporter)."""
    from django.db import transaction

    _limit(lia)
    with transaction.atomic():
        emit_on_commit(ModerationNotice(alice.id, NotificationKind.ADMIN_REPORT, lia.id, {"report_id": 1}))
    assert [n.kind for n in timelines.notifications(alice)] == [NotificationKind.ADMIN_REPORT]


def test_the_moderation_kinds_are_one_list_for_writing_and_showing():
    """The consumer that writes moderation notices and visibility's rule 17 that shows them read
    one definition, so a new kind cannot be written but hidden (or shown but refused)."""
    from kith import visibility
    from kith.timelines import consumers, models

    assert consumers.MODERATION_NOTIFICATION_KINDS is models.MODERATION_NOTIFICATION_KINDS
    assert visibility.MODERATION_NOTIFICATION_KINDS is models.MODERATION_NOTIFICATION_KINDS
    expected = {
        NotificationKind.MODERATION_WARNING, NotificationKind.REPORT_OUTCOME,
        NotificationKind.SEVERED_RELATIONSHIPS, NotificationKind.ADMIN_REPORT,
    }
    assert expected == models.MODERATION_NOTIFICATION_KINDS


def test_fan_out_writes_a_limited_persons_open_post_for_followers_only(lia, alice, bob, carol):
    graph.follow(alice, lia)
    social.follow_tag(carol, "news")
    _limit(lia)
    post = social.publish_post(lia, "#news for @bob")
    named = {person_id for ids, _ in stream_recipient_sources(post) for person_id in ids}
    assert named == {alice.id}
    assert post.id in {p.id for p in timelines.stream(alice)}
    for stranger in (bob, carol):
        assert post.id not in {p.id for p in timelines.stream(stranger)}


def test_people_search_finds_a_limited_person_by_exact_handle_or_by_a_follower(lia, alice, bob):
    graph.follow(alice, lia)
    _limit(lia)
    assert lia not in search_people(bob, "li")
    assert lia not in search_people(None, "li")
    assert lia in search_people(alice, "li")
    assert lia in search_people(lia, "li")
    assert lia in search_people(bob, "@lia")
    assert lia in search_people(bob, f"lia@{lia.handle.split('@')[1]}")


def test_directory_and_suggestions_leave_a_limited_person_out(lia, alice, bob, carol):
    graph.follow(alice, lia)
    graph.follow(bob, alice)
    graph.follow(carol, lia)
    assert lia in selectors.directory(bob)
    assert lia in {s.person for s in selectors.suggestions(bob)}
    _limit(lia)
    for viewer in (None, bob, alice):
        assert lia not in selectors.directory(viewer)
    assert lia not in {s.person for s in selectors.suggestions(bob)}


def test_a_follower_may_reshare_a_limited_persons_public_post(lia, alice):
    graph.follow(alice, lia)
    post = social.publish_post(lia, "worth sharing")
    _limit(lia)
    reshare = social.reshare(alice, post)
    assert reshare.reshare_of_id == post.id


def test_public_streaming_channels_leave_a_limited_persons_posts_out(lia):
    from kith.visibility import is_publicly_listed, publicly_listed_posts

    post = social.publish_post(lia, "on the public stream?")
    assert is_publicly_listed(Post.objects.select_related("author").get(id=post.id))
    _limit(lia)
    assert not is_publicly_listed(Post.objects.select_related("author").get(id=post.id))
    assert not publicly_listed_posts(Post.objects.filter(id=post.id)).exists()


def test_a_reshare_of_a_suspended_persons_post_is_shown_nowhere(alice, bob, carol):
    """Rules 1 and 6 (item 3 of the moderation brief): the reshare wrapper is a post of an active
    person, but it shows its original, so it goes with it, on every list and by id."""
    from kith.people.services import suspend_account

    graph.follow(carol, bob)
    original = social.publish_post(alice, "soon suspended")
    reshare = social.reshare(bob, original)
    moderator = create_local_account("mod", "mod@example.test", factories.PASSWORD, is_admin=True)
    suspend_account(moderator, alice.account, "spam")
    for viewer in (None, bob, carol):
        assert not visible_posts(viewer).filter(id__in=[original.id, reshare.id]).exists()
        assert reshare.id not in {p.id for p in selectors.person_posts(viewer, bob, selectors.Page())}
        assert not selectors.posts_by_ids(viewer, [reshare.id])
    assert reshare.id not in {p.id for p in timelines.stream(carol)}
    assert not selectors.resharers_page(carol, original)
