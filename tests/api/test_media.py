"""Photos through the client API: upload (v1 and v2), read, describe, attach to a status."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from kith.social.models import Media, MediaState

pytestmark = pytest.mark.django_db(transaction=True)


def photo(name: str = "photo.jpg", color: str = "red") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def upload(client, path: str = "/api/v2/media", **fields):
    response = client.client.post(path, {"file": photo(), **fields}, headers=client.headers)
    return response.status_code, response.json()


def test_v2_upload_answers_ready_when_the_job_ran(api_as, alice):
    # Tests run jobs immediately, so the photo is processed before the answer.
    status, body = upload(api_as(alice), description="a red square", focus="0.5,-0.25")
    assert status == 200, body
    media = Media.objects.get(id=int(body["id"]))
    assert media.owner_id == alice.id
    assert media.state == MediaState.READY
    assert body["type"] == "image"
    assert body["description"] == "a red square"
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert body["meta"]["original"]["width"] == 64
    # an unattached photo is its owner's alone: apps get a link bound to the owner (kith/web/media.py)
    assert body["url"].split("?t=")[0].endswith(f"/media/{media.id}/original")
    assert body["blurhash"]


def test_v2_upload_while_processing_is_202_with_no_url(api_as, alice, monkeypatch):
    from kith.social import media as media_module

    monkeypatch.setattr(media_module, "enqueue_on_commit", lambda *args, **kwargs: None)
    client = api_as(alice)
    status, body = upload(client)
    assert status == 202
    assert body["url"] is None
    response = client.client.get(f"/api/v1/media/{body['id']}", headers=client.headers)
    assert response.status_code == 206
    media_module.process_media(int(body["id"]))
    status, ready = client.get(f"/api/v1/media/{body['id']}")
    assert status == 200
    assert ready["url"]


def test_v1_upload_is_synchronous(api_as, alice, monkeypatch):
    from kith.social import media as media_module

    monkeypatch.setattr(media_module, "enqueue_on_commit", lambda *args, **kwargs: None)
    status, body = upload(api_as(alice), "/api/v1/media")
    assert status == 200
    assert body["url"]


def test_a_file_that_is_not_a_photo_is_refused(api_as, alice):
    client = api_as(alice)
    junk = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    response = client.client.post("/api/v2/media", {"file": junk}, headers=client.headers)
    assert response.status_code == 422
    assert not Media.objects.exists()


def test_uploading_needs_write_media(api_as, alice):
    assert upload(api_as(alice, scopes="read"))[0] == 403


@pytest.mark.parametrize("form", [True, False], ids=["form", "json"])
def test_update_description_and_focus_only_of_own_media(api_as, alice, bob, form):
    _, body = upload(api_as(alice))
    status, updated = api_as(alice).put(f"/api/v1/media/{body['id']}", {"description": "alt", "focus": "-1,1"},
                                        form=form)
    assert status == 200, updated
    assert updated["description"] == "alt"
    assert updated["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    assert api_as(bob).put(f"/api/v1/media/{body['id']}", {"description": "mine"})[0] == 404
    assert api_as(bob).get(f"/api/v1/media/{body['id']}")[0] == 404
    assert api_as(alice).put(f"/api/v1/media/{body['id']}", {"focus": "2,0"}, form=form)[0] == 422


def test_upload_attach_and_see_the_photo(api_as, alice, bob):
    client = api_as(alice)
    _, uploaded = upload(client, description="sunset")
    # toot sends media_ids as a JSON array of strings.
    status, post = client.post("/api/v1/statuses", {"status": "look", "media_ids": [uploaded["id"]]})
    assert status == 200, post
    assert [m["id"] for m in post["media_attachments"]] == [uploaded["id"]]
    assert post["media_attachments"][0]["description"] == "sunset"
    _, seen = api_as(bob).get(f"/api/v1/statuses/{post['id']}")
    url = seen["media_attachments"][0]["url"]
    served = Client().get(url.replace("http://testserver", ""))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    # Attached: still the owner's to describe, and no one else can attach it again.
    assert client.put(f"/api/v1/media/{uploaded['id']}", {"description": "dusk"})[1]["description"] == "dusk"
    assert client.post("/api/v1/statuses", {"status": "again", "media_ids": [uploaded["id"]]})[0] == 422


def test_form_encoded_media_ids_and_someone_elses_photo(api_as, alice, bob):
    _, mine = upload(api_as(alice))
    _, theirs = upload(api_as(bob))
    status, post = api_as(alice).post("/api/v1/statuses", {"status": "x", "media_ids[]": [mine["id"]]}, form=True)
    assert status == 200
    assert len(post["media_attachments"]) == 1
    status, body = api_as(alice).post("/api/v1/statuses", {"status": "x", "media_ids[]": [theirs["id"]]}, form=True)
    assert status == 422
    assert "photos" in body["error"]


def test_edit_changes_the_photos(api_as, alice):
    client = api_as(alice)
    _, first = upload(client)
    _, second = upload(client)
    _, post = client.post("/api/v1/statuses", {"status": "x", "media_ids": [first["id"]]})
    status, edited = client.put(f"/api/v1/statuses/{post['id']}", {"status": "x", "media_ids": [second["id"],
                                                                                                 first["id"]]})
    assert status == 200, edited
    assert [m["id"] for m in edited["media_attachments"]] == [second["id"], first["id"]]
    _, edited = client.put(f"/api/v1/statuses/{post['id']}", {
        "status": "x", "media_ids": [second["id"]],
        "media_attributes": [{"id": second["id"], "description": "now described"}]})
    assert [m["description"] for m in edited["media_attachments"]] == ["now described"]
    assert not Media.objects.filter(id=int(first["id"])).exists()
    _, history = client.get(f"/api/v1/statuses/{post['id']}/history")
    assert [len(h["media_attachments"]) for h in history] == [0, 1, 1]  # removed photos are gone


def test_a_limited_posts_photo_is_hidden_from_outsiders(api_as, alice, bob, carol):
    from tests import factories

    family = factories.aspect(alice, "Family", bob)
    client = api_as(alice)
    _, uploaded = upload(client)
    _, post = client.post("/api/v1/statuses", {"status": "x", "media_ids": [uploaded["id"]],
                                               "kith_aspect_ids": [family.id]})
    linked = post["media_attachments"][0]["url"].replace("http://testserver", "")
    assert Client().get(linked).status_code == 200  # the link stands for alice, who may see it
    url = linked.split("?")[0]
    assert Client().get(url).status_code == 404
