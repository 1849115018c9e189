"""RFC 9421 HTTP Message Signatures: the RFC's own vector, vectors built here by the RFC's rules
(tests/federation/peers.py signs without using kith.federation.rfc9421), every refusal, and
the inbox accepting what Fedify and Mastodon 4.5 send."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.cache import cache

from kith.federation import rfc9421
from kith.federation.activitypub import uris
from kith.federation.activitypub.models import InboundActivity, InboundState
from kith.federation.httpsig import SignatureError, SignatureMismatch
from kith.federation.models import InstanceKey
from kith.graph.models import Follow
from kith.people.models import PersonKey
from tests import factories
from tests.federation.peers import FakePeer, key_pair, post_activity, rfc9421_headers

URL = "https://pod.example/users/alice/inbox"
KEY_ID = "https://remote.example/users/bob#main-key"
BODY = b'{"type": "Follow", "actor": "https://remote.example/users/bob"}'


@pytest.fixture(scope="module")
def rsa_keys():
    return key_pair(0)


@pytest.fixture(scope="module")
def other_keys():
    return key_pair(1)


@pytest.fixture(scope="module")
def ed_keys():
    private = ed25519.Ed25519PrivateKey.generate()
    return (
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
    )


def signed(keys, method="POST", url=URL, body=BODY, **kwargs) -> dict[str, str]:
    return rfc9421_headers(method, url, body, key_id=KEY_ID, private_pem=keys[1], **kwargs)


def verify(headers, public_pem, method="POST", url=URL, body=BODY, **kwargs):
    return rfc9421.verify(method, url, headers, body, public_pem, **kwargs)


# ---- the RFC's own example (Appendix B.2.6, test-key-ed25519 of B.1.4) ----------------------------------

RFC_ED25519_PUBLIC = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n"
RFC_ED25519_PRIVATE = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n"
RFC_REQUEST_HEADERS = {
    "host": "example.com",
    "date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "content-type": "application/json",
    "content-digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    "content-length": "18",
    "signature-input": 'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    "signature": "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
}
RFC_TARGET = "https://example.com/foo?param=Value&Pet=dog"
RFC_BODY = b'{"hello": "world"}'
RFC_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)


def test_rfc_b26_signature_base_is_rebuilt_exactly():
    entry = rfc9421.parse_signature(RFC_REQUEST_HEADERS)
    assert entry.label == "sig-b26"
    assert entry.key_id == "test-key-ed25519"
    assert rfc9421.signature_base(entry, "POST", RFC_TARGET, RFC_REQUEST_HEADERS).decode() == RFC_BASE


def test_rfc_b26_signature_verifies_and_is_reproduced_by_hand():
    entry = rfc9421.parse_signature(RFC_REQUEST_HEADERS)
    rfc9421.PreparedSignature(entry, (RFC_BASE.encode(),)).verify_with(RFC_ED25519_PUBLIC)
    # Ed25519 is deterministic: the RFC's private key over the RFC's base gives the RFC's bytes.
    private = serialization.load_pem_private_key(RFC_ED25519_PRIVATE.encode(), password=None)
    assert private.sign(RFC_BASE.encode()) == entry.signature


def test_rfc_b26_content_digest_matches_its_body():
    rfc9421.check_content_digest(RFC_REQUEST_HEADERS["content-digest"], RFC_BODY)
    with pytest.raises(SignatureError, match="does not match"):
        rfc9421.check_content_digest(RFC_REQUEST_HEADERS["content-digest"], b'{"hello": "there"}')


def test_rfc_b26_is_still_refused_by_our_policy():
    """A valid signature, but it covers neither content-digest nor the target URI, and is from 2021."""
    now = datetime.fromtimestamp(1618884473, UTC)
    with pytest.raises(SignatureError, match="must cover"):
        rfc9421.verify("POST", RFC_TARGET, RFC_REQUEST_HEADERS, RFC_BODY, RFC_ED25519_PUBLIC, now=now)
    with pytest.raises(SignatureError, match="too far from now"):
        rfc9421.verify("POST", RFC_TARGET, RFC_REQUEST_HEADERS, RFC_BODY, RFC_ED25519_PUBLIC)


# ---- what peers send -----------------------------------------------------------------------------------------------


def test_fedify_default_components_verify(rsa_keys):
    headers = signed(rsa_keys)
    assert headers["signature-input"].startswith('sig1=("@method" "@target-uri" "@authority" "host" "date" "content-digest")')
    entry = verify(headers, rsa_keys[0])
    assert (entry.key_id, entry.algorithm) == (KEY_ID, "rsa-v1_5-sha256")


def test_mastodon_components_verify(rsa_keys):
    verify(signed(rsa_keys, components=("@method", "@target-uri", "content-digest")), rsa_keys[0])


def test_authority_and_path_instead_of_target_uri_verify(rsa_keys):
    verify(signed(rsa_keys, components=("@method", "@authority", "@path", "content-digest")), rsa_keys[0])


def test_rsa_without_alg_is_read_as_pkcs1_sha256(rsa_keys):
    verify(signed(rsa_keys, alg=None), rsa_keys[0])


def test_rsa_pss_sha512_verifies(rsa_keys):
    assert verify(signed(rsa_keys, alg="rsa-pss-sha512"), rsa_keys[0]).algorithm == "rsa-pss-sha512"


@pytest.mark.parametrize("alg", ["ed25519", None])
def test_ed25519_verifies(ed_keys, alg):
    """With or without alg: an Ed25519 key says what it is."""
    headers = rfc9421_headers("POST", URL, BODY, key_id=KEY_ID, private_pem=ed_keys[1], alg=alg)
    assert verify(headers, ed_keys[0]).algorithm == alg


def test_sha512_content_digest_verifies(rsa_keys):
    verify(signed(rsa_keys, digest="sha-512"), rsa_keys[0])


def test_get_without_body_needs_no_digest(rsa_keys):
    headers = signed(rsa_keys, method="GET", body=None, components=("@method", "@target-uri"))
    verify(headers, rsa_keys[0], method="GET", body=b"")


def test_extra_parameters_are_kept_in_the_base(rsa_keys):
    """nonce and tag are signed too: they must come back byte for byte in @signature-params."""
    verify(signed(rsa_keys, extra_params=';nonce="abc\\"def";tag="fedi"'), rsa_keys[0])


def test_unknown_digest_algorithms_are_ignored_but_one_must_be_known(rsa_keys):
    good = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    rfc9421.check_content_digest(f"md5=:AAAA:, sha-256=:{good}:", BODY)
    with pytest.raises(SignatureError, match="sha-256 or sha-512"):
        rfc9421.check_content_digest("md5=:AAAA:", BODY)


# ---- refusals ------------------------------------------------------------------------------------------------------


def test_body_changed_after_signing_is_refused(rsa_keys):
    with pytest.raises(SignatureError, match="Content-Digest does not match"):
        verify(signed(rsa_keys), rsa_keys[0], body=b'{"type": "Delete"}')


def test_digest_recomputed_for_a_new_body_does_not_verify(rsa_keys):
    headers = signed(rsa_keys)
    other = b'{"type": "Delete"}'
    headers["content-digest"] = "sha-256=:" + base64.b64encode(hashlib.sha256(other).digest()).decode() + ":"
    with pytest.raises(SignatureMismatch):
        verify(headers, rsa_keys[0], body=other)


def test_missing_content_digest_header_is_refused(rsa_keys):
    headers = signed(rsa_keys)
    del headers["content-digest"]
    with pytest.raises(SignatureError, match="Content-Digest header is required"):
        verify(headers, rsa_keys[0])


@pytest.mark.parametrize(
    ("components", "reason"),
    [
        (("@method", "@target-uri"), "must cover content-digest"),
        (("@target-uri", "content-digest"), "must cover @method"),
        (("@method", "content-digest"), "must cover @target-uri"),
        (("@method", "@path", "content-digest"), "must cover @target-uri"),
        (("@method", "@authority", "content-digest"), "must cover @target-uri"),
    ],
)
def test_missing_component_is_refused(rsa_keys, components, reason):
    with pytest.raises(SignatureError, match=reason):
        verify(signed(rsa_keys, components=components), rsa_keys[0])


@pytest.mark.parametrize("offset", [-3700, 3700])
def test_created_too_far_from_now_is_refused(rsa_keys, offset):
    with pytest.raises(SignatureError, match="too far from now"):
        verify(signed(rsa_keys, created=int(time.time()) + offset), rsa_keys[0])


def test_expired_signature_is_refused(rsa_keys):
    with pytest.raises(SignatureError, match="expired"):
        verify(signed(rsa_keys, extra_params=f";expires={int(time.time()) - 10}"), rsa_keys[0])


@pytest.mark.parametrize(
    "tampered",
    [
        "https://pod.example/users/carol/inbox",
        "https://evil.example/users/alice/inbox",
        "http://pod.example/users/alice/inbox",
        "https://pod.example/users/alice/inbox?x=1",
    ],
)
def test_tampered_target_uri_is_refused(rsa_keys, tampered):
    with pytest.raises(SignatureMismatch):
        verify(signed(rsa_keys), rsa_keys[0], url=tampered)


def test_tampered_path_is_refused_when_covered_by_authority_and_path(rsa_keys):
    headers = signed(rsa_keys, components=("@method", "@authority", "@path", "content-digest"))
    with pytest.raises(SignatureMismatch):
        verify(headers, rsa_keys[0], url="https://pod.example/inbox")


def test_tampered_method_or_header_is_refused(rsa_keys):
    headers = signed(rsa_keys)
    with pytest.raises(SignatureMismatch):
        verify(headers, rsa_keys[0], method="PUT")
    headers["date"] = "Tue, 20 Apr 2021 02:07:55 GMT"
    with pytest.raises(SignatureMismatch):
        verify(headers, rsa_keys[0])


def test_other_key_is_refused(rsa_keys, other_keys):
    with pytest.raises(SignatureMismatch):
        verify(signed(rsa_keys), other_keys[0])


def test_signature_params_tampered_after_signing_are_refused(rsa_keys):
    headers = signed(rsa_keys)
    headers["signature-input"] = headers["signature-input"].replace(";created=", ";tag=\"x\";created=")
    with pytest.raises(SignatureMismatch):
        verify(headers, rsa_keys[0])


@pytest.mark.parametrize(
    ("alg", "keys_name", "reason"),
    [
        ("hmac-sha256", "rsa_keys", "not accepted"),
        ("ecdsa-p256-sha256", "rsa_keys", "not accepted"),
        ("ed25519", "rsa_keys", "does not fit an RSA key"),
        ("rsa-v1_5-sha256", "ed_keys", "does not fit an Ed25519 key"),
    ],
)
def test_algorithm_must_fit(request, rsa_keys, ed_keys, alg, keys_name, reason):
    headers = signed(rsa_keys)
    headers["signature-input"] = headers["signature-input"].replace('alg="rsa-v1_5-sha256"', f'alg="{alg}"')
    with pytest.raises(SignatureError, match=reason):
        verify(headers, request.getfixturevalue(keys_name)[0])


def test_more_than_one_signature_is_refused(rsa_keys):
    headers = signed(rsa_keys)
    headers["signature-input"] += ", " + headers["signature-input"].replace("sig1=", "sig2=")
    headers["signature"] += ", " + headers["signature"].replace("sig1=", "sig2=")
    with pytest.raises(SignatureError, match="exactly one"):
        verify(headers, rsa_keys[0])


def test_label_without_signature_is_refused(rsa_keys):
    headers = signed(rsa_keys)
    headers["signature"] = headers["signature"].replace("sig1=", "other=")
    with pytest.raises(SignatureError, match="no signature labelled 'sig1'"):
        verify(headers, rsa_keys[0])


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        (';keyid="' + KEY_ID + '"', "", "needs a keyid"),
        (';keyid="' + KEY_ID + '"', ";keyid=token", "needs a keyid"),
        (";created=", ";created=1.5;x=", "needs a created"),
        ('"@target-uri"', '"@target-uri";sf', "not supported"),
        ('"@authority"', '"@query-param";name="a"', "not supported"),
        ('"host"', '"@method"', "listed twice"),
        ('"host"', '"Host"', "not lower case"),
        ('"host"', "host", "not a string"),
        ('"date"', '"x-missing"', "'x-missing' is missing"),
    ],
)
def test_malformed_signature_input_is_refused(rsa_keys, before, after, reason):
    headers = signed(rsa_keys)
    assert before in headers["signature-input"]
    headers["signature-input"] = headers["signature-input"].replace(before, after, 1)
    with pytest.raises(SignatureError, match=reason):
        verify(headers, rsa_keys[0])


@pytest.mark.parametrize(
    "value",
    [
        'sig1=("@method" "@target-uri"', 'sig1=("@method",);created=1', 'sig1=("@method");created=1,',
        'sig1=("@method\\x");created=1', "Sig1=();created=1", 'sig1=("@métho");created=1', "sig1=(\"a\")" + ";x=1" * 3000,
        'sig1=("@method");created=12345678901234567', "",
    ],
)
def test_unparseable_structured_fields_are_refused(rsa_keys, value):
    headers = signed(rsa_keys)
    headers["signature-input"] = value
    with pytest.raises(SignatureError):
        verify(headers, rsa_keys[0])


@pytest.mark.parametrize("value", ["sig1=:not base64!:", "sig1=:abc", "sig1=abc", "sig1=\"abc\""])
def test_signature_that_is_not_a_byte_sequence_is_refused(rsa_keys, value):
    headers = signed(rsa_keys)
    headers["signature"] = value
    with pytest.raises(SignatureError):
        verify(headers, rsa_keys[0])


def test_structured_field_round_trip():
    parsed = rfc9421.parse_dictionary('a=("x" "y";p=1);k="v\\"w";n=-12;d=1.5;t=tok/en:x;b=:AAE=:;f=?0;on, b, c=?1')
    a = parsed["a"]
    assert isinstance(a, rfc9421.InnerList)
    assert rfc9421.serialize_inner_list(a) == '("x" "y";p=1);k="v\\"w";n=-12;d=1.5;t=tok/en:x;b=:AAE=:;f=?0;on'
    assert parsed["b"] == rfc9421.Item(True, {})
    assert parsed["c"] == rfc9421.Item(True, {})


# ---- through the inbox --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _peer():
    peer = FakePeer.start("127.0.0.9")
    yield peer
    peer.close()


@pytest.fixture
def inbox_setup(_peer, settings, transactional_db):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    _peer.reset()
    cache.clear()
    public, private = key_pair(5)
    InstanceKey.objects.create(id=1, public_key_pem=public, private_key_pem=private)
    alice = factories.person("alice")
    public, private = key_pair(6)
    PersonKey.objects.create(person=alice, public_key_pem=public, private_key_pem=private)
    return _peer, _peer.actor("bob", key_index=0)


def post_9421(client, actor, activity, *, private_pem=None, **kwargs):
    body = json.dumps(activity).encode()
    signature = rfc9421_headers(
        "POST", "http://testserver/users/alice/inbox", body, key_id=actor.key_id,
        private_pem=private_pem or actor.private_pem, **kwargs,
    )
    return post_activity(
        client, None, activity, path="/users/alice/inbox", tamper=lambda headers: headers | signature,
    )


def test_inbox_accepts_what_fedify_sends(client, inbox_setup):
    _, bob = inbox_setup
    follow = bob.activity("Follow", uris.actor("alice"))
    response = post_9421(client, bob, follow)
    assert response.status_code == 202, response.content
    assert InboundActivity.objects.get().state == InboundState.DONE
    assert Follow.objects.count() == 1


def test_inbox_accepts_what_mastodon_sends(client, inbox_setup):
    _, bob = inbox_setup
    follow = bob.activity("Follow", uris.actor("alice"))
    response = post_9421(client, bob, follow, components=("@method", "@target-uri", "content-digest"), alg=None)
    assert response.status_code == 202, response.content


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"components": ("@method", "@target-uri")}, "must cover content-digest"),
        ({"created": 1618884473}, "too far from now"),
        ({"private_pem": "another key"}, "does not verify"),
    ],
)
def test_inbox_answers_401_to_a_bad_9421_signature(client, inbox_setup, kwargs, reason):
    """401, so that Fedify tries again with draft-cavage."""
    _, bob = inbox_setup
    if "private_pem" in kwargs:
        kwargs["private_pem"] = key_pair(1)[1]
    response = post_9421(client, bob, bob.activity("Follow", uris.actor("alice")), **kwargs)
    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert not InboundActivity.objects.exists()
    assert not Follow.objects.exists()


def test_inbox_refuses_a_9421_signature_over_another_target(client, inbox_setup):
    _, bob = inbox_setup
    activity = bob.activity("Follow", uris.actor("alice"))
    body = json.dumps(activity).encode()
    signature = rfc9421_headers(
        "POST", "http://testserver/inbox", body, key_id=bob.key_id, private_pem=bob.private_pem,
    )  # signed for the shared inbox, sent to alice's
    response = post_activity(client, None, activity, path="/users/alice/inbox", tamper=lambda h: h | signature)
    assert response.status_code == 401
    assert "does not verify" in response.json()["error"]


def test_inbox_refetches_a_rotated_key_for_9421_once(client, inbox_setup):
    peer, bob = inbox_setup
    assert post_9421(client, bob, bob.activity("Follow", uris.actor("alice"))).status_code == 202
    bob.rotate_key(3)
    assert post_9421(client, bob, bob.activity("Undo", bob.activity("Follow", uris.actor("alice")))).status_code == 202
    assert peer.hits("/users/bob") == 2
    forged = post_9421(client, bob, bob.activity("Follow", uris.actor("alice")), private_pem=key_pair(4)[1])
    assert forged.status_code == 401
    assert peer.hits("/users/bob") == 2  # the throttle: no second refetch within the minute


def test_inbox_behind_a_tls_proxy_verifies_the_https_target_uri(client, inbox_setup, settings):
    """The peer signed https://...; the request reached Django as plain http from the proxy."""
    settings.KITH_URL = "https://testserver"
    _, bob = inbox_setup
    activity = bob.activity("Follow", uris.actor("alice"))
    body = json.dumps(activity).encode()
    signature = rfc9421_headers(
        "POST", "https://testserver/users/alice/inbox", body, key_id=bob.key_id, private_pem=bob.private_pem,
    )
    response = post_activity(client, None, activity, path="/users/alice/inbox", tamper=lambda h: h | signature)
    assert response.status_code == 202, response.content


