"""A remote actor's profile address is believed only on the actor's own server (review of issue 11)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kith.federation.activitypub.models import RemoteActor
from kith.people.remote import upsert_remote_person
from kith.social.lookup import look_up_url

pytestmark = pytest.mark.django_db


def _actor(username: str, host: str, profile_url: str) -> RemoteActor:
    person = upsert_remote_person(username, host)
    base = f"https://{host}"
    return RemoteActor.objects.create(
        person=person, uri=f"{base}/users/{username}", inbox=f"{base}/users/{username}/inbox",
        shared_inbox=f"{base}/inbox", key_id=f"{base}/users/{username}#main-key",
        followers_url=f"{base}/users/{username}/followers", public_key_pem="unused", actor_type="Person",
        fetched_at=timezone.now(), profile_url=profile_url,
    )


def test_an_actor_claiming_another_servers_profile_address_is_not_found_by_it(monkeypatch):
    # mallory's actor document says its `url` is alice's profile page on good.example.
    mallory = _actor("mallory", "evil.example", "https://good.example/@alice")
    asked: list[str] = []

    def fetch_json(url: str, *more: str) -> dict:  # the real lookup then asks good.example itself
        from kith.federation.activitypub.actors import ResolveError

        asked.append(url if not more else more[0])
        raise ResolveError("not reachable in this test")

    monkeypatch.setattr("kith.federation.activitypub.actors.fetch_json", fetch_json)
    monkeypatch.setattr("kith.federation.activitypub.actors.webfinger_actor_uri", fetch_json)
    monkeypatch.setattr("kith.federation.lookup.speaks_fediverse", lambda host: True)
    found = look_up_url("https://good.example/@alice").found
    assert found != mallory.person
    assert asked
    assert asked[0] == "https://good.example/@alice"


def test_an_actors_own_profile_address_still_finds_it():
    bob = _actor("bob", "good.example", "https://good.example/@bob")
    assert look_up_url("https://good.example/@bob").found == bob.person
