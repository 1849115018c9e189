"""Photos: upload, processing in the worker, and edits of alt text and focus.

The upload is checked in the request (size, format, pixel count: the person
hears at once that a file is refused) and kept as it came, at a private
storage name derived from the media id, until the worker has made the files
that are served:

- EXIF orientation is applied, then every byte of metadata is dropped: EXIF
  (GPS included), XMP, comments.  The pixels are copied into a new image, so
  nothing the upload carried besides them can survive.
- An embedded ICC colour profile is used to convert the pixels to sRGB and then
  dropped too: colours stay right (a Display P3 phone photo does not look washed
  out) and the profile's own text (device, vendor) does not travel.
- Images with transparency become PNG, everything else JPEG.  An animated GIF
  keeps its first frame only (Kith has no video or animation support yet).
- The long side is capped at ORIGINAL_MAX_SIDE, the thumbnail at THUMBNAIL_MAX_SIDE.

Then the raw upload is deleted.  A failed decode marks the photo FAILED.
huey forgets a task whose worker is killed, so `sweep_stuck_media` re-enqueues
photos left PROCESSING (durability comes from the row, as with fan-out), and a
restarted pod queues them again at once (`resume_processing`).  A post's photos are
processed before the post is sent to other servers (`finish_processing`): what
describes a photo there (its type, size, blurhash, a URL that serves it) exists only then.

A full disk refuses the upload (StorageFull: 507) and keeps nothing of it; one that
fills during processing leaves no partial file, and the job is retried later.
"""

from __future__ import annotations

import errno
import io
import logging
import math
from collections.abc import Set
from dataclasses import dataclass
from datetime import timedelta
from typing import IO

import blurhash
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageCms

from kith.core.errors import Invalid, NotAllowed, NotFound, StorageFull
from kith.core.ids import new_id
from kith.jobs import crontab, enqueue_on_commit, periodic, resumes, task
from kith.people.images import open_untrusted, strip_and_orient
from kith.people.models import Person
from kith.social.models import Media, MediaState
from kith.social.search import index_post

log = logging.getLogger(__name__)

MAX_DESCRIPTION_CHARS = 1500
ORIGINAL_MAX_SIDE = 4096
THUMBNAIL_MAX_SIDE = 400
JPEG_QUALITY = 85
# 4x4 components, as Mastodon sends: a 36-character hash, enough for a placeholder.
BLURHASH_COMPONENTS = (4, 4)
# The type each accepted input format is recorded with until the worker has re-encoded it.
UPLOAD_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# A job older than this is presumed lost; after GIVE_UP_AFTER the photo is marked FAILED.
LOST_JOB_AFTER = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(days=1)
# The errors of a full disk (or a spent quota): the pod's fault, never the file's.
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def remote_media_failed(media_ids: list[int]) -> int:
    """Remote photos that could not be copied (refused, or still missing after a day of tries):
    FAILED, and whatever a try cut short left is deleted.  Only photos still PROCESSING change."""
    failed = Media.objects.filter(id__in=media_ids, state=MediaState.PROCESSING).update(state=MediaState.FAILED)
    for media_id in media_ids:
        default_storage.delete(raw_upload_name(media_id))
    return failed


def raw_upload_name(media_id: int) -> str:
    """Where an upload waits for the worker.  No served path points here, and no name
    part comes from the person, so a file called "x.html" stays an opaque blob."""
    return f"incoming/{media_id}"


# ---- the write paths ------------------------------------------------------------------


def upload_media(
    owner: Person, uploaded_file: IO[bytes], description: str = "", focus: tuple[float, float] | None = None
) -> Media:
    """Accept a photo for a later post; its served files are made by the worker."""
    if not owner.is_active:
        raise NotAllowed("This account cannot upload.")
    description = _clean_description(description)
    focus_x, focus_y = _clean_focus(focus) if focus is not None else (0.0, 0.0)
    data = _read_capped(uploaded_file)
    with open_untrusted(data) as image:  # raises Invalid for anything but a sane JPEG/PNG/GIF/WebP
        content_type = UPLOAD_TYPES[image.format or ""]  # KeyError for no format, as for an unknown one
    media_id = new_id()
    raw_name = _save_raw(media_id, data)
    try:
        with transaction.atomic():
            media = Media.objects.create(
                id=media_id,
                owner=owner,
                content_type=content_type,
                description=description,
                focus_x=focus_x,
                focus_y=focus_y,
                state=MediaState.PROCESSING,
            )
            enqueue_on_commit(process_media_job, media.id)
    except Exception:
        default_storage.delete(raw_name)
        raise
    return media


