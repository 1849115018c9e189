"""RFC 9421 HTTP Message Signatures, verified the way Mastodon 4.5 and Fedify send them.

A request carries `Signature-Input: sig1=("@method" "@target-uri" ...);created=...;keyid="..."`
and `Signature: sig1=:<base64>:`.  Verifying means: parse both structured
fields (RFC 8941, parsed here: only Dictionaries, Inner Lists and bare items are
needed, and a second parser pinned for one peer's sake would clash with bovine's),
check everything that needs no key (exactly one signature; `keyid` and `created`
present; `created` within the allowed skew and `expires`, if given, not passed;
`@method` and the target covered, as `@target-uri` or `@authority` plus `@path`;
`content-digest` covered and matching the body on requests with one), rebuild the
signature base (RFC 9421 section 2.5) and check the signature with the key.

Algorithms: `rsa-v1_5-sha256` (what Mastodon and Fedify send; the default for an
RSA key without `alg`), `rsa-pss-sha512` and `ed25519` (the default for an Ed25519
key).  HMAC and ECDSA are refused.  Components: the derived `@method`,
`@target-uri`, `@authority`, `@scheme`, `@path`, `@query`, `@request-target`, and
header fields without parameters; anything else (`@query-param`, `;sf`, `;key`,
`;bs`, `;req`, `;tr`) is refused rather than guessed at.

Failures raise `httpsig.SignatureError`; a signature that is well formed but does not
verify with the key (or names an algorithm the key cannot do, or the key is unusable)
raises its subclass `SignatureMismatch`, the one failure a fresh copy of the key
(rotation) can cure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from kith.federation.httpsig import DEFAULT_MAX_SKEW_SECONDS, SignatureError, SignatureMismatch

ALGORITHMS = ("rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519")
DERIVED = frozenset({"@method", "@target-uri", "@authority", "@scheme", "@path", "@query", "@request-target"})
DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
MAX_FIELD_CHARS = 8192
_DEFAULT_PORTS = {"http": 80, "https": 443}


# ---- RFC 8941 structured fields: the parts signatures use ----------------------------------------


class Token(str):
    """An sf-token (kept apart from sf-string so it serialises without quotes)."""


BareItem = int | float | str | bytes | bool
Params = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: Params


@dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: Params


_KEY_RE = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN_RE = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_NUMBER_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/=]*")


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_FIELD_CHARS:
            raise SignatureError("a signature header is too long")
        if not text.isascii():
            raise SignatureError("a structured header is not ASCII")
        self.text = text.strip(" ")
        self.at = 0

    def fail(self, what: str) -> SignatureError:
        return SignatureError(f"a structured header does not parse ({what} at {self.at})")

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.at += 1

    def dictionary(self) -> dict[str, Item | InnerList]:
        members: dict[str, Item | InnerList] = {}
        while self.at < len(self.text):
            key = self.key()
            if self.peek() == "=":
                self.at += 1
                members[key] = self.inner_list() if self.peek() == "(" else self.item()
            else:
                members[key] = Item(True, self.params())
            self.skip(" \t")
            if self.at == len(self.text):
                return members
            if self.peek() != ",":
                raise self.fail("expected a comma")
            self.at += 1
            self.skip(" \t")
            if self.at == len(self.text):
                raise self.fail("trailing comma")
        return members

    def key(self) -> str:
        match = _KEY_RE.match(self.text, self.at)
        if match is None:
            raise self.fail("expected a key")
        self.at = match.end()
        return match.group(0)

    def inner_list(self) -> InnerList:
        self.at += 1  # "("
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.at += 1
                return InnerList(tuple(items), self.params())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected a space or ')'")

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.params())

    def params(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.at += 1
            self.skip(" ")
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.at += 1
                value = self.bare_item()
            params[key] = value
        return params

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == "-" or char.isdigit():
            return self.number()
        if char == '"':
            return self.string()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            value = self.text[self.at + 1 : self.at + 2]
            if value not in ("0", "1"):
                raise self.fail("bad boolean")
            self.at += 2
            return value == "1"
        match = _TOKEN_RE.match(self.text, self.at)
        if match is None:
            raise self.fail("expected an item")
        self.at = match.end()
        return Token(match.group(0))

    def number(self) -> int | float:
        match = _NUMBER_RE.match(self.text, self.at)
        if match is None:
            raise self.fail("bad number")
        raw = match.group(0)
        whole, _, fraction = raw.lstrip("-").partition(".")
        if (not fraction and len(whole) > 15) or (fraction and (len(whole) > 12 or len(fraction) > 3)):
            raise self.fail("number too long")
        self.at = match.end()
        return float(raw) if fraction else int(raw)

    def string(self) -> str:
        self.at += 1
        out: list[str] = []
        while self.at < len(self.text):
            char = self.text[self.at]
            self.at += 1
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise self.fail("bad escape")
                out.append(escaped)
                self.at += 1
            elif char == '"':
                return "".join(out)
            elif not " " <= char <= "~":
                raise self.fail("bad string character")
            else:
                out.append(char)
        raise self.fail("unterminated string")

    def byte_sequence(self) -> bytes:
        end = self.text.find(":", self.at + 1)
        if end < 0:
            raise self.fail("unterminated byte sequence")
        encoded = self.text[self.at + 1 : end]
        if not _BASE64_RE.fullmatch(encoded):
            raise self.fail("bad base64")
        self.at = end + 1
        try:
            return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except ValueError as exc:
            raise self.fail("bad base64") from exc


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    return _Parser(text).dictionary()


def serialize_bare_item(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode() + ":"
    if isinstance(value, Token):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_params(params: Params) -> str:
    return "".join(f";{key}" if value is True else f";{key}={serialize_bare_item(value)}" for key, value in params.items())


def serialize_item(item: Item) -> str:
    return serialize_bare_item(item.value) + serialize_params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    return "(" + " ".join(serialize_item(item) for item in inner.items) + ")" + serialize_params(inner.params)


# ---- the request and its components ---------------------------------------------------------------


@dataclass(frozen=True)
class SignatureInput:
    label: str
    components: tuple[Item, ...]
    params: Params
    raw_params: InnerList
    signature: bytes

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(str(item.value) for item in self.components)

    @property
    def key_id(self) -> str:
        return str(self.params["keyid"])

    @property
    def algorithm(self) -> str | None:
        alg = self.params.get("alg")
        return str(alg) if alg is not None else None


def _authority(parts) -> str:
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host += f":{port}"
    return host


def component_value(name: str, method: str, target_uri: str, headers: Mapping[str, str]) -> str:
    """The value of one covered component (RFC 9421 section 2.1 and 2.2) for a request."""
    if name.startswith("@"):
        try:
            parts = urlsplit(target_uri)
            authority = _authority(parts)
        except ValueError as exc:  # built from the request's Host header: `host:99999`, `[::1`
            raise SignatureError("the request's target URI does not parse (check the Host header)") from exc
        path = parts.path or "/"
        if name == "@method":
            return method.upper()
        if name == "@target-uri":
            return target_uri
        if name == "@authority":
            return authority
        if name == "@scheme":
            return parts.scheme.lower()
        if name == "@path":
            return path
        if name == "@query":
            return "?" + parts.query
        if name == "@request-target":
            return path + (f"?{parts.query}" if parts.query else "")
        raise SignatureError(f"the component {name!r} is not supported")
    value = headers.get(name)
    if value is None:
        raise SignatureError(f"the signed header {name!r} is missing")
    value = value.strip(" \t")
    if "\n" in value or "\r" in value:
        raise SignatureError(f"the signed header {name!r} has a line break")
    return value


def signature_base(entry: SignatureInput, method: str, target_uri: str, headers: Mapping[str, str]) -> bytes:
    """The signature base (RFC 9421 section 2.5): one line per component, then @signature-params."""
    lines = []
    seen: set[str] = set()
    for component in entry.components:
        if not isinstance(component.value, str) or isinstance(component.value, Token):
            raise SignatureError("a covered component is not a string")
        if component.params:
            raise SignatureError(f"component parameters ({serialize_params(component.params)}) are not supported")
        name = component.value
        if name != name.lower() or name in seen:
            raise SignatureError(f"the component {name!r} is not lower case or is listed twice")
        seen.add(name)
        lines.append(f"{serialize_item(component)}: {component_value(name, method, target_uri, headers)}")
    lines.append(f'"@signature-params": {serialize_inner_list(entry.raw_params)}')
    return "\n".join(lines).encode()


def parse_signature(headers: Mapping[str, str]) -> SignatureInput:
    """The single signature a request carries (lower-case header names)."""
    inputs = parse_dictionary(headers.get("signature-input", ""))
    signatures = parse_dictionary(headers.get("signature", ""))
    if len(inputs) != 1:
        raise SignatureError("exactly one signature is accepted")
    label, described = next(iter(inputs.items()))
    if not isinstance(described, InnerList):
        raise SignatureError("Signature-Input does not list components")
    signed = signatures.get(label)
    if not isinstance(signed, Item) or not isinstance(signed.value, bytes):
        raise SignatureError(f"the Signature header has no signature labelled {label!r}")
    return SignatureInput(label, described.items, described.params, described, signed.value)


# ---- policy checks that need no key -----------------------------------------------------------------


def _check_params(entry: SignatureInput, max_skew_seconds: int, now: datetime) -> None:
    key_id, created, expires = entry.params.get("keyid"), entry.params.get("created"), entry.params.get("expires")
    if not isinstance(key_id, str) or isinstance(key_id, Token) or not key_id:
        raise SignatureError("the signature needs a keyid")
    if isinstance(created, bool) or not isinstance(created, int):
        raise SignatureError("the signature needs a created time")
    moment = now.timestamp()
    if abs(moment - created) > max_skew_seconds:
        raise SignatureError("the signature's created time is too far from now")
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int) or expires < moment):
        raise SignatureError("the signature has expired")
    alg = entry.params.get("alg")
    if alg is not None and alg not in ALGORITHMS:
        raise SignatureError(f"algorithm {alg!r} is not accepted")


def _check_coverage(entry: SignatureInput, has_body: bool) -> None:
    names = set(entry.names)
    if "@method" not in names:
        raise SignatureError("the signature must cover @method")
    if "@target-uri" not in names and not ({"@authority"} <= names and names & {"@path", "@request-target"}):
        raise SignatureError("the signature must cover @target-uri (or @authority and @path)")
    if has_body and "content-digest" not in names:
        raise SignatureError("the signature must cover content-digest")


def check_content_digest(value: str, body: bytes) -> None:
    """RFC 9530: every sha-256 / sha-512 digest given must match; at least one must be given."""
    if not value:
        raise SignatureError("a Content-Digest header is required")
    digests = parse_dictionary(value)
    checked = 0
    for algorithm, member in digests.items():
        if algorithm not in DIGESTS:
            continue  # md5, sha, unixsum...: not evidence of anything
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            raise SignatureError("a Content-Digest value is not a byte sequence")
        if not hmac.compare_digest(member.value, DIGESTS[algorithm](body).digest()):
            raise SignatureError("the Content-Digest does not match the body")
        checked += 1
    if not checked:
        raise SignatureError("the Content-Digest must use sha-256 or sha-512")


# ---- keys and algorithms -------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def load_public_key(pem: str) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, UnsupportedAlgorithm) as exc:  # an unknown key type is not a ValueError
        raise SignatureError("the key is not a valid PEM public key") from exc
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 1024:
            raise SignatureError("the key is too short")
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise SignatureError("only RSA and Ed25519 keys are supported")


def _verify_bytes(algorithm: str | None, key, signature: bytes, base: bytes) -> None:
    """Raise InvalidSignature or SignatureError unless `signature` is valid over `base`."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        if algorithm not in (None, "ed25519"):
            raise SignatureMismatch(f"algorithm {algorithm!r} does not fit an Ed25519 key")
        key.verify(signature, base)
        return
    if algorithm in (None, "rsa-v1_5-sha256"):
        key.verify(signature, base, padding.PKCS1v15(), hashes.SHA256())
    elif algorithm == "rsa-pss-sha512":
        key.verify(signature, base, padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64), hashes.SHA512())
    else:
        raise SignatureMismatch(f"algorithm {algorithm!r} does not fit an RSA key")


