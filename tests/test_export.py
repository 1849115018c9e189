"""Data export: the person's own data, complete, and nobody else's private data."""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import pytest

from kith.graph import services as graph
from kith.messaging.services import send_message, start_conversation
from kith.people.export import EXPORT_VERSION, JSON_NAME, export_person
from kith.people.services import update_profile
from kith.social import services
from kith.social.media import upload_media
from kith.social.models import Visibility
from tests import factories
from tests.test_media import jpeg_with_gps, png, upload

pytestmark = pytest.mark.django_db(transaction=True)


def open_export(person) -> tuple[dict, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(export_person(person)))
    assert archive.testzip() is None
    return json.loads(archive.read(JSON_NAME)), archive


@pytest.fixture
def alices_world(alice, bob, carol, dave):
    """Alice with a profile, aspects, posts of every kind, comments, likes, tags and conversations."""
    update_profile(
        alice, display_name="Alice", bio="I *garden*", location="Kreuzberg", gender="she",
        birthday=datetime.date(1990, 4, 1), tags=["gardening", "cats"], avatar=upload("a.png", png((80, 80))),
    )
    update_profile(bob, location="Bob's secret flat", birthday=datetime.date(1985, 1, 2))
    friends = factories.aspect(alice, "Friends", bob)
    factories.aspect(alice, "Work", bob, carol)
    graph.follow(alice, bob)
    graph.follow(carol, alice)
    graph.block(alice, dave)
    services.follow_tag(alice, "compost")

    photo = upload_media(alice, upload("p.jpg", jpeg_with_gps((60, 40))), description="tomatoes")
    photo.refresh_from_db()  # the worker (run at once in tests) has written its file
    public = services.publish_post(alice, "Hello #world", media_ids=[photo.id])
    limited = services.publish_post(
        alice, "Friends only", visibility=Visibility.LIMITED, aspect_ids=[friends.id], person_ids=[carol.id]
    )
    bobs_post = services.publish_post(bob, "Bob's public post")
    comment = services.add_comment(alice, bobs_post, "Nice one")
    services.like(alice, post=bobs_post)
    services.like(alice, comment=services.add_comment(bob, public, "Thanks"))

    ours = start_conversation(alice, [bob], "Plans", "Shall we?")
    send_message(bob, ours, "Yes!")
    start_conversation(bob, [carol], "Alice's birthday", "Surprise party, do not tell her")
    return {"photo": photo, "public": public, "limited": limited, "comment": comment, "bobs_post": bobs_post}


def test_export_holds_profile_graph_and_version(alice, alices_world):
    data, archive = open_export(alice)

    assert data["version"] == EXPORT_VERSION
    profile = data["profile"]
    assert profile["handle"] == alice.handle
    assert (profile["location"], profile["gender"], profile["birthday"]) == ("Kreuzberg", "she", "1990-04-01")
    assert profile["bio"] == "I *garden*"
    assert profile["tags"] == ["gardening", "cats"]
    assert profile["avatar"] in archive.namelist()
    assert data["aspects"] == [
        {"name": "Friends", "contacts": ["bob@testserver"]},
        {"name": "Work", "contacts": ["bob@testserver", "carol@testserver"]},
    ]
    assert data["following"] == ["bob@testserver", "carol@testserver"]  # putting in an aspect follows
    assert data["followers"] == ["carol@testserver"]
    assert data["blocked"] == ["dave@testserver"]
    assert data["followed_tags"] == ["compost"]


def test_export_holds_posts_with_audience_media_comments_and_likes(alice, alices_world):
    data, archive = open_export(alice)

    posts = {p["id"]: p for p in data["posts"]}
    limited = posts[str(alices_world["limited"].id)]
    assert limited["visibility"] == "limited"
    assert limited["source"] == "Friends only"
    assert limited["audience"] == ["bob@testserver", "carol@testserver"]
    assert limited["aspects"] == ["Friends"]
    public = posts[str(alices_world["public"].id)]
    assert public["tags"] == ["world"]
    assert "created_at" in public
    assert public["edited_at"] is None
    [photo] = public["media"]
    assert photo["description"] == "tomatoes"
    with alices_world["photo"].file.open("rb") as stored:
        assert archive.read(photo["file"]) == stored.read()
    assert photo["file"].startswith("media/")

    assert [c["source"] for c in data["comments"]] == ["Nice one"]
    assert data["comments"][0]["post_id"] == str(alices_world["bobs_post"].id)
    assert {(like["post_id"] is None, like["comment_id"] is None) for like in data["likes"]} == {
        (False, True),
        (True, False),
    }


def test_export_holds_only_conversations_the_person_is_in(alice, alices_world):
    data, _ = open_export(alice)

    [conversation] = data["conversations"]
    assert conversation["subject"] == "Plans"
    assert conversation["participants"] == ["alice@testserver", "bob@testserver"]
    assert [m["source"] for m in conversation["messages"]] == ["Shall we?", "Yes!"]


def test_export_leaks_nothing_private_of_anyone_else(alice, alices_world):
    data, archive = open_export(alice)
    everything = archive.read(JSON_NAME).decode()

    assert "secret flat" not in everything
    assert "1985-01-02" not in everything
    assert "Surprise party" not in everything
    assert "birthday" not in json.dumps(data["conversations"])
    assert "Bob's public post" not in everything  # others' posts appear by id only
    assert "PRIVATE KEY" not in everything
    assert all(name == JSON_NAME or name.startswith("media/") for name in archive.namelist())


def test_export_of_a_new_person_is_small_and_valid(bob):
    data, archive = open_export(bob)

    assert data["posts"] == []
    assert data["conversations"] == []
    assert data["profile"]["avatar"] is None
    assert archive.namelist() == [JSON_NAME]
