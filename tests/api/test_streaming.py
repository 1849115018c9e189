"""The streaming API against a real pod: `kith serve` starts the streaming server beside the
web, people act through the web pages, and clients listen over SSE (httpx) and WebSocket
(websocket-client, the transport Mastodon.py uses) with tokens from the pod's OAuth consent
page, as a client gets them."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websocket

from tests.harness.pod import Pod, WebSession

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("streaming")]

EVENT_TIMEOUT = 20.0  # generous for a loaded machine; an event normally arrives within a poll (0.5 s)
# How long a stream must stay silent after the member's event to count as "nothing leaked":
# several poll intervals after the event that proves the post was processed.
SILENCE = 2.0


@pytest.fixture(scope="module")
def pod(tmp_path_factory):
    pod = Pod("streaming", tmp_path_factory.mktemp("pod-streaming")).start()
    yield pod
    pod.destroy()


_names = iter(range(1, 10_000))


def people(pod: Pod, *stems: str) -> list[tuple[str, WebSession, str]]:
    """Fresh accounts, signed up through the web pages: (handle, logged-in session, bearer token).
    Each test has its own people, so no test sees another's posts or follows."""
    crowd = []
    for stem in stems:
        web = pod.signup(f"{stem}{next(_names)}")
        crowd.append((f"{web.username}@{pod.domain}", web, web.bearer_token()))
    return crowd


class SSE:
    """Reads one server-sent-events stream in a thread; events land in a queue."""

    def __init__(self, pod: Pod, path: str, token: str) -> None:
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.opened = threading.Event()
        self.status: int | None = None
        self._stop = threading.Event()
        self._client = httpx.Client(base_url=pod.streaming_url, timeout=httpx.Timeout(5, read=None))
        self._thread = threading.Thread(target=self._read, args=(path, token), daemon=True)
        self._thread.start()
        assert self.opened.wait(EVENT_TIMEOUT), "the stream did not open"
        assert self.status == 200, f"the stream answered {self.status}"

    def _read(self, path: str, token: str) -> None:
        with contextlib.suppress(httpx.HTTPError), self._client.stream(
            "GET", path, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            self.status = response.status_code
            event = None
            for line in response.iter_lines():
                if line == ":)":
                    self.opened.set()  # the server registered us before sending this
                if self._stop.is_set():
                    return
                if line.startswith("event: "):
                    event = line[len("event: "):]
                elif line.startswith("data: ") and event:
                    self.events.put((event, line[len("data: "):]))
                    event = None
        self.opened.set()

    def next(self, timeout: float = EVENT_TIMEOUT) -> tuple[str, Any]:
        event, data = self.events.get(timeout=timeout)
        return event, (data if event == "delete" else json.loads(data))

    def wait_for(self, matches: Callable[[str, Any], bool], timeout: float = EVENT_TIMEOUT) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event, payload = self.next(left)
            except queue.Empty:
                break
            if matches(event, payload):
                return event, payload
        raise AssertionError(f"no matching event within {timeout}s")

    def received(self) -> list[tuple[str, str]]:
        got = []
        while True:
            try:
                got.append(self.events.get_nowait())
            except queue.Empty:
                return got

    def close(self) -> None:
        self._stop.set()
        self._client.close()


@pytest.fixture
def streams():
    opened: list[SSE] = []

    def open_stream(pod: Pod, path: str, token: str) -> SSE:
        opened.append(SSE(pod, path, token))
        return opened[-1]

    yield open_stream
    for stream in opened:
        stream.close()


def is_update_of(text: str) -> Callable[[str, Any], bool]:
    return lambda event, payload: event == "update" and text in payload["content"]


def test_streaming_url_defaults(monkeypatch):
    from kith.config import ConfigError, parse_streaming

    monkeypatch.delenv("KITH_STREAMING_PORT", raising=False)
    monkeypatch.delenv("KITH_STREAMING_URL", raising=False)
    assert parse_streaming(8000, "http://localhost:8000", "http") == (8001, "ws://localhost:8001")
    # Behind TLS the proxy routes the streaming paths: the pod's own origin.
    assert parse_streaming(8000, "https://pod.example", "https") == (8001, "wss://pod.example")
    monkeypatch.setenv("KITH_STREAMING_PORT", "4000")
    monkeypatch.setenv("KITH_STREAMING_URL", "wss://streaming.pod.example/")
    assert parse_streaming(8000, "https://pod.example", "https") == (4000, "wss://streaming.pod.example")
    monkeypatch.setenv("KITH_STREAMING_URL", "ftp://pod.example")
    with pytest.raises(ConfigError):
        parse_streaming(8000, "https://pod.example", "https")


def test_health_and_refusals(pod):
    assert httpx.get(f"{pod.streaming_url}/api/v1/streaming/health").text == "OK"
    # On the web host, the streaming paths point to the streaming server (as Mastodon's do).
    moved = httpx.get(f"{pod.url}/api/v1/streaming/hashtag?tag=kith")
    assert moved.status_code == 301
    assert moved.headers["location"] == f"{pod.streaming_url}/api/v1/streaming/hashtag?tag=kith"
    (_handle, web, bearer), (_other, other_web, _) = people(pod, "refused", "lister")
    missing = httpx.get(f"{pod.streaming_url}/api/v1/streaming/user")
    assert missing.status_code == 401
    assert missing.json() == {"error": "Missing access token"}
    invalid = httpx.get(f"{pod.streaming_url}/api/v1/streaming/user", headers={"Authorization": "Bearer nope"})
    assert invalid.status_code == 401
    assert invalid.json() == {"error": "Invalid access token"}
    # A token without read:statuses may not read a timeline.
    narrow = web.bearer_token("read:notifications")
    scoped = httpx.get(f"{pod.streaming_url}/api/v1/streaming/public", headers={"Authorization": f"Bearer {narrow}"})
    assert scoped.status_code == 401
    unknown = httpx.get(f"{pod.streaming_url}/api/v1/streaming/nothing", headers={"Authorization": f"Bearer {bearer}"})
    assert unknown.status_code == 400
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"{pod.websocket_url}?stream=user&access_token=nope", timeout=10)
    assert refused.value.status_code == 401
    # Someone else's list answers like a list that does not exist.
    their_list = other_web.create_aspect("Close friends")
    foreign = httpx.get(f"{pod.streaming_url}/api/v1/streaming/list?list={their_list}",
                        headers={"Authorization": f"Bearer {bearer}"})
    assert foreign.status_code == 404


