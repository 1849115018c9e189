"""Domain event dispatch: every consumer runs even when another fails."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kith.core import events


@dataclass(frozen=True)
class _Probe:
    n: int


@pytest.fixture
def consumers():
    calls: list[str] = []

    def failing(event: _Probe) -> None:
        calls.append("failing")
        raise RuntimeError("consumer broke")

    def working(event: _Probe) -> None:
        calls.append("working")

    events.subscribe(_Probe)(failing)
    events.subscribe(_Probe)(working)
    yield calls
    events.unsubscribe(_Probe, failing)
    events.unsubscribe(_Probe, working)


def test_a_failing_consumer_does_not_stop_the_others_and_is_logged(consumers, settings, caplog):
    settings.KITH_EVENTS_RAISE = False
    events.dispatch(_Probe(1))
    assert consumers == ["failing", "working"]
    assert "consumer broke" in caplog.text


def test_under_test_settings_the_failure_is_raised_after_all_consumers_ran(consumers, settings):
    settings.KITH_EVENTS_RAISE = True
    with pytest.raises(RuntimeError, match="consumer broke"):
        events.dispatch(_Probe(2))
    assert consumers == ["failing", "working"]


# ---- the transactional outbox ------------------------------------------------------------------


def _deliveries_of(post) -> int:
    from kith.federation.models import Delivery

    return Delivery.objects.filter(subject=f"post:{post.id}").count()


@pytest.fixture
def remote_follower(db, alice):
    from django.utils import timezone

    from kith.federation.activitypub.models import RemoteActor
    from kith.graph.models import Follow, FollowState
    from kith.people.remote import upsert_remote_person

    person = upsert_remote_person("rem", "remote.example")
    RemoteActor.objects.create(
        person=person, uri="https://remote.example/users/rem", inbox="https://remote.example/users/rem/inbox",
        shared_inbox="https://remote.example/inbox", key_id="https://remote.example/users/rem#main-key",
        public_key_pem="unused", actor_type="Person", fetched_at=timezone.now(),
    )
    Follow.objects.create(follower=person, followee=alice, state=FollowState.ACCEPTED)
    return person


@pytest.mark.django_db(transaction=True)
def test_an_event_whose_consumers_never_ran_is_run_by_the_sweep(alice, remote_follower):
    """A crash between the commit and the consumers (their on-commit callbacks never run):
    the post and its pending rows are committed together, and the worker's start-up sweep
    federates it."""
    from django.db import connection, transaction

    from kith.core import outbox
    from kith.core.models import PendingEvent
    from kith.social.services import publish_post

    with transaction.atomic():
        post = publish_post(alice, "written just before the crash")
        connection.run_on_commit = []  # the process dies: no consumer runs after the commit
    assert _deliveries_of(post) == 0
    pending = set(PendingEvent.objects.values_list("consumer", flat=True))
    assert "kith.federation.activitypub.outbound._on_post" in pending
    assert "kith.timelines.consumers.surface_post" in pending
    assert outbox.sweep() == 0  # not due yet: its own dispatch may still be under way
    assert outbox.sweep(include_young=True) == len(pending)  # a restarted worker runs them all
    assert _deliveries_of(post) == 1
    assert not PendingEvent.objects.exists()
    # Run again (a sweep racing a slow job): the consumers are idempotent.
    with transaction.atomic():
        events.emit_on_commit(events.PostPublished(post.id))
    assert _deliveries_of(post) == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_pending_event(alice):
    from django.db import transaction

    from kith.core.models import PendingEvent
    from kith.social.services import publish_post

    def publish_then_fail() -> None:
        with transaction.atomic():
            publish_post(alice, "never happened")
            assert PendingEvent.objects.exists()
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        publish_then_fail()
    assert not PendingEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_consumer_is_tried_again_later_with_backoff(alice, settings, monkeypatch):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from kith.core import outbox
    from kith.core.models import PendingEvent

    settings.KITH_EVENTS_RAISE = False
    attempts: list[int] = []

    def flaky(event: events.ProfileUpdated) -> None:
        attempts.append(event.person_id)
        if len(attempts) < 3:
            raise RuntimeError("peer down")

    events.subscribe(events.ProfileUpdated)(flaky)
    try:
        with transaction.atomic():
            events.emit_on_commit(events.ProfileUpdated(alice.id))
        row = PendingEvent.objects.get(consumer__endswith="flaky")
        assert attempts == [alice.id]
        later = timezone.now() + events.DISPATCH_GRACE + timedelta(seconds=1)
        monkeypatch.setattr(outbox.timezone, "now", lambda: later)
        assert outbox.sweep() == 1
        row.refresh_from_db()
        assert (row.attempts, row.last_error) == (1, "RuntimeError('peer down')")
        assert row.due_at > later  # backed off
        monkeypatch.setattr(outbox.timezone, "now", lambda: row.due_at)
        assert outbox.sweep() == 1
        assert attempts == [alice.id] * 3
        assert not PendingEvent.objects.filter(consumer__endswith="flaky").exists()
    finally:
        events.unsubscribe(events.ProfileUpdated, flaky)


@pytest.mark.django_db(transaction=True)
def test_a_row_being_run_is_not_run_again_by_a_second_job(alice, settings):
    """The sweep queued a second job while the first still waited in the queue: the two
    must not run the consumer side by side (a notification made twice)."""
    from django.db import transaction

    from kith.core import outbox
    from kith.core.models import PendingEvent

    settings.KITH_EVENTS_RAISE = False
    runs: list[int] = []

    def slow(event: events.ProfileUpdated) -> None:
        runs.append(event.person_id)
        if len(runs) == 1:
            # While the first job runs the consumer, a second job for the same row arrives.
            row = PendingEvent.objects.get(consumer__endswith="slow")
            assert outbox.run_pending(row.id) is True  # claimed by us: it does nothing
            raise RuntimeError("the first run fails after all")

    events.subscribe(events.ProfileUpdated, in_worker=True)(slow)
    try:
        with transaction.atomic():
            events.emit_on_commit(events.ProfileUpdated(alice.id))
        assert runs == [alice.id]  # once, not twice
        row = PendingEvent.objects.get(consumer__endswith="slow")
        assert row.claimed_until is None  # released for the retry
        assert row.attempts == 1
        assert outbox.run_pending(row.id) is True
        assert runs == [alice.id, alice.id]
        assert not PendingEvent.objects.filter(consumer__endswith="slow").exists()
    finally:
        events.unsubscribe(events.ProfileUpdated, slow)


@pytest.mark.django_db(transaction=True)
def test_a_whole_pod_restart_takes_over_claims_made_by_the_process_that_died(alice, remote_follower):
    """Killed while its worker ran a consumer: the row stays claimed for CLAIM, but the
    restarted pod (kith serve: the whole pod) takes it over at once."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kith.core import outbox
    from kith.core.models import PendingEvent
    from kith.social.services import publish_post

    with transaction.atomic():
        post = publish_post(alice, "its job was running when the pod died")
        connection.run_on_commit = []
    PendingEvent.objects.update(claimed_until=timezone.now() + outbox.CLAIM)  # the dead worker's claim
    assert outbox.sweep() == 0  # beside live processes, a claim is respected
    assert outbox.sweep(include_young=True) > 0
    assert _deliveries_of(post) == 1
    assert not PendingEvent.objects.exists()
