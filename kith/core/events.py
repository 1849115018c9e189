"""Protocol-neutral domain events, delivered after the transaction commits.

Services emit events; consumers subscribe by event type.  Local surfacing
(timelines, notifications) and federation (ActivityPub, diaspora*) are
separate consumers of the same event, so neither knows about the other and
a rolled-back transaction never leaks an event.  Consumers must be cheap:
anything slow is handed to the job queue (kith.jobs).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

log = logging.getLogger(__name__)

E = TypeVar("E")
_subscribers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type[E]) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    """Decorator: call the function with each event of `event_type` after commit."""

    def register(handler: Callable[[E], None]) -> Callable[[E], None]:
        if handler not in _subscribers[event_type]:
            _subscribers[event_type].append(handler)
        return handler

    return register


def emit_on_commit(event: object) -> None:
    transaction.on_commit(lambda: dispatch(event), robust=False)


def dispatch(event: object) -> None:
    """Call every consumer of the event, each on its own: one failing consumer (say, a
    local notification) must not keep another (federation) from running.  Failures are
    logged; with settings.KITH_EVENTS_RAISE (the test suite) the first is re-raised after
    all consumers ran, so a broken consumer fails the test that triggered it."""
    from django.conf import settings

    failures: list[Exception] = []
    for handler in _subscribers.get(type(event), ()):
        try:
            handler(event)
        except Exception as error:  # isolate consumers from each other
            log.exception("event consumer %s failed on %r", getattr(handler, "__qualname__", handler), event)
            failures.append(error)
    if failures and getattr(settings, "KITH_EVENTS_RAISE", False):
        raise failures[0]


# ---- the events ---------------------------------------------------------------
# They carry ids, not model instances: a consumer reloads what it needs, so an
# event is always safe to serialise into a job.


@dataclass(frozen=True)
class PostPublished:
    post_id: int


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


@dataclass(frozen=True)
class PollVoted:
    vote_ids: tuple[int, ...]


@dataclass(frozen=True)
class AccountSuspended:
    account_id: int


@dataclass(frozen=True)
class AccountMoved:
    person_id: int
    target_id: int


@dataclass(frozen=True)
class ReportForwarded:
    report_id: int
