"""A database that is away answers 503 with Retry-After, never a 500 (kith/web/errors.py).

The end-to-end proof, with a real pod whose database goes away, is tests/test_database_outage.py."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from kith.api import middleware as api_middleware
from kith.web import middleware as web_middleware


def _failing(error: Exception):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("error", [OperationalError("database is locked"), InterfaceError("connection already closed")])
def test_the_client_api_answers_503_json_with_retry_after(client, monkeypatch, error):
    monkeypatch.setattr(api_middleware.ApiRequestMiddleware, "rate_limited", _failing(error))

    response = client.get("/api/v1/instance")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json() == {"error": "The pod's database is not reachable just now. Please try again in a moment."}


def test_pages_answer_a_short_503_page(client, monkeypatch):
    monkeypatch.setattr(web_middleware.SecurityHeadersMiddleware, "__call__", _failing(OperationalError("gone")))

    response = client.get("/public")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert b"Back in a moment" in response.content
    assert b"Traceback" not in response.content


def test_an_inbox_is_answered_in_json_so_the_sender_retries(client, monkeypatch):
    monkeypatch.setattr(web_middleware.SecurityHeadersMiddleware, "__call__", _failing(OperationalError("gone")))

    response = client.post("/users/alice/inbox", data=b"{}", content_type="application/activity+json")

    assert (response.status_code, response["Content-Type"]) == (503, "application/json")


def test_any_other_failure_is_still_a_500(client, monkeypatch):
    monkeypatch.setattr(api_middleware.ApiRequestMiddleware, "rate_limited", _failing(RuntimeError("a bug")))
    monkeypatch.setattr(web_middleware.SecurityHeadersMiddleware, "__call__", _failing(RuntimeError("a bug")))

    api = client.get("/api/v1/instance")
    page = client.get("/public")

    assert (api.status_code, api.json()) == (500, {"error": "Internal server error"})
    assert page.status_code == 500
    assert "Retry-After" not in page
