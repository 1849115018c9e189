"""The served OpenAPI document: in sync with the routes, and the API honours it.

schemathesis reads the document the pod serves (/api/openapi.json, through the WSGI
app in-process), generates requests for every operation (valid and invalid ones),
sends them with a bearer token for a person who has posts, photos, polls, comments,
notifications and a list, and checks that no answer is a 5xx and every answer
matches the schema of its status code.  Path ids are steered towards objects that
exist, so the 200 answers (the entities) are checked, not only the 404s.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import schemathesis
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from kith.api.api import api
from kith.api.tokens import issue_token
from kith.graph import services as graph
from kith.social import services
from kith.social.models import Visibility
from kith.wsgi import application
from tests import factories
from tests.api.richdata import befriend, rich_posts

# Bounded: a few thousand requests in all, well under two minutes on two cores.
EXAMPLES = int(os.environ.get("KITH_TEST_SCHEMATHESIS_EXAMPLES", "10"))
# Routes under /api/ that are not ninja operations, so not in the document (with why).
NOT_IN_DOCUMENT = {
    "api/openapi.json": "the document itself",
    "api/": "ninja's API root (no docs page is served)",
    "api/v1/streaming": "a redirect to the streaming server (WebSocket and server-sent events, not OpenAPI)",
    "^api/v1/streaming/": "the same, for each stream's path",
}
_PARAMETER = re.compile(r"{(?:\w+:)?(\w+)}")


def _ninja_operations() -> set[tuple[str, str]]:
    """(METHOD, /api/path) of every operation declared on the ninja API's routers."""
    found = set()
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            full = "/api/" + "/".join(part.strip("/") for part in (prefix, path) if part.strip("/"))
            full = _PARAMETER.sub(r"{\1}", full)
            for operation in path_view.operations:
                if not operation.include_in_schema:
                    continue
                found.update((method.upper(), full) for method in operation.methods)
    return found


def _document_operations(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


def _django_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, object]]:
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            routes += _django_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            routes.append((prefix + str(entry.pattern), entry.callback))
    return routes


def generated_document() -> dict:
    """What ninja generates from the routes now, as JSON (status codes become strings)."""
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


def test_served_document_is_what_ninja_generates_from_the_routes():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served == generated_document()
    assert served["openapi"].startswith("3.")
    assert _document_operations(served) == _ninja_operations()
    # A trailing slash reaches the same document (clients add one).
    assert Client().get("/api/openapi.json/").json() == served


def test_every_route_under_api_is_a_documented_operation():
    """A plain Django view mounted under /api/ would escape the document (and schemathesis)."""
    documented_paths = {path for _, path in _document_operations(generated_document())}
    undocumented = []
    for route, callback in _django_routes():
        if not route.lstrip("^").startswith("api/") or any(
            route == known or (known.endswith("/") and known != "api/" and route.startswith(known))
            for known in NOT_IN_DOCUMENT
        ):
            continue
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        if path not in documented_paths:
            undocumented.append((route, getattr(callback, "__qualname__", callback)))
    assert undocumented == []


def test_every_operation_documents_its_errors_and_a_success():
    document = generated_document()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), (method, path)
            assert {"401", "404", "422"} <= codes, (method, path, codes)


# ---- schemathesis --------------------------------------------------------------------------------

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


def build_world() -> dict:
    """alice (the token's owner) with friends, rich posts, comments, a list, notifications."""
    from kith.social.models import Media
    from kith.timelines.models import Notification

    alice, bob, carol = factories.person("alice"), factories.person("bob"), factories.person("carol")
    befriend(alice, bob)
    graph.follow(carol, alice)
    mine = rich_posts(alice, [bob, carol], 2)
    theirs = rich_posts(bob, [alice], 1)
    friends = factories.aspect(alice, "Friends", bob)
    limited = services.publish_post(alice, "friends only", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    direct = services.publish_post(alice, f"hello @{bob.username}", visibility=Visibility.DIRECT)
    services.bookmark(alice, theirs.posts[0])
    services.follow_tag(alice, "kithtest")
    statuses = [p.id for p in mine.posts + theirs.posts + mine.reshares + [limited, direct]]
    statuses += [c.id for c in mine.comments[:2] + theirs.comments]
    return {
        "token": issue_token(alice.account, "schemathesis", "read write follow push"),
        "status": statuses,
        "account": [alice.id, bob.id, carol.id],
        "list": [friends.id],
        "media": list(Media.objects.filter(owner=alice).values_list("id", flat=True)),
        "notification": list(Notification.objects.filter(recipient=alice).values_list("id", flat=True)),
        "poll": [p.poll.pk for p in mine.posts],  # a poll's id is its post's
        "tag": ["kithtest"],
    }


@pytest.fixture(autouse=True, scope="module")
def _keep_the_test_connection():
    """The WSGI app closes "old" connections when a request starts and ends; inside a test's
    transaction that would close the test's own connection (PostgreSQL then fails the next
    query). Django's test client disconnects the same handlers for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once and committed (so its events ran); each operation's test runs in a
    transaction that is rolled back, so what one operation writes, the next never sees."""
    with django_db_blocker.unblock():
        built = build_world()
    yield built
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def _kind(name: str, path: str) -> str | None:
    """Which pool of known objects a path parameter draws from."""
    if name in ("hashtag", "name", "tag", "tag_id") and "/tags/" in path or name == "hashtag":
        return "tag"
    if name != "id" and name.endswith("_id"):
        return {"status": "status", "account": "account", "list": "list", "media": "media",
                "notification": "notification", "poll": "poll"}.get(name.removesuffix("_id"))
    for segment, kind in (("/statuses/", "status"), ("/accounts/", "account"), ("/lists/", "list"),
                          ("/media/", "media"), ("/notifications/", "notification"), ("/polls/", "poll")):
        if segment in path:
            return kind
    return None


def _steer(case, world: dict) -> None:
    """Point three in four generated path ids at objects that exist (deterministically)."""
    for name, value in list((case.path_parameters or {}).items()):
        pool = world.get(_kind(name, case.path) or "")
        if not pool:
            continue
        number = value if isinstance(value, int) else len(str(value))
        if number % 4:
            case.path_parameters[name] = pool[number % len(pool)]


@schema.parametrize()
@pytest.mark.django_db
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_openapi_document(case, world):
    _steer(case, world)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world['token']}"},
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )
