"""Photos: upload checks, processing in the worker (metadata gone), and serving through visibility."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image, ImageCms

from kith.core.errors import Invalid, NotAllowed, NotFound
from kith.graph import services as graph
from kith.people.models import AccountState
from kith.social import services
from kith.social.media import (
    MAX_DESCRIPTION_CHARS,
    THUMBNAIL_MAX_SIDE,
    process_media,
    raw_upload_name,
    sweep_stuck_media,
    update_media,
    upload_media,
)
from kith.social.models import Media, MediaState, Visibility
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_PLACE = (52.0, 31.0, 12.0)


def jpeg_with_gps(size: tuple[int, int] = (1200, 800), orientation: int = 6) -> bytes:
    """A photo as a phone makes it: rotated by EXIF, with GPS, camera make, XMP and an ICC profile."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1] // 2))  # something for the blurhash to see
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = SECRET_PLACE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 0.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>SecretXmpNote</rdf:RDF></x:xmpmeta>'
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, icc_profile=icc, xmp=xmp)
    return out.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def png(size: tuple[int, int] = (50, 40), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 200, 10, 128) if mode == "RGBA" else 1).save(out, format="PNG")
    return out.getvalue()


def photo_of(owner, data: bytes | None = None, name: str = "photo.jpg") -> Media:
    media = upload_media(owner, upload(name, data or jpeg_with_gps()), description="A red wall")
    media.refresh_from_db()
    return media


# ---- processing ----------------------------------------------------------------------


def test_processed_photo_has_no_exif_gps_xmp_or_icc(alice):
    original = jpeg_with_gps()
    assert b"SpyCam" in original
    assert b"SecretXmpNote" in original

    media = photo_of(alice, original)

    assert media.state == MediaState.READY
    assert media.content_type == "image/jpeg"
    with media.file.open("rb") as stored:
        data = stored.read()
    assert b"SpyCam" not in data
    assert b"SecretXmpNote" not in data
    assert b"Exif" not in data
    served = Image.open(io.BytesIO(data))
    assert served.format == "JPEG"
    assert not served.getexif()
    assert not served.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "exif" not in served.info
    assert "xmp" not in served.info
    assert "icc_profile" not in served.info
    # Orientation 6 (rotate 90°) was applied to the pixels before the tag was dropped.
    assert served.size == (800, 1200) == (media.width, media.height)


def test_thumbnail_and_blurhash_are_made_and_raw_upload_is_deleted(alice):
    media = photo_of(alice)

    with media.thumbnail.open("rb") as stored:
        thumbnail = Image.open(io.BytesIO(stored.read()))
    assert max(thumbnail.size) <= THUMBNAIL_MAX_SIDE
    assert not thumbnail.getexif()
    assert len(media.blurhash) == 36  # 4x4 components
    assert media.description == "A red wall"
    assert not default_storage.exists(raw_upload_name(media.id))


def test_image_with_transparency_stays_png_with_alpha(alice):
    media = photo_of(alice, png(), name="logo.png")

    assert media.content_type == "image/png"
    with media.file.open("rb") as stored:
        served = Image.open(io.BytesIO(stored.read()))
    assert served.format == "PNG"
    assert served.mode == "RGBA"
    assert served.getpixel((0, 0))[3] == 128


def test_first_frame_of_an_animated_gif_is_kept(alice):
    frames = [Image.new("P", (30, 20), colour) for colour in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])

    media = photo_of(alice, out.getvalue(), name="anim.gif")

    assert media.state == MediaState.READY
    assert (media.width, media.height) == (30, 20)


# ---- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("page.jpg", b"<html><script>alert(1)</script></html>"),
        ("empty.jpg", b""),
        ("truncated.jpg", jpeg_with_gps()[:200]),
    ],
)
def test_non_images_are_refused(alice, name, data):
    with pytest.raises(Invalid):
        upload_media(alice, upload(name, data))
    assert not Media.objects.exists()


def test_other_image_formats_are_refused(alice):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="BMP")
    with pytest.raises(Invalid, match="JPEG, PNG, GIF or WebP"):
        upload_media(alice, upload("a.bmp", out.getvalue()))


def test_oversize_upload_is_refused_before_decoding(alice, settings):
    settings.KITH_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(Invalid, match="at most"):
        upload_media(alice, upload("big.jpg", jpeg_with_gps()))
    assert not Media.objects.exists()


def test_decompression_bomb_is_refused(alice):
    # 50 megapixels of one colour: a few KB on the wire, 150 MB once decoded.
    bomb = png((10_000, 5_000), mode="1")
    assert len(bomb) < 100_000

    with pytest.raises(Invalid, match="too many pixels"):
        upload_media(alice, upload("bomb.png", bomb))
    assert not Media.objects.exists()


