"""Outbound delivery against real loopback servers: signed, retried, per-host health, leases."""

from __future__ import annotations

import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.utils import timezone

from kith.federation import delivery, httpsig
from kith.federation.activitypub import uris
from kith.federation.delivery import (
    HOST_FAILURE_THRESHOLD,
    LEASE,
    MAX_ATTEMPTS,
    claim_due,
    deliver_due,
    drop_deliveries,
    enqueue_deliveries,
    probe_window,
    sweep_deliveries,
)
from kith.federation.keys import instance_key
from kith.federation.models import Delivery, DeliveryState, HostHealth, InstanceKey
from kith.jobs import huey
from kith.people.keys import generate_pem_pair, key_for
from kith.people.models import PersonKey
from tests import factories

AP = "application/activity+json"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    key_id: str | None  # the key whose signature verified, or None
    error: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection pool is exercised

    def log_message(self, *args):
        pass

    def do_POST(self):
        sink: Sink = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        path, _, query = self.path.partition("?")
        key_id, error = None, ""
        try:
            params = httpsig.parse_signature_header(headers.get("signature", ""))
            httpsig.verify("POST", path, query, headers, body, sink.keys[params.key_id])
            key_id = params.key_id
        except (httpsig.SignatureError, KeyError) as exc:
            error = str(exc)
        with sink.lock:
            sink.in_flight += 1
            sink.max_in_flight = max(sink.max_in_flight, sink.in_flight)
        if sink.delay:
            time.sleep(sink.delay)
        with sink.lock:
            sink.in_flight -= 1
            sink.received.append(Received(path, headers, body, key_id, error))
            script = sink.script[path]
            status, extra = script.pop(0) if script else sink.default
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Sink(ThreadingHTTPServer):
    """An inbox server on its own loopback address that checks signatures and records what came."""

    daemon_threads = True

    def __init__(self, address: str, keys: dict[str, str], port: int = 0) -> None:
        super().__init__((address, port), _Handler)
        self.keys = keys
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.script: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
        self.default: tuple[int, dict[str, str]] = (202, {})
        self.delay = 0.0
        self.in_flight = self.max_in_flight = 0

    @property
    def host(self) -> str:
        return f"{self.server_address[0]}:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def paths(self) -> list[str]:
        return sorted(r.path for r in self.received)


@pytest.fixture(autouse=True)
def _federation(settings):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    # The stand-in inboxes answer from threads of this process: on a loaded machine one can take
    # seconds to be scheduled, and a request that times out is retried later, not sent now.
    settings.KITH_DELIVERY_TIMEOUT_SECONDS = 30.0
    huey.flush()  # no wake-up markers or scheduled jobs from earlier tests
    yield
    huey.flush()


@pytest.fixture(scope="session")
def _pem_pairs() -> list[tuple[str, str]]:
    return [generate_pem_pair() for _ in range(2)]  # made once: 2048-bit generation is slow


@pytest.fixture
def keys(alice, _pem_pairs) -> dict[str, str]:
    """Alice's and the instance actor's public keys by key id (stored keys, reused across tests)."""
    (alice_public, alice_private), (pod_public, pod_private) = _pem_pairs
    PersonKey.objects.create(person=alice, public_key_pem=alice_public, private_key_pem=alice_private)
    InstanceKey.objects.create(id=1, public_key_pem=pod_public, private_key_pem=pod_private)
    assert key_for(alice).public_key_pem == alice_public
    assert instance_key().public_key_pem == pod_public
    return {uris.key_id("alice"): alice_public, uris.instance_key_id(): pod_public}


