"""Fuzzing the host normaliser (kith/core/hosts.py), the safe client's URL check
(safe_http._check_scheme) and the small parsers of handles and addresses that search, lookup
and domain blocks use.  No database: these tests need none.

Beyond tests/federation/test_hosts.py (normalise_host never raises and is idempotent): whole
URLs with hostile parts, and agreement between the parsers.  A URL the safe client accepts
must name the same host and port for Kith's checks (urlsplit, through hosts.origin) as for the
client that connects (httpx): a difference would let a document pass a same-origin check for
one server while being fetched from another.
"""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from kith.core import hosts
from kith.core.errors import Invalid
from kith.federation import lookup, safe_http
from kith.federation.activitypub import parse
from kith.graph.services import normalise_domain as domain_block_domain
from kith.people.selectors import split_handle
from kith.social.lookup import is_address, local_address
from tests.fuzz.common import HOSTILE_URL, HOSTS, NASTY_TEXT, PORTS, budget, tally_for

TALLY = tally_for(__name__)


@budget(200)
@given(url=HOSTILE_URL)
def test_safe_client_url_check_agrees_with_the_connecting_client(url):
    found = hosts.origin(url)
    key = hosts.host_key(url)
    assert (found is None) == (key is None)
    try:
        safe_http._check_scheme(url)
    except safe_http.Refused:
        TALLY.record("safe_http._check_scheme", "Refused")
        return
    TALLY.record("safe_http._check_scheme", "accepted")
    assert found is not None, url
    connecting = httpx.URL(url)
    assert connecting.scheme == "https", url
    assert hosts.normalise_host(connecting.host) == found[1], (url, connecting.host, found)
    assert (connecting.port or 443) == found[2], (url, connecting.port, found)


@budget(150)
@given(url=HOSTILE_URL)
def test_urls_the_wire_parser_accepts_are_read_alike(url):
    """An id parse.py accepts (same-origin checks use hosts.origin) is the host httpx would fetch."""
    if parse._url_problem(url, allow_fragment=True) is not None:
        TALLY.record("parse._url_problem", "refused")
        return
    found = hosts.origin(url)
    assert found is not None, url
    try:
        connecting = httpx.URL(url)
    except httpx.InvalidURL:  # lenient urlsplit, strict httpx (`https://[::1]]/`): never fetched
        TALLY.record("parse._url_problem", "accepted, unfetchable")
        try:
            safe_http._check_scheme(url)
        except safe_http.Refused:
            return
        raise
    TALLY.record("parse._url_problem", "accepted")
    assert hosts.normalise_host(connecting.host) == found[1], (url, connecting.host, found)
    assert (connecting.port or hosts.DEFAULT_PORTS[found[0]]) == found[2], url


@budget(120)
@given(host=st.sampled_from(HOSTS) | NASTY_TEXT, port=st.sampled_from(PORTS), user=st.sampled_from(["", "bob", "@bob", "b\x00b"]))
def test_handles_and_domains(host, port, user):
    """What people type into search, lookup and the domain-block box."""
    text = f"{user}@{host}{port}" if user else f"{host}{port}"
    for name, call in (
        ("hosts.normalise_domain", lambda: hosts.normalise_domain(f"{host}{port}")),
        ("lookup.valid_host", lambda: lookup.valid_host(f"{host}{port}".lower())),
        ("split_handle", lambda: split_handle(text)),
        ("is_address", lambda: is_address(text)),
        ("lookup.local_address", lambda: local_address(f"http://testserver/@{text}")),
    ):
        TALLY.record(name, "ok" if call() else "nothing")
    try:
        domain_block_domain(text)
        TALLY.record("graph.normalise_domain", "ok")
    except Invalid:
        TALLY.record("graph.normalise_domain", "Invalid")
    normalised = hosts.normalise_domain(f"{host}{port}")
    if normalised is not None:
        assert hosts.normalise_domain(normalised) == normalised, (host, port, normalised)
