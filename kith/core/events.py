"""Protocol-neutral domain events, delivered after the transaction commits.

Services emit events; consumers subscribe by event type.  Local surfacing
(timelines, notifications) and federation (ActivityPub, diaspora*) are
separate consumers of the same event, so neither knows about the other and
a rolled-back transaction never leaks an event.  Consumers must be cheap:
anything slow runs in the worker (`in_worker=True`).

Nothing acknowledged is lost (the transactional outbox): for each durable
consumer, `emit_on_commit` writes a `PendingEvent` row in the transaction that
caused the event.  After the commit each consumer runs (in this process, or in
the worker) and its row is deleted; a row left by a crash, a failed consumer or
a lost job is run again by kith.core.outbox's sweep.  So a consumer may run more
than once for one event and must be idempotent (they are: stream rows, delivery
rows and notifications are unique).  `durable=False` is for consumers whose
work is worthless after a crash (waking the streaming server).

Order is explicit, never the order modules happen to be imported in: a consumer
that needs another's work names it with `after=` (the streaming API's wake-up
runs after the inline fan-out that wrote the stream rows it announces), and
`dispatch` calls the consumers of an event in that order (else in the order they
subscribed).  The order holds for the dispatch after the commit; a consumer run
again by the outbox sweep runs on its own.

In-transaction subscribers (`subscribe_in_transaction`) are how a package keeps
its own tables in step with another package's write without being imported by
it: `emit_on_commit` calls them at once, inside the emitting transaction, before
anything is recorded for after the commit.  Their rows commit or roll back with
the write that caused them (a post's stream row and FanOut row, say), and an
error raised by one rolls the whole write back.  They run in the order they
were subscribed; a subscriber that must follow another calls it itself.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from kith.core.models import PendingEvent

log = logging.getLogger(__name__)

E = TypeVar("E")
# A handler comes back from `subscribe` unchanged, so one function can take several event types.
_Handler = TypeVar("_Handler", bound=Callable[[Any], None])

# How long after its event a pending row waits before the sweep may run it: the
# event's own dispatch (or its worker job) is expected to be done by then.
DISPATCH_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class Consumer:
    handler: Callable[[Any], None]
    name: str  # module.qualname: how a pending row names it
    durable: bool
    in_worker: bool


# Each event type's consumers in dispatch order (kept so by `_in_order` at every subscription).
_subscribers: dict[type, list[Consumer]] = defaultdict(list)
_by_name: dict[str, Consumer] = {}
# In-transaction subscribers of each event type, as (order, handler), run by ascending order.
_in_transaction: dict[type, list[tuple[int, Callable[[Any], None]]]] = defaultdict(list)
_event_types: dict[str, type] = {}
# (event type, consumer name) -> the handlers that must run before it for that event.
_after: dict[tuple[type, str], tuple[Callable[..., None], ...]] = {}


class OrderError(Exception):
    """Consumers of one event ask for an order that cannot be kept."""



def subscribe(
    event_type: type[E],
    *,
    durable: bool = True,
    in_worker: bool = False,
    after: Iterable[Callable[[E], None]] = (),
) -> Callable[[_Handler], _Handler]:
    """Decorator: call the function with each event of `event_type` after commit
    (in the worker with `in_worker`; see the module docstring for `durable`), after the
    consumers in `after` (which may subscribe before or after this one)."""

    def register(handler: _Handler) -> _Handler:
        name = f"{handler.__module__}.{handler.__qualname__}"
        if name in _by_name and _by_name[name].handler is not handler:
            name = f"{name}#{id(handler)}"  # a function made at run time (tests): not resumable by name
        consumer = _by_name.setdefault(name, Consumer(handler, name, durable, in_worker))
        previous_after = _after.get((event_type, consumer.name))
        if after:
            _after[(event_type, consumer.name)] = tuple(after)
        current = _subscribers[event_type]
        try:
            _subscribers[event_type] = _in_order(event_type, current if consumer in current else [*current, consumer])
        except OrderError:
            _after.pop((event_type, consumer.name), None)
            if previous_after is not None:
                _after[(event_type, consumer.name)] = previous_after
            raise
        _event_types[event_type.__name__] = event_type
        return handler

    return register


def _in_order(event_type: type, consumers: list[Consumer]) -> list[Consumer]:
    """`consumers` with each placed after those it names in `after=`, else kept in their order."""
    ordered: list[Consumer] = []
    waiting = list(consumers)
    while waiting:
        for consumer in waiting:
            needs = _after.get((event_type, consumer.name), ())
            if not any(c is not consumer and c.handler in needs for c in waiting):
                break
        else:
            raise OrderError(f"the consumers of {event_type.__name__} name each other in a cycle")
        for needed in _after.get((event_type, consumer.name), ()):
            placed = next((c for c in ordered if c.handler is needed), None)
            if placed is not None and placed.in_worker and not consumer.in_worker:
                raise OrderError(f"{consumer.name} runs at once, so it cannot wait for {placed.name} in the worker")
        waiting.remove(consumer)
        ordered.append(consumer)
    return ordered


def consumers_of(event_type: type) -> list[Consumer]:
    """The consumers of `event_type`, in the order `dispatch` calls them."""
    return list(_subscribers.get(event_type, ()))

def subscribe_in_transaction(
    event_type: type[E], *, order: int = 0
) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    """Decorator: call the function with each event of `event_type` inside the
    emitting transaction, when it is emitted (see the module docstring), by ascending
    `order` (never the order their modules happen to be imported in; equal orders keep
    the order they subscribed in)."""

    def register(handler: Callable[[E], None]) -> Callable[[E], None]:
        subscribers = _in_transaction[event_type]
        if all(registered is not handler for _order, registered in subscribers):
            subscribers.append((order, handler))
            subscribers.sort(key=lambda entry: entry[0])
        return handler

    return register


def unsubscribe(event_type: type, handler: Callable[[Any], None]) -> None:
    """Stop calling `handler` for `event_type` (tests that listen for a while)."""
    _subscribers[event_type] = [c for c in _subscribers.get(event_type, []) if c.handler is not handler]
    names = {name for name, consumer in _by_name.items() if consumer.handler is handler}
    for name in names:
        _after.pop((event_type, name), None)
    _in_transaction[event_type] = [(o, h) for o, h in _in_transaction.get(event_type, []) if h is not handler]
    for name, consumer in list(_by_name.items()):
        if consumer.handler is handler and not any(consumer in kept for kept in _subscribers.values()):
            del _by_name[name]


def consumer_named(name: str) -> Consumer | None:
    return _by_name.get(name)


def event_from(event_type: str, payload: dict[str, Any]) -> object | None:
    """The event a pending row describes (None for a type no longer subscribed to)."""
    cls = _event_types.get(event_type)
    if cls is None:
        return None
    event: object = cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in payload.items()})
    return event


def emit_on_commit(event: object) -> None:
    """Record the event for its durable consumers in the current transaction, and
    dispatch it once that transaction commits.  In-transaction subscribers run
    first, now, in the caller's transaction."""

    for _order, handler in _in_transaction.get(type(event), ()):
        handler(event)
    durable = [c for c in _subscribers.get(type(event), ()) if c.durable]
    rows: list[PendingEvent] = []
    if durable:
        payload = dataclasses.asdict(event)  # type: ignore[call-overload]
        due = timezone.now() + DISPATCH_GRACE
        rows = PendingEvent.objects.bulk_create(
            PendingEvent(event_type=type(event).__name__, payload=payload, consumer=c.name, due_at=due)
            for c in durable
        )
    transaction.on_commit(lambda: dispatch(event, rows), robust=False)


