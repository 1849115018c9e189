"""A small HTTP/1.1 load generator: asyncio over raw sockets, kept-alive connections.

    python -m bench.load --url http://127.0.0.1:8000/api/v1/timelines/home \
        --header "Authorization: Bearer T" --connections 16 --duration 10 --warmup 2
    python -m bench.load --requests FILE --connections 16     (each prepared request once)

Closed loop: each connection sends its next request when the answer to the last one
has arrived, so the rate is what the server sustains at that concurrency.  Prints one
JSON object: requests counted (after the warm-up), statuses, throughput, latency
percentiles in milliseconds and the generator's own CPU time.  Its CPU share tells
whether it, rather than the server, was the limit (docs/performance.md): httpx or
aiohttp would spend several times more CPU per request.

A request file is JSON lines: {"method", "path", "headers": {..}, "body": "<text>"}.
A body may contain "{n}", replaced by a running number (unique post texts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from urllib.parse import urlsplit


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def summarise(latencies: list[float], statuses: dict[int, int], seconds: float, cpu: float, errors: int) -> dict:
    ordered = sorted(latencies)
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    return {
        "requests": len(ordered),
        "ok": ok,
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(seconds, 3),
        "throughput": round(ok / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 2),
        "p90_ms": round(percentile(ordered, 0.90) * 1000, 2),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2) if ordered else float("nan"),
        "generator_cpu_seconds": round(cpu, 3),
        "generator_cpu_share": round(cpu / seconds, 3) if seconds > 0 else 0.0,
    }


def build_request(method: str, host: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response; returns its status.  Handles Content-Length and chunked bodies."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    length_at = lowered.find(b"\r\ncontent-length:")
    if length_at >= 0:
        end = lowered.index(b"\r\n", length_at + 2)
        length = int(lowered[length_at + 17:end])
        if length:
            await reader.readexactly(length)
    elif b"\r\ntransfer-encoding: chunked" in lowered:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


class Source:
    """Where requests come from: one template repeated (with {n}), or a prepared list sent once."""

    def __init__(self, templates: list[tuple[str, str, dict[str, str], str]], host: str, once: bool) -> None:
        self.templates = templates
        self.host = host
        self.once = once
        self.n = 0

    def next(self) -> bytes | None:
        if self.once and self.n >= len(self.templates):
            return None
        method, path, headers, body = self.templates[self.n % len(self.templates)]
        self.n += 1
        if "{n}" in body:
            body = body.replace("{n}", f"{os.getpid()}-{self.n}-{time.time_ns()}")
        return build_request(method, self.host, path, headers, body.encode())


async def connection_loop(address: tuple[str, int], source: Source, deadline: float, warm_until: float,
                          latencies: list[float], statuses: dict[int, int], failures: list[int]) -> None:
    reader = writer = None
    while time.perf_counter() < deadline:
        request = source.next()
        if request is None:
            break
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(*address)
            started = time.perf_counter()
            writer.write(request)
            status = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            failures[0] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
            continue
        finished = time.perf_counter()
        if started >= warm_until:
            latencies.append(finished - started)
            statuses[status] = statuses.get(status, 0) + 1
    if writer is not None:
        writer.close()


async def run(address: tuple[str, int], source: Source, connections: int, duration: float, warmup: float) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures = [0]
    cpu_before = time.process_time()
    start = time.perf_counter()
    warm_until = start + warmup
    deadline = warm_until + duration
    await asyncio.gather(*(
        connection_loop(address, source, deadline, warm_until, latencies, statuses, failures)
        for _ in range(connections)
    ))
    end = time.perf_counter()
    measured = end - max(start, warm_until) if not source.once else end - start
    return summarise(latencies, statuses, measured, time.process_time() - cpu_before, failures[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL (with the path when --requests is not given)")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--header", action="append", default=[], help="'Name: value' (repeatable)")
    parser.add_argument("--body", default="", help="request body ({n} becomes a unique number)")
    parser.add_argument("--requests", help="JSON-lines file of prepared requests, each sent once")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured (after the warm-up)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds sent but not counted")
    args = parser.parse_args(argv)
    parts = urlsplit(args.url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    if args.requests:
        templates = []
        with open(args.requests, encoding="utf-8") as handle:
            for line in handle:
                item = json.loads(line)
                templates.append((item["method"], item["path"], item["headers"], item.get("body", "")))
        source = Source(templates, parts.netloc, once=True)
        args.warmup = 0.0
        args.duration = 3600.0
    else:
        headers = dict(h.split(":", 1) for h in args.header)
        headers = {k.strip(): v.strip() for k, v in headers.items()}
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        source = Source([(args.method, path or "/", headers, args.body)], parts.netloc, once=False)
    result = asyncio.run(run(address, source, args.connections, args.duration, args.warmup))
    result["connections"] = args.connections
    result["generator_max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
