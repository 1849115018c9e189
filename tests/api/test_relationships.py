"""Relationships in the client API: follow, block, mute and their lists, domain blocks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kith.federation.activitypub.models import RemoteActor
from kith.federation.models import Delivery
from kith.graph import selectors as graph_selectors
from kith.graph import services as graph
from kith.graph.models import Follow, FollowState, Mute
from kith.people.remote import upsert_remote_person
from kith.social import services
from kith.timelines import selectors as timeline_selectors
from kith.timelines.selectors import notifications
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

REMOTE = "https://far.example"


def remote_actor(username: str, host: str = "far.example"):
    person = upsert_remote_person(username, host)
    RemoteActor.objects.create(
        person=person, uri=f"https://{host}/users/{username}", inbox=f"https://{host}/users/{username}/inbox",
        shared_inbox=f"https://{host}/inbox", key_id=f"https://{host}/users/{username}#main-key",
        public_key_pem="unused", fetched_at=timezone.now(),
    )
    return person


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        status, _ = call()
    assert status == 200
    return len(captured)


def flags(body: dict) -> set[str]:
    """The Relationship's true flags."""
    return {key for key, value in body.items() if value is True}


# ---- actions answer with the relationship as it now stands ------------------------------------


def test_relationship_flips_after_each_action(api_as, alice, bob):
    client = api_as(alice)
    base = f"/api/v1/accounts/{bob.id}"
    status, body = client.post(f"{base}/follow")
    assert status == 200
    assert body["id"] == str(bob.id)
    assert flags(body) == {"following", "showing_reblogs"}
    assert body["note"] == ""
    assert flags(client.post(f"{base}/unfollow")[1]) == set()
    assert flags(client.post(f"{base}/mute")[1]) == {"muting", "muting_notifications"}
    assert flags(client.post(f"{base}/mute", {"notifications": False})[1]) == {"muting"}
    assert flags(client.post(f"{base}/unmute")[1]) == set()
    client.post(f"{base}/follow")
    assert flags(client.post(f"{base}/block")[1]) == {"blocking"}  # the follow is gone with the block
    assert flags(client.post(f"{base}/unblock")[1]) == set()
    assert not Follow.objects.filter(follower=alice, followee=bob).exists()


def test_actions_take_form_bodies_too(api_as, alice, bob):
    client = api_as(alice)
    status, body = client.post(f"/api/v1/accounts/{bob.id}/mute", {"notifications": "false", "duration": "60"},
                               form=True)
    assert status == 200
    assert flags(body) == {"muting"}
    mute = Mute.objects.get(muter=alice, muted=bob)
    assert mute.notifications is False
    assert timedelta(seconds=50) < mute.expires_at - timezone.now() <= timedelta(seconds=60)
    assert client.post(f"/api/v1/accounts/{bob.id}/follow", {"reblogs": "true"}, form=True)[0] == 200


def test_the_other_side_sees_followed_by_requested_by_and_blocked_by(api_as, alice, bob):
    bob.locked = True
    bob.save()
    assert flags(api_as(alice).post(f"/api/v1/accounts/{bob.id}/follow")[1]) == {"requested", "showing_reblogs"}
    _, [seen_by_bob] = api_as(bob).get("/api/v1/accounts/relationships", {"id[]": [alice.id]})
    assert flags(seen_by_bob) == {"requested_by"}
    graph.accept_follow_request(bob, alice)
    _, [seen_by_bob] = api_as(bob).get("/api/v1/accounts/relationships", {"id[]": [alice.id]})
    assert flags(seen_by_bob) == {"followed_by"}
    graph.block(bob, alice)
    _, [seen_by_alice] = api_as(alice).get("/api/v1/accounts/relationships", {"id[]": [bob.id]})
    assert flags(seen_by_alice) == {"blocked_by"}


