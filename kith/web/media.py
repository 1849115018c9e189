"""Serving photos, avatars and headers, each only to viewers kith.visibility allows.

Nothing under MEDIA_ROOT is served directly: every file goes through these
views.  A file that is hidden, unfinished or unknown answers 404, never 403,
so whether a limited post's photo exists stays private.  The Content-Type
comes from a fixed allow-list of image types, never from a file's name or
bytes, and with `nosniff` and a sandboxing CSP a browser will not run a file
as a page even if one ever slipped through processing.

URL names: web:media (`media_id`, `kind` = original|thumbnail), web:avatar
and web:header (`person_id`).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from kith.people.models import AccountState, Person
from kith.social.media import linked_viewer_id
from kith.social.models import Media, MediaState
from kith.visibility import Viewer, can_see_media, photo_is_public, visible_persons

SERVED_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
# Profile images carry no content type column; their stored names are ours (kith.people.images).
TYPE_BY_SUFFIX = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".gif": "image/gif"}
# Public photos may sit in shared caches for a day (a deleted post's photo lingers at most that long);
# limited ones only in the viewer's own browser.  Avatars change under the same URL: a short lifetime.
PUBLIC_CACHE = "public, max-age=86400"
PRIVATE_CACHE = "private, max-age=3600"
PROFILE_IMAGE_CACHE = "public, max-age=600"
MEDIA_CSP = "default-src 'none'; sandbox"


def _linked_viewer(request: HttpRequest, media_id: int) -> Viewer:
    """The viewer an app's `?t=` link stands for (kith.social.media mints and reads the links)."""
    viewer_id = linked_viewer_id(request.GET.get("t", ""), media_id)
    if viewer_id is None:
        return None
    return Person.objects.filter(id=viewer_id, state=AccountState.ACTIVE).first()  # suspension ends links


def _viewer(request: HttpRequest) -> Viewer:
    user = request.user
    return getattr(user, "person", None) if user.is_authenticated else None


def _serve(stored: FieldFile, content_type: str | None, cache_control: str) -> FileResponse:
    if not stored.name or content_type not in SERVED_TYPES:  # `not stored.name` is `not stored`
        raise Http404
    try:
        handle = stored.storage.open(stored.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache_control
    response["Content-Security-Policy"] = MEDIA_CSP
    return response


@require_safe
def media_file(request: HttpRequest, media_id: int, kind: str) -> FileResponse:
    media = (
        Media.objects.select_related("post__author", "post__reshare_of__author")
        .filter(id=media_id, state=MediaState.READY)
        .first()
    )
    if media is None or kind not in ("original", "thumbnail"):
        raise Http404
    if not can_see_media(_viewer(request), media) and not can_see_media(_linked_viewer(request, media_id), media):
        raise Http404
    public = photo_is_public(media)
    stored = media.file if kind == "original" else media.thumbnail
    return _serve(stored, media.content_type, PUBLIC_CACHE if public else PRIVATE_CACHE)


def _profile_image(request: HttpRequest, person_id: int, field: str) -> FileResponse:
    person = visible_persons(_viewer(request), Person.objects.filter(id=person_id)).first()
    if person is None:
        raise Http404
    stored: FieldFile = getattr(person, field)
    content_type = TYPE_BY_SUFFIX.get(PurePosixPath(stored.name or "").suffix.lower())
    return _serve(stored, content_type, PROFILE_IMAGE_CACHE)


@require_safe
def avatar(request: HttpRequest, person_id: int) -> FileResponse:
    return _profile_image(request, person_id, "avatar")


@require_safe
def header(request: HttpRequest, person_id: int) -> FileResponse:
    return _profile_image(request, person_id, "header")
