"""The delivery engine's rules without a network: answers, Retry-After, backoff, host windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kith.federation.delivery import (
    BACKOFF_BASE_SECONDS,
    HOST_FAILURE_THRESHOLD,
    MAX_AGE,
    MAX_ATTEMPTS,
    PROBE_WINDOW_CAP_SECONDS,
    RETRY_AFTER_CAP_SECONDS,
    Outcome,
    classify_response,
    inbox_host,
    parse_retry_after,
    probe_window,
    retry_delay,
)


@pytest.mark.parametrize(
    ("status", "outcome", "host_up"),
    [
        (200, Outcome.SENT, True), (202, Outcome.SENT, True), (204, Outcome.SENT, True),
        (400, Outcome.FAILED, True), (403, Outcome.FAILED, True), (404, Outcome.FAILED, True),
        (410, Outcome.FAILED, True), (413, Outcome.FAILED, True),
        (408, Outcome.RETRY, False), (500, Outcome.RETRY, False), (502, Outcome.RETRY, False),
        (503, Outcome.RETRY, False), (504, Outcome.RETRY, False),
        (429, Outcome.RETRY, True),  # up, but asking us to slow down
    ],
)
def test_answers(status, outcome, host_up):
    result = classify_response(status, {})
    assert (result.outcome, result.status, result.host_up) == (outcome, status, host_up)


def test_401_is_retried_once():
    assert classify_response(401, {}).outcome is Outcome.RETRY
    assert classify_response(401, {}, previous_status=500).outcome is Outcome.RETRY
    assert classify_response(401, {}, previous_status=401).outcome is Outcome.FAILED


def test_retry_after_on_429_and_503_only():
    assert classify_response(429, {"retry-after": "90"}).retry_after == 90
    assert classify_response(503, {"retry-after": "90"}).retry_after == 90
    assert classify_response(500, {"retry-after": "90"}).retry_after is None


def test_retry_after_forms():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Thu, 01 Jan 2026 12:05:00 GMT", now) == 300
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 1  # in the past: soon
    assert parse_retry_after("99999999", now) == RETRY_AFTER_CAP_SECONDS
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("", now) is None


def test_backoff_schedule_spans_about_three_and_a_half_days():
    delays = [retry_delay(n, jitter=False) for n in range(1, MAX_ATTEMPTS)]
    assert delays[0] == timedelta(seconds=BACKOFF_BASE_SECONDS)
    assert delays[1] == 2 * delays[0]
    assert all(later >= earlier for earlier, later in zip(delays, delays[1:], strict=False))
    total = sum(delays, timedelta())
    assert timedelta(days=3) < total < timedelta(days=4)
    # The age cap sits above the longest jittered schedule, so attempts decide, not age.
    assert total * 1.2 < MAX_AGE


def test_backoff_jitter_stays_within_a_fifth():
    for attempts in (1, 5, 15):
        plain = retry_delay(attempts, jitter=False).total_seconds()
        for _ in range(50):
            assert 0.8 * plain <= retry_delay(attempts).total_seconds() <= 1.2 * plain


def test_probe_windows_grow_to_a_cap():
    first = probe_window(HOST_FAILURE_THRESHOLD)
    assert first == timedelta(minutes=2)
    assert probe_window(HOST_FAILURE_THRESHOLD + 1) == 2 * first
    assert probe_window(HOST_FAILURE_THRESHOLD + 50) == timedelta(seconds=PROBE_WINDOW_CAP_SECONDS)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Example.COM/inbox", "example.com"),
        ("https://example.com:443/inbox", "example.com"),
        ("https://example.com:8443/inbox", "example.com:8443"),
        ("http://127.0.0.2:8080/inbox", "127.0.0.2:8080"),
        ("https://user:pw@example.com/inbox", "example.com"),
        ("https://[2001:db8::1]:8443/inbox", "[2001:db8::1]:8443"),
        ("ftp://example.com/inbox", None),
        ("https:///inbox", None),
        ("https://example.com:notaport/inbox", None),
    ],
)
def test_inbox_host(url, host):
    assert inbox_host(url) == host
