"""Copies of remote photos, so pages never hot-link another server.

Hot-linking would tell every remote server who reads what (and the pages' CSP
forbids it anyway).  A remote post's photos are fetched once through the safe
client, size-capped, and then go through exactly the processing of an upload
(decoded defensively, metadata stripped, re-encoded, thumbnailed).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from kith.core import events
from kith.federation import safe_http
from kith.jobs import task
from kith.social.media import process_media, raw_upload_name
from kith.social.models import Media, MediaState, Post

log = logging.getLogger(__name__)
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


@task(retries=3, retry_delay=60)
def cache_remote_media_job(media_id: int) -> None:
    media = Media.objects.filter(id=media_id, state=MediaState.PROCESSING).exclude(remote_url="").first()
    if media is None:
        return
    try:
        response = safe_http.request(
            "GET", media.remote_url, accept_types=IMAGE_TYPES, max_bytes=settings.KITH_MAX_UPLOAD_BYTES, deadline=30
        )
    except safe_http.FetchError as exc:
        log.info("remote photo %s not fetched: %s", media.remote_url, exc)
        Media.objects.filter(id=media_id, state=MediaState.PROCESSING).update(state=MediaState.FAILED)
        return
    if response.status != 200:
        Media.objects.filter(id=media_id, state=MediaState.PROCESSING).update(state=MediaState.FAILED)
        return
    default_storage.save(raw_upload_name(media_id), ContentFile(response.body))
    process_media(media_id)


@events.subscribe(events.PostPublished)
def _cache_photos_of_remote_posts(event: events.PostPublished) -> None:
    post = Post.objects.select_related("author").filter(id=event.post_id).first()
    if post is None or post.author.is_local:
        return
    for media_id in Media.objects.filter(post=post, state=MediaState.PROCESSING).exclude(remote_url="").values_list("id", flat=True):
        cache_remote_media_job(media_id)
