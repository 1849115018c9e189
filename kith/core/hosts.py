"""The one host normaliser: everything that compares, stores or keys by another server's host
uses it (same-origin checks in activitypub/parse.py, Person.domain, user domain blocks in
kith.graph, delivery and HostHealth keys, lookups).

`normalise_host` turns every spelling of a host into one form, or None when the text is no
host at all; it never raises:

- lower case, one trailing dot removed (``Example.COM.`` -> ``example.com``);
- internationalised names to punycode (``bücher.example`` -> ``xn--bcher-kva.example``,
  UTS 46 as browsers do), and A-labels checked (``xn--`` alone is no host);
- IPv4 addresses in every spelling a URL parser accepts (WHATWG: octal ``0177``, hex
  ``0x7f``, fewer than four parts: ``127.000.003.002`` -> ``127.0.3.2``, ``0x7f.1`` ->
  ``127.0.0.1``) to dotted decimal; a name whose last label is a number but no address
  (``1.2.3.09``, ``1.2.3.4.5``) is refused, as browsers refuse it;
- IPv6 addresses (with or without brackets) to their compressed form, in brackets; a zone
  (``%eth0``) is refused.

`host_key(url)` is host[:port] (the port only when not the scheme's default), the form of
Person.domain, Delivery.host and HostHealth.host; `origin(url)` is (scheme, host, port).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import idna

MAX_HOST_LENGTH = 253
DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_ASCII_RE = re.compile(r"^[\x21-\x7e]*$")
_NUMBER_RE = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")


def _ipv4_number(part: str) -> int | None:
    """One part of a WHATWG IPv4 address: decimal, 0-octal or 0x-hex; None if it is none."""
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
        if digits == "":
            return 0
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    try:
        return int(digits, base) if re.fullmatch(r"[0-9a-fA-F]+", digits) else None
    except ValueError:
        return None


def _ipv4(host: str) -> str | None:
    """The dotted-decimal form of a WHATWG IPv4 host, or None when it is not a valid address."""
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4 or any(part == "" for part in parts):
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    values = [int(number) for number in numbers if number is not None]
    if any(value > 255 for value in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        return None
    address = values[-1]
    for index, value in enumerate(values[:-1]):
        address += value * 256 ** (3 - index)
    return str(ipaddress.IPv4Address(address))


def _ends_in_number(host: str) -> bool:
    labels = host.split(".")
    if labels and labels[-1] == "" and len(labels) > 1:
        labels.pop()
    return bool(labels) and bool(_NUMBER_RE.match(labels[-1]))


def normalise_host(text: object) -> str | None:
    """The canonical form of a host name or address (see the module docstring), or None."""
    if not isinstance(text, str) or not text or len(text) > 1000:
        return None
    host = text.strip()
    if host != text or not host:
        return None
    if host.startswith("[") or ":" in host:
        inner = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        if "%" in inner or not _ASCII_RE.match(inner):
            return None
        try:
            address = ipaddress.IPv6Address(inner)
        except ValueError:
            return None
        return f"[{address.compressed}]"
    if _ends_in_number(host):
        return _ipv4(host)
    if host.endswith("."):
        host = host[:-1]
    if not host:
        return None
    if not _ASCII_RE.match(host):
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    host = host.lower()
    labels = host.split(".")
    if len(host) > MAX_HOST_LENGTH or not all(_LABEL_RE.match(label) for label in labels):
        return None
    for label in labels:
        if label.startswith("xn--"):
            try:
                idna.decode(label)  # a malformed A-label (``xn--``, bad punycode) is no host
            except (idna.IDNAError, UnicodeError, ValueError):
                return None
    if _ends_in_number(host):  # IDNA mapped it to a number (full-width digits)
        return _ipv4(host)
    return host


def is_ip_literal(host: str) -> bool:
    """Whether a normalised host is an address rather than a name."""
    return host.startswith("[") or bool(re.fullmatch(r"[0-9.]+", host))


def origin(url: object) -> tuple[str, str, int] | None:
    """(scheme, normalised host, port) of an http(s) URL, or None; never raises."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
        netloc = parts.netloc
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return None
    hostport = netloc.rsplit("@", 1)[-1]
    raw_host = hostport
    if hostport.startswith("["):
        raw_host, after = hostport[: hostport.find("]") + 1], hostport[hostport.find("]") + 1 :]
        if after and not after.startswith(":"):  # `[::1]]`: urlsplit reads ::1, httpx no host at all
            return None
    elif ":" in hostport:
        raw_host = hostport.rsplit(":", 1)[0]
    host = normalise_host(raw_host)
    if host is None:
        return None
    return scheme, host, port or DEFAULT_PORTS[scheme]


def host_key(url: object) -> str | None:
    """host[:port] of an http(s) URL (the port only when not the scheme's default), or None."""
    found = origin(url)
    if found is None:
        return None
    scheme, host, port = found
    return host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"


def normalise_domain(text: object) -> str | None:
    """A host[:port] as Person.domain holds it ('Example.COM.:8443' -> 'example.com:8443'), or None."""
    if not isinstance(text, str):
        return None
    host, port = text, ""
    if text.startswith("["):
        end = text.find("]")
        host, rest = text[: end + 1], text[end + 1:]
        if rest:
            if not rest.startswith(":"):
                return None
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    normalised = normalise_host(host)
    if normalised is None:
        return None
    if port:
        if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
            return None
        return f"{normalised}:{int(port)}"
    return normalised
