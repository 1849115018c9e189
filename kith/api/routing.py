"""A ninja Router whose every operation documents Mastodon's error answers, and whose
responses are rendered without being validated again on the way out.

The renderers in `kith.api.entities` build plain dicts in the exact shape of the schemas
in `kith.api.schemas`.  Validating every response against those schemas (ninja's default)
cost ~40 % of a home-timeline request (docs/performance.md), for checking what the
renderers already guarantee.  So production renders the dicts directly, and the test
suite (KITH_API_CHECK_RESPONSES, on in tests/settings.py and in the pods tests start)
renders each response both ways and fails on any difference: every API test doubles as a
check that the direct rendering is what the schema allows.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import Router
from ninja.constants import NOT_SET
from ninja.operation import Operation
from pydantic import BaseModel

from kith.api.schemas import Error

ERROR_RESPONSES = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error, 429: Error}


class ResponseDrift(AssertionError):
    """A renderer produced something the response schema would have changed (tests only)."""


class DirectOperation(Operation):
    """An operation whose plain dict/list results are rendered as they are."""

    def _result_to_response(self, request: HttpRequest, result: Any, temporal_response: HttpResponse
                            ) -> HttpResponseBase:
        if isinstance(result, HttpResponseBase | BaseModel | tuple) or not isinstance(result, dict | list):
            return super()._result_to_response(request, result, temporal_response)
        status = next(iter(self.response_models)) if len(self.response_models) == 1 else 200
        if self.response_models.get(status, NOT_SET) in (NOT_SET, None):
            return super()._result_to_response(request, result, temporal_response)
        if settings.KITH_API_CHECK_RESPONSES:
            self._check(request, result, status)
        temporal_response.status_code = status
        try:
            return self.api.create_response(request, result, temporal_response=temporal_response)
        except TypeError:  # something JSON cannot hold as it is: let the schema convert it
            return super()._result_to_response(request, result, temporal_response)

    def _check(self, request: HttpRequest, result: Any, status: int) -> None:
        direct = json.loads(self.api.renderer.render(request, result, response_status=status))
        checked = json.loads(super()._result_to_response(request, result, HttpResponse(status=status)).content)
        if direct != checked:
            differences = "\n  ".join(_differences(direct, checked)[:20])
            raise ResponseDrift(
                f"{self.view_func.__module__}.{self.view_func.__name__}: the response differs from what its "
                f"schema makes of it (direct vs schema):\n  {differences}"
            )


# ninja wraps each status code's schema in a pydantic model of its own; the error answers are
# the same for every operation, so they share one wrapper, made by the first operation: 7
# fewer pydantic models per operation, ~0.35 s of CPU at each process's import of the API.
_shared_error_model: Any = None


class ApiRouter(Router):
    def add_api_operation(self, path: str, methods: list[str], view_func: Any, *, response: Any = NOT_SET,
                          **kwargs: Any) -> None:
        declared = response if isinstance(response, dict) or response is NOT_SET else {200: response}
        before = {id(op) for view in self.path_operations.values() for op in view.operations}
        super().add_api_operation(path, methods, view_func, response=declared, **kwargs)
        for view in self.path_operations.values():
            for operation in view.operations:
                if id(operation) not in before:
                    if declared is not NOT_SET:
                        operation.response_models = _with_error_models(operation, declared)
                    if type(operation) is Operation:
                        operation.__class__ = DirectOperation


def _with_error_models(operation: Operation, declared: dict[Any, Any]) -> dict[Any, Any]:
    """The operation's response models with the shared error answers, in the order ninja would
    have given `{**ERROR_RESPONSES, **declared}` (the order decides a lone status's default)."""
    global _shared_error_model
    if _shared_error_model is None:
        _shared_error_model = operation._create_response_model(Error)
    models: dict[Any, Any] = {}
    for key in {**ERROR_RESPONSES, **declared}:
        for code in key if isinstance(key, tuple) else (key,):
            models[code] = operation.response_models[code] if key in declared else _shared_error_model
    return models



def _differences(direct: Any, checked: Any, path: str = "") -> list[str]:
    if isinstance(direct, dict) and isinstance(checked, dict):
        found = []
        for key in sorted(set(direct) | set(checked), key=str):
            where = f"{path}.{key}"
            if key not in direct:
                found.append(f"{where}: missing (schema: {checked[key]!r:.60})")
            elif key not in checked:
                found.append(f"{where}: not in the schema")
            else:
                found.extend(_differences(direct[key], checked[key], where))
        return found
    if isinstance(direct, list) and isinstance(checked, list) and len(direct) == len(checked):
        return [found for a, b in zip(direct, checked, strict=True) for found in _differences(a, b, f"{path}[]")]
    return [] if direct == checked else [f"{path or '.'}: {direct!r:.60} vs {checked!r:.60}"]
