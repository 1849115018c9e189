"""Streams, tag streams, person pages, the public timeline, and fan-out (inline and in the worker)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.conf import settings
from django.db.models import Count

from kith.graph import services as graph
from kith.people.services import create_local_account, suspend_account
from kith.social import selectors
from kith.social import services as social
from kith.social.models import Visibility
from kith.timelines import consumers, fanout
from kith.timelines import selectors as timeline_selectors
from kith.timelines.models import FanOut, FanOutState, StreamEntry
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def ids(posts) -> list[int]:
    return [p.id for p in posts]


# ---- the stream ------------------------------------------------------------------------------


def test_stream_holds_own_posts_of_every_visibility(alice, bob):
    friends = factories.aspect(alice, "Friends", bob)
    posts = [
        social.publish_post(alice, "public"),
        social.publish_post(alice, "unlisted", visibility=Visibility.UNLISTED),
        social.publish_post(alice, "limited", visibility=Visibility.LIMITED, aspect_ids=[friends.id]),
    ]
    social.publish_post(alice, "direct @bob", visibility=Visibility.DIRECT)  # a message: in no stream
    assert ids(timeline_selectors.stream(alice)) == [p.id for p in reversed(posts)]


def test_stream_holds_followed_peoples_open_posts_only(alice, bob, carol):
    graph.follow(bob, alice)
    friends = factories.aspect(alice, "Friends", carol)
    public = social.publish_post(alice, "public")
    unlisted = social.publish_post(alice, "unlisted", visibility=Visibility.UNLISTED)
    social.publish_post(alice, "limited", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    assert ids(timeline_selectors.stream(bob)) == [unlisted.id, public.id]


def test_stream_holds_limited_posts_for_their_audience(alice, bob, carol):
    friends = factories.aspect(alice, "Friends", bob)
    graph.follow(carol, alice)
    limited = social.publish_post(alice, "limited", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    assert ids(timeline_selectors.stream(bob)) == [limited.id]  # bob does not follow alice: the audience brings it
    assert timeline_selectors.stream(carol) == []  # carol follows alice but is not in the audience


def test_tag_follows_bring_public_tagged_posts_only(alice, bob):
    social.follow_tag(bob, "#Kith")
    friends = factories.aspect(alice, "Friends", bob)
    public = social.publish_post(alice, "about #kith")
    social.publish_post(alice, "quiet #kith", visibility=Visibility.UNLISTED)
    limited = social.publish_post(alice, "limited #kith", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    social.publish_post(alice, "other #tag")
    assert ids(timeline_selectors.stream(bob)) == [limited.id, public.id]  # the limited one came as audience
    assert ids(timeline_selectors.followed_tags_posts(bob)) == [public.id]
    social.unfollow_tag(bob, "KITH")
    later = social.publish_post(alice, "more #kith")
    assert later.id not in ids(timeline_selectors.stream(bob))


def test_reshares_reach_the_resharers_followers_not_twice(alice, bob, carol):
    graph.follow(carol, bob)
    graph.follow(carol, alice)
    post = social.publish_post(alice, "original")
    shared = social.reshare(bob, post)
    assert ids(timeline_selectors.stream(carol)) == [shared.id, post.id]
    assert StreamEntry.objects.filter(owner=carol).count() == 2


def test_muted_author_is_left_out(alice, bob):
    graph.follow(bob, alice)
    graph.mute(bob, alice)
    social.publish_post(alice, "muted")
    assert timeline_selectors.stream(bob) == []
    assert not StreamEntry.objects.filter(owner=bob).exists()


def test_stream_pages_newest_first(alice, bob):
    graph.follow(bob, alice)
    posts = [social.publish_post(alice, f"post {i}") for i in range(5)]
    newest_first = [p.id for p in reversed(posts)]
    first = timeline_selectors.stream(bob, selectors.Page(limit=2))
    assert ids(first) == newest_first[:2]
    second = timeline_selectors.stream(bob, selectors.Page(max_id=first[-1].id, limit=2))
    assert ids(second) == newest_first[2:4]
    newer = timeline_selectors.stream(bob, selectors.Page(min_id=newest_first[2]))
    assert ids(newer) == newest_first[:2]


def test_stream_marks_the_viewers_own_likes_and_reshares(alice, bob):
    graph.follow(bob, alice)
    post = social.publish_post(alice, "hi")
    social.like(bob, post=post)
    [shown] = timeline_selectors.stream(bob)
    assert shown.viewer_liked
    assert not shown.viewer_reshared


# ---- tag stream, person posts, public timeline ----------------------------------------------------


def test_tag_stream_lists_public_posts_only(alice, bob):
    friends = factories.aspect(alice, "Friends", bob)
    public = social.publish_post(alice, "#Kith rocks")
    social.publish_post(alice, "#kith quietly", visibility=Visibility.UNLISTED)
    social.publish_post(alice, "#kith privately", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    social.reshare(bob, public)
    for viewer in (None, alice, bob):
        assert ids(timeline_selectors.tag_posts(viewer, "kith")) == [public.id]
    assert timeline_selectors.tag_posts(None, "nothing") == []


def test_person_posts_depend_on_the_viewer(alice, bob, carol):
    friends = factories.aspect(alice, "Friends", bob)
    public = social.publish_post(alice, "public")
    unlisted = social.publish_post(alice, "unlisted", visibility=Visibility.UNLISTED)
    limited = social.publish_post(alice, "limited", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    assert ids(selectors.person_posts(alice, alice)) == [limited.id, unlisted.id, public.id]
    assert ids(selectors.person_posts(bob, alice)) == [limited.id, unlisted.id, public.id]
    assert ids(selectors.person_posts(carol, alice)) == [unlisted.id, public.id]
    assert ids(selectors.person_posts(None, alice)) == [unlisted.id, public.id]
    shared = social.reshare(carol, public)
    assert ids(selectors.person_posts(None, carol)) == [shared.id]


def test_public_timeline_is_local_public_original_posts(alice, bob):
    friends = factories.aspect(alice, "Friends", bob)
    remote = factories.remote_person("zed")
    public = social.publish_post(alice, "public")
    social.publish_post(alice, "unlisted", visibility=Visibility.UNLISTED)
    social.publish_post(alice, "limited", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    social.publish_post(alice, "direct @bob", visibility=Visibility.DIRECT)
    social.reshare(bob, public)
    from_afar = social.publish_post(remote, "remote public")
    for viewer in (None, alice, bob):
        assert ids(timeline_selectors.public_posts(viewer)) == [public.id]
    assert ids(timeline_selectors.public_posts(None, local_only=False)) == [from_afar.id, public.id]


# ---- fan-out -------------------------------------------------------------------------------------


@pytest.fixture
def fanout_paths(monkeypatch):
    """Which way each post took: inline in the request, or through the worker job."""
    taken: list[str] = []
    real_run, real_job = consumers.run_fanout, consumers.fanout_job

    def inline(post_id):
        taken.append("inline")
        return real_run(post_id)

    def job(post_id):
        taken.append("worker")
        return real_job(post_id)

    monkeypatch.setattr(consumers, "run_fanout", inline)
    monkeypatch.setattr(consumers, "fanout_job", job)
    return taken


def _followers_of(author, count, **kwargs):
    people = [factories.person(**kwargs) for _ in range(count)]
    for person in people:
        graph.follow(person, author)
    return people


def assert_exactly_once(post, expected_owners):
    rows = Counter(StreamEntry.objects.filter(post=post).values_list("owner_id", flat=True))
    assert set(rows) == {p.id for p in expected_owners}
    assert set(rows.values()) == {1}
    assert FanOut.objects.get(post=post).state == FanOutState.DONE


def test_small_audience_fans_out_inline_once_each(alice, fanout_paths):
    followers = _followers_of(alice, settings.KITH_INLINE_FANOUT_LIMIT)
    post = social.publish_post(alice, "small audience")
    assert fanout_paths == ["inline"]
    assert_exactly_once(post, [alice, *followers])


def test_large_audience_fans_out_in_the_worker_once_each(alice, bob, fanout_paths):
    followers = _followers_of(alice, 3 * settings.KITH_FANOUT_BATCH_SIZE + 2)
    # Overlapping reasons: some followers also follow the tag or are mentioned; others come only by tag.
    for person in followers[::3]:
        social.follow_tag(person, "big")
    tag_only = [factories.person() for _ in range(3)]
    for person in tag_only:
        social.follow_tag(person, "big")
    mentions = " ".join(f"@{p.username}" for p in followers[1:9])
    post = social.publish_post(alice, f"large audience #big {mentions} @bob")
    assert fanout_paths == ["worker"]
    assert_exactly_once(post, [alice, bob, *followers, *tag_only])
    # Running again (a retried job, the sweep) writes nothing new.
    fanout.run_fanout(post.id)
    FanOut.objects.filter(post=post).update(state=FanOutState.PENDING, cursor=0, claimed_until=None)
    fanout.run_fanout(post.id)
    assert_exactly_once(post, [alice, bob, *followers, *tag_only])


def test_large_limited_audience_fans_out_in_the_worker_once_each(alice, fanout_paths):
    members = [factories.person() for _ in range(2 * settings.KITH_FANOUT_BATCH_SIZE + 1)]
    friends = factories.aspect(alice, "Friends", *members)
    outsiders = _followers_of(alice, 2)
    post = social.publish_post(alice, "for friends", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    assert fanout_paths == ["worker"]
    assert_exactly_once(post, [alice, *members])
    assert not StreamEntry.objects.filter(post=post, owner__in=outsiders).exists()


def test_fan_out_skips_remote_inactive_blocking_and_muting_people(alice):
    followers = _followers_of(alice, 2 * settings.KITH_FANOUT_BATCH_SIZE)
    remote = factories.remote_person("zed")
    graph.follow(remote, alice)
    blocker, muter, suspended = followers[0], followers[7], followers[8]
    graph.mute(muter, alice)
    moderator = create_local_account("mod", "mod@example.test", factories.PASSWORD, is_admin=True)
    suspend_account(moderator, suspended.account, "spam")
    blocked_follow = followers[13]
    graph.block(alice, blocked_follow)
    graph.follow(blocker, alice)
    graph.block(blocker, alice)
    post = social.publish_post(alice, "to my followers")
    expected = [alice, *(f for f in followers if f not in (blocker, muter, suspended, blocked_follow))]
    assert_exactly_once(post, expected)


def test_a_fan_out_cut_short_resumes_where_it_stopped_and_delivers_once(alice, monkeypatch):
    followers = _followers_of(alice, 3 * settings.KITH_FANOUT_BATCH_SIZE)
    real_batch = fanout._recipient_batch
    calls = {"n": 0}

    def dies_on_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(fanout, "_recipient_batch", dies_on_second_batch)
    # The worker's job fails mid-way (huey keeps the error and schedules a retry for later).
    post = social.publish_post(alice, "interrupted")
    assert calls["n"] == 2
    state = FanOut.objects.get(post=post)
    assert state.state == FanOutState.PENDING
    delivered = StreamEntry.objects.filter(post=post).exclude(owner=alice).count()
    assert delivered == settings.KITH_FANOUT_BATCH_SIZE  # the first batch was committed with its cursor
    assert state.cursor == sorted(f.id for f in followers)[settings.KITH_FANOUT_BATCH_SIZE - 1]

    monkeypatch.setattr(fanout, "_recipient_batch", real_batch)
    FanOut.objects.filter(post=post).update(claimed_until=None)  # as if the dead worker's lease ran out
    assert fanout.sweep_pending_fanouts(include_claimed=True) == 1
    assert_exactly_once(post, [alice, *followers])


def test_a_lost_fan_out_job_is_found_by_the_sweep(alice, monkeypatch):
    followers = _followers_of(alice, settings.KITH_INLINE_FANOUT_LIMIT + 3)
    monkeypatch.setattr(consumers, "fanout_job", lambda post_id: None)  # the job vanished with its worker
    post = social.publish_post(alice, "lost job")
    assert StreamEntry.objects.filter(post=post).count() == 1
    assert fanout.sweep_pending_fanouts(include_claimed=True) == 1
    assert_exactly_once(post, [alice, *followers])
    assert fanout.sweep_pending_fanouts(include_claimed=True) == 0


def test_no_duplicate_stream_rows_anywhere(alice, bob, carol):
    """A catch-all: after a busy little scenario, no (owner, post) appears twice."""
    graph.follow(bob, alice)
    graph.follow(carol, bob)
    social.follow_tag(bob, "x")
    post = social.publish_post(alice, "#x hi @bob")
    social.reshare(bob, post)
    social.reshare(carol, post)
    duplicates = StreamEntry.objects.values("owner", "post").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
