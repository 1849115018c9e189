"""The streaming API as a raw ASGI application: health, server-sent events and WebSocket.

Small on purpose: a handful of routes, no framework.  Authentication and channel
checks run in worker threads (they read the database); the event loop only moves
bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from kith.api.streaming import channels as channel_rules
from kith.api.streaming.auth import Credentials, Refused, authenticate, check_channel
from kith.api.streaming.channels import Channel, ChannelError
from kith.api.streaming.hub import Connection, hub, run_db
from kith.api.streaming.source import Delivery
from kith.core import jsonbody

log = logging.getLogger(__name__)

PREFIX = "/api/v1/streaming"
# SSE heartbeat comment, as Mastodon's (proxies drop idle connections).
HEARTBEAT_SECONDS = 15.0

Scope = dict[str, Any]


def _query(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}


def _bearer(headers: dict[str, str]) -> str | None:
    kind, _, value = headers.get("authorization", "").partition(" ")
    if kind.lower() != "bearer":
        return None
    return value.strip() or None


def _path(scope: Scope) -> str:
    path = scope.get("path", "")
    return path.rstrip("/") if len(path) > 1 else path


CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-headers", b"Authorization, Accept, Cache-Control"),
    (b"access-control-allow-methods", b"GET, OPTIONS"),
]


async def _respond(send: Any, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *CORS_HEADERS],
    })
    await send({"type": "http.response.body", "body": body})


async def _error(send: Any, status: int, message: str) -> None:
    await _respond(send, status, json.dumps({"error": message}).encode())


async def application(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await _http(scope, receive, send)
    elif scope["type"] == "websocket":
        await _websocket(scope, receive, send)
    elif scope["type"] == "lifespan":
        await _lifespan(receive, send)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            hub().ensure_started()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await hub().stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


# ---- server-sent events ---------------------------------------------------------------


async def _http(scope: Scope, receive: Any, send: Any) -> None:
    path = _path(scope)
    if scope.get("method") == "OPTIONS":
        await _respond(send, 204, b"", b"text/plain")
        return
    if path == f"{PREFIX}/health":
        await _respond(send, 200, b"OK", b"text/plain; charset=utf-8")
        return
    if not path.startswith(f"{PREFIX}/") or scope.get("method") not in ("GET", "HEAD"):
        await _error(send, 404, "Not found")
        return
    query = _query(scope)
    try:
        channel = channel_rules.parse_sse_path(path[len(PREFIX):], query)
        credentials = await run_db(_authorise, _bearer(_headers(scope)) or query.get("access_token"), channel)
    except ChannelError as exc:
        await _error(send, exc.status, str(exc))
        return
    except Refused as exc:
        await _error(send, exc.status, str(exc))
        return
    await _stream_events(receive, send, credentials, channel)


def _authorise(raw_token: str | None, channel: Channel | None) -> Credentials:
    credentials = authenticate(raw_token)
    if channel is not None:
        check_channel(credentials, channel)
    return credentials


def _sse(delivery: Delivery) -> bytes:
    payload = delivery.payload if delivery.payload is not None else "undefined"
    return f"event: {delivery.event}\ndata: {payload}\n\n".encode()


async def _stream_events(receive: Any, send: Any, credentials: Credentials, channel: Channel) -> None:
    connection = Connection(credentials.person.id, credentials.token_id, credentials.scopes)
    connection.listen(channel)
    streams = hub()
    await streams.add(connection)
    left = asyncio.ensure_future(_until_disconnect(receive, connection))
    try:
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-store"),
                (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
                *CORS_HEADERS,
            ],
        })
        await send({"type": "http.response.body", "body": b":)\n\n", "more_body": True})
        while not connection.closed.is_set():
            delivery = await connection.next(HEARTBEAT_SECONDS)
            if connection.closed.is_set():
                break
            chunk = _sse(delivery) if delivery is not None else b":thump\n\n"
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        with contextlib.suppress(Exception):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        streams.remove(connection)
        left.cancel()


async def _until_disconnect(receive: Any, connection: Connection) -> None:
    while True:
        message = await receive()
        if message["type"] in ("http.disconnect", "websocket.disconnect"):
            connection.close()
            return


# ---- WebSocket ---------------------------------------------------------------------------


async def _websocket(scope: Scope, receive: Any, send: Any) -> None:
    first = await receive()
    if first["type"] != "websocket.connect":
        return
    if _path(scope) != PREFIX:
        await send({"type": "websocket.close", "code": 1008})
        return
    headers, query = _headers(scope), _query(scope)
    # The token may come as the (only) requested subprotocol: browsers cannot set headers.
    protocols = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    raw_token = _bearer(headers) or query.get("access_token") or (protocols[0] if protocols else None)
    try:
        credentials = await run_db(_authorise, raw_token, None)
    except Refused as exc:
        await _deny(scope, send, exc.status, str(exc))
        return
    connection = Connection(credentials.person.id, credentials.token_id, credentials.scopes)
    streams = hub()
    await streams.add(connection)
    writer = asyncio.ensure_future(asyncio.sleep(0))
    try:
        accept: dict[str, Any] = {"type": "websocket.accept"}
        if protocols and raw_token == protocols[0]:
            accept["subprotocol"] = protocols[0]
        await send(accept)
        writer = asyncio.ensure_future(_write_frames(send, connection))
        if query.get("stream"):
            await _subscribe(send, credentials, connection, query)
        while not connection.closed.is_set():
            message = await _receive_or_close(receive, connection)
            if message is None or message["type"] == "websocket.disconnect":
                break
            text = message.get("text") or (message.get("bytes") or b"").decode("utf-8", "replace")
            await _handle_frame(send, credentials, connection, text)
    finally:
        connection.close()
        streams.remove(connection)
        writer.cancel()
        with contextlib.suppress(Exception):
            await send({"type": "websocket.close", "code": 1000})


async def _deny(scope: Scope, send: Any, status: int, message: str) -> None:
    """Refuse the handshake with an HTTP status where the server allows it (else close: 403)."""
    if "websocket.http.response" in scope.get("extensions", {}):
        body = json.dumps({"error": message}).encode()
        await send({
            "type": "websocket.http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        })
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})


async def _receive_or_close(receive: Any, connection: Connection) -> dict[str, Any] | None:
    reader = asyncio.ensure_future(receive())
    closer = asyncio.ensure_future(connection.closed.wait())
    done, _ = await asyncio.wait({reader, closer}, return_when=asyncio.FIRST_COMPLETED)
    closer.cancel()
    if reader in done:
        return reader.result()
    reader.cancel()
    return None


async def _handle_frame(send: Any, credentials: Credentials, connection: Connection, text: str) -> None:
    try:
        message = jsonbody.loads(text)
    except ValueError:
        await _send_error(send, "Invalid JSON", 400)
        return
    if not isinstance(message, dict):
        await _send_error(send, "Invalid message", 400)
        return
    params = {key: str(value) for key, value in message.items() if isinstance(value, (str, int))}
    if message.get("type") == "subscribe":
        await _subscribe(send, credentials, connection, params)
    elif message.get("type") == "unsubscribe":
        try:
            channel = channel_rules.parse(params.get("stream"), tag=params.get("tag"), list_id=params.get("list"))
        except ChannelError as exc:
            await _send_error(send, str(exc), exc.status)
            return
        connection.forget(channel)
    else:
        await _send_error(send, "Unknown message type", 400)


async def _subscribe(send: Any, credentials: Credentials, connection: Connection, params: dict[str, str]) -> None:
    try:
        channel = channel_rules.parse(
            params.get("stream"), tag=params.get("tag"), list_id=params.get("list"), only_media=params.get("only_media")
        )
        await run_db(check_channel, credentials, channel)
    except ChannelError as exc:
        await _send_error(send, str(exc), exc.status)
        return
    except Refused as exc:
        await _send_error(send, str(exc), exc.status)
        return
    connection.listen(channel)


async def _send_error(send: Any, message: str, status: int) -> None:
    await send({"type": "websocket.send", "text": json.dumps({"error": message, "status": status})})


def _frame(delivery: Delivery) -> str:
    frame: dict[str, Any] = {"stream": delivery.channel.stream, "event": delivery.event}
    if delivery.payload is not None:
        frame["payload"] = delivery.payload
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


async def _write_frames(send: Any, connection: Connection) -> None:
    try:
        while not connection.closed.is_set():
            delivery = await connection.next(HEARTBEAT_SECONDS)
            if delivery is not None:
                await send({"type": "websocket.send", "text": _frame(delivery)})
    except Exception:
        connection.close()
