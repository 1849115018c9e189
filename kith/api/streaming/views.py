"""The streaming paths on the web host: Mastodon's rule is to redirect them to the streaming
server when it lives elsewhere (`KITH_STREAMING_URL`), and to answer 404 when it is the same host."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse


def streaming_base() -> str:
    """KITH_STREAMING_URL as an http(s) base, which is what a redirect can point at."""
    url = settings.KITH_STREAMING_URL
    return "http" + url[2:] if url.startswith("ws") else url


def redirect_to_streaming(request: HttpRequest, rest: str = "") -> HttpResponse:
    base = streaming_base()
    if urlsplit(base).netloc == urlsplit(settings.KITH_URL).netloc:
        # Same host: a proxy should have sent this to the streaming server; nothing here streams.
        return JsonResponse({"error": "Not found"}, status=404)
    return HttpResponsePermanentRedirect(f"{base}{request.get_full_path()}")
