"""Profiles, following, blocking, muting and the aspect menu through the pages."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from kith.graph.models import AspectMembership, Block, Follow, FollowState, Mute
from kith.people.services import update_profile
from kith.social import services
from tests import factories
from tests.web.conftest import client_for, page

pytestmark = pytest.mark.django_db(transaction=True)


def test_profile_pages_render_for_owner_others_and_visitors(alice, as_alice, as_bob):
    update_profile(alice, display_name="Alice A.", bio="I *like* tea", tags=["tea", "books"])
    services.publish_post(alice, "hello world")
    for client in (as_alice, as_bob, Client()):
        html = page(client, "/@alice")
        assert "Alice A." in html
        assert "<em>like</em>" in html
        assert 'href="/tags/books"' in html
        assert "hello world" in html
    assert "Edit your profile" in page(as_alice, "/@alice")
    assert page(as_bob, "/@alice@testserver")  # the full local handle works too
    page(as_bob, "/@nobody", status=404)


def test_remote_profile(as_alice):
    factories.remote_person("zoe", "far.example")
    html = page(as_alice, "/@zoe@far.example")
    assert "@zoe@far.example" in html
    assert "on far.example" in html
    page(as_alice, "/@zoe", status=404)  # not a local name
    # Not "Nothing here yet", which reads as "never posted": only what reached this pod is shown.
    assert "Nothing here yet" not in html
    assert "None of their posts has reached this pod yet." in html
    assert "their earlier posts are on far.example." in html
    factories.person("ann")
    assert "Nothing here yet." in page(as_alice, "/@ann")  # someone here with no posts has none


def test_private_profile_fields_only_for_people_shared_with(alice, bob, carol, as_bob, as_carol):
    update_profile(alice, location="Lisbon", gender="she", birthday=datetime.date(1990, 5, 17))
    factories.aspect(alice, "Friends", bob)
    assert "Lisbon" in page(as_bob, "/@alice")
    assert "<dt>Gender</dt>" in page(as_bob, "/@alice")
    html = page(as_carol, "/@alice")
    assert "Lisbon" not in html
    assert "<dt>Gender</dt>" not in html
    assert "Lisbon" not in page(Client(), "/@alice")


def test_follow_and_unfollow(alice, bob, as_bob):
    response = as_bob.post("/@alice/follow")
    assert response["Location"] == "/@alice"
    assert Follow.objects.filter(follower=bob, followee=alice, state=FollowState.ACCEPTED).exists()
    assert "Unfollow" in page(as_bob, "/@alice")
    # Said in words too (it said nothing when following was all there was, as with most people on other pods).
    assert "You follow this person." in page(as_bob, "/@alice")
    assert "This person follows you." in page(client_for(alice), "/@bob")
    client_for(alice).post("/@bob/follow")
    assert "You follow each other." in page(as_bob, "/@alice")
    as_bob.post("/@alice/unfollow")
    assert not Follow.objects.filter(follower=bob, followee=alice).exists()
    assert "This person follows you." in page(as_bob, "/@alice")


def test_follow_request_accepted_from_contacts(bob, as_bob):
    locked = factories.person("lena", locked=True)
    as_lena = client_for(locked)
    assert "Ask to follow" in page(as_bob, "/@lena")
    as_bob.post("/@lena/follow")
    assert "Withdraw follow request" in page(as_bob, "/@lena")
    contacts = page(as_lena, "/contacts")
    assert "Follow requests" in contacts
    assert 'action="/@bob/accept"' in contacts
    assert as_lena.post("/@bob/accept", {"next": "/contacts"})["Location"] == "/contacts"
    assert Follow.objects.get(follower=bob, followee=locked).state == FollowState.ACCEPTED


def test_follow_request_rejected(bob, as_bob):
    locked = factories.person("lena", locked=True)
    as_bob.post("/@lena/follow")
    client_for(locked).post("/@bob/reject")
    assert not Follow.objects.filter(follower=bob, followee=locked).exists()


def test_block_and_unblock(alice, bob, as_alice, as_bob):
    factories.aspect(alice, "Friends", bob)
    as_alice.post("/@bob/block")
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()
    assert not AspectMembership.objects.filter(person=bob).exists()
    assert "You block this person." in page(as_alice, "/@bob")
    assert "This person blocks you." in page(as_bob, "/@alice")
    assert as_bob.post("/@alice/follow").status_code == 403
    as_alice.post("/@bob/unblock")
    assert not Block.objects.filter(blocker=alice, blocked=bob).exists()


def test_blocking_asks_first_then_says_it_is_done(alice, bob, as_alice):
    profile = page(as_alice, "/@bob")
    # The Block button opens a step that asks (a GET form: a page without JavaScript, a dialog with it).
    assert '<form method="get" action="/@bob/block" class="inline" data-confirm>' in profile
    asked = page(as_alice, "/@bob/block")
    assert "Block bob?" in asked
    assert "data-confirm-box" in asked
    assert '<form method="post" action="/@bob/block">' in asked
    assert 'href="/@bob" class="button-link" data-cancel' in asked
    assert not Block.objects.exists()  # asking blocks nobody
    done = as_alice.post("/@bob/block", follow=True)
    assert done.redirect_chain == [("/@bob", 302)]
    html = done.content.decode()
    assert "You have blocked bob: you no longer see each other&#x27;s posts" in html
    assert "You block this person." in html
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()
    undone = as_alice.post("/@bob/unblock", follow=True).content.decode()
    assert "You have unblocked bob." in undone


def test_only_blocking_is_asked_by_get(bob, as_alice):
    for action in ("follow", "mute", "unblock", "remove_follower"):
        assert as_alice.get(f"/@bob/{action}").status_code == 405, action
    assert not Follow.objects.exists()
    assert as_alice.get("/@nobody/block").status_code == 404


def test_mute_and_unmute(alice, bob, as_alice):
    as_alice.post("/@bob/mute")
    assert Mute.objects.filter(muter=alice, muted=bob).exists()
    assert "Unmute" in page(as_alice, "/@bob")
    as_alice.post("/@bob/unmute")
    assert not Mute.objects.filter(muter=alice, muted=bob).exists()


def test_aspect_menu_on_a_profile(alice, bob, as_alice):
    family = factories.aspect(alice, "Family")
    work = factories.aspect(alice, "Work")
    html = page(as_alice, "/@bob")
    assert f'name="aspects" value="{family.id}"' in html
    as_alice.post("/@bob/aspects", {"aspects": [family.id, work.id]})
    assert set(AspectMembership.objects.filter(person=bob).values_list("aspect_id", flat=True)) == {family.id, work.id}
    assert "You share with this person." in page(as_alice, "/@bob")
    as_alice.post("/@bob/aspects", {"aspects": [work.id]})
    assert set(AspectMembership.objects.filter(person=bob).values_list("aspect_id", flat=True)) == {work.id}
    as_alice.post("/@bob/aspects", {})
    assert not AspectMembership.objects.filter(person=bob).exists()


def test_someone_elses_aspect_cannot_be_used(alice, bob, carol, as_alice):
    theirs = factories.aspect(carol, "Carol's")
    as_alice.post("/@bob/aspects", {"aspects": [theirs.id]})
    assert not AspectMembership.objects.exists()


def test_profile_lists_posts_with_load_more(alice, as_bob):
    for number in range(25):
        services.publish_post(alice, f"post number {number}")
    first = page(as_bob, "/@alice")
    assert "post number 24" in first
    assert "post number 4<" not in first
    assert 'rel="next"' in first
    oldest_shown = first.split('rel="next" href="?max_id=')[1].split('"')[0]
    second = page(as_bob, f"/@alice?max_id={oldest_shown}")
    assert "post number 4<" in second
    assert "post number 24" not in second
