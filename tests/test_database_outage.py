"""Acceptance (issue 12): the database briefly unavailable.  Requests fail cleanly (503 with a
short message and Retry-After, never a 500 traceback), nothing is half-written, and the pod
recovers by itself when the database is back: requests work, the worker goes on, no outbox
event is lost.

Done for real, on a running pod.  On PostgreSQL the pod reaches its database through a TCP
proxy in the test, which is cut (every connection closed, new ones refused) and restored.  On
SQLite the test holds the database's write lock (an exclusive transaction) for longer than the
pod waits for it (KITH_DATABASE_TIMEOUT_SECONDS), then lets go.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from tests.harness import Pod
from tests.harness.pod import wait_until

pytestmark = pytest.mark.server

WAIT_SECONDS = 2  # KITH_DATABASE_TIMEOUT_SECONDS: how long the pod waits for its database


class TcpProxy:
    """A loopback TCP proxy that can be cut (connections closed, new ones refused) and restored."""

    def __init__(self, target: tuple[str, int], address: str = "127.0.0.31") -> None:
        self.target = target
        self.address = address
        self.port = 0
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.accepted = 0
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.address, self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and break every open one (as a database restart or a network cut)."""
        listener, self.listener = self.listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self.lock:
            connections, self.connections = self.connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.accepted += 1
                self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@dataclass
class Answer:
    what: str
    status: int | None
    retry_after: str | None
    body: str
    seconds: float


@pytest.fixture
def pod(tmp_path) -> Iterator[tuple[Pod, Callable[[], contextlib.AbstractContextManager]]]:
    pod = Pod("outage", tmp_path / "pod", host="127.0.0.32", KITH_API_RATE_LIMIT="0",
              KITH_DATABASE_TIMEOUT_SECONDS=str(WAIT_SECONDS))
    proxy: TcpProxy | None = None
    if pod.database_url:
        direct = urlsplit(pod.database_url)
        proxy = TcpProxy((direct.hostname or "127.0.0.1", direct.port or 5432))
        pod.extra_env["KITH_DATABASE_URL"] = direct._replace(netloc=f"{direct.username}@{proxy.address}:{proxy.port}").geturl()

    @contextlib.contextmanager
    def outage() -> Iterator[None]:
        if proxy is not None:
            proxy.cut()
            try:
                yield
            finally:
                proxy.restore()
            return
        holder = sqlite3.connect(pod.sqlite_path, isolation_level=None, timeout=30)
        try:
            holder.execute("BEGIN EXCLUSIVE")  # the write lock (readers go on: WAL)
            try:
                yield
            finally:
                holder.execute("ROLLBACK")
        finally:
            holder.close()

    try:
        pod.start()
        yield pod, outage
    finally:
        pod.destroy()
        if proxy is not None:
            proxy.cut()


def _ask(what: str, call: Callable[[], httpx.Response]) -> Answer:
    began = time.monotonic()
    try:
        response = call()
    except httpx.HTTPError as error:
        return Answer(what, None, None, repr(error), time.monotonic() - began)
    return Answer(what, response.status_code, response.headers.get("retry-after"), response.text[:300],
                  time.monotonic() - began)


def test_requests_fail_cleanly_while_the_database_is_away_and_the_pod_recovers_by_itself(pod):
    pod, outage = pod
    alice_web = pod.signup("alice")
    pod.signup("erin").follow(f"alice@{pod.domain}")
    tokens = pod.tokens("alice", "erin")
    api = httpx.Client(base_url=pod.url, headers={"Authorization": f"Bearer {tokens['alice']}"}, timeout=60)
    before = api.post("/api/v1/statuses", json={"status": "before the outage"}, headers={"Idempotency-Key": "k0"})
    assert before.status_code == 200, before.text
    wait_until(lambda: pod.query("SELECT count(*) FROM core_pendingevent") == [(0,)], message="the post's events")

    requests: dict[str, Callable[[], httpx.Response]] = {
        "API post": lambda: api.post("/api/v1/statuses", json={"status": "during the outage"},
                                     headers={"Idempotency-Key": "k1"}),
        "web post": lambda: alice_web.post("/posts", {"text": "posted from the web during the outage",
                                                       "content_warning": "", "audience": ["public"], "people": ""},
                                           expect_redirect=False),
        "API read": lambda: api.get("/api/v1/timelines/home"),
        "web read": lambda: alice_web.client.get("/"),
        "profile": lambda: httpx.get(f"{pod.url}/@alice", timeout=60),
        "actor": lambda: httpx.get(f"{pod.url}/users/alice", headers={"Accept": "application/activity+json"}, timeout=60),
    }
    answers: list[Answer] = []
    began = time.monotonic()
    with outage():
        threads = [threading.Thread(target=lambda w=what, c=call: answers.append(_ask(w, c))) for what, call in requests.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Later in the outage (connections the pod keeps were found broken): still a clean 503.
        time.sleep(max(0.0, WAIT_SECONDS - (time.monotonic() - began)))
        answers.append(_ask("API post later", requests["API post"]))
    outage_seconds = time.monotonic() - began

    by_name = {answer.what: answer for answer in answers}
    assert all(answer.status is not None and answer.status != 500 for answer in answers), answers
    for what in ("API post", "web post", "API post later"):
        answer = by_name[what]
        assert answer.status == 503, answer
        assert (answer.retry_after or "").isdigit(), answer
        assert "Traceback" not in answer.body, answer
        assert len(answer.body) < 3000, answer
    assert by_name["API post"].body.startswith('{"error":'), by_name["API post"]
    for answer in answers:
        assert answer.status in (200, 302, 303, 503), answer  # served from what is readable, or 503
        assert answer.seconds < 3 * WAIT_SECONDS + 5, answer  # nobody hangs

    # Back: the same requests work at once, with nothing of the failed ones half-written.
    recovered_in = time.monotonic()
    again = api.post("/api/v1/statuses", json={"status": "during the outage"}, headers={"Idempotency-Key": "k1"})
    recovered_in = time.monotonic() - recovered_in
    assert again.status_code == 200, again.text
    alice_web.post("/posts", {"text": "posted from the web during the outage", "content_warning": "",
                              "audience": ["public"], "people": ""})
    after = api.post("/api/v1/statuses", json={"status": "after the outage"}, headers={"Idempotency-Key": "k2"})
    assert after.status_code == 200, after.text
    texts = ["before the outage", "during the outage", "posted from the web during the outage", "after the outage"]
    assert sorted(text for (text,) in pod.query("SELECT source FROM social_post")) == sorted(texts)

    # The worker went on: every event of every post consumed, erin's stream complete.
    wait_until(lambda: pod.query("SELECT count(*) FROM core_pendingevent") == [(0,)], timeout=60,
               message="the outbox to drain after the outage")
    home = httpx.get(f"{pod.url}/api/v1/timelines/home", headers={"Authorization": f"Bearer {tokens['erin']}"},
                     timeout=20).json()
    assert sorted(status["content"].strip() for status in home) == sorted(f"<p>{text}</p>" for text in texts)

    print(  # noqa: T201 - the figures the issue asks for
        f"\ndatabase outage ({'PostgreSQL behind a cut proxy' if pod.database_url else 'SQLite write lock held'}, "
        f"{outage_seconds:.1f} s): "
        + "; ".join(f"{a.what} {a.status} in {a.seconds:.1f} s" + (f" (Retry-After {a.retry_after})" if a.retry_after else "")
                    for a in sorted(answers, key=lambda a: a.what))
        + f"; first write after it answered in {recovered_in:.2f} s"
    )
