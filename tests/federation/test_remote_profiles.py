"""Remote people's avatars, headers and profile tags: parsed, copied, refreshed, removed.

A small HTTP server on 127.0.0.2 plays the other pod: it serves an actor document and the
pictures it names, and counts what is asked of it.  What Kith accepts, decided here:

- a picture on any host (Mastodon keeps them on a media host or CDN), fetched through the
  safe client only: https (http only where private federation is allowed, as in tests), no
  private address, at most 8 MB, only image types, then decoded, stripped and re-encoded;
- a picture that fails for good (not an image, too big, too many pixels, a private address,
  a 4xx) is not asked for again until the profile names another URL;
- a server that does not answer (5xx, timeout, refused) is asked again with backoff;
- the first five Hashtags of the actor's `tag` become its profile tags, normalised like
  local ones; emoji, mentions and malformed entries are skipped, never an error.
"""

from __future__ import annotations

import copy
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from kith.api import entities
from kith.federation import media_cache
from kith.federation.activitypub import actors, inbound
from kith.federation.activitypub.models import InboundActivity, InboundState
from kith.federation.activitypub.parse import parse_actor
from kith.federation.models import CopyState, RemoteProfileImage
from kith.people.models import Person, ProfileTag
from kith.people.remote import remove_remote_person
from kith.people.services import update_profile
from tests.federation.picture_server import PictureServer

pytestmark = pytest.mark.django_db(transaction=True)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "remote"


def _image(size=(640, 480), color="teal", fmt="JPEG", exif=True) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if exif:
        meta = Image.Exif()
        meta[0x010F] = "SpyCam"
        meta.get_ifd(0x8825)[2] = (52.0, 31.0, 12.0)  # GPS latitude
        image.save(out, format=fmt, exif=meta)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


class _OtherPod(PictureServer):
    """The other pod: an actor document at /users/ann, and the pictures it names."""

    def __init__(self):
        super().__init__()
        self.actor_uri = f"{self.url}/users/ann"
        self.serve_actor()

    def actor_document(self, icon: str | None = "/a1.jpg", image: str | None = "/h1.jpg", tags=None) -> dict:
        document = json.loads((FIXTURES / "mastodon" / "actor.json").read_text())
        text = json.dumps(document).replace("https://mastodon.example/users/alice", self.actor_uri)
        document = json.loads(text.replace("https://mastodon.example/inbox", f"{self.url}/inbox"))
        document["preferredUsername"] = "ann"
        for key, path in (("icon", icon), ("image", image)):
            if path is None:
                document.pop(key, None)
            else:
                document[key] = {"type": "Image", "mediaType": "image/jpeg", "url": path if "://" in path else f"{self.url}{path}"}
        if tags is not None:
            document["tag"] = tags
        return document

    def serve_actor(self, **kwargs) -> dict:
        document = self.actor_document(**kwargs)
        self.serve("/users/ann", json.dumps(document).encode(), "application/activity+json")
        return document


@pytest.fixture
def other_pod(settings):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    with _OtherPod() as pod:
        yield pod


def _ann() -> Person:
    return Person.objects.get(username="ann")


def _row(kind: str = "avatar") -> RemoteProfileImage:
    return RemoteProfileImage.objects.get(person__username="ann", kind=kind)


def _stored(field) -> Image.Image:
    with field.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read()))


# ---- parsing ----------------------------------------------------------------------------------


def test_actor_tags_become_at_most_five_normalised_profile_tags():
    document = json.loads((FIXTURES / "mastodon" / "actor.json").read_text())
    document["tag"] = [
        {"type": "Emoji", "name": ":verified:", "icon": {"type": "Image", "url": "https://x.example/v.png"}},
        {"type": "Hashtag", "name": "#Gardening", "href": "https://mastodon.example/tags/gardening"},
        {"type": "Hashtag", "name": "#gardening"},  # a repeat, once folded
        {"type": "Mention", "name": "@bob@b.example", "href": "https://b.example/users/bob"},
        "https://mastodon.example/tags/bare-reference",
        42,
        {"type": "Hashtag", "name": ["not", "a", "string"]},
        {"type": "Hashtag", "name": "#two words"},
        {"type": "Hashtag", "name": "#<script>alert(1)</script>"},
        {"type": "Hashtag", "name": "#" + "x" * 65},
        {"type": "Hashtag", "name": "#Café"},
        *({"type": "Hashtag", "name": f"#t{n}"} for n in range(10)),
    ]
    assert parse_actor(document).hashtags == ("gardening", "café", "t0", "t1", "t2")


