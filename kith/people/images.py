"""Decoding untrusted images safely and re-encoding them without metadata."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from kith.core.errors import Invalid

# Refuse decompression bombs well before Pillow's own (warning-only) threshold.
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# Profile images, uploaded here or copied from another pod: the same bounds for both.
MAX_PROFILE_IMAGE_BYTES = 8 * 1024 * 1024
AVATAR_MAX_SIDE = 400
HEADER_MAX_SIDE = 1500
PROFILE_IMAGE_SIDES = {"avatar": AVATAR_MAX_SIDE, "header": HEADER_MAX_SIDE}


def open_untrusted(data: bytes) -> Image.Image:
    """Open and fully decode an uploaded image, or raise Invalid with a reason."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise Invalid("Images must be JPEG, PNG, GIF or WebP.")
            if probe.width * probe.height > MAX_PIXELS:
                raise Invalid("The image has too many pixels.")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Invalid("That file is not an image Kith can read.") from exc
    return image


def strip_and_orient(image: Image.Image) -> Image.Image:
    """Apply EXIF orientation, then drop all metadata (EXIF, GPS, XMP, comments)."""
    try:
        oriented = ImageOps.exif_transpose(image) or image
    except Exception:  # Pillow's EXIF reader raises SyntaxError, struct.error, ... on a broken block
        oriented = image  # no orientation to read: the pixels as they are, the broken block dropped with the rest
    # A new image from the pixels alone: nothing of the original's metadata can survive.
    clean = Image.frombytes(oriented.mode, oriented.size, oriented.tobytes())
    if oriented.mode == "P" and (palette := oriented.getpalette()):
        clean.putpalette(palette)
    return clean


def clean_profile_image(upload: UploadedFile[bytes], *, max_side: int) -> ContentFile[bytes]:
    return clean_profile_image_bytes(upload.read(), max_side=max_side)


def clean_profile_image_bytes(data: bytes, *, max_side: int) -> ContentFile[bytes]:
    """An avatar or header, from an upload or another pod: decoded defensively, oriented,
    stripped of all metadata, scaled to `max_side` and re-encoded as PNG (Invalid if not)."""
    if len(data) > MAX_PROFILE_IMAGE_BYTES:
        raise Invalid("Profile images must be under 8 MB.")
    image = strip_and_orient(open_untrusted(data))
    image.thumbnail((max_side, max_side))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue())
