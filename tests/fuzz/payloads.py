"""ActivityPub payloads for fuzzing: the corpus of real remote documents (tests/fixtures/remote),
rewritten to come from one remote actor the tests know (BOB), and ways to make them hostile.

Shared by the parse tests (no database), the inbox tests and atheris_run.py.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from kith.core import hosts
from tests.fuzz.common import HOSTILE_URL, any_json, paths_of, replaced

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "remote"
ORIGIN = "https://remote.example"
BOB = f"{ORIGIN}/users/bob"
BOB_KEY = f"{BOB}#main-key"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# Keys whose values are references (a URL, an object with an id, or a list of them).
URL_KEYS = (
    "id", "actor", "object", "attributedTo", "inReplyTo", "url", "icon", "image", "href", "target", "instrument",
    "to", "cc", "bto", "bcc", "audience", "inbox", "outbox", "followers", "following", "featured", "sharedInbox",
    "owner", "movedTo", "alsoKnownAs", "context", "conversation", "controller", "partOf", "first", "next",
)
# BOB's own origin, spelled as other parsers might spell it: the same origin or not, but never a crash.
BOB_SPELLINGS = [
    BOB, f"{BOB}/", "https://REMOTE.example/users/bob", "https://remote.example./users/bob",
    "https://remote.example:443/users/bob", "http://remote.example/users/bob", "https://remote.example:0443/users/bob",
    "https://user@remote.example/users/bob", f"{BOB}#main-key", f"{BOB}?x=1", "https://remote.example/users/bob/../eve",
    "https://remote.example/users/BOB", "https://xn--remote-.example/users/bob", "https://remote\u3002example/users/bob",
]


def _load_corpus() -> list[dict[str, Any]]:
    documents = []
    for path in sorted(FIXTURES.rglob("*.json")):
        if path.stat().st_size < 40_000:
            document = json.loads(path.read_text())
            if isinstance(document, dict):
                documents.append(document)
    return documents


def _as_bob(document: dict[str, Any]) -> dict[str, Any]:
    """The document as if BOB had sent it: its actor's URI and origin replaced by BOB's."""
    author = document.get("actor") or document.get("attributedTo") or document.get("id")
    if isinstance(author, list):
        author = next((item for item in author if isinstance(item, str)), None)
    if isinstance(author, dict):
        author = author.get("id")
    text = json.dumps(document)
    if isinstance(author, str) and (found := hosts.origin(author)) is not None:
        scheme, host, port = found
        text = text.replace(json.dumps(author)[1:-1], BOB)
        netloc = host if port == hosts.DEFAULT_PORTS[scheme] else f"{host}:{port}"
        text = text.replace(f"{scheme}://{netloc}", ORIGIN)
    return json.loads(text)


CORPUS = _load_corpus()
BOB_CORPUS = [_as_bob(document) for document in CORPUS]


def _url_paths(document: Any) -> list[tuple]:
    """Positions holding a reference: the value of a URL key, or an item of a list under one."""
    found = []
    for path in paths_of(document):
        key = path[-1] if path and isinstance(path[-1], str) else None
        if key is None and len(path) >= 2 and isinstance(path[-1], int) and isinstance(path[-2], str):
            key = path[-2]  # an item of a list under the key
        if key in URL_KEYS:
            found.append(path)
    return found


SMALL_JSON = any_json(leaves=10)
REFERENCE = (
    HOSTILE_URL
    | st.sampled_from(BOB_SPELLINGS)
    | st.builds(lambda url: {"id": url}, HOSTILE_URL)
    | st.builds(lambda url: {"type": "Link", "href": url}, HOSTILE_URL)
    | st.lists(HOSTILE_URL | st.sampled_from(BOB_SPELLINGS), max_size=4)
)


@st.composite
def hostile_documents(draw: st.DrawFn, corpus: list[dict[str, Any]] | None = None) -> Any:
    """A corpus document with up to three changes: a reference made hostile (every id, actor,
    object, attributedTo, inReplyTo, url, icon, attachment and tag href, addressee...), a URL key
    added where it was not, or any value replaced by any JSON."""
    document: Any = copy.deepcopy(draw(st.sampled_from(corpus or BOB_CORPUS)))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 5))
        url_paths = _url_paths(document)
        if kind <= 2 and url_paths:
            document = replaced(document, draw(st.sampled_from(url_paths)), draw(REFERENCE))
        elif kind == 3:
            objects = [path for path in paths_of(document) if isinstance(_at(document, path), dict)]
            if objects:
                target = _at(document, draw(st.sampled_from(objects)))
                target[draw(st.sampled_from(URL_KEYS))] = draw(REFERENCE)
        else:
            document = replaced(document, draw(st.sampled_from(paths_of(document))), draw(SMALL_JSON))
    return document


def _at(document: Any, path: tuple) -> Any:
    for step in path:
        document = document[step]
    return document


# ---- what a parsed result must be -----------------------------------------------------------------

# Fields of the parsed dataclasses that hold URLs (see kith/federation/activitypub/parse.py).
URL_FIELDS = {
    "id", "actor", "attributed_to", "url", "inbox", "shared_inbox", "outbox", "followers", "following", "featured",
    "icon_url", "image_url", "key_id", "moved_to", "in_reply_to", "audience", "object_id", "target", "instrument",
    "to", "cc", "mentions", "also_known_as", "objects", "object", "href",
}


def strings(value: Any, name: str = "") -> list[tuple[str, str]]:
    """Every (field name, string) in parsed data, however deeply nested."""
    if isinstance(value, str):
        return [(name, value)]
    if dataclasses.is_dataclass(value):
        return [pair for field in dataclasses.fields(value) for pair in strings(getattr(value, field.name), field.name)]
    if isinstance(value, tuple):
        return [pair for item in value for pair in strings(item, name)]
    return []


def check_parsed(parsed: Any) -> None:
    """What parse.py promises of anything it returns: storable text, and URLs that are plain
    http(s) URLs with a host every parser reads the same way."""
    from kith.federation import safe_http

    for name, text in strings(parsed):
        assert "\x00" not in text, (name, text)
        text.encode("utf-8")  # no lone surrogates: no database stores them
        if name in URL_FIELDS and text != AS_PUBLIC:
            assert len(text) <= 2048, (name, len(text))
            assert text.lower().startswith(("https://", "http://")), (name, text)
            assert hosts.origin(text) is not None, (name, text)
            assert not any(char.isspace() or ord(char) < 32 for char in text), (name, text)
            with contextlib.suppress(safe_http.Refused):  # refused, or fetched: nothing else
                safe_http._check_scheme(text)
