"""The inbox against a hostile fediverse: every case is refused with a clear 4xx, or stored and
then dropped or failed in the worker with a reason, and none of them changes the domain.

The remote side is a real HTTP server on loopback (tests/federation/peers.py) that serves
actors, notes and WebFinger and misbehaves on request; activities reach the pod through
the Django test client's inbox, signed as a remote server would sign them.  Jobs run at
once in tests, so "stored" below means "stored and applied".
"""

from __future__ import annotations

import base64
import functools
import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from kith.federation import httpsig, safe_http
from kith.federation.activitypub import actors, uris
from kith.federation.activitypub.inbox import MAX_ACTIVITY_BYTES
from kith.federation.activitypub.models import (
    FollowActivity,
    InboundActivity,
    InboundState,
    RemoteActor,
    Tombstone,
)
from kith.federation.models import Delivery
from kith.graph import services as graph
from kith.graph.models import Block, Follow, FollowState
from kith.people.models import Person
from kith.social import services
from kith.social.models import Comment, Like, Media, PollOption, Post, PostAudience, Visibility
from kith.timelines.models import Notification
from tests import factories
from tests.federation.inbox.support import (
    _follow,
    accept,
    applied,
    bobs_post,
    cavage,
    domain_state,
    known,
    refused,
    remote_person,
    replace_headers,
    send,
    stored_then,
)
from tests.federation.peers import AS_PUBLIC, Route, signed_headers

pytestmark = pytest.mark.django_db(transaction=True)


# ---- signatures ---------------------------------------------------------------------------------------------


def test_unsigned_is_refused(client, alice, bob, peer):
    before = domain_state()
    refused(send(client, None, bob.activity("Follow", uris.actor("alice"))), 401, "not signed")
    assert domain_state() == before
    assert peer.requests == []  # nothing was fetched for it either


def test_forged_signature_is_refused(client, alice, bob, eve, peer):
    before = domain_state()
    # Claims bob's key, signed with eve's.
    response = send(client, bob, bob.activity("Follow", uris.actor("alice")), private_pem=eve.private_pem)
    refused(response, 401, "does not verify")
    assert domain_state() == before
    assert not Follow.objects.exists()


def test_key_of_another_actor_is_refused(client, alice, bob, eve):
    """eve signs, with her own valid key, a Follow whose actor is bob."""
    before = domain_state()
    response = send(client, eve, bob.activity("Follow", uris.actor("alice")))
    refused(response, 401, "does not belong to the activity's actor")
    assert domain_state() == before


def test_key_of_another_actor_on_a_create_is_only_believed_from_the_origin(client, alice, bob, eve, peer):
    """A Create signed by someone else is taken as forwarded: its note is refetched from its own
    server, which has never heard of it, so nothing is created."""
    before = domain_state()
    create = bob.create(bob.note("forged", "Words bob never wrote", serve=False))
    assert accept(client, eve, create).forwarded_by == eve.uri
    stored_then(create, InboundState.FAILED, "answered 404")
    assert peer.hits("/users/bob/statuses/forged") == 1
    assert domain_state() == before


def test_forwarded_copy_cannot_squat_the_id_of_the_real_activity(client, alice, bob, mallory):
    """mallory (any server) "forwards" a Create under the id bob's next activity will have, before
    bob has written it; the refetch fails.  bob's real, signed Create with that id must still count."""
    note = bob.note("next", "bob's next post", serve=False)
    create = bob.create(note)
    accept(client, mallory, create)
    stored_then(create, InboundState.FAILED, "answered 404")
    bob.note("next", "bob's next post")  # now it exists
    accept(client, bob, create)
    assert applied(create).state == InboundState.DONE
    assert applied(create).forwarded_by == ""
    assert "next post" in Post.objects.get().html


def test_digest_not_matching_the_body_is_refused(client, alice, bob, peer):
    before = domain_state()
    follow = bob.activity("Follow", uris.actor("alice"))
    other_body = json.dumps(bob.activity("Follow", uris.actor("carol"))).encode()
    refused(send(client, bob, follow, body=other_body), 401, "Digest does not match")
    assert domain_state() == before
    assert peer.requests == []  # refused before any key was fetched


def test_stale_date_is_refused(client, alice, bob, peer, monkeypatch):
    stale = httpsig.http_date(datetime.now(UTC) - timedelta(hours=1, minutes=5))
    monkeypatch.setattr(httpsig, "http_date", lambda moment=None: stale)
    before = domain_state()
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, "Date is too far")
    assert domain_state() == before
    assert peer.requests == []


