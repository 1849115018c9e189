"""A fast inbox sink for the remote fan-out scenario: many "hosts" on loopback, one process.

    python -m bench.sink --port P --keys keys.json

It listens on every loopback address at port P (Linux routes all of 127.0.0.0/8 to
lo), so http://127.0.1.1:P/ ... http://127.0.2.244:P/ are 500 different hosts to the
pod (each with its own connection pool, per-host limit and health).  Connections from
anywhere but loopback are closed.  Every POST must carry a draft-cavage signature that
verifies with a key from keys.json ({keyId: public PEM}) via kith.federation.httpsig;
verified deliveries answer 202, others 401 and are counted as failures.

Control (any host, path prefix /_sink/): GET stats (JSON), POST reset, POST
silent?hosts=127.0.1.7,... (connections to those addresses are read and never
answered: a host that never answers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import sys
import time
from urllib.parse import parse_qs, urlsplit

from kith.federation import httpsig


class State:
    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys
        self.silent: set[str] = set()
        self.reset()

    def reset(self) -> None:
        self.verified = 0
        self.rejected = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.hosts: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.silenced = 0

    def stats(self) -> dict:
        return {
            "verified": self.verified, "rejected": self.rejected, "first_at": self.first_at,
            "last_at": self.last_at, "hosts": len(self.hosts), "errors": self.errors, "silenced": self.silenced,
        }


def _response(status: int, body: bytes = b"", content_type: str = "application/json") -> bytes:
    reason = {200: "OK", 202: "Accepted", 401: "Unauthorized", 404: "Not Found"}.get(status, "X")
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def handle(state: State, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    peer = writer.get_extra_info("peername")
    local = writer.get_extra_info("sockname")
    if not peer or not ipaddress.ip_address(peer[0]).is_loopback:
        writer.close()
        return
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head.decode("latin-1").split("\r\n")
            method, target, _version = request_line.split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
            parts = urlsplit(target)
            if parts.path.startswith("/_sink/"):
                writer.write(control(state, method, parts.path[7:], parse_qs(parts.query)))
                await writer.drain()
                continue
            if local[0] in state.silent:
                state.silenced += 1
                await asyncio.sleep(3600)  # never answers
                return
            try:
                params = httpsig.check(method, headers, body)
                pem = state.keys.get(params.key_id)
                if pem is None:
                    raise httpsig.SignatureError("unknown key")
                httpsig.verify_with(params, method, parts.path, parts.query, headers, pem)
            except httpsig.SignatureError as exc:
                state.rejected += 1
                reason = type(exc).__name__ + ": " + str(exc)[:60]
                state.errors[reason] = state.errors.get(reason, 0) + 1
                writer.write(_response(401, b'{"error": "bad signature"}'))
            else:
                now = time.time()
                state.verified += 1
                state.first_at = state.first_at or now
                state.last_at = now
                state.hosts[local[0]] = state.hosts.get(local[0], 0) + 1
                writer.write(_response(202))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


def control(state: State, method: str, action: str, query: dict[str, list[str]]) -> bytes:
    if action == "stats":
        return _response(200, json.dumps(state.stats()).encode())
    if action == "reset" and method == "POST":
        state.reset()
        return _response(200, b"{}")
    if action == "silent" and method == "POST":
        state.silent = {h for h in ",".join(query.get("hosts", [""])).split(",") if h}
        return _response(200, json.dumps(sorted(state.silent)).encode())
    return _response(404, b"{}")


async def serve(port: int, keys: dict[str, str]) -> None:
    state = State(keys)
    server = await asyncio.start_server(lambda r, w: handle(state, r, w), "0.0.0.0", port, backlog=2048)  # noqa: S104 (non-loopback peers are closed)
    print(f"sink listening on loopback port {port}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sink")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--keys", required=True, help="JSON file {keyId: public key PEM}")
    args = parser.parse_args(argv)
    with open(args.keys, encoding="utf-8") as handle:
        keys = json.load(handle)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
