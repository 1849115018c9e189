"""OAuth 2 for Mastodon clients: apps, the consent page, tokens, PKCE, revocation, rate limits."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from oauth2_provider.models import AccessToken

from kith.api.models import WeeklyLogin
from kith.api.oauth import authorize_url
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

OOB = "urn:ietf:wg:oauth:2.0:oob"
CALLBACK = "https://app.example/callback"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # rate-limit counters and cached counts from other tests


def register(client: Client, **fields) -> dict:
    data = {"client_name": "Test App", "redirect_uris": CALLBACK, "scopes": "read write follow",
            "website": "https://app.example", **fields}
    response = client.post("/api/v1/apps", json.dumps(data), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def logged_in(person) -> Client:
    browser = Client()
    response = browser.post("/login", {"username": person.account.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return browser


def approve(browser: Client, app: dict, redirect_uri: str = CALLBACK, scope: str = "read write", **extra):
    """GET the consent page, then POST its form approving; returns (consent page, answer)."""
    page = browser.get(authorize_url(app["client_id"], redirect_uri, scope, **extra))
    assert page.status_code == 200, page.content
    form = {name: value for name, value in page.context["form"].initial.items() if value is not None}
    return page, browser.post("/oauth/authorize", {**form, "allow": "Authorize"})


def code_from(response) -> str:
    assert response.status_code == 302, response.content
    return parse_qs(urlsplit(response["Location"]).query)["code"][0]


def exchange(app: dict, code: str, redirect_uri: str = CALLBACK, **extra) -> tuple[int, dict]:
    response = Client().post("/oauth/token", {
        "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": redirect_uri, **extra,
    })
    return response.status_code, response.json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# ---- POST /api/v1/apps --------------------------------------------------------------------


def test_register_app_returns_a_credential_application():
    client = Client()
    app = register(client, redirect_uris=[CALLBACK, "tusky://oauth", "icecubesapp://", OOB], scopes="read write push")
    assert app["name"] == "Test App"
    assert app["website"] == "https://app.example"
    assert app["scopes"] == ["read", "write", "push"]
    assert app["redirect_uris"] == [CALLBACK, "tusky://oauth", "icecubesapp://", OOB]
    assert app["redirect_uri"] == "\n".join(app["redirect_uris"])
    assert app["client_id"]
    assert app["client_secret"]
    assert app["client_secret_expires_at"] == 0
    assert "vapid_key" not in app
    # Form-encoded, newline-separated URIs, no scopes: Mastodon's default `read`.
    form = client.post("/api/v1/apps/", {"client_name": "Form", "redirect_uris": f"{CALLBACK}\n{OOB}"}).json()
    assert form["redirect_uris"] == [CALLBACK, OOB]
    assert form["scopes"] == ["read"]
    assert form["website"] is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"client_name": ""}, "Application name can't be blank"),
    ({"client_name": "x" * 61}, "Application name is too long"),
    ({"redirect_uris": ""}, "Redirect URI can't be blank"),
    ({"redirect_uris": "javascript:alert(1)"}, "javascript"),
    ({"redirect_uris": "not a uri"}, "absolute URI"),
    ({"redirect_uris": "https://app.example/cb#fragment"}, "fragment"),
    ({"scopes": "read launch:missiles"}, "launch:missiles"),
    ({"redirect_uris": "http://[broken"}, "Redirect URI is invalid"),
])
def test_register_app_refuses_bad_fields(fields, message):
    data = {"client_name": "Test App", "redirect_uris": CALLBACK, **fields}
    response = Client().post("/api/v1/apps", json.dumps(data), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed")
    assert message in response.json()["error"]


@pytest.mark.parametrize("fields", [{"website": "https://app.example/\x00"}, {"client_name": "nul\x00name"}])
def test_register_app_refuses_nul_characters(fields):
    data = {"client_name": "Test App", "redirect_uris": CALLBACK, **fields}
    response = Client().post("/api/v1/apps", json.dumps(data), content_type="application/json")
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]


# ---- the authorization-code flow ----------------------------------------------------------------


def test_authorization_code_flow_from_login_to_revocation(alice):
    app = register(Client())
    url = authorize_url(app["client_id"], CALLBACK, "read write", state="s1")

    # Not logged in to the web UI: the log-in page first, then back here.
    browser = Client()
    to_login = browser.get(url)
    assert to_login.status_code == 302
    assert to_login["Location"].startswith("/login?next=")
    back = browser.post(to_login["Location"], {"username": "alice", "password": PASSWORD})
    assert back.status_code == 302
    assert back["Location"] == url

    page = browser.get(back["Location"])
    html = page.content.decode()
    assert "Authorize Test App?" in html
    assert "alice@" in html
    assert "read all your data" in html
    assert "change all your data" in html
    assert "app.example" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # the CSP forbids inline code
    assert " style=" not in html

    form = {name: value for name, value in page.context["form"].initial.items() if value is not None}
    answer = browser.post("/oauth/authorize", {**form, "allow": "Authorize"})
    assert answer["Location"].startswith(CALLBACK + "?")
    assert parse_qs(urlsplit(answer["Location"]).query)["state"] == ["s1"]

    status, token = exchange(app, code_from(answer))
    assert status == 200, token
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "read write"
    assert isinstance(token["created_at"], int)
    assert token["refresh_token"]

    me = Client().get("/api/v1/accounts/verify_credentials", headers=bearer(token["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    # The code works once.
    assert exchange(app, code_from(answer))[1]["error"] == "invalid_grant"

    refreshed = Client().post("/oauth/token", {
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"],
        "client_id": app["client_id"], "client_secret": app["client_secret"],
    })
    assert refreshed.status_code == 200, refreshed.content
    renewed = refreshed.json()
    assert renewed["access_token"] != token["access_token"]
    assert renewed["scope"] == "read write"
    assert Client().get("/api/v1/accounts/verify_credentials",
                        headers=bearer(renewed["access_token"])).status_code == 200

    revoked = Client().post("/oauth/revoke", {
        "token": renewed["access_token"], "client_id": app["client_id"], "client_secret": app["client_secret"],
    })
    assert revoked.status_code == 200
    assert revoked.json() == {}
    assert Client().get("/api/v1/accounts/verify_credentials",
                        headers=bearer(renewed["access_token"])).status_code == 401
    # Logging in on the web and receiving a token both count as this week's log-in, once.
    assert WeeklyLogin.objects.filter(account=alice.account).count() == 1


def test_custom_scheme_redirects_back_to_the_app(alice):
    app = register(Client(), redirect_uris="tusky://oauth icecubesapp://")
    _, answer = approve(logged_in(alice), app, redirect_uri="icecubesapp://")
    assert answer["Location"].startswith("icecubesapp://?code=")
    _, answer = approve(logged_in(alice), app, redirect_uri="tusky://oauth")
    assert answer["Location"].startswith("tusky://oauth?code=")
    assert exchange(app, code_from(answer), redirect_uri="tusky://oauth")[0] == 200


def test_denying_sends_access_denied_to_the_app(alice):
    app = register(Client())
    browser = logged_in(alice)
    page = browser.get(authorize_url(app["client_id"], CALLBACK, "read", state="s2"))
    form = {name: value for name, value in page.context["form"].initial.items() if value is not None}
    answer = browser.post("/oauth/authorize", form)
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s2"]
    assert "code" not in query
    assert not AccessToken.objects.filter(user=alice.account).exists()


def test_unregistered_redirect_uri_is_refused_without_redirecting(alice):
    app = register(Client())
    page = logged_in(alice).get(authorize_url(app["client_id"], "https://evil.example/steal", "read"))
    assert page.status_code == 400
    assert "Location" not in page
    assert "This app cannot be authorized" in page.content.decode()


def test_out_of_band_shows_the_code_on_a_page(alice):
    app = register(Client(), redirect_uris=OOB)
    browser = logged_in(alice)
    page, answer = approve(browser, app, redirect_uri=OOB, scope="read")
    assert "copy into the app" in page.content.decode()
    assert answer.status_code == 200
    code = answer.context["code"]
    assert "no-store" in answer["Cache-Control"]
    assert code
    assert code in answer.content.decode()
    status, token = exchange(app, code, redirect_uri=OOB)
    assert status == 200, token
    assert token["scope"] == "read"
    # Denying out of band says so on the page.
    page = browser.get(authorize_url(app["client_id"], OOB, "read"))
    form = {name: value for name, value in page.context["form"].initial.items() if value is not None}
    denied = browser.post("/oauth/authorize", form)
    assert denied.status_code == 400
    assert "You denied the app access" in denied.content.decode()


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def test_pkce_is_checked_when_the_client_sent_a_challenge(alice):
    app = register(Client())
    verifier = "a-long-enough-verifier-" + "x" * 40
    challenge = {"code_challenge": s256(verifier), "code_challenge_method": "S256"}

    _, answer = approve(logged_in(alice), app, **challenge)
    assert exchange(app, code_from(answer))[1]["error"] == "invalid_request"  # no verifier

    _, answer = approve(logged_in(alice), app, **challenge)
    assert exchange(app, code_from(answer), code_verifier="the-wrong-verifier-" + "y" * 40)[1]["error"] \
        == "invalid_grant"

    _, answer = approve(logged_in(alice), app, **challenge)
    status, token = exchange(app, code_from(answer), code_verifier=verifier)
    assert status == 200, token

    # Without a challenge, no verifier is asked for (most Mastodon apps send none).
    _, answer = approve(logged_in(alice), app)
    assert exchange(app, code_from(answer))[0] == 200


def test_plain_pkce_is_refused(alice):
    app = register(Client())
    _, answer = approve(logged_in(alice), app, code_challenge="x" * 50, code_challenge_method="plain")
    assert parse_qs(urlsplit(answer["Location"]).query)["error"] == ["invalid_request"]


def test_force_login_logs_out_and_comes_back_without_it(alice, bob):
    app = register(Client())
    browser = logged_in(alice)
    forced = browser.get(authorize_url(app["client_id"], CALLBACK, "read", force_login="true"))
    assert forced.status_code == 302
    assert forced["Location"].startswith("/login?next=")
    assert "force_login" not in forced["Location"]
    assert "_auth_user_id" not in browser.session
    back = browser.post(forced["Location"], {"username": "bob", "password": PASSWORD})
    page = browser.get(back["Location"])
    assert page.status_code == 200
    assert "bob@" in page.content.decode()


# ---- scopes ----------------------------------------------------------------------------------


def test_requested_scopes_must_be_within_the_registered_ones(alice):
    app = register(Client(), scopes="read")
    browser = logged_in(alice)
    refused = browser.get(authorize_url(app["client_id"], CALLBACK, "read write"))
    assert parse_qs(urlsplit(refused["Location"]).query)["error"] == ["invalid_scope"]

    granular = browser.get(authorize_url(app["client_id"], CALLBACK, "read:statuses"))
    assert granular.status_code == 200  # `read` covers its granular scopes

    credentials = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    wide = Client().post("/oauth/token", {"grant_type": "client_credentials", "scope": "write", **credentials})
    assert wide.status_code == 400
    assert wide.json()["error"] == "invalid_scope"
    assert wide.json()["error_description"]
    default = Client().post("/oauth/token", {"grant_type": "client_credentials", **credentials})
    assert default.json()["scope"] == "read"


# ---- client credentials, apps/verify_credentials ----------------------------------------------------


def test_client_credentials_token_is_an_app_token():
    app = register(Client())
    answer = Client().post("/oauth/token", {
        "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "scope": "read write",
    })
    assert answer.status_code == 200, answer.content
    token = answer.json()
    assert token["scope"] == "read write"
    assert "refresh_token" not in token
    verified = Client().get("/api/v1/apps/verify_credentials/", headers=bearer(token["access_token"]))
    assert verified.status_code == 200
    assert verified.json() == {
        "id": app["id"], "name": "Test App", "website": "https://app.example", "scopes": ["read", "write", "follow"],
        "redirect_uri": CALLBACK, "redirect_uris": [CALLBACK],
    }
    # An app token acts for nobody.
    assert Client().get("/api/v1/accounts/verify_credentials",
                        headers=bearer(token["access_token"])).status_code == 422
    assert Client().get("/api/v1/apps/verify_credentials").status_code == 401


def test_a_persons_token_also_verifies_its_app(api_as, alice):
    status, body = api_as(alice).get("/api/v1/apps/verify_credentials")
    assert status == 200
    assert body["name"] == "tests"


def test_token_errors_are_mastodon_json():
    app = register(Client())
    wrong = Client().post("/oauth/token", {
        "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": "wrong",
    })
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert wrong.json()["error_description"]
    unknown = Client().post("/oauth/token", {"grant_type": "magic", "client_id": app["client_id"],
                                             "client_secret": app["client_secret"]})
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "unsupported_grant_type"


def test_token_endpoint_takes_json_bodies_and_a_trailing_slash():
    app = register(Client())
    answer = Client().post("/oauth/token/", json.dumps({
        "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "scope": ["read", "write"],
    }), content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["scope"] == "read write"


def test_revoking_needs_the_apps_own_credentials(alice):
    app = register(Client())
    other = register(Client(), client_name="Other")
    _, answer = approve(logged_in(alice), app)
    token = exchange(app, code_from(answer))[1]["access_token"]
    refused = Client().post("/oauth/revoke", {"token": token, "client_id": app["client_id"],
                                              "client_secret": "wrong"})
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    # Another app cannot revoke it (answered 200 like an unknown token, and nothing happens).
    ignored = Client().post("/oauth/revoke", {"token": token, "client_id": other["client_id"],
                                              "client_secret": other["client_secret"]})
    assert ignored.status_code == 200
    assert Client().get("/api/v1/accounts/verify_credentials", headers=bearer(token)).status_code == 200


# ---- the password grant and the server metadata ---------------------------------------------------


def metadata() -> dict:
    response = Client().get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    return response.json()


def password_login(app: dict, username: str, password: str = PASSWORD):
    return Client().post("/oauth/token", {
        "grant_type": "password", "username": username, "password": password,
        "client_id": app["client_id"], "client_secret": app["client_secret"], "scope": "read write",
    })


def test_metadata_tells_the_truth():
    data = metadata()
    assert data["issuer"] == "http://testserver/"
    assert data["authorization_endpoint"] == "http://testserver/oauth/authorize"
    assert data["token_endpoint"] == "http://testserver/oauth/token"
    assert data["revocation_endpoint"] == "http://testserver/oauth/revoke"
    assert data["app_registration_endpoint"] == "http://testserver/api/v1/apps"
    assert data["response_types_supported"] == ["code"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert set(data["grant_types_supported"]) == {"authorization_code", "client_credentials", "refresh_token"}
    assert {"read", "write", "follow", "push", "read:statuses", "admin:read"} <= set(data["scopes_supported"])


def test_password_grant_is_off_unless_enabled(settings, alice):
    app = register(Client())
    refused = password_login(app, "alice")
    assert refused.status_code == 400
    assert refused.json()["error"] == "unauthorized_client"

    settings.KITH_API_ALLOW_PASSWORD_GRANT = True
    assert "password" in metadata()["grant_types_supported"]
    by_email = password_login(app, "alice@example.test")  # toot logs in with the e-mail address
    assert by_email.status_code == 200, by_email.content
    assert by_email.json()["scope"] == "read write"
    assert password_login(app, "alice").status_code == 200  # Mastodon.py may send the username
    wrong = password_login(app, "alice", "not the password")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"

    alice.account.state = "suspended"
    alice.account.save()
    assert password_login(app, "alice").json()["error"] == "invalid_grant"


def test_the_password_grant_goes_through_the_log_in_throttle(settings, monkeypatch, alice):
    from kith.people import throttle

    now = [1_900_000_000.0]
    monkeypatch.setattr(throttle, "clock", lambda: now[0])
    settings.KITH_API_ALLOW_PASSWORD_GRANT = True
    app = register(Client())
    answers = [password_login(app, "alice", "not the password") for _ in range(60)]
    assert [answer.status_code for answer in answers[:4]] == [400] * 4
    for refused in answers[4:]:
        assert refused.status_code == 429
        assert refused["Retry-After"] == "60"
        assert "try again in 60 seconds" in refused.json()["error_description"]
    right = password_login(app, "alice")
    assert right.status_code == 429  # the right password too, during the lockout
    assert "access_token" not in right.json()
    assert len([message for message in mail.outbox if message.to == ["alice@example.test"]]) == 1
    now[0] += 61
    assert password_login(app, "alice").status_code == 200


# ---- rate limits --------------------------------------------------------------------------------


def test_rate_limit_headers_and_429_per_token(settings, api_as, alice, bob):
    settings.KITH_API_RATE_LIMIT = 3
    alices = api_as(alice)
    remaining = []
    for _ in range(3):
        status, _ = alices.get("/api/v1/accounts/verify_credentials")
        assert status == 200
        remaining.append(alices.last["X-RateLimit-Remaining"])
        assert alices.last["X-RateLimit-Limit"] == "3"
        assert alices.last["X-RateLimit-Reset"].endswith("Z")
    assert remaining == ["2", "1", "0"]
    status, body = alices.get("/api/v1/accounts/verify_credentials")
    assert status == 429
    assert body == {"error": "Too many requests"}
    assert alices.last["X-RateLimit-Remaining"] == "0"
    # Each token has its own budget; anonymous callers are counted by address.
    assert api_as(bob).get("/api/v1/accounts/verify_credentials")[0] == 200
    anonymous = api_as(None)
    for _ in range(3):
        assert anonymous.get("/api/v1/instance")[0] == 200
    assert anonymous.get("/api/v1/instance")[0] == 429
    # OAuth endpoints and web pages are not counted by this limit.
    assert Client().get("/.well-known/oauth-authorization-server").status_code == 200
    assert "X-RateLimit-Limit" not in Client().get("/.well-known/oauth-authorization-server")


def test_rate_limit_window_resets(settings, api_as, alice):
    settings.KITH_API_RATE_LIMIT = 1
    settings.KITH_API_RATE_PERIOD = 1
    client = api_as(alice)
    import time

    time.sleep(1 - (time.time() % 1) + 0.01)  # start at the beginning of a window
    assert client.get("/api/v1/instance")[0] == 200
    assert client.get("/api/v1/instance")[0] == 429
    time.sleep(1.05)
    assert client.get("/api/v1/instance")[0] == 200


def test_a_suspended_account_gets_no_new_tokens_by_code_or_refresh(alice):
    from kith.people.models import AccountState

    app = register(Client())
    browser = logged_in(alice)
    _, first = approve(browser, app)
    status, token = exchange(app, code_from(first))
    assert status == 200
    pending_code = code_from(approve(browser, app)[1])

    alice.account.state = AccountState.SUSPENDED
    alice.account.save()
    assert exchange(app, pending_code)[1]["error"] == "invalid_grant"
    refreshed = Client().post("/oauth/token", {
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"],
        "client_id": app["client_id"], "client_secret": app["client_secret"],
    })
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
