"""Whatever JSON arrives, the parsers return data or raise ParseError: never TypeError, KeyError, ..."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kith.federation.activitypub import parse
from tests.federation.activitypub.test_parse import URL_FIELDS, strings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "remote"
CORPUS = [
    json.loads(path.read_text())
    for path in sorted(FIXTURES.rglob("*.json"))
    if path.stat().st_size < 20_000
]
PARSERS = [parse.parse_note, parse.parse_actor, parse.parse_activity]
FUZZ = settings(max_examples=int(os.environ.get("KITH_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = [
    "id", "type", "actor", "object", "target", "instrument", "to", "cc", "bto", "bcc", "audience", "published",
    "updated", "content", "contentMap", "summary", "name", "sensitive", "inReplyTo", "url", "attributedTo", "tag",
    "attachment", "oneOf", "anyOf", "endTime", "closed", "votersCount", "source", "preferredUsername", "inbox",
    "outbox", "followers", "following", "featured", "endpoints", "publicKey", "icon", "image", "movedTo",
    "alsoKnownAs", "manuallyApprovesFollowers", "discoverable", "indexable", "href", "mediaType", "blurhash",
    "focalPoint", "width", "height", "replies", "totalItems", "owner", "publicKeyPem", "sharedInbox", "formerType",
    "language", "identifier", "value",
]
URLS = st.sampled_from([
    "https://mastodon.example/users/alice", "https://mastodon.example/users/alice/statuses/1",
    "https://mastodon.example/users/alice#main-key", "https://evil.example/x", "as:Public", "Public",
    "https://www.w3.org/ns/activitystreams#Public", "javascript:alert(1)", "http://[::1]:8080/x", "https://a:b@c.example/",
])
TYPES = st.sampled_from(sorted(parse.ACTOR_TYPES | parse.NOTE_TYPES) + [
    "Create", "Update", "Delete", "Undo", "Follow", "Accept", "Reject", "Like", "Announce", "Tombstone",
    "Move", "Flag", "Block", "Document", "Hashtag", "Mention", "PropertyValue", "Link",
])
SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40) | URLS | TYPES
    | st.sampled_from(["2024-03-14T09:26:53Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "text/markdown"])
)


def _json(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        SCALARS,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=6),
        max_leaves=30,
    )


ANY_JSON = _json(st.text(max_size=8))
SHAPED_JSON = _json(st.sampled_from(KEYS))


def _check(parser, doc: Any) -> None:
    try:
        parsed = parser(doc)
    except parse.ParseError:
        return
    for name, text in strings(parsed):
        if name in URL_FIELDS:
            assert text.startswith(("https://", "http://")), (name, text)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


def _replace(document: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    document = copy.deepcopy(document)
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return document


@FUZZ
@given(doc=ANY_JSON, which=st.sampled_from(PARSERS))
def test_random_json(doc, which):
    _check(which, doc)


@FUZZ
@given(doc=SHAPED_JSON, which=st.sampled_from(PARSERS))
def test_random_documents_with_real_keys(doc, which):
    _check(which, doc)


@FUZZ
@given(data=st.data(), which=st.sampled_from(PARSERS))
def test_fixtures_with_one_value_replaced(data, which):
    original = data.draw(st.sampled_from(CORPUS))
    path = data.draw(st.sampled_from(_paths(original)))
    _check(which, _replace(original, path, data.draw(SHAPED_JSON)))
