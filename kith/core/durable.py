"""Durable background work: rows that say what is left to do, claimed under a lease.

Every kind of background work that must survive a killed worker or a lost job
(fan-out, deliveries, inbound activities, the event outbox, poll updates,
scheduled posts) keeps its state in rows the pod owns, and huey jobs only wake
workers up.  `DurableRows` describes such a table by its field names; the
owners keep their own policy (batch sizes, backoff figures, what a sweep may
take) and ask it for the moves they share:

- **Due.** A row is open (the `open` filter: not finished), due (`due_field`
  is reached) and not held (no lease, or one that ran out).
- **Claiming.** One row at a time with a fencing token (`claim_one`: the row is
  locked, its `attempts` bumped, and the new number is the token); a batch with
  the lease value itself as the token (`claim_batch`: `SELECT ... FOR UPDATE
  SKIP LOCKED` on PostgreSQL, the IMMEDIATE transaction on SQLite); a plain
  compare-and-set of the lease (`try_claim`); or in the transaction that does the
  work (`take_due`: clear the due time or delete the row, and only the one
  whose statement changed the row goes on).
- **Fencing.** Writes of a run go through `fenced(claim)` or `update_held(rows)`,
  so a run whose lease ran out and was taken over changes nothing.
- **Sweeping.** `sweep` finds open rows a lost job left behind and returns their
  keys, claimed so two concurrent sweeps do not both take a row when the caller
  asks for it (counting an attempt, or pushing the due time on).
- **Backing off.** `exponential_backoff` is the one formula (base x 2^(n-1),
  capped, optional jitter).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from django.db import connection, models, transaction
from django.db.models import F, Q, QuerySet

M = TypeVar("M", bound=models.Model)

_random = random.SystemRandom()


class Held(Exception):
    """Another run holds the row's lease until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until


@dataclass(frozen=True)
class Claim(Generic[M]):
    """A run's hold on one row: its key, the row as claimed, and the token its writes must match."""

    key: Any
    row: M
    fence: Mapping[str, Any]