def test_a_photo_whose_exif_block_is_broken_is_processed_without_it(alice):
    """Found by fuzzing (make fuzz, images): the upload check decodes the pixels, but reading the
    orientation of an EXIF block whose TIFF header is broken raised SyntaxError in the worker, so an
    accepted photo (202) failed later, and /api/v1/media answered 422 leaving a FAILED row."""
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 10, 10)).save(out, format="JPEG", exif=b"Exif\x00\x00\x00MM*\x00\x00\x00\x08")
    media = photo_of(alice, out.getvalue())
    assert media.state == MediaState.READY
    assert (media.width, media.height) == (8, 6)


def test_a_file_that_fails_in_the_worker_is_marked_failed(alice):
    media = Media.objects.create(owner=alice, content_type="image/jpeg", state=MediaState.PROCESSING)
    default_storage.save(raw_upload_name(media.id), ContentFile(b"not an image after all"))

    process_media(media.id)

    media.refresh_from_db()
    assert media.state == MediaState.FAILED
    assert not media.file
    assert not default_storage.exists(raw_upload_name(media.id))


def test_lost_jobs_are_swept_up_and_hopeless_ones_given_up(alice):
    lost = Media.objects.create(owner=alice, content_type="image/jpeg", state=MediaState.PROCESSING)
    hopeless = Media.objects.create(owner=alice, content_type="image/jpeg", state=MediaState.PROCESSING)
    fresh = Media.objects.create(owner=alice, content_type="image/jpeg", state=MediaState.PROCESSING)
    for media in (lost, hopeless, fresh):
        default_storage.save(raw_upload_name(media.id), ContentFile(jpeg_with_gps((40, 30))))
    Media.objects.filter(id=lost.id).update(created_at=timezone.now() - timedelta(minutes=30))
    Media.objects.filter(id=hopeless.id).update(created_at=timezone.now() - timedelta(days=2))

    assert sweep_stuck_media() == 1

    states = dict(Media.objects.values_list("id", "state"))
    assert states == {lost.id: MediaState.READY, hopeless.id: MediaState.FAILED, fresh.id: MediaState.PROCESSING}


# ---- ownership and edits ------------------------------------------------------------------


def test_suspended_people_cannot_upload(alice):
    alice.state = AccountState.SUSPENDED
    alice.save(update_fields=["state"])

    with pytest.raises(NotAllowed):
        upload_media(alice, upload("p.jpg", jpeg_with_gps()))


def test_someone_elses_photo_cannot_be_attached_or_updated(alice, bob):
    media = photo_of(alice)

    with pytest.raises(Invalid):
        services.publish_post(bob, "look at this", media_ids=[media.id])
    with pytest.raises(NotFound):
        update_media(bob, media, description="mine now")

    media.refresh_from_db()
    assert media.post_id is None
    assert media.description == "A red wall"


def test_owner_updates_alt_text_and_focus_within_limits(alice):
    media = photo_of(alice)

    update_media(alice, media, description="  A blue square on red  ", focus=(0.5, -1))
    media.refresh_from_db()
    assert (media.description, media.focus_x, media.focus_y) == ("A blue square on red", 0.5, -1.0)

    with pytest.raises(Invalid):
        update_media(alice, media, description="x" * (MAX_DESCRIPTION_CHARS + 1))
    for focus in [(1.5, 0), (0, float("nan")), ("left", 0), (1,)]:
        with pytest.raises(Invalid):
            update_media(alice, media, focus=focus)


# ---- serving ----------------------------------------------------------------------------


@pytest.fixture
def limited_photo(alice, bob):
    friends = factories.aspect(alice, "Friends", bob)
    media = photo_of(alice)
    services.publish_post(alice, "holiday", visibility=Visibility.LIMITED, aspect_ids=[friends.id], media_ids=[media.id])
    return media


def get(client, viewer, url):
    if viewer is not None:
        client.force_login(viewer.account)
    return client.get(url)


def test_limited_photo_is_404_for_anyone_outside_the_audience(client, limited_photo, alice, carol):
    graph.block(alice, carol)
    for viewer in (None, carol, factories.person("stranger")):
        client.logout()
        for kind in ("original", "thumbnail"):
            assert get(client, viewer, f"/media/{limited_photo.id}/{kind}").status_code == 404