def test_an_actor_with_a_thousand_tags_still_parses_and_keeps_five():
    document = json.loads((FIXTURES / "mastodon" / "actor.json").read_text())
    document["tag"] = [{"type": "Hashtag", "name": f"#t{n}"} for n in range(1000)]
    assert len(parse_actor(document).hashtags) == 5


@pytest.mark.parametrize("icon", [42, {"url": 7}, {"type": "Image", "url": "javascript:alert(1)"}, "data:image/png;base64,AAAA", [[[["deep"]]]]])
def test_a_malformed_icon_is_dropped_and_the_actor_kept(icon):
    document = json.loads((FIXTURES / "mastodon" / "actor.json").read_text())
    document["icon"] = icon
    data = parse_actor(document)
    assert data.icon_url is None
    assert data.preferred_username == "alice"


def test_an_icon_on_another_host_than_the_actor_is_accepted():
    # Mastodon's own actors name files.<host>: a media host of their own.
    data = parse_actor(json.loads((FIXTURES / "mastodon" / "actor.json").read_text()))
    assert data.icon_url == "https://files.mastodon.example/accounts/avatars/109/000/000/original/alice.png"
    assert data.image_url == "https://files.mastodon.example/accounts/headers/109/000/000/original/alice.jpg"


# ---- copying ----------------------------------------------------------------------------------


def test_a_new_remote_person_gets_avatar_header_and_tags_cleaned(other_pod):
    other_pod.serve("/a1.jpg", _image((1200, 900)))
    other_pod.serve("/h1.jpg", _image((3000, 1000), "navy"))
    other_pod.serve_actor(tags=[{"type": "Hashtag", "name": "#Photography"}, {"type": "Hashtag", "name": "#cats"}])
    actors.resolve_actor(other_pod.actor_uri)
    ann = _ann()
    avatar, header = _stored(ann.avatar), _stored(ann.header)
    assert (avatar.format, max(avatar.size)) == ("PNG", 400)
    assert (header.format, max(header.size)) == ("PNG", 1500)
    assert not avatar.getexif()
    assert not header.getexif()
    assert "exif" not in avatar.info
    assert _row().state == CopyState.DONE
    assert list(ProfileTag.objects.filter(person=ann).values_list("name", flat=True)) == ["photography", "cats"]


def test_pictures_on_another_host_than_the_actor_are_copied(other_pod):
    with PictureServer("127.0.0.3") as media_host:
        avatar = media_host.serve("/accounts/avatars/1/original/ann.jpg", _image())
        other_pod.serve_actor(icon=avatar, image=None)
        actors.resolve_actor(other_pod.actor_uri)
        assert media_host.asked("/accounts/avatars/1/original/ann.jpg") == 1
    assert _row().state == CopyState.DONE
    assert _stored(_ann().avatar).format == "PNG"


