"""Responses are rendered directly (kith/api/routing.py); the suite checks them against
their schemas.  These tests make sure that check can fail, and what production sends."""

from __future__ import annotations

import pydantic
import pytest
from ninja import Schema
from ninja.testing import TestClient

from kith.api.routing import ApiRouter, DirectOperation, ResponseDrift


class Thing(Schema):
    id: str
    note: str | None = None


def _client() -> TestClient:
    router = ApiRouter()

    @router.get("/complete", response=Thing)
    def complete(request):
        return {"id": "1", "note": None}

    @router.get("/drifting", response=Thing)
    def drifting(request):
        return {"id": "1"}  # the schema would add "note": null

    @router.get("/typed", response=Thing)
    def typed(request):
        return {"id": 1, "note": "x"}  # the schema refuses an integer id

    return TestClient(router)


def test_api_operations_render_directly():
    from kith.api.api import api

    operations = [op for router in api._routers for view in router[1].path_operations.values()
                  for op in view.operations]
    assert len(operations) > 100
    assert {type(op) for op in operations} == {DirectOperation}


def test_the_check_catches_a_missing_default_and_a_type_change(settings):
    settings.KITH_API_CHECK_RESPONSES = True
    client = _client()
    assert client.get("/complete").json() == {"id": "1", "note": None}
    with pytest.raises(ResponseDrift, match=r"\.note: missing"):
        client.get("/drifting")
    with pytest.raises(pydantic.ValidationError, match="response.id"):
        client.get("/typed")


def test_production_sends_what_the_renderer_built(settings):
    settings.KITH_API_CHECK_RESPONSES = False
    client = _client()
    assert client.get("/drifting").json() == {"id": "1"}
    assert client.get("/typed").json() == {"id": 1, "note": "x"}
