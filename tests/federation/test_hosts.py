"""The one host normaliser (kith/core/hosts.py): properties by hypothesis, spellings by hand."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kith.core import hosts
from kith.federation.delivery import inbox_host

FUZZ = settings(max_examples=int(os.environ.get("KITH_FUZZ_EXAMPLES", "300")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
LABEL = st.from_regex(r"\A[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?\Z")
NAMES = st.lists(LABEL, min_size=1, max_size=4).map(".".join)
HOSTLIKE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789abcdefxX.:[]%-ü", max_size=30),
    NAMES,
    st.ip_addresses().map(str),
)


@FUZZ
@given(HOSTLIKE)
def test_never_raises_and_is_idempotent(text):
    normalised = hosts.normalise_host(text)
    assert normalised is None or hosts.normalise_host(normalised) == normalised


@FUZZ
@given(NAMES, st.booleans(), st.booleans())
def test_case_and_a_trailing_dot_do_not_matter(name, upper, dot):
    spelled = (name.upper() if upper else name) + ("." if dot else "")
    assert hosts.normalise_host(spelled) == hosts.normalise_host(name.lower())


@FUZZ
@given(st.ip_addresses(v=4))
def test_every_ipv4_spelling_is_the_same_address(address):
    number = int(address)
    octets = str(address).split(".")
    spellings = [
        str(address),
        ".".join(f"0{int(octet):o}" if int(octet) else "0" for octet in octets),  # octal
        ".".join(hex(int(octet)) for octet in octets),  # hex
        f"{octets[0]}.{number & 0xFFFFFF}",  # a.b (24-bit last part)
        str(number),  # one number
        hex(number),
    ]
    for spelled in spellings:
        assert hosts.normalise_host(spelled) == str(address), spelled


@FUZZ
@given(st.ip_addresses(v=6))
def test_ipv6_with_or_without_brackets(address):
    assert hosts.normalise_host(str(address)) == hosts.normalise_host(f"[{address}]") == f"[{address.compressed}]"


@pytest.mark.parametrize(("spelled", "canonical"), [
    ("127.000.003.002", "127.0.3.2"),
    ("0x7f.1", "127.0.0.1"),
    ("Example.COM.", "example.com"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("BÜCHER.Example.", "xn--bcher-kva.example"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("[::FFFF:127.0.0.1]", "[::ffff:7f00:1]"),
])
def test_spellings(spelled, canonical):
    assert hosts.normalise_host(spelled) == canonical


@pytest.mark.parametrize("text", [
    "", ".", "a..b", "-a.example", "xn--", "xn--zz-.example", "1.2.3.09", "1.2.3.4.5", "4294967296",
    "[fe80::1%eth0]", "[::1", "exa mple", "a" * 64 + ".example", "\u2603.example", "x/y",
])
def test_not_hosts(text):
    assert hosts.normalise_host(text) is None


def test_host_keys_and_origins():
    assert hosts.host_key("https://Example.COM.:443/users/a") == "example.com"
    assert hosts.host_key("http://[::1]:8080/inbox") == "[::1]:8080"
    assert hosts.host_key("https://bücher.example/x") == "xn--bcher-kva.example"
    assert hosts.host_key("https://[::1/") is None
    assert hosts.host_key("https://[::1]]/") is None  # found by fuzzing: was [::1], httpx sees no host
    assert hosts.host_key("https://[v1.x]/") is None
    assert hosts.host_key("https://h.example:99999/") is None
    assert hosts.origin("https://127.000.003.002/key") == ("https", "127.0.3.2", 443)
    assert hosts.normalise_domain("Example.COM.:8443") == "example.com:8443"
    # Delivery and HostHealth key hosts the same way.
    assert inbox_host("https://Example.COM./inbox") == inbox_host("https://example.com/inbox") == "example.com"
