"""Hostile input to the client API (issue 12): deep JSON and malformed hosts are 4xx or empty
results, never a 500."""

from __future__ import annotations

import pytest

from kith.people.selectors import split_handle
from kith.social.models import Post

pytestmark = pytest.mark.django_db(transaction=True)

HOSTS = ["127.000.003.002", "0x7f.1", "[::1", "xn--", "\u2603.example", "a..b", "1.2.3.4:99999", "[fe80::1%25eth0]"]


@pytest.mark.parametrize("depth", [100, 900, 100_000])
def test_deeply_nested_json_is_a_400(api_as, alice, depth):
    """100,000 levels raised RecursionError in json.loads: a 500; 100 and 900 parse, and are refused as well."""
    api = api_as(alice)
    body = '{"status": "hi", "x": ' + "[" * depth + "]" * depth + "}"
    response = api.client.post("/api/v1/statuses", body, content_type="application/json", headers=api.headers)
    assert response.status_code == 400, response.content
    assert "nests too deeply" in response.json()["error"]
    assert Post.objects.count() == 0


@pytest.mark.parametrize("host", HOSTS)
def test_search_with_resolve_and_a_malformed_host_finds_nothing(api_as, alice, settings, host):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    api = api_as(alice)
    for query in (f"https://{host}/users/bob", f"bob@{host}", f"@bob@{host}"):
        status, body = api.get("/api/v2/search", {"q": query, "resolve": "true"})
        assert status == 200, (query, body)
        assert body["accounts"] == []
        assert body["statuses"] == []
        status, _ = api.get("/api/v1/accounts/search", {"q": query, "resolve": "true"})
        assert status == 200, query
        status, _ = api.get("/api/v1/accounts/lookup", {"acct": query.lstrip("@")})
        assert status == 404, query


@pytest.mark.parametrize("depth", [900, 100_000])
def test_deeply_nested_json_to_the_token_endpoint_is_an_oauth_error(client, depth):
    """/oauth/token reads JSON bodies too (Mastodon accepts them): 100,000 levels were a
    RecursionError there, a 500; now it is read as an empty body, which OAuth answers with 400."""
    body = '{"grant_type": ' + "[" * depth + "]" * depth + "}"
    response = client.post("/oauth/token", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "unsupported_grant_type"


def test_a_body_larger_than_any_upload_is_a_413_before_it_is_read(api_as, alice, settings, monkeypatch):
    """Django streams an uploaded file to a temporary file whatever its size, before the
    upload's own size check: a 2 GB body was written to disk first.  Now the declared length
    is refused before anything reads the body."""
    from django.core.files import uploadhandler
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kith.social.models import Media

    settings.KITH_MAX_UPLOAD_BYTES = 1000
    read = []
    monkeypatch.setattr(uploadhandler.MemoryFileUploadHandler, "receive_data_chunk",
                        lambda self, raw_data, start: read.append(len(raw_data)))
    api = api_as(alice)

    def big() -> SimpleUploadedFile:
        return SimpleUploadedFile("big.jpg", b"\xff" * (1024 * 1024 + 2000), content_type="image/jpeg")

    response = api.client.post("/api/v2/media", {"file": big()}, headers=api.headers)
    assert response.status_code == 413, response.content
    assert "larger than this pod accepts" in response.json()["error"]
    assert read == []
    assert not Media.objects.exists()

    # The web pages answer the same, as text; a body within the cap goes on to the usual checks.
    response = api.client.post("/settings/profile", {"avatar": big()})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    small = SimpleUploadedFile("small.jpg", b"\xff" * 2000, content_type="image/jpeg")
    response = api.client.post("/api/v2/media", {"file": small}, headers=api.headers)
    assert response.status_code == 422
    assert "at most" in response.json()["error"]


def test_a_handle_longer_than_any_is_nobody_not_a_sqlite_error(api_as, alice):
    """Found by fuzzing (tests/fuzz/test_db_api.py): a 60,000-character acct became a LIKE
    pattern (username__iexact), which SQLite refuses over 50 kB: a 500."""
    api = api_as(alice)
    for acct in ("a" * 60_000, "a@" + "b" * 60_000):
        status, _ = api.get("/api/v1/accounts/lookup", {"acct": acct})
        assert status == 404
    assert api.client.get("/@" + "a" * 60_000).status_code == 404


def test_a_json_token_request_holding_a_lone_surrogate_is_an_oauth_error(client):
    """Found by fuzzing: JSON may spell "\\ud800", which oauthlib cannot encode as UTF-8 (a 500)."""
    response = client.post("/oauth/token", b'{"grant_type": "password", "username": "\\ud800"}',
                           content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/statuses", b'{"status": "a\\ud800"}'),
    ("/api/v1/lists", b'{"title": "\\udc00"}'),
    ("/api/v1/statuses", b'{"status": "ok", "poll": {"options": ["\\ud800", "b"], "expires_in": 600}}'),
])
def test_json_holding_a_lone_surrogate_is_a_400(api_as, alice, path, body):
    """Found by fuzzing (tests/fuzz/test_db_api.py): JSON may spell a lone surrogate, which the
    sanitiser cannot encode (a 500) and no database stores; refused like NUL.  A pair is one character."""
    api = api_as(alice)
    response = api.client.post(path, body, content_type="application/json", headers=api.headers)
    assert response.status_code == 400, response.content
    assert "lone surrogates" in response.json()["error"]
    assert Post.objects.count() == 0
    status, posted = api.post("/api/v1/statuses", {"status": "\U0001f600"})
    assert status == 200
    assert posted["content"].strip() == "<p>\U0001f600</p>"


def test_a_profile_address_holding_nul_names_nobody(api_as, alice):
    """Found by fuzzing on PostgreSQL (tests/fuzz/test_db_api.py): /@%00 reached a query with NUL,
    which PostgreSQL refuses (a 500); the API refuses NUL before any view, the pages did not."""
    api = api_as(alice)
    api.client.force_login(alice.account)
    assert api.client.get("/@a%00b").status_code == 400  # the pages now refuse NUL in any address
    assert api.client.get("/@a%00b@remote.example").status_code == 400
    assert split_handle("a\x00b") == ("", "")  # and a handle holding NUL from elsewhere names nobody


@pytest.mark.parametrize("address", ["/tags/a%00b", "/tags/%00/unfollow", "/search?q=a%00", "/public?max_id=%00"])
def test_a_page_address_holding_nul_is_a_400(api_as, alice, address):
    """Found by fuzzing on PostgreSQL (tests/fuzz/test_db_api.py): /tags/%00 reached a query with NUL,
    which PostgreSQL refuses (a 500).  Like the API, the pages refuse NUL in the address."""
    api = api_as(alice)
    api.client.force_login(alice.account)
    call = api.client.post if address.endswith("unfollow") else api.client.get
    assert call(address).status_code == 400
