"""The visibility walk: no endpoint of the client API leaks a limited or direct post.

alice writes a post limited to an aspect holding bob (and mallory, whom she blocks
afterwards), a direct post to bob, and bob and alice comment on both.  Then EVERY
operation of the served OpenAPI document that returns accounts or statuses (or takes
the id of a status, poll, photo, notification or list) is called as carol (a stranger
who follows alice, full-scope token), anonymously, and as mallory (blocked), with
every parameter filled with values that would surface the secrets: their ids, alice's
and bob's ids, the tag and the words they carry, alice's aspect and the caller's own
list.  No answer may contain a secret's id or text, and asking for a hidden thing by
id must answer exactly as asking for a thing that does not exist.

The routes come from the document, and parameters are filled by name: a new operation
whose required parameters the walk cannot fill fails the walk, so it is taught, not
skipped.  bob, in the audience, runs the same walk as the positive control: he must
meet the secrets on the main read paths, so the walk cannot pass by calling nothing.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from kith.graph import services as graph
from kith.messaging import services as messaging
from kith.moderation.services import file_report
from kith.people.models import Person
from kith.social import services
from kith.social.models import Post, Visibility
from kith.timelines.models import Notification
from tests import factories
from tests.api.conftest import ApiClient
from tests.api.richdata import photo

pytestmark = pytest.mark.django_db

SECRET_TAG = "hiddenwalktag"
SHARED_TAG = "walktag"
SEARCH_WORD = "zebracrossing"
LIMITED_MARKER = "LimitedMarkerQx7"
LIMITED_COMMENT_MARKER = "LimitedCommentMarkerQx7"
LIMITED_REPLY_MARKER = "LimitedReplyMarkerQx7"
DIRECT_MARKER = "DirectMarkerQx7"
DIRECT_COMMENT_MARKER = "DirectCommentMarkerQx7"
NONEXISTENT_ID = 999_999_999_999_999
ENTITY_SCHEMAS = {"Status", "Account", "CredentialAccount"}
# Kinds of object a path parameter or an id list can name.
PATH_KINDS = (("/statuses/", "status"), ("/accounts/", "account"), ("/lists/", "list"), ("/media/", "media"),
              ("/notifications/", "notification"), ("/polls/", "poll"), ("/tags/", "tag"),
              ("/timelines/tag/", "tag"), ("/timelines/list/", "list"), ("/follow_requests/", "account"),
              ("/featured_tags/", "tag"), ("/suggestions/", "account"))
PAGING = {"max_id", "since_id", "min_id", "limit", "offset"}
SECRET_BODY_FIELDS = {"status_id", "in_reply_to_id", "status_ids", "media_ids", "kith_aspect_ids", "list_id"}


# ---- the scene -----------------------------------------------------------------------------------

@dataclass
class Scene:
    alice: Person
    bob: Person
    carol: Person
    mallory: Person
    aspect_id: int
    public_post_id: int
    # id -> a text that only that secret carries
    secrets: dict[int, str] = field(default_factory=dict)
    extra_markers: list[str] = field(default_factory=list)
    secret_status_ids: list[int] = field(default_factory=list)
    secret_media_ids: list[int] = field(default_factory=list)
    secret_poll_ids: list[int] = field(default_factory=list)
    secret_notification_ids: list[int] = field(default_factory=list)
    secret_conversation_id: int = 0
    # A report (by bob, naming alice's limited post): only staff may read it (the admin API).
    secret_report_id: int = 0
    own_lists: dict[int, int] = field(default_factory=dict)  # person id -> their list holding alice
    own_filters: dict[int, int] = field(default_factory=dict)  # person id -> their filter

    def markers(self) -> list[str]:
        return [str(i) for i in self.secrets] + [m for m in self.secrets.values() if m] + self.extra_markers


def build_scene() -> Scene:
    alice, bob, carol, mallory = (factories.person(name) for name in ("alice", "bob", "carol", "mallory"))
    for follower in (bob, carol, mallory):
        graph.follow(follower, alice)
    graph.follow(alice, bob)
    inner = factories.aspect(alice, "Inner", bob, mallory)
    public = services.publish_post(alice, f"A public note about #{SHARED_TAG} and {SEARCH_WORD}")
    picture = photo(alice, description="secret picture")
    limited = services.publish_post(
        alice,
        f"{LIMITED_MARKER} for the inner circle, #{SECRET_TAG} #{SHARED_TAG} {SEARCH_WORD} @{bob.username}",
        visibility=Visibility.LIMITED,
        aspect_ids=[inner.id],
        content_warning="inner",
        media_ids=[picture.id],
        poll=services.PollDraft(options=["LimitedOptionQx7", "other"]),
    )
    comment = services.add_comment(bob, limited, f"{LIMITED_COMMENT_MARKER} {SEARCH_WORD} #{SHARED_TAG}")
    reply = services.add_comment(alice, limited, f"{LIMITED_REPLY_MARKER} @{bob.username}", parent=comment)
    services.like(bob, post=limited)
    services.like(alice, comment=comment)
    services.vote(bob, limited, [0])
    services.bookmark(bob, limited)
    # A message: a direct post in a conversation between alice and bob.
    conversation = messaging.start_conversation(
        alice, [bob], "", f"{DIRECT_MARKER} {SEARCH_WORD} #{SHARED_TAG} @{bob.username}"
    )
    direct = Post.objects.get(message__conversation=conversation)
    direct_comment = services.add_comment(bob, direct, f"{DIRECT_COMMENT_MARKER} {SEARCH_WORD}")
    services.like(bob, post=direct)
    # mallory was in the audience when the post was published (stream rows exist); the
    # block afterwards must hide it all the same.
    graph.block(alice, mallory)

    scene = Scene(alice, bob, carol, mallory, aspect_id=inner.id, public_post_id=public.id)
    scene.secrets = {limited.id: LIMITED_MARKER, comment.id: LIMITED_COMMENT_MARKER,
                     reply.id: LIMITED_REPLY_MARKER, direct.id: DIRECT_MARKER,
                     direct_comment.id: DIRECT_COMMENT_MARKER, picture.id: "secret picture"}
    scene.extra_markers = ["LimitedOptionQx7"]
    scene.secret_status_ids = [limited.id, comment.id, reply.id, direct.id, direct_comment.id]
    scene.secret_conversation_id = conversation.id
    scene.secret_report_id = file_report(alice, reporter=bob, posts=[limited], comments=[reply]).id
    scene.secret_media_ids = [picture.id]
    scene.secret_poll_ids = [limited.poll.pk]  # a poll's id is its post's
    scene.secret_notification_ids = list(
        Notification.objects.filter(post_id__in=[limited.id, direct.id]).values_list("id", flat=True)
    ) + list(Notification.objects.filter(comment_id__in=[comment.id, reply.id, direct_comment.id])
             .values_list("id", flat=True))
    for person in (carol, mallory, bob):
        scene.own_lists[person.id] = factories.aspect(person, "Watching", alice).id if person != mallory else \
            graph.create_aspect(person, "Watching").id
        status, made = ApiClient(person).post("/api/v2/filters", {"title": "walk", "context": ["home", "public"]})
        assert status == 200, made
        scene.own_filters[person.id] = int(made["id"])
    return scene


# ---- routes from the document --------------------------------------------------------------------

def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.add(node["$ref"].rsplit("/", 1)[-1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _reachable(document: dict, names: set[str]) -> set[str]:
    components = document.get("components", {}).get("schemas", {})
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += list(_refs(components.get(name, {})))
    return seen


# Path parameters naming the caller's own things, unrelated to the secrets: a missing one is
# asked for (404), which still checks that the error says nothing.
# Ids of the caller's own things, or of the pod's admin records (domain blocks and allows,
# e-mail blocks: staff only, no statuses or accounts in them): walked with an id that does not exist.
OWN_THINGS = {"keyword_id", "row_id", "scheduled_id", "block_id", "allow_id"}


def _kind(name: str, path: str) -> str | None:
    if name in ("hashtag", "tag", "name") and ("/tags/" in path or "/tag/" in path):
        return "tag"
    if name in OWN_THINGS:
        return "own"
    if name.endswith("_id") and name != "id":
        base = name.removesuffix("_id")
        if base in ("status", "account", "list", "media", "notification", "poll", "tag", "filter", "conversation",
                    "report"):
            return base
    if name in ("id", "pk"):
        kinds = [kind for segment, kind in PATH_KINDS if segment in path]
        # the last matching segment is the one the parameter follows
        positions = [(path.find(segment), kind) for segment, kind in PATH_KINDS if segment in path]
        return max(positions)[1] if kinds else None
    return None


@dataclass
class Operation:
    method: str
    path: str
    path_params: list[str]
    query: dict[str, bool]  # name -> required
    body: dict[str, bool]


def walked_operations(document: dict) -> list[Operation]:
    """Operations that return accounts or statuses, or take the id of something secret."""
    operations = []
    for path, item in sorted(document["paths"].items()):
        for method, spec in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            success = {code: r for code, r in spec.get("responses", {}).items() if code.startswith("2")}
            returns_entities = bool(_reachable(document, _refs(success)) & ENTITY_SCHEMAS)
            params = spec.get("parameters", [])
            path_params = [p["name"] for p in params if p["in"] == "path"]
            query = {p["name"].removesuffix("[]"): bool(p.get("required")) for p in params if p["in"] == "query"}
            body: dict[str, bool] = {}
            for content in spec.get("requestBody", {}).get("content", {}).values():
                schema = _resolve(document, content.get("schema", {}))
                required = set(schema.get("required", []))
                for name in schema.get("properties", {}):
                    body[name] = name in required
            names_secret = any(_kind(name, path) in ("status", "media", "poll", "notification", "list", "conversation")
                               for name in path_params) or bool(SECRET_BODY_FIELDS & set(body))
            # Reads cost nothing to walk, and a count or a tag may leak where no entity is.
            if not (returns_entities or names_secret or method == "get"):
                continue
            operations.append(Operation(method.upper(), path, path_params, query, body))
    return operations


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(document, schema["allOf"][0])
    return schema


# ---- filling parameters --------------------------------------------------------------------------

def path_values(scene: Scene, viewer: Person | None, kind: str) -> list[Any]:
    return {
        "status": [*scene.secret_status_ids, scene.public_post_id],
        "account": [scene.alice.id, scene.bob.id],
        "list": [scene.aspect_id] + ([scene.own_lists[viewer.id]] if viewer is not None else []),
        "media": scene.secret_media_ids,
        "poll": scene.secret_poll_ids,
        "notification": scene.secret_notification_ids,
        "conversation": [scene.secret_conversation_id],
        "report": [scene.secret_report_id],
        "tag": [SECRET_TAG, SHARED_TAG],
        "filter": [scene.own_filters.get(getattr(viewer, "id", None), NONEXISTENT_ID)],
        "own": [NONEXISTENT_ID],
    }[kind]


def is_secret(scene: Scene, kind: str, value: Any) -> bool:
    """Whether this path value names something the caller must not know exists."""
    return {
        "status": value in scene.secret_status_ids,
        "media": value in scene.secret_media_ids,
        "poll": value in scene.secret_poll_ids,
        "notification": value in scene.secret_notification_ids,
        "conversation": value == scene.secret_conversation_id,
        "report": value == scene.secret_report_id,
        "list": value == scene.aspect_id,
    }.get(kind, False)


def query_values(scene: Scene, name: str, path: str) -> list[Any] | None:
    """Values of a query parameter that would surface the secrets (None: the walk does not know it)."""
    if name in PAGING:
        return []
    if name == "id":  # id[] lists
        return [[scene.alice.id, scene.bob.id]] if "/accounts" in path else [scene.secret_status_ids]
    known: dict[str, list[Any]] = {
        "q": [SEARCH_WORD, LIMITED_MARKER, f"#{SECRET_TAG}", DIRECT_MARKER, "alice", "bob"],
        "tagged": [SECRET_TAG, SHARED_TAG],
        "acct": ["alice", "bob"],
        "account_id": [scene.alice.id, scene.bob.id],
        "resolve": [True],
        "type": ["statuses", "accounts", "hashtags"],
        "local": [True], "remote": [True], "only_media": [True], "pinned": [True],
        "exclude_replies": [False], "exclude_reblogs": [False], "following": [True],
        "any": [[SECRET_TAG]], "all": [[SECRET_TAG, SHARED_TAG]], "none": [[]],
        "types": [["mention", "status", "favourite", "reblog", "poll", "update"]],
        "exclude_types": [[]], "grouped_types": [["favourite", "reblog", "follow"]],
        "timeline": [["home", "notifications"]],
        "with_dismissed": [True], "include_filtered": [True], "exclude_unreviewed": [False],
        "with_suspended": [True],
    }
    return known.get(name)


def body_values(scene: Scene, viewer: Person | None, name: str) -> list[Any] | None:
    own_list = [scene.own_lists[viewer.id]] if viewer is not None else []
    known: dict[str, list[Any]] = {
        "status": [f"walking past {SEARCH_WORD}"],
        "in_reply_to_id": scene.secret_status_ids,
        "status_id": scene.secret_status_ids,
        "context": [["home", "public", "thread", "account", "notifications"]],
        "keyword": [SEARCH_WORD],
        "media_ids": [scene.secret_media_ids],
        "status_ids": [scene.secret_status_ids],
        "account_ids": [[scene.alice.id]],
        "account_id": [scene.alice.id],
        "kith_aspect_ids": [[scene.aspect_id]],
        "choices": [[0]],
        "list_id": [scene.aspect_id, *own_list],
        "title": ["Walk"],
        "comment": [f"about {SEARCH_WORD}"],
        "visibility": ["public"],
        "spoiler_text": [""],
    }
    return known.get(name)


def calls_for(scene: Scene, viewer: Person | None, operation: Operation) -> tuple[list[dict], list[str]]:
    """Each call: {'path': str, 'query': dict, 'body': dict, 'secret_in_path': id or None}.
    Also returns what the walk could not fill (required parameters it does not know)."""
    unknown: list[str] = []
    path_choices: list[list[tuple[str, Any, str]]] = []
    for name in operation.path_params:
        kind = _kind(name, operation.path)
        if kind is None:
            unknown.append(f"path parameter {name!r}")
            continue
        path_choices.append([(name, value, kind) for value in path_values(scene, viewer, kind)])
    query_required: dict[str, Any] = {}
    query_optional: list[tuple[str, Any]] = []
    for name, required in operation.query.items():
        values = query_values(scene, name, operation.path)
        if values is None:
            if required:
                unknown.append(f"query parameter {name!r}")
            continue
        if required:
            query_required[name] = values[0] if values else None
            query_optional += [(name, v) for v in values[1:]]
        else:
            query_optional += [(name, v) for v in values]
    body: dict[str, Any] = {}
    body_variants: list[tuple[str, Any]] = []
    for name, required in operation.body.items():
        values = body_values(scene, viewer, name)
        if values is None:
            if required:
                unknown.append(f"body field {name!r}")
            continue
        body[name] = values[0]
        body_variants += [(name, v) for v in values[1:]]
    if unknown:
        return [], unknown
    calls = []
    for combination in itertools.product(*path_choices) if path_choices else [()]:
        path = operation.path
        for name, value, _ in combination:
            path = path.replace("{" + name + "}", str(value))
        secret = next((value for _, value, kind in combination if is_secret(scene, kind, value)), None)
        variants = [({}, {})] + [({n: v}, {}) for n, v in query_optional] + [({}, {n: v}) for n, v in body_variants]
        for extra_query, extra_body in variants:
            calls.append({"path": path, "query": {**query_required, **extra_query},
                          "body": {**body, **extra_body}, "secret_in_path": secret, "combination": combination})
    return calls, []


def _query_string(query: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in query.items():
        if value is None:
            continue
        if isinstance(value, list):
            flat[f"{name}[]"] = [str(v) for v in value]
        else:
            flat[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return flat


def send(client: ApiClient, method: str, path: str, query: dict, body: dict) -> tuple[int, str, str]:
    """One request, rolled back afterwards, so no call changes the scene the next one sees."""
    with transaction.atomic():
        if method == "GET":
            response = client.client.get(path, _query_string(query), headers=client.headers)
        else:
            url = path
            if query:
                from urllib.parse import urlencode

                url += "?" + urlencode(_query_string(query), doseq=True)
            response = getattr(client.client, method.lower())(
                url, json.dumps(body), content_type="application/json", headers=client.headers)
        transaction.set_rollback(True)
    return response.status_code, response.content.decode(errors="replace"), response.get("Link", "")


# ---- the walk ------------------------------------------------------------------------------------

@dataclass
class WalkResult:
    calls: int = 0
    leaks: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    differs_from_nonexistent: list[str] = field(default_factory=list)
    surfaced: set[tuple[str, str]] = field(default_factory=set)  # (method, path template) that showed a secret


def walk(scene: Scene, viewer: Person | None, client: ApiClient, document: dict) -> WalkResult:
    result = WalkResult()
    markers = sorted(scene.markers(), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(m) for m in markers))
    # The secret tag is echoed where the call names it; elsewhere (trends, suggestions,
    # searches for other words) it must not appear.
    with_tag = re.compile("|".join(re.escape(m) for m in [*markers, SECRET_TAG]), re.I)
    for operation in walked_operations(document):
        calls, unknown = calls_for(scene, viewer, operation)
        if unknown:
            result.unknown.append(f"{operation.method} {operation.path}: {', '.join(unknown)}")
            continue
        for call in calls:
            status, body, link = send(client, operation.method, call["path"], call["query"], call["body"])
            result.calls += 1
            described = f"{operation.method} {call['path']} query={call['query']} body={call['body']} -> {status}"
            if status >= 500:
                result.leaks.append(f"server error: {described}: {body[:300]}")
            names_tag = SECRET_TAG in json.dumps([call["path"], call["query"], call["body"]])
            found = (pattern if names_tag else with_tag).findall(body + link)
            if found:
                result.surfaced.add((operation.method, operation.path))
                result.leaks.append(f"{described} shows {sorted(set(found))}")
            secret = call["secret_in_path"]
            if secret is not None and not call["query"] and viewer is not scene.bob:
                ghost_path = operation.path
                for name, value, _ in call["combination"]:
                    ghost_path = ghost_path.replace("{" + name + "}", str(NONEXISTENT_ID if value == secret else value))
                ghost_status, ghost_body, _ = send(client, operation.method, ghost_path, call["query"], call["body"])
                if (status, body.replace(str(secret), str(NONEXISTENT_ID))) != (ghost_status, ghost_body):
                    result.differs_from_nonexistent.append(
                        f"{described}: {body[:200]} but a nonexistent id -> {ghost_status}: {ghost_body[:200]}")
    return result


@pytest.fixture(scope="module")
def built_scene(django_db_setup, django_db_blocker):
    """Built once and committed (its events ran: stream rows, notifications); every call of
    the walk is rolled back, and the tests' own transactions too, so it stays as built."""
    with django_db_blocker.unblock():
        built = build_scene()
    yield built
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def scene(built_scene, settings):
    settings.KITH_API_RATE_LIMIT = 1_000_000  # the walk makes thousands of calls with one token
    return built_scene