def test_user_stream_gets_followed_posts_and_notifications(pod, streams):
    (author, author_web, _), (reader, reader_web, reader_token) = people(pod, "author", "reader")
    reader_web.follow(author)
    home = streams(pod, "/api/v1/streaming/user", reader_token)

    post_id = author_web.publish("Live from the pod, a post for my followers")
    event, status = home.wait_for(is_update_of("a post for my followers"))
    assert status["id"] == str(post_id)
    assert status["account"]["acct"] == author.split("@")[0]
    assert status["visibility"] == "public"
    assert status["favourited"] is False  # rendered for the reader

    author_web.follow(reader)
    event, notification = home.wait_for(lambda event, payload: event == "notification")
    assert notification["type"] == "follow"
    assert notification["account"]["acct"] == author.split("@")[0]


def test_hashtag_stream(pod, streams):
    (_author, author_web, _), (_reader, _web, token) = people(pod, "tagger", "tagreader")
    tagged = streams(pod, "/api/v1/streaming/hashtag?tag=LiveTag", token)

    author_web.publish("Nothing tagged in this one")
    post_id = author_web.publish("Now with #livetag in it")
    event, status = tagged.next()
    assert event == "update"
    assert status["id"] == str(post_id)
    assert [tag["name"] for tag in status["tags"]] == ["livetag"]


