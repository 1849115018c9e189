"""Profile settings and data export."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from kith.social import services
from tests.web.conftest import page

pytestmark = pytest.mark.django_db(transaction=True)


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (120, 120), (200, 100, 0)).save(out, format="PNG")
    return SimpleUploadedFile("me.png", out.getvalue(), content_type="image/png")


def test_profile_settings_save_every_field(alice, as_alice):
    assert "Your profile" in page(as_alice, "/settings/profile")
    response = as_alice.post(
        "/settings/profile",
        {
            "display_name": "Alice Liddell", "bio": "Down the **rabbit hole**", "tags": "tea, books",
            "location": "Oxford", "birthday": "1990-05-04", "gender": "she", "locked": "on",
            "avatar": png(),
        },
    )
    assert response["Location"] == "/settings/profile"
    alice.refresh_from_db()
    assert (alice.display_name, alice.location, alice.gender, str(alice.birthday)) == ("Alice Liddell", "Oxford", "she", "1990-05-04")
    assert alice.locked
    assert not alice.searchable  # an unticked checkbox
    assert "<strong>rabbit hole</strong>" in alice.bio_html
    assert [t.name for t in alice.profile_tags.all()] == ["tea", "books"]
    assert alice.avatar
    html = page(as_alice, "/settings/profile")
    assert 'value="Alice Liddell"' in html
    assert "Your profile has been saved." in html
    assert as_alice.get(f"/avatars/{alice.id}").status_code == 200


def test_profile_settings_show_domain_errors(as_alice):
    response = as_alice.post("/settings/profile", {"tags": "a b c d e f"})
    assert response.status_code == 422
    assert "A profile has at most 5 tags." in response.content.decode()


def test_profile_settings_refuse_a_non_image(as_alice):
    fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
    response = as_alice.post("/settings/profile", {"avatar": fake})
    assert response.status_code == 422
    assert "not an image" in response.content.decode()


def test_export_downloads_a_zip(alice, as_alice):
    services.publish_post(alice, "in the archive")
    assert "Download my data" in page(as_alice, "/settings/export")
    response = as_alice.post("/settings/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="kith-alice.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert "in the archive" in "".join(archive.read(name).decode(errors="replace") for name in archive.namelist() if name.endswith(".json"))


def test_export_is_for_the_logged_in_person_only(alice):
    response = Client().post("/settings/export")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
