"""Fixtures for the client API: a Django test client that speaks as a person with a bearer token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from kith.api.tokens import issue_token
from kith.people.models import Person


class ApiClient:
    """`api.get("/api/v1/...")` -> (status, json); JSON bodies by default, `form=True` for form bodies."""

    def __init__(self, person: Person | None = None, scopes: str = "read write follow push") -> None:
        self.client = Client()
        self.person = person
        self.headers: dict[str, str] = {}
        if person is not None:
            self.token = issue_token(person.account, "tests", scopes)
            self.headers["Authorization"] = f"Bearer {self.token}"
        self.last = None

    def request(self, method: str, path: str, data: Any = None, *, form: bool = False, **extra: Any) -> Any:
        headers = {**self.headers, **extra.pop("headers", {})}
        call = getattr(self.client, method.lower())
        if method == "GET":
            response = call(path, data or {}, headers=headers, **extra)
        elif form:
            response = (
                call(path, data or {}, headers=headers, **extra)
                if method == "POST"
                else call(path, _urlencode(data or {}), content_type="application/x-www-form-urlencoded",
                          headers=headers, **extra)
            )
        else:
            response = call(path, json.dumps(data or {}), content_type="application/json", headers=headers, **extra)
        self.last = response
        body = response.content
        return response.status_code, (json.loads(body) if body and response["Content-Type"].startswith(
            "application/json") else None)

    def get(self, path: str, params: dict | None = None, **extra: Any) -> Any:
        return self.request("GET", path, params, **extra)

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.request("POST", path, data, **extra)

    def put(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.request("PUT", path, data, **extra)

    def patch(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.request("PATCH", path, data, **extra)

    def delete(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.request("DELETE", path, data, **extra)


def _urlencode(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True)


@pytest.fixture
def api_as():
    """`api_as(alice)` -> an ApiClient with a token for alice; `api_as(None)` is anonymous."""

    def make(person: Person | None, scopes: str = "read write follow push") -> ApiClient:
        return ApiClient(person, scopes)

    return make