def dispatch(event: object, rows: Sequence[Any] = ()) -> None:
    """Call every consumer of the event, each on its own: one failing consumer (say, a
    local notification) must not keep another (federation) from running.  A consumer
    that ran has its pending row deleted; a failed one keeps it for the sweep.
    Failures are logged; with settings.KITH_EVENTS_RAISE (the test suite) the first is
    re-raised after all consumers ran, so a broken consumer fails the test that triggered it."""
    from django.conf import settings

    row_of = {row.consumer: row for row in rows}
    done: list[int] = []
    failures: list[Exception] = []
    for consumer in _subscribers.get(type(event), ()):
        row = row_of.get(consumer.name)
        if consumer.in_worker and row is not None:
            # kith.core.outbox builds on this module (it re-runs consumers by name): a real cycle.
            from kith.core.outbox import run_pending_job

            try:
                run_pending_job(row.id)  # the job deletes the row once the consumer ran
            except Exception:  # the queue is down: the row stays for the sweep
                log.exception("could not queue %s for %r", consumer.name, event)
            continue
        try:
            consumer.handler(event)
        except Exception as error:  # isolate consumers from each other
            log.exception("event consumer %s failed on %r", consumer.name, event)
            failures.append(error)
            continue
        if row is not None:
            done.append(row.id)
    if done:

        PendingEvent.objects.filter(id__in=done).delete()
    if failures and getattr(settings, "KITH_EVENTS_RAISE", False):
        raise failures[0]


# ---- the events ---------------------------------------------------------------
# They carry ids, not model instances: a consumer reloads what it needs, so an
# event is always safe to serialise into a job.


