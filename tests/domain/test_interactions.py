"""Comments, likes and reshares."""

from __future__ import annotations

import pytest

from kith.core.errors import Invalid, NotAllowed, NotFound
from kith.graph import services as graph
from kith.social import selectors
from kith.social import services as social
from kith.social.models import Comment, CommentRevision, Like, Post, Visibility
from kith.timelines import selectors as timeline_selectors
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def counts(post) -> tuple[int, int, int]:
    post = Post.objects.get(id=post.id)
    return post.comment_count, post.like_count, post.reshare_count


# ---- comments ----------------------------------------------------------------------------


def test_comments_thread_and_count(alice, bob, carol):
    post = social.publish_post(alice, "talk to me")
    top = social.add_comment(bob, post, "first **bold**")
    reply = social.add_comment(carol, post, "a reply", parent=top)
    nested = social.add_comment(alice, post, "reply to the reply", parent=reply)
    assert top.parent is None
    assert reply.parent_id == top.id
    assert nested.parent_id == reply.id
    assert "<strong>bold</strong>" in top.html
    assert counts(post)[0] == 3
    assert [c.id for c in selectors.comments_for(carol, post)] == [top.id, reply.id, nested.id]


def test_a_reply_must_be_on_the_same_post(alice, bob):
    first = social.publish_post(alice, "one")
    second = social.publish_post(alice, "two")
    top = social.add_comment(bob, first, "on one")
    with pytest.raises(Invalid):
        social.add_comment(bob, second, "wrong thread", parent=top)


