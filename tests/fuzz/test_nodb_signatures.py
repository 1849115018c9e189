"""Fuzzing the HTTP signature parsers: draft-cavage (httpsig.py) and RFC 9421 with its RFC 8941
structured fields (rfc9421.py).  No database: these tests need none.

Whatever the Signature, Signature-Input, Digest, Content-Digest, Date and Host headers say,
the parsers and checks return or raise SignatureError (which the inbox answers 401 with),
never anything else; a well-formed signature mutated a little still verifies or is refused.
The target URI is built from the Host header the request came with, so hosts and ports of
every kind are part of the input.
"""

from __future__ import annotations

import base64
import hashlib
import time

from hypothesis import given
from hypothesis import strategies as st

from kith.federation import httpsig, rfc9421
from tests.federation.peers import key_pair
from tests.fuzz.common import HOSTS, NASTY_TEXT, PORTS, budget, mutated, tally_for

TALLY = tally_for(__name__)
KEY_ID = "https://remote.example/users/bob#main-key"
PUBLIC_PEM, PRIVATE_PEM = key_pair(0)
BODY = b'{"type": "Follow"}'
SF_ALPHABET = ' "();=,:*@-_./?0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\\\t%+\x00\x7f\u00e9'
# Header values as a WSGI server hands them over: bytes read as Latin-1 (no lone surrogates).
HEADER_TEXT = NASTY_TEXT.map(lambda text: text.encode("utf-8", "replace").decode("latin-1"))
FIELDS = ["signature", "signature-input", "digest", "content-digest", "date", "host", "content-type"]


def _refused(target: str, call) -> object:
    try:
        result = call()
    except httpsig.SignatureMismatch:
        TALLY.record(target, "SignatureMismatch")
        return None
    except httpsig.SignatureError:
        TALLY.record(target, "SignatureError")
        return None
    TALLY.record(target, "accepted")
    return result


# ---- draft-cavage ------------------------------------------------------------------------------------


def _cavage_headers(host: str, names: str, algorithm: str, created: int | None) -> dict[str, str]:
    headers = {"host": host, "date": httpsig.http_date(), "digest": httpsig.digest_header(BODY),
               "content-type": "application/activity+json"}
    params = httpsig.SignatureParams(KEY_ID, algorithm, tuple(names.split()), b"", created, None)
    try:
        signed = httpsig._signing_string("post", "/inbox", headers, params.headers, params)
        signature = base64.b64encode(httpsig.load_private_key(PRIVATE_PEM).sign(
            signed, httpsig.padding.PKCS1v15(), httpsig.hashes.SHA256())).decode()
    except httpsig.SignatureError:
        signature = "AAAA"
    created_param = f",created={created}" if created is not None else ""
    headers["signature"] = (f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{names}",'
                            f'signature="{signature}"{created_param}')
    return headers


CAVAGE_NAMES = st.sampled_from([
    "(request-target) host date digest", "(request-target) host date digest content-type", "(request-target) host",
    "(request-target) host (created) digest", "date", "", "(request-target) host date digest (expires)",
    "(Request-Target) HOST Date Digest", "(request-target) host date digest x-unknown",
])


@budget(150)
@given(
    host=st.sampled_from(HOSTS), names=CAVAGE_NAMES, algorithm=st.sampled_from(["rsa-sha256", "hs2019", "RSA-SHA256", "ed25519", ""]),
    created=st.none() | st.integers(-(2**40), 2**40) | st.just(int(time.time())),
    field=st.sampled_from(FIELDS), data=st.data(),
)
def test_cavage_signed_requests_mutated(host, names, algorithm, created, field, data):
    headers = _cavage_headers(host, names, algorithm, created)
    headers[field] = data.draw(mutated(headers.get(field, ""), SF_ALPHABET) | HEADER_TEXT)
    params = _refused("httpsig.check", lambda: httpsig.check("POST", headers, BODY))
    if params is not None:
        _refused("httpsig.verify_with", lambda: httpsig.verify_with(params, "POST", "/inbox", "", headers, PUBLIC_PEM))


@budget(120)
@given(value=HEADER_TEXT | st.text(SF_ALPHABET, max_size=120))
def test_cavage_signature_header_of_any_text(value):
    _refused("httpsig.parse_signature_header", lambda: httpsig.parse_signature_header(value))


