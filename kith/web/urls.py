from django.urls import path

from kith.web import views

app_name = "web"

urlpatterns = [
    path("", views.stream, name="stream"),
]
