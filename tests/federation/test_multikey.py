"""Multikey decoding (FEP-521a), against the FEP's own published vectors (fep-521a.feature)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from kith.federation import multikey
from kith.federation.multikey import MultikeyError

# FEP-521a, "Representing Ed25519 public key".
FEP_ED25519_HEX = "2e6fcce36701dc791488e0d0b1745cc1e33a4c1c9fcc41c63bd343dbbe0970e6"
FEP_ED25519_MULTIBASE = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
# FEP-521a, "Representing RSA public key" (PKCS#1 DER).
FEP_RSA_DER_HEX = (
    "3082010a0282010100b1b5fcd8d4d5e88ca5c4287b31f578865caf6a78826a3b8ff7b1b23aa4af4e6a0474139f945bd9d3a911ffd0"
    "fa72db78e4593a86c91f9da836186ebd3402d51f6a3844247ab5088b46929c311b43604fed84499f06f0f39bf55590e2187f1bbe22"
    "9ba8f49fd2e570cd0e3733c76bfede80e1e7e0881e4538ea1bc5782be9512f8bf132526e05f4923564fe6e1e21bf7087adebb660fa"
    "533fca06d0a8e66991e1312d70b64a61da8ca77c028cdf939601e2cffe2855759b1d479f0847bcac59d7d62427a431d4e3dfd26974"
    "28b9dd6309a7b1167db99fe01af1ff1b739566fb949e47089d1dae84aef1214ef7f5773e86a0d3e9da246f9bec09d60c705891183d"
    "0203010001"
)
FEP_RSA_MULTIBASE = (
    "z4MXj1wBzi9jUstyPMS4jQqB6KdJaiatPkAtVtGc6bQEQEEsKTic4G7Rou3iBf9vPmT5dbkm9qsZsuVNjq8HCuW1w24nhBFGkRE4cd2Uf2tf"
    "rB3N7h4mnyPp1BF3ZttHTYv3DLUPi1zMdkULiow3M1GfXkoC6DoxDUm1jmN6GBj22SjVsr6dxezRVQc7aj9TxE7JLbMH1wh5X3kA58H3DF"
    "W8rnYMakFGbca5CB2Jf6CnGQZmL7o5uJAdTwXfy2iiiyPxXEGerMhHwhjTA1mKYobyk2CpeEcmvynADfNZ5MBvcCS7m3XkFCMNUYBS9NQ3"
    "fze6vMSUPsNa6GVYmKx2x6JrdEjCk3qRMMmyjnjCMfR4pXbRMZa3i"
)
# The example key in FEP-521a's text.
FEP_EXAMPLE_MULTIBASE = "z6MkekwC6R9bj9ErToB7AiZJfyCSDhaZe1UxhDbCqJrhqpS5"


def test_the_feps_ed25519_vector_decodes_to_its_key():
    key = multikey.decode(FEP_ED25519_MULTIBASE)
    assert isinstance(key, ed25519.Ed25519PublicKey)
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw.hex() == FEP_ED25519_HEX


def test_the_feps_ed25519_vector_encodes_back():
    key = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(FEP_ED25519_HEX))
    assert multikey.encode(key) == FEP_ED25519_MULTIBASE


def test_the_feps_rsa_vector_decodes_to_its_key_and_back():
    key = multikey.decode(FEP_RSA_MULTIBASE)
    assert isinstance(key, rsa.RSAPublicKey)
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert der.hex() == FEP_RSA_DER_HEX
    assert multikey.encode(key) == FEP_RSA_MULTIBASE


def test_the_feps_example_key_is_an_ed25519_key():
    assert isinstance(multikey.decode(FEP_EXAMPLE_MULTIBASE), ed25519.Ed25519PublicKey)


def test_pem_is_what_the_verifiers_load():
    pem = multikey.decode_to_pem(FEP_ED25519_MULTIBASE)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    loaded = serialization.load_pem_public_key(pem.encode())
    assert loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex() == FEP_ED25519_HEX


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00\x01", b"\x01\x00", b"\xff" * 40, bytes(range(256))])
def test_base58btc_round_trips_leading_zeros_included(data):
    assert multikey.base58btc_decode(multikey.base58btc_encode(data)) == data


def test_base58btc_known_values():
    # The "Hello World!" example of the base58 draft (draft-msporny-base58).
    assert multikey.base58btc_encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert multikey.base58btc_decode("2NEpo7TZRRrLZSi2U") == b"Hello World!"
    assert multikey.base58btc_decode("11") == b"\x00\x00"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "base58btc"),
        ("f" + "ed01" + "00" * 32, "base58btc"),  # base16 multibase: not read
        ("u7QE", "base58btc"),  # base64url multibase
        ("z0OIl", "not a base58btc character"),  # 0, O, I and l are not in the alphabet
        ("z" + multikey.base58btc_encode(b"\xed\x01" + b"\x01" * 31), "32 bytes"),
        ("z" + multikey.base58btc_encode(b"\xed\x01" + b"\x01" * 33), "32 bytes"),
        ("z" + multikey.base58btc_encode(b"\xe7\x01" + b"\x02" * 33), "0xe7"),  # secp256k1-pub
        ("z" + multikey.base58btc_encode(b"\x80\x24" + b"\x02" * 33), "0x1200"),  # P-256
        ("z" + multikey.base58btc_encode(b"\x85\x24" + b"not der"), "DER"),
        ("z" + multikey.base58btc_encode(b"\xed\x81\x00" + b"\x01" * 32), "minimally"),
        ("z" + multikey.base58btc_encode(b"\xff" * 12), "does not end"),
        ("z" + "2" * 2000, "too long"),
    ],
)
def test_what_is_refused(value, reason):
    with pytest.raises(MultikeyError, match=reason):
        multikey.decode(value)


def test_short_rsa_keys_are_refused():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505 - the point
    with pytest.raises(MultikeyError, match="too short"):
        multikey.decode(multikey.encode(small))


def test_a_fresh_ed25519_key_round_trips():
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    decoded = multikey.decode(multikey.encode(key))
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    assert decoded.public_bytes(*raw) == key.public_bytes(*raw)


def test_a_did_key_vector_matches_its_jwk():
    """A second, independent vector: a did:key Ed25519 key and the same key as a JWK (`x`)."""
    import base64

    key = multikey.decode("z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"