@dataclass(frozen=True)
class PostPublished:
    post_id: int
    # What the in-transaction stream writer (kith.timelines) needs without reading the
    # post again: a direct post goes into no stream, and a post published here (not
    # one recorded from another pod) goes into its author's own stream at once.
    visibility: str = ""
    author_id: int = 0
    into_author_stream: bool = False


@dataclass(frozen=True)
class PostEdited:
    post_id: int


@dataclass(frozen=True)
class PostDeleted:
    post_id: int
    author_id: int
    # Who could see it, captured before the rows went: its visibility and, for a limited
    # post, the local people in its audience (live streams tell only them of the deletion).
    visibility: str = ""
    local_audience_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CommentCreated:
    comment_id: int


@dataclass(frozen=True)
class CommentEdited:
    comment_id: int


@dataclass(frozen=True)
class CommentDeleted:
    comment_id: int
    post_id: int
    author_id: int


@dataclass(frozen=True)
class LikeAdded:
    like_id: int


@dataclass(frozen=True)
class LikeRemoved:
    like_id: int
    person_id: int
    # What was liked (the like row is gone by the time consumers run).
    post_id: int | None = None
    comment_id: int | None = None


@dataclass(frozen=True)
class FollowRequested:
    follow_id: int


@dataclass(frozen=True)
class FollowAccepted:
    follow_id: int


@dataclass(frozen=True)
class FollowRejected:
    follower_id: int
    followee_id: int


@dataclass(frozen=True)
class Unfollowed:
    follower_id: int
    followee_id: int


@dataclass(frozen=True)
class StartedSharing:
    """`sharer` put `recipient` into one of their aspects for the first time."""

    sharer_id: int
    recipient_id: int


@dataclass(frozen=True)
class StoppedSharing:
    sharer_id: int
    recipient_id: int


@dataclass(frozen=True)
class PersonBlocked:
    blocker_id: int
    blocked_id: int


@dataclass(frozen=True)
class PersonUnblocked:
    blocker_id: int
    blocked_id: int


@dataclass(frozen=True)
class ProfileUpdated:
    person_id: int


@dataclass(frozen=True)
class PersonDeleted:
    person_id: int


@dataclass(frozen=True)
class MessageSent:
    message_id: int
    # The conversation and its participants (the author among them), so that the
    # timelines package can notify them without reading messaging's tables.
    conversation_id: int = 0
    participant_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ConversationRead:
    """In-transaction: `person` read the conversation up to its last message."""

    person_id: int
    conversation_id: int


@dataclass(frozen=True)
class LocalAccountCreated:
    """In-transaction: a local person was created (sign-up, `kith user create`)."""

    person_id: int
    default_aspects: bool = False
    language: str | None = None


# The order of PersonPurged's in-transaction subscribers: what the person wrote goes first
# (kith.social), then their relations (kith.graph), as one purge did before it was split.
PURGE_CONTENT = 10
PURGE_RELATIONS = 20


@dataclass(frozen=True)
class PersonPurged:
    """In-transaction: a person is being removed (account deletion, or their server
    says they are gone).  Each package deletes what it holds of theirs."""

    person_id: int


@dataclass(frozen=True)
class Audited:
    """In-transaction: an action for the audit log (kith.moderation writes it), for
    packages below moderation that may not import it."""

    action: str
    actor_id: int | None = None
    target_type: str = ""
    target_id: str = ""
    reason: str = ""
    data: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class PollVoted:
    vote_ids: tuple[int, ...]


@dataclass(frozen=True)
class AccountSuspended:
    account_id: int


@dataclass(frozen=True)
class ModerationNotice:
    """In-transaction: tell a local person what moderation did (kith.timelines writes the
    notification).  kind: a timelines NotificationKind value (moderation_warning,
    report_outcome, severed_relationships, admin_report); data: ids and counts."""

    recipient_id: int
    kind: str
    actor_id: int
    data: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class PersonSuspended:
    """After commit: staff suspended a person.  For a local one, adapters retract what it
    sent (to exactly the servers that got it) and answer for its actor 410 Gone."""

    person_id: int


@dataclass(frozen=True)
class PersonRestored:
    """After commit: a suspension of a local person was lifted (an appeal granted, or
    staff) within the 30 days: adapters deliver its content again."""

    person_id: int


@dataclass(frozen=True)
class DomainSuspended:
    """After commit: staff suspended (defederated) a domain and its subdomains."""

    domain: str


@dataclass(frozen=True)
class AccountMoved:
    person_id: int
    target_id: int


@dataclass(frozen=True)
class ReportForwarded:
    report_id: int