def test_date_from_the_future_is_refused(client, alice, bob, monkeypatch):
    future = httpsig.http_date(datetime.now(UTC) + timedelta(hours=2))
    monkeypatch.setattr(httpsig, "http_date", lambda moment=None: future)
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, "Date is too far")


@pytest.mark.parametrize(
    ("names", "missing"),
    [
        (("host", "date", "digest"), "(request-target)"),
        (("(request-target)", "date", "digest"), "host"),
        (("(request-target)", "host", "date"), "digest"),
        (("(request-target)", "host", "digest"), "the date"),
    ],
)
def test_signature_must_cover_target_host_date_and_digest(client, alice, bob, peer, names, missing):
    follow = bob.activity("Follow", uris.actor("alice"))
    headers = cavage(bob, json.dumps(follow).encode(), names)
    refused(send(client, None, follow, tamper=replace_headers(headers)), 401, f"must cover {missing}")
    assert peer.requests == []


def test_full_cavage_signature_built_here_is_accepted(client, alice, bob):
    """The control for the case above: the same hand-built signature with every header verifies."""
    follow = bob.activity("Follow", uris.actor("alice"))
    headers = cavage(bob, json.dumps(follow).encode(), ("(request-target)", "host", "date", "digest"))
    assert send(client, None, follow, tamper=replace_headers(headers)).status_code == 202


@pytest.mark.parametrize(("age", "status"), [(0, 202), (3700, 401)])
def test_hs2019_with_created_pseudo_header(client, alice, bob, peer, age, status):
    """hs2019 may sign (created) instead of Date: the time window then applies to created."""
    follow = bob.activity("Follow", uris.actor("alice"))
    body = json.dumps(follow).encode()
    created = int(datetime.now(UTC).timestamp()) - age
    digest = httpsig.digest_header(body)
    lines = ["(request-target): post /inbox", "host: testserver", f"(created): {created}", f"digest: {digest}"]
    signature = httpsig.load_private_key(bob.private_pem).sign("\n".join(lines).encode(), PKCS1v15(), SHA256())
    headers = {
        "host": "testserver", "digest": digest, "content-type": "application/activity+json",
        "signature": f'keyId="{bob.key_id}",algorithm="hs2019",created={created},'
                     f'headers="(request-target) host (created) digest",signature="{base64.b64encode(signature).decode()}"',
    }
    response = send(client, None, follow, tamper=replace_headers(headers))
    assert response.status_code == status, response.content
    if status == 401:
        assert "created time is too far" in response.json()["error"]
        assert peer.requests == []


def test_changed_host_header_is_refused(client, alice, bob):
    follow = bob.activity("Follow", uris.actor("alice"))

    def to_localhost(headers):
        return headers | {"host": "localhost"}  # a name this pod answers to, but not the one signed

    refused(send(client, bob, follow, tamper=to_localhost), 401, "does not verify")


def test_foreign_host_header_is_refused_before_the_inbox(client, alice, bob):
    """A request signed for another server and replayed here names that server: Django refuses it."""
    follow = bob.activity("Follow", uris.actor("alice"))
    response = send(client, bob, follow, host="evil.example")
    assert response.status_code == 400
    assert not InboundActivity.objects.exists()


def test_replayed_activity_is_a_no_op(client, alice, bob):
    follow = bob.activity("Follow", uris.actor("alice"))
    body = json.dumps(follow).encode()
    headers = {k.lower(): v for k, v in signed_headers(bob, body, path="/inbox").items()}
    first = send(client, None, follow, tamper=lambda h: h | headers)
    after_first = domain_state()
    second = send(client, None, follow, tamper=lambda h: h | headers)  # the very same request again
    assert (first.status_code, second.status_code) == (202, 202)
    assert domain_state() == after_first
    assert InboundActivity.objects.count() == 1
    assert Follow.objects.count() == 1
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_same_id_with_different_content_changes_nothing(client, alice, bob):
    follow = bob.activity("Follow", uris.actor("alice"))
    accept(client, bob, follow)
    after_first = domain_state()
    sneaky = follow | {"type": "Block"}
    assert send(client, bob, sneaky).status_code == 202
    assert domain_state() == after_first
    assert not Block.objects.exists()


# ---- key rotation ---------------------------------------------------------------------------------------------


def test_rotated_key_is_refetched_once_then_accepted(client, alice, carol, bob, peer):
    _follow(client, bob, alice)
    assert peer.hits("/users/bob") == 1  # first contact: one fetch of the actor
    bob.rotate_key(3)
    row = accept(client, bob, bob.activity("Follow", uris.actor("carol")))
    assert row.state == InboundState.DONE
    assert peer.hits("/users/bob") == 2  # the cached key failed: refetched once, then it verified
    assert RemoteActor.objects.get(uri=bob.uri).public_key_pem == bob.public_pem.strip()
    assert Follow.objects.count() == 2


