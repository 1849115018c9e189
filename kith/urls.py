from django.urls import include, path

urlpatterns = [
    path("", include("kith.federation.activitypub.urls")),
    path("", include("kith.web.urls")),
]
