"""Fuzzing the inbox (`POST /inbox`, `POST /users/<name>/inbox`) the way another server reaches it,
and the worker that applies what it stored.

A remote actor (BOB) is known to the pod with its key, so signed payloads get past the signature
and reach the parser and the store.  Three kinds of payload:

- documents of the real corpus (tests/fixtures/remote, rewritten to come from BOB) made hostile
  (hostile URLs in every reference, any JSON anywhere, NUL and lone surrogates), signed
  correctly with draft-cavage or RFC 9421;
- a good signed activity whose headers (Signature, Signature-Input, Digest, Content-Digest, Date,
  Host, Content-Type, Content-Length) or body were changed after signing;
- any bytes with any headers, unsigned.

The answer is always a 4xx, or 202 for something the parser accepts from its signer; a
refused payload stores nothing (no InboundActivity, no actor); an accepted one is applied by
the worker's `apply`, which records DONE, DROPPED or FAILED and raises nothing.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.common import NASTY_TEXT, any_json, budget, mutated, tally_for
from tests.fuzz.drivers import check_inbox, make_pod, rolled_back, signed_headers
from tests.fuzz.payloads import BOB, hostile_documents

TALLY = tally_for(__name__)
pytestmark = pytest.mark.django_db
PATHS = ["/inbox", "/users/alice/inbox", "/users/alice/inbox/", "/users/nobody/inbox"]


@pytest.fixture
def pod(db) -> None:
    cache.clear()  # the key-refetch throttle
    make_pod()


@budget(100)
@given(document=hostile_documents(), path=st.sampled_from(PATHS[:2]), scheme=st.sampled_from(["cavage", "rfc9421"]),
       ascii_only=st.booleans())
def test_hostile_documents_signed_by_a_known_actor(pod, document, path, scheme, ascii_only):
    body = json.dumps(document, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    with rolled_back():
        check_inbox("signed document", path, body, signed_headers(path, body, scheme), TALLY.record)


FOLLOW = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{BOB}/activities/follow-1", "type": "Follow",
          "actor": BOB, "object": "http://testserver/users/alice"}
HEADER_NAMES = ["signature", "signature-input", "digest", "content-digest", "date", "host", "content-type",
                "content-length"]
HEADER_ALPHABET = ' "();=,:*@-_./?0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\\\t%+\u00e9'
# Header values as a WSGI server hands them over: bytes read as Latin-1.
HEADER_TEXT = NASTY_TEXT.map(lambda text: text.encode("utf-8", "replace").decode("latin-1"))


@budget(80)
@given(path=st.sampled_from(PATHS), scheme=st.sampled_from(["cavage", "rfc9421"]),
       changes=st.lists(st.sampled_from(HEADER_NAMES + ["body"]), min_size=1, max_size=3), data=st.data())
def test_signed_activity_with_headers_or_body_changed(pod, path, scheme, changes, data):
    body = json.dumps(FOLLOW).encode()
    headers = signed_headers(path if path != "/users/nobody/inbox" else "/inbox", body, scheme)
    for change in changes:
        if change == "body":
            body = data.draw(st.sampled_from([b"", b"{}", b"[]", b"null", body + b" ", body[:-1], b"{" * 100_000])
                             | any_json().map(lambda value: json.dumps(value).encode("utf-8", "surrogatepass")))
        elif change == "host":
            headers["host"] = data.draw(st.sampled_from(
                ["testserver:99999", "testserver:0", "testserver:", "TESTSERVER", "testserver.", "evil.example",
                 "[::1]", "testserver:443", "testserver:80", "testserver:-1", ""]) | HEADER_TEXT)
        else:
            headers[change] = data.draw(mutated(headers.get(change, ""), HEADER_ALPHABET) | HEADER_TEXT)
    with rolled_back():
        check_inbox("signed, then changed", path, body, headers, TALLY.record)


@budget(60)
@given(path=st.sampled_from(PATHS), body=st.binary(max_size=200) | any_json().map(
    lambda value: json.dumps(value).encode("utf-8", "surrogatepass")),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_TEXT, max_size=4))
def test_anything_unsigned(pod, path, body, headers):
    with rolled_back():
        status = check_inbox("unsigned", path, body, headers, TALLY.record)
    assert status != 202