def test_failing_signature_refetches_at_most_once(client, alice, carol, bob, eve, peer):
    _follow(client, bob, alice)
    before = domain_state()
    for target in ("carol", "alice", "carol"):
        forged = bob.activity("Follow", uris.actor(target))
        refused(send(client, bob, forged, private_pem=eve.private_pem), 401, "does not verify", stored=1)
    # One fetch at first contact, one refetch for the first forgery, none for the rest.
    assert peer.hits("/users/bob") == 2
    assert domain_state() == before


def test_forgery_at_first_contact_fetches_the_actor_once(client, alice, bob, eve, peer):
    forged = bob.activity("Follow", uris.actor("alice"))
    refused(send(client, bob, forged, private_pem=eve.private_pem), 401, "does not verify")
    assert peer.hits("/users/bob") == 1  # just fetched for this request: a refetch would say the same


def test_rotation_with_the_peer_unreachable_keeps_the_old_key(client, alice, carol, bob, peer):
    _follow(client, bob, alice)
    old_pem = bob.public_pem
    peer.serve_json("/users/bob", {"error": "down"}, status=503)
    bob.key_index = 4  # signs with a key nobody can fetch
    refused(send(client, bob, bob.activity("Follow", uris.actor("carol"))), 401, "does not verify", stored=1)
    assert RemoteActor.objects.get(uri=bob.uri).public_key_pem == old_pem.strip()


# ---- size, syntax, addressing ----------------------------------------------------------------------------------


def test_oversize_body_is_refused(client, alice, bob):
    huge = bob.activity("Follow", uris.actor("alice"), padding="x" * MAX_ACTIVITY_BYTES)
    refused(send(client, bob, huge), 413, "too large")


def test_non_json_is_refused(client, alice, bob):
    refused(send(client, bob, b"<html>not json</html>"), 400, "not JSON")


def test_deeply_nested_json_is_refused_not_a_500(client, alice, bob):
    """json.loads raises RecursionError (not ValueError) past ~1,000 levels: that was a 500."""
    depth = 100_000
    refused(send(client, bob, b"[" * depth + b"]" * depth), 400, "not JSON")


def test_deeply_nested_actor_document_is_refused_not_a_500(client, alice, bob, peer):
    depth = 50_000
    peer.serve("/users/bob", Route(body=b'{"a":' * depth + b"1" + b"}" * depth))
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, "did not answer with JSON")


@pytest.mark.parametrize("declared", ["\u00b2", "9" * 5000])
def test_content_length_that_is_no_number_is_not_a_500(client, alice, bob, declared):
    """Found by fuzzing (tests/fuzz/test_db_inbox.py): '²' is a digit to str.isdigit and not to int(),
    and int() refuses 5,000 digits; both were a ValueError (a 500) in the body-size checks."""
    body = json.dumps(bob.activity("Follow", uris.actor("alice"))).encode()
    signed = {f"HTTP_{name.upper()}": value for name, value in signed_headers(bob, body, path="/inbox").items()}
    response = client.generic("POST", "/inbox", body, content_type="application/activity+json",
                              CONTENT_LENGTH=declared, **signed)
    assert response.status_code in (400, 413), response.content  # the body is read as empty, or too large
    assert InboundActivity.objects.count() == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(client, alice, bob, constant):
    """Python's json reads them, JSON has no such thing, and PostgreSQL refused to store them (a 500)."""
    body = json.dumps(bob.activity("Follow", uris.actor("alice"))).replace('"Follow"', f'"Follow", "x": {constant}')
    refused(send(client, bob, body.encode()), 400, "not JSON")


def test_nul_and_lone_surrogates_are_stored_replaced(client, alice, bob):
    """PostgreSQL's jsonb refuses "\\u0000" and a lone "\\ud800" (a 500 there): stored as U+FFFD."""
    activity = bob.activity("Follow", uris.actor("alice"))
    body = json.dumps(activity).replace('"Follow"', '"Follow", "summary": "a\\u0000b\\ud800", "\\u0000": 1')
    assert send(client, bob, body.encode()).status_code == 202
    payload = applied(activity).payload
    assert payload["summary"] == "a\ufffdb\ufffd"
    assert payload["\ufffd"] == 1


def test_json_that_is_not_an_object_is_refused(client, alice, bob):
    refused(send(client, bob, b'["Follow"]'), 400, "not a JSON object")


