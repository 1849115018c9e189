"""HTTP signatures: what we sign verifies, and each kind of tampering is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kith.federation import httpsig
from kith.people.keys import generate_pem_pair

BODY = b'{"type": "Follow"}'
URL = "https://pod.example/users/alice/inbox?x=1"


@pytest.fixture(scope="module")
def keys():
    return generate_pem_pair()


@pytest.fixture(scope="module")
def other_keys():
    return generate_pem_pair()


def _signed(keys, method="POST", body=BODY, url=URL):
    public_pem, private_pem = keys
    base = {"Content-Type": "application/activity+json"}
    added = httpsig.sign(method, url, base, body, key_id="https://pod.example/users/bob#main-key", private_key_pem=private_pem)
    return {k.lower(): v for k, v in (base | added).items()}


def _verify(headers, public_pem, method="POST", body=BODY, **kwargs):
    return httpsig.verify(method, "/users/alice/inbox", "x=1", headers, body, public_pem, **kwargs)


def test_signed_post_verifies(keys):
    params = _verify(_signed(keys), keys[0])
    assert params.key_id == "https://pod.example/users/bob#main-key"
    assert params.headers[:4] == ("(request-target)", "host", "date", "digest")


def test_signed_get_verifies(keys):
    headers = _signed(keys, method="GET", body=None)
    assert httpsig.verify("GET", "/users/alice/inbox", "x=1", headers, b"", keys[0])


def test_path_without_query_is_accepted_too(keys):
    headers = _signed(keys, url="https://pod.example/users/alice/inbox")
    assert httpsig.verify("POST", "/users/alice/inbox", "", headers, BODY, keys[0])


def test_unsigned_refused(keys):
    with pytest.raises(httpsig.SignatureError, match="not signed"):
        _verify({"host": "pod.example"}, keys[0])


def test_other_key_refused(keys, other_keys):
    with pytest.raises(httpsig.SignatureError, match="does not verify"):
        _verify(_signed(keys), other_keys[0])


def test_body_swapped_refused(keys):
    with pytest.raises(httpsig.SignatureError, match="Digest does not match"):
        _verify(_signed(keys), keys[0], body=b'{"type": "Delete"}')


def test_digest_recomputed_for_new_body_still_refused(keys):
    headers = _signed(keys)
    headers["digest"] = httpsig.digest_header(b"{}")
    with pytest.raises(httpsig.SignatureError, match="does not verify"):
        _verify(headers, keys[0], body=b"{}")


def test_stale_date_refused(keys):
    later = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(httpsig.SignatureError, match="too far"):
        _verify(_signed(keys), keys[0], now=later)


def test_host_changed_refused(keys):
    headers = _signed(keys)
    headers["host"] = "evil.example"
    with pytest.raises(httpsig.SignatureError, match="does not verify"):
        _verify(headers, keys[0])


def test_missing_covered_headers_refused(keys):
    headers = _signed(keys)
    headers["signature"] = headers["signature"].replace('headers="(request-target) host date digest', 'headers="date')
    with pytest.raises(httpsig.SignatureError, match="must cover"):
        _verify(headers, keys[0])


@pytest.mark.parametrize(
    "header",
    ['keyId="k",algorithm="hmac-sha256",signature="AAAA"', 'garbage', 'keyId="k"', 'keyId="k",signature="@@@"'],
)
def test_malformed_signature_header_refused(keys, header):
    headers = _signed(keys)
    headers["signature"] = header
    with pytest.raises(httpsig.SignatureError):
        _verify(headers, keys[0])


def test_hs2019_accepted(keys):
    headers = _signed(keys)
    headers["signature"] = headers["signature"].replace('algorithm="rsa-sha256"', 'algorithm="hs2019"')
    assert _verify(headers, keys[0]).algorithm == "hs2019"
