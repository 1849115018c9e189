"""The API's shared machinery: tokens and scopes, errors, parameters, paging headers."""

from __future__ import annotations

import pytest

from kith.api.params import nest
from kith.social import services
from kith.social.models import Visibility

pytestmark = pytest.mark.django_db(transaction=True)


def test_verify_credentials_needs_a_valid_token(api_as, alice):
    status, body = api_as(None).get("/api/v1/accounts/verify_credentials")
    assert status == 401
    assert body == {"error": "The access token is invalid"}
    client = api_as(alice)
    client.headers["Authorization"] = "Bearer not-a-token"
    assert client.get("/api/v1/accounts/verify_credentials")[0] == 401


def test_verify_credentials_renders_the_account_with_source(api_as, alice):
    status, body = api_as(alice).get("/api/v1/accounts/verify_credentials")
    assert status == 200
    assert body["id"] == str(alice.id)
    assert body["acct"] == "alice"
    assert body["source"]["follow_requests_count"] == 0
    assert body["avatar"].endswith("/static/web/avatar-missing.png")


def test_scopes_are_enforced_and_top_level_scopes_grant_granular_ones(api_as, alice):
    assert api_as(alice, scopes="write").get("/api/v1/accounts/verify_credentials")[0] == 403
    assert api_as(alice, scopes="read:accounts").get("/api/v1/accounts/verify_credentials")[0] == 200
    assert api_as(alice, scopes="read").get("/api/v1/accounts/verify_credentials")[0] == 200


def test_trailing_slash_is_optional(api_as, alice):
    assert api_as(alice).get("/api/v1/accounts/verify_credentials/")[0] == 200


def test_suspended_account_token_is_refused(api_as, alice):
    client = api_as(alice)
    alice.account.state = "suspended"
    alice.account.save()
    status, body = client.get("/api/v1/accounts/verify_credentials")
    assert status == 403


def test_limited_post_is_a_404_for_outsiders_and_shown_to_its_audience(api_as, alice, bob, carol):
    from kith.graph import services as graph

    aspect = graph.create_aspect(alice, "Family")
    graph.add_to_aspect(alice, aspect, bob)
    post = services.publish_post(alice, "family only", visibility=Visibility.LIMITED, aspect_ids=[aspect.id])
    assert api_as(bob).get(f"/api/v1/statuses/{post.id}")[1]["visibility"] == "private"
    assert api_as(carol).get(f"/api/v1/statuses/{post.id}") == (404, {"error": "Record not found"})
    assert api_as(None).get(f"/api/v1/statuses/{post.id}")[0] == 404


def test_account_statuses_pages_with_link_headers(api_as, alice):
    made = [services.publish_post(alice, f"post {n}").id for n in range(5)]
    client = api_as(None)
    status, first = client.get(f"/api/v1/accounts/{alice.id}/statuses", {"limit": 2})
    assert [s["id"] for s in first] == [str(made[4]), str(made[3])]
    link = client.last["Link"]
    assert f"max_id={made[3]}" in link
    assert f"min_id={made[4]}" in link
    _, older = client.get(f"/api/v1/accounts/{alice.id}/statuses", {"limit": 2, "max_id": made[3]})
    assert [s["id"] for s in older] == [str(made[2]), str(made[1])]
    _, newer = client.get(f"/api/v1/accounts/{alice.id}/statuses", {"limit": 2, "min_id": made[0]})
    assert [s["id"] for s in newer] == [str(made[2]), str(made[1])]
    _, since = client.get(f"/api/v1/accounts/{alice.id}/statuses", {"limit": 2, "since_id": made[0]})
    assert [s["id"] for s in since] == [str(made[4]), str(made[3])]


def test_bad_parameters_are_a_422_in_mastodons_error_format(api_as, alice):
    status, body = api_as(None).get(f"/api/v1/accounts/{alice.id}/statuses", {"limit": "many"})
    assert status == 422
    assert body["error"].startswith("Validation failed")


def test_rails_style_keys_nest():
    from django.http import QueryDict

    data = QueryDict("media_ids[]=1&media_ids[]=2&poll[options][]=a&poll[options][]=b&poll[expires_in]=60"
                     "&fields_attributes[0][name]=x&fields_attributes[1][name]=y&status=hi")
    assert nest(data) == {
        "media_ids": ["1", "2"],
        "poll": {"options": ["a", "b"], "expires_in": "60"},
        "fields_attributes": [{"name": "x"}, {"name": "y"}],
        "status": "hi",
    }


@pytest.mark.parametrize(("query", "nested"), [
    ("0=a&1=b", {"0": "a", "1": "b"}),  # parameters named by digits stay parameters (was a list: a 500)
    ("f[\u00b2][name]=x", {"f": {"\u00b2": {"name": "x"}}}),  # not an index (int() raised ValueError: a 500)
    ("f[10][n]=b&f[9][n]=a&f[" + "9" * 5000 + "][n]=c", {"f": [{"n": "a"}, {"n": "b"}, {"n": "c"}]}),
])
def test_rails_keys_of_any_shape_nest_without_error(query, nested):
    """Found by fuzzing (tests/fuzz/test_db_api.py, test_nodb_params.py)."""
    from django.http import QueryDict

    assert nest(QueryDict(query)) == nested


def test_odd_rails_keys_through_the_endpoints(api_as, alice):
    api = api_as(alice)
    assert api.get("/api/v1/notifications", {"0": "a"})[0] == 200
    response = api.client.patch("/api/v1/accounts/update_credentials", "fields_attributes[%C2%B2][name]=x",
                                content_type="application/x-www-form-urlencoded", headers=api.headers)
    assert response.status_code == 200, response.content


def test_limited_photos_are_linked_for_the_viewer_and_public_ones_stably(api_as, alice, bob):
    from django.test import Client

    from tests import factories
    from tests.test_media import photo_of

    friends = factories.aspect(alice, "Friends", bob)
    limited = services.publish_post(alice, "holiday", visibility=Visibility.LIMITED, aspect_ids=[friends.id],
                                    media_ids=[photo_of(alice).id])
    public = services.publish_post(alice, "view", media_ids=[photo_of(alice).id])
    _, body = api_as(bob).get(f"/api/v1/statuses/{limited.id}")
    url = body["media_attachments"][0]["url"]
    assert "?t=" in url
    assert Client().get(url.removeprefix("http://testserver")).status_code == 200
    _, body = api_as(bob).get(f"/api/v1/statuses/{public.id}")
    assert "?t=" not in body["media_attachments"][0]["url"]


def test_page_ids_beyond_64_bits_or_negative_are_a_422_not_a_crash(api_as, alice):
    client = api_as(alice)
    for params in ({"max_id": 2**70}, {"min_id": -1}, {"since_id": "1e400"}, {"limit": -5}):
        status, body = client.get(f"/api/v1/accounts/{alice.id}/statuses", params)
        assert status == 422, params
        assert body["error"].startswith("Validation failed")
    assert client.get(f"/api/v1/accounts/{alice.id}/statuses", {"limit": 0})[0] == 200


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/api/v1/timelines/tag/kith", {"none[]": ["ok", "bad\x00"]}),
        ("POST", "/api/v1/statuses", {"status": "hello\x00"}),
    ],
)
def test_nul_characters_are_a_400_in_query_form_and_json(api_as, alice, method, path, data):
    client = api_as(alice)
    if method == "GET":
        assert client.get(path, data)[0] == 400
    else:
        assert client.post(path, data, form=True)[0] == 400
        status, body = client.post(path, data)
        assert status == 400
        assert "NUL" in body["error"]
