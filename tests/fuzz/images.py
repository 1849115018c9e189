"""Image seeds made with Pillow, and ways to break them: flipped, inserted and deleted bytes,
truncation, and headers that declare decompression-bomb dimensions."""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache

from hypothesis import strategies as st
from PIL import Image, ImageCms


def _encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


@lru_cache(maxsize=1)
def seeds() -> dict[str, bytes]:
    """Small valid images of every accepted format and the modes and extras uploads carry:
    transparency, palettes, EXIF orientation, an ICC profile, animation."""
    rgb = Image.new("RGB", (24, 16), (200, 30, 90))
    for x in range(24):
        rgb.putpixel((x, x % 16), (x * 10, 255 - x * 10, 40))
    rgba = rgb.convert("RGBA")
    rgba.putpixel((0, 0), (0, 0, 0, 0))
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate
    exif[0x010F] = "Camera maker"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    frames = [rgb, rgb.rotate(90), rgb.rotate(180)]
    return {
        "png_rgb": _encode(rgb, "PNG"),
        "png_rgba": _encode(rgba, "PNG"),
        "png_palette_transparent": _encode(palette, "PNG", transparency=0),
        "png_gray16": _encode(rgb.convert("I;16"), "PNG"),
        "jpeg_exif_icc": _encode(rgb, "JPEG", exif=exif, icc_profile=icc, quality=80),
        "jpeg_cmyk": _encode(rgb.convert("CMYK"), "JPEG"),
        "jpeg_progressive": _encode(rgb, "JPEG", progressive=True),
        "gif": _encode(palette, "GIF"),
        "gif_animated": _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0),
        "webp_lossy": _encode(rgb, "WEBP", quality=50),
        "webp_lossless_alpha": _encode(rgba, "WEBP", lossless=True),
        "webp_animated": _encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50),
    }


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_size(width: int, height: int, mode_byte: int = 2) -> bytes:
    """A PNG whose header declares `width` x `height` (a decompression bomb when large) with a
    valid CRC, followed by a little compressed data."""
    header = struct.pack(">IIBBBBB", width, height, 8, mode_byte, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def gif_with_size(width: int, height: int) -> bytes:
    data = bytearray(seeds()["gif"])
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


BOMBS = [
    png_with_size(100_000, 100_000), png_with_size(2**31 - 1, 1), png_with_size(1, 2**31 - 1),
    png_with_size(7_000, 7_000), png_with_size(0, 0), png_with_size(40_000, 1_000), png_with_size(6_300, 6_300, 6),
    gif_with_size(65_535, 65_535), gif_with_size(0, 0),
]


@lru_cache(maxsize=1)
def _good_exif() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera maker"
    return exif.tobytes()  # b"Exif\x00\x00" and a TIFF block


@st.composite
def jpegs_with_broken_exif(draw: st.DrawFn) -> bytes:
    """Good pixels with an EXIF block whose bytes are changed: the upload check decodes pixels only,
    the worker reads the orientation from this block."""
    block = bytearray(_good_exif())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(block) - 1))
        if draw(st.booleans()):
            block[at] = draw(st.integers(0, 255))
        else:
            del block[at: at + draw(st.integers(1, 8))]
    block = bytearray(draw(st.sampled_from([b"Exif\x00\x00", b"Exif\x00\x00\x00", b""]))) + block[6:]
    return _encode(Image.new("RGB", (12, 8), (10, 120, 200)), "JPEG", exif=bytes(block))


@st.composite
def broken_images(draw: st.DrawFn) -> bytes:
    """A seed with a few bytes changed, inserted or deleted, cut short, a broken EXIF block, or a bomb."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from(BOMBS))
    if kind == 1:
        return draw(jpegs_with_broken_exif())
    data = bytearray(seeds()[draw(st.sampled_from(sorted(seeds())))])
    for _ in range(draw(st.integers(0, 6))):
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "size"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and data:
            data[at] = draw(st.sampled_from([0, 0xFF, 0x7F, 0x80, draw(st.integers(0, 255))]))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[at: at + draw(st.integers(1, 64))]
        elif action == "truncate":
            del data[at:]
        elif action == "size" and len(data) > 24:
            # Big-endian and little-endian dimension fields sit early in every format's header.
            data[at % 24: at % 24 + 4] = struct.pack(draw(st.sampled_from([">I", "<I"])), draw(st.sampled_from(
                [0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 6_400, 100_000])))
    return bytes(data)