def test_inbox_of_nobody_is_404(client, alice, bob):
    refused(send(client, bob, bob.activity("Follow", uris.actor("nobody")), path="/users/nobody/inbox"), 404, "no such inbox")


def test_activity_id_on_another_host_is_refused(client, alice, bob, mallory):
    follow = bob.activity("Follow", uris.actor("alice")) | {"id": mallory.activity_id()}
    refused(send(client, bob, follow), 400, "not_same_origin")


# ---- objects from the wrong place ---------------------------------------------------------------------------------


def test_fetch_json_refuses_a_document_claiming_another_host(peer, other):
    peer.foreign_id("/notes/1", {"type": "Note", "content": "hi"}, other.base_url)
    with pytest.raises(actors.ResolveError, match="claims to be"):
        actors.fetch_json(peer.url("/notes/1"))


def test_fetch_json_refuses_a_redirect_to_another_host(peer, other):
    other.serve_json("/notes/2", {"id": other.url("/notes/2"), "type": "Note"})
    peer.redirect("/notes/2", other.url("/notes/2"))
    with pytest.raises(actors.ResolveError, match="claims to be"):
        actors.fetch_json(peer.url("/notes/2"))


def test_create_by_reference_to_an_object_claiming_another_host_fails(client, alice, bob, peer, other):
    note = bob.note("n9", "Whose words?", serve=False)
    peer.foreign_id("/users/bob/statuses/n9", note, other.base_url)
    before = domain_state()
    create = bob.activity("Create", note["id"])
    accept(client, bob, create)
    stored_then(create, InboundState.FAILED, "claims to be")
    assert domain_state() == before


def test_embedded_note_from_another_host_is_refused(client, alice, bob, mallory):
    note = mallory.note("m1", "Not bob's", serve=False)
    refused(send(client, bob, bob.create(note)), 400, "not_same_origin")


# ---- acting on other people's things ----------------------------------------------------------------------------


def test_update_of_someone_elses_note(client, alice, bob, eve, mallory):
    post = bobs_post(client, bob)
    before = domain_state()
    # eve, same server, claims authorship of bob's note id.
    hijack = eve.activity("Update", {**bob.note("n1", "Eve's words", serve=False), "attributedTo": eve.uri})
    accept(client, eve, hijack)
    stored_then(hijack, InboundState.FAILED, "Only the author")
    # eve, naming bob as the author of the edit.
    impersonate = eve.activity("Update", bob.note("n1", "Eve's words again", serve=False))
    accept(client, eve, impersonate)
    stored_then(impersonate, InboundState.FAILED, "only the author may update")
    # mallory, another server: refused at the door.
    refused_update = mallory.activity("Update", bob.note("n1", "Mallory's words", serve=False))
    response = send(client, mallory, refused_update)
    assert response.status_code == 400
    assert "not_same_origin" in response.json()["error"]
    post.refresh_from_db()
    assert "Original words" in post.html
    assert post.edited_at is None
    assert domain_state() == before


def test_update_by_the_author_is_applied(client, alice, bob):
    """The control: the same Update from bob himself does edit the post."""
    post = bobs_post(client, bob)
    accept(client, bob, bob.activity("Update", bob.note("n1", "Edited words", serve=False)))
    post.refresh_from_db()
    assert "Edited words" in post.html


def test_delete_of_someone_elses_note(client, alice, bob, eve, mallory):
    post = bobs_post(client, bob)
    before = domain_state()
    delete = eve.activity("Delete", bob.note("n1", serve=False)["id"])
    accept(client, eve, delete)
    stored_then(delete, InboundState.FAILED, "Only the author")
    response = send(client, mallory, mallory.activity("Delete", bob.note("n1", serve=False)["id"]))
    assert response.status_code == 400
    assert Post.objects.filter(id=post.id).exists()
    assert not Tombstone.objects.exists()
    assert domain_state() == before


def test_update_or_delete_of_someone_elses_actor(client, alice, bob, eve):
    bob_person = known(bob)
    before = domain_state()
    embedded = eve.activity("Update", bob.document() | {"name": "Bob (hacked)"})
    response = send(client, eve, embedded)
    assert response.status_code == 400
    assert "mismatch" in response.json()["error"]
    by_reference = eve.activity("Update", bob.uri)
    accept(client, eve, by_reference)
    assert applied(by_reference).state == InboundState.FAILED  # bob's actor is not eve's note
    delete = eve.activity("Delete", bob.uri)
    accept(client, eve, delete)
    assert applied(delete).state == InboundState.DROPPED
    bob_person.refresh_from_db()
    assert (bob_person.display_name, bob_person.state) == ("Bob", "active")
    assert domain_state() == before


