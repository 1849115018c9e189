from django.urls import include, path

urlpatterns = [
    path("", include("kith.web.urls")),
]