def test_audience_member_gets_the_photo_with_safe_headers(client, limited_photo, bob):
    response = get(client, bob, f"/media/{limited_photo.id}/original")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    assert response["Cache-Control"].startswith("private")
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).size == (800, 1200)
    assert get(client, bob, f"/media/{limited_photo.id}/thumbnail").status_code == 200
    assert get(client, bob, f"/media/{limited_photo.id}/raw").status_code == 404


def test_public_photo_is_served_to_anyone_and_cacheable(client, alice):
    media = photo_of(alice)
    services.publish_post(alice, "public", media_ids=[media.id])

    response = client.get(f"/media/{media.id}/thumbnail")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")


def test_unattached_or_unfinished_photo_is_only_for_its_owner(client, alice, bob):
    media = photo_of(alice)
    assert get(client, bob, f"/media/{media.id}/original").status_code == 404
    assert get(client, alice, f"/media/{media.id}/original").status_code == 200

    Media.objects.filter(id=media.id).update(state=MediaState.PROCESSING)
    assert get(client, alice, f"/media/{media.id}/original").status_code == 404


def test_a_file_named_html_is_never_served_as_html(client, alice):
    page = ContentFile(b"<html><script>alert(document.cookie)</script></html>", name="evil.html")
    hostile = Media.objects.create(owner=alice, content_type="text/html", state=MediaState.READY, file=page)
    misnamed = Media.objects.create(owner=alice, content_type="image/png", state=MediaState.READY, file=page)
    client.force_login(alice.account)

    assert client.get(f"/media/{hostile.id}/original").status_code == 404
    response = client.get(f"/media/{misnamed.id}/original")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_avatar_and_header_follow_person_visibility(client, alice, bob):
    from kith.people.services import update_profile

    update_profile(alice, avatar=upload("me.png", png((600, 600))), header=upload("h.png", png((900, 300))))

    response = client.get(f"/avatars/{alice.id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert client.get(f"/headers/{alice.id}").status_code == 200
    assert client.get(f"/headers/{bob.id}").status_code == 404  # none uploaded

    graph.block(alice, bob)
    assert get(client, bob, f"/avatars/{alice.id}").status_code == 404
    client.logout()
    alice.state = AccountState.SUSPENDED
    alice.save(update_fields=["state"])
    assert client.get(f"/avatars/{alice.id}").status_code == 404


def test_profile_image_with_an_unknown_suffix_is_not_served(client, alice):
    alice.avatar.save("evil.html", ContentFile(b"<script>alert(1)</script>"))

    assert client.get(f"/avatars/{alice.id}").status_code == 404


def test_viewer_link_opens_a_limited_photo_for_that_viewer_only(client, limited_photo, alice, bob, carol):
    """Apps load images without credentials: the API links a limited photo with a token bound
    to the viewer, and the view still asks visibility for that viewer."""
    from django.core import signing

    from kith.social.media import MEDIA_LINK_SALT, viewer_link_token

    base = f"/media/{limited_photo.id}/original"
    assert client.get(f"{base}?t={viewer_link_token(limited_photo.id, bob.id)}").status_code == 200
    # a link minted for carol (outside the audience), for another photo, or forged: 404
    assert client.get(f"{base}?t={viewer_link_token(limited_photo.id, carol.id)}").status_code == 404
    assert client.get(f"{base}?t={viewer_link_token(limited_photo.id + 1, bob.id)}").status_code == 404
    forged = signing.dumps([limited_photo.id, bob.id], salt="another-salt", compress=False)
    assert client.get(f"{base}?t={forged}").status_code == 404
    assert MEDIA_LINK_SALT != "another-salt"
    # a block since the link was made hides the photo again
    graph.block(alice, bob)
    assert client.get(f"{base}?t={viewer_link_token(limited_photo.id, bob.id)}").status_code == 404


def test_viewer_link_expires(client, limited_photo, bob, monkeypatch):
    import time as time_module

    from kith.social.media import MEDIA_LINK_MAX_AGE, viewer_link_token

    token = viewer_link_token(limited_photo.id, bob.id)
    real_time = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real_time() + MEDIA_LINK_MAX_AGE + 60)
    assert client.get(f"/media/{limited_photo.id}/original?t={token}").status_code == 404


def test_a_suspended_viewers_links_stop_working(client, limited_photo, bob):
    from kith.people.models import AccountState
    from kith.social.media import viewer_link_token

    url = f"/media/{limited_photo.id}/original?t={viewer_link_token(limited_photo.id, bob.id)}"
    assert client.get(url).status_code == 200
    type(bob).objects.filter(id=bob.id).update(state=AccountState.SUSPENDED)
    assert client.get(url).status_code == 404
