from django.urls import path

from kith.web import media, views

app_name = "web"

urlpatterns = [
    path("", views.stream, name="stream"),
    # photos and profile images, served only through visibility (kith/web/media.py)
    path("media/<int:media_id>/<str:kind>", media.media_file, name="media"),
    path("avatars/<int:person_id>", media.avatar, name="avatar"),
    path("headers/<int:person_id>", media.header, name="header"),
]
