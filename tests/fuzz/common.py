"""What the fuzz tests share: hostile values, JSON shapes, a bounded budget and the counts they print.

Every module counts what it tried (`TALLY.record(target, outcome)`: an outcome is an HTTP
status or the name of the rejection) and tests/fuzz/conftest.py prints the counts of each
module when it ends and one line for the whole run, so a run says how many payloads were
tried and which errors were seen.  KITH_FUZZ_SCALE multiplies every budget (0.1 for a quick
look, 10 for a long run).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SCALE = float(os.environ.get("KITH_FUZZ_SCALE", "1"))


def budget(examples: int) -> settings:
    """Hypothesis settings for `examples` payloads (times KITH_FUZZ_SCALE), no deadline: the
    tests time the slow cases themselves where time matters (a hang is a failure)."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
            HealthCheck.filter_too_much, HealthCheck.large_base_example,
        ],
        print_blob=True,
        # In CI the inputs are the same every run, so whether a change lands never depends on
        # luck; everywhere else (and in `make fuzz`) each run explores new ones.
        derandomize=os.environ.get("CI", "").lower() in ("1", "true", "yes"),
    )


# ---- counting ----------------------------------------------------------------------------------


class Tally:
    """(target, outcome) -> count, per module; printed by tests/fuzz/conftest.py.  A few targets
    are what payloads led to, not payloads (the worker's apply, requests to the fake remote
    server): printed, not counted as payloads."""

    CONSEQUENCES = frozenset({"apply", "remote asked"})

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {}

    def record(self, target: str, outcome: object) -> None:
        self.counts.setdefault(target, Counter())[str(outcome)] += 1

    def total(self) -> int:
        return sum(sum(counter.values()) for target, counter in self.counts.items() if target not in self.CONSEQUENCES)

    def lines(self) -> list[str]:
        return [
            f"{target}: {sum(counter.values())} tried ("
            + ", ".join(f"{outcome} x{count}" for outcome, count in counter.most_common()) + ")"
            for target, counter in sorted(self.counts.items())
        ]


TALLIES: dict[str, Tally] = {}


def tally_for(module: str) -> Tally:
    return TALLIES.setdefault(module.rsplit(".", 1)[-1], Tally())


# ---- hostile URLs ------------------------------------------------------------------------------

# Hosts in every spelling a parser might read differently: addresses in octal, hex and short
# forms, IPv6 and its IPv4-mapped forms, zones, IDN (and full-width look-alikes), trailing dots,
# empty and overlong labels, control characters.
HOSTS = [
    "remote.example", "REMOTE.Example", "remote.example.", "other.example", "testserver", "localhost",
    "127.0.0.1", "127.000.003.002", "0x7f.1", "0177.0.0.1", "2130706433", "127.1", "0", "0.0.0.0",  # noqa: S104 - hosts to parse, not to bind
    "169.254.169.254", "10.0.0.1", "1.2.3.09", "1.2.3.4.5", "1.2.3.4.", "256.0.0.1", "0x", "0x100000000",
    "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[fe80::1%25eth0]",
    "[::1", "::1]", "[]", "[v1.x]", "xn--", "xn--bcher-kva.example", "bücher.example", "\uff45xample.com",
    "\uff11\uff12\uff17.\uff10.\uff10.\uff11", "ⓔxample.com", "a..b", "-a.example", "a-.example", "a_b.example",
    "." , "..", "a" * 64 + ".example", ("a" * 63 + ".") * 5 + "example", "exa mple.com", "exa\tmple.com",
    "exa\x00mple.com", "example.com\r\nX-Injected: 1", "%31%32%37.0.0.1", "remote.example%2f@evil.example",
    "\u202eelpmaxe.evil", "💩.example", "xn--ls8h.example", "remote.example:443", "[::1]:80",
]
PORTS = ["", ":443", ":80", ":0", ":1", ":65535", ":65536", ":99999", ":-1", ":", ":8o", ":\u0661\u0662",
         ":443:443", ":" + "9" * 30, ":+80", ": 80"]
USERINFO = ["", "", "", "user@", "user:pass@", "@", "a@b@", ":@", "remote.example@"]
SCHEMES = ["https", "https", "http", "HTTPS", "hTtP", "javascript", "data", "file", "ftp", "gopher", "ws", ""]
PATHS = ["/users/bob", "/users/bob/statuses/1", "", "/", "/%00", "/../../etc/passwd", "/#frag", "?q=1", "#",
         "/\u202e", "/" + "a" * 3000, "/users/bob#main-key", "/@bob", "/@bob@other.example", "/a b", "/\\x",
         "/users/bob/../eve", "/%2e%2e/", "/\ud800"]
