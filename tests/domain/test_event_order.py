"""Event consumers run in the order they declare (`after=`), never in the order of imports."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kith.core import events


@dataclass(frozen=True)
class _Ordered:
    n: int


@pytest.fixture
def calls() -> list[str]:
    return []


def test_a_consumer_runs_after_the_one_it_names_though_it_subscribed_first(calls: list[str]) -> None:
    def writes(event: _Ordered) -> None:
        calls.append("writes")

    def announces(event: _Ordered) -> None:
        calls.append("announces")

    def unrelated(event: _Ordered) -> None:
        calls.append("unrelated")

    events.subscribe(_Ordered, durable=False)(unrelated)
    events.subscribe(_Ordered, durable=False, after=[writes])(announces)  # imported first ...
    events.subscribe(_Ordered, durable=False)(writes)  # ... the module it depends on later
    try:
        events.dispatch(_Ordered(1))
        assert calls == ["unrelated", "writes", "announces"]
        assert [c.handler for c in events.consumers_of(_Ordered)] == [unrelated, writes, announces]
    finally:
        for handler in (unrelated, writes, announces):
            events.unsubscribe(_Ordered, handler)


def test_consumers_that_wait_for_each_other_are_refused() -> None:
    def first(event: _Ordered) -> None: ...

    def second(event: _Ordered) -> None: ...

    events.subscribe(_Ordered, durable=False, after=[second])(first)
    try:
        with pytest.raises(events.OrderError):
            events.subscribe(_Ordered, durable=False, after=[first])(second)
        assert [c.handler for c in events.consumers_of(_Ordered)] == [first]
    finally:
        events.unsubscribe(_Ordered, first)
        events.unsubscribe(_Ordered, second)


def test_an_inline_consumer_cannot_wait_for_one_in_the_worker() -> None:
    def queued(event: _Ordered) -> None: ...

    def inline(event: _Ordered) -> None: ...

    events.subscribe(_Ordered, durable=False, in_worker=True)(queued)
    try:
        with pytest.raises(events.OrderError):
            events.subscribe(_Ordered, durable=False, after=[queued])(inline)
    finally:
        events.unsubscribe(_Ordered, queued)
        events.unsubscribe(_Ordered, inline)


@pytest.fixture
def fan_out_registered_last() -> None:
    """The timelines consumer subscribes after the streaming one, as if imported later."""
    from kith.api.streaming import consumers as streaming  # noqa: F401  (registers the wake-up)
    from kith.timelines.consumers import surface_post

    events.unsubscribe(events.PostPublished, surface_post)
    events.subscribe(events.PostPublished)(surface_post)


@pytest.mark.django_db
def test_the_streaming_wake_up_comes_after_the_fan_out_it_announces(
    fan_out_registered_last: None, alice, bob, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    from kith.api.streaming import wake
    from kith.api.streaming.consumers import wake_on_publish
    from kith.graph.services import follow
    from kith.social.services import publish_post
    from kith.timelines.consumers import surface_post
    from kith.timelines.models import StreamEntry

    order = [c.handler for c in events.consumers_of(events.PostPublished)]
    assert order.index(surface_post) < order.index(wake_on_publish)

    follow(bob, alice)
    seen_at_wake: list[bool] = []
    monkeypatch.setattr(
        wake, "publish", lambda: seen_at_wake.append(StreamEntry.objects.filter(owner=bob).exists())
    )
    with django_capture_on_commit_callbacks(execute=True):
        post = publish_post(alice, "now")
    assert StreamEntry.objects.filter(owner=bob, post=post).exists()
    assert seen_at_wake == [True]  # bob's stream row was written when his stream was woken


def test_a_purge_deletes_what_the_person_wrote_before_their_relations() -> None:
    """PersonPurged's in-transaction subscribers run by their declared order (content, then
    relations), whatever order their apps were loaded in."""
    from kith.graph.services import _forget_person
    from kith.social.services import _purge_on_removal

    handlers = [handler for _order, handler in events._in_transaction[events.PersonPurged]]
    assert handlers.index(_purge_on_removal) < handlers.index(_forget_person)


def test_in_transaction_subscribers_run_by_order_not_by_subscription(calls: list[str]) -> None:
    def late(event: _Ordered) -> None:
        calls.append("late")

    def early(event: _Ordered) -> None:
        calls.append("early")

    events.subscribe_in_transaction(_Ordered, order=20)(late)
    events.subscribe_in_transaction(_Ordered, order=10)(early)
    try:
        for _order, handler in events._in_transaction[_Ordered]:
            handler(_Ordered(1))
        assert calls == ["early", "late"]
    finally:
        events.unsubscribe(_Ordered, late)
        events.unsubscribe(_Ordered, early)