def test_empty_comment_and_invisible_post_are_refused(alice, bob, carol):
    post = social.publish_post(alice, "hi")
    with pytest.raises(Invalid):
        social.add_comment(bob, post, "  ")
    friends = factories.aspect(alice, "Friends", bob)
    limited = social.publish_post(alice, "friends", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    with pytest.raises(NotFound):
        social.add_comment(carol, limited, "let me in")
    social.add_comment(bob, limited, "I'm in")
    assert counts(limited)[0] == 1


def test_comment_on_a_reshare_goes_to_the_original(alice, bob, carol):
    post = social.publish_post(alice, "original")
    shared = social.reshare(bob, post)
    comment = social.add_comment(carol, shared, "on the reshare")
    assert comment.post_id == post.id
    assert counts(post)[0] == 1


def test_comment_edit_keeps_a_revision(alice, bob):
    post = social.publish_post(alice, "hi")
    comment = social.add_comment(bob, post, "frist")
    social.edit_comment(bob, comment, "first")
    comment.refresh_from_db()
    assert comment.source == "first"
    assert comment.edited_at is not None
    assert list(CommentRevision.objects.filter(comment=comment).values_list("source", flat=True)) == ["frist"]
    with pytest.raises(NotAllowed):
        social.edit_comment(alice, comment, "the post author cannot rewrite it")
    with pytest.raises(Invalid):
        social.edit_comment(bob, comment, " ")


def test_comment_deleted_by_its_author_or_the_posts_author_only(alice, bob, carol):
    post = social.publish_post(alice, "hi")
    by_bob = social.add_comment(bob, post, "bob's")
    by_carol = social.add_comment(carol, post, "carol's")
    with pytest.raises(NotAllowed):
        social.delete_comment(carol, by_bob)
    social.delete_comment(bob, by_bob)  # its author
    social.delete_comment(alice, by_carol)  # the post's author, moderating her thread
    assert not Comment.objects.exists()
    assert counts(post)[0] == 0


def test_deleting_a_comment_with_replies_counts_them_all(alice, bob, carol):
    post = social.publish_post(alice, "hi")
    top = social.add_comment(bob, post, "top")
    reply = social.add_comment(carol, post, "reply", parent=top)
    social.add_comment(alice, post, "reply 2", parent=top)
    social.add_comment(bob, post, "nested", parent=reply)
    other = social.add_comment(carol, post, "unrelated")
    assert counts(post)[0] == 5
    social.delete_comment(bob, top)
    assert counts(post)[0] == 1
    assert list(Comment.objects.all()) == [other]


# ---- likes -------------------------------------------------------------------------------


def test_like_a_post_is_idempotent_and_counted(alice, bob, carol):
    post = social.publish_post(alice, "like me")
    first = social.like(bob, post=post)
    again = social.like(bob, post=post)
    social.like(carol, post=post)
    assert first.pk == again.pk
    assert counts(post)[1] == 2
    assert set(selectors.likers(alice, post)) == {bob, carol}
    social.unlike(bob, post=post)
    social.unlike(bob, post=post)  # unliking twice changes nothing
    assert counts(post)[1] == 1
    assert list(Like.objects.values_list("person_id", flat=True)) == [carol.id]


def test_like_a_comment_is_idempotent_and_counted(alice, bob):
    post = social.publish_post(alice, "hi")
    comment = social.add_comment(bob, post, "a comment")
    social.like(alice, comment=comment)
    social.like(alice, comment=comment)
    comment.refresh_from_db()
    assert comment.like_count == 1
    assert counts(post)[1] == 0  # a comment's like is not the post's
    social.unlike(alice, comment=comment)
    comment.refresh_from_db()
    assert comment.like_count == 0
    assert not Like.objects.exists()


def test_like_needs_exactly_one_target_and_a_visible_post(alice, bob, carol):
    post = social.publish_post(alice, "hi")
    comment = social.add_comment(bob, post, "c")
    with pytest.raises(Invalid):
        social.like(bob)
    with pytest.raises(Invalid):
        social.like(bob, post=post, comment=comment)
    friends = factories.aspect(alice, "Friends", bob)
    limited = social.publish_post(alice, "friends", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    with pytest.raises(NotFound):
        social.like(carol, post=limited)
    assert counts(limited)[1] == 0


def test_like_of_a_reshare_goes_to_the_original(alice, bob, carol):
    post = social.publish_post(alice, "original")
    shared = social.reshare(bob, post)
    social.like(carol, post=shared)
    assert counts(post)[1] == 1
    assert counts(shared)[1] == 0
    social.unlike(carol, post=shared)
    assert counts(post)[1] == 0


def test_likers_hide_people_across_a_block(alice, bob, carol):
    post = social.publish_post(alice, "hi")
    social.like(bob, post=post)
    social.like(carol, post=post)
    graph.block(carol, bob)
    assert selectors.likers(carol, post) == [carol]
    assert set(selectors.likers(alice, post)) == {bob, carol}


# ---- reshares ------------------------------------------------------------------------------


def test_reshare_once_per_person_counted_and_undone(alice, bob, carol):
    post = social.publish_post(alice, "share me")
    first = social.reshare(bob, post)
    again = social.reshare(bob, post)
    assert first.id == again.id
    social.reshare(carol, post)
    assert counts(post)[2] == 2
    assert first.visibility == Visibility.PUBLIC
    assert first.reshare_of_id == post.id
    social.undo_reshare(bob, post)
    assert counts(post)[2] == 1
    assert not Post.objects.filter(id=first.id).exists()


def test_resharing_a_reshare_reshares_the_original(alice, bob, carol):
    post = social.publish_post(alice, "share me")
    shared = social.reshare(bob, post)
    again = social.reshare(carol, shared)
    assert again.reshare_of_id == post.id
    assert counts(post)[2] == 2


def test_own_posts_and_invisible_posts_cannot_be_reshared(alice, bob):
    post = social.publish_post(alice, "mine")
    with pytest.raises(NotAllowed):
        social.reshare(alice, post)
    graph.block(alice, bob)
    with pytest.raises(NotAllowed):
        social.reshare(bob, post)
    assert counts(post)[2] == 0


def test_reshares_reach_the_resharers_followers(alice, bob, carol):
    graph.follow(carol, bob)
    post = social.publish_post(alice, "spread the word")
    shared = social.reshare(bob, post)
    stream = timeline_selectors.stream(carol)
    assert [p.id for p in stream] == [shared.id]
    assert stream[0].reshare_of.id == post.id
