from django.urls import include, path

from kith.api.api import api

urlpatterns = [
    # Before the API: the streaming paths answer with a redirect to the streaming server.
    path("", include("kith.api.streaming.urls")),
    path("api/", api.urls),
    path("", include("kith.api.urls")),
    path("", include("kith.federation.activitypub.urls")),
    path("", include("kith.web.urls")),
]

# A database that is away answers 503 with Retry-After, not 500 (kith/web/errors.py).
handler500 = "kith.web.errors.server_error"
