"""Receiving content from other pods keeps the domain's rules: audiences fixed, edits by authors only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kith.core.errors import NotAllowed, NotFound
from kith.people.remote import upsert_remote_person
from kith.social import remote
from kith.social.models import Post, Visibility
from kith.timelines import selectors
from kith.timelines.models import Notification, NotificationKind
from kith.visibility import can_see_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ann():
    return upsert_remote_person("ann", "remote.example", display_name="Ann")


def test_upsert_remote_person_is_idempotent(ann):
    assert upsert_remote_person("ANN", "Remote.Example") == ann
    assert ann.handle == "ann@remote.example"
    assert not ann.is_local


def test_remote_limited_post_reaches_exactly_its_audience(ann, alice, bob, carol):
    post = remote.record_remote_post(
        ann, remote.RemoteContent(html="<p>for alice</p><script>x</script>"),
        visibility=Visibility.LIMITED, audience=[alice],
    )
    assert "<script" not in post.html
    assert can_see_post(alice, post)
    assert not can_see_post(bob, post)
    assert not can_see_post(None, post)
    assert [p.id for p in selectors.stream(alice)] == [post.id]
    assert selectors.stream(bob) == []


def test_remote_public_post_reaches_local_followers(ann, alice, bob):
    from kith.graph.models import Follow

    Follow.objects.create(follower=alice, followee=ann, state="accepted")
    post = remote.record_remote_post(ann, remote.RemoteContent(html="<p>hi #Tag</p>", tags=["tag"]), visibility=Visibility.PUBLIC)
    assert [p.id for p in selectors.stream(alice)] == [post.id]
    assert selectors.stream(bob) == []
    assert [p.id for p in selectors.tag_posts(None, "tag")] == [post.id]


def test_future_dates_are_clamped(ann):
    post = remote.record_remote_post(
        ann, remote.RemoteContent(html="<p>x</p>"), visibility=Visibility.PUBLIC,
        published=timezone.now() + timedelta(days=365),
    )
    assert post.created_at <= timezone.now()


def test_only_the_author_edits_and_the_audience_never_widens(ann, alice, bob):
    mallory = upsert_remote_person("mallory", "remote.example")
    post = remote.record_remote_post(ann, remote.RemoteContent(html="<p>v1</p>"), visibility=Visibility.LIMITED, audience=[alice])
    with pytest.raises(NotAllowed):
        remote.update_remote_post(mallory, post, remote.RemoteContent(html="<p>hacked</p>"))
    remote.update_remote_post(ann, post, remote.RemoteContent(html="<p>v2</p>", mentioned=[bob]))
    post.refresh_from_db()
    assert post.html == "<p>v2</p>"
    assert post.edited_at is not None
    assert post.revisions.count() == 1
    assert not can_see_post(bob, post)


def test_comment_from_outside_the_audience_is_refused(ann, alice):
    outsider = upsert_remote_person("zed", "elsewhere.example")
    post = Post.objects.get(id=remote.record_remote_post(
        ann, remote.RemoteContent(html="<p>x</p>"), visibility=Visibility.LIMITED, audience=[alice]
    ).id)
    with pytest.raises(NotFound):
        remote.record_remote_comment(outsider, post, remote.RemoteContent(html="<p>me too</p>"))


def test_remote_comment_on_local_post_notifies_author(ann, alice):
    from kith.social.services import publish_post

    post = publish_post(alice, "hello")
    comment = remote.record_remote_comment(ann, post, remote.RemoteContent(html="<p>hi alice</p>"))
    assert Notification.objects.filter(recipient=alice, actor=ann, comment=comment, kind=NotificationKind.COMMENTED).exists()
    post.refresh_from_db()
    assert post.comment_count == 1


def test_local_people_cannot_use_the_remote_path(alice):
    with pytest.raises(NotAllowed):
        remote.record_remote_post(alice, remote.RemoteContent(html="<p>x</p>"), visibility=Visibility.PUBLIC)


def test_remote_media_are_recorded_without_local_files(ann):
    post = remote.record_remote_post(
        ann,
        remote.RemoteContent(html="<p>pic</p>", media=[remote.RemoteMedia(url="https://remote.example/a.jpg", content_type="image/jpeg", description="a cat")]),
        visibility=Visibility.PUBLIC,
    )
    media = post.media.get()
    assert media.remote_url == "https://remote.example/a.jpg"
    assert media.description == "a cat"
    assert not media.file


def test_follow_of_a_remote_person_waits_for_their_server(alice, ann):
    from kith.graph.models import FollowState
    from kith.graph.services import accept_follow_request, follow

    relation = follow(alice, ann)
    assert relation.state == FollowState.PENDING
    assert accept_follow_request(ann, alice).state == FollowState.ACCEPTED
