"""Request shaping for /api/ and /oauth/ before URL resolution."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIXES = ("/api/", "/oauth/")


class ApiRequestMiddleware:
    """Mastodon clients call routes with and without a trailing slash (`/api/v1/instance/`):
    strip it here so every route is declared once.  Django parses form bodies for POST
    only; Mastodon's `PATCH /api/v1/accounts/update_credentials` sends multipart, so
    PATCH and PUT bodies are parsed the same way (and DELETE's: Mastodon.py sends
    `DELETE /api/v1/domain_blocks` with a form body)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIXES):
            if len(path) > 1 and path.endswith("/"):
                request.path_info = path.rstrip("/")
            if request.method in ("PATCH", "PUT", "DELETE") and request.content_type in (
                "multipart/form-data",
                "application/x-www-form-urlencoded",
            ):
                method = request.method
                request.method = "POST"
                request._load_post_and_files()
                request.method = method
            if _carries_nul(request):
                # No text Kith stores or searches may hold NUL (PostgreSQL refuses it outright).
                return JsonResponse({"error": "Parameters may not contain NUL characters"}, status=400)
        if path.startswith("/api/"):
            return self.rate_limited(request)
        return self.get_response(request)

    def rate_limited(self, request: HttpRequest) -> HttpResponse:
        """Mastodon's throttle: KITH_API_RATE_LIMIT requests per KITH_API_RATE_PERIOD seconds per
        token (per client address without one), counted in the cache in fixed windows; beyond
        it a 429.  Every answer says where the caller stands (X-RateLimit-*).  0 switches it off."""
        limit = settings.KITH_API_RATE_LIMIT
        if limit <= 0:
            return self.get_response(request)
        period = max(1, int(settings.KITH_API_RATE_PERIOD))
        now = time.time()
        window = int(now // period) * period
        key = f"kith:api:rate:{_caller(request)}:{window}"
        cache.add(key, 0, timeout=period + 5)
        try:
            used = cache.incr(key)
        except ValueError:  # the window's key expired between add and incr
            cache.set(key, 1, timeout=period + 5)
            used = 1
        if used > limit:
            response: HttpResponse = JsonResponse({"error": "Too many requests"}, status=429)
            response["Retry-After"] = str(max(1, int(window + period - now)))
        else:
            response = self.get_response(request)
        response["X-RateLimit-Limit"] = str(limit)
        response["X-RateLimit-Remaining"] = str(max(0, limit - used))
        # An ISO 8601 time, as Mastodon sends it (Mastodon.py parses it as a date).
        reset = datetime.fromtimestamp(window + period, UTC)
        response["X-RateLimit-Reset"] = reset.isoformat(timespec="microseconds").replace("+00:00", "Z")
        return response


def _carries_nul(request: HttpRequest) -> bool:
    """NUL in the path, the query or a form body (JSON bodies: kith.api.params)."""
    if "\x00" in request.path_info or any(
        "\x00" in key or any("\x00" in value for value in request.GET.getlist(key)) for key in request.GET
    ):
        return True
    if request.method == "GET" or request.content_type not in (
        "multipart/form-data", "application/x-www-form-urlencoded"
    ):
        return False
    return any("\x00" in key or any("\x00" in value for value in request.POST.getlist(key)) for key in request.POST)


def _caller(request: HttpRequest) -> str:
    """Who is counted: the bearer token (hashed: the cache never holds it) or the address."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode("utf-8")).hexdigest()
    return "address:" + (request.META.get("REMOTE_ADDR") or "unknown")
