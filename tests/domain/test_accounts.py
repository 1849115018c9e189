"""Accounts: sign-up, password change, deletion, suspension."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import authenticate
from django.core.files.base import ContentFile

from kith.core.errors import Conflict, Invalid, NotAllowed
from kith.graph import services as graph
from kith.graph.models import Aspect, AspectMembership, Follow
from kith.messaging import services as messaging
from kith.messaging.models import Message
from kith.moderation.models import AuditLogEntry
from kith.people.models import Account, AccountState, Person
from kith.people.services import (
    change_password,
    create_local_account,
    delete_account,
    suspend_account,
    unsuspend_account,
)
from kith.social import selectors
from kith.social import services as social
from kith.social.models import Comment, Like, Media, MediaState, Post, Visibility
from kith.timelines import selectors as timeline_selectors
from kith.timelines.models import Notification
from kith.visibility import can_see_post
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

GOOD_PASSWORD = factories.PASSWORD


# ---- sign-up ------------------------------------------------------------------------


def test_sign_up_creates_an_account_and_its_local_person():
    account = create_local_account("Zoe_1", "zoe@example.test", GOOD_PASSWORD, display_name="Zoë")
    person = Person.objects.get(account=account)
    assert person.username == "Zoe_1"
    assert person.is_local
    assert person.display_name == "Zoë"
    assert account.check_password(GOOD_PASSWORD)
    assert not account.is_staff


@pytest.mark.parametrize("name", ["admin", "Admin", "ROOT", "inbox", "well-known", "notifications"])
def test_reserved_usernames_are_refused_in_any_case(name):
    with pytest.raises(Invalid):
        create_local_account(name, "someone@example.test", GOOD_PASSWORD)
    assert not Account.objects.exists()


@pytest.mark.parametrize("name", ["", "has space", "dash-name", "dot.name", "é", "x" * 31, "semi;colon"])
def test_malformed_usernames_are_refused(name):
    with pytest.raises(Invalid):
        create_local_account(name, "someone@example.test", GOOD_PASSWORD)
    assert not Person.objects.exists()


@pytest.mark.parametrize("taken_as", ["alice", "ALICE", "Alice"])
def test_a_taken_username_is_refused_case_insensitively(alice, taken_as):
    with pytest.raises(Conflict):
        create_local_account(taken_as, "other@example.test", GOOD_PASSWORD)
    assert Account.objects.count() == 1


def test_a_remote_person_with_the_same_name_does_not_block_a_local_sign_up():
    factories.remote_person("zoe")
    create_local_account("zoe", "zoe@example.test", GOOD_PASSWORD)
    assert Person.objects.filter(username="zoe").count() == 2


@pytest.mark.parametrize("email", ["", "not-an-email", "   "])
def test_an_invalid_email_is_refused(email):
    with pytest.raises(Invalid):
        create_local_account("zoe", email, GOOD_PASSWORD)
    assert not Account.objects.exists()


def test_a_taken_email_is_refused_case_insensitively(alice):
    with pytest.raises(Conflict):
        create_local_account("zoe", "ALICE@Example.test", GOOD_PASSWORD)


@pytest.mark.parametrize("password", ["short", "password", "12345678", "zoe_zoe_zoe", "qwertyuiop"])
def test_a_weak_password_is_refused_and_nothing_is_created(password):
    with pytest.raises(Invalid):
        create_local_account("zoe_zoe_zoe", "zoe@example.test", password)
    assert not Account.objects.exists()
    assert not Person.objects.exists()


def test_an_admin_sign_up_is_staff_and_audit_logged():
    account = create_local_account("boss", "boss@example.test", GOOD_PASSWORD, is_admin=True)
    assert account.is_staff
    assert account.is_superuser
    entry = AuditLogEntry.objects.get(action="account.create_admin")
    assert entry.target_id == str(account.pk)


def test_log_in_by_username_or_email_any_case(alice):
    assert authenticate(username="ALICE", password=GOOD_PASSWORD) == alice.account
    assert authenticate(username="Alice@example.test", password=GOOD_PASSWORD) == alice.account
    assert authenticate(username="alice", password="wrong password") is None


# ---- password change -------------------------------------------------------------------


def test_password_change_needs_the_old_password(alice):
    account = alice.account
    with pytest.raises(NotAllowed):
        change_password(account, "not my password", "a brand new long passphrase")
    account.refresh_from_db()
    assert account.check_password(GOOD_PASSWORD)


def test_password_change_refuses_a_weak_new_password(alice):
    account = alice.account
    with pytest.raises(Invalid):
        change_password(account, GOOD_PASSWORD, "password")
    account.refresh_from_db()
    assert account.check_password(GOOD_PASSWORD)


def test_password_change_takes_effect(alice):
    change_password(alice.account, GOOD_PASSWORD, "a brand new long passphrase")
    assert authenticate(username="alice", password="a brand new long passphrase") is not None
    assert authenticate(username="alice", password=GOOD_PASSWORD) is None


# ---- deletion ------------------------------------------------------------------------


def _photo(owner: Person, name: str) -> Media:
    media = Media.objects.create(owner=owner, content_type="image/png", state=MediaState.READY)
    media.file.save(f"{name}.png", ContentFile(b"not really a png"), save=True)
    return media


def test_account_deletion_removes_everything_the_person_made(alice, bob, carol):
    friends = factories.aspect(alice, "Friends", bob)
    graph.follow(alice, carol)
    graph.follow(carol, alice)
    photo = _photo(alice, "holiday")
    stray_photo = _photo(alice, "unattached")
    photo_path = photo.file.path
    own_post = social.publish_post(alice, "mine", media_ids=[photo.id])
    bobs_post = social.publish_post(bob, "bob's")
    top = social.add_comment(alice, bobs_post, "alice comments")
    social.add_comment(carol, bobs_post, "carol replies to alice", parent=top)
    kept = social.add_comment(carol, bobs_post, "carol's own comment")
    social.like(alice, post=bobs_post)
    social.like(alice, comment=kept)
    social.add_comment(bob, own_post, "bob on alice's post")
    conversation = messaging.start_conversation(alice, [bob], "hi", "alice writes")
    messaging.send_message(bob, conversation, "bob answers")

    delete_account(alice.account)

    alice.refresh_from_db()
    assert alice.state == AccountState.DELETED
    assert not Post.objects.filter(author=alice).exists()
    assert not Post.objects.filter(id=own_post.id).exists()
    assert not Comment.objects.filter(author=alice).exists()
    assert not Like.objects.filter(person=alice).exists()
    assert not Media.objects.filter(owner=alice).exists()
    assert not Message.objects.filter(post__author=alice).exists()
    assert Message.objects.filter(post__author=bob).count() == 1
    assert not Aspect.objects.filter(owner=alice).exists()
    assert not AspectMembership.objects.filter(aspect=friends).exists()
    assert not Follow.objects.filter(follower=alice).exists()
    assert not Follow.objects.filter(followee=alice).exists()
    # Counters on other people's things follow the removals (the reply to alice's comment went with it).
    bobs_post.refresh_from_db()
    kept.refresh_from_db()
    assert bobs_post.comment_count == 1
    assert bobs_post.like_count == 0
    assert kept.like_count == 0
    assert list(Comment.objects.filter(post=bobs_post)) == [kept]
    # Files are gone from storage too.
    assert not os.path.exists(photo_path)
    assert not os.path.exists(stray_photo.file.path)


def test_deleted_account_cannot_log_in_and_its_profile_is_emptied(alice):
    from kith.people.services import update_profile

    update_profile(alice, display_name="Alice A.", bio="about me", location="Paris", tags=["cats"])
    delete_account(alice.account)
    alice.refresh_from_db()
    assert authenticate(username="alice", password=GOOD_PASSWORD) is None
    assert (alice.display_name, alice.bio_html, alice.location) == ("", "", "")
    assert not alice.profile_tags.exists()
    assert not alice.searchable
    assert AuditLogEntry.objects.filter(action="account.delete", target_id=str(alice.account_id)).exists()


@pytest.mark.parametrize("name", ["alice", "ALICE", "Alice"])
def test_deleted_handle_stays_reserved(alice, name):
    delete_account(alice.account)
    with pytest.raises(Conflict):
        create_local_account(name, "new-alice@example.test", GOOD_PASSWORD)


def test_deleted_persons_posts_are_gone_from_other_streams(alice, bob):
    graph.follow(bob, alice)
    post = social.publish_post(alice, "soon gone")
    assert [p.id for p in timeline_selectors.stream(bob)] == [post.id]
    delete_account(alice.account)
    assert timeline_selectors.stream(bob) == []


# ---- suspension ------------------------------------------------------------------------


@pytest.fixture
def moderator(db):
    return create_local_account("mod", "mod@example.test", GOOD_PASSWORD, is_admin=True)


def test_suspension_hides_the_persons_posts_from_everyone(alice, bob, carol, moderator):
    friends = factories.aspect(alice, "Friends", bob)
    graph.follow(bob, alice)
    graph.follow(carol, alice)
    public = social.publish_post(alice, "public #sus")
    limited = social.publish_post(alice, "limited", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    social.add_comment(alice, social.publish_post(carol, "carol's"), "alice's comment")
    assert {p.id for p in timeline_selectors.stream(bob)} == {public.id, limited.id}

    suspend_account(moderator, alice.account, "spam")

    for viewer in (bob, carol, None):
        assert not can_see_post(viewer, Post.objects.get(id=public.id))
        assert not can_see_post(viewer, Post.objects.get(id=limited.id))
        assert selectors.person_posts(viewer, alice) == []
        assert timeline_selectors.tag_posts(viewer, "sus") == []
        assert alice.id not in {p.author_id for p in timeline_selectors.public_posts(viewer)}
    assert timeline_selectors.stream(bob) == []
    assert [p.id for p in timeline_selectors.stream(carol)] == [Post.objects.get(author=carol).id]
    carols_post = Post.objects.get(author=carol)
    assert selectors.comments_for(carol, carols_post) == []


def test_suspension_is_audit_logged_with_moderator_and_reason(alice, moderator):
    suspend_account(moderator, alice.account, "spam and abuse")
    entry = AuditLogEntry.objects.get(action="account.suspend")
    assert entry.actor_id == moderator.pk
    assert entry.target_type == "Account"
    assert entry.target_id == str(alice.account_id)
    assert entry.reason == "spam and abuse"
    alice.refresh_from_db()
    assert alice.state == AccountState.SUSPENDED


def test_suspended_account_cannot_log_in_post_or_follow(alice, bob, moderator):
    suspend_account(moderator, alice.account, "spam")
    alice.refresh_from_db()
    assert authenticate(username="alice", password=GOOD_PASSWORD) is None
    with pytest.raises(NotAllowed):
        social.publish_post(alice, "still here?")
    with pytest.raises(NotAllowed):
        graph.follow(alice, bob)
    with pytest.raises(NotAllowed):
        graph.add_to_aspect(alice, graph.create_aspect(alice, "Friends"), bob)
    assert not Notification.objects.filter(recipient=bob).exists()


def test_unsuspension_brings_posts_back_and_is_audit_logged(alice, bob, moderator):
    post = social.publish_post(alice, "hello")
    suspend_account(moderator, alice.account, "mistake?")
    unsuspend_account(moderator, alice.account, "it was a mistake")
    assert can_see_post(bob, Post.objects.get(id=post.id))
    assert AuditLogEntry.objects.filter(action="account.unsuspend", reason="it was a mistake").exists()
