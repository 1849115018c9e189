"""HTTP Signatures (draft-cavage-http-signatures-12), as the fediverse uses them.

Signing: `(request-target) host date digest` on POST and `(request-target) host
date accept` on GET, rsa-sha256, as Mastodon does.  Verifying checks, in order,
everything a forged or replayed request could get wrong: the header parses,
the algorithm is one we accept, the covered headers include the request target,
host and date (and digest on requests with a body), the Digest matches the
body, the Date is within the allowed skew, and the signature verifies (RSA;
Ed25519 for hs2019, the Multikeys of FEP-521a).
Binding the key to the activity's actor is the caller's job (the key's owner
comes back from `verify`).

`check` does everything but the key check, so a caller can refuse a stale or
tampered request before fetching any key; `verify_with` is the key check.  A
signature that is well formed but does not verify raises `SignatureMismatch`:
the only failure a fresh copy of the key (rotation) can cure.  hs2019's
`(created)` and `(expires)` pseudo-headers are supported (the time window then
applies to `created`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

ACCEPTED_ALGORITHMS = {"rsa-sha256", "hs2019"}
DEFAULT_MAX_SKEW_SECONDS = 3600  # Mastodon allows about an hour either way
_PARAM_RE = re.compile(r'\s*([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|([0-9]{1,15}))\s*(?:,|$)')


class SignatureError(Exception):
    """Why a request's signature is not acceptable (safe to return in a 401 body)."""


class SignatureMismatch(SignatureError):
    """Well formed, fresh and complete, but the key does not verify it (perhaps an old key)."""


@dataclass(frozen=True)
class SignatureParams:
    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


@lru_cache(maxsize=512)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """Parsed once per process: parsing a PEM costs far more than signing with it."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError("only RSA keys are supported")
    return key


@lru_cache(maxsize=4096)
def load_public_key(pem: str) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    """RSA (rsa-sha256 or hs2019) or Ed25519 (hs2019 only: FEP-521a Multikeys)."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, UnsupportedAlgorithm) as exc:  # an unknown key type is not a ValueError
        raise SignatureError("the key is not a valid PEM public key") from exc
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("only RSA and Ed25519 keys are supported")
    if key.key_size < 1024:
        raise SignatureError("the key is too short")
    return key