@transaction.atomic
def update_media(
    owner: Person, media: Media, description: str | None = None, focus: tuple[float, float] | None = None
) -> Media:
    """Change a photo's alt text or focus point, attached to a post or not."""
    locked = Media.objects.select_for_update().filter(id=media.id, owner_id=owner.id).first()
    if locked is None:
        raise NotFound("No such photo.")  # someone else's: its existence is not ours to confirm
    media = locked
    changed: list[str] = []
    if description is not None:
        media.description = _clean_description(description)
        changed.append("description")
    if focus is not None:
        media.focus_x, media.focus_y = _clean_focus(focus)
        changed += ["focus_x", "focus_y"]
    if changed:
        media.save(update_fields=changed)
        if media.post is not None and "description" in changed:  # no query when post_id is None
            post = media.post  # alt text is part of the post's search entry
            transaction.on_commit(lambda: index_post(post))
    return media


def _save_raw(media_id: int, data: bytes) -> str:
    """Keep the upload's bytes for the worker; on a full disk keep nothing and say so."""
    try:
        return default_storage.save(raw_upload_name(media_id), ContentFile(data))
    except OSError as exc:
        default_storage.delete(raw_upload_name(media_id))  # what was written before the disk filled
        if exc.errno in DISK_FULL:
            log.error("refused an upload: the media disk is full (%s)", exc)
            raise StorageFull("The server has no room for this photo just now; please try again later.") from exc
        raise


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise Invalid(f"Alt text is at most {MAX_DESCRIPTION_CHARS} characters.")
    return description


def _clean_focus(focus: tuple[float, float]) -> tuple[float, float]:
    try:
        x, y = (float(value) for value in focus)
    except (TypeError, ValueError) as exc:
        raise Invalid("The focus point is two numbers from -1 to 1.") from exc
    if not all(math.isfinite(v) and -1.0 <= v <= 1.0 for v in (x, y)):
        raise Invalid("The focus point is two numbers from -1 to 1.")
    return x, y


def _read_capped(uploaded_file: IO[bytes]) -> bytes:
    limit = settings.KITH_MAX_UPLOAD_BYTES
    too_big = Invalid(f"Photos must be at most {limit // (1024 * 1024)} MB.")
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > limit:
        raise too_big
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    # Read one byte past the cap rather than trusting the declared size.
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise too_big
    if not data:
        raise Invalid("The file is empty.")
    return data


# ---- the worker side -------------------------------------------------------------------


@dataclass(frozen=True)
class Processed:
    original: bytes
    thumbnail: bytes
    extension: str
    content_type: str
    width: int
    height: int
    blurhash: str


@task()
def process_media_job(media_id: int) -> None:
    process_media(media_id)


# What a hostile or broken file can make Pillow, lcms or the storage raise.
_BAD_FILE_ERRORS = (Invalid, OSError, ValueError, SyntaxError, Image.DecompressionBombError, ImageCms.PyCMSError)


def process_media(media_id: int) -> None:
    """Turn the raw upload into the served files; idempotent, so a repeated job is harmless."""
    if not Media.objects.filter(id=media_id, state=MediaState.PROCESSING).exists():
        _discard_raw(media_id)  # done already, or deleted while waiting
        return
    try:
        with default_storage.open(raw_upload_name(media_id), "rb") as raw:
            processed = render_upload(raw.read())
    except _BAD_FILE_ERRORS:
        log.warning("media %s could not be processed", media_id, exc_info=True)
        Media.objects.filter(id=media_id, state=MediaState.PROCESSING).update(state=MediaState.FAILED)
        _discard_raw(media_id)
        return
    _store(media_id, processed)
    _discard_raw(media_id)


