"""Domain policies where federation meets them: no deliveries queued or sent to a refused host,
stored activities from it dropped, no fetches from it, Flags dropped when reports are rejected,
no copies of its media."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kith.federation import delivery, media_cache
from kith.federation.activitypub import actors, inbound, uris
from kith.federation.activitypub.models import InboundActivity, InboundState, RemoteActor
from kith.federation.models import CopyState, Delivery, DeliveryState, RemoteProfileImage
from kith.moderation import domains
from kith.moderation.models import Report
from kith.people.remote import upsert_remote_person
from kith.social.models import Media, MediaState

pytestmark = pytest.mark.django_db(transaction=True)
REMOTE = "https://mastodon.example"


def _remote_actor(username: str, domain: str = "mastodon.example", actor_type: str = "Person") -> RemoteActor:
    person = upsert_remote_person(username, domain)
    base = f"https://{domain}"
    return RemoteActor.objects.create(
        person=person, uri=f"{base}/users/{username}", inbox=f"{base}/users/{username}/inbox",
        shared_inbox=f"{base}/inbox", key_id=f"{base}/users/{username}#main-key",
        public_key_pem="unused", actor_type=actor_type, fetched_at=timezone.now(),
    )


def _apply(payload: dict) -> InboundActivity:
    stored = InboundActivity.objects.create(
        activity_uri=payload["id"], actor_uri=payload["actor"], activity_type=payload["type"], payload=payload
    )
    inbound.apply(stored)
    stored.refresh_from_db()
    return stored


def _enqueue(alice, *inboxes: str) -> int:
    return delivery.enqueue_deliveries(
        protocol="activitypub", activity_uri=f"{uris.actor('alice')}#x", body=b"{}",
        content_type="application/activity+json", inboxes=inboxes, signer=alice,
    )


def test_nothing_is_queued_for_a_suspended_domain_or_its_subdomains(alice):
    domains.set_policy(None, "bad.example", severity="suspend")
    made = _enqueue(alice, "https://bad.example/inbox", "https://pod.bad.example:8443/inbox", "https://good.example/inbox")
    assert made == 1
    assert list(Delivery.objects.values_list("host", flat=True)) == ["good.example"]


def test_a_batch_queues_nothing_for_a_suspended_domain_either(alice):
    """enqueue_batch (a retraction or restore of a whole account) obeys the same filter."""
    domains.set_policy(None, "bad.example", severity="suspend")
    domains.set_policy(None, "ok.bad.example", severity="noop")  # its own policy lets it through
    made = delivery.enqueue_batch(
        protocol="activitypub", content_type="application/activity+json", signer=alice,
        outgoing=[delivery.Outgoing(
            f"{uris.actor('alice')}#{number}", b"{}",
            ["https://bad.example/inbox", "https://pod.bad.example/inbox", "https://ok.bad.example/inbox"],
        ) for number in (1, 2)],
    )
    assert made == 2
    assert set(Delivery.objects.values_list("host", flat=True)) == {"ok.bad.example"}


def test_allowlist_mode_queues_only_for_allowed_domains(alice):
    domains.allow_domain(None, "friends.example")
    domains.set_allowlist_mode(None, True)
    _enqueue(alice, "https://friends.example/inbox", "https://a.friends.example/inbox", "https://stranger.example/inbox")
    assert sorted(Delivery.objects.values_list("host", flat=True)) == ["a.friends.example", "friends.example"]


def test_rows_queued_before_a_suspension_are_dropped_not_sent(alice):
    _enqueue(alice, "https://bad.example/inbox")  # (the tests' queue may try it at once: nobody answers)
    domains.set_policy(None, "bad.example", severity="suspend")
    Delivery.objects.update(next_attempt_at=timezone.now())
    tried = Delivery.objects.get().attempts
    stats = delivery.deliver_due(max_seconds=5)
    row = Delivery.objects.get()
    assert row.state == DeliveryState.DROPPED
    assert "does not federate" in row.last_error
    assert row.attempts == tried
    assert stats.requests == 0


def test_activities_stored_before_a_suspension_are_dropped(alice):
    ann = _remote_actor("ann", "bad.example")
    domains.set_policy(None, "bad.example", severity="noop")  # stored while still federating
    stored = InboundActivity.objects.create(
        activity_uri="https://bad.example/follows/1", actor_uri=ann.uri, activity_type="Follow",
        payload={"id": "https://bad.example/follows/1", "type": "Follow", "actor": ann.uri, "object": uris.actor("alice")},
    )
    domains.set_policy(None, "bad.example", severity="suspend")
    upsert_remote_person("ann", "bad.example")  # still SUSPENDED: a later sight does not revive
    ann.person.refresh_from_db()
    inbound.apply(stored)
    stored.refresh_from_db()
    assert stored.state == InboundState.DROPPED


def test_allowlist_drops_stored_activities_of_others(alice):
    ann = _remote_actor("ann", "stranger.example")
    domains.set_allowlist_mode(None, True)
    applied = _apply({"id": "https://stranger.example/follows/1", "type": "Follow", "actor": ann.uri,
                      "object": uris.actor("alice")})
    assert applied.state == InboundState.DROPPED
    assert "does not federate" in applied.error


def test_flags_are_dropped_from_a_domain_whose_reports_are_rejected(alice):
    instance = _remote_actor("mastodon.example", actor_type="Application")
    domains.set_policy(None, "mastodon.example", severity="noop", reject_reports=True)
    applied = _apply({"id": f"{REMOTE}/flags/1", "type": "Flag", "actor": instance.uri, "object": [uris.actor("alice")]})
    assert applied.state == InboundState.DROPPED
    assert "rejects reports" in applied.error
    assert not Report.objects.exists()
    domains.set_policy(None, "mastodon.example", severity="noop", reject_reports=False)
    applied = _apply({"id": f"{REMOTE}/flags/2", "type": "Flag", "actor": instance.uri, "object": [uris.actor("alice")]})
    assert applied.state == InboundState.DONE
    assert Report.objects.count() == 1


def test_nothing_is_fetched_from_a_refused_domain():
    domains.set_policy(None, "bad.example", severity="suspend")
    with pytest.raises(actors.ResolveError, match="does not federate"):
        actors.fetch_json("https://sub.bad.example/users/ann")
    with pytest.raises(actors.ResolveError, match="does not federate"):
        actors.webfinger_actor_uri("bad.example", "acct:ann@bad.example")


def test_media_of_a_domain_rejecting_media_is_not_copied(monkeypatch):
    ann = _remote_actor("ann", "pics.example")
    domains.set_policy(None, "pics.example", severity="noop", reject_media=True)

    def no_fetch(url, max_bytes):
        raise AssertionError(f"fetched {url}")

    monkeypatch.setattr(media_cache, "_fetch_image", no_fetch)
    photo = Media.objects.create(owner=ann.person, remote_url="https://cdn.elsewhere.example/a.png",
                                 state=MediaState.PROCESSING)
    media_cache.cache_remote_media_job.call_local(photo.id)
    photo.refresh_from_db()
    assert photo.state == MediaState.FAILED
    RemoteProfileImage.objects.create(person=ann.person, kind="avatar", url="https://pics.example/a.png",
                                      state=CopyState.PENDING, next_attempt_at=timezone.now())
    assert media_cache.copy_profile_image(ann.person.id, "avatar") == CopyState.FAILED