def digest_header(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def http_date(moment: datetime | None = None) -> str:
    return format_datetime(moment or datetime.now(UTC), usegmt=True)


def _signing_string(
    method: str, target: str, headers: Mapping[str, str], names: tuple[str, ...], params: SignatureParams | None = None
) -> bytes:
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name in ("(created)", "(expires)"):
            value = getattr(params, name[1:-1], None) if params is not None else None
            if value is None:
                raise SignatureError(f"{name} is signed but its parameter is missing")
            lines.append(f"{name}: {value}")
        else:
            value = headers.get(name)
            if value is None:
                raise SignatureError(f"the signed header {name!r} is missing")
            lines.append(f"{name}: {value.strip()}")
    return "\n".join(lines).encode()


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key_pem: str,
) -> dict[str, str]:
    """Headers to add to a request (Host, Date, Digest when there is a body, Signature)."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    added = {"host": parts.netloc, "date": http_date()}
    lowered = {k.lower(): v for k, v in headers.items()} | added
    names: tuple[str, ...] = ("(request-target)", "host", "date")
    if body is not None and method.upper() != "GET":
        added["digest"] = lowered["digest"] = digest_header(body)
        names += ("digest",)
        if "content-type" in lowered:
            names += ("content-type",)
    elif "accept" in lowered:
        names += ("accept",)
    signature = load_private_key(private_key_pem).sign(
        _signing_string(method, target, lowered, names), padding.PKCS1v15(), hashes.SHA256()
    )
    added["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return {name.title() if name != "digest" else "Digest": value for name, value in added.items()}


def parse_signature_header(value: str) -> SignatureParams:
    if len(value) > 8192:
        raise SignatureError("the Signature header is too long")
    params: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = _PARAM_RE.match(value, position)
        if match is None:
            raise SignatureError("the Signature header does not parse")
        params[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
        position = match.end()
    if "keyId" not in params or "signature" not in params:
        raise SignatureError("the Signature header needs keyId and signature")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in ACCEPTED_ALGORITHMS:
        raise SignatureError(f"algorithm {algorithm!r} is not accepted")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except ValueError as exc:
        raise SignatureError("the signature is not base64") from exc
    names = tuple(params.get("headers", "date").lower().split())
    created, expires = params.get("created"), params.get("expires")
    if any(value is not None and not value.isdigit() for value in (created, expires)):
        raise SignatureError("created and expires must be integers")
    if algorithm != "hs2019" and ("(created)" in names or "(expires)" in names):
        raise SignatureError("(created) and (expires) are only for hs2019")
    return SignatureParams(
        params["keyId"], algorithm, names, signature,
        int(created) if created is not None else None, int(expires) if expires is not None else None,
    )


def check(
    method: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    max_skew_seconds: int = DEFAULT_MAX_SKEW_SECONDS,
    now: datetime | None = None,
) -> SignatureParams:
    """Everything but the key: the header parses, covers enough, the Digest matches, the time is right."""
    raw = headers.get("signature")
    if raw is None:
        raise SignatureError("the request is not signed")
    params = parse_signature_header(raw)
    required = {"(request-target)", "host"} | ({"digest"} if method.upper() == "POST" else set())
    if not ({"date", "(created)"} & set(params.headers)):
        raise SignatureError("the signature must cover the date")
    missing = required - set(params.headers)
    if missing:
        raise SignatureError(f"the signature must cover {', '.join(sorted(missing))}")
    if "digest" in params.headers or method.upper() == "POST":
        _check_digest(headers.get("digest", ""), body)
    moment = now or datetime.now(UTC)
    if "date" in params.headers:
        _check_date(headers.get("date", ""), max_skew_seconds, moment)
    created_skew = abs(moment.timestamp() - params.created) if params.created is not None else None
    if "(created)" in params.headers and (created_skew is None or created_skew > max_skew_seconds):
        raise SignatureError("the signature's created time is too far from now")
    if params.expires is not None and params.expires < moment.timestamp():
        raise SignatureError("the signature has expired")
    return params


def verify_with(
    params: SignatureParams, method: str, path: str, query: str, headers: Mapping[str, str], public_key_pem: str
) -> None:
    """The key check of a request `check` accepted; SignatureMismatch if the key does not verify it.

    The path is tried with the query string and then without, since some servers
    sign one and some the other.  An Ed25519 key verifies only `hs2019` signatures
    (the algorithm comes from the key); `rsa-sha256` names RSA.
    """
    try:
        key = load_public_key(public_key_pem)
    except SignatureError as exc:  # unusable: perhaps replaced by now, so worth a refetch
        raise SignatureMismatch(str(exc)) from exc
    if isinstance(key, ed25519.Ed25519PublicKey) and params.algorithm != "hs2019":
        raise SignatureMismatch(f"algorithm {params.algorithm!r} does not fit an Ed25519 key")
    targets = [f"{path}?{query}", path] if query else [path]
    for target in targets:
        signed = _signing_string(method, target, headers, params.headers, params)
        try:
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(params.signature, signed)
            else:
                key.verify(params.signature, signed, padding.PKCS1v15(), hashes.SHA256())
            return
        except InvalidSignature:
            continue
    raise SignatureMismatch("the signature does not verify")


def verify(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    *,
    max_skew_seconds: int = DEFAULT_MAX_SKEW_SECONDS,
    now: datetime | None = None,
) -> SignatureParams:
    """Check a received request; raise SignatureError unless every check passes.

    `headers` must map lower-case names to values.
    """
    params = check(method, headers, body, max_skew_seconds=max_skew_seconds, now=now)
    verify_with(params, method, path, query, headers, public_key_pem)
    return params


def _check_digest(value: str, body: bytes) -> None:
    if not value:
        raise SignatureError("a Digest header is required")
    algorithms = {}
    for item in value.split(","):
        name, _, encoded = item.strip().partition("=")
        algorithms[name.lower()] = encoded
    if "sha-256" not in algorithms:
        raise SignatureError("the Digest must use SHA-256")
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
    if algorithms["sha-256"] != expected:
        raise SignatureError("the Digest does not match the body")


def _check_date(value: str, max_skew_seconds: int, now: datetime) -> None:
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise SignatureError("the Date header does not parse") from exc
    if sent.tzinfo is None:
        raise SignatureError("the Date header has no time zone")
    skew = abs((now - sent).total_seconds())
    if skew > max_skew_seconds:
        raise SignatureError("the Date is too far from now")
