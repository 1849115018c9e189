"""The conversation list renders its participants in one batch, whatever the page holds (review)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.messaging import services as messaging

pytestmark = pytest.mark.django_db(transaction=True)


def _count(client):
    with CaptureQueriesContext(connection) as ctx:
        status, body = client.get("/api/v1/conversations")
    assert status == 200
    return len(ctx.captured_queries), len(body)


def test_conversation_list_query_count(api_as, alice, bob, carol, dave):
    client = api_as(alice)
    messaging.start_conversation(alice, [bob], "a", "one")
    one = _count(client)
    for i in range(8):
        messaging.start_conversation(alice, [bob, carol] if i % 2 else [dave], f"s{i}", f"m{i}")
    many = _count(client)
    assert one[0] == many[0], (one, many)