def test_follow_of_a_blocker_or_unknown_account_is_404_and_self_follow_is_refused(api_as, alice, bob):
    graph.block(bob, alice)
    client = api_as(alice)
    assert client.post(f"/api/v1/accounts/{bob.id}/follow")[0] == 404
    assert client.post("/api/v1/accounts/987654321/follow")[0] == 404
    assert client.post("/api/v1/accounts/987654321/block")[0] == 404
    assert client.post(f"/api/v1/accounts/{alice.id}/follow")[0] == 422
    # alice may still block bob back and unblock, though she cannot see him.
    assert flags(client.post(f"/api/v1/accounts/{bob.id}/block")[1]) == {"blocking", "blocked_by"}
    assert flags(client.post(f"/api/v1/accounts/{bob.id}/unblock")[1]) == {"blocked_by"}


def test_following_a_remote_person_is_a_request_sent_to_their_server(api_as, alice):
    ann = remote_actor("ann")
    status, body = api_as(alice).post(f"/api/v1/accounts/{ann.id}/follow")
    assert status == 200
    assert flags(body) == {"requested", "showing_reblogs"}
    assert Delivery.objects.filter(inbox=f"{REMOTE}/users/ann/inbox", subject__startswith="follow:").exists()


def test_remove_from_followers(api_as, alice, bob):
    graph.follow(bob, alice)
    status, body = api_as(alice).post(f"/api/v1/accounts/{bob.id}/remove_from_followers")
    assert status == 200
    assert flags(body) == set()
    assert not Follow.objects.filter(follower=bob, followee=alice).exists()


def test_actions_need_their_scopes(api_as, alice, bob):
    client = api_as(alice, scopes="read")
    for action in ("follow", "unfollow", "block", "unblock", "mute", "unmute", "remove_from_followers"):
        assert client.post(f"/api/v1/accounts/{bob.id}/{action}")[0] == 403, action
    follow_only = api_as(alice, scopes="follow")
    assert follow_only.post(f"/api/v1/accounts/{bob.id}/mute")[0] == 200
    assert follow_only.get("/api/v1/accounts/relationships", {"id[]": [bob.id]})[0] == 200


def test_a_timed_mute_ends(api_as, alice, bob):
    graph.mute(alice, bob, duration=60)
    Mute.objects.filter(muter=alice).update(expires_at=timezone.now() - timedelta(seconds=1))
    _, [rel] = api_as(alice).get("/api/v1/accounts/relationships", {"id[]": [bob.id]})
    assert rel["muting"] is False  # already over, even before the sweep
    assert graph.expire_mutes() == 1
    assert not Mute.objects.exists()


def test_a_mute_without_notifications_still_lets_their_notifications_through(alice, bob, carol):
    graph.mute(alice, bob, notifications=False)
    graph.mute(alice, carol)
    post = services.publish_post(alice, "like me")
    services.like(bob, post=post)
    services.like(carol, post=post)
    assert [n.actor_id for n in notifications(alice)] == [bob.id]


# ---- relationships and familiar followers, in a fixed number of queries -----------------------


def test_relationships_in_order_skipping_unknown_and_suspended(api_as, alice, bob, carol, dave):
    graph.follow(alice, carol)
    dave.state = "suspended"
    dave.save()
    status, body = api_as(alice).get("/api/v1/accounts/relationships",
                                     {"id[]": [carol.id, 123456789, dave.id, bob.id]})
    assert status == 200
    assert [r["id"] for r in body] == [str(carol.id), str(bob.id)]
    assert body[0]["following"] is True
    assert body[1]["following"] is False
    # a single `id` works too
    assert [r["id"] for r in api_as(alice).get("/api/v1/accounts/relationships", {"id": bob.id})[1]] == [str(bob.id)]


def test_relationships_query_count_does_not_grow(api_as, alice):
    others = [factories.person(f"p{n}") for n in range(10)]
    remote = remote_actor("ann")
    for index, other in enumerate(others):
        if index % 2:
            graph.follow(alice, other)
        if index % 3 == 0:
            graph.follow(other, alice)
        if index % 4 == 0:
            graph.mute(alice, other)
    graph.block_domain(alice, "far.example")
    client = api_as(alice)
    one = queries(lambda: client.get("/api/v1/accounts/relationships", {"id[]": [remote.id]}))
    many = queries(lambda: client.get("/api/v1/accounts/relationships",
                                      {"id[]": [remote.id, *[o.id for o in others]]}))
    assert many == one
    _, body = client.get("/api/v1/accounts/relationships", {"id[]": [remote.id]})
    assert body[0]["domain_blocking"] is True


