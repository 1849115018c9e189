"""The answer to a request that failed with an exception (Django's handler500).

A database that is away (SQLite's write lock held past KITH_DATABASE_TIMEOUT_SECONDS, a
PostgreSQL server restarting or cut off) is not a bug: the request is answered 503 with
Retry-After and a short message, as JSON on the client API (Mastodon's `{"error": ...}`) and
ActivityPub paths, and a plain page elsewhere.  Clients and remote servers retry a 503; the
failed transaction left nothing behind, and the next request finds the database again
(connections are health-checked).  Any other exception stays a 500.

Nothing here touches the database: the pages are rendered without a request context.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
JSON_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/nodeinfo/")
UNAVAILABLE = "The pod's database is not reachable just now. Please try again in a moment."


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` means the database could not be reached or used just now (not a bug)."""
    return isinstance(error, (OperationalError, InterfaceError))


def _wants_json(request: HttpRequest) -> bool:
    """The client API, discovery, inboxes, and whoever asks for JSON (ActivityPub documents)."""
    if request.path.startswith(JSON_PREFIXES) or request.path.endswith("/inbox"):
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "html" not in accept


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if database_unavailable(error):
        log.warning("answered 503 to %s %s: the database is unavailable (%s)", request.method, request.path, error)
        if _wants_json(request):
            response: HttpResponse = JsonResponse({"error": UNAVAILABLE}, status=503)
        else:
            response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    if request.path.startswith(("/api/", "/oauth/")):
        return JsonResponse({"error": "Internal server error"}, status=500)  # what Mastodon apps read
    return defaults.server_error(request)