def render_upload(data: bytes) -> Processed:
    """The pixels of an upload, oriented and cleaned, as the served file, thumbnail and blurhash."""
    image = open_untrusted(data)
    icc_profile = image.info.get("icc_profile")
    has_alpha = _has_alpha(image)
    # convert() keeps the EXIF that strip_and_orient reads the orientation from.
    clean = strip_and_orient(image.convert("RGBA" if has_alpha else "RGB"))
    if icc_profile:
        clean = _to_srgb(clean, icc_profile)
    clean.info.clear()  # only pixels leave here (profileToProfile attaches an sRGB profile)
    clean.thumbnail((ORIGINAL_MAX_SIDE, ORIGINAL_MAX_SIDE), Image.Resampling.LANCZOS)
    thumbnail = clean.copy()
    thumbnail.thumbnail((THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE), Image.Resampling.LANCZOS)
    image_format, extension, content_type = ("PNG", "png", "image/png") if has_alpha else ("JPEG", "jpg", "image/jpeg")
    return Processed(
        original=_encode(clean, image_format),
        thumbnail=_encode(thumbnail, image_format),
        extension=extension,
        content_type=content_type,
        width=clean.width,
        height=clean.height,
        blurhash=_blurhash(thumbnail),
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _to_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unreadable profile: the pixels as they are beat no photo at all
    return converted if converted is not None else image


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    if image_format == "JPEG":
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def _blurhash(image: Image.Image) -> str:
    if image.mode == "RGBA":
        # Transparent areas show the page behind them; white is the likeliest page.
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image)
    small = image.convert("RGB")
    small.thumbnail((32, 32))  # the hash has 16 components: more pixels only cost time
    width, height = small.size
    pixels = list(small.get_flattened_data())
    rows = [pixels[row * width : (row + 1) * width] for row in range(height)]
    encoded: str = blurhash.encode(rows, *BLURHASH_COMPONENTS)  # blurhash ships no types
    return encoded


def _store(media_id: int, processed: Processed) -> None:
    written: list[str] = []
    try:
        with transaction.atomic():
            media = Media.objects.select_for_update().filter(id=media_id, state=MediaState.PROCESSING).first()
            if media is None:
                return  # deleted (or finished by a twin job) while we worked
            filename = f"{media.id}.{processed.extension}"
            for field, content in ((media.file, processed.original), (media.thumbnail, processed.thumbnail)):
                name = field.field.generate_filename(media, filename)
                # A try killed between writing its files and committing left them under this name:
                # replace them, or the storage would pick a new name and orphan the old file.
                field.storage.delete(name)
                written.append(name)  # before writing: a disk that fills half-way leaves part of it
                field.save(filename, ContentFile(content), save=False)
            media.content_type = processed.content_type
            media.width, media.height = processed.width, processed.height
            media.blurhash = processed.blurhash
            media.state = MediaState.READY
            media.save(update_fields=["file", "thumbnail", "content_type", "width", "height", "blurhash", "state"])
    except BaseException:
        for name in written:  # nothing of a try that did not commit stays on disk
            default_storage.delete(name)
        raise


def _discard_raw(media_id: int) -> None:
    default_storage.delete(raw_upload_name(media_id))  # a no-op when it is gone already


# ---- recovering lost jobs -------------------------------------------------------------------


def sweep_stuck_media() -> int:
    """Re-enqueue photos whose job was lost; give up on those stuck for a day.  Returns how many."""
    now = timezone.now()
    stuck = Media.objects.filter(state=MediaState.PROCESSING, remote_url="", created_at__lt=now - LOST_JOB_AFTER)
    hopeless = list(stuck.filter(created_at__lt=now - GIVE_UP_AFTER).values_list("id", flat=True)[:1000])
    if hopeless:
        Media.objects.filter(id__in=hopeless, state=MediaState.PROCESSING).update(state=MediaState.FAILED)
        for media_id in hopeless:
            _discard_raw(media_id)
    retry = list(stuck.filter(created_at__gte=now - GIVE_UP_AFTER).values_list("id", flat=True)[:1000])
    for media_id in retry:
        process_media_job(media_id)
    return len(retry)