def test_websocket_user_and_public_updates_and_delete(pod):
    (author, author_web, _), (_reader, reader_web, token) = people(pod, "wsauthor", "wsreader")
    reader_web.follow(author)
    socket = websocket.create_connection(
        pod.websocket_url, header=[f"Authorization: Bearer {token}"], timeout=EVENT_TIMEOUT
    )
    try:
        socket.send(json.dumps({"type": "subscribe", "stream": "user"}))
        socket.send(json.dumps({"type": "subscribe", "stream": "public"}))
        socket.send(json.dumps({"type": "subscribe", "stream": "nonsense"}))
        assert json.loads(socket.recv()) == {"error": "Unknown stream type", "status": 400}
        time.sleep(0.3)  # the subscriptions are handled in order; this one answered last

        post_id = author_web.publish("Over the socket")
        frames = [json.loads(socket.recv()) for _ in range(2)]
        assert sorted(frame["stream"][0] for frame in frames) == ["public", "user"]
        for frame in frames:
            assert frame["event"] == "update"
            assert json.loads(frame["payload"])["id"] == str(post_id)

        author_web.delete(post_id)
        deletions = [json.loads(socket.recv()) for _ in range(2)]
        assert sorted(frame["stream"][0] for frame in deletions) == ["public", "user"]
        assert {(frame["event"], frame["payload"]) for frame in deletions} == {("delete", str(post_id))}

        # Unsubscribed from public: the next post arrives on the user stream only.
        socket.send(json.dumps({"type": "unsubscribe", "stream": "public"}))
        time.sleep(0.3)
        post_id = author_web.publish("Only for home now")
        frame = json.loads(socket.recv())
        assert frame["stream"] == ["user"]
        assert json.loads(frame["payload"])["id"] == str(post_id)
        socket.settimeout(SILENCE)
        with pytest.raises(websocket.WebSocketTimeoutException):
            socket.recv()
    finally:
        socket.close()


def test_limited_post_reaches_its_audience_only(pod, streams):
    crowd = people(pod, "limited", "member", "outsider")
    (author, author_web, _), (member, member_web, member_token), (_outsider, outsider_web, outsider_token) = crowd
    # Both follow the author; only the member is in the aspect the post goes to.
    member_web.follow(author)
    outsider_web.follow(author)
    friends = author_web.create_aspect("Friends")
    author_web.add_to_aspect(friends, member)
    member_home = streams(pod, "/api/v1/streaming/user", member_token)
    outsider_home = streams(pod, "/api/v1/streaming/user", outsider_token)
    outsider_public = streams(pod, "/api/v1/streaming/public", outsider_token)

    post_id = author_web.publish("Only my friends may read this", audience=f"aspect:{friends}")
    _event, status = member_home.wait_for(is_update_of("Only my friends may read this"))
    assert status["id"] == str(post_id)
    assert status["visibility"] == "private"
    author_web.delete(post_id)
    event, deleted = member_home.wait_for(lambda event, payload: event == "delete")
    assert deleted == str(post_id)

    time.sleep(SILENCE)
    leaked = [item for item in outsider_home.received() + outsider_public.received() if str(post_id) in item[1]]
    assert leaked == []


def test_block_stops_the_authors_stream(pod, streams):
    crowd = people(pod, "blocked", "blocker", "bystander")
    (author, author_web, _), (_blocker, blocker_web, blocker_token), (_bystander, _web, bystander_token) = crowd
    blocker_web.relate(author, "block")
    blocker_public = streams(pod, "/api/v1/streaming/public/local", blocker_token)
    bystander_public = streams(pod, "/api/v1/streaming/public/local", bystander_token)

    post_id = author_web.publish("Posted by someone who was blocked")
    _event, status = bystander_public.wait_for(is_update_of("someone who was blocked"))
    assert status["id"] == str(post_id)
    time.sleep(SILENCE)
    assert [item for item in blocker_public.received() if str(post_id) in item[1]] == []


def test_list_stream_carries_members_posts(pod, streams):
    crowd = people(pod, "listowner", "listmember", "nonmember")
    (_owner, owner_web, owner_token), (member, member_web, _), (other, other_web, _) = crowd
    owner_web.follow(other)
    close = owner_web.create_aspect("Close")
    owner_web.add_to_aspect(close, member)  # sharing with them also follows them
    listed = streams(pod, f"/api/v1/streaming/list?list={close}", owner_token)

    other_web.publish("From someone outside the list")
    post_id = member_web.publish("From inside the list")
    event, status = listed.next()
    assert (event, status["id"]) == ("update", str(post_id))
