"""Lists are aspects: create, rename, delete, members (adding is sharing with them)."""

from __future__ import annotations

import pytest

from kith.graph import services as graph
from kith.graph.models import Aspect, AspectMembership, Follow
from kith.social import services
from kith.social.models import Visibility
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_read_rename_delete(api_as, alice, bob):
    client = api_as(alice)
    status, made = client.post("/api/v1/lists", {"title": "Family"}, form=True)
    assert status == 200
    assert made == {"id": made["id"], "title": "Family", "replies_policy": "list", "exclusive": False}
    assert Aspect.objects.get(id=made["id"]).owner_id == alice.id
    assert client.get("/api/v1/lists")[1] == [made]
    assert client.get(f"/api/v1/lists/{made['id']}")[1] == made
    status, renamed = client.put(f"/api/v1/lists/{made['id']}", {"title": "Kin", "replies_policy": "followed"})
    assert status == 200
    assert renamed["title"] == "Kin"
    assert api_as(bob).get(f"/api/v1/lists/{made['id']}")[0] == 404
    assert api_as(bob).delete(f"/api/v1/lists/{made['id']}")[0] == 404
    assert client.delete(f"/api/v1/lists/{made['id']}") == (200, {})
    assert client.get("/api/v1/lists")[1] == []


def test_refusals(api_as, alice):
    client = api_as(alice)
    assert client.post("/api/v1/lists", {"title": ""})[0] == 422
    assert client.post("/api/v1/lists", {"title": "x", "exclusive": True})[0] == 422
    assert client.post("/api/v1/lists", {"title": "x", "replies_policy": "everyone"})[0] == 422
    client.post("/api/v1/lists", {"title": "Same"})
    assert client.post("/api/v1/lists", {"title": "Same"})[0] == 409
    assert api_as(alice, scopes="read").post("/api/v1/lists", {"title": "y"})[0] == 403
    assert api_as(alice, scopes="write").get("/api/v1/lists")[0] == 403


def test_adding_an_account_shares_with_them_and_follows_them(api_as, alice, bob, carol):
    client = api_as(alice)
    made = client.post("/api/v1/lists", {"title": "Friends"})[1]
    # Mastodon asks for a follow first; in Kith adding someone is sharing with them.
    status, body = client.post(f"/api/v1/lists/{made['id']}/accounts", {"account_ids[]": [bob.id, carol.id]}, form=True)
    assert (status, body) == (200, {})
    assert Follow.objects.filter(follower=alice, followee=bob).exists()
    members = client.get(f"/api/v1/lists/{made['id']}/accounts")[1]
    assert {m["id"] for m in members} == {str(bob.id), str(carol.id)}
    # A limited post to the list now reaches them.
    post = services.publish_post(alice, "for friends", visibility=Visibility.LIMITED, aspect_ids=[int(made["id"])])
    assert api_as(bob).get(f"/api/v1/statuses/{post.id}")[0] == 200

    status, _ = client.delete(f"/api/v1/lists/{made['id']}/accounts", {"account_ids[]": [carol.id]}, form=True)
    assert status == 200
    assert [m["id"] for m in client.get(f"/api/v1/lists/{made['id']}/accounts")[1]] == [str(bob.id)]
    # Out of her last aspect: no longer followed.
    assert not Follow.objects.filter(follower=alice, followee=carol).exists()
    # The post's audience was fixed when it was published.
    assert api_as(carol).get(f"/api/v1/statuses/{post.id}")[0] == 200


def test_member_changes_are_all_or_nothing_and_404_for_unknown_people(api_as, alice, bob, carol):
    client = api_as(alice)
    made = client.post("/api/v1/lists", {"title": "Friends"})[1]
    graph.block(carol, alice)  # carol blocked alice: she is hidden from alice
    status, _ = client.post(f"/api/v1/lists/{made['id']}/accounts", {"account_ids": [bob.id, carol.id]})
    assert status == 404
    assert not AspectMembership.objects.filter(aspect_id=made["id"]).exists()
    assert client.post(f"/api/v1/lists/{made['id']}/accounts", {"account_ids": []})[0] == 422
    other = factories.aspect(bob, "bob's")
    assert client.post(f"/api/v1/lists/{other.id}/accounts", {"account_ids": [carol.id]})[0] == 404


def test_list_accounts_page_and_limit_zero(api_as, alice):
    aspect = factories.aspect(alice, "many", *[factories.person() for _ in range(5)])
    client = api_as(alice)
    first = client.get(f"/api/v1/lists/{aspect.id}/accounts", {"limit": 2})[1]
    assert len(first) == 2
    link = client.last["Link"]
    assert f"max_id={first[1]['id']}" in link
    rest = client.get(f"/api/v1/lists/{aspect.id}/accounts", {"limit": 2, "max_id": first[1]["id"]})[1]
    assert {a["id"] for a in rest}.isdisjoint({a["id"] for a in first})
    assert len(client.get(f"/api/v1/lists/{aspect.id}/accounts", {"limit": 0})[1]) == 5


def test_deleting_a_list_stops_sharing_with_members_in_no_other_aspect(api_as, alice, bob, carol):
    friends = factories.aspect(alice, "friends", bob, carol)
    factories.aspect(alice, "work", carol)
    assert api_as(alice).delete(f"/api/v1/lists/{friends.id}")[0] == 200
    assert not Follow.objects.filter(follower=alice, followee=bob).exists()
    assert Follow.objects.filter(follower=alice, followee=carol).exists()