@resumes(process_media_job)
def resume_processing(queued: Set[int]) -> int:
    """Queue the job again for every upload still PROCESSING that has none in the queue (it was
    running when the worker died): at a pod's start, instead of the sweep's ten minutes."""
    since = timezone.now() - GIVE_UP_AFTER
    waiting = Media.objects.filter(state=MediaState.PROCESSING, remote_url="", created_at__gte=since)
    lost = [media_id for media_id in waiting.values_list("id", flat=True)[:1000] if media_id not in queued]
    for media_id in lost:
        process_media_job(media_id)
    # A process killed between committing a photo and deleting its raw bytes left them behind.
    sweep_stray_uploads()
    return len(lost)


def finish_processing(post_id: int) -> int:
    """Process now, in this thread, the post's own photos still waiting for their job (before the
    post is sent elsewhere); returns how many.  A twin job finds them done: harmless."""
    waiting = Media.objects.filter(post_id=post_id, state=MediaState.PROCESSING, remote_url="")
    media_ids = list(waiting.values_list("id", flat=True))
    for media_id in media_ids:
        process_media(media_id)
    return len(media_ids)


STRAY_SCAN_LIMIT = 5000


def sweep_stray_uploads() -> int:
    """Delete raw uploads no photo waits for; returns how many.  Two kinds are left behind:
    a photo's, when its process was killed between committing the photo and deleting the bytes
    (any age: the photo is done with them), and a request's, killed (or failed) between storing
    the bytes and committing the row, so never answered.  Those only when older than
    LOST_JOB_AFTER: a younger one may belong to a request still running."""
    try:
        _folders, names = default_storage.listdir("incoming")
    except FileNotFoundError:
        return 0
    names = [name for name in names if name.isdigit()][:STRAY_SCAN_LIMIT]
    states = dict(Media.objects.filter(id__in=[int(name) for name in names]).values_list("id", "state"))
    old = timezone.now() - LOST_JOB_AFTER
    removed = 0
    for name in names:
        state = states.get(int(name))
        if state == MediaState.PROCESSING:
            continue
        try:
            if state is None and default_storage.get_modified_time(f"incoming/{name}") >= old:
                continue
        except FileNotFoundError:
            continue
        default_storage.delete(f"incoming/{name}")
        removed += 1
    if removed:
        log.info("removed %d raw uploads no photo was waiting for", removed)
    return removed


@periodic(crontab(minute="*/10"))
def sweep_media_job() -> None:
    sweep_stuck_media()
    sweep_stray_uploads()


# ---- viewer links ------------------------------------------------------------------------
# Apps (Mastodon clients) load images without cookies or tokens.  A photo that is not public
# (kith.visibility.photo_is_public) is linked for them with `?t=<signed (media id, viewer id)>`:
# the client API mints the link, the web's media view reads it.  The URL stands for that viewer
# for a week, and the view still asks kith.visibility whether that viewer may see the photo now
# (a block or deletion since the link was made still hides it).  The salt keeps its old name so
# links already handed out stay valid.
MEDIA_LINK_SALT = "kith.web.media.viewer-link"
MEDIA_LINK_MAX_AGE = 7 * 24 * 3600
MAX_LINK_TOKEN_CHARS = 200


def viewer_link_token(media_id: int, viewer_id: int) -> str:
    """A signed token that links the photo `media_id` for the person `viewer_id`."""
    return signing.dumps([media_id, viewer_id], salt=MEDIA_LINK_SALT, compress=False)


def linked_viewer_id(token: str, media_id: int) -> int | None:
    """The person a viewer link of the photo `media_id` stands for, or None when the token is
    missing, forged, expired or minted for another photo."""
    if not token or len(token) > MAX_LINK_TOKEN_CHARS:
        return None
    try:
        linked_media_id, viewer_id = signing.loads(token, salt=MEDIA_LINK_SALT, max_age=MEDIA_LINK_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if linked_media_id != media_id or not isinstance(viewer_id, int):
        return None
    return viewer_id
