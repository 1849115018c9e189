from django.urls import include, path

from kith.api.api import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("kith.api.urls")),
    path("", include("kith.federation.activitypub.urls")),
    path("", include("kith.web.urls")),
]
