"""Multikey public keys (FEP-521a, W3C Controlled Identifiers): `publicKeyMultibase` <-> PEM.

A Multikey is `z` (multibase: base58btc) + base58btc(varint multicodec + key bytes).
Two key types are read, the ones fediverse servers publish:

- `ed25519-pub` (multicodec 0xed, varint bytes `ed 01`) + the 32-byte public key;
- `rsa-pub` (multicodec 0x1205, varint bytes `85 24`) + the PKCS#1 DER RSAPublicKey.

Anything else (another multibase, another codec, a wrong length) raises
`MultikeyError`; the caller skips that key.  Keys come back as SubjectPublicKeyInfo
PEM, the form the signature verifiers (`httpsig`, `rfc9421`) already take.  No
dependency for this: base58btc is one alphabet and a big-integer conversion, tested
against the FEP's published vectors (docs/dependencies.md).
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {char: value for value, char in enumerate(BASE58_ALPHABET)}
MULTIBASE_BASE58BTC = "z"
ED25519_PUB = 0xED
RSA_PUB = 0x1205
# A 4096-bit RSA key is about 720 base58 characters; nothing legitimate is longer than this,
# and the big-integer conversion below is quadratic in the length.
MAX_MULTIBASE_CHARS = 1500
MIN_RSA_BITS = 2048


class MultikeyError(ValueError):
    """The value is not a Multikey public key Kith can use."""


def base58btc_decode(text: str) -> bytes:
    if len(text) > MAX_MULTIBASE_CHARS:
        raise MultikeyError("too long")
    number = 0
    for char in text:
        value = _BASE58_INDEX.get(char)
        if value is None:
            raise MultikeyError(f"{char!r} is not a base58btc character")
        number = number * 58 + value
    # Each leading "1" stands for a leading zero byte, which the number cannot carry.
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * zeros + body


def base58btc_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    while number:
        number, remainder = divmod(number, 58)
        chars.append(BASE58_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * zeros + "".join(reversed(chars))


def _varint(value: int) -> bytes:
    """Unsigned LEB128, as multicodec prefixes are written."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes) -> tuple[int, int]:
    """(value, bytes used) of the unsigned varint at the start of `data` (at most 9 bytes)."""
    value = 0
    for index, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if index and byte == 0:
                raise MultikeyError("the multicodec prefix is not minimally encoded")
            return value, index + 1
    raise MultikeyError("the multicodec prefix does not end")


def decode(multibase: object) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    """The public key in a `publicKeyMultibase` value."""
    if not isinstance(multibase, str) or not multibase.startswith(MULTIBASE_BASE58BTC):
        raise MultikeyError("only base58btc (z...) multibase values are read")
    data = base58btc_decode(multibase[1:])
    codec, used = _read_varint(data)
    key_bytes = data[used:]
    if codec == ED25519_PUB:
        if len(key_bytes) != 32:
            raise MultikeyError("an Ed25519 public key is 32 bytes")
        return ed25519.Ed25519PublicKey.from_public_bytes(key_bytes)
    if codec == RSA_PUB:
        try:
            key = serialization.load_der_public_key(key_bytes)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise MultikeyError("not an RSA public key in DER") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise MultikeyError("the rsa-pub codec holds another kind of key")
        if key.key_size < MIN_RSA_BITS:
            raise MultikeyError("the RSA key is too short")
        return key
    raise MultikeyError(f"multicodec 0x{codec:x} is not a key type Kith reads")


def decode_to_pem(multibase: object) -> str:
    """`publicKeyMultibase` -> SubjectPublicKeyInfo PEM."""
    key = decode(multibase)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def encode(key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey) -> str:
    """The `publicKeyMultibase` of a public key (the inverse of `decode`)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        payload = _varint(ED25519_PUB) + key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    elif isinstance(key, rsa.RSAPublicKey):
        payload = _varint(RSA_PUB) + key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    else:
        raise MultikeyError("only Ed25519 and RSA keys are written")
    return MULTIBASE_BASE58BTC + base58btc_encode(payload)