def test_delete_of_someone_elses_comment(client, alice, bob, eve):
    post = services.publish_post(alice, "Public thoughts")
    reply = bob.note("r1", "bob's reply", inReplyTo=uris.post("alice", post.id))
    accept(client, bob, bob.create(reply))
    assert Comment.objects.count() == 1
    delete = eve.activity("Delete", reply["id"])
    accept(client, eve, delete)
    stored_then(delete, InboundState.FAILED, "cannot delete")
    assert Comment.objects.count() == 1


def test_undo_of_someone_elses_follow_and_like(client, alice, bob, eve, mallory):
    follow = _follow(client, bob, alice)
    post = services.publish_post(alice, "Likeable")
    like = bob.activity("Like", uris.post("alice", post.id))
    assert accept(client, bob, like).state == InboundState.DONE
    before = domain_state()
    # Embedded, with bob as the undone activity's actor: refused by parsing.
    for inner in (follow, like):
        response = send(client, eve, eve.activity("Undo", inner))
        assert response.status_code == 400
        assert "mismatch" in response.json()["error"]
    # By id only (same server, so the origin rule passes): found, but not eve's.
    for inner in (follow, like):
        undo = eve.activity("Undo", inner["id"])
        accept(client, eve, undo)
        stored_then(undo, InboundState.DROPPED, "nothing to undo")
    # From another server: the id is not on mallory's origin.
    response = send(client, mallory, mallory.activity("Undo", follow["id"]))
    assert response.status_code == 400
    assert domain_state() == before
    assert Follow.objects.filter(follower=remote_person(bob), followee=alice).exists()
    assert Like.objects.filter(person=remote_person(bob), post=post).exists()


def test_undo_by_the_actor_is_applied(client, alice, bob):
    """The control: bob undoing his own Follow does unfollow."""
    follow = _follow(client, bob, alice)
    accept(client, bob, bob.activity("Undo", follow))
    assert not Follow.objects.exists()


def test_accept_or_reject_of_a_follow_by_someone_else(client, alice, bob, eve, mallory):
    """alice asked bob; only bob answers.  eve (bob's server) and mallory (another) cannot."""
    follow = graph.follow(alice, known(bob))
    follow_uri = FollowActivity.objects.get(follow=follow).uri
    embedded = {"id": follow_uri, "type": "Follow", "actor": uris.actor("alice"), "object": bob.uri}
    for verdict in ("Accept", "Reject"):
        response = send(client, eve, eve.activity(verdict, embedded))
        assert response.status_code == 400  # the embedded Follow was not addressed to eve
        assert "mismatch" in response.json()["error"]
        by_id = eve.activity(verdict, follow_uri)
        accept(client, eve, by_id)
        stored_then(by_id, InboundState.DROPPED, "a follow we did not send")
        by_other_server = mallory.activity(verdict, follow_uri)
        accept(client, mallory, by_other_server)
        stored_then(by_other_server, InboundState.DROPPED, "a follow we did not send")
    assert Follow.objects.get(id=follow.id).state == FollowState.PENDING
    # The control: bob's Accept is applied.
    accept(client, bob, bob.activity("Accept", embedded))
    assert Follow.objects.get(id=follow.id).state == FollowState.ACCEPTED


def test_reject_by_the_followee_ends_the_request(client, alice, bob):
    """alice asked bob; bob's Reject (by the request's id) removes it here, and sends nothing back."""
    follow = graph.follow(alice, known(bob))
    follow_uri = FollowActivity.objects.get(follow=follow).uri
    deliveries = Delivery.objects.count()
    accept(client, bob, bob.activity("Reject", follow_uri))
    assert not Follow.objects.filter(id=follow.id).exists()
    assert Delivery.objects.count() == deliveries


# ---- limited posts -------------------------------------------------------------------------------------------------


@pytest.fixture
def limited_post(alice, bob, client):
    """alice's post for her 'Close' aspect, whose only member is bob (remote)."""
    close = factories.aspect(alice, "Close", known(bob))
    return services.publish_post(alice, "For the close ones only", visibility=Visibility.LIMITED, aspect_ids=[close.id])


def test_announce_of_a_limited_post_is_refused(client, alice, bob, limited_post):
    before = domain_state()
    announce = bob.activity("Announce", uris.post("alice", limited_post.id), to=[AS_PUBLIC])
    accept(client, bob, announce)
    stored_then(announce, InboundState.FAILED, "only public posts")
    assert domain_state() == before
    assert not Post.objects.filter(reshare_of=limited_post).exists()


