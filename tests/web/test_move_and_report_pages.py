"""The aliases, move and report pages."""

from __future__ import annotations

import pytest

from kith.federation.activitypub import uris
from kith.graph.models import Follow, FollowState
from kith.moderation.models import Report
from kith.social.services import publish_post
from tests import factories
from tests.web.conftest import client_for, page

pytestmark = pytest.mark.django_db(transaction=True)


def test_aliases_then_move_through_the_pages(alice, bob, carol, as_alice, as_bob):
    Follow.objects.create(follower=carol, followee=alice, state=FollowState.ACCEPTED)
    assert "Aliases" in page(as_alice, "/settings/profile")
    response = as_bob.post("/settings/aliases", {"handles": "alice"})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.also_known_as == [uris.actor("alice")]
    assert "Move" in page(as_alice, "/settings/move")
    wrong = as_alice.post("/settings/move", {"handle": "bob", "password": "wrong"})
    assert wrong.status_code == 400
    response = as_alice.post("/settings/move", {"handle": "bob", "password": factories.PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.moved_to_id == bob.id
    assert Follow.objects.filter(follower=carol, followee=bob).exists()


def test_move_refused_without_the_alias(alice, bob, as_alice):
    response = as_alice.post("/settings/move", {"handle": "bob", "password": factories.PASSWORD})
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.moved_to_id is None


def test_report_a_post_from_its_page(alice, bob, as_alice):
    post = publish_post(bob, "something rude")
    assert f"/@bob/report?post={post.id}" in page(as_alice, f"/posts/{post.id}")
    assert "Report" in page(as_alice, "/@bob")
    response = as_alice.post("/@bob/report", {"comment": "rude", "post": post.id, "posts": [post.id]})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.reporter_id, report.target_id, report.comment) == (alice.id, bob.id, "rude")
    assert list(report.posts.all()) == [post]
    assert client_for(bob).post("/@bob/report", {"comment": "me"}).status_code == 422
