"""What every request and response goes through: a cap on request bodies, no NUL in page
addresses, and headers that make every page safer to render user content in."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

# Room for a multipart body's own parts (boundaries, the other fields) beside the largest upload.
FORM_OVERHEAD_BYTES = 1024 * 1024


class RequestSizeMiddleware:
    """Refuses a body larger than any Kith accepts (an upload of KITH_MAX_UPLOAD_BYTES plus
    its form) with 413 before anything reads it.  Django caps form fields in memory, but streams
    uploaded files to a temporary file whatever their size, so without this a single request
    could write gigabytes to disk before the upload's own size check ran.  A body without a
    Content-Length is read by Django as empty, so the declared length is the whole story."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.KITH_MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES
        declared = request.META.get("CONTENT_LENGTH") or ""
        # ASCII digits only ('²' is a digit to isdigit, not to int()), and no int() of 5,000 digits.
        if declared.isascii() and declared.isdigit() and (len(declared) > 15 or int(declared) > limit):
            message = f"The request is larger than this pod accepts ({limit // (1024 * 1024)} MB)."
            if request.path.startswith(("/api/", "/oauth/")):
                return JsonResponse({"error": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

class NulInAddressMiddleware:
    """A page address holding NUL (`/tags/%00`, `?q=%00`) is a 400 before any view reads it: no
    text Kith stores or looks up may hold NUL, and PostgreSQL refuses it in any query (a 500).
    Form fields refuse it themselves (Django's forms); the API answers in its own format
    (kith.api.middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(("/api/", "/oauth/")) and (
            "\x00" in request.path_info
            or any("\x00" in key or any("\x00" in value for value in request.GET.getlist(key)) for key in request.GET)
        ):
            return HttpResponse("The address holds a NUL character.", status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# No inline script or style anywhere: user content cannot execute even if sanitising failed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
