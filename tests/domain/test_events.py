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
    events._subscribers.pop(_Probe, None)


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