# ---- the whole check -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedSignature:
    """A request whose signature passed every check that needs no key."""

    entry: SignatureInput
    bases: tuple[bytes, ...]  # one per candidate target URI

    @property
    def key_id(self) -> str:
        return self.entry.key_id

    def verify_with(self, public_key_pem: str) -> None:
        """SignatureMismatch unless the key verifies it (an unusable or ill-fitting key included:
        the sender may have moved to a new key, which a refetch would find)."""
        try:
            key = load_public_key(public_key_pem)
        except SignatureError as exc:
            raise SignatureMismatch(str(exc)) from exc
        for base in self.bases:
            try:
                _verify_bytes(self.entry.algorithm, key, self.entry.signature, base)
                return
            except InvalidSignature:
                continue
        raise SignatureMismatch("the signature does not verify")


def prepare(
    method: str,
    target_uris: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    max_skew_seconds: int = DEFAULT_MAX_SKEW_SECONDS,
    now: datetime | None = None,
) -> PreparedSignature:
    """Parse and check everything but the key.  `headers` must have lower-case names.

    `target_uris` are the URIs the request may have been sent to (the pod's public
    scheme and the one the request arrived with may differ behind a proxy).
    """
    entry = parse_signature(headers)
    _check_params(entry, max_skew_seconds, now or datetime.now(UTC))
    has_body = method.upper() not in ("GET", "HEAD") or bool(body)
    _check_coverage(entry, has_body)
    if "content-digest" in entry.names or has_body:
        check_content_digest(headers.get("content-digest", ""), body)
    bases = tuple(dict.fromkeys(signature_base(entry, method, uri, headers) for uri in target_uris))
    return PreparedSignature(entry, bases)


def verify(
    method: str,
    target_uri: str,
    headers: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    *,
    max_skew_seconds: int = DEFAULT_MAX_SKEW_SECONDS,
    now: datetime | None = None,
) -> SignatureInput:
    """Check a received request end to end; raise SignatureError unless every check passes."""
    prepared = prepare(method, [target_uri], headers, body, max_skew_seconds=max_skew_seconds, now=now)
    prepared.verify_with(public_key_pem)
    return prepared.entry