RAW_URLS = [
    "https:/remote.example/x", "https:///x", "https://", "//remote.example/x", "\\\\remote.example\\x",
    " https://remote.example/x", "https://remote.example/x\n", "https://remote.example/x\x00",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>",
    "as:Public", "Public", "https://www.w3.org/ns/activitystreams#Public", "https://[::1", "https://[::1]]/x",
    "https://remote.example:99999/x", "https://remote.example:-1/x", "https://a:b@remote.example/x",
    "mailto:a@b.example", "urn:uuid:1", "tag:remote.example,2024:1", "https://remote.example/\ud800",
    "http://0x7f.1/", "https://remote.example" + "/x" * 1100, "", "?", "#", "%", "https://%zz/",
]


@st.composite
def hostile_urls(draw: st.DrawFn) -> str:
    """A URL built from hostile parts, a raw malformed one, or any text."""
    kind = draw(st.integers(0, 9))
    if kind <= 6:
        # A plain URL with one to three of its parts made hostile.
        parts = ["https", "://", "", "remote.example", "", "/users/bob"]
        choices = [SCHEMES, ["://", ":", ":/", ":///", "://\\"], USERINFO, HOSTS, PORTS, PATHS]
        for index in draw(st.lists(st.integers(0, 5), min_size=1, max_size=3)):
            parts[index] = draw(st.sampled_from(choices[index]))
        return "".join(parts)
    if kind <= 8:
        return draw(st.sampled_from(RAW_URLS))
    return draw(st.text(max_size=40))


HOSTILE_URL = hostile_urls()

# Strings that have broken parsers: markup, control and format characters, surrogates, NUL,
# huge numbers, homoglyphs, sizes around the limits.
NASTY_TEXT: st.SearchStrategy[str] = st.sampled_from([
    "", " ", "\x00", "\ud800", "\udfff", "\u202e", "\ufeff", "\r\n", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "<a href=\"javascript:alert(1)\">x</a>", "&lt;script&gt;", "&#0;",
    "&#x110000;", "]]>", "{{ 7*7 }}", "${7*7}", "%s%n", "9" * 5000, "-0", "1e999", "NaN", "\u00b2", "\u0663",
    "a" * 100_001, "#" * 500, "@" * 500, "[" * 500, "\\", "'\"", "\u0000\u0001\u0002",
])
# Short text dense in what breaks things: NUL, lone surrogates, markup, format characters.
EVIL_TEXT = st.lists(
    st.sampled_from(["\x00", "\ud800", "\udc00", "<", ">", "&", "\"", "'", "\u202e", "\n", "#", "@", "\x7f", "\u2028"])
    | st.characters(),
    max_size=12,
).map("".join)
NASTY_TEXT = NASTY_TEXT | st.text(max_size=60) | EVIL_TEXT

# Any JSON: nested, wrong types, big integers, NaN/Infinity (Python's json writes and reads them).
JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True) | NASTY_TEXT | HOSTILE_URL
)


def any_json(keys: st.SearchStrategy[str] | None = None, leaves: int = 25) -> st.SearchStrategy[Any]:
    return st.recursive(
        JSON_SCALARS,
        lambda children: st.lists(children, max_size=5) | st.dictionaries(keys or st.text(max_size=10), children, max_size=6),
        max_leaves=leaves,
    )


def paths_of(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every position in a JSON document (the root included), as a key/index path."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(paths_of(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(paths_of(child, (*prefix, index)))
    return found


def replaced(document: Any, path: tuple, new: Any) -> Any:
    """A copy of `document` with the value at `path` replaced by `new`."""
    if not path:
        return new
    import copy

    document = copy.deepcopy(document)
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return document


def nested(depth: int, leaf: Any = None) -> Any:
    """A list nested `depth` levels deep (built without recursion)."""
    value: Any = leaf
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated(draw: st.DrawFn, original: str, alphabet: str = "") -> str:
    """`original` with a few characters inserted, deleted or replaced (from `alphabet`, else any)."""
    text = original
    chars = st.sampled_from(alphabet) if alphabet else st.characters()
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        if action == "insert":
            text = text[:at] + draw(chars) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        elif action == "replace" and at < len(text):
            text = text[:at] + draw(chars) + text[at + 1:]
        elif action == "duplicate":
            size = draw(st.integers(1, 20))
            text = text[:at] + text[at: at + size] * 2 + text[at + size:]
    return text


# ---- Rails-style parameter keys (Mastodon clients' `poll[options][]`) -------------------------------

KEY_PARTS = st.sampled_from([
    "status", "media_ids", "poll", "options", "expires_in", "fields_attributes", "name", "value", "0", "1", "10",
    "01", "-1", "\u00b2", "\u0663", "9" * 5000, "", "[", "]", "[]", "][", "[[", "]]", "a[b", "a]b", "\x00", " ", "key",
])


@st.composite
def rails_keys(draw: st.DrawFn) -> str:
    """`head[part][part]...[]` with odd parts, unbalanced brackets and deep nesting."""
    key = draw(KEY_PARTS)
    for _ in range(draw(st.integers(0, 7))):
        key += draw(st.sampled_from(["[", "[]", "]", ""])) + draw(KEY_PARTS) + draw(st.sampled_from(["]", "", "]]"]))
    return key
