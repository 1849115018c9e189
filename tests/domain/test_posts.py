"""Posts: text, tags and mentions, audiences, polls, editing and deletion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kith.core.errors import Conflict, Invalid, NotAllowed, NotFound
from kith.graph import services as graph
from kith.social import selectors
from kith.social import services as social
from kith.social.models import (
    Poll,
    PollOption,
    PollVote,
    Post,
    PostAudience,
    PostMention,
    PostRevision,
    Visibility,
)
from kith.social.services import PollDraft
from kith.timelines import selectors as timeline_selectors
from kith.timelines.models import StreamEntry
from kith.visibility import can_see_post
from tests import factories
from tests.domain.htmlcheck import assert_safe_html, elements

pytestmark = pytest.mark.django_db(transaction=True)


def audience_of(post) -> set[int]:
    return set(PostAudience.objects.filter(post=post).values_list("person_id", flat=True))


def sees(viewer, post) -> bool:
    return can_see_post(viewer, Post.objects.get(id=post.id))


# ---- text ---------------------------------------------------------------------------------


def test_markdown_is_rendered(alice):
    post = social.publish_post(alice, "Hello **world**, _you_ and ~~them~~\n\n- one\n- two")
    assert post.source.startswith("Hello **world**")
    assert "<strong>world</strong>" in post.html
    assert "<em>you</em>" in post.html
    assert "<li>one</li>" in post.html
    assert_safe_html(post.html)


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "![pixel](https://tracker.example/p.png)",
        '<a href="https://x.example" onclick="alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_post_html_is_sanitised(alice, hostile):
    post = social.publish_post(alice, hostile)
    assert_safe_html(post.html)
    assert "img" not in {tag for tag, _ in elements(post.html)}


def test_hashtags_are_linked_and_stored_normalised(alice):
    post = social.publish_post(alice, "Loving #Kith and #kith and #Café, but not #1 or a#b")
    assert set(post.tags.values_list("name", flat=True)) == {"kith", "café"}
    links = [attrs for tag, attrs in elements(post.html) if tag == "a" and attrs.get("class") == "hashtag"]
    assert [a["href"].rsplit("/", 1)[-1] for a in links] == ["kith", "kith", "café"]


def test_mentions_of_known_people_are_linked_and_stored(alice, bob):
    remote = factories.remote_person("zed", "other.example")
    post = social.publish_post(alice, "hi @bob and @zed@other.example and @nobody and mail@bob.example")
    assert set(PostMention.objects.filter(post=post).values_list("person_id", flat=True)) == {bob.id, remote.id}
    mention_links = [attrs["href"] for tag, attrs in elements(post.html) if attrs.get("class") == "mention"]
    assert len(mention_links) == 2
    assert mention_links[0].endswith("/@bob")
    assert "@nobody" in post.html  # left as text


def test_content_warning_is_kept_apart_from_the_text(alice):
    post = social.publish_post(alice, "spoilers inside", content_warning="  film ending ")
    assert post.content_warning == "film ending"
    assert "film ending" not in post.html


def test_empty_and_overlong_posts_are_refused(alice):
    with pytest.raises(Invalid):
        social.publish_post(alice, "   ")
    with pytest.raises(Invalid):
        social.publish_post(alice, "x" * (social.MAX_POST_CHARS + 1))
    with pytest.raises(Invalid):
        social.publish_post(alice, "ok", content_warning="x" * 501)
    with pytest.raises(Invalid):
        social.publish_post(alice, "ok", visibility="secret")
    assert not Post.objects.exists()


# ---- limited audiences ----------------------------------------------------------------------


def test_limited_post_audience_is_the_aspect_members_at_publish_time(alice, bob, carol, dave):
    friends = factories.aspect(alice, "Friends", bob, carol)
    factories.aspect(alice, "Work", dave)
    post = social.publish_post(alice, "friends only", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    assert audience_of(post) == {bob.id, carol.id}
    assert sees(bob, post)
    assert sees(carol, post)
    assert not sees(dave, post)
    assert not sees(None, post)
    assert sees(alice, post)


def test_adding_someone_to_the_aspect_later_does_not_reveal_older_posts(alice, bob, carol):
    friends = factories.aspect(alice, "Friends", bob)
    older = social.publish_post(alice, "older", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    graph.add_to_aspect(alice, friends, carol)
    newer = social.publish_post(alice, "newer", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    assert not sees(carol, older)
    assert older.id not in [p.id for p in timeline_selectors.stream(carol)]
    assert older.id not in [p.id for p in selectors.person_posts(carol, alice)]
    with pytest.raises(NotFound):
        selectors.post_for(carol, older.id)
    assert sees(carol, newer)
    assert audience_of(older) == {bob.id}


def test_removing_someone_from_the_aspect_later_widens_nothing(alice, bob, carol, dave):
    friends = factories.aspect(alice, "Friends", bob, carol)
    post = social.publish_post(alice, "for friends", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    graph.remove_from_aspect(alice, friends, carol)
    graph.add_to_aspect(alice, friends, dave)
    graph.delete_aspect(alice, friends)
    post.refresh_from_db()
    assert post.visibility == Visibility.LIMITED
    assert audience_of(post) == {bob.id, carol.id}  # fixed at publish time: shared is shared
    assert not sees(dave, post)
    assert not sees(None, post)


def test_limited_post_to_chosen_people_and_all_aspects(alice, bob, carol, dave):
    factories.aspect(alice, "Friends", bob)
    factories.aspect(alice, "Work", carol)
    graph.follow(dave, alice)
    outsider = factories.person("outsider")
    chosen = social.publish_post(alice, "just you", visibility=Visibility.LIMITED, person_ids=[outsider.id])
    assert audience_of(chosen) == {outsider.id}
    everyone = social.publish_post(alice, "all aspects", visibility=Visibility.LIMITED, all_aspects=True)
    # All aspects also reaches followers (Mastodon's followers-only).
    assert audience_of(everyone) == {bob.id, carol.id, dave.id}


def test_limited_post_refuses_someone_elses_aspect(alice, bob):
    bobs = graph.create_aspect(bob, "Bob's")
    with pytest.raises(Invalid):
        social.publish_post(alice, "sneaky", visibility=Visibility.LIMITED, aspect_ids=[bobs.id])
    with pytest.raises(Invalid):
        social.publish_post(alice, "ghost", visibility=Visibility.LIMITED, person_ids=[987654321])


def test_limited_posts_cannot_be_reshared(alice, bob):
    friends = factories.aspect(alice, "Friends", bob)
    limited = social.publish_post(alice, "private", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    direct = social.publish_post(alice, "hi @bob", visibility=Visibility.DIRECT)
    unlisted = social.publish_post(alice, "quiet", visibility=Visibility.UNLISTED)
    for post in (limited, direct, unlisted):
        with pytest.raises(NotAllowed):
            social.reshare(bob, post)
    assert not Post.objects.filter(reshare_of__isnull=False).exists()


def test_the_database_refuses_a_non_public_reshare(alice):
    post = social.publish_post(alice, "public")
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(
            author=alice, visibility=Visibility.LIMITED, reshare_of=post, created_at=timezone.now()
        )


def test_direct_post_audience_is_the_people_mentioned(alice, bob, carol):
    remote = factories.remote_person("zed", "other.example")
    post = social.publish_post(alice, "psst @bob @zed@other.example", visibility=Visibility.DIRECT)
    assert audience_of(post) == {bob.id, remote.id}
    assert sees(bob, post)
    assert sees(remote, post)
    assert not sees(carol, post)
    # A direct post is a message, read in its conversation: in nobody's stream.
    assert timeline_selectors.stream(bob) == timeline_selectors.stream(alice) == timeline_selectors.stream(carol) == []


def test_direct_post_needs_someone_to_go_to(alice):
    with pytest.raises(Invalid):
        social.publish_post(alice, "to nobody", visibility=Visibility.DIRECT)
    with pytest.raises(Invalid):
        social.publish_post(alice, "to @alice only", visibility=Visibility.DIRECT)


def test_mentioning_someone_in_a_limited_post_does_not_add_them_to_it(alice, bob, carol):
    friends = factories.aspect(alice, "Friends", bob)
    post = social.publish_post(alice, "cc @carol", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    assert audience_of(post) == {bob.id}
    assert not sees(carol, post)


# ---- polls ---------------------------------------------------------------------------------


def test_poll_is_created_with_its_options(alice):
    post = social.publish_post(alice, "tea or coffee?", poll=PollDraft(["tea", " coffee ", ""]))
    poll = Poll.objects.get(post=post)
    assert list(poll.options.values_list("title", flat=True)) == ["tea", "coffee"]
    assert not poll.multiple
    assert poll.expires_at == post.created_at + timedelta(days=1)


@pytest.mark.parametrize(
    "draft",
    [
        PollDraft(["only one"]),
        PollDraft([str(i) for i in range(11)]),
        PollDraft(["same", "same"]),
        PollDraft(["a", "x" * 201]),
        PollDraft(["a", "b"], expires_in=timedelta(minutes=1)),
        PollDraft(["a", "b"], expires_in=timedelta(days=40)),
    ],
)
def test_bad_polls_are_refused(alice, draft):
    with pytest.raises(Invalid):
        social.publish_post(alice, "poll", poll=draft)
    assert not Post.objects.exists()


def _counts(post) -> tuple[int, list[int]]:
    poll = Poll.objects.get(post=post)
    return poll.voters_count, list(PollOption.objects.filter(poll=poll).values_list("votes_count", flat=True))


def test_single_choice_poll_takes_one_option(alice, bob, carol):
    post = social.publish_post(alice, "pick one", poll=PollDraft(["a", "b", "c"]))
    with pytest.raises(Invalid):
        social.vote(bob, post, [0, 1])
    with pytest.raises(Invalid):
        social.vote(bob, post, [])
    social.vote(bob, post, [1])
    social.vote(carol, post, [1])
    assert _counts(post) == (2, [0, 2, 0])


def test_multiple_choice_poll_takes_several(alice, bob):
    post = social.publish_post(alice, "pick some", poll=PollDraft(["a", "b", "c"], multiple=True))
    social.vote(bob, post, [0, 2, 2])
    assert _counts(post) == (1, [1, 0, 1])
    assert PollVote.objects.filter(person=bob).count() == 2


def test_double_vote_is_refused(alice, bob):
    post = social.publish_post(alice, "once", poll=PollDraft(["a", "b"]))
    social.vote(bob, post, [0])
    with pytest.raises(Conflict):
        social.vote(bob, post, [1])
    assert _counts(post) == (1, [1, 0])


def test_expired_poll_refuses_votes(alice, bob):
    post = social.publish_post(alice, "closed", poll=PollDraft(["a", "b"]))
    Poll.objects.filter(post=post).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Invalid):
        social.vote(bob, post, [0])
    assert _counts(post) == (0, [0, 0])


def test_own_poll_refuses_the_authors_vote(alice):
    post = social.publish_post(alice, "mine", poll=PollDraft(["a", "b"]))
    with pytest.raises(Invalid):
        social.vote(alice, post, [0])


def test_vote_needs_to_see_the_poll_and_a_real_option(alice, bob, carol):
    friends = factories.aspect(alice, "Friends", bob)
    post = social.publish_post(
        alice, "friends vote", visibility=Visibility.LIMITED, aspect_ids=[friends.id], poll=PollDraft(["a", "b"])
    )
    with pytest.raises(NotFound):
        social.vote(carol, post, [0])
    with pytest.raises(Invalid):
        social.vote(bob, post, [7])
    plain = social.publish_post(alice, "no poll here")
    with pytest.raises(NotFound):
        social.vote(bob, plain, [0])


# ---- editing -------------------------------------------------------------------------------


def test_edit_keeps_a_revision_and_marks_the_post_edited(alice):
    post = social.publish_post(alice, "first #one", content_warning="cw1")
    assert post.edited_at is None
    social.edit_post(alice, post, "second #two", content_warning="cw2")
    social.edit_post(alice, post, "third #three")
    post.refresh_from_db()
    assert post.source == "third #three"
    assert post.content_warning == "cw2"
    assert post.edited_at is not None
    revisions = list(PostRevision.objects.filter(post=post))
    assert [r.source for r in revisions] == ["first #one", "second #two"]
    assert [r.content_warning for r in revisions] == ["cw1", "cw2"]
    assert set(post.tags.values_list("name", flat=True)) == {"three"}


def test_edit_never_changes_the_audience(alice, bob, carol):
    friends = factories.aspect(alice, "Friends", bob)
    post = social.publish_post(alice, "for friends", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    graph.add_to_aspect(alice, friends, carol)
    social.edit_post(alice, post, "now mentioning @carol")
    post.refresh_from_db()
    assert post.visibility == Visibility.LIMITED
    assert audience_of(post) == {bob.id}
    assert not sees(carol, post)
    direct = social.publish_post(alice, "hi @bob", visibility=Visibility.DIRECT)
    social.edit_post(alice, direct, "hi @bob and @carol")
    assert audience_of(direct) == {bob.id}
    assert not sees(carol, direct)


def test_only_the_author_edits(alice, bob):
    post = social.publish_post(alice, "mine")
    with pytest.raises(NotAllowed):
        social.edit_post(bob, post, "hijacked")
    shared = social.reshare(bob, post)
    with pytest.raises(Invalid):
        social.edit_post(bob, shared, "text on a reshare")
    with pytest.raises(Invalid):
        social.edit_post(alice, post, "   ")
    post.refresh_from_db()
    assert post.source == "mine"
    assert not PostRevision.objects.exists()


# ---- deletion -------------------------------------------------------------------------------


def test_delete_removes_the_post_its_stream_rows_and_reshares(alice, bob, carol):
    graph.follow(bob, alice)
    graph.follow(carol, bob)
    post = social.publish_post(alice, "short-lived")
    shared = social.reshare(bob, post)
    social.add_comment(bob, post, "comment")
    assert shared.id in [p.id for p in timeline_selectors.stream(carol)]
    social.delete_post(alice, post)
    assert not Post.objects.filter(id__in=[post.id, shared.id]).exists()
    assert not StreamEntry.objects.filter(post_id__in=[post.id, shared.id]).exists()
    assert timeline_selectors.stream(bob) == []
    assert timeline_selectors.stream(carol) == []


def test_only_the_author_deletes(alice, bob):
    post = social.publish_post(alice, "mine")
    with pytest.raises(NotAllowed):
        social.delete_post(bob, post)
    assert Post.objects.filter(id=post.id).exists()


def test_a_photo_is_seen_by_whoever_sees_its_post_and_before_that_by_its_owner_only(alice, bob, carol):
    from kith.social.models import Media, MediaState
    from kith.visibility import can_see_media

    photo = Media.objects.create(owner=alice, file="media/p.png", content_type="image/png", state=MediaState.READY)
    assert can_see_media(alice, photo)
    assert not can_see_media(bob, photo)
    assert not can_see_media(None, photo)
    friends = factories.aspect(alice, "Friends", bob)
    social.publish_post(alice, "look", visibility=Visibility.LIMITED, aspect_ids=[friends.id], media_ids=[photo.id])
    photo.refresh_from_db()
    assert can_see_media(bob, photo)
    assert not can_see_media(carol, photo)
    assert not can_see_media(None, photo)
    with pytest.raises(Invalid):  # attached already
        social.publish_post(alice, "again", media_ids=[photo.id])
    with pytest.raises(Invalid):  # not hers
        social.publish_post(bob, "mine now", media_ids=[photo.id])
