from django.urls import path, re_path

from kith.api.streaming.views import redirect_to_streaming

urlpatterns = [
    path("api/v1/streaming", redirect_to_streaming),
    re_path(r"^api/v1/streaming/(?P<rest>.+)$", redirect_to_streaming),
]
