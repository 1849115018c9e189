"""Suspension across pods, in one process: a suspended local person's content is taken back from
exactly the servers that got it and sent again when the suspension is lifted; its actor answers
410; nothing of a suspended remote person is taken in; a tombstone loses only to a re-Create
its actor updated after it; an unlifted suspension is purged after 30 days (time moved)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kith.core import outbox
from kith.core.errors import Conflict
from kith.core.models import PendingEvent
from kith.federation.activitypub import actors, inbound, uris
from kith.federation.activitypub.models import (
    InboundActivity,
    InboundState,
    RemoteActor,
    Retraction,
    Tombstone,
)
from kith.federation.activitypub.outbound import suspension
from kith.federation.activitypub.parse import parse_actor, parse_datetime, parse_note
from kith.federation.models import Delivery, DeliveryState
from kith.graph import services as graph
from kith.graph.models import Follow
from kith.moderation.models import AuditLogEntry
from kith.moderation.suspensions import RETENTION, purge_expired_suspensions
from kith.people.models import AccountState, Person
from kith.people.remote import upsert_remote_person
from kith.people.services import suspend_account, unsuspend_account
from kith.social import services
from kith.social.models import Comment, Like, Post, Visibility

pytestmark = pytest.mark.django_db(transaction=True)
REMOTE = "https://mastodon.example"
OTHER = "https://other.example"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _remote_actor(username: str, base: str = REMOTE) -> RemoteActor:
    person = upsert_remote_person(username, base.removeprefix("https://"))
    return RemoteActor.objects.create(
        person=person, uri=f"{base}/users/{username}", inbox=f"{base}/users/{username}/inbox",
        shared_inbox=f"{base}/inbox", key_id=f"{base}/users/{username}#main-key",
        public_key_pem="unused", fetched_at=timezone.now(),
    )


def _apply(payload: dict) -> InboundActivity:
    stored = InboundActivity.objects.create(
        activity_uri=payload["id"], actor_uri=payload["actor"], activity_type=payload["type"], payload=payload
    )
    inbound.apply(stored)
    stored.refresh_from_db()
    return stored


def _note(actor: RemoteActor, number: int, **extra) -> dict:
    return {
        "id": f"{actor.uri}/statuses/{number}", "type": "Note", "attributedTo": actor.uri,
        "content": f"<p>note {number}</p>", "to": [AS_PUBLIC], "cc": [actor.followers_url or f"{actor.uri}/followers"],
        "published": "2026-12-01T10:00:00Z", **extra,
    }


def _create(actor: RemoteActor, note: dict, activity_number: int | None = None) -> InboundActivity:
    number = activity_number if activity_number is not None else note["id"].rsplit("/", 1)[1]
    return _apply({
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor.uri}/activities/{number}",
        "type": "Create", "actor": actor.uri, "object": note, "to": note["to"], "cc": note["cc"],
    })


def _remote_post(actor: RemoteActor, number: int) -> Post:
    assert _create(actor, _note(actor, number)).state == InboundState.DONE
    return Post.objects.get(ap_object__uri=f"{actor.uri}/statuses/{number}")


def _sent(**filters) -> list[dict]:
    rows = Delivery.objects.filter(**filters).exclude(state=DeliveryState.DROPPED).order_by("id")
    return [json.loads(bytes(row.body)) for row in rows if bytes(row.body)]


def _inboxes(**filters) -> set[str]:
    return set(Delivery.objects.filter(**filters).values_list("inbox", flat=True))


@pytest.fixture
def world(alice):
    """alice, followed by ann (mastodon.example) and with dan (other.example) as the one member
    of a limited post; everything she did went out and was delivered."""
    ann = _remote_actor("ann")
    dan = _remote_actor("dan", OTHER)
    graph.follow(ann.person, alice)
    public = services.publish_post(alice, "public words")
    limited = services.publish_post(alice, "for dan only", visibility=Visibility.LIMITED, person_ids=[dan.person.id])
    theirs = _remote_post(ann, 1)
    comment = services.add_comment(alice, theirs, "a reply")
    like = services.like(alice, post=theirs)
    reshare = services.reshare(alice, theirs)
    Delivery.objects.update(state=DeliveryState.SENT)
    return {
        "ann": ann, "dan": dan, "public": public, "limited": limited, "theirs": theirs,
        "comment": comment, "like": like, "reshare": reshare,
    }


def test_a_suspension_takes_everything_back_from_exactly_the_servers_that_got_it(alice, world):
    before = {subject: _inboxes(subject=subject) for subject in (
        f"post:{world['public'].id}", f"post:{world['limited'].id}", f"comment:{world['comment'].id}",
        f"like:{world['like'].id}", f"post:{world['reshare'].id}",
    )}
    assert before[f"post:{world['limited'].id}"] == {f"{OTHER}/users/dan/inbox"}

    suspend_account(None, alice.account, "spam")

    alice.refresh_from_db()
    stamp = int(alice.suspended_at.timestamp() * 1000)
    for subject, inboxes in before.items():
        assert _inboxes(subject=f"retract:{subject}") == inboxes, subject
    [delete_public] = _sent(subject=f"retract:post:{world['public'].id}")
    assert delete_public["type"] == "Delete"
    assert delete_public["object"] == {
        "id": uris.post("alice", world["public"].id), "type": "Tombstone", "formerType": "Note",
        **{key: value for key, value in delete_public["object"].items() if key not in ("id", "type", "formerType")},
    }
    assert delete_public["id"] == uris.activity(uris.post("alice", world["public"].id), "delete", stamp)
    # The limited post's Delete goes to its one member's own inbox, nobody else's.
    [delete_limited] = Delivery.objects.filter(subject=f"retract:post:{world['limited'].id}")
    assert delete_limited.inbox == f"{OTHER}/users/dan/inbox"
    [undo_like] = _sent(subject=f"retract:like:{world['like'].id}")
    assert undo_like["type"] == "Undo"
    assert undo_like["object"]["id"] == uris.like("alice", world["like"].id)
    assert undo_like["object"]["object"] == f"{REMOTE}/users/ann/statuses/1"
    assert undo_like["to"] == [f"{REMOTE}/users/ann"]  # addressed, as the Like went, to the liked post's author
    [undo_announce] = _sent(subject=f"retract:post:{world['reshare'].id}")
    assert undo_announce["type"] == "Undo"
    assert undo_announce["object"]["id"] == uris.activity(uris.post("alice", world["reshare"].id), "announce")
    [delete_comment] = _sent(subject=f"retract:comment:{world['comment'].id}")
    assert delete_comment["object"]["id"] == uris.comment("alice", world["comment"].id)
    # Nothing local is deleted: the data is kept for the 30 days an appeal may take.
    assert Post.objects.filter(author=alice).count() == 3
    assert Comment.objects.filter(author=alice).exists()
    assert Like.objects.filter(person=alice).exists()


def test_a_retraction_run_again_sends_nothing_twice(alice, world):
    suspend_account(None, alice.account, "spam")
    rows = Delivery.objects.count()
    assert suspension.retract(alice.id) == 0
    assert Delivery.objects.count() == rows
    assert Retraction.objects.filter(person=alice).count() == 1


def test_a_retraction_killed_half_way_finishes_on_its_rerun_without_repeats(alice, world, monkeypatch):
    monkeypatch.setattr(suspension, "RETRACT_BATCH", 1)
    real, calls = suspension.enqueue_batch, []

    def dies_on_the_third_batch(**kwargs):
        calls.append(kwargs)
        if len(calls) == 3:
            raise RuntimeError("the worker was killed")
        return real(**kwargs)

    monkeypatch.setattr(suspension, "enqueue_batch", dies_on_the_third_batch)
    suspend_account(None, alice.account, "spam")  # the consumer runs at commit (here inline) and dies
    partial = Delivery.objects.filter(subject__startswith="retract:").count()
    [left] = PendingEvent.objects.filter(consumer__endswith="outbound._on_suspended")
    assert left.attempts == 1
    monkeypatch.setattr(suspension, "enqueue_batch", real)

    assert outbox.run_pending(left.id)  # the outbox's retry of the durable consumer

    subjects = list(Delivery.objects.filter(subject__startswith="retract:").values_list("subject", "inbox"))
    assert len(subjects) > partial
    assert len(subjects) == len(set(subjects))  # nothing twice
    assert {subject for subject, _inbox in subjects} == {
        f"retract:post:{world['public'].id}", f"retract:post:{world['limited'].id}",
        f"retract:post:{world['reshare'].id}", f"retract:comment:{world['comment'].id}", f"retract:like:{world['like'].id}",
    }


def test_what_had_not_gone_out_yet_stays_home(alice, world):
    waiting = services.publish_post(alice, "still in the queue")
    assert Delivery.objects.filter(subject=f"post:{waiting.id}", state=DeliveryState.PENDING).exists()
    suspend_account(None, alice.account, "spam")
    assert not Delivery.objects.filter(subject=f"post:{waiting.id}", state=DeliveryState.PENDING).exists()
    # It never reached ann's server: no Delete goes there either (it would only tell the post's URI).
    assert not Delivery.objects.filter(subject=f"retract:post:{waiting.id}").exists()


def test_a_retraction_tells_only_servers_that_may_have_the_object(alice, world):
    """A limited post whose delivery was dropped or never tried reached nobody: no Delete names
    it to them; one tried (it may have arrived before the try timed out) or given up on does."""
    erin = _remote_actor("erin", "https://third.example")
    fay = _remote_actor("fay", "https://fourth.example")
    gus = _remote_actor("gus", "https://fifth.example")
    hal = _remote_actor("hal", "https://sixth.example")
    members = [erin.person.id, fay.person.id, gus.person.id, hal.person.id]
    limited = services.publish_post(alice, "for four", visibility=Visibility.LIMITED, person_ids=members)
    rows = Delivery.objects.filter(subject=f"post:{limited.id}")
    rows.filter(inbox=erin.inbox).update(state=DeliveryState.DROPPED, attempts=0)  # dropped, never tried
    rows.filter(inbox=fay.inbox).update(state=DeliveryState.PENDING, attempts=1)  # a try timed out: it may be there
    rows.filter(inbox=gus.inbox).update(state=DeliveryState.FAILED, attempts=12)
    rows.filter(inbox=hal.inbox).update(state=DeliveryState.PENDING, attempts=0)  # the suspension drops it

    suspend_account(None, alice.account, "spam")

    assert _inboxes(subject=f"retract:post:{limited.id}") == {fay.inbox, gus.inbox}


def test_nothing_is_retracted_once_the_suspension_is_lifted(alice, world):
    assert suspension.retract(alice.id) == 0  # active: nothing to take back
    assert not Retraction.objects.exists()


def test_a_restore_sends_everything_again_under_new_ids_with_a_later_updated(alice, world):
    suspend_account(None, alice.account, "spam")
    Delivery.objects.filter(subject__startswith="retract:").update(state=DeliveryState.SENT)

    unsuspend_account(None, alice.account, "appeal granted")

    retraction = Retraction.objects.get(person=alice)
    assert retraction.restored_at is not None
    stamp = int(retraction.restored_at.timestamp() * 1000)
    creates = {
        activity["object"]["id"]: activity
        for activity in _sent(subject=f"post:{world['public'].id}") + _sent(subject=f"post:{world['limited'].id}")
        if activity["type"] == "Create" and activity["id"].endswith(f"/create/{stamp}")
    }
    public = creates[uris.post("alice", world["public"].id)]
    assert parse_datetime(public["object"]["updated"]) == retraction.restored_at.replace(
        microsecond=retraction.restored_at.microsecond // 1000 * 1000
    )
    assert _inboxes(activity_uri=public["id"]) == {f"{REMOTE}/inbox"}
    limited = creates[uris.post("alice", world["limited"].id)]
    assert limited["to"] == [f"{OTHER}/users/dan"]
    assert limited["cc"] == []
    assert _inboxes(activity_uri=limited["id"]) == {f"{OTHER}/users/dan/inbox"}
    [recomment] = [a for a in _sent(subject=f"comment:{world['comment'].id}") if a["id"].endswith(f"/create/{stamp}")]
    assert recomment["object"]["inReplyTo"] == f"{REMOTE}/users/ann/statuses/1"
    # Replies go a little after the posts they may answer (a reply to a post not there yet is dropped).
    assert Delivery.objects.get(activity_uri=recomment["id"]).next_attempt_at >= (
        retraction.restored_at + suspension.REPLIES_AFTER
    )
    [relike] = [a for a in _sent(subject=f"like:{world['like'].id}") if a["type"] == "Like" and "restored" in a["id"]]
    assert relike["id"] == suspension.restored_like_id("alice", world["like"].id, stamp)
    [reannounce] = [a for a in _sent(subject=f"post:{world['reshare'].id}") if a["id"].endswith(f"/announce/{stamp}")]
    assert reannounce["object"] == f"{REMOTE}/users/ann/statuses/1"
    [update] = [a for a in _sent(subject=f"profile:{alice.id}") if a["type"] == "Update"]
    assert update["object"]["id"] == uris.actor("alice")
    # Run again (a replayed event): the same ids, nothing new.
    rows = Delivery.objects.count()
    assert suspension.restore(alice.id) == 0
    assert Delivery.objects.count() == rows


def test_a_restore_drops_the_deletes_still_waiting(alice, world):
    suspend_account(None, alice.account, "spam")
    assert Delivery.objects.filter(subject__startswith="retract:", state=DeliveryState.PENDING).exists()
    unsuspend_account(None, alice.account, "a mistake")
    assert not Delivery.objects.filter(subject__startswith="retract:", state=DeliveryState.PENDING).exists()


def test_a_second_suspension_retracts_the_restored_ids(alice, world):
    suspend_account(None, alice.account, "spam")
    unsuspend_account(None, alice.account, "appeal granted")
    restored = Retraction.objects.get(person=alice).restored_at
    stamp = int(restored.timestamp() * 1000)
    Delivery.objects.update(state=DeliveryState.SENT)
    suspend_account(None, alice.account, "again")
    assert Retraction.objects.filter(person=alice).count() == 2
    undo_likes = [a for a in _sent(subject=f"retract:like:{world['like'].id}") if "restored" in a["object"]["id"]]
    assert [a["object"]["id"] for a in undo_likes] == [suspension.restored_like_id("alice", world["like"].id, stamp)]
    undo_announces = [a for a in _sent(subject=f"retract:post:{world['reshare'].id}") if a["object"]["id"].endswith(f"/{stamp}")]
    assert len(undo_announces) == 1


def test_after_a_restore_an_unlike_or_unreshare_names_the_restored_ids(alice, world):
    suspend_account(None, alice.account, "spam")
    unsuspend_account(None, alice.account, "appeal granted")
    stamp = int(Retraction.objects.get(person=alice).restored_at.timestamp() * 1000)
    services.unlike(alice, post=world["theirs"])
    services.undo_reshare(alice, world["theirs"])
    [undo_like] = _sent(subject=f"undo:like:{world['like'].id}")
    assert undo_like["object"]["id"] == suspension.restored_like_id("alice", world["like"].id, stamp)
    [undo_announce] = _sent(subject=f"delete:post:{world['reshare'].id}")
    assert undo_announce["object"]["id"] == uris.activity(uris.post("alice", world["reshare"].id), "announce", stamp)


def test_a_retraction_reads_in_batches_not_per_object(bob, carol):
    """The same number of queries for an account with 2 posts as for one with 40 (no N+1)."""
    ann = _remote_actor("ann")
    for person, count in ((carol, 2), (bob, 40)):
        graph.follow(ann.person, person)
        for number in range(count):
            services.publish_post(person, f"post {number}")
    Delivery.objects.update(state=DeliveryState.SENT)

    def queries_to_retract(person: Person) -> int:
        suspend_account(None, person.account, "spam")
        Retraction.objects.filter(person=person).delete()
        Delivery.objects.filter(subject__startswith="retract:").delete()
        with CaptureQueriesContext(connection) as captured:
            assert suspension.retract(person.id) > 0
        return len(captured)

    assert queries_to_retract(bob) == queries_to_retract(carol)


def test_a_suspended_actor_and_everything_under_it_answer_410_and_show_nothing(client, alice, world):
    addresses = [
        "/users/alice", "/users/alice/outbox", "/users/alice/outbox?page=true", "/users/alice/followers",
        "/users/alice/following", f"/users/alice/posts/{world['public'].id}",
        f"/users/alice/comments/{world['comment'].id}", f"/users/alice/likes/{world['like'].id}",
    ]
    for address in addresses:
        assert client.get(address).status_code == 200, address
    suspend_account(None, alice.account, "spam")
    for address in addresses:
        answer = client.get(address)
        assert answer.status_code == 410, address
        assert b"public words" not in answer.content
        assert b"a reply" not in answer.content
    unsuspend_account(None, alice.account, "appeal granted")
    for address in addresses:
        assert client.get(address).status_code == 200, address


def test_a_restored_like_is_served_under_its_new_id(client, alice, world):
    like_id = suspension.restored_like_id("alice", world["like"].id, 1234)
    document = client.get(like_id.removeprefix(uris.base())).json()
    assert document["id"] == like_id
    assert document["type"] == "Like"


# ---- receiving: tombstones and re-Creates ------------------------------------------------------


def test_a_tombstone_wins_over_a_create_it_overtook_and_loses_to_a_later_restore(db):
    ann = _remote_actor("ann")
    note = _note(ann, 7)
    _apply({"id": f"{ann.uri}/statuses/7/delete", "type": "Delete", "actor": ann.uri, "object": note["id"]})
    tombstone = Tombstone.objects.get(uri=note["id"])

    assert _create(ann, note).state == InboundState.DROPPED  # overtaken: no `updated`
    earlier = (tombstone.deleted_at - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert _create(ann, note | {"updated": earlier}, activity_number=71).state == InboundState.DROPPED
    assert not Post.objects.filter(ap_object__uri=note["id"]).exists()

    later = (tombstone.deleted_at + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    restored = _create(ann, note | {"updated": later}, activity_number=72)
    assert restored.state == InboundState.DONE, restored.error
    assert Post.objects.filter(ap_object__uri=note["id"]).exists()
    assert not Tombstone.objects.filter(uri=note["id"]).exists()


def test_a_tombstone_only_yields_to_its_own_actor(db):
    ann, eve = _remote_actor("ann"), _remote_actor("eve")
    note = _note(ann, 8)
    _apply({"id": f"{ann.uri}/statuses/8/delete", "type": "Delete", "actor": ann.uri, "object": note["id"]})
    later = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    forged = _create(eve, note | {"attributedTo": eve.uri, "updated": later}, activity_number=81)
    assert forged.state != InboundState.DONE
    assert Tombstone.objects.filter(uri=note["id"]).exists()


# ---- a suspended remote person ----------------------------------------------------------------


def _suspend_remote(actor: RemoteActor) -> None:
    # What the accounts branch's kith.people.remote.suspend_remote_person sets (its content purge aside).
    Person.objects.filter(id=actor.person_id).update(state=AccountState.SUSPENDED, suspended_at=timezone.now())
    actor.person.refresh_from_db()


def test_nothing_new_from_a_suspended_remote_person_is_taken(alice):
    ann = _remote_actor("ann")
    _suspend_remote(ann)
    assert _create(ann, _note(ann, 2)).state == InboundState.DROPPED
    assert _apply({"id": f"{ann.uri}/follows/1", "type": "Follow", "actor": ann.uri, "object": uris.actor("alice")}).state == InboundState.DROPPED
    post = services.publish_post(alice, "hello")
    assert _apply({"id": f"{ann.uri}#likes/2", "type": "Like", "actor": ann.uri, "object": uris.post("alice", post.id)}).state == InboundState.DROPPED
    assert not Post.objects.filter(author=ann.person).exists()
    assert not Like.objects.exists()
    assert not Follow.objects.filter(follower=ann.person).exists()


def test_a_reshare_of_a_suspended_persons_post_is_not_taken(db):
    ann, bea = _remote_actor("ann"), _remote_actor("bea")
    theirs = _remote_post(ann, 3)
    _suspend_remote(ann)
    announced = _apply({
        "id": f"{bea.uri}/statuses/99/activity", "type": "Announce", "actor": bea.uri, "object": f"{ann.uri}/statuses/3",
        "to": [AS_PUBLIC],
    })
    assert announced.state == InboundState.DROPPED
    assert not Post.objects.filter(reshare_of=theirs).exists()


def test_a_note_of_a_suspended_person_found_by_lookup_or_thread_is_not_stored(db):
    ann = _remote_actor("ann")
    _suspend_remote(ann)
    with pytest.raises(inbound.Drop):
        inbound.ingest_note(parse_note(_note(ann, 4) | {"@context": "https://www.w3.org/ns/activitystreams"}), ann)
    assert not Post.objects.filter(author=ann.person).exists()


def test_refetching_a_suspended_remote_person_does_not_revive_them(db):
    ann = _remote_actor("ann")
    _suspend_remote(ann)
    document = {
        "@context": "https://www.w3.org/ns/activitystreams", "id": ann.uri, "type": "Person",
        "preferredUsername": "ann", "inbox": ann.inbox, "name": "Ann again",
        "publicKey": {"id": ann.key_id, "owner": ann.uri, "publicKeyPem": _PEM},
    }
    actors.store_actor(parse_actor(document))
    ann.person.refresh_from_db()
    assert ann.person.state == AccountState.SUSPENDED


# ---- the purge after 30 days ------------------------------------------------------------------


def test_a_suspension_not_lifted_in_30_days_is_purged_and_cannot_be_restored(alice, world):
    suspend_account(None, alice.account, "spam")
    alice.refresh_from_db()
    assert purge_expired_suspensions(now=alice.suspended_at + RETENTION - timedelta(minutes=1)) == 0
    assert Post.objects.filter(author=alice).exists()

    assert purge_expired_suspensions(now=alice.suspended_at + RETENTION + timedelta(minutes=1)) == 1

    alice.refresh_from_db()
    assert alice.state == AccountState.DELETED
    assert not Post.objects.filter(author=alice).exists()
    assert not Comment.objects.filter(author=alice).exists()
    assert not Like.objects.filter(person=alice).exists()
    assert AuditLogEntry.objects.filter(action="account.purge", target_id=str(alice.account.pk), actor=None).exists()
    with pytest.raises(Conflict):
        unsuspend_account(None, alice.account, "too late")
    alice.account.refresh_from_db()
    assert alice.account.state == AccountState.DELETED
    assert purge_expired_suspensions(now=timezone.now() + RETENTION * 2) == 0  # done once


def test_a_suspension_lifted_in_time_is_not_purged(alice, world):
    suspend_account(None, alice.account, "spam")
    unsuspend_account(None, alice.account, "appeal granted")
    assert purge_expired_suspensions(now=timezone.now() + RETENTION * 2) == 0
    alice.refresh_from_db()
    assert alice.state == AccountState.ACTIVE
    assert Post.objects.filter(author=alice).exists()


_PEM = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo
4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u
+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh
kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ
0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg
cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc
mwIDAQAB
-----END PUBLIC KEY-----"""