def test_reply_to_a_limited_post_from_outside_its_audience_is_refused(client, alice, bob, eve, limited_post):
    before = domain_state()
    reply = eve.note("r2", "I should not be here", inReplyTo=uris.post("alice", limited_post.id), to=[uris.actor("alice")], cc=[])
    create = eve.create(reply)
    accept(client, eve, create)
    stored_then(create, InboundState.FAILED, "No such post")
    assert domain_state() == before
    # The control: bob, in the audience, may reply.
    ok = bob.note("r3", "Thanks", inReplyTo=uris.post("alice", limited_post.id), to=[uris.actor("alice")], cc=[])
    assert accept(client, bob, bob.create(ok)).state == InboundState.DONE
    assert Comment.objects.get().author == remote_person(bob)


def test_like_of_a_limited_post_from_outside_its_audience_is_refused(client, alice, eve, limited_post):
    before = domain_state()
    like = eve.activity("Like", uris.post("alice", limited_post.id))
    accept(client, eve, like)
    stored_then(like, InboundState.FAILED, "No such post")
    assert domain_state() == before


def _signed_get(client, actor, path: str, *, private_pem: str | None = None):
    url = f"http://testserver{path}"
    headers = httpsig.sign("GET", url, {"Accept": "application/activity+json"}, None, key_id=actor.key_id,
                           private_key_pem=private_pem or actor.private_pem)
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.get(path, HTTP_ACCEPT="application/activity+json", **extra)


def test_limited_post_is_served_only_to_a_signed_member_of_its_audience(client, alice, bob, eve, limited_post):
    path = f"/users/alice/posts/{limited_post.id}"
    assert _signed_get(client, bob, path).status_code == 200  # bob is in the audience
    assert client.get(path).status_code == 404  # anonymous
    assert _signed_get(client, eve, path).status_code == 404  # signed, but not in it
    assert _signed_get(client, bob, path, private_pem=eve.private_pem).status_code == 404  # forged as bob


def test_limited_post_for_nobody_here_fetches_nobody(client, alice, bob, peer):
    """Addressed only to people elsewhere: dropped without fetching any of them (each addressee of
    a limited post used to be fetched first, so one activity could make the pod fetch 200 URLs)."""
    addressees = [peer.url(f"/users/stranger{i}") for i in range(20)]
    note = bob.note("l1", "Not for you", to=addressees, cc=[])
    create = bob.create(note)
    accept(client, bob, create)
    stored_then(create, InboundState.DROPPED, "for nobody here")
    assert not any(r.path.startswith("/users/stranger") for r in peer.requests)
    assert not Post.objects.exists()


def test_limited_post_for_alice_reaches_only_alice(client, alice, carol, bob):
    """The control: a limited post naming alice is stored for exactly alice."""
    note = bob.note("l2", "Just for alice", to=[uris.actor("alice")], cc=[])
    accept(client, bob, bob.create(note))
    post = Post.objects.get()
    assert post.visibility == Visibility.LIMITED
    assert list(PostAudience.objects.values_list("person__username", flat=True)) == ["alice"]


# ---- ordering ------------------------------------------------------------------------------------------------------


def test_delete_before_create_wins(client, alice, bob):
    note = bob.note("gone", "Said and unsaid")
    delete = bob.activity("Delete", note["id"])
    accept(client, bob, delete)
    stored_then(delete, InboundState.DROPPED, "tombstone kept")
    create = bob.create(note)
    accept(client, bob, create)
    stored_then(create, InboundState.DROPPED, "deleted before it arrived")
    assert not Post.objects.exists()


# ---- HTML and script in every text field -------------------------------------------------------------------------

