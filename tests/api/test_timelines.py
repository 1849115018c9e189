"""Timelines (home, public, tag, list) and read markers."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from kith.graph import services as graph
from kith.social import remote, services
from kith.social.media import upload_media
from kith.social.models import Visibility
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def ids(body: list[dict]) -> list[str]:
    return [status["id"] for status in body]


def photo_post(author, text: str):
    data = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(data, "PNG")
    data.seek(0)
    data.name = "p.png"
    media = upload_media(author, data, description="a red square")
    return services.publish_post(author, text, media_ids=[media.id])


def remote_post(text: str, tags=()):
    ann = factories.remote_person("ann", "elsewhere.example")
    return remote.record_remote_post(
        ann, remote.RemoteContent(html=f"<p>{text}</p>", tags=list(tags)), visibility=Visibility.PUBLIC
    )


# ---- home ---------------------------------------------------------------------------


def test_home_shows_own_followed_and_shared_posts_and_nothing_else(api_as, alice, bob, carol, dave):
    graph.follow(alice, bob)
    own = services.publish_post(alice, "mine")
    followed = services.publish_post(bob, "bob in public")
    family = factories.aspect(carol, "family", alice)
    shared = services.publish_post(carol, "for family", visibility=Visibility.LIMITED, aspect_ids=[family.id])
    others = factories.aspect(bob, "others", dave)
    not_for_alice = services.publish_post(bob, "not for alice", visibility=Visibility.LIMITED, aspect_ids=[others.id])
    unfollowed = services.publish_post(dave, "dave in public")

    status, body = api_as(alice).get("/api/v1/timelines/home")
    assert status == 200
    assert ids(body) == [str(shared.id), str(followed.id), str(own.id)]
    assert str(not_for_alice.id) not in ids(body)
    assert str(unfollowed.id) not in ids(body)
    assert body[0]["visibility"] == "private"


def test_home_needs_a_token_with_read_statuses(api_as, alice):
    assert api_as(None).get("/api/v1/timelines/home")[0] == 401
    assert api_as(alice, scopes="write").get("/api/v1/timelines/home")[0] == 403
    assert api_as(alice, scopes="read:statuses").get("/api/v1/timelines/home")[0] == 200


def test_home_pages_with_link_headers(api_as, alice):
    made = [services.publish_post(alice, f"post {n}").id for n in range(5)]
    client = api_as(alice)
    _, first = client.get("/api/v1/timelines/home", {"limit": 2})
    assert ids(first) == [str(made[4]), str(made[3])]
    assert f"max_id={made[3]}" in client.last["Link"]
    _, older = client.get("/api/v1/timelines/home", {"limit": 2, "max_id": made[3]})
    assert ids(older) == [str(made[2]), str(made[1])]
    _, newer = client.get("/api/v1/timelines/home", {"limit": 2, "min_id": made[0]})
    assert ids(newer) == [str(made[2]), str(made[1])]


def test_home_a_block_after_fan_out_hides_the_post(api_as, alice, bob):
    graph.follow(alice, bob)
    post = services.publish_post(bob, "before the block")
    graph.block(alice, bob)
    assert str(post.id) not in ids(api_as(alice).get("/api/v1/timelines/home")[1])


def _queries(client, path: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        status, _ = client.get(path, params)
    assert status == 200
    return len(captured.captured_queries)


def test_home_costs_the_same_queries_for_one_post_or_twenty(api_as, alice, bob, carol):
    # Each kind of item (reshares, photos) may add one query for the whole page: the single
    # item is a reshare of a photo post so the bigger page brings no new kind.
    graph.follow(alice, bob)
    services.reshare(bob, photo_post(carol, "a photo"))
    client = api_as(alice)
    assert len(client.get("/api/v1/timelines/home")[1]) == 1  # also warms the token's first-use writes
    one = _queries(client, "/api/v1/timelines/home")
    for n in range(16):
        services.publish_post(bob, f"bob {n} #tag @carol")
    photo_post(bob, "another photo")
    services.reshare(bob, services.publish_post(carol, "reshared"))
    services.reshare(bob, photo_post(carol, "reshared photo"))
    assert len(client.get("/api/v1/timelines/home")[1]) == 20
    assert _queries(client, "/api/v1/timelines/home") == one


# ---- public and tags -------------------------------------------------------------------


def test_public_timeline_is_public_original_posts_for_anyone(api_as, alice, bob):
    public = services.publish_post(alice, "public")
    services.publish_post(alice, "unlisted", visibility=Visibility.UNLISTED)
    aspect = factories.aspect(alice, "friends", bob)
    services.publish_post(alice, "limited", visibility=Visibility.LIMITED, aspect_ids=[aspect.id])
    reshare = services.reshare(bob, public)
    elsewhere = remote_post("from elsewhere")

    status, body = api_as(None).get("/api/v1/timelines/public")
    assert status == 200
    assert ids(body) == [str(elsewhere.id), str(public.id)]
    assert str(reshare.id) not in ids(body)
    assert ids(api_as(bob).get("/api/v1/timelines/public", {"local": "true"})[1]) == [str(public.id)]
    assert ids(api_as(bob).get("/api/v1/timelines/public", {"remote": "true"})[1]) == [str(elsewhere.id)]


def test_public_timeline_only_media(api_as, alice):
    services.publish_post(alice, "words only")
    with_photo = photo_post(alice, "a photo")
    body = api_as(None).get("/api/v1/timelines/public", {"only_media": "true"})[1]
    assert ids(body) == [str(with_photo.id)]
    assert body[0]["media_attachments"][0]["description"] == "a red square"


def test_tag_timeline_with_any_all_and_none(api_as, alice, bob):
    cats = services.publish_post(alice, "#cats")
    dogs = services.publish_post(alice, "#dogs")
    both = services.publish_post(alice, "#cats and #dogs")
    cats_birds = services.publish_post(bob, "#cats and #birds")
    services.publish_post(alice, "#cats unlisted", visibility=Visibility.UNLISTED)
    elsewhere = remote_post("#cats from afar", tags=["cats"])
    client = api_as(None)

    assert ids(client.get("/api/v1/timelines/tag/cats")[1]) == [
        str(elsewhere.id), str(cats_birds.id), str(both.id), str(cats.id)
    ]
    assert ids(client.get("/api/v1/timelines/tag/Cats", {"local": "true"})[1]) == [
        str(cats_birds.id), str(both.id), str(cats.id)
    ]
    assert ids(client.get("/api/v1/timelines/tag/cats", {"remote": "true"})[1]) == [str(elsewhere.id)]
    assert ids(client.get("/api/v1/timelines/tag/cats", {"any[]": ["dogs"], "local": "1"})[1]) == [
        str(cats_birds.id), str(both.id), str(dogs.id), str(cats.id)
    ]
    assert ids(client.get("/api/v1/timelines/tag/cats", {"all[]": ["dogs"]})[1]) == [str(both.id)]
    assert ids(client.get("/api/v1/timelines/tag/cats", {"none[]": ["dogs", "birds"], "local": "1"})[1]) == [
        str(cats.id)
    ]
    assert client.get("/api/v1/timelines/tag/nothing-here")[1] == []


# ---- lists (aspects) -----------------------------------------------------------------------


def test_list_timeline_holds_only_members_posts_the_viewer_may_see(api_as, alice, bob, carol, dave):
    friends = factories.aspect(alice, "friends", bob)  # alice shares with bob, and so follows him
    graph.follow(alice, carol)
    bob_public = services.publish_post(bob, "bob public")
    services.publish_post(carol, "carol public")  # in home, not in the list
    bob_aspect = factories.aspect(bob, "close", alice)
    bob_limited = services.publish_post(bob, "bob to alice", visibility=Visibility.LIMITED, aspect_ids=[bob_aspect.id])
    bob_other = factories.aspect(bob, "others", dave)
    hidden = services.publish_post(bob, "not for alice", visibility=Visibility.LIMITED, aspect_ids=[bob_other.id])

    status, body = api_as(alice).get(f"/api/v1/timelines/list/{friends.id}")
    assert status == 200
    assert ids(body) == [str(bob_limited.id), str(bob_public.id)]
    assert str(hidden.id) not in ids(body)
    assert api_as(bob).get(f"/api/v1/timelines/list/{friends.id}")[0] == 404
    assert api_as(alice).get("/api/v1/timelines/list/999999")[0] == 404


def test_list_timeline_costs_the_same_queries_for_one_post_or_many(api_as, alice, bob):
    friends = factories.aspect(alice, "friends", bob)
    services.publish_post(bob, "one")
    client = api_as(alice)
    path = f"/api/v1/timelines/list/{friends.id}"
    client.get(path)
    one = _queries(client, path)
    for n in range(15):
        services.publish_post(bob, f"more {n}")
    assert len(client.get(path)[1]) == 16
    assert _queries(client, path) == one


# ---- markers ---------------------------------------------------------------------------------


def test_markers_round_trip_with_form_and_json(api_as, alice):
    client = api_as(alice)
    assert client.get("/api/v1/markers")[1] == {}
    status, saved = client.post("/api/v1/markers", {"home[last_read_id]": "103"}, form=True)
    assert status == 200
    assert saved["home"]["last_read_id"] == "103"
    assert saved["home"]["version"] == 0
    assert saved["home"]["updated_at"].endswith("Z")
    status, saved = client.post("/api/v1/markers", {"home": {"last_read_id": "104"}, "notifications": {
        "last_read_id": "7"}})
    assert status == 200
    assert saved["home"] == {**saved["home"], "last_read_id": "104", "version": 1}
    assert saved["notifications"]["last_read_id"] == "7"
    both = client.get("/api/v1/markers", {"timeline[]": ["home", "notifications"]})[1]
    assert set(both) == {"home", "notifications"}
    assert both["home"]["last_read_id"] == "104"
    assert set(client.get("/api/v1/markers", {"timeline[]": "home"})[1]) == {"home"}
    # The same position again is no change: the version stays.
    assert client.post("/api/v1/markers", {"home": {"last_read_id": "104"}})[1]["home"]["version"] == 1


def test_markers_are_per_person_and_need_scopes(api_as, alice, bob):
    api_as(alice).post("/api/v1/markers", {"home": {"last_read_id": "5"}})
    assert api_as(bob).get("/api/v1/markers")[1] == {}
    assert api_as(alice, scopes="read").post("/api/v1/markers", {"home": {"last_read_id": "6"}})[0] == 403
    assert api_as(alice, scopes="write").get("/api/v1/markers")[0] == 403
    assert api_as(alice).post("/api/v1/markers", {"home": {"last_read_id": "many"}})[0] == 422


# ---- moderation: limited and sensitive authors (kith.visibility rules 15 and 16) -------------


def test_a_limited_persons_posts_reach_followers_only_and_no_public_or_tag_timeline(api_as, alice, bob, carol):
    from kith.people.services import set_limited

    graph.follow(alice, bob)
    post = services.publish_post(bob, "from a limited account #limits")
    set_limited(None, bob, True)
    for path in ("/api/v1/timelines/public", "/api/v1/timelines/tag/limits"):
        for reader in (None, alice, carol):
            assert str(post.id) not in ids(api_as(reader).get(path)[1]), (path, reader)
    assert str(post.id) in ids(api_as(alice).get("/api/v1/timelines/home")[1])
    assert api_as(alice).get(f"/api/v1/statuses/{post.id}")[0] == 200
    assert api_as(carol).get(f"/api/v1/statuses/{post.id}")[0] == 404
    assert api_as(None).get(f"/api/v1/statuses/{post.id}")[0] == 404
    assert str(post.id) in ids(api_as(alice).get(f"/api/v1/accounts/{bob.id}/statuses")[1])
    assert ids(api_as(carol).get(f"/api/v1/accounts/{bob.id}/statuses")[1]) == []
    # Mastodon's Account.limited: the profile is still shown, marked as limited.
    status, account = api_as(carol).get(f"/api/v1/accounts/{bob.id}")
    assert status == 200
    assert account["limited"] is True
    assert api_as(carol).get(f"/api/v1/accounts/{alice.id}")[1]["limited"] is False


def test_statuses_of_an_account_staff_marked_sensitive_say_sensitive(api_as, alice, bob):
    from kith.people.services import set_force_sensitive

    graph.follow(alice, bob)
    post = photo_post(bob, "a photo")
    body = api_as(alice).get(f"/api/v1/statuses/{post.id}")[1]
    assert body["sensitive"] is False
    set_force_sensitive(None, bob, True)
    assert api_as(alice).get(f"/api/v1/statuses/{post.id}")[1]["sensitive"] is True
    home = api_as(alice).get("/api/v1/timelines/home")[1]
    assert [status["sensitive"] for status in home if status["id"] == str(post.id)] == [True]


def test_home_with_limited_authors_costs_no_more_queries(api_as, alice, bob, carol):
    """Rule 15 is an EXISTS inside the page's one id query: no query per post, none for the page."""
    from kith.people.services import set_limited

    graph.follow(alice, bob)
    graph.follow(alice, carol)
    for n in range(6):
        services.publish_post((bob, carol)[n % 2], f"post {n}")
        services.add_comment(carol, services.publish_post(bob, f"commented {n}"), "a comment")
    client = api_as(alice)
    client.get("/api/v1/timelines/home")
    before = _queries(client, "/api/v1/timelines/home")
    set_limited(None, bob, True)
    set_limited(None, carol, True)
    assert len(client.get("/api/v1/timelines/home")[1]) == 12
    assert _queries(client, "/api/v1/timelines/home") == before