@dataclass(frozen=True)
class DurableRows(Generic[M]):
    """A table of durable work, by its field names (None: the table has no such field)."""

    model: type[M]
    key_field: str = "pk"
    # The filter of rows still to do (e.g. {"state": "pending"}); empty: a row exists until done.
    open_filter: Mapping[str, Any] = field(default_factory=dict)
    due_field: str | None = "due_at"
    lease_field: str | None = "claimed_until"
    attempts_field: str | None = "attempts"

    # ---- reading ----

    def open(self) -> QuerySet[M]:
        return self.model._default_manager.filter(**self.open_filter)

    def unheld(self, queryset: QuerySet[M], now: datetime) -> QuerySet[M]:
        """The rows of `queryset` nobody holds: no lease, or one that ran out by `now`."""
        lease = self._lease_field()
        return queryset.filter(Q(**{f"{lease}__isnull": True}) | Q(**{f"{lease}__lte": now}))

    def due(self, now: datetime) -> QuerySet[M]:
        """Open rows whose time has come and that nobody holds."""
        due = self.open().filter(**{f"{self._due_field()}__lte": now})
        return due if self.lease_field is None else self.unheld(due, now)

    # ---- claiming ----

    def claim_one(self, key: Any, *, now: datetime, lease: timedelta) -> Claim[M] | None:
        """Lock one open row and take its lease, fenced by a fresh `attempts` number.

        None if the row is finished or gone; raises Held while another run's lease lasts.
        """
        lease_field, attempts_field = self._lease_field(), self._attempts_field()
        with transaction.atomic():
            row = self.open().select_for_update().filter(**{self.key_field: key}).first()
            if row is None:
                return None
            held_until = getattr(row, lease_field)
            if held_until and held_until > now:
                raise Held(held_until)
            token = getattr(row, attempts_field) + 1
            self.model._default_manager.filter(**{self.key_field: key}).update(
                **{attempts_field: token, lease_field: now + lease}
            )
        return Claim(key=key, row=row, fence={attempts_field: token})

    def claim_batch(self, candidates: QuerySet[M], limit: int, *, until: datetime) -> list[M]:
        """Take up to `limit` rows of `candidates` (ordered, unheld) under a lease running to `until`.

        The lease value is each row's fencing token (see `update_held`).  PostgreSQL skips
        rows another run is locking; SQLite's IMMEDIATE transactions take turns.
        """
        lease_field = self._lease_field()
        with transaction.atomic():
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True)
            rows = list(candidates[:limit])
            if rows:
                self.model._default_manager.filter(pk__in=[row.pk for row in rows]).update(**{lease_field: until})
        for row in rows:
            setattr(row, lease_field, until)
        return rows

    def try_claim(self, key: Any, *, now: datetime, until: datetime) -> bool:
        """Take the row's lease if nobody holds it (compare-and-set); True if this call took it."""
        lease_field = self._lease_field()
        held = self.unheld(self.open().filter(**{self.key_field: key}), now)
        return bool(held.update(**{lease_field: until}))

    def take_due(self, key: Any, *, now: datetime | None = None, delete: bool = False) -> bool:
        """Claim a row in the caller's transaction, for work done in that same transaction:
        clear its due time (or delete it); True for the one caller whose statement changed it.

        A concurrent taker's statement waits for the first transaction and then matches
        nothing, so the work happens once; a rollback gives the row back.  `now` (with a
        due time) takes the row only once it is due.
        """
        rows = self.open().filter(**{self.key_field: key})
        if now is not None:
            rows = rows.filter(**{f"{self._due_field()}__lte": now})
        if delete:
            # Counted by the model's own rows: a cascade may delete others with it.
            return rows.delete()[1].get(self.model._meta.label, 0) > 0
        due_field = self._due_field()
        return bool(rows.filter(**{f"{due_field}__isnull": False}).update(**{due_field: None}))

    # ---- writing under a claim ----

    def fenced(self, claim: Claim[M]) -> QuerySet[M]:
        """The claimed row, as long as it is open and still carries the claim's token."""
        return self.open().filter(**{self.key_field: claim.key}, **claim.fence)

    def release(self, claim: Claim[M]) -> int:
        """Give the lease back early (after a failure), if it is still ours."""
        return self.fenced(claim).update(**{self._lease_field(): None})

    def update_held(self, rows: Iterable[M], **values: Any) -> int:
        """Write `values` to rows taken by `claim_batch`, each only while it carries the lease
        it was taken under (a row whose lease ran out and was claimed again is left alone)."""
        lease_field = self._lease_field()
        by_lease: dict[datetime | None, list[Any]] = defaultdict(list)
        for row in rows:
            by_lease[getattr(row, lease_field)].append(row.pk)
        changed = 0
        for lease, keys in by_lease.items():
            changed += self.open().filter(pk__in=keys, **{lease_field: lease}).update(**values)
        return changed

    def release_all(self) -> int:
        """Let every lease go: at the start of a process that is the whole pod, every holder died.

        Fencing still holds: a fresh claim writes a new token."""
        lease_field = self._lease_field()
        return self.open().filter(**{f"{lease_field}__isnull": False}).update(**{lease_field: None})

    # ---- sweeping ----

    def sweep(
        self,
        candidates: QuerySet[M],
        *,
        order_by: str | Sequence[str],
        limit: int,
        count_attempt: bool = False,
        push_due_to: datetime | None = None,
        skip: Collection[Any] = (),
    ) -> list[Any]:
        """The keys of up to `limit` rows of `candidates` (rows a lost job left), oldest first.

        `count_attempt` adds one to their `attempts` (a sweep counts as a try, so a row that
        kills its worker is not taken for ever).  `push_due_to` claims each row by moving its
        due time on, compare-and-set, and returns only the rows this sweep moved: two
        concurrent sweeps never both take one.  `skip`: keys left out of the `limit` rows
        read (work that has a job queued still).
        """
        ordering = (order_by,) if isinstance(order_by, str) else tuple(order_by)
        if push_due_to is None:
            listed = candidates.order_by(*ordering).values_list(self.key_field, flat=True)[:limit]
            keys = [key for key in listed if key not in skip]
        else:
            keys = []
            due_field = self._due_field()
            with_due = candidates.order_by(*ordering).values_list(self.key_field, due_field)[:limit]
            manager = self.model._default_manager
            for key, due_at in with_due:
                if key in skip:
                    continue
                moved = manager.filter(**{self.key_field: key, due_field: due_at}).update(**{due_field: push_due_to})
                if moved:
                    keys.append(key)
        if keys and count_attempt:
            attempts_field = self._attempts_field()
            self.model._default_manager.filter(**{f"{self.key_field}__in": keys}).update(
                **{attempts_field: F(attempts_field) + 1}
            )
        return keys

    # ----

    def _due_field(self) -> str:
        if self.due_field is None:
            raise TypeError(f"{self.model.__name__} has no due time")
        return self.due_field

    def _lease_field(self) -> str:
        if self.lease_field is None:
            raise TypeError(f"{self.model.__name__} has no lease")
        return self.lease_field

    def _attempts_field(self) -> str:
        if self.attempts_field is None:
            raise TypeError(f"{self.model.__name__} counts no attempts")
        return self.attempts_field


def exponential_backoff(attempts: int, *, base: timedelta, cap: timedelta, jitter: float = 0.0) -> timedelta:
    """How long to wait after the `attempts`-th failed try: base x 2^(attempts-1), at most `cap`,
    then scaled by a random factor in [1 - jitter, 1 + jitter]."""
    seconds = min(base.total_seconds() * 2 ** min(max(attempts - 1, 0), 30), cap.total_seconds())
    if jitter:
        seconds *= _random.uniform(1 - jitter, 1 + jitter)
    return timedelta(seconds=seconds)
