"""Fuzzing the Mastodon client API and the pages that take addresses, through Django's test
client with a valid bearer token (or a logged-in session): every operation the API serves, with
arbitrary query strings, bodies (JSON, form, multipart; Rails-style keys, any nesting) and
headers, and hostile handles and URLs where people paste them (search with resolve,
/api/v1/accounts/lookup?acct=, /@name@host, WebFinger's resource).  Every answer is below 500
and nothing is half-written.

Beyond tests/api/test_openapi.py (schemathesis generates from the document, so within its
types) and tests/api/test_hostile_input.py (chosen cases): keys and values the document does
not know, Rails keys of any shape, headers, and hostile URLs in any field.  Each payload runs
in a transaction that is rolled back, so all of them see the same data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlencode

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from kith.api.tokens import issue_token
from kith.social import services
from kith.social.models import Post, Visibility
from tests import factories
from tests.api.test_openapi import _ninja_operations
from tests.fuzz.common import EVIL_TEXT, HOSTILE_URL, HOSTS, NASTY_TEXT, budget, rails_keys, tally_for

TALLY = tally_for(__name__)
pytestmark = pytest.mark.django_db

OPERATIONS = sorted(_ninja_operations())
QUERY_NAMES = [
    "account_id", "acct", "all", "any", "exclude_reblogs", "exclude_replies", "exclude_types[]", "exclude_types",
    "exclude_unreviewed", "following", "id[]", "id", "limit", "local", "max_id", "min_id", "none", "offset",
    "only_media", "order", "pinned", "q", "remote", "resolve", "since_id", "tagged", "timeline[]", "type", "types[]",
]
BODY_NAMES = [
    "account_id", "account_ids[]", "category", "choices[]", "client_name", "comment", "context[]", "description",
    "domain", "duration", "exclusive", "expires_in", "filter_action", "focus", "forward", "home[last_read_id]",
    "notifications[last_read_id]", "in_reply_to_id", "keyword", "keywords_attributes[0][keyword]",
    "keywords_attributes[][whole_word]", "kith_aspect_ids[]", "language", "languages[]", "media_attributes[][id]",
    "media_ids[]", "notify", "poll[options][]", "poll[expires_in]", "poll[multiple]", "reblogs", "redirect_uris",
    "replies_policy", "rule_ids[]", "scheduled_at", "scopes", "sensitive", "spoiler_text", "status", "status_ids[]",
    "title", "visibility", "website", "whole_word", "bot", "discoverable", "display_name",
    "fields_attributes[0][name]", "fields_attributes[0][value]", "fields_attributes[\u00b2][name]", "hide_collections",
    "indexable", "locked", "note", "source[privacy]", "source[language]", "source[sensitive]",
]
NUMBERS = st.sampled_from(["0", "-1", "1", "20", "41", "9" * 19, "9" * 30, "-9223372036854775809", "1e3", "0x10",
                           "1.5", "NaN", "", " 1", "\u0661", "true", "null", "[]"])
VALUES = NASTY_TEXT | HOSTILE_URL | NUMBERS | st.sampled_from(
    [f"bob@{host}" for host in HOSTS] + [f"@bob@{host}" for host in HOSTS] + ["public", "direct", "limited", "private"]
)
PAIRS = st.lists(st.tuples(st.sampled_from(QUERY_NAMES + BODY_NAMES) | st.text(max_size=12), VALUES), max_size=8)
JSON_BODY = st.dictionaries(
    st.sampled_from([name.split("[")[0] for name in BODY_NAMES]) | st.text(max_size=8),
    VALUES | st.lists(VALUES, max_size=3) | st.dictionaries(st.sampled_from(["options", "0", "name", "value", "id"]),
                                                            VALUES | st.lists(VALUES, max_size=3), max_size=3),
    max_size=8,
)
HEADERS = st.dictionaries(
    st.sampled_from(["Idempotency-Key", "Accept-Language", "Accept", "Link", "X-Forwarded-For", "X-Forwarded-Proto",
                     "Origin", "Referer", "If-None-Match", "Range", "Cookie", "User-Agent"]),
    NASTY_TEXT.map(lambda text: text.encode("utf-8", "replace").decode("latin-1")),
    max_size=3,
)


@pytest.fixture
def world(db) -> dict:
    alice, bob = factories.person("alice"), factories.person("bob")
    post = services.publish_post(bob, "Hello #garden", visibility=Visibility.PUBLIC)
    own = services.publish_post(alice, "Mine", visibility=Visibility.PUBLIC, poll=services.PollDraft(options=["a", "b"]))
    token = issue_token(alice.account, "fuzz", "read write follow push")
    web = Client()
    web.force_login(alice.account)
    return {"alice": alice, "bob": bob, "post": post, "own": own, "token": token, "web": web}


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each payload sees the same data: its writes are undone after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _answered(target: str, response) -> None:
    TALLY.record(target, response.status_code)
    assert response.status_code < 500, (target, response.status_code, response.content[:500])


def _path_value(name: str, world: dict) -> st.SearchStrategy[str]:
    known = {
        "account_id": str(world["bob"].id), "status_id": str(world["post"].id), "poll_id": str(world["own"].id),
        "name": "garden", "hashtag": "garden",
    }
    return st.sampled_from([known.get(name, "1")]) | NUMBERS | NASTY_TEXT.map(lambda text: quote(text.encode("utf-8", "replace"), safe=""))


@budget(130)
@given(operation=st.sampled_from(OPERATIONS), query=PAIRS, form=PAIRS, json_body=JSON_BODY,
       body_kind=st.sampled_from(["json", "form", "multipart", "none", "raw"]), headers=HEADERS,
       raw=st.binary(max_size=40), authorised=st.sampled_from([True, True, True, False]), data=st.data())
def test_every_operation_with_arbitrary_parameters(world, operation, query, form, json_body, body_kind, headers,
                                                   raw, authorised, data):
    method, template = operation
    path = template
    for name in [part[1:-1] for part in template.split("/") if part.startswith("{")]:
        path = path.replace(f"{{{name}}}", data.draw(_path_value(name, world)))
    query_string = urlencode(query, encoding="utf-8", errors="surrogatepass")
    headers = dict(headers)
    if authorised:
        headers["Authorization"] = f"Bearer {world['token']}"
    client = Client()
    url = f"{path}?{query_string}" if query_string else path
    with rolled_back():
        if body_kind == "json":
            body = json.dumps(json_body, ensure_ascii=data.draw(st.booleans())).encode("utf-8", "surrogatepass")
            response = client.generic(method, url, body, content_type="application/json", headers=headers)
        elif body_kind == "form":
            response = client.generic(method, url, urlencode(form, encoding="utf-8", errors="surrogatepass"),
                                      content_type="application/x-www-form-urlencoded", headers=headers)
        elif body_kind == "multipart" and method == "POST":
            response = client.post(url, {key: value.encode("utf-8", "replace").decode() for key, value in form},
                                   headers=headers)
        elif body_kind == "raw":
            response = client.generic(method, url, raw, content_type=data.draw(st.sampled_from(
                ["application/json", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "text/plain"])),
                headers=headers)
        else:
            response = client.generic(method, url, headers=headers)
    _answered(f"{method} {template}", response)


RAILS_TARGETS = [
    ("PATCH", "/api/v1/accounts/update_credentials"), ("POST", "/api/v1/statuses"), ("POST", "/api/v2/filters"),
    ("POST", "/api/v1/polls/{poll}/votes"), ("POST", "/api/v1/markers"), ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/accounts/relationships"), ("POST", "/api/v1/reports"), ("PUT", "/api/v1/statuses/{own}"),
]


@budget(80)
@given(target=st.sampled_from(RAILS_TARGETS), pairs=st.lists(st.tuples(rails_keys(), VALUES), max_size=8),
       as_query=st.booleans(), multipart=st.booleans())
def test_rails_keys_where_they_are_read(world, target, pairs, as_query, multipart):
    """Rails-style keys of any shape (`fields_attributes[²][name]`, `a[][b][]`, `0=x`) where clients send them."""
    method, path = target
    path = path.replace("{poll}", str(world["own"].id)).replace("{own}", str(world["own"].id))
    headers = {"Authorization": f"Bearer {world['token']}"}
    encoded = urlencode(pairs, encoding="utf-8", errors="surrogatepass")
    client = Client()
    with rolled_back():
        if as_query or method == "GET":
            response = client.generic(method, f"{path}?{encoded}", headers=headers)
        elif multipart and method == "POST":
            response = client.post(path, {key: value.encode("utf-8", "replace").decode() for key, value in pairs},
                                   headers=headers)
        else:
            response = client.generic(method, path, encoded, content_type="application/x-www-form-urlencoded",
                                      headers=headers)
    _answered(f"{method} {target[1]} (Rails keys)", response)


TEXT_BODIES = [
    ("POST", "/api/v1/statuses", ["status", "spoiler_text", "language", "visibility", "scheduled_at", "poll"]),
    ("PUT", "/api/v1/statuses/{own}", ["status", "spoiler_text", "language"]),
    ("PATCH", "/api/v1/accounts/update_credentials", ["note", "display_name", "fields_attributes", "source"]),
    ("POST", "/api/v1/lists", ["title", "replies_policy"]), ("POST", "/api/v2/filters", ["title", "context", "keywords_attributes"]),
    ("POST", "/api/v1/reports", ["account_id", "comment", "category"]), ("POST", "/api/v1/apps", ["client_name", "website", "redirect_uris", "scopes"]),
    ("POST", "/api/v1/domain_blocks", ["domain"]), ("POST", "/api/v1/markers", ["home", "notifications"]),
    ("POST", "/api/v1/accounts/{bob}/note", ["comment"]), ("POST", "/api/v1/polls/{own}/votes", ["choices"]),
]


@budget(100)
@given(target=st.sampled_from(TEXT_BODIES), data=st.data())
def test_text_in_json_bodies(world, target, data):
    """Every text a client writes, as JSON (where "\\ud800" and "\\u0000" can be spelled) holding
    NUL, lone surrogates, markup and sizes around the limits."""
    method, path, names = target
    path = path.replace("{own}", str(world["own"].id)).replace("{bob}", str(world["bob"].id))
    text = NASTY_TEXT | EVIL_TEXT
    body = data.draw(st.fixed_dictionaries({}, optional={
        name: text | st.lists(text, max_size=3) | st.dictionaries(st.sampled_from(["options", "0", "name", "value", "last_read_id"]), text, max_size=2)
        for name in names
    }))
    with rolled_back():
        response = Client().generic(method, path, json.dumps(body).encode(), content_type="application/json",
                                    headers={"Authorization": f"Bearer {world['token']}"})
    _answered(f"{method} {target[1]} (JSON text)", response)


@budget(25)
@given(query=st.sampled_from(HOSTS).flatmap(lambda host: st.sampled_from([
    f"bob@{host}", f"@bob@{host}", f"https://{host}/users/bob", f"https://{host}/@bob", f"https://{host}/@bob@{host}",
    f"http://{host}/notes/1", f"https://bob@{host}/x", f"{host}",
])) | HOSTILE_URL | NASTY_TEXT, resolve=st.sampled_from(["true", "false", "1"]),
    kind=st.sampled_from(["", "accounts", "statuses", "hashtags"]))
def test_searching_and_looking_up_hostile_addresses(world, query, resolve, kind):
    """What people paste into search: lookups go to other servers (refused or unreachable from the tests)."""
    client, headers = Client(), {"Authorization": f"Bearer {world['token']}"}
    safe = query.encode("utf-8", "replace").decode()
    with rolled_back():
        _answered("GET /api/v2/search", client.get("/api/v2/search", {"q": safe, "resolve": resolve, "type": kind}, headers=headers))
        _answered("GET /api/v1/accounts/search", client.get("/api/v1/accounts/search", {"q": safe, "resolve": resolve}, headers=headers))
        _answered("GET /api/v1/accounts/lookup", client.get("/api/v1/accounts/lookup", {"acct": safe}, headers=headers))
        _answered("GET /search", world["web"].get("/search", {"q": safe}))
        _answered("GET /@handle", world["web"].get(f"/@{quote(safe.lstrip('@'), safe='@:')}"))
        _answered("GET /.well-known/webfinger", client.get("/.well-known/webfinger", {"resource": safe}))
        _answered("POST /settings/aliases", world["web"].post("/settings/aliases", {"handles": safe}))
    assert not Post.objects.filter(author__domain__gt="").exists()


@budget(50)
@given(path=st.sampled_from([
    "/users/alice/outbox", "/users/alice/followers", "/users/alice/following", "/tags/{}", "/public", "/",
    "/notifications", "/users/alice", "/nodeinfo/2.1", "/.well-known/nodeinfo", "/.well-known/host-meta", "/oauth/authorize",
]), query=PAIRS | st.lists(st.tuples(st.sampled_from(["page", "max_id", "min_id", "resource", "client_id", "scope",
                                                      "redirect_uri", "response_type", "code_challenge", "state"]), VALUES), max_size=4),
    tag=NASTY_TEXT)
def test_pages_with_arbitrary_query_strings(world, path, query, tag):
    path = path.replace("{}", quote(tag.encode("utf-8", "replace"), safe="") or "x")
    with rolled_back():
        _answered(f"GET {path.split('/')[1] or '/'}", world["web"].get(f"{path}?{urlencode(query, errors='surrogatepass')}"))


WEB_FORMS = [
    ("/posts", True), ("/posts/{post}/comments", True), ("/posts/{own}/edit", True), ("/posts/{own}/vote", True),
    ("/posts/audience", True), ("/settings/profile", True), ("/settings/aliases", True), ("/settings/move", True),
    ("/aspects", True), ("/contacts", True), ("/@bob/report", True), ("/conversations/new", True),
    ("/settings/password", True), ("/signup", False), ("/login", False), ("/password-reset", False),
]
WEB_FIELDS = [
    "text", "content_warning", "audience", "people", "poll_options", "poll_multiple", "poll_duration", "media_ids",
    "preview", "parent", "option", "display_name", "bio", "tags", "location", "birthday", "gender", "searchable",
    "locked", "handles", "handle", "password", "name", "comment", "post", "forward", "recipients", "subject",
    "username", "email", "old_password", "new_password", "aspects", "alt_1", "q", "next",
    "category", "rules", "posts", "reported_comment",
]
PATH_TEXT = NASTY_TEXT.map(lambda text: quote(text.encode("utf-8", "replace"), safe=""))


@budget(70)
@given(target=st.sampled_from(WEB_FORMS), fields=st.lists(st.tuples(st.sampled_from(WEB_FIELDS), VALUES), max_size=8),
       htmx=st.booleans())
def test_web_forms(world, target, fields, htmx):
    """The pages' forms, logged in (or not, for sign-up, log-in and reset), with any fields."""
    path, logged_in = target
    path = path.replace("{post}", str(world["post"].id)).replace("{own}", str(world["own"].id))
    client = world["web"] if logged_in else Client()
    body = urlencode(fields, encoding="utf-8", errors="surrogatepass")
    headers = {"HX-Request": "true"} if htmx else {}
    with rolled_back():
        response = client.post(path, body, content_type="application/x-www-form-urlencoded", headers=headers)
    _answered(f"POST {target[0]}", response)


