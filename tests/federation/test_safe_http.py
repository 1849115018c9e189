"""The outbound client refuses private addresses, oversize and slow answers, and wrong types."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kith.federation import safe_http


class _Peer(BaseHTTPRequestHandler):
    """A hostile little server: each path misbehaves in one way."""

    def log_message(self, *args):
        pass

    def _send(self, status=200, body=b"{}", content_type="application/activity+json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path == "/ok":
            self._send(body=b'{"id": "ok"}')
        elif self.path == "/html":
            self._send(body=b"<html></html>", content_type="text/html")
        elif self.path == "/big":
            self._send(body=b"x" * (64 * 1024))
        elif self.path == "/big-undeclared":
            self.send_response(200)
            self.send_header("Content-Type", "application/activity+json")
            self.end_headers()
            self.wfile.write(b"x" * (64 * 1024))
        elif self.path == "/gzip-bomb":
            body = gzip.compress(b"0" * (4 * 1024 * 1024))
            self._send(body=body, headers=[("Content-Encoding", "gzip")])
        elif self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "application/activity+json")
            self.end_headers()
            for _ in range(30):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
        elif self.path == "/slow-headers":
            # The status line and headers a byte at a time, each well inside the read timeout.
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nX-Drip: " + b"x" * 200
            for byte in head:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.02)
            self.close_connection = True
        elif self.path == "/to-private":
            self._send(302, b"", headers=[("Location", f"http://127.0.0.1:{port}/ok")])
        elif self.path == "/loop":
            self._send(302, b"", headers=[("Location", "/loop")])
        elif self.path == "/to-malformed":
            self._send(302, b"", headers=[("Location", "http:x")])


@pytest.fixture(scope="module")
def peer():
    server = ThreadingHTTPServer(("127.0.0.2", 0), _Peer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.2:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def private_allowed(settings):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True


@pytest.fixture
def only_peer_is_public(settings, monkeypatch):
    """Pretend 127.0.0.2 is a public host and everything else keeps its real status."""
    settings.KITH_ALLOW_PRIVATE_FEDERATION = False
    real = safe_http.is_public_address
    monkeypatch.setattr(safe_http, "is_public_address", lambda a: a == "127.0.0.2" or real(a))
    monkeypatch.setattr(safe_http, "_check_scheme", lambda url: None)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",  # noqa: S104
     "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1", "64:ff9b::a00:1",
     "224.0.0.1"],
)
def test_private_and_reserved_addresses_are_not_public(address):
    assert not safe_http.is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_public_addresses_are_public(address):
    assert safe_http.is_public_address(address)


def test_loopback_refused_by_default(settings, peer):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = False
    with pytest.raises(safe_http.BlockedAddress):
        safe_http.request("GET", peer.replace("http:", "https:") + "/ok")


def test_connect_refuses_private_address_even_for_https(settings, only_peer_is_public):
    with pytest.raises(safe_http.BlockedAddress):
        safe_http.resolve_public("127.0.0.1", 443)


def test_plain_http_refused_without_private_federation(settings):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = False
    with pytest.raises(safe_http.FetchError, match="only https"):
        safe_http.request("GET", "http://example.com/")


def test_redirect_to_private_address_is_refused(peer, only_peer_is_public):
    assert safe_http.request("GET", peer + "/ok").status == 200  # the first hop itself is allowed
    with pytest.raises(safe_http.BlockedAddress):
        safe_http.request("GET", peer + "/to-private")


def test_ok_response(peer, private_allowed):
    response = safe_http.request("GET", peer + "/ok", accept_types=["application/activity+json"])
    assert response.status == 200
    assert response.body == b'{"id": "ok"}'


def test_wrong_content_type_refused(peer, private_allowed):
    with pytest.raises(safe_http.FetchError, match="content type"):
        safe_http.request("GET", peer + "/html", accept_types=["application/activity+json"])


@pytest.mark.parametrize("path", ["/big", "/big-undeclared", "/gzip-bomb"])
def test_oversize_refused(peer, private_allowed, path):
    with pytest.raises(safe_http.FetchError, match="limit"):
        safe_http.request("GET", peer + path, max_bytes=16 * 1024)


def test_slow_drip_cut_off_at_deadline(peer, private_allowed):
    with pytest.raises(safe_http.FetchError, match="too long"):
        safe_http.request("GET", peer + "/slow", deadline=0.5)


def test_headers_dripped_a_byte_at_a_time_are_cut_off_at_the_deadline(peer, private_allowed):
    """Read timeouts bound the gap between two bytes, not the whole: before the deadline reached
    the status line and headers, this request waited for all of them (hours, from a patient peer)."""
    started = time.monotonic()
    with pytest.raises(safe_http.FetchError, match="too long"):
        safe_http.request("GET", peer + "/slow-headers", deadline=0.5)
    assert time.monotonic() - started < 2.5


def test_redirect_loop_bounded(peer, private_allowed):
    with pytest.raises(safe_http.FetchError, match="too many redirects"):
        safe_http.request("GET", peer + "/loop")


@pytest.mark.parametrize("follow", [True, False])
def test_a_redirect_to_a_malformed_url_is_refused(private_allowed, peer, follow):
    """Found by fuzzing (tests/fuzz/test_db_discovery.py): httpx reads the Location of every
    redirect while sending, followed or not, and raised InvalidURL (not an HTTPError) for
    `Location: http:x`: a 500 wherever a peer answered so (an actor fetched at the inbox)."""
    with pytest.raises(safe_http.Refused, match="malformed answer"):
        safe_http.request("GET", peer + "/to-malformed", follow_redirects=follow)