def test_the_copies_are_what_the_pages_and_the_api_show(other_pod, client, alice):
    other_pod.serve("/a1.jpg", _image())
    other_pod.serve("/h1.jpg", _image())
    other_pod.serve_actor(tags=[{"type": "Hashtag", "name": "#knitting"}])
    ann = actors.resolve_actor(other_pod.actor_uri).person
    ann.refresh_from_db()
    avatar_url = f"/avatars/{ann.id}?v={ann.avatar_version}"
    header_url = f"/headers/{ann.id}?v={ann.header_version}"
    served = client.get(avatar_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert client.get(header_url).status_code == 200
    client.force_login(alice.account)
    page = client.get(f"/@{ann.handle}").content.decode()
    assert f'src="{avatar_url}"' in page
    assert f'src="{header_url}"' in page
    assert "#knitting" in page
    assert other_pod.url not in page  # never hot-linked
    account = entities.account(ann)
    assert account["avatar"] == f"http://testserver{avatar_url}"
    assert account["header"] == f"http://testserver{header_url}"


def test_an_unchanged_icon_url_is_never_fetched_again(other_pod):
    other_pod.serve("/a1.jpg", _image())
    other_pod.serve("/h1.jpg", _image())
    actors.resolve_actor(other_pod.actor_uri)
    first_name = _ann().avatar.name
    for _ in range(3):
        actors.resolve_actor(other_pod.actor_uri, refresh=True)
    assert other_pod.asked("/users/ann") == 4
    assert other_pod.asked("/a1.jpg") == 1
    assert other_pod.asked("/h1.jpg") == 1
    assert _ann().avatar.name == first_name


def test_a_new_icon_url_replaces_the_copy_and_the_old_file_goes(other_pod):
    other_pod.serve("/a1.jpg", _image(color="red"))
    other_pod.serve("/a2.jpg", _image(color="blue"))
    other_pod.serve("/h1.jpg", _image())
    actors.resolve_actor(other_pod.actor_uri)
    before = _ann()
    old_name, old_version = before.avatar.name, before.avatar_version
    other_pod.serve_actor(icon="/a2.jpg")
    actors.resolve_actor(other_pod.actor_uri, refresh=True)
    after = _ann()
    assert after.avatar.name != old_name
    assert after.avatar_version != old_version
    assert _stored(after.avatar).convert("RGB").getpixel((0, 0))[2] > 200  # blue now
    assert not default_storage.exists(old_name)
    assert other_pod.asked("/h1.jpg") == 1


def test_an_update_of_the_person_arriving_refreshes_the_pictures(other_pod):
    other_pod.serve("/a1.jpg", _image(color="red"))
    other_pod.serve("/a2.jpg", _image(color="blue"))
    other_pod.serve("/h1.jpg", _image())
    actors.resolve_actor(other_pod.actor_uri)
    document = other_pod.serve_actor(icon="/a2.jpg", tags=[{"type": "Hashtag", "name": "#new"}])
    stored = InboundActivity.objects.create(
        activity_uri=f"{other_pod.actor_uri}#updates/1", actor_uri=other_pod.actor_uri, activity_type="Update",
        payload={"id": f"{other_pod.actor_uri}#updates/1", "type": "Update", "actor": other_pod.actor_uri, "object": document},
    )
    inbound.apply(stored)
    stored.refresh_from_db()
    assert stored.state == InboundState.DONE, stored.error
    assert other_pod.asked("/a2.jpg") == 1
    assert _row().url.endswith("/a2.jpg")
    assert list(_ann().profile_tags.values_list("name", flat=True)) == ["new"]


def test_a_dropped_icon_removes_the_avatar_and_keeps_the_header(other_pod):
    other_pod.serve("/a1.jpg", _image())
    other_pod.serve("/h1.jpg", _image())
    actors.resolve_actor(other_pod.actor_uri)
    old_name = _ann().avatar.name
    other_pod.serve_actor(icon=None, tags=[])
    actors.resolve_actor(other_pod.actor_uri, refresh=True)
    ann = _ann()
    assert not ann.avatar
    assert ann.header
    assert not RemoteProfileImage.objects.filter(person=ann, kind="avatar").exists()
    assert not default_storage.exists(old_name)
    assert not ann.profile_tags.exists()


def test_a_deleted_remote_person_loses_pictures_and_tags(other_pod):
    other_pod.serve("/a1.jpg", _image())
    other_pod.serve("/h1.jpg", _image())
    other_pod.serve_actor(tags=[{"type": "Hashtag", "name": "#x"}])
    ann = actors.resolve_actor(other_pod.actor_uri).person
    remove_remote_person(ann)
    ann.refresh_from_db()
    assert not ann.avatar
    assert not ann.header
    assert not ann.profile_tags.exists()
    # The name comes back over there (a new account): its pictures are copied again.
    Person.objects.filter(id=ann.id).update(state="active")
    actors.resolve_actor(other_pod.actor_uri, refresh=True)
    assert _ann().avatar
    assert _ann().header


def test_a_suspended_remote_person_gets_no_new_pictures_until_lifted(other_pod):
    other_pod.serve("/a1.jpg", _image())
    other_pod.serve("/a2.jpg", _image(color="blue"))
    other_pod.serve("/h1.jpg", _image())
    actors.resolve_actor(other_pod.actor_uri)
    Person.objects.filter(id=_ann().id).update(state="suspended")
    other_pod.serve_actor(icon="/a2.jpg")
    actors.resolve_actor(other_pod.actor_uri, refresh=True)
    assert other_pod.asked("/a2.jpg") == 0
    assert not RemoteProfileImage.objects.filter(person=_ann(), kind="avatar").exists()
    Person.objects.filter(id=_ann().id).update(state="active")
    actors.resolve_actor(other_pod.actor_uri, refresh=True)
    assert other_pod.asked("/a2.jpg") == 1
    assert _row().state == CopyState.DONE


# ---- hostile and broken pictures --------------------------------------------------------------


def _resolve_with_icon(other_pod, path: str, body: bytes, content_type: str, status: int = 200) -> RemoteProfileImage:
    other_pod.serve(path, body, content_type, status)
    other_pod.serve_actor(icon=path, image=None)
    actors.resolve_actor(other_pod.actor_uri)
    return _row()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"<html><script>alert(1)</script></html>", "text/html", 200),  # not an image type
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml", 200),
        (b"GIF89a but not really an image", "image/gif", 200),  # says image, is not
        (_image(fmt="BMP", exif=False), "image/png", 200),  # an image Kith does not take
        (b"", "image/png", 404),
    ],
    ids=["html", "svg", "garbage", "bmp", "404"],
)
def test_an_icon_that_is_not_a_usable_image_fails_for_good(other_pod, body, content_type, status):
    row = _resolve_with_icon(other_pod, "/icon", body, content_type, status)
    assert row.state == CopyState.FAILED
    assert row.last_error
    assert not _ann().avatar
    actors.resolve_actor(other_pod.actor_uri, refresh=True)
    media_cache.sweep_profile_images(now=timezone.now() + timedelta(days=3))
    assert other_pod.asked("/icon") == 1  # the same URL is not asked again


