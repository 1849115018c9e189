"""The contacts page and aspect management."""

from __future__ import annotations

import pytest

from kith.graph.models import Aspect, AspectMembership
from kith.graph.services import block, follow
from tests import factories
from tests.web.conftest import page

pytestmark = pytest.mark.django_db(transaction=True)


def test_contacts_page_lists_aspects_followers_and_following(alice, bob, carol, as_alice):
    factories.aspect(alice, "Family", bob)
    follow(carol, alice)
    follow(alice, carol)
    html = page(as_alice, "/contacts")
    family = html[html.index("<h3>Family</h3>") :]
    assert "@bob@" in family.split("</ul>")[0]
    following = html[html.index('id="following-title"') :].split("</section>")[0]
    followers = html[html.index('id="followers-title"') :].split("</section>")[0]
    assert "@carol@" in following
    assert "@bob@" in following  # adding to an aspect follows
    assert "@carol@" in followers


def test_aspects_crud(alice, bob, as_alice):
    assert "You have no aspects yet." in page(as_alice, "/aspects")
    assert as_alice.post("/aspects", {"name": "Friends"})["Location"] == "/aspects"
    aspect = Aspect.objects.get(owner=alice)
    assert as_alice.post("/aspects", {"name": "Friends"}).status_code == 409
    assert as_alice.post("/aspects", {"name": ""}).status_code == 400

    as_alice.post(f"/aspects/{aspect.id}/rename", {"name": "Close friends"})
    aspect.refresh_from_db()
    assert aspect.name == "Close friends"

    as_alice.post(f"/aspects/{aspect.id}/add", {"handle": "bob"})
    assert AspectMembership.objects.filter(aspect=aspect, person=bob).exists()
    assert "Remove bob" in page(as_alice, "/aspects")
    as_alice.post(f"/aspects/{aspect.id}/remove", {"handle": "bob"})
    assert not AspectMembership.objects.filter(aspect=aspect).exists()

    as_alice.post(f"/aspects/{aspect.id}/delete")
    assert not Aspect.objects.filter(owner=alice).exists()


def test_adding_an_unknown_handle_says_so(alice, as_alice):
    aspect = factories.aspect(alice, "Friends")
    response = as_alice.post(f"/aspects/{aspect.id}/add", {"handle": "ghost"}, follow=True)
    assert "Nobody called ghost is known here." in response.content.decode()


def test_someone_elses_aspect_is_not_found(alice, bob, as_bob):
    aspect = factories.aspect(alice, "Friends")
    for action in ("rename", "delete", "add"):
        assert as_bob.post(f"/aspects/{aspect.id}/{action}", {"name": "x", "handle": "alice"}).status_code == 404
    assert Aspect.objects.get(id=aspect.id).name == "Friends"


def test_refused_aspect_changes_are_said_on_the_aspects_page(alice, bob, as_alice):
    friends = factories.aspect(alice, "Friends")
    factories.aspect(alice, "Family")
    renamed = as_alice.post(f"/aspects/{friends.id}/rename", {"name": "Family"}, follow=True)
    assert renamed.redirect_chain == [("/aspects", 302)]
    assert "You have an aspect with that name already." in renamed.content.decode()
    assert Aspect.objects.get(id=friends.id).name == "Friends"
    block(bob, alice)
    added = as_alice.post(f"/aspects/{friends.id}/add", {"handle": "bob"}, follow=True)
    assert added.redirect_chain == [("/aspects", 302)]
    assert "A block stands between you and that person." in added.content.decode()
    assert not AspectMembership.objects.filter(aspect=friends).exists()
