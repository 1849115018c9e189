"""Accounts in the client API: credentials, lookup, profiles, their statuses and follows, search."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext
from PIL import Image

from kith.graph import services as graph
from kith.people.models import AccountState
from kith.people.services import suspend_account
from kith.social import services
from kith.social.media import upload_media
from kith.social.models import Visibility
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def png_bytes(size: tuple[int, int] = (60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        status, _ = call()
    assert status == 200
    return len(captured)


# ---- update_credentials --------------------------------------------------------------------


def test_update_credentials_with_a_json_body(api_as, alice):
    status, body = api_as(alice).patch("/api/v1/accounts/update_credentials", {
        "display_name": "Alice A.", "note": "I *like* tea", "locked": True, "discoverable": False,
        "fields_attributes": [], "source": {"privacy": "public"},
    })
    assert status == 200
    assert body["display_name"] == "Alice A."
    assert "<em>like</em>" in body["note"]
    assert body["source"]["note"] == "I *like* tea"
    assert body["locked"] is True
    assert body["discoverable"] is False
    alice.refresh_from_db()
    assert (alice.display_name, alice.locked, alice.searchable) == ("Alice A.", True, False)


def test_update_credentials_with_a_form_body_changes_only_what_is_sent(api_as, alice):
    alice.display_name = "Keep me"
    alice.save()
    status, body = api_as(alice).patch("/api/v1/accounts/update_credentials", {"locked": "true"}, form=True)
    assert status == 200
    assert body["locked"] is True
    assert body["display_name"] == "Keep me"


def test_update_credentials_uploads_avatar_and_header_as_multipart(api_as, alice):
    client = api_as(alice)
    data = {
        "display_name": "Pictured",
        "avatar": SimpleUploadedFile("me.png", png_bytes(), content_type="image/png"),
        "header": SimpleUploadedFile("top.png", png_bytes((300, 100)), content_type="image/png"),
    }
    response = client.client.patch(
        "/api/v1/accounts/update_credentials", encode_multipart(BOUNDARY, data),
        content_type=MULTIPART_CONTENT, headers=client.headers,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_name"] == "Pictured"
    assert f"/avatars/{alice.id}?v=" in body["avatar"]
    assert f"/headers/{alice.id}?v=" in body["header"]
    alice.refresh_from_db()
    assert alice.avatar
    assert alice.header


def test_update_credentials_refuses_a_file_that_is_not_an_image(api_as, alice):
    client = api_as(alice)
    data = {"avatar": SimpleUploadedFile("me.png", b"not an image", content_type="image/png")}
    response = client.client.patch(
        "/api/v1/accounts/update_credentials", encode_multipart(BOUNDARY, data),
        content_type=MULTIPART_CONTENT, headers=client.headers,
    )
    assert response.status_code == 422
    assert "error" in response.json()


def test_update_credentials_needs_the_write_accounts_scope(api_as, alice):
    assert api_as(alice, scopes="read").patch("/api/v1/accounts/update_credentials", {"locked": True})[0] == 403


# ---- lookup and get ----------------------------------------------------------------------------


def test_lookup_finds_local_and_remote_accounts_by_handle(api_as, alice):
    remote = factories.remote_person("zed", "remote.example")
    client = api_as(None)
    for acct in ("alice", "@alice", "ALICE"):
        status, body = client.get("/api/v1/accounts/lookup", {"acct": acct})
        assert (status, body["id"]) == (200, str(alice.id))
    status, body = client.get("/api/v1/accounts/lookup", {"acct": "zed@remote.example"})
    assert (status, body["id"], body["acct"]) == (200, str(remote.id), "zed@remote.example")
    assert client.get("/api/v1/accounts/lookup", {"acct": "nobody"})[0] == 404


def test_blocked_suspended_and_unknown_accounts_are_404(api_as, alice, bob, carol):
    graph.block(bob, alice)  # bob blocks alice: each is hidden from the other
    suspend_account(carol.account, carol.account, "spam")
    client = api_as(alice)
    for path in (f"/api/v1/accounts/{bob.id}", f"/api/v1/accounts/{bob.id}/statuses",
                 f"/api/v1/accounts/{bob.id}/followers", f"/api/v1/accounts/{bob.id}/following",
                 f"/api/v1/accounts/{carol.id}", f"/api/v1/accounts/{carol.id}/statuses",
                 "/api/v1/accounts/123456789"):
        assert client.get(path) == (404, {"error": "Record not found"}), path
    assert client.get("/api/v1/accounts/lookup", {"acct": "bob"})[0] == 404
    assert client.get("/api/v1/accounts/lookup", {"acct": "carol"})[0] == 404
    assert api_as(None).get(f"/api/v1/accounts/{bob.id}")[0] == 200


def test_a_blocked_viewer_cannot_read_the_blockers_statuses(api_as, alice, bob):
    services.publish_post(bob, "before the block")
    assert len(api_as(alice).get(f"/api/v1/accounts/{bob.id}/statuses")[1]) == 1
    graph.block(bob, alice)
    assert api_as(alice).get(f"/api/v1/accounts/{bob.id}/statuses")[0] == 404
    assert len(api_as(None).get(f"/api/v1/accounts/{bob.id}/statuses")[1]) == 1


# ---- account statuses ----------------------------------------------------------------------


def test_account_statuses_filters(api_as, alice, bob):
    plain = services.publish_post(alice, "plain words")
    tagged = services.publish_post(alice, "about #Tea")
    media = upload_media(alice, SimpleUploadedFile("p.png", png_bytes(), content_type="image/png"))
    pictured = services.publish_post(alice, "a picture", media_ids=[media.id])
    bobs = services.publish_post(bob, "bob's post")
    shared = services.reshare(alice, bobs)
    services.pin(alice, plain)
    reply = services.add_comment(alice, bobs, "a reply to bob")
    client = api_as(None)
    path = f"/api/v1/accounts/{alice.id}/statuses"

    def ids(**params):
        status, body = client.get(path, params)
        assert status == 200
        return [s["id"] for s in body]

    everything = [str(i) for i in (reply.id, shared.id, pictured.id, tagged.id, plain.id)]
    assert ids() == everything
    assert ids(exclude_replies="true") == everything[1:]
    assert ids(exclude_reblogs="true", exclude_replies="1") == [str(pictured.id), str(tagged.id), str(plain.id)]
    assert ids(only_media="true") == [str(pictured.id)]
    assert ids(pinned="true") == [str(plain.id)]
    assert ids(tagged="tea") == [str(tagged.id)]
    assert ids(tagged="#TEA") == [str(tagged.id)]
    status, body = client.get(path)
    assert body[0]["in_reply_to_id"] == str(bobs.id)
    assert body[0]["in_reply_to_account_id"] == str(bob.id)
    assert body[1]["reblog"]["id"] == str(bobs.id)


def test_account_statuses_page_through_posts_and_replies_together(api_as, alice, bob):
    target = services.publish_post(bob, "talk to me")
    made = []
    for n in range(3):
        made.append(services.publish_post(alice, f"post {n}").id)
        made.append(services.add_comment(alice, target, f"reply {n}").id)
    client = api_as(None)
    path = f"/api/v1/accounts/{alice.id}/statuses"
    _, first = client.get(path, {"limit": 4})
    assert [s["id"] for s in first] == [str(i) for i in reversed(made[2:])]
    _, rest = client.get(path, {"limit": 4, "max_id": first[-1]["id"]})
    assert [s["id"] for s in rest] == [str(made[1]), str(made[0])]
    _, after = client.get(path, {"limit": 2, "min_id": made[0]})
    assert [s["id"] for s in after] == [str(made[2]), str(made[1])]


def test_account_statuses_hide_limited_posts_and_replies_from_outsiders(api_as, alice, bob, carol):
    aspect = factories.aspect(alice, "Friends", bob)
    secret = services.publish_post(alice, "friends only", visibility=Visibility.LIMITED, aspect_ids=[aspect.id])
    services.add_comment(alice, secret, "a reply in private")
    path = f"/api/v1/accounts/{alice.id}/statuses"
    assert len(api_as(bob).get(path)[1]) == 2
    assert api_as(carol).get(path)[1] == []
    assert api_as(None).get(path)[1] == []


def test_account_statuses_query_count_does_not_grow(api_as, alice, bob):
    target = services.publish_post(bob, "talk to me")

    def one_of_each(n: int) -> None:
        services.publish_post(alice, f"more #tag{n}")
        services.add_comment(alice, target, f"reply {n}")
        services.reshare(alice, services.publish_post(bob, f"share {n}"))

    one_of_each(0)
    client = api_as(bob)
    path = f"/api/v1/accounts/{alice.id}/statuses"
    one = queries(lambda: client.get(path))
    for n in range(1, 7):
        one_of_each(n)
    assert queries(lambda: client.get(path)) == one


# ---- followers and following ----------------------------------------------------------------


def test_followers_and_following_page_with_link_headers(api_as, alice):
    fans = [factories.person(f"fan{n}") for n in range(5)]
    for fan in fans:
        graph.follow(fan, alice)
        graph.follow(alice, fan)
    client = api_as(None)
    status, first = client.get(f"/api/v1/accounts/{alice.id}/followers", {"limit": 2})
    assert [a["username"] for a in first] == ["fan4", "fan3"]
    link = client.last["Link"]
    assert 'rel="next"' in link
    next_url = urlsplit(link.split(";")[0].strip("<>"))
    _, second = client.get(next_url.path, dict(parse_qsl(next_url.query)))
    assert [a["username"] for a in second] == ["fan2", "fan1"]
    _, following = client.get(f"/api/v1/accounts/{alice.id}/following")
    assert [a["username"] for a in following] == ["fan4", "fan3", "fan2", "fan1", "fan0"]


def test_unsearchable_people_are_listed_only_to_the_account_itself_and_to_themselves(api_as, alice, bob, carol):
    graph.follow(bob, alice)
    graph.follow(carol, alice)
    bob.searchable = False
    bob.save()
    path = f"/api/v1/accounts/{alice.id}/followers"
    assert [a["username"] for a in api_as(None).get(path)[1]] == ["carol"]
    assert [a["username"] for a in api_as(carol).get(path)[1]] == ["carol"]
    assert [a["username"] for a in api_as(bob).get(path)[1]] == ["carol", "bob"]
    assert [a["username"] for a in api_as(alice).get(path)[1]] == ["carol", "bob"]


def test_followers_hide_people_blocked_either_way_and_pending_requests(api_as, alice, bob, carol, dave):
    graph.follow(bob, alice)
    graph.follow(carol, alice)
    graph.block(dave, carol)
    alice.locked = True
    alice.save()
    graph.follow(factories.person("pending"), alice)
    path = f"/api/v1/accounts/{alice.id}/followers"
    assert [a["username"] for a in api_as(dave).get(path)[1]] == ["bob"]
    assert [a["username"] for a in api_as(None).get(path)[1]] == ["carol", "bob"]


def test_followers_and_following_query_counts_do_not_grow(api_as, alice, bob):
    graph.follow(bob, alice)
    graph.follow(alice, bob)
    client = api_as(bob)
    one_followers = queries(lambda: client.get(f"/api/v1/accounts/{alice.id}/followers"))
    one_following = queries(lambda: client.get(f"/api/v1/accounts/{alice.id}/following"))
    for n in range(8):
        other = factories.person(f"other{n}")
        graph.follow(other, alice)
        graph.follow(alice, other)
        services.publish_post(other, "so the accounts have counts")
    assert queries(lambda: client.get(f"/api/v1/accounts/{alice.id}/followers")) == one_followers
    assert queries(lambda: client.get(f"/api/v1/accounts/{alice.id}/following")) == one_following


# ---- search ---------------------------------------------------------------------------------


def test_account_search_by_name_with_following_and_offset(api_as, alice):
    names = [factories.person(f"tea{n}", display_name=f"Tea lover {n}") for n in range(4)]
    graph.follow(alice, names[2])
    client = api_as(alice)
    status, body = client.get("/api/v1/accounts/search", {"q": "tea"})
    assert status == 200
    assert [a["username"] for a in body] == ["tea0", "tea1", "tea2", "tea3"]
    _, body = client.get("/api/v1/accounts/search", {"q": "tea", "limit": 2, "offset": 1})
    assert [a["username"] for a in body] == ["tea1", "tea2"]
    _, body = client.get("/api/v1/accounts/search", {"q": "tea", "following": "true"})
    assert [a["username"] for a in body] == ["tea2"]
    assert api_as(None).get("/api/v1/accounts/search", {"q": "tea"})[0] == 401


def test_account_search_resolves_a_remote_handle(api_as, alice, monkeypatch):
    fetched = []

    def fake_find_remote_person(handle):
        fetched.append(handle)
        return factories.remote_person("ann", "far.example")

    monkeypatch.setattr("kith.social.lookup.find_remote_person", fake_find_remote_person)
    client = api_as(alice)
    _, body = client.get("/api/v1/accounts/search", {"q": "ann@far.example"})
    assert body == []
    assert fetched == []  # without resolve, nothing is fetched
    _, body = client.get("/api/v1/accounts/search", {"q": "ann@far.example", "resolve": "true"})
    assert [a["acct"] for a in body] == ["ann@far.example"]
    assert fetched == ["ann@far.example"]


def test_account_search_hides_blocked_and_suspended_people(api_as, alice, bob, carol):
    graph.block(bob, alice)
    carol.state = AccountState.SUSPENDED
    carol.save()
    client = api_as(alice)
    assert client.get("/api/v1/accounts/search", {"q": "bob"})[1] == []
    assert client.get("/api/v1/accounts/search", {"q": "carol"})[1] == []


# ---- lists containing an account --------------------------------------------------------------


def test_lists_containing_an_account_are_the_viewers_aspects(api_as, alice, bob, carol):
    family = factories.aspect(alice, "Family", bob)
    factories.aspect(alice, "Work", carol)
    factories.aspect(carol, "Carol's", bob)
    status, body = api_as(alice).get(f"/api/v1/accounts/{bob.id}/lists")
    assert status == 200
    assert body == [{"id": str(family.id), "title": "Family", "replies_policy": "list", "exclusive": False}]
    assert api_as(carol).get(f"/api/v1/accounts/{bob.id}/lists")[1] == [
        {"id": str(carol.aspects.get().id), "title": "Carol's", "replies_policy": "list", "exclusive": False}
    ]
    assert api_as(alice, scopes="read:accounts").get(f"/api/v1/accounts/{bob.id}/lists")[0] == 403