def test_inbox_follows_a_move_from_an_rsa_to_an_ed25519_key(client, inbox_setup, ed_keys):
    """A key of another type under the same id is a rotation too: refetched once, then verified."""
    peer, bob = inbox_setup
    assert post_9421(client, bob, bob.activity("Follow", uris.actor("alice"))).status_code == 202
    bob.update(publicKey={"id": bob.key_id, "owner": bob.uri, "publicKeyPem": ed_keys[0]})
    undo = bob.activity("Undo", bob.activity("Follow", uris.actor("alice")))
    response = post_9421(client, bob, undo, private_pem=ed_keys[1], alg="ed25519")
    assert response.status_code == 202, response.content
    assert peer.hits("/users/bob") == 2


@pytest.mark.parametrize("target", ["https://pod.example:99999/inbox", "https://pod.example:-1/inbox",
                                    "https://[::1/inbox", "https://[]/inbox"])
def test_a_target_uri_that_does_not_parse_is_refused(rsa_keys, target):
    """Found by fuzzing (tests/fuzz): the target URI is built from the request's Host header, and
    @authority read its port with urlsplit, which raises ValueError for these (a 500)."""
    with pytest.raises(SignatureError, match="target URI does not parse"):
        rfc9421.prepare("POST", [target], signed(rsa_keys), BODY)


def test_inbox_answers_401_to_a_host_header_with_a_port_out_of_range(client, inbox_setup):
    """Django lets `Host: testserver:99999` through (the name is allowed); the signature check refuses it."""
    _, bob = inbox_setup
    activity = bob.activity("Follow", uris.actor("alice"))
    body = json.dumps(activity).encode()
    signature = rfc9421_headers(
        "POST", "http://testserver:99999/users/alice/inbox", body, key_id=bob.key_id, private_pem=bob.private_pem,
    )
    response = post_activity(client, None, activity, path="/users/alice/inbox", host="testserver:99999",
                             tamper=lambda headers: headers | signature)
    assert response.status_code == 401, response.content
    assert "target URI does not parse" in response.json()["error"]
    assert not InboundActivity.objects.exists()