def test_graph_relationship_is_the_batch_of_one(alice, bob):
    graph.follow(alice, bob)
    factories.aspect(bob, "Friends", alice)
    with CaptureQueriesContext(connection) as captured:
        rel = graph_selectors.relationship(alice, bob)
    assert len(captured) <= 4  # no remote person asked about: no domain block query
    assert rel.following
    assert rel.followed_by
    assert rel.shared_with
    assert not rel.sharing


def test_familiar_followers(api_as, alice, bob, carol, dave):
    graph.follow(alice, bob)
    graph.follow(alice, carol)
    graph.follow(bob, dave)
    graph.follow(carol, dave)
    graph.follow(dave, bob)
    status, body = api_as(alice).get("/api/v1/accounts/familiar_followers", {"id[]": [dave.id, bob.id, alice.id]})
    assert status == 200
    assert [entry["id"] for entry in body] == [str(dave.id), str(bob.id), str(alice.id)]
    assert [a["username"] for a in body[0]["accounts"]] == ["carol", "bob"]
    assert body[1]["accounts"] == []  # dave follows bob, but alice does not follow dave
    assert body[2]["accounts"] == []


# ---- follow requests -----------------------------------------------------------------------


def test_follow_requests_list_authorize_and_reject(api_as, alice, bob, carol):
    alice.locked = True
    alice.save()
    graph.follow(bob, alice)
    graph.follow(carol, alice)
    client = api_as(alice)
    status, body = client.get("/api/v1/follow_requests")
    assert [a["username"] for a in body] == ["carol", "bob"]
    status, body = client.post(f"/api/v1/follow_requests/{bob.id}/authorize")
    assert status == 200
    assert flags(body) == {"followed_by"}
    status, body = client.post(f"/api/v1/follow_requests/{carol.id}/reject")
    assert status == 200
    assert flags(body) == set()
    assert client.get("/api/v1/follow_requests")[1] == []
    assert client.post(f"/api/v1/follow_requests/{carol.id}/reject")[0] == 404
    assert Follow.objects.get(follower=bob, followee=alice).state == FollowState.ACCEPTED


def test_follow_requests_page_and_query_count(api_as, alice):
    alice.locked = True
    alice.save()
    graph.follow(factories.person("first"), alice)
    client = api_as(alice)
    one = queries(lambda: client.get("/api/v1/follow_requests"))
    for n in range(6):
        graph.follow(factories.person(f"asker{n}"), alice)
    assert queries(lambda: client.get("/api/v1/follow_requests")) == one
    _, page = client.get("/api/v1/follow_requests", {"limit": 3})
    assert [a["username"] for a in page] == ["asker5", "asker4", "asker3"]
    assert "max_id=" in client.last["Link"]


# ---- blocks and mutes ------------------------------------------------------------------------


def test_blocks_and_mutes_lists(api_as, alice, bob, carol):
    graph.block(alice, bob)
    graph.mute(alice, carol, duration=3600)
    client = api_as(alice)
    assert [a["id"] for a in client.get("/api/v1/blocks")[1]] == [str(bob.id)]
    _, [muted] = client.get("/api/v1/mutes")
    assert muted["id"] == str(carol.id)
    assert muted["mute_expires_at"].endswith("Z")
    graph.unmute(alice, carol)
    graph.mute(alice, carol)
    assert client.get("/api/v1/mutes")[1][0]["mute_expires_at"] is None
    assert api_as(alice, scopes="read:mutes").get("/api/v1/blocks")[0] == 403