@budget(60)
@given(pem=NASTY_TEXT | st.builds(lambda body: f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----",
                                  st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/=\n", max_size=400)))
def test_keys_of_any_text(pem):
    """A remote actor's publicKeyPem is outside input too: unusable keys are SignatureMismatch (worth a refetch)."""
    params = httpsig.SignatureParams(KEY_ID, "rsa-sha256", ("date",), b"x", None, None)
    _refused("httpsig.verify_with(pem)", lambda: httpsig.verify_with(params, "POST", "/inbox", "", {"date": "x"}, pem))
    _refused("rfc9421.load_public_key", lambda: rfc9421.load_public_key(pem))


# ---- RFC 9421 ------------------------------------------------------------------------------------------

COMPONENTS = ["@method", "@target-uri", "@authority", "@path", "@query", "@scheme", "@request-target", "host",
              "date", "content-digest", "content-type", "@query-param", "@status", "x-missing", "Host", "@method"]


# What the inbox requires covered (the method, the target, the body's digest), in the ways it allows.
COVERAGES = [
    ["@method", "@target-uri", "content-digest"], ["@method", "@authority", "@path", "content-digest"],
    ["@method", "@authority", "@request-target", "content-digest", "host", "date"], ["@target-uri", "content-digest"],
]


def _rfc9421_headers(components: list[str], created: int, alg: str | None, label: str) -> dict[str, str]:
    digest = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    inner = "(" + " ".join(f'"{name}"' for name in components) + ")"
    params = (f';alg="{alg}"' if alg else "") + f';keyid="{KEY_ID}";created={created}'
    signature = base64.b64encode(b"\x01" * 256).decode()
    return {
        "signature-input": f"{label}={inner}{params}", "signature": f"{label}=:{signature}:",
        "content-digest": f"sha-256=:{digest}:", "date": httpsig.http_date(), "host": "testserver",
        "content-type": "application/activity+json",
    }


@budget(200)
@given(
    components=st.tuples(st.sampled_from(COVERAGES), st.lists(st.sampled_from(COMPONENTS), max_size=3), st.booleans())
    .map(lambda parts: list(dict.fromkeys(parts[0] + parts[1])) if parts[2] else parts[0] + parts[1]),
    created=st.sampled_from([0, -1, 2**62]) | st.integers(int(time.time()) - 100, int(time.time()) + 100),
    alg=st.sampled_from([None, "rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519", "hmac-sha256", ""]),
    label=st.sampled_from(["sig1", "x", "*a", "sig1, sig2=()"]),
    host=st.sampled_from(HOSTS), port=st.sampled_from(PORTS), scheme=st.sampled_from(["https", "http", "HTTP"]),
    field=st.none() | st.sampled_from(FIELDS), data=st.data(),
)
def test_rfc9421_signed_requests_mutated(components, created, alg, label, host, port, scheme, field, data):
    """What the inbox does with a Signature-Input: target URIs built from the request's Host
    header (any host, any port), then parse, check and verify."""
    headers = _rfc9421_headers(components, created, alg, label)
    if field is not None:
        headers[field] = data.draw(mutated(headers.get(field, ""), SF_ALPHABET) | HEADER_TEXT)
    targets = [f"{scheme}://{host}{port}/inbox", f"https://{host}{port}/users/alice/inbox?x=1"]
    prepared = _refused("rfc9421.prepare", lambda: rfc9421.prepare("POST", targets, headers, BODY))
    if prepared is not None:
        _refused("rfc9421.verify_with", lambda: prepared.verify_with(PUBLIC_PEM))


@budget(150)
@given(value=HEADER_TEXT | st.text(SF_ALPHABET, max_size=120) | st.sampled_from([
    'sig1=("@method" "@target-uri");created=1;keyid="k"', "a=:AAAA:", "a=?1, b=?0", "a=1.5;x=-0.001",
    'a=("x";y=1 "z");q', "a=" + "9" * 16, "a=1." + "1" * 4, 'a="\\x"', "a=:!!:", "A=1", "a=(", "a=()" * 500,
]))
def test_structured_fields_of_any_text(value):
    _refused("rfc9421.parse_dictionary", lambda: rfc9421.parse_dictionary(value))
    _refused("rfc9421.check_content_digest", lambda: rfc9421.check_content_digest(value, BODY))