@pytest.fixture
def document():
    from django.test import Client

    return Client().get("/api/openapi.json").json()


def test_the_walk_knows_every_operation_that_returns_accounts_or_statuses(scene, document):
    operations = walked_operations(document)
    assert operations, "the document has no operation returning accounts or statuses"
    unknown = []
    for viewer in (scene.carol, None):
        for operation in operations:
            _, missing = calls_for(scene, viewer, operation)
            unknown += [f"{operation.method} {operation.path}: {', '.join(missing)}"] if missing else []
    assert unknown == [], "teach the walk how to call these operations:\n" + "\n".join(sorted(set(unknown)))


@pytest.mark.parametrize("who", ["stranger", "anonymous", "blocked"])
def test_no_operation_shows_a_limited_or_direct_post_to_someone_outside_its_audience(scene, document, who):
    viewer = {"stranger": scene.carol, "anonymous": None, "blocked": scene.mallory}[who]
    result = walk(scene, viewer, ApiClient(viewer, "read write follow push"), document)
    print(f"{who}: {result.calls} calls over {len(walked_operations(document))} operations")  # noqa: T201 (the count is the report: shown with -s)
    assert result.unknown == []
    assert result.leaks == [], "\n".join(result.leaks)
    assert result.differs_from_nonexistent == [], "\n".join(result.differs_from_nonexistent)