def test_blocks_and_mutes_page_in_constant_queries(api_as, alice):
    graph.block(alice, factories.person("b0"))
    graph.mute(alice, factories.person("m0"))
    client = api_as(alice)
    blocks_one = queries(lambda: client.get("/api/v1/blocks"))
    mutes_one = queries(lambda: client.get("/api/v1/mutes"))
    for n in range(1, 7):
        graph.block(alice, factories.person(f"b{n}"))
        graph.mute(alice, factories.person(f"m{n}"))
    assert queries(lambda: client.get("/api/v1/blocks")) == blocks_one
    assert queries(lambda: client.get("/api/v1/mutes")) == mutes_one
    _, page = client.get("/api/v1/blocks", {"limit": 2})
    assert [a["username"] for a in page] == ["b6", "b5"]
    _, older = client.get("/api/v1/mutes", {"limit": 2, "max_id": Mute.objects.get(muted__username="m5").id})
    assert [a["username"] for a in older] == ["m4", "m3"]


# ---- domain blocks ---------------------------------------------------------------------------


def test_domain_blocks_add_list_and_remove_with_form_and_json_bodies(api_as, alice):
    client = api_as(alice)
    assert client.post("/api/v1/domain_blocks", {"domain": "Far.Example"}, form=True) == (200, {})
    assert client.post("/api/v1/domain_blocks", {"domain": "https://other.example/about"}) == (200, {})
    assert client.get("/api/v1/domain_blocks") == (200, ["other.example", "far.example"])
    _, first = client.get("/api/v1/domain_blocks", {"limit": 1})
    assert first == ["other.example"]
    assert "max_id=" in client.last["Link"]
    assert client.delete("/api/v1/domain_blocks", {"domain": "far.example"}, form=True) == (200, {})
    assert client.delete("/api/v1/domain_blocks", {"domain": "other.example"}) == (200, {})
    assert client.get("/api/v1/domain_blocks") == (200, [])
    assert client.post("/api/v1/domain_blocks", {"domain": "testserver"})[0] == 422
    assert client.post("/api/v1/domain_blocks", {})[0] == 422


def test_domain_block_hides_posts_in_the_home_stream_and_notifications(alice, bob):
    ann = remote_actor("ann")
    graph.follow(alice, ann)
    graph.accept_follow_request(ann, alice)
    from kith.social.remote import RemoteContent, record_remote_post

    theirs = record_remote_post(ann, RemoteContent(html="<p>from far away</p>"), visibility="public")
    mine = services.publish_post(alice, "like me")
    services.like(ann, post=mine)
    services.reshare(bob, theirs)
    graph.follow(alice, bob)
    bobs_own = services.publish_post(bob, "bob's own")
    assert theirs.id in [p.id for p in timeline_selectors.stream(alice)]
    assert [n.actor_id for n in notifications(alice)] == [ann.id]

    graph.block_domain(alice, "far.example")
    stream_ids = [p.id for p in timeline_selectors.stream(alice)]
    assert theirs.id not in stream_ids
    assert bobs_own.id in stream_ids
    assert all(p.reshare_of_id != theirs.id for p in timeline_selectors.stream(alice))  # reshares of it too
    assert notifications(alice) == []
    assert [p.id for p in timeline_selectors.public_posts(alice, local_only=False)] == [bobs_own.id, mine.id]
    assert theirs.id in [p.id for p in timeline_selectors.public_posts(bob, local_only=False)]

    graph.unblock_domain(alice, "far.example")
    assert theirs.id in [p.id for p in timeline_selectors.stream(alice)]
    assert len(notifications(alice)) == 1


def test_domain_block_removes_followers_from_there_and_refuses_new_ones(api_as, alice):
    ann = remote_actor("ann")
    ben = remote_actor("ben")
    elsewhere = remote_actor("cat", "near.example")
    for person in (ann, elsewhere):
        graph.follow(person, alice)
    api_as(alice).post("/api/v1/domain_blocks", {"domain": "far.example"})
    assert list(Follow.objects.filter(followee=alice).values_list("follower_id", flat=True)) == [elsewhere.id]
    assert Delivery.objects.filter(subject__startswith="reject:", inbox=f"{REMOTE}/users/ann/inbox").exists()
    with pytest.raises(Exception, match="does not take followers"):
        graph.follow(ben, alice)
