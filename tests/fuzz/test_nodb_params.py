"""Fuzzing the Mastodon API's parameter parser (kith/api/params.py): Rails-style keys in query
strings, form and multipart bodies, and JSON bodies.  No database: these tests need none.

Any keys, values and nesting give a dict, or ninja's HttpError with a 4xx for a body that is not
JSON Kith accepts; never another exception (it would be a 500).  tests/fuzz/test_db_api.py sends
the same through the endpoints.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import QueryDict
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st
from ninja.errors import HttpError

from kith.api.params import MastodonParser, nest
from tests.fuzz.common import NASTY_TEXT, any_json, budget, rails_keys, tally_for

TALLY = tally_for(__name__)
PARSER = MastodonParser()
FACTORY = RequestFactory()

PAIRS = st.lists(st.tuples(rails_keys() | st.text(max_size=10), NASTY_TEXT), max_size=12)


def _querydict(pairs: list[tuple[str, str]]) -> QueryDict:
    return QueryDict(urlencode(pairs, encoding="utf-8", errors="surrogatepass"), encoding="utf-8")


@budget(150)
@given(pairs=PAIRS)
def test_rails_keys_nest_into_a_dict(pairs):
    data = _querydict(pairs)
    result = nest(data)
    TALLY.record("nest", "dict")
    assert isinstance(result, dict)
    parsed = PARSER.parse_querydict(data, ["media_ids", "options"], FACTORY.get("/api/v1/x", data))
    assert isinstance(parsed, dict)


@budget(120)
@given(body=any_json() | st.integers(0, 5000).map(lambda depth: b"[" * depth + b"]" * depth) | st.binary(max_size=60),
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "multipart/form-data",
                                     "text/plain", "application/json; charset=utf-16", ""]))
def test_bodies_of_any_kind(body, content_type):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8", "surrogatepass")
    if content_type == "multipart/form-data":
        request = FACTORY.post("/api/v1/x", {"status": raw.decode("utf-8", "replace")})
    else:
        request = FACTORY.generic("POST", "/api/v1/x", raw, content_type=content_type)
    try:
        parsed = PARSER.parse_body(request)
        PARSER.parse_querydict(request.POST, ["media_ids"], request)
    except HttpError as exc:
        TALLY.record("parse_body", exc.status_code)
        status = exc.status_code
    else:
        status = None
    if status is not None:
        assert 400 <= status < 500
        return
    TALLY.record("parse_body", "dict")
    assert isinstance(parsed, dict)
