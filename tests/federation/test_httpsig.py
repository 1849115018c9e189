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


# ---- Ed25519 keys (FEP-521a Multikeys) sign hs2019 --------------------------------------------------


def _ed25519_signed(private, algorithm="hs2019", body=BODY):
    """draft-cavage headers signed with an Ed25519 key, built by hand from the draft's rules."""
    import base64
    import hashlib

    headers = {
        "host": "pod.example",
        "date": httpsig.http_date(),
        "digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
    }
    signing = "\n".join([
        "(request-target): post /users/alice/inbox?x=1",
        f"host: {headers['host']}", f"date: {headers['date']}", f"digest: {headers['digest']}",
    ]).encode()
    signature = base64.b64encode(private.sign(signing)).decode()
    headers["signature"] = (
        f'keyId="https://pod.example/users/bob#ed25519-key",algorithm="{algorithm}",'
        f'headers="(request-target) host date digest",signature="{signature}"'
    )
    return headers


def _ed25519_pair():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.generate()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public_pem


def test_hs2019_with_an_ed25519_key_verifies():
    private, public_pem = _ed25519_pair()
    assert _verify(_ed25519_signed(private), public_pem).key_id == "https://pod.example/users/bob#ed25519-key"


def test_ed25519_refuses_tampering_another_key_and_rsa_sha256():
    private, public_pem = _ed25519_pair()
    _, other_pem = _ed25519_pair()
    with pytest.raises(httpsig.SignatureMismatch, match="does not verify"):
        _verify(_ed25519_signed(private), other_pem)
    headers = _ed25519_signed(private)
    headers["host"] = "elsewhere.example"
    with pytest.raises(httpsig.SignatureMismatch):
        _verify(headers, public_pem)
    with pytest.raises(httpsig.SignatureMismatch, match="does not fit an Ed25519 key"):
        _verify(_ed25519_signed(private, algorithm="rsa-sha256"), public_pem)


def test_an_rsa_signature_does_not_verify_with_an_ed25519_key(keys):
    _, public_pem = _ed25519_pair()
    with pytest.raises(httpsig.SignatureMismatch):
        _verify(_signed(keys), public_pem)