HOSTILE = (
    '<script>alert(1)</script><img src=x onerror=alert(2)>'
    '<a href="javascript:alert(3)" onclick="alert(4)" style="position:fixed">link</a>'
    '<svg onload=alert(5)></svg><iframe src="javascript:alert(6)"></iframe>'
    '<p onmouseover="alert(8)">text</p><a href="data:text/html,<script>alert(9)</script>">d</a>'
    '<form action="javascript:alert(10)"><input autofocus onfocus=alert(11)></form>'
    '&lt;script&gt;alert(7)&lt;/script&gt;'
)
DANGEROUS_TAGS = {"script", "style", "iframe", "object", "embed", "svg", "math", "form", "input", "base", "meta", "link", "img"}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src", "action") and value and not re.match(r"^(https?:|mailto:|/|#)", value.strip(), re.I):
                self.problems.append(f"{tag}[{name}={value}]")


def assert_safe_html(value: str, where: str) -> None:
    audit = _Audit()
    audit.feed(value)
    assert not audit.problems, f"{where}: {audit.problems} in {value!r}"
    assert "javascript:" not in value.lower(), f"{where}: {value!r}"


def assert_plain(value: str, where: str) -> None:
    assert not re.search(r"<[A-Za-z/!?]", value), f"{where} contains markup: {value!r}"
    assert "javascript:" not in value.lower(), f"{where}: {value!r}"


def test_html_and_script_in_every_text_field(client, alice, bob, peer):
    bob.update(
        name=HOSTILE, summary=HOSTILE,
        attachment=[{"type": "PropertyValue", "name": HOSTILE, "value": HOSTILE}],
        icon={"type": "Image", "url": "javascript:alert(1)"}, url="javascript:alert(1)",
    )
    public_post = services.publish_post(alice, "Reply here")
    note = bob.note(
        "evil", HOSTILE, serve=False, type="Question", summary=HOSTILE, name=HOSTILE, sensitive=True,
        contentMap={"en": HOSTILE}, url="javascript:alert(1)",
        source={"content": "[x](javascript:alert(1)) <script>alert(1)</script>", "mediaType": "text/markdown"},
        attachment=[{"type": "Image", "mediaType": "image/png", "url": "javascript:alert(1)", "name": HOSTILE},
                    {"type": "Image", "mediaType": "image/png", "url": peer.url("/media/1.png"), "name": HOSTILE,
                     "blurhash": "<script>"}],
        tag=[{"type": "Hashtag", "name": "#<script>alert(1)</script>", "href": "javascript:alert(1)"},
             {"type": "Hashtag", "name": "#fine", "href": peer.url("/tags/fine")},
             {"type": "Mention", "name": HOSTILE, "href": uris.actor("alice")}],
        oneOf=[{"type": "Note", "name": HOSTILE, "replies": {"type": "Collection", "totalItems": 1}},
               {"type": "Note", "name": "<b>plain</b>", "replies": {"type": "Collection", "totalItems": 0}}],
    )
    accept(client, bob, bob.create(note))
    reply = bob.note("evil-reply", HOSTILE, serve=False, inReplyTo=uris.post("alice", public_post.id),
                     source={"content": HOSTILE, "mediaType": "text/markdown"})
    accept(client, bob, bob.create(reply))

    person = remote_person(bob)
    assert_plain(person.display_name, "display name")
    assert_safe_html(person.bio_html, "bio")
    post = Post.objects.get(author=person)
    assert_safe_html(post.html, "post html")
    assert "link" in post.html  # sanitised, not thrown away
    assert "text" in post.html
    assert_plain(post.source, "post source")
    assert_plain(post.content_warning, "content warning")
    media = list(Media.objects.filter(post=post))
    assert [m.remote_url for m in media] == [peer.url("/media/1.png")]
    for item in media:
        assert_plain(item.description, "alt text")
        assert_plain(item.blurhash, "blurhash")
    assert list(post.tags.values_list("name", flat=True)) == ["fine"]
    titles = list(PollOption.objects.filter(poll__post=post).values_list("title", flat=True))
    assert len(titles) == 2
    for title in titles:
        assert_plain(title, "poll option")
    comment = Comment.objects.get(author=person)
    assert_safe_html(comment.html, "comment html")
    assert_plain(comment.source, "comment source")


# ---- actors that cannot be trusted ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"inbox": "http://127.0.0.8:1/users/bob/inbox"}, "not_same_origin: inbox"),
        ({"endpoints": {"sharedInbox": "http://127.0.0.8:1/inbox"}}, "not_same_origin: sharedInbox"),
        ({"preferredUsername": "<script>alert(1)</script>"}, "bad_username"),
        ({"publicKey": None}, "no public key"),
    ],
)
def test_actor_with_bad_document_is_refused(client, alice, bob, change, reason):
    bob.update(**change)
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, reason)
    assert not RemoteActor.objects.exists()
    assert not Person.objects.exclude(domain="").exists()


def _pem(der: bytes) -> str:
    return "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n"


UNKNOWN_KEY_TYPE = _pem(bytes.fromhex("300b" "3005" "06032a0304" "03020001"))  # an OID cryptography has never heard of
EC_KEY = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
).decode()


@pytest.mark.parametrize(
    ("pem", "reason"),
    [
        (UNKNOWN_KEY_TYPE, "not a valid PEM public key"),  # cryptography raises UnsupportedAlgorithm: was a 500
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "not a valid PEM public key"),
        (EC_KEY, "only RSA"),
    ],
)
def test_actor_with_an_unusable_key_is_refused_not_a_500(client, alice, bob, pem, reason):
    bob.update(publicKey={"id": bob.key_id, "owner": bob.uri, "publicKeyPem": pem})
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, reason)


