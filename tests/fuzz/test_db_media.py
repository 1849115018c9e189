"""Fuzzing uploads where people make them: `POST /api/v2/media` and `/api/v1/media` (bearer token),
the compose form's photos and the profile's avatar and header (logged in).

Mutated PNG, JPEG, GIF and WebP seeds, truncated files and decompression-bomb headers (the
strategies of tests/fuzz/images.py): a clean 4xx for anything Kith cannot read, and then no
Media row and no post; an accepted upload is a 200/202 with its row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from kith.api.tokens import issue_token
from kith.people.models import Person
from kith.social.models import Media, MediaState, Post
from tests import factories
from tests.fuzz.common import NASTY_TEXT, budget, tally_for
from tests.fuzz.images import broken_images

TALLY = tally_for(__name__)
pytestmark = pytest.mark.django_db
NAMES = st.sampled_from(["photo.jpg", "photo.png", "x.gif", "x.webp", "x.html", "../../etc/passwd", "", "a" * 300,
                         "\u202egpj.exe", "x\x00.png"])
TYPES = st.sampled_from(["image/jpeg", "image/png", "image/gif", "image/webp", "text/html", "application/octet-stream", ""])


@pytest.fixture
def uploader(db) -> dict:
    alice = factories.person("alice")
    web = Client()
    web.force_login(alice.account)
    return {"alice": alice, "token": issue_token(alice.account, "fuzz", "read write"), "web": web}


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _file(data: bytes, name: str, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name.replace("\x00", "") or "upload", data, content_type=content_type or "image/jpeg")


@budget(50)
@given(data=broken_images(), name=NAMES, content_type=TYPES, description=NASTY_TEXT,
       focus=st.sampled_from(["", "0,0", "1.5,0", "nan,nan", "-1,1", "x", "0.5"]),
       where=st.sampled_from(["/api/v2/media", "/api/v1/media", "compose", "avatar", "header"]))
def test_uploads_of_broken_images(uploader, data, name, content_type, description, focus, where):
    alice: Person = uploader["alice"]
    description = description.encode("utf-8", "replace").decode()  # a form field: valid UTF-8
    with rolled_back():
        before = (Media.objects.count(), Post.objects.count())
        avatar_before = (alice.avatar.name, alice.header.name)
        if where.startswith("/api/"):
            form = {"file": _file(data, name, content_type), "description": description}
            if focus:
                form["focus"] = focus
            response = Client().post(where, form, headers={"Authorization": f"Bearer {uploader['token']}"})
        elif where == "compose":
            response = uploader["web"].post("/posts", {"text": "Look", "photo_1": _file(data, name, content_type),
                                                       "alt_1": description, "audience": ["public"]})
        else:
            response = uploader["web"].post("/settings/profile", {where: _file(data, name, content_type)})
        TALLY.record(where, response.status_code)
        assert response.status_code < 500, response.content[:300]
        if response.status_code >= 400:
            assert (Media.objects.count(), Post.objects.count()) == before, (where, response.status_code)
            alice.refresh_from_db()
            assert (alice.avatar.name, alice.header.name) == avatar_before
        elif where.startswith("/api/"):
            media = Media.objects.latest("id")
            assert media.state in (MediaState.PROCESSING, MediaState.READY), media.state
