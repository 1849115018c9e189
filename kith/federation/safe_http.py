"""The one HTTP client for talking to other servers, hardened against hostile peers.

Every outbound request (fetching actors, objects, keys, WebFinger; delivering
activities) goes through here, so the rules hold everywhere:

- **No private addresses.** The host is resolved here and every address is
  checked before connecting: private, loopback, link-local, multicast, reserved,
  unspecified and IPv4-mapped forms of those are refused.  The check happens at
  connect time, so it also covers each redirect hop and DNS answers that change
  between checks (rebinding).  `KITH_ALLOW_PRIVATE_FEDERATION=true` lifts it for
  tests and development only.
- **Bounded.** Connect/read timeouts, and a total deadline per request that every
  read and write asks, the status line and headers included (a peer that drips one
  byte a second is cut off), a response size cap, a redirect limit.
- **Typed.** Callers say which content types they accept.
- **Pooled.** One client per process, reused: connections are kept alive.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from django.conf import settings

from kith import __version__
from kith.core import hosts

USER_AGENT = f"Kith/{__version__} (+{{url}})"
DEFAULT_MAX_BYTES = 1024 * 1024  # documents (actors, notes, WebFinger) are far smaller
DEFAULT_DEADLINE = 15.0  # seconds for a whole request, body included
MAX_REDIRECTS = 3


class FetchError(Exception):
    """The remote answer could not be used; the message says why (safe to log)."""


class Refused(FetchError):
    """Refused by a rule (a private address, a scheme, a size, a content type): asking again
    cannot help, unlike a timeout or a refused connection."""


class BlockedAddress(Refused):
    pass


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))
        if ip.sixtofour is not None:
            return is_public_address(str(ip.sixtofour))
        if ip.teredo is not None:
            return is_public_address(str(ip.teredo[1]))
        if ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 wraps an IPv4 address
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    return ip.is_global and not ip.is_multicast


def _private_allowed() -> bool:
    return bool(getattr(settings, "KITH_ALLOW_PRIVATE_FEDERATION", False))


def resolve_public(host: str, port: int) -> list[tuple]:
    """getaddrinfo, keeping only addresses we may connect to (or raising BlockedAddress)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}") from exc
    if _private_allowed():
        return infos
    allowed = [info for info in infos if is_public_address(str(info[4][0]))]  # an IP address string for TCP
    if not allowed:
        raise BlockedAddress(f"{host} resolves only to private or reserved addresses")
    return allowed


# The deadline of the request this thread is making (time.monotonic()), or None.  A pooled
# connection is used by one request at a time, on the thread that sends it, so its reads and
# writes ask the thread's current deadline.
_request_deadline = threading.local()


