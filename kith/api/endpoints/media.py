"""Media: /api/v1/media, /api/v2/media.  Uploads are photos (kith.social.media), private to
their owner until attached to a post; processing (metadata stripping, thumbnails) runs in
the worker, so v2 answers 202 with `url: null` until the photo is ready."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Form, Schema, Status
from ninja.files import UploadedFile
from pydantic import field_validator

from kith.api import entities
from kith.api.auth import OAuth, me
from kith.api.endpoints.statuses import parse_focus
from kith.api.routing import ApiRouter
from kith.api.schemas import MediaAttachment
from kith.core.errors import Invalid, NotFound
from kith.social.media import process_media, update_media, upload_media
from kith.social.models import Media, MediaState

router = ApiRouter(tags=["media"])


class MediaForm(Schema):
    description: str = ""
    focus: str | None = None

    @field_validator("description", mode="before")
    @classmethod
    def _none_is_blank(cls, value: str | None) -> str:
        return value or ""


def _upload(request: HttpRequest, file: UploadedFile, form: MediaForm) -> Media:
    focus = parse_focus(form.focus) if form.focus else None
    return upload_media(me(request), file, form.description, focus)


def _answer(media: Media, processing: int = 202) -> Status:
    """200 when the photo is ready; while the worker makes it, 202 (v2 upload) or 206 (GET, PUT)."""
    if media.state == MediaState.FAILED:
        raise Invalid("This file could not be processed: it is not a photo Kith can read.")
    attachment = entities.media_attachment(media, media.owner)  # only the owner reads their uploads
    return Status(200 if media.state == MediaState.READY else processing, attachment)


@router.post("/v2/media", response={200: MediaAttachment, 202: MediaAttachment}, auth=OAuth("write:media"))
def upload_v2(request: HttpRequest, file: File[UploadedFile], form: Form[MediaForm]) -> Status:
    media = _upload(request, file, form)
    media.refresh_from_db()  # the job may have run already (an immediate queue, a fast worker)
    return _answer(media)


@router.post("/v1/media", response=MediaAttachment, auth=OAuth("write:media"))
def upload_v1(request: HttpRequest, file: File[UploadedFile], form: Form[MediaForm]) -> dict:
    """The old synchronous upload: the photo is processed before answering (idempotent: the
    queued job then finds nothing to do)."""
    media = _upload(request, file, form)
    process_media(media.id)
    media.refresh_from_db()
    return entities.media_attachment(_ready_or_refused(media), me(request))


def _ready_or_refused(media: Media) -> Media:
    _answer(media)
    return media


def _own_media(request: HttpRequest, media_id: int) -> Media:
    media = Media.objects.filter(id=media_id, owner=me(request)).first()
    if media is None:
        raise NotFound("Record not found")  # someone else's photo is nobody's business
    return media


@router.get("/v1/media/{media_id}", response={200: MediaAttachment, 206: MediaAttachment}, auth=OAuth("write:media"))
def get_media(request: HttpRequest, media_id: int) -> Status:
    return _answer(_own_media(request, media_id), processing=206)


class MediaUpdateForm(Schema):
    description: str | None = None
    focus: str | None = None


@router.put("/v1/media/{media_id}", response={200: MediaAttachment, 206: MediaAttachment}, auth=OAuth("write:media"))
def put_media(request: HttpRequest, media_id: int, form: Form[MediaUpdateForm]) -> Status:
    """Alt text and focus of one's own photo, attached to one's post or not yet attached."""
    media = _own_media(request, media_id)
    focus = parse_focus(form.focus) if form.focus else None
    return _answer(update_media(me(request), media, description=form.description, focus=focus), processing=206)
