"""kith.core.durable: the moves every kind of durable work shares (its users have their own tests)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kith.core import outbox
from kith.core.durable import DurableRows, Held, exponential_backoff
from kith.core.models import PendingEvent
from kith.federation import delivery
from kith.federation.models import Delivery, DeliveryState


def test_the_backoff_figures_are_the_ones_documented() -> None:
    # Deliveries: 30 s x 2^n, capped at 16 h (docs/adr/0003-delivery.md); the outbox: 1 min .. 6 h.
    assert [delivery.retry_delay(n, jitter=False).total_seconds() for n in (1, 2, 3, 16)] == [30, 60, 120, 16 * 3600]
    assert [outbox._backoff(n) for n in (0, 1, 2, 12)] == [timedelta(minutes=m) for m in (1, 1, 2, 360)]
    for _ in range(50):
        jittered = exponential_backoff(3, base=timedelta(seconds=30), cap=timedelta(hours=1), jitter=0.2)
        assert timedelta(seconds=96) <= jittered <= timedelta(seconds=144)


def _event(**values: object) -> PendingEvent:
    return PendingEvent.objects.create(
        event_type="ProfileUpdated", payload={"person_id": 1}, consumer="x", due_at=timezone.now(), **values
    )


@pytest.mark.django_db
def test_a_lease_is_taken_once_and_fences_out_a_run_that_lost_it() -> None:
    rows = DurableRows(PendingEvent)
    row = _event()
    now = timezone.now()
    first = rows.claim_one(row.id, now=now, lease=timedelta(minutes=1))
    assert first is not None
    with pytest.raises(Held):
        rows.claim_one(row.id, now=now, lease=timedelta(minutes=1))
    # The lease ran out and a second run took the row: the first one's writes change nothing.
    second = rows.claim_one(row.id, now=now + timedelta(minutes=2), lease=timedelta(minutes=1))
    assert second is not None
    assert rows.fenced(first).update(last_error="stale") == 0
    assert rows.fenced(second).update(last_error="mine") == 1
    assert rows.release(first) == 0
    assert rows.release(second) == 1


@pytest.mark.django_db
def test_a_batch_claim_skips_held_rows_and_writes_only_under_its_own_lease() -> None:
    now = timezone.now()
    made = [
        Delivery.objects.create(
            activity_uri=f"https://here.example/a/{n}", inbox="https://there.example/inbox", host="there.example",
            body=b"{}", content_type="application/json", next_attempt_at=now,
        )
        for n in range(3)
    ]
    taken = delivery.DELIVERIES.claim_batch(delivery.DELIVERIES.due(now).order_by("id"), 2, until=now + delivery.LEASE)
    assert [row.id for row in taken] == [made[0].id, made[1].id]
    assert [row.id for row in delivery.DELIVERIES.due(now)] == [made[2].id]
    Delivery.objects.filter(id=made[0].id).update(claimed_until=now + timedelta(hours=1))  # taken over
    assert delivery.DELIVERIES.update_held(taken, state=DeliveryState.SENT) == 1
    assert Delivery.objects.get(id=made[0].id).state == DeliveryState.PENDING


@pytest.mark.django_db
def test_two_sweeps_never_take_the_same_row_and_a_taker_takes_once() -> None:
    rows = DurableRows(PendingEvent)
    row = _event()
    now = timezone.now()
    candidates = rows.due(now)
    assert rows.sweep(candidates, order_by="id", limit=10, push_due_to=now + timedelta(minutes=2)) == [row.id]
    stale = PendingEvent.objects.filter(id=row.id, due_at=row.due_at)  # what a concurrent sweep read
    assert not stale.exists()
    assert rows.sweep(rows.due(now), order_by="id", limit=10, push_due_to=now + timedelta(minutes=2)) == []
    later = now + timedelta(minutes=3)
    assert rows.take_due(row.id, now=later, delete=True) is True
    assert rows.take_due(row.id, now=later, delete=True) is False