def _within_deadline(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout` shortened to what is left of the request's deadline; `expired` once it passed."""
    deadline_at: float | None = getattr(_request_deadline, "at", None)
    if deadline_at is None:
        return timeout
    remaining = deadline_at - time.monotonic()
    if remaining <= 0:
        raise expired("the request's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the request's deadline.  Read timeouts
    alone bound the gap between two bytes, not their sum: a peer that drips its status line and
    headers a byte at a time, each just inside the read timeout, would hold a worker thread for
    hours (16 KiB of headers at 10 s a byte).  The body is bounded the same way, and by size."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _within_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to vetted addresses; TLS still verifies the original host name."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last_error: Exception | None = None
        for _family, _type, _proto, _name, sockaddr in resolve_public(host, port):
            try:
                bounded = _within_deadline(timeout, httpcore.ConnectTimeout)
                stream = super().connect_tcp(sockaddr[0], port, bounded, local_address, socket_options)
                return _DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        raise httpcore.ConnectError(str(last_error or f"cannot connect to {host}"))


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        limits = kwargs.get("limits", httpx.Limits(max_connections=50, max_keepalive_connections=20))
        self._pool = httpcore.ConnectionPool(
            ssl_context=self._pool._ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(),
        )


@dataclass(frozen=True)
class Response:
    url: str  # final URL after redirects
    status: int
    content_type: str
    headers: httpx.Headers
    body: bytes


_client_lock = threading.Lock()
_client: httpx.Client | None = None


def client() -> httpx.Client:
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(
                transport=_GuardedTransport(limits=httpx.Limits(max_connections=50, max_keepalive_connections=20)),
                timeout=httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0),
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT.format(url=settings.KITH_URL)},
                trust_env=False,
            )
        return _client


def _check_scheme(url: str) -> None:
    """The URL's scheme is allowed and its host is a host (hosts.normalise_host): a malformed
    URL from a peer (`https://127.000.003.002/`, `https://[::1`, `https://xn--/`) is Refused,
    never an exception of httpx's.  An address spelled other than canonically (octal, hex,
    short forms) is refused too: it names the same machine in a way only some parsers read."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError, TypeError):
        raise Refused(f"refusing malformed URL {url[:200]!r}") from None
    scheme = parsed.scheme
    if not (scheme == "https" or (scheme == "http" and _private_allowed())):
        raise Refused(f"refusing {scheme or 'relative'} URL {url[:200]!r}: only https is allowed")
    found = hosts.origin(url)
    if found is None:
        raise Refused(f"refusing URL with a malformed host {url[:200]!r}")
    raw_host = (urlsplit(url).hostname or "").rstrip(".")
    if hosts.is_ip_literal(found[1]) and raw_host not in (found[1], found[1].strip("[]")):
        raise Refused(f"refusing an address written as {raw_host[:100]!r}: write it as {found[1]}")


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    accept_types: Iterable[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    deadline: float = DEFAULT_DEADLINE,
    follow_redirects: bool = True,
    sign=None,
) -> Response:
    """Send one request with every guard on.  `sign(request)` may add signature headers per hop.
    `deadline` bounds the whole request, redirects, connecting, headers and body included."""
    started = time.monotonic()
    outer = getattr(_request_deadline, "at", None)
    _request_deadline.at = started + deadline if outer is None else min(outer, started + deadline)
    try:
        return _request(method, url, headers, content, accept_types, max_bytes, started + deadline, follow_redirects, sign)
    finally:
        _request_deadline.at = outer


def _request(
    method: str,
    url: str,
    headers: dict[str, str] | None,
    content: bytes | None,
    accept_types: Iterable[str] | None,
    max_bytes: int,
    deadline_at: float,
    follow_redirects: bool,
    sign,
) -> Response:
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        _check_scheme(current)
        try:
            outgoing = client().build_request(method, current, headers=headers, content=content)
        except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
            raise Refused(f"refusing malformed URL {current[:200]!r}: {exc}") from None
        if sign is not None:
            sign(outgoing)
        try:
            response = client().send(outgoing, stream=True)
        except httpcore.ConnectError as exc:
            raise FetchError(f"cannot connect to {current}: {exc}") from exc
        except BlockedAddress:
            raise
        except httpx.TimeoutException as exc:
            raise FetchError(f"{current} took too long ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__} for {current}") from exc
        except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
            # httpx reads a redirect's Location while sending, even when not following it, and
            # raises InvalidURL (no HTTPError) for `Location: https:x` and the like.
            raise Refused(f"malformed answer from {current[:200]}: {exc}") from None
        try:
            if response.is_redirect and follow_redirects:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"redirect without a location from {current}")
                current = urljoin(current, location)
                continue
            body = _read_bounded(response, max_bytes, deadline_at)
        finally:
            response.close()
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if accept_types is not None and response.is_success and content_type not in set(accept_types):
            raise Refused(f"unexpected content type {content_type!r} from {current}")
        return Response(current, response.status_code, content_type, response.headers, body)
    raise FetchError(f"too many redirects from {url}")


def _read_bounded(response: httpx.Response, max_bytes: int, deadline_at: float) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise Refused(f"response of {declared} bytes is over the {max_bytes} byte limit")
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():  # decoded: the cap applies after decompression
            size += len(chunk)
            if size > max_bytes:
                raise Refused(f"response is over the {max_bytes} byte limit")
            if time.monotonic() > deadline_at:
                raise FetchError("response took too long")
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise FetchError(f"response took too long ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__} while reading the response") from exc
    return b"".join(chunks)


def base_url(domain: str) -> str:
    """How this pod reaches `domain` (host[:port]): https, or http for a loopback pod in development."""
    scheme = "http" if settings.KITH_ALLOW_PRIVATE_FEDERATION and _looks_local(domain) else "https"
    return f"{scheme}://{domain}"


def _looks_local(domain: str) -> bool:
    host = domain.rsplit(":", 1)[0].strip("[]")
    return host in ("localhost",) or host.startswith("127.") or host == "::1"
