"""A stand-in for another server's media host: answers each path as the test sets it, and
counts what is asked of it.  Bound to 127.0.0.2, so only tests that allow private federation
(KITH_ALLOW_PRIVATE_FEDERATION) reach it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that stops reading (a size cap doing its work) is no error here


class PictureServer:
    def __init__(self, host: str = "127.0.0.2"):
        self.routes: dict[str, tuple[int, str, bytes]] = {}  # path -> (status, content type, body)
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.path)
                status, content_type, body = server.routes.get(self.path, (404, "text/plain", b"nothing here"))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = _QuietServer((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"

    def serve(self, path: str, body: bytes, content_type: str = "image/jpeg", status: int = 200) -> str:
        """Answer `path` so from now on; returns its URL."""
        self.routes[path] = (status, content_type, body)
        return f"{self.url}{path}"

    def asked(self, path: str) -> int:
        return self.requests.count(path)

    def __enter__(self) -> PictureServer:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
