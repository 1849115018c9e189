"""Outbound delivery: one durable row per (activity, inbox), sent concurrently, retried for days.

Protocol-neutral.  Adapters hand over finished, serialised activities with
`enqueue_deliveries` and register how one row is signed and sent
(`register_sender`); everything else happens here, driven by `Delivery` and
`HostHealth` rows, so a lost job or a killed worker loses nothing:

- **Claiming.** `deliver_due` takes due rows in batches under a lease
  (`claimed_until`): `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, the
  IMMEDIATE transaction on SQLite.  The lease value doubles as a fencing
  token: results are written only while the row still carries the lease it
  was sent under.  A row whose lease ran out is due again; the minute sweep
  wakes a worker for it.  A repeat send is possible and harmless (receivers
  dedupe by activity id).
- **Sending.** A shared thread pool (16 threads) with a short per-request
  timeout, fed continuously, at most 4 requests in flight per host and only
  one until the host has answered in this run: a silent host holds one
  thread for a few seconds, never a batch.  After a host fails once in a
  run, its remaining rows in that run are deferred unsent.
- **Retrying.** 2xx is sent; 4xx (but 408, 429 and a first 401) fails for
  good; everything else retries after 30 s x 2^n (capped at 16 h, +-20 %
  jitter): 16 attempts over about 3.4 days, as Mastodon.  Retry-After is
  honoured on 429 and 503.
- **Host health.** Five consecutive failed runs mark a host unavailable for
  2 min, doubling to 1 h.  Nothing goes to it meanwhile; when the window ends
  one delivery goes as a probe (the window is held shut while it is in
  flight).  A success clears the host and pulls its whole backlog forward.
  Below that threshold a delivery taken by a host that had failed pulls
  forward its rows that got no answer at all (refused, timed out), so one
  refused while the host was busy does not trail the ones sent after it.

The numbers and the reasons are in docs/adr/0003-delivery.md.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from kith.core import hosts
from kith.core.durable import DurableRows, exponential_backoff
from kith.federation.models import Delivery, DeliveryState, HostHealth
from kith.jobs import crontab, enqueue_on_commit, huey, periodic, resumes, task
from kith.moderation import domains as domain_policies
from kith.people.models import Person

log = logging.getLogger(__name__)
_Key = TypeVar("_Key")

# ---- the numbers (docs/adr/0003-delivery.md) --------------------------------------------------

MAX_ATTEMPTS = 16
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 16 * 3600
BACKOFF_JITTER = 0.2  # each delay is scaled by a random factor in [0.8, 1.2]
MAX_AGE = timedelta(days=5)  # rows deferred by host windows never count attempts; this bounds them
RETRY_AFTER_CAP_SECONDS = 6 * 3600

LEASE = timedelta(minutes=2)
CLAIM_BATCH = 100
MAX_HELD = 1000  # rows one run holds (claimed, not yet finished) at a time
RUN_SECONDS = 60  # then the run stops claiming and schedules its continuation
RECHECK_SECONDS = 1.0  # a run waiting on slow requests looks for newly due rows this often
DEFAULT_THREADS = 16
DEFAULT_PER_HOST = 4
DEFAULT_TIMEOUT_SECONDS = 10.0  # per request: connect, each read, and the whole body
CONNECT_TIMEOUT_SECONDS = 5.0
ABANDON_GRACE_SECONDS = 2.0  # past its timeout a request is given up on (its thread may linger)
RESPONSE_MAX_BYTES = 64 * 1024  # inbox answers are tiny; a bigger one is not worth reading
RECORD_BATCH = 64  # successes are written in batches of this many ...
RECORD_DELAY_SECONDS = 0.25  # ... or this often; anything else is written at once

HOST_FAILURE_THRESHOLD = 5  # consecutive failed runs before a host is marked unavailable
PROBE_WINDOW_BASE_SECONDS = 120
PROBE_WINDOW_CAP_SECONDS = 3600

NO_SENDER_DELAY = timedelta(minutes=10)
WAKE_HORIZON_SECONDS = 300  # later wake-ups are left to the minute sweep
WAKE_KEY = "kith.federation.delivery.wake_at"
SWEEP_JOB_EXPIRES_SECONDS = 60
SWEEP_COUNT_LIMIT = 10_000


# ---- what a sender returns ---------------------------------------------------------------------


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"  # for good: retrying cannot help


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    status: int | None = None
    error: str = ""
    retry_after: float | None = None  # seconds the peer asked us to wait
    # True: the host answered (it is up); False: counts as a host failure; None: says nothing.
    host_up: bool | None = None


@dataclass(frozen=True)
class _Sender:
    send: Callable[[Delivery], SendResult]
    prepare: Callable[[list[Delivery]], None] | None


_senders: dict[str, _Sender] = {}


def register_sender(
    protocol: str,
    send: Callable[[Delivery], SendResult],
    *,
    prepare: Callable[[list[Delivery]], None] | None = None,
) -> None:
    """Say how rows of `protocol` are sent.

    `send(delivery)` runs in a pool thread and must not touch the database;
    `prepare(deliveries)` runs first on the claiming thread and may load what
    `send` needs (keys) onto the rows.
    """
    _senders[protocol] = _Sender(send, prepare)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or timezone.now())).total_seconds()
    return min(max(seconds, 1.0), float(RETRY_AFTER_CAP_SECONDS))


def classify_response(status: int, headers: Mapping[str, str], previous_status: int | None = None) -> SendResult:
    """What an inbox's answer means for the row and for its host (shared by all protocols).

    401 is retried once: a peer answers it when it could not fetch our key just
    then (our pod restarting, a rotated key in its cache); a second 401 is final.
    403 is a refusal (blocked, not allowed) and final at once.
    """
    if 200 <= status < 300:
        return SendResult(Outcome.SENT, status, host_up=True)
    if status == 429:
        return SendResult(
            Outcome.RETRY, status, "rate limited (429)", parse_retry_after(headers.get("retry-after")), host_up=True
        )
    if status == 408 or status >= 500:
        retry_after = parse_retry_after(headers.get("retry-after")) if status == 503 else None
        return SendResult(Outcome.RETRY, status, f"server answered {status}", retry_after, host_up=False)
    if status == 401 and previous_status != 401:
        return SendResult(Outcome.RETRY, status, "signature refused (401); retrying once", host_up=True)
    return SendResult(Outcome.FAILED, status, f"refused with {status}", host_up=True)


# ---- what every sender shares ------------------------------------------------------------------


def _tunable(name: str, default: float) -> float:
    """A Django setting, else the environment variable of the same name, else the default."""
    configured = getattr(settings, name, None)
    if configured is None:
        configured = os.environ.get(name) or default
    return float(configured)


def timeout_seconds() -> float:
    """The per-request timeout every sender uses (connect, each read, and the whole body)."""
    return max(0.1, _tunable("KITH_DELIVERY_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def scheme_allowed(url: str) -> bool:
    """Whether a sender may POST to `url`: https, or http where private federation is allowed (tests, labs)."""
    scheme = urlsplit(url).scheme
    return scheme == "https" or (scheme == "http" and bool(getattr(settings, "KITH_ALLOW_PRIVATE_FEDERATION", False)))


# ---- enqueueing and dropping -------------------------------------------------------------------


def inbox_host(url: str) -> str | None:
    """The host (and port, unless the scheme's default) an inbox lives on, or None if unusable."""
    return hosts.host_key(url)  # one normaliser for every host key (kith/core/hosts.py)


def _federated(targets: dict[_Key, str]) -> dict[_Key, str]:
    """The targets ({key: host}) on hosts this pod federates with: none suspended by a domain
    policy, and only allowed ones in allow-list mode.  The one filter every enqueue path uses,
    in a fixed number of queries."""
    refused = domain_policies.refused_hosts(set(targets.values()))
    if not refused:
        return targets
    return {key: host for key, host in targets.items() if host not in refused}


def enqueue_deliveries(
    *,
    protocol: str,
    activity_uri: str,
    body: bytes,
    content_type: str,
    inboxes: Iterable[str],
    signer: Person | None,
    subject: str = "",
) -> int:
    """Make one pending row per inbox (exact duplicates and repeats are no-ops); returns rows made.

    Sending starts once the caller's transaction commits.  Callers collapse
    inboxes onto shared inboxes where the recipients offer them.
    """
    if signer is not None and not signer.is_local:
        raise ValueError("only local persons (or the instance actor) sign deliveries")
    max_subject = Delivery._meta.get_field("subject").max_length
    if max_subject is not None and len(subject) > max_subject:
        raise ValueError(f"subject {subject!r} is too long")
    targets: dict[str, str] = {}
    for raw in inboxes:
        inbox = raw.strip()
        if not inbox or inbox in targets:
            continue
        host = inbox_host(inbox)
        if host is None:
            log.warning("not delivering %s to unusable inbox %r", activity_uri, inbox)
            continue
        targets[inbox] = host
    targets = _federated(targets)
    if not targets:
        return 0
    listed = list(targets)
    existing: set[str] = set()
    for start in range(0, len(listed), 500):
        existing.update(
            Delivery.objects.filter(activity_uri=activity_uri, inbox__in=listed[start : start + 500]).values_list(
                "inbox", flat=True
            )
        )
    now = timezone.now()
    rows = [
        Delivery(
            protocol=protocol, activity_uri=activity_uri, inbox=inbox, host=host, body=body,
            content_type=content_type, signer=signer, subject=subject, next_attempt_at=now,
        )
        for inbox, host in targets.items()
        if inbox not in existing
    ]
    if rows:
        Delivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        enqueue_on_commit(deliver_due_job)
    return len(rows)


@dataclass(frozen=True)
class Outgoing:
    """One activity for `enqueue_batch`: its id, its body, where it goes, what it is about."""

    activity_uri: str
    body: bytes
    inboxes: Sequence[str]
    subject: str = ""


def enqueue_batch(
    *, protocol: str, content_type: str, signer: Person | None, outgoing: Sequence[Outgoing],
    not_before: datetime | None = None,
) -> int:
    """`enqueue_deliveries` for many activities of one signer in a fixed number of queries
    (an account's whole history retracted or sent again); returns rows made.  The same
    rules: exact repeats are no-ops (the (activity, inbox) uniqueness), unusable inboxes
    and hosts this pod does not federate with are skipped, sending starts once the caller's transaction commits (or at `not_before`:
    replies sent a little after the posts they answer)."""
    if signer is not None and not signer.is_local:
        raise ValueError("only local persons (or the instance actor) sign deliveries")
    max_subject = Delivery._meta.get_field("subject").max_length
    wanted: dict[tuple[str, str], Delivery] = {}
    now = max(timezone.now(), not_before) if not_before is not None else timezone.now()
    for item in outgoing:
        if max_subject is not None and len(item.subject) > max_subject:
            raise ValueError(f"subject {item.subject!r} is too long")
        for raw in item.inboxes:
            inbox = raw.strip()
            host = inbox_host(inbox) if inbox else None
            if host is None:
                if inbox:
                    log.warning("not delivering %s to unusable inbox %r", item.activity_uri, inbox)
                continue
            wanted.setdefault((item.activity_uri, inbox), Delivery(
                protocol=protocol, activity_uri=item.activity_uri, inbox=inbox, host=host, body=item.body,
                content_type=content_type, signer=signer, subject=item.subject, next_attempt_at=now,
            ))
    federated = _federated({key: delivery.host for key, delivery in wanted.items()})
    wanted = {key: delivery for key, delivery in wanted.items() if key in federated}
    if not wanted:
        return 0
    activity_uris = sorted({activity_uri for activity_uri, _inbox in wanted})
    for start in range(0, len(activity_uris), 500):
        for known in Delivery.objects.filter(activity_uri__in=activity_uris[start : start + 500]).values_list(
            "activity_uri", "inbox"
        ):
            wanted.pop(known, None)
    if wanted:
        Delivery.objects.bulk_create(wanted.values(), batch_size=500, ignore_conflicts=True)
        enqueue_on_commit(deliver_due_job)
    return len(wanted)


def drop_deliveries(subject: str) -> int:
    """Stop pending deliveries about `subject` (its object was deleted); returns how many."""
    if not subject:
        raise ValueError("a subject is required (an empty one would match every unlabelled delivery)")
    return Delivery.objects.filter(subject=subject, state=DeliveryState.PENDING).update(
        state=DeliveryState.DROPPED, claimed_until=None, body=b"", last_error="its object was deleted"
    )


def drop_signed_deliveries(signer: Person, subject_prefixes: Sequence[str], reason: str) -> int:
    """Stop the pending deliveries `signer` signs about subjects starting with one of
    `subject_prefixes` (a suspended person's content, or a restored one's retractions);
    returns how many.  Their rows stay: who was to get what is still on record."""
    if not subject_prefixes or not all(subject_prefixes):
        raise ValueError("subject prefixes are required (an empty one would match every delivery)")
    about = Q()
    for prefix in subject_prefixes:
        about |= Q(subject__startswith=prefix)
    return Delivery.objects.filter(about, signer=signer, state=DeliveryState.PENDING).update(
        state=DeliveryState.DROPPED, claimed_until=None, body=b"", last_error=reason
    )


def host_answered(host: str, *, now: datetime | None = None) -> int:
    """Something authentic came from `host` (e.g. a signed activity): if it was marked
    unavailable, clear it and send its backlog now.  Returns how many rows were pulled forward.

    `host` is in the form of `Delivery.host` (see `inbox_host`: with the port unless it is the
    scheme's default).  Cheap when the host is fine (one indexed read, no write), so inbox
    views may call it on every request.
    """
    unavailable = HostHealth.objects.filter(host=host, unavailable_until__isnull=False)
    if not unavailable.exists():
        return 0
    now = now or timezone.now()
    if not unavailable.update(consecutive_failures=0, unavailable_until=None, last_success_at=now):
        return 0
    pulled = _pull_backlog(host, now)
    if pulled:
        enqueue_on_commit(deliver_due_job)
    return pulled


# ---- claiming ----------------------------------------------------------------------------------


# The lease value (`claimed_until`) is each claimed row's fencing token.
DELIVERIES = DurableRows(Delivery, open_filter={"state": DeliveryState.PENDING}, due_field="next_attempt_at")


def _due(now: datetime) -> QuerySet[Delivery]:
    return DELIVERIES.due(now)


def claim_due(limit: int = CLAIM_BATCH, *, now: datetime | None = None) -> list[Delivery]:
    """Take up to `limit` due rows nobody holds, under a fresh lease (oldest first)."""
    now = now or timezone.now()
    return DELIVERIES.claim_batch(_due(now).order_by("next_attempt_at", "id"), limit, until=now + LEASE)


def _update_held(rows: Iterable[Delivery], **values: Any) -> None:
    """Write to claimed rows, each only while it still carries the lease it was claimed under."""
    DELIVERIES.update_held(rows, **values)


def _pull_backlog(host: str, now: datetime) -> int:
    return Delivery.objects.filter(host=host, state=DeliveryState.PENDING, next_attempt_at__gt=now).update(
        next_attempt_at=now
    )


def _pull_unreached(host: str, now: datetime) -> int:
    """Make due now the host's pending rows whose last attempt got no answer at all."""
    return Delivery.objects.filter(
        host=host, state=DeliveryState.PENDING, next_attempt_at__gt=now, attempts__gt=0, last_status__isnull=True
    ).update(next_attempt_at=now)


def retry_delay(attempts: int, *, jitter: bool = True) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return exponential_backoff(
        attempts, base=timedelta(seconds=BACKOFF_BASE_SECONDS), cap=timedelta(seconds=BACKOFF_CAP_SECONDS),
        jitter=BACKOFF_JITTER if jitter else 0.0,
    )


def probe_window(consecutive_failures: int) -> timedelta:
    """How long a host stays unavailable after its `consecutive_failures`-th failure."""
    doublings = min(max(consecutive_failures - HOST_FAILURE_THRESHOLD, 0), 30)
    return timedelta(seconds=min(PROBE_WINDOW_BASE_SECONDS * 2**doublings, PROBE_WINDOW_CAP_SECONDS))


# ---- one sending run ---------------------------------------------------------------------------


@dataclass
class RunStats:
    claimed: int = 0
    requests: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0  # put back unsent: host unavailable or failing in this run, or lease too short
    expired: int = 0  # older than MAX_AGE: failed without another try


@dataclass
class _Flight:
    delivery: Delivery
    started: list[float] = field(default_factory=list)  # filled by the pool thread when it starts


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _executor(threads: int) -> ThreadPoolExecutor:
    """One pool per process, shared by concurrent runs (rebuilt only if the size setting changes)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != threads:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kith-delivery")
            _pool_size = threads
        return _pool


def _send_timed(send: Callable[[Delivery], SendResult], delivery: Delivery, started: list[float]) -> SendResult:
    started.append(time.monotonic())
    try:
        return send(delivery)
    except Exception as exc:  # a bug in a sender must not lose the row
        log.exception("sender for %s crashed on delivery %s", delivery.protocol, delivery.id)
        return SendResult(Outcome.RETRY, error=f"sender crashed: {type(exc).__name__}: {exc}")


class _Run:
    def __init__(self, clock: Callable[[], datetime], max_seconds: float) -> None:
        self.clock = clock
        self.max_seconds = max_seconds
        self.threads = max(1, int(_tunable("KITH_DELIVERY_THREADS", DEFAULT_THREADS)))
        self.per_host = max(1, int(_tunable("KITH_DELIVERY_PER_HOST", DEFAULT_PER_HOST)))
        self.timeout = timeout_seconds()
        self.pool = _executor(self.threads)
        self.queues: dict[str, deque[Delivery]] = {}
        self.queued = 0
        self.active: dict[str, int] = defaultdict(int)
        self.in_flight: dict[Future[SendResult], _Flight] = {}
        self.abandoned: set[Future[SendResult]] = set()
        self.blocked: dict[str, datetime] = {}  # host -> its remaining rows wait until then
        self.health: dict[str, HostHealth | None] = {}  # snapshots of the hosts seen in this run
        self.host_failed: set[str] = set()  # a failure of the host is already counted in this run
        self.host_ok: set[str] = set()
        self.answered: set[str] = set()  # hosts that answered in this run: allowed per_host at once
        self.drained = False
        self.drained_at = 0.0
        self.unrecorded: list[tuple[Delivery, SendResult]] = []
        self.unrecorded_since = 0.0
        self.stats = RunStats()

    # -- the loop --

    def go(self) -> RunStats:
        stop_at = time.monotonic() + self.max_seconds
        try:
            while True:
                self._dispatch()
                out_of_time = time.monotonic() >= stop_at
                if self.drained and time.monotonic() - self.drained_at >= RECHECK_SECONDS:
                    self.drained = False  # still busy with slow requests: look for newly due rows
                if not out_of_time and not self.drained and self._room() > 0 and self._held() < MAX_HELD:
                    if self._claim():
                        continue
                    self.drained, self.drained_at = True, time.monotonic()
                if not self.in_flight:
                    if self.queued and self.abandoned and not out_of_time:
                        # Every thread is held by an abandoned request: give them a moment.
                        wait(self.abandoned, timeout=0.5, return_when=FIRST_COMPLETED)
                        continue
                    break
                self._collect()
        finally:
            try:
                self._flush()
            finally:
                self._put_back_queued()
        return self.stats

    def _held(self) -> int:
        return self.queued + len(self.in_flight)

    def _room(self) -> int:
        self.abandoned = {future for future in self.abandoned if not future.done()}
        return self.threads - len(self.in_flight) - len(self.abandoned)

    # -- claiming --

    def _claim(self) -> bool:
        now = self.clock()
        rows = claim_due(min(CLAIM_BATCH, MAX_HELD - self._held()), now=now)
        if not rows:
            return False
        self.stats.claimed += len(rows)
        unseen = {row.host for row in rows} - self.health.keys()
        if unseen:
            self.health.update(dict.fromkeys(unseen))
            self.health.update({h.host: h for h in HostHealth.objects.filter(host__in=unseen)})
        deferred: dict[datetime, list[Delivery]] = defaultdict(list)
        expired: list[Delivery] = []
        # Queued before the pod stopped federating with the host (a domain policy): never sent.
        refused_hosts = domain_policies.refused_hosts({row.host for row in rows})
        refused: list[Delivery] = []
        sendable: dict[str, list[Delivery]] = defaultdict(list)
        for row in rows:
            if row.host in refused_hosts:
                refused.append(row)
            elif row.created_at < now - MAX_AGE:
                expired.append(row)
            elif row.host in self.blocked:
                deferred[self.blocked[row.host]].append(row)
            elif row.protocol not in _senders:
                log.error("no sender registered for %r; delivery %s waits", row.protocol, row.id)
                deferred[now + NO_SENDER_DELAY].append(row)
            elif (until := self._unavailable_until(row.host, now)) is not None:
                deferred[until].append(row)
            else:
                sendable[row.protocol].append(row)
        with transaction.atomic():
            for until, group in deferred.items():
                _update_held(group, next_attempt_at=until, claimed_until=None)
            if expired:
                _update_held(
                    expired, state=DeliveryState.FAILED, claimed_until=None,
                    last_error=f"gave up: not delivered within {MAX_AGE.days} days",
                )
            if refused:
                _update_held(
                    refused, state=DeliveryState.DROPPED, claimed_until=None, body=b"",
                    last_error="this pod does not federate with that domain",
                )
        self.stats.deferred += sum(len(group) for group in deferred.values())
        self.stats.expired += len(expired)
        self.stats.failed += len(expired)
        for protocol, group in sendable.items():
            prepare = _senders[protocol].prepare
            if prepare is not None:
                prepare(group)
            for row in group:
                self.queues.setdefault(row.host, deque()).append(row)
                self.queued += 1
        return True

    def _unavailable_until(self, host: str, now: datetime) -> datetime | None:
        """None if a row may go to `host` now; else when to look again.

        When an unavailable host's window has ended, the first row to ask
        becomes the probe: the window is moved past the probe's deadline
        (compare-and-set, so concurrent runs agree on one probe) and every
        other row waits for the probe's outcome.
        """
        health = self.health.get(host)
        if health is None or health.unavailable_until is None:
            return None
        if health.unavailable_until > now:
            return health.unavailable_until
        hold = now + timedelta(seconds=self.timeout + ABANDON_GRACE_SECONDS + 30)
        taken = HostHealth.objects.filter(host=host, unavailable_until=health.unavailable_until).update(
            unavailable_until=hold
        )
        if taken:
            health.unavailable_until = hold
            self.blocked[host] = hold
            return None
        fresh = HostHealth.objects.filter(host=host).first()
        self.health[host] = fresh
        if fresh is None or fresh.unavailable_until is None:
            return None
        return max(fresh.unavailable_until, now + timedelta(seconds=BACKOFF_BASE_SECONDS))

    # -- sending --

    def _dispatch(self) -> None:
        room = self._room()
        if room <= 0 or not self.queued:
            return
        now = self.clock()
        too_late: list[Delivery] = []
        progress = True
        while room > 0 and progress:  # round robin: one row per host per pass
            progress = False
            for host in list(self.queues):
                queue = self.queues[host]
                if room <= 0:
                    break
                # Slow start: one request until the host has answered, so a silent host holds one thread.
                if self.active[host] >= (self.per_host if host in self.answered else 1):
                    continue
                row = queue.popleft()
                self.queued -= 1
                if not queue:
                    del self.queues[host]
                progress = True
                if row.claimed_until is None or (row.claimed_until - now).total_seconds() < 2 * self.timeout + 5:
                    too_late.append(row)  # the lease would run out mid-request; leave it to the next claim
                    continue
                flight = _Flight(row)
                future = self.pool.submit(_send_timed, _senders[row.protocol].send, row, flight.started)
                self.in_flight[future] = flight
                self.active[host] += 1
                room -= 1
        if too_late:
            _update_held(too_late, claimed_until=None)
            self.stats.deferred += len(too_late)

    def _collect(self) -> None:
        started = [f.started[0] for f in self.in_flight.values() if f.started]
        limit = self.timeout + ABANDON_GRACE_SECONDS
        timeout = max(0.05, min(started) + limit - time.monotonic()) if started else 0.5
        done, _ = wait(list(self.in_flight), timeout=min(timeout, 1.0), return_when=FIRST_COMPLETED)
        results: list[tuple[Delivery, SendResult]] = []
        for future in done:
            results.append((self.in_flight.pop(future).delivery, future.result()))
        overdue_at = time.monotonic() - limit
        for future, flight in list(self.in_flight.items()):
            if flight.started and flight.started[0] < overdue_at:
                del self.in_flight[future]
                self.abandoned.add(future)
                results.append((flight.delivery, SendResult(Outcome.RETRY, error="no answer in time", host_up=False)))
        for row, result in results:
            self.active[row.host] -= 1
            if result.host_up:
                self.answered.add(row.host)
        if not results:
            return
        if not self.unrecorded:
            self.unrecorded_since = time.monotonic()
        self.unrecorded.extend(results)
        if (
            not self.in_flight
            or len(self.unrecorded) >= RECORD_BATCH
            or time.monotonic() - self.unrecorded_since >= RECORD_DELAY_SECONDS
            or any(result.outcome is not Outcome.SENT for _row, result in results)
        ):
            self._flush()

    def _flush(self) -> None:
        results, self.unrecorded = self.unrecorded, []
        if results:
            self._record(results)

    # -- recording --

    def _record(self, results: list[tuple[Delivery, SendResult]]) -> None:
        now = self.clock()
        sent: dict[int | None, list[Delivery]] = defaultdict(list)
        with transaction.atomic():
            for row, result in results:
                self.stats.requests += 1
                attempts = row.attempts + 1
                if result.outcome is Outcome.SENT:
                    sent[result.status].append(row)
                elif result.outcome is Outcome.FAILED or attempts >= MAX_ATTEMPTS:
                    error = result.error if result.outcome is Outcome.FAILED else (
                        f"gave up after {attempts} attempts: {result.error}"
                    )
                    _update_held(
                        [row], state=DeliveryState.FAILED, attempts=attempts, last_status=result.status,
                        last_error=error[:1000], claimed_until=None,
                    )
                    self.stats.failed += 1
                else:
                    wait_for = (
                        timedelta(seconds=result.retry_after) if result.retry_after else retry_delay(attempts)
                    )
                    _update_held(
                        [row], attempts=attempts, next_attempt_at=now + wait_for, last_status=result.status,
                        last_error=result.error[:1000], claimed_until=None,
                    )
                    self.stats.retried += 1
                    if result.retry_after:  # the host asked everyone to wait, not just this row
                        self._block(row.host, now + wait_for)
                if result.host_up is True:
                    self._host_ok(row.host, now, delivered=result.outcome is Outcome.SENT)
                elif result.host_up is False:
                    self._host_failure(row.host, now)
            for status, rows in sent.items():
                _update_held(
                    rows, state=DeliveryState.SENT, sent_at=now, attempts=F("attempts") + 1, last_status=status,
                    last_error="", claimed_until=None, body=b"",
                )
                self.stats.sent += len(rows)

    def _block(self, host: str, until: datetime) -> None:
        """Defer `host`'s remaining rows in this run (the queued ones now, later claims as they come)."""
        if host in self.blocked and self.blocked[host] >= until:
            return
        self.blocked[host] = until
        queue = self.queues.pop(host, None)
        if queue:
            self.queued -= len(queue)
            _update_held(queue, next_attempt_at=until, claimed_until=None)
            self.stats.deferred += len(queue)

    def _host_failure(self, host: str, now: datetime) -> None:
        self.host_ok.discard(host)
        if host in self.host_failed:  # concurrent siblings of a failure already counted
            return
        self.host_failed.add(host)
        health, _created = HostHealth.objects.select_for_update().get_or_create(host=host)
        health.consecutive_failures += 1
        health.last_failure_at = now
        if health.consecutive_failures >= HOST_FAILURE_THRESHOLD:
            health.unavailable_until = now + probe_window(health.consecutive_failures)
            log.info("host %s unavailable until %s", host, health.unavailable_until)
        health.save()
        self.health[host] = health
        self._block(host, health.unavailable_until or now + timedelta(seconds=BACKOFF_BASE_SECONDS))

    def _host_ok(self, host: str, now: datetime, *, delivered: bool = False) -> None:
        self.host_failed.discard(host)
        if host in self.host_ok:
            return
        self.host_ok.add(host)
        health = self.health.get(host)
        if health is None:
            return  # no health row when claimed and no failure since: nothing to clear
        self.health[host] = None
        self.blocked.pop(host, None)
        if HostHealth.objects.filter(host=host, unavailable_until__isnull=False).update(
            consecutive_failures=0, unavailable_until=None, last_success_at=now
        ):
            log.info("host %s is back", host)
            if _pull_backlog(host, now):
                self.drained = False
        elif (
            delivered
            and health.consecutive_failures
            and HostHealth.objects.filter(host=host, consecutive_failures__gt=0).update(
                consecutive_failures=0, last_success_at=now
            )
        ):
            # It failed (refused, timed out) and takes deliveries again: what waits in backoff
            # for having found it unreachable goes now, not up to 30 s x 2^n later.  Without
            # this an Accept refused by a busy pod came half a minute after the posts sent
            # after it (tests/federation/test_multipod.py).  Rows it answered with an error
            # keep their backoff: the error may be theirs.
            if _pull_unreached(host, now):
                self.drained = False
        else:
            HostHealth.objects.filter(host=host).update(consecutive_failures=0, last_success_at=now)

    def _put_back_queued(self) -> None:
        rows = [row for queue in self.queues.values() for row in queue]
        self.queues.clear()
        self.queued = 0
        if rows:
            try:
                _update_held(rows, claimed_until=None)
            except Exception:  # the leases simply run out
                log.warning("could not release %d claimed deliveries", len(rows), exc_info=True)


def deliver_due(*, now: datetime | None = None, max_seconds: float = RUN_SECONDS) -> RunStats:
    """Send everything due until nothing is, then schedule the next wake-up.

    `now` freezes the clock for the whole run (tests); by default it is read as the run goes.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    stats = _Run(clock, max_seconds).go()
    if stats.claimed:
        log.info(
            "deliveries: %d claimed, %d sent, %d to retry, %d failed, %d deferred",
            stats.claimed, stats.sent, stats.retried, stats.failed, stats.deferred,
        )
    _schedule_next(clock())
    return stats


def next_due_at(now: datetime | None = None) -> datetime | None:
    """When the earliest pending row nobody holds becomes due."""
    now = now or timezone.now()
    pending = DELIVERIES.unheld(DELIVERIES.open(), now)
    return pending.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()


def _schedule_next(now: datetime) -> None:
    due_at = next_due_at(now)
    if due_at is None:
        return
    delay = max(1.0, (due_at - now).total_seconds())
    if delay > WAKE_HORIZON_SECONDS:
        return  # the minute sweep will find it
    wake_at = time.time() + delay
    try:
        current = huey.get(WAKE_KEY, peek=True)
    except Exception:
        current = None
    if isinstance(current, float) and time.time() < current <= wake_at + 1:
        return  # an earlier wake-up is already scheduled
    huey.put(WAKE_KEY, wake_at)
    deliver_due_job.schedule(delay=delay)


def sweep_deliveries(now: datetime | None = None) -> int:
    """Wake a sending run if due rows wait with nobody holding them (a job lost, a worker killed).

    Returns how many such rows there are (counted up to SWEEP_COUNT_LIMIT).
    """
    now = now or timezone.now()
    waiting = _due(now)[:SWEEP_COUNT_LIMIT].count()
    if waiting:
        stranded = _due(now).filter(claimed_until__isnull=False)[:SWEEP_COUNT_LIMIT].count()
        if stranded:
            log.warning("%d deliveries were left by a worker that stopped; sending them again", stranded)
        huey.enqueue(deliver_due_job.s(expires=SWEEP_JOB_EXPIRES_SECONDS))
    return waiting


@task()
def deliver_due_job() -> None:
    deliver_due()


@resumes(deliver_due_job)
def release_leases(_queued: Set[object] = frozenset()) -> int:
    """At the start of a process that is the whole pod, every lease was held by the process that
    died: release them, so its rows go now rather than when the leases run out (LEASE), and
    start a run.  Returns how many rows were released."""
    released = DELIVERIES.release_all()
    if released or _due(timezone.now()).exists():
        deliver_due_job()
    return released


@periodic(crontab(minute="*"))
def sweep_deliveries_job() -> None:
    sweep_deliveries()