@pytest.fixture
def make_sink(keys):
    sinks: list[Sink] = []

    def make(address: str = "127.0.0.2", port: int = 0) -> Sink:
        sink = Sink(address, keys, port)
        threading.Thread(target=sink.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.shutdown()
        sink.server_close()


@pytest.fixture
def silent_host(settings):
    """Accepts TCP connections (the kernel does) and never answers; a request to it times out in 1 s."""
    settings.KITH_DELIVERY_TIMEOUT_SECONDS = 1.0
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.3", 0))
    listener.listen(64)
    yield f"127.0.0.3:{listener.getsockname()[1]}"
    listener.close()


def _send(inboxes, *, signer, uri="http://testserver/users/alice/posts/1/activity", subject="post:1", body=None):
    return enqueue_deliveries(
        protocol="activitypub", activity_uri=uri, body=body or f'{{"id":"{uri}"}}'.encode(),
        content_type=AP, inboxes=inboxes, signer=signer, subject=subject,
    )


def _row(inbox: str, uri: str = "http://testserver/users/alice/posts/1/activity") -> Delivery:
    return Delivery.objects.get(inbox=inbox, activity_uri=uri)


# ---- enqueueing and a plain send -------------------------------------------------------------


def test_one_activity_to_three_inboxes_on_two_hosts(alice, make_sink):
    one, two = make_sink("127.0.0.2"), make_sink("127.0.0.4")
    inboxes = [one.url("/users/a/inbox"), one.url("/users/b/inbox"), two.url("/inbox")]

    assert _send([*inboxes, inboxes[0], f" {inboxes[2]} "], signer=alice) == 3

    assert sorted(Delivery.objects.values_list("host", flat=True)) == sorted([one.host, one.host, two.host])
    stats = deliver_due()
    assert (stats.sent, stats.requests, stats.retried, stats.failed) == (3, 3, 0, 0)
    assert one.paths() == ["/users/a/inbox", "/users/b/inbox"]
    assert two.paths() == ["/inbox"]
    for received in one.received + two.received:
        assert received.key_id == uris.key_id("alice"), received.error
        assert received.headers["content-type"] == AP
        assert received.body == b'{"id":"http://testserver/users/alice/posts/1/activity"}'
        assert "content-type" in received.headers["signature"]
    rows = Delivery.objects.all()
    assert {row.state for row in rows} == {DeliveryState.SENT}
    assert {(row.attempts, row.last_status, bytes(row.body)) for row in rows} == {(1, 202, b"")}
    assert all(row.sent_at and row.claimed_until is None for row in rows)
    assert deliver_due().requests == 0  # nothing is sent twice


def test_repeat_enqueue_makes_no_new_rows(alice, make_sink):
    sink = make_sink()
    first = [sink.url("/a"), sink.url("/b")]
    assert _send(first, signer=alice) == 2
    assert _send(first, signer=alice) == 0
    assert _send([*first, sink.url("/c")], signer=alice) == 1
    assert Delivery.objects.count() == 3
    deliver_due()
    assert sink.paths() == ["/a", "/b", "/c"]


def test_instance_actor_signs_when_there_is_no_signer(alice, make_sink):
    sink = make_sink()
    _send([sink.url("/inbox")], signer=None)
    deliver_due()
    assert [r.key_id for r in sink.received] == [uris.instance_key_id()]


def test_remote_signer_is_refused(db):
    remote = factories.remote_person("zed")
    with pytest.raises(ValueError, match="local"):
        _send(["https://remote.example/inbox"], signer=remote)


def test_sending_starts_when_the_transaction_commits(alice, make_sink, django_capture_on_commit_callbacks):
    sink = make_sink()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _send([sink.url("/inbox")], signer=alice)
        assert sink.received == []
    assert len(callbacks) == 1
    assert sink.paths() == ["/inbox"]
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_unusable_inboxes_are_skipped(alice):
    assert _send(["", "ftp://x.example/inbox", "https:///inbox", "https://x.example:99999/inbox"], signer=alice) == 0
    assert Delivery.objects.count() == 0


# ---- answers and retries ---------------------------------------------------------------------


def test_server_error_is_retried_with_backoff(alice, make_sink):
    sink = make_sink()
    sink.script["/inbox"] = [(500, {})]
    _send([sink.url("/inbox")], signer=alice)
    start = timezone.now()

    stats = deliver_due(now=start)

    assert (stats.requests, stats.retried, stats.sent) == (1, 1, 0)
    row = Delivery.objects.get()
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.PENDING, 1, 500)
    assert start + timedelta(seconds=24) <= row.next_attempt_at <= start + timedelta(seconds=36)
    assert row.claimed_until is None
    assert HostHealth.objects.get(host=sink.host).consecutive_failures == 1

    assert deliver_due(now=start + timedelta(seconds=20)).requests == 0  # not due yet

    stats = deliver_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert (stats.sent, row.state, row.attempts, row.last_status) == (1, DeliveryState.SENT, 2, 202)
    assert len(sink.received) == 2
    health = HostHealth.objects.get(host=sink.host)
    assert (health.consecutive_failures, health.unavailable_until) == (0, None)
    assert health.last_success_at == row.next_attempt_at


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
def test_client_errors_fail_without_retry(alice, make_sink, status):
    sink = make_sink()
    sink.default = (status, {})
    _send([sink.url("/inbox")], signer=alice)
    start = timezone.now()

    assert deliver_due(now=start).failed == 1

    row = Delivery.objects.get()
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.FAILED, 1, status)
    assert deliver_due(now=start + timedelta(days=1)).requests == 0
    assert len(sink.received) == 1
    assert not HostHealth.objects.filter(host=sink.host, consecutive_failures__gt=0).exists()


