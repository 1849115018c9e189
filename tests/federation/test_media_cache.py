"""Remote photos are copied through the safe client and cleaned like uploads, never hot-linked."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from kith.people.remote import upsert_remote_person
from kith.social import remote
from kith.social.models import Media, MediaState, Visibility

pytestmark = pytest.mark.django_db(transaction=True)


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), "teal")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # camera make
    exif.get_ifd(0x8825)[2] = (52.0, 31.0, 12.0)  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


class _Photos(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body, content_type = (_jpeg_with_gps(), "image/jpeg") if self.path == "/cat.jpg" else (b"<html>", "text/html")
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def photo_server(settings):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    server = ThreadingHTTPServer(("127.0.0.2", 0), _Photos)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.2:{server.server_address[1]}"
    server.shutdown()


def _post_with(url: str) -> Media:
    ann = upsert_remote_person("ann", "remote.example")
    post = remote.record_remote_post(
        ann, remote.RemoteContent(html="<p>look</p>", media=[remote.RemoteMedia(url=url, content_type="image/jpeg")]),
        visibility=Visibility.PUBLIC,
    )
    return post.media.get()


def test_remote_photo_is_copied_and_stripped(photo_server):
    media = _post_with(f"{photo_server}/cat.jpg")
    media.refresh_from_db()
    assert media.state == MediaState.READY
    with media.file.open("rb") as stored:
        cleaned = Image.open(io.BytesIO(stored.read()))
        assert not cleaned.getexif()
    assert media.thumbnail
    assert media.blurhash


def test_a_page_instead_of_a_photo_fails_cleanly(photo_server):
    media = _post_with(f"{photo_server}/not-a-photo")
    media.refresh_from_db()
    assert media.state == MediaState.FAILED
    assert not media.file