@budget(50)
@given(path=st.sampled_from(["/tags/{}", "/tags/{}/follow", "/media/1/{}", "/signup/confirm/{}", "/password-reset/{}/{}",
                             "/@{}", "/@{}/follow", "/@{}/aspects", "/users/{}", "/users/alice/posts/{}",
                             "/.well-known/webfinger?resource={}", "/nodeinfo/{}", "/api/v1/tags/{}", "/oauth/authorize?client_id={}"]),
       text=PATH_TEXT, method=st.sampled_from(["GET", "POST"]))
def test_addresses_with_any_text(world, path, text, method):
    """Any text (NUL, control characters, markup, sizes) where an address holds a name or a token."""
    with rolled_back():
        response = world["web"].generic(method, path.replace("{}", text or "x"))
    _answered(f"{method} {path}", response)


@budget(50)
@given(form=PAIRS, json_body=JSON_BODY, as_json=st.booleans())
def test_oauth_token_endpoint(world, form, json_body, as_json):
    client = Client()
    with rolled_back():
        if as_json:
            response = client.post("/oauth/token", json.dumps(json_body).encode("utf-8", "surrogatepass"),
                                   content_type="application/json")
        else:
            response = client.post("/oauth/token", urlencode(form, errors="surrogatepass"),
                                   content_type="application/x-www-form-urlencoded")
    _answered("POST /oauth/token", response)