def test_unauthorized_is_retried_once(alice, make_sink):
    sink = make_sink()
    sink.default = (401, {})
    _send([sink.url("/inbox")], signer=alice)
    start = timezone.now()

    deliver_due(now=start)
    row = Delivery.objects.get()
    assert (row.state, row.attempts) == (DeliveryState.PENDING, 1)

    deliver_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.FAILED, 2, 401)
    assert len(sink.received) == 2


def test_too_many_requests_honours_retry_after_for_the_whole_host(alice, make_sink):
    sink = make_sink()
    sink.delay = 0.05
    sink.script["/a"] = [(429, {"Retry-After": "120"})]
    inboxes = [sink.url(f"/{name}") for name in "abcdefghij"]
    _send(inboxes, signer=alice)
    start = timezone.now()

    deliver_due(now=start)

    limited = _row(sink.url("/a"))
    assert (limited.state, limited.attempts, limited.last_status) == (DeliveryState.PENDING, 1, 429)
    assert limited.next_attempt_at == start + timedelta(seconds=120)
    # Rows still waiting for the host when it said 429 wait as long (the ones already in flight went).
    waiting = Delivery.objects.filter(state=DeliveryState.PENDING).exclude(id=limited.id)
    assert waiting.exists()
    assert {(row.attempts, row.next_attempt_at) for row in waiting} == {(0, start + timedelta(seconds=120))}
    assert len(sink.received) + waiting.count() == 10
    assert not HostHealth.objects.filter(host=sink.host, consecutive_failures__gt=0).exists()  # it is up

    deliver_due(now=start + timedelta(seconds=120))
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_gives_up_after_the_last_attempt(alice, make_sink):
    sink = make_sink()
    sink.default = (503, {})
    _send([sink.url("/inbox")], signer=alice)
    Delivery.objects.update(attempts=MAX_ATTEMPTS - 1)

    deliver_due()

    row = Delivery.objects.get()
    assert (row.state, row.attempts) == (DeliveryState.FAILED, MAX_ATTEMPTS)
    assert row.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")


def test_rows_older_than_the_retry_span_fail_unsent(alice, make_sink):
    sink = make_sink()
    _send([sink.url("/inbox")], signer=alice)
    Delivery.objects.update(created_at=timezone.now() - timedelta(days=6))

    stats = deliver_due()

    assert (stats.expired, stats.requests) == (1, 0)
    assert Delivery.objects.get().state == DeliveryState.FAILED
    assert sink.received == []