def test_an_icon_of_too_many_pixels_fails(other_pod):
    bomb = io.BytesIO()
    Image.new("1", (8000, 8000)).save(bomb, format="PNG")  # 64 megapixels in a few kB
    assert len(bomb.getvalue()) < 100_000
    row = _resolve_with_icon(other_pod, "/bomb.png", bomb.getvalue(), "image/png")
    assert row.state == CopyState.FAILED
    assert not _ann().avatar


def test_an_icon_of_too_many_bytes_fails_without_reading_it_all(other_pod):
    row = _resolve_with_icon(other_pod, "/huge.png", b"\x89PNG" + b"\0" * (9 * 1024 * 1024), "image/png")
    assert row.state == CopyState.FAILED
    assert "limit" in row.last_error
    assert not _ann().avatar


def test_an_icon_at_a_private_address_is_refused_without_connecting(other_pod, settings):
    actors.resolve_actor(other_pod.actor_uri)  # known while private addresses were allowed
    settings.KITH_ALLOW_PRIVATE_FEDERATION = False
    other_pod.serve("/a9.jpg", _image())
    media_cache.record_profile_images(_ann(), avatar_url=f"https://127.0.0.2:{other_pod.port}/a9.jpg", header_url=None)
    row = _row()
    assert row.state == CopyState.FAILED
    assert "private" in row.last_error
    assert other_pod.asked("/a9.jpg") == 0


def test_a_plain_http_icon_is_refused_where_https_is_required(other_pod, settings):
    actors.resolve_actor(other_pod.actor_uri)
    settings.KITH_ALLOW_PRIVATE_FEDERATION = False
    media_cache.record_profile_images(_ann(), avatar_url="http://files.example/a.png", header_url=None)
    assert _row().state == CopyState.FAILED
    assert "https" in _row().last_error


# ---- durability -------------------------------------------------------------------------------


def test_a_server_that_does_not_answer_is_asked_again_with_backoff(other_pod):
    row = _resolve_with_icon(other_pod, "/busy.jpg", b"try later", "text/plain", 503)
    assert row.state == CopyState.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    assert media_cache.sweep_profile_images() == 0  # not due yet
    other_pod.serve("/busy.jpg", _image())
    assert media_cache.sweep_profile_images(now=timezone.now() + timedelta(minutes=5)) == 1
    # The sweep's job ran at the real time, before the row was due: it did nothing.
    assert _row().state == CopyState.PENDING
    assert media_cache.copy_profile_image(_ann().id, "avatar", now=timezone.now() + timedelta(minutes=5)) == CopyState.DONE
    assert _ann().avatar


def test_a_server_that_never_answers_is_given_up_after_the_last_retry(other_pod):
    _resolve_with_icon(other_pod, "/down.jpg", b"", "text/plain", 502)
    later = timezone.now()
    for _ in media_cache.RETRY_AFTER:
        later += timedelta(days=2)
        media_cache.copy_profile_image(_ann().id, "avatar", now=later)
    row = _row()
    assert row.state == CopyState.FAILED
    assert row.attempts == len(media_cache.RETRY_AFTER) + 1
    assert other_pod.asked("/down.jpg") == len(media_cache.RETRY_AFTER) + 1


