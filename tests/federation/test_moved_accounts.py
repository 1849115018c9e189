"""Moved accounts: a local person who moved publishes nothing new and says where they went
(actor `movedTo`, profile page); a remote person's Move shows on their profile here too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kith.core.errors import NotAllowed
from kith.federation.activitypub import actors, inbound, render, uris
from kith.federation.activitypub.models import InboundActivity, InboundState
from kith.federation.models import InstanceKey
from kith.people.models import Person
from kith.people.services import move_account, set_aliases
from kith.social import drafts, services
from tests.federation.peers import FakePeer, key_pair
from tests.web.conftest import client_for, page

pytestmark = pytest.mark.django_db(transaction=True)


def _moved(alice, bob):
    set_aliases(bob, [uris.actor("alice")])
    move_account(alice, bob, own_uri=uris.actor("alice"), target_aliases=[uris.actor("alice")])
    alice.refresh_from_db()
    return alice


def test_a_moved_person_can_no_longer_publish(alice, bob, carol):
    post = services.publish_post(carol, "something to answer")
    _moved(alice, bob)
    message = "This account has moved to bob@"
    with pytest.raises(NotAllowed, match=message):
        services.publish_post(alice, "still here?")
    with pytest.raises(NotAllowed, match=message):
        services.add_comment(alice, post, "me too")
    with pytest.raises(NotAllowed, match=message):
        services.reshare(alice, post)
    with pytest.raises(NotAllowed, match=message):
        drafts.schedule(alice, timezone.now() + timedelta(hours=1), drafts.Draft(text="later"))
    # The new account publishes as usual.
    assert services.publish_post(bob, "hello from my new home")


def test_the_compose_page_tells_a_moved_person_why(alice, bob):
    _moved(alice, bob)
    response = client_for(alice).post("/posts", {"text": "anyone?", "audience": ["public"]})
    assert response.status_code in (200, 400, 403)
    assert "This account has moved to" in response.content.decode()
    assert not services.Post.objects.filter(author=alice).exists()


def test_the_actor_and_the_profile_page_say_where_they_went(alice, bob):
    _moved(alice, bob)
    assert render.actor(alice)["movedTo"] == uris.actor("bob")
    for client in (Client(), client_for(bob)):
        html = page(client, "/@alice")
        assert "This account has moved to" in html
        assert 'href="/@bob"' in html
    assert "This account has moved to" not in page(Client(), "/@bob")


# ---- a remote person's Move -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _peer():
    peer = FakePeer.start("127.0.0.12")
    yield peer
    peer.close()


@pytest.fixture
def peer(_peer, settings, transactional_db):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    _peer.reset()
    cache.clear()
    public, private = key_pair(5)
    InstanceKey.objects.create(id=1, public_key_pem=public, private_key_pem=private)
    return _peer


def _apply(payload: dict) -> InboundActivity:
    stored = InboundActivity.objects.create(
        activity_uri=payload["id"], actor_uri=payload["actor"], activity_type=payload["type"], payload=payload
    )
    inbound.apply(stored)
    stored.refresh_from_db()
    return stored


def test_a_remote_move_shows_on_the_profile_here(peer, alice):
    old = peer.actor("ann").publish()
    new = peer.actor("ann2", key_index=1)
    new.update(alsoKnownAs=[old.uri])
    old_actor = actors.resolve_actor(old.uri)
    applied = _apply(old.activity("Move", old.uri, target=new.uri))
    assert applied.state == InboundState.DONE, applied.error
    moved = Person.objects.get(id=old_actor.person_id)
    assert moved.moved_to.ap_actor.uri == new.uri
    html = page(client_for(alice), f"/@{moved.handle}")
    assert "This account has moved to" in html
    assert f"@{moved.moved_to.handle}" in html


def test_a_move_the_new_account_does_not_confirm_changes_nothing(peer, alice):
    old = peer.actor("ann").publish()
    new = peer.actor("ann2", key_index=1).publish()  # no alsoKnownAs naming ann
    old_actor = actors.resolve_actor(old.uri)
    applied = _apply(old.activity("Move", old.uri, target=new.uri))
    assert applied.state == InboundState.FAILED
    assert Person.objects.get(id=old_actor.person_id).moved_to_id is None
