"""The ninja API object: parser, error format and the routers of each area."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kith import __version__
from kith.api.params import MastodonParser
from kith.core.errors import DomainError

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Kith: Mastodon-compatible client API",
    version=__version__,
    description=(
        "The Mastodon 4.3 client API as a Kith pod serves it, plus Kith's aspects "
        "(`kith_aspect_ids` when posting). See docs/api.md."
    ),
    parser=MastodonParser(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url=None,
)


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return api.create_response(request, {"error": message}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return _error(request, str(error), error.status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    problems = []
    for problem in error.errors[:5]:
        where = ".".join(str(part) for part in problem.get("loc", ())[1:]) or "request"
        problems.append(f"{where}: {problem.get('msg', 'invalid')}")
    return _error(request, "Validation failed: " + "; ".join(problems), 422)


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return _error(request, "The access token is invalid", 401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return _error(request, str(error), error.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return _error(request, "Record not found", 404)


def _register_routers() -> None:
    from kith.api.endpoints import ROUTERS

    for router in ROUTERS:
        api.add_router("", router)


_register_routers()