def test_connection_refused_is_retried_and_counted_against_the_host(alice):
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.5", 0))
    host = f"127.0.0.5:{probe.getsockname()[1]}"
    probe.close()  # nothing listens there now
    _send([f"http://{host}/inbox"], signer=alice)

    assert deliver_due().retried == 1

    row = Delivery.objects.get()
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.PENDING, 1, None)
    assert "ConnectError" in row.last_error
    assert HostHealth.objects.get(host=host).consecutive_failures == 1


def test_a_host_that_takes_deliveries_again_gets_what_it_refused_at_once(alice, make_sink):
    """A pod too busy to take a connection refuses one delivery (an Accept, say) and takes the
    next (a post): the refused one goes in the same run, not half a minute after the post."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.6", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there yet
    host = f"127.0.0.6:{port}"
    _send([f"http://{host}/inbox"], signer=alice, uri="act:accept")
    assert deliver_due().retried == 1
    refused = _row(f"http://{host}/inbox", "act:accept")
    assert (refused.attempts, refused.last_status) == (1, None)
    assert refused.next_attempt_at > timezone.now() + timedelta(seconds=20)

    sink = make_sink("127.0.0.6", port)
    # A row the host did answer, with an error: the error may be the row's, so it keeps its backoff.
    _send([sink.url("/inbox")], signer=alice, uri="act:answered")
    later = timezone.now() + timedelta(minutes=5)
    Delivery.objects.filter(activity_uri="act:answered").update(attempts=1, last_status=500, next_attempt_at=later)
    _send([sink.url("/inbox")], signer=alice, uri="act:create")

    stats = deliver_due()

    assert stats.sent == 2
    assert _row(sink.url("/inbox"), "act:accept").state == DeliveryState.SENT
    assert [r.body for r in sink.received] == [b'{"id":"act:create"}', b'{"id":"act:accept"}']
    waiting = _row(sink.url("/inbox"), "act:answered")
    assert (waiting.state, waiting.next_attempt_at) == (DeliveryState.PENDING, later)
    assert HostHealth.objects.get(host=host).consecutive_failures == 0


def test_private_inbox_is_refused_for_good_without_the_setting(alice, make_sink, settings):
    sink = make_sink()
    _send([sink.url("/inbox")], signer=alice)
    settings.KITH_ALLOW_PRIVATE_FEDERATION = False

    deliver_due()

    row = Delivery.objects.get()
    assert (row.state, row.attempts) == (DeliveryState.FAILED, 1)
    assert sink.received == []
    assert not HostHealth.objects.exists()


def test_a_protocol_without_a_sender_waits(alice, make_sink):
    sink = make_sink()
    enqueue_deliveries(
        protocol="carrier-pigeon", activity_uri="guid:1", body=b"coo", content_type="text/plain",
        inboxes=[sink.url("/inbox")], signer=alice,
    )
    start = timezone.now()
    assert deliver_due(now=start).deferred == 1
    row = Delivery.objects.get()
    assert (row.state, row.attempts, row.next_attempt_at) == (DeliveryState.PENDING, 0, start + delivery.NO_SENDER_DELAY)


# ---- slow and dead hosts ---------------------------------------------------------------------


def test_a_silent_host_does_not_hold_up_a_healthy_one(alice, make_sink, silent_host):
    healthy = make_sink()
    inboxes = [healthy.url(f"/users/u{n}/inbox") for n in range(20)]
    inboxes += [f"http://{silent_host}/users/s{n}/inbox" for n in range(6)]
    _send(inboxes, signer=alice)

    stats = deliver_due()

    # All healthy deliveries went out in this one call.  The silent host got one request (slow
    # start: one at a time until a host has answered), cut off by the deadline; its other rows
    # then waited unsent, so it held one thread for one timeout.
    assert stats.sent == 20
    assert len(healthy.received) == 20
    assert all(r.key_id for r in healthy.received)
    silent = Delivery.objects.filter(host=silent_host)
    assert set(silent.values_list("state", flat=True)) == {DeliveryState.PENDING}
    (tried,) = silent.filter(attempts=1)
    assert "Timeout" in tried.last_error
    assert silent.filter(attempts=0).count() == 5
    assert stats.requests == 21
    assert HostHealth.objects.get(host=silent_host).consecutive_failures == 1


def test_a_run_waiting_on_a_silent_host_takes_newly_due_rows(alice, make_sink, silent_host, settings):
    settings.KITH_DELIVERY_TIMEOUT_SECONDS = 3.0
    healthy = make_sink()
    _send([f"http://{silent_host}/inbox"], signer=alice, uri="act:silent")
    _send([healthy.url("/inbox")], signer=alice, uri="act:soon")
    Delivery.objects.filter(activity_uri="act:soon").update(
        next_attempt_at=timezone.now() + timedelta(seconds=0.3)
    )

    stats = deliver_due()  # claims the silent row, finds nothing else due, waits on the request ...

    # ... and meanwhile looks again, finds the row that became due, and sends it.
    assert (stats.claimed, stats.requests, stats.sent, stats.retried) == (2, 2, 1, 1)
    assert healthy.paths() == ["/inbox"]


def test_requests_per_host_are_limited(alice, make_sink, settings):
    settings.KITH_DELIVERY_PER_HOST = 3
    sink = make_sink()
    sink.delay = 0.1
    _send([sink.url(f"/inbox/{n}") for n in range(9)], signer=alice)

    assert deliver_due().sent == 9

    assert 2 <= sink.max_in_flight <= 3


def test_unavailable_host_gets_one_probe_per_window(alice, make_sink):
    sink = make_sink()
    sink.default = (500, {})
    first = sink.url("/first")
    _send([first], signer=alice, uri="act:0")
    moment = timezone.now()
    for _ in range(HOST_FAILURE_THRESHOLD):  # each retry fails: the host goes down
        assert deliver_due(now=moment).requests == 1
        moment = _row(first, "act:0").next_attempt_at
    health = HostHealth.objects.get(host=sink.host)
    failed_at = health.last_failure_at
    assert health.consecutive_failures == HOST_FAILURE_THRESHOLD
    assert health.unavailable_until == failed_at + probe_window(HOST_FAILURE_THRESHOLD)

    for n in range(1, 4):
        _send([sink.url(f"/later{n}")], signer=alice, uri=f"act:{n}")
    # Inside the window nothing is sent, however often a run looks.
    inside = failed_at + timedelta(seconds=60)
    stats = deliver_due(now=inside)
    assert (stats.requests, stats.deferred) == (0, 3)
    assert set(Delivery.objects.filter(attempts=0).values_list("next_attempt_at", flat=True)) == {
        health.unavailable_until
    }
    assert deliver_due(now=inside).claimed == 0
    assert len(sink.received) == HOST_FAILURE_THRESHOLD

    # The window ends: exactly one probe; it fails and the window grows.
    window_end = health.unavailable_until + timedelta(seconds=1)
    stats = deliver_due(now=window_end)
    assert stats.requests == 1
    health.refresh_from_db()
    assert health.consecutive_failures == HOST_FAILURE_THRESHOLD + 1
    assert health.unavailable_until - window_end == probe_window(HOST_FAILURE_THRESHOLD + 1)
    assert probe_window(HOST_FAILURE_THRESHOLD + 1) > probe_window(HOST_FAILURE_THRESHOLD)

    # The host comes back: the next probe succeeds and the whole backlog goes in the same run,
    # including the first row, whose own backoff had it waiting longer.
    sink.default = (202, {})
    stats = deliver_due(now=health.unavailable_until + timedelta(seconds=1))
    assert stats.sent == 4
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    health.refresh_from_db()
    assert (health.consecutive_failures, health.unavailable_until) == (0, None)
    assert len(sink.received) == HOST_FAILURE_THRESHOLD + 1 + 4


def test_something_from_a_host_clears_it(alice, make_sink):
    sink = make_sink()
    _send([sink.url("/inbox")], signer=alice)
    later = timezone.now() + timedelta(minutes=30)
    HostHealth.objects.create(host=sink.host, consecutive_failures=9, unavailable_until=later)
    Delivery.objects.update(next_attempt_at=later)

    assert delivery.host_answered(sink.host) == 1

    assert deliver_due().sent == 1
    assert delivery.host_answered(sink.host) == 0


# ---- dropping ----------------------------------------------------------------------------------


def test_deleted_object_stops_travelling_but_its_delete_goes(alice, make_sink):
    sink = make_sink()
    inboxes = [sink.url("/a"), sink.url("/b")]
    _send(inboxes, signer=alice, uri="create:1", subject="post:1", body=b'{"type":"Create"}')
    _send(inboxes, signer=alice, uri="delete:1", subject="delete:post:1", body=b'{"type":"Delete"}')

    assert drop_deliveries("post:1") == 2

    deliver_due()
    assert [r.body for r in sink.received] == [b'{"type":"Delete"}'] * 2
    assert set(Delivery.objects.filter(subject="post:1").values_list("state", flat=True)) == {DeliveryState.DROPPED}
    assert drop_deliveries("post:1") == 0
    with pytest.raises(ValueError, match="subject"):
        drop_deliveries("")


# ---- leases and recovery -----------------------------------------------------------------------


def test_a_claimed_row_is_not_claimed_again_until_its_lease_runs_out(alice, make_sink):
    sink = make_sink()
    _send([sink.url("/a"), sink.url("/b")], signer=alice)
    now = timezone.now()

    held = claim_due(now=now)

    assert len(held) == 2
    assert claim_due(now=now) == []
    stats = deliver_due(now=now + timedelta(seconds=30))
    assert (stats.claimed, stats.requests) == (0, 0)
    assert sink.received == []
    retaken = claim_due(now=now + LEASE + timedelta(seconds=1))
    assert sorted(r.id for r in retaken) == sorted(r.id for r in held)


def test_a_stale_holder_cannot_write_over_the_new_one(alice):
    _send(["https://a.example/inbox"], signer=alice)
    now = timezone.now()
    stale = claim_due(now=now)
    claim_due(now=now + LEASE + timedelta(seconds=1))  # the lease ran out and another run took it

    delivery._update_held(stale, state=DeliveryState.SENT)

    assert Delivery.objects.get().state == DeliveryState.PENDING


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_take_disjoint_rows():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises claims with its IMMEDIATE transaction; shared-cache test DBs cannot race")
    # Rows made directly: enqueue_deliveries would start a run as soon as this test's writes commit.
    Delivery.objects.bulk_create(
        Delivery(activity_uri="act", inbox=f"https://h{n}.example/inbox", host=f"h{n}.example", body=b"{}",
                 content_type=AP, next_attempt_at=timezone.now())
        for n in range(200)
    )
    barrier = threading.Barrier(4)
    taken: list[list[int]] = []

    def claim():
        try:
            barrier.wait()
            taken.append([row.id for row in claim_due(60)])
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [i for chunk in taken for i in chunk]
    assert len(ids) == len(set(ids)) == 200


def test_sweep_resends_what_a_killed_worker_held(alice, make_sink):
    sink = make_sink()
    _send([sink.url("/a"), sink.url("/b"), sink.url("/c")], signer=alice)
    claim_due()  # a worker claims the rows ...

    assert sweep_deliveries() == 0  # ... and while its lease holds, nobody else touches them
    assert sink.received == []

    # ... then dies: its lease runs out and the sweep hands the rows to a new run.
    Delivery.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert sweep_deliveries() == 3
    assert sink.paths() == ["/a", "/b", "/c"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_a_retry_schedules_the_next_run(alice, make_sink):
    sink = make_sink()
    sink.script["/inbox"] = [(500, {})]
    _send([sink.url("/inbox")], signer=alice)

    deliver_due()

    scheduled = [t for t in huey.scheduled() if t.name.endswith("deliver_due_job")]
    assert len(scheduled) == 1
    deliver_due()  # nothing due: an equal or earlier wake-up is not scheduled twice
    assert len([t for t in huey.scheduled() if t.name.endswith("deliver_due_job")]) == 1