# The main read paths on which the audience must meet the secrets: if these fail, the
# walk's parameters no longer reach the posts and its negative results mean nothing.
AUDIENCE_PATHS = [
    ("GET", "/api/v1/statuses/{id}"),
    ("GET", "/api/v1/statuses/{id}/context"),
    ("GET", "/api/v1/timelines/home"),
    ("GET", "/api/v1/accounts/{id}/statuses"),
    ("GET", "/api/v1/notifications"),
]


def test_the_audience_meets_the_secrets_on_the_main_read_paths(scene, document):
    result = walk(scene, scene.bob, ApiClient(scene.bob, "read write follow push"), document)
    documented = {(op.method, op.path) for op in walked_operations(document)}
    expected = {(method, re.sub(r"{\w+}", "{*}", path)) for method, path in AUDIENCE_PATHS
                if (method, path) in documented or any(
                    m == method and re.sub(r"{\w+}", "{*}", p) == re.sub(r"{\w+}", "{*}", path)
                    for m, p in documented)}
    surfaced = {(method, re.sub(r"{\w+}", "{*}", path)) for method, path in result.surfaced}
    print(f"bob met the secrets on {len(result.surfaced)} operations: {sorted(result.surfaced)}")  # noqa: T201 (the count is the report: shown with -s)
    assert expected, "none of the main read paths is documented yet"
    assert expected <= surfaced, f"bob did not see the secrets on {sorted(expected - surfaced)}"