@pytest.mark.parametrize("claimed", [False, True], ids=["job-lost-in-queue", "worker-died-mid-fetch"])
def test_a_lost_job_is_found_by_the_sweep(other_pod, claimed):
    other_pod.serve("/a1.jpg", _image())
    actors.resolve_actor(other_pod.actor_uri)
    ann = _ann()
    # As a crash leaves it: wanted, not copied, the job gone (and perhaps a lease never released).
    now = timezone.now()
    RemoteProfileImage.objects.filter(person=ann, kind="avatar").update(
        state=CopyState.PENDING, next_attempt_at=now - timedelta(minutes=10), attempts=0,
        claimed_until=now - timedelta(minutes=1) if claimed else None,
    )
    Person.objects.filter(id=ann.id).update(avatar="")
    assert media_cache.sweep_profile_images() >= 1
    assert _row().state == CopyState.DONE
    assert _ann().avatar


def test_a_job_holding_a_live_lease_is_left_alone(other_pod):
    other_pod.serve("/a1.jpg", _image())
    actors.resolve_actor(other_pod.actor_uri)
    RemoteProfileImage.objects.filter(person=_ann(), kind="avatar").update(
        state=CopyState.PENDING, next_attempt_at=timezone.now() - timedelta(minutes=10),
        claimed_until=timezone.now() + timedelta(minutes=1),
    )
    assert media_cache.sweep_profile_images() == 0
    assert media_cache.copy_profile_image(_ann().id, "avatar") == ""


def test_a_copy_overtaken_by_a_newer_url_is_thrown_away(other_pod, monkeypatch):
    other_pod.serve("/a1.jpg", _image(color="red"))
    other_pod.serve("/a2.jpg", _image(color="blue"))
    other_pod.serve("/h1.jpg", _image())
    real_fetch = media_cache._fetch_image
    switched = []

    def fetch_while_the_profile_changes(url, max_bytes):
        body = real_fetch(url, max_bytes)
        if url.endswith("/a1.jpg") and not switched:
            switched.append(url)  # the profile names a new picture while this one downloads
            media_cache.record_profile_images(_ann(), avatar_url=f"{other_pod.url}/a2.jpg", header_url=f"{other_pod.url}/h1.jpg")
        return body

    monkeypatch.setattr(media_cache, "_fetch_image", fetch_while_the_profile_changes)
    actors.resolve_actor(other_pod.actor_uri)
    assert _row().url.endswith("/a2.jpg")
    assert _row().state == CopyState.DONE
    assert _stored(_ann().avatar).convert("RGB").getpixel((0, 0))[2] > 200  # blue, not the stale red


# ---- what Kith sends for its own people -------------------------------------------------------


def test_a_local_actor_names_versioned_pictures_and_its_tags(alice, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    update_profile(
        alice, avatar=SimpleUploadedFile("a.png", _image(fmt="PNG")), header=SimpleUploadedFile("h.png", _image(fmt="PNG")),
        tags=["Gardening", "#cats"],
    )
    document = client.get("/users/alice", HTTP_ACCEPT="application/activity+json").json()
    alice.refresh_from_db()
    assert document["icon"] == {"type": "Image", "mediaType": "image/png", "url": f"http://testserver/avatars/{alice.id}?v={alice.avatar_version}"}
    assert document["image"]["url"] == f"http://testserver/headers/{alice.id}?v={alice.header_version}"
    assert [tag["name"] for tag in document["tag"]] == ["#gardening", "#cats"]
    # What Kith reads back from it: the same pictures and tags.
    data = parse_actor(copy.deepcopy(document))
    assert (data.icon_url, data.image_url, data.hashtags) == (document["icon"]["url"], document["image"]["url"], ("gardening", "cats"))
    # A new avatar is a new URL: other pods see it changed.
    update_profile(alice, avatar=SimpleUploadedFile("b.png", _image(color="red", fmt="PNG")))
    again = client.get("/users/alice", HTTP_ACCEPT="application/activity+json").json()
    assert again["icon"]["url"] != document["icon"]["url"]
    assert client.get(again["icon"]["url"].removeprefix("http://testserver")).status_code == 200
