"""Request shaping for /api/ and /oauth/ before URL resolution."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

API_PREFIXES = ("/api/", "/oauth/")


class ApiRequestMiddleware:
    """Mastodon clients call routes with and without a trailing slash (`/api/v1/instance/`):
    strip it here so every route is declared once.  Django parses form bodies for POST
    only; Mastodon's `PATCH /api/v1/accounts/update_credentials` sends multipart, so
    PATCH and PUT bodies are parsed the same way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIXES):
            if len(path) > 1 and path.endswith("/"):
                request.path_info = path.rstrip("/")
            if request.method in ("PATCH", "PUT") and request.content_type in (
                "multipart/form-data",
                "application/x-www-form-urlencoded",
            ):
                method = request.method
                request.method = "POST"
                request._load_post_and_files()
                request.method = method
        return self.get_response(request)