@pytest.mark.parametrize("key_id", ["not a url", "file:///etc/passwd", "ftp://127.0.0.7/key", "http://169.254.169.254/"])
def test_key_id_that_cannot_be_fetched_is_refused(client, alice, bob, key_id, settings):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = False
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice")), key_id=key_id), 401, "signature not accepted")


def test_key_owned_by_another_actor_in_the_document_is_refused(client, alice, bob, eve):
    """bob's document names eve as his key's owner."""
    bob.update(publicKey={"id": bob.key_id, "owner": eve.uri, "publicKeyPem": bob.public_pem})
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, "key_owner_mismatch")


def test_actor_document_claiming_another_id_is_refused(client, alice, bob, peer, other):
    peer.foreign_id("/users/bob", bob.document(), other.base_url)
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, "claims to be")
    assert not RemoteActor.objects.exists()


def test_webfinger_finds_the_actor(bob):
    assert actors.resolve_handle(bob.handle) == remote_person(bob)


@pytest.mark.parametrize(
    "jrd",
    [
        {"links": "not a list"},
        {"links": [{"rel": "self", "type": "application/activity+json", "href": "javascript:alert(1)"}]},
        {"links": [{"rel": "self", "type": "text/html", "href": "http://127.0.0.7:1/users/bob"}]},
        # Found by fuzzing (tests/fuzz/test_db_discovery.py): the href reached a database query,
        # which PostgreSQL refuses for NUL and no database driver encodes for a lone surrogate (a 500).
        {"links": [{"rel": "self", "type": "application/activity+json", "href": "http://127.0.0.7/a\u0000b"}]},
        {"links": [{"rel": "self", "type": "application/activity+json", "href": "\ud800"}]},
        "deep",
    ],
)
def test_hostile_webfinger_finds_nobody(bob, peer, jrd):
    body = b'{"a":' * 50_000 + b"1" + b"}" * 50_000 if jrd == "deep" else json.dumps(jrd).encode()
    peer.serve("/.well-known/webfinger", Route(body=body, content_type="application/jrd+json"))
    with pytest.raises(actors.ResolveError):
        actors.resolve_handle(bob.handle)
    assert not RemoteActor.objects.exists()


@pytest.fixture
def only_peer_is_public(peer, settings, monkeypatch):
    """Production rules (no private addresses), except that the peer's address counts as public."""
    settings.KITH_ALLOW_PRIVATE_FEDERATION = False
    real = safe_http.is_public_address
    monkeypatch.setattr(safe_http, "is_public_address", lambda address: address == peer.address or real(address))
    monkeypatch.setattr(safe_http, "_check_scheme", lambda url: None)  # the peer speaks plain http


def test_actor_resolves_under_production_rules(client, alice, bob, only_peer_is_public):
    """The control for the redirect cases: the peer itself is reachable with the rules on."""
    assert send(client, bob, bob.activity("Follow", uris.actor("alice"))).status_code == 202


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.1:{port}/users/bob", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/users/bob",
     "http://[::1]:{port}/users/bob", "http://localhost:{port}/users/bob"],
)
def test_redirect_to_a_private_address_during_actor_fetch_is_refused(client, alice, bob, peer, only_peer_is_public, location):
    peer.redirect("/users/bob", location.format(port=peer.netloc.rsplit(":", 1)[1]))
    before = domain_state()
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, "private or reserved")
    assert domain_state() == before
    assert not RemoteActor.objects.exists()


def test_oversize_actor_document_is_refused(client, alice, bob, peer):
    peer.huge("/users/bob")
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, "byte limit")


def test_slow_actor_document_is_cut_off(client, alice, bob, peer, monkeypatch):
    # The production deadline is 15 s; the same guard with half a second keeps the suite fast.
    monkeypatch.setattr(safe_http, "request", functools.partial(safe_http.request, deadline=0.5))
    peer.drip("/users/bob", bob.document(), interval=0.05)
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, "took too long")


def test_actor_document_of_the_wrong_content_type_is_refused(client, alice, bob, peer):
    peer.wrong_type("/users/bob", bob.document(), "text/html")
    refused(send(client, bob, bob.activity("Follow", uris.actor("alice"))), 401, "unexpected content type")


def test_key_id_naming_a_local_actor_is_refused_without_fetching(client, alice, bob):
    response = send(client, bob, bob.activity("Follow", uris.actor("alice")), key_id=uris.key_id("alice"))
    refused(response, 401, "this pod")
