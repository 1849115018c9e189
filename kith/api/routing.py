"""A ninja Router whose every operation documents Mastodon's error answers."""

from __future__ import annotations

from typing import Any

from ninja import Router
from ninja.constants import NOT_SET

from kith.api.schemas import Error

ERROR_RESPONSES = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error, 429: Error}


class ApiRouter(Router):
    def add_api_operation(self, path: str, methods: list[str], view_func: Any, *, response: Any = NOT_SET,
                          **kwargs: Any) -> None:
        if response is not NOT_SET:
            declared = response if isinstance(response, dict) else {200: response}
            response = {**ERROR_RESPONSES, **declared}
        super().add_api_operation(path, methods, view_func, response=response, **kwargs)
