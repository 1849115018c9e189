"""Photos of remote posts: a server that does not answer, or a job lost with its worker, does
not lose the photo for good; a refusal fails it at once; a day is the limit."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from kith.federation import media_cache
from kith.people.remote import upsert_remote_person
from kith.social import remote
from kith.social.models import Media, MediaState, Visibility
from tests.federation.picture_server import PictureServer

pytestmark = pytest.mark.django_db(transaction=True)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "teal").save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def photos(settings):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    with PictureServer() as server:
        yield server.url, server.routes


def _post_with(url: str, content_type: str = "image/jpeg") -> Media:
    ann = upsert_remote_person("ann", "remote.example")
    post = remote.record_remote_post(
        ann, remote.RemoteContent(html="<p>look</p>", media=[remote.RemoteMedia(url=url, content_type=content_type)]),
        visibility=Visibility.PUBLIC,
    )
    return post.media.get()


def _age(media: Media, age: timedelta) -> None:
    Media.objects.filter(id=media.id).update(created_at=timezone.now() - age)


def test_a_busy_server_leaves_the_photo_to_be_tried_again(photos):
    base, routes = photos
    routes["/cat.jpg"] = (503, "text/plain", b"busy")
    media = _post_with(f"{base}/cat.jpg")
    media.refresh_from_db()
    assert media.state == MediaState.PROCESSING
    routes["/cat.jpg"] = (200, "image/jpeg", _jpeg())
    assert media_cache.sweep_remote_photos() == 0  # too young: its first try was just now
    _age(media, timedelta(minutes=12))
    assert media_cache.sweep_remote_photos() == 1
    media.refresh_from_db()
    assert media.state == MediaState.READY


def test_the_sweep_tries_a_few_times_a_day_not_every_run(photos):
    base, routes = photos
    routes["/cat.jpg"] = (503, "text/plain", b"busy")
    media = _post_with(f"{base}/cat.jpg")
    tried = 0
    for minutes in range(0, 24 * 60, 10):  # every run of the sweep for a day
        _age(media, timedelta(minutes=minutes, seconds=30))
        tried += media_cache.sweep_remote_photos()
    assert tried == len(media_cache.PHOTO_RETRY_AGES)
    _age(media, timedelta(days=1, minutes=1))
    media_cache.sweep_remote_photos()
    media.refresh_from_db()
    assert media.state == MediaState.FAILED


def test_a_photo_whose_job_was_lost_is_copied_by_the_sweep(photos):
    base, routes = photos
    routes["/cat.jpg"] = (200, "image/jpeg", _jpeg())
    ann = upsert_remote_person("ann", "remote.example")
    post = remote.record_remote_post(ann, remote.RemoteContent(html="<p>x</p>"), visibility=Visibility.PUBLIC)
    # As a crash leaves it: stored, never fetched.
    lost = Media.objects.create(owner=ann, post=post, content_type="image/jpeg", remote_url=f"{base}/cat.jpg", state=MediaState.PROCESSING)
    _age(lost, timedelta(minutes=35))
    assert media_cache.sweep_remote_photos() == 1
    lost.refresh_from_db()
    assert lost.state == MediaState.READY


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [(200, "video/mp4", b"\0\0\0 ftypisom"), (200, "text/html", b"<html>"), (404, "text/plain", b"gone")],
    ids=["video", "page", "404"],
)
def test_a_refusal_fails_the_photo_at_once(photos, status, content_type, body):
    base, routes = photos
    routes["/thing"] = (status, content_type, body)
    media = _post_with(f"{base}/thing", content_type)
    media.refresh_from_db()
    assert media.state == MediaState.FAILED
