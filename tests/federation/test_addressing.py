"""One mapping from wire addressing to visibility (kith/federation/addressing.py), and the two
ActivityPub paths that ask it (parse.classify_addressing, used by lookups and tests, and the
inbound store's _audience, inbound/create.py) answering alike for every shape of addressing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kith.federation.activitypub import parse
from kith.federation.activitypub.context import AS_PUBLIC
from kith.federation.activitypub.inbound import create
from kith.federation.activitypub.models import RemoteActor
from kith.federation.addressing import Addressing, Reach, reach_of, read_addressing
from kith.people.remote import upsert_remote_person
from kith.social.models import Visibility

REMOTE = "https://mastodon.example"
AUTHOR = f"{REMOTE}/users/ann"
FOLLOWERS = f"{AUTHOR}/followers"
BEN = f"{REMOTE}/users/ben"
CAL = "https://other.example/users/cal"


# ---- the neutral reading -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("addressing", "reach", "visibility", "recipients_in", "followers_in"),
    [
        (Addressing(public=True, listed=True), Reach.PUBLIC, Visibility.PUBLIC, False, False),
        (Addressing(public=True, listed=True, followers=True, recipients=[BEN]), Reach.PUBLIC, Visibility.PUBLIC,
         False, False),
        (Addressing(public=True), Reach.UNLISTED, Visibility.UNLISTED, False, False),
        (Addressing(followers=True), Reach.FOLLOWERS, Visibility.LIMITED, True, True),
        (Addressing(followers=True, recipients=[BEN], mentions=[BEN]), Reach.FOLLOWERS, Visibility.LIMITED, True, True),
        (Addressing(recipients=[BEN], mentions=[BEN]), Reach.DIRECT, Visibility.DIRECT, True, False),
        (Addressing(recipients=[BEN, CAL], mentions=[BEN]), Reach.LIMITED, Visibility.LIMITED, True, False),
        (Addressing(recipients=[BEN, CAL]), Reach.DIRECT, Visibility.DIRECT, True, False),  # mentions unknown
        (Addressing(), Reach.LIMITED, Visibility.LIMITED, True, False),  # nobody named: never a message
        (Addressing(mentions=[BEN]), Reach.LIMITED, Visibility.LIMITED, True, False),
    ],
)
def test_reading(addressing, reach, visibility, recipients_in, followers_in):
    reading = read_addressing(addressing)
    assert reading.reach == reach == reach_of(addressing)
    assert reading.visibility == visibility
    assert reading.audience_of_recipients is recipients_in
    assert reading.audience_of_followers is followers_in


def test_every_reach_has_a_visibility_and_public_ones_have_no_audience():
    for reach, addressing in {
        Reach.PUBLIC: Addressing(public=True, listed=True),
        Reach.UNLISTED: Addressing(public=True),
        Reach.FOLLOWERS: Addressing(followers=True),
        Reach.LIMITED: Addressing(recipients=[BEN], mentions=[]),
        Reach.DIRECT: Addressing(recipients=[BEN], mentions=[BEN]),
    }.items():
        reading = read_addressing(addressing)
        assert reading.reach == reach
        public = reading.visibility in (Visibility.PUBLIC, Visibility.UNLISTED)
        assert public is (reach in (Reach.PUBLIC, Reach.UNLISTED))
        assert reading.audience_of_recipients is not public


# ---- the ActivityPub paths agree ---------------------------------------------------------------

# (to, cc, mentioned): every shape the two paths once answered differently, and the usual ones.
WIRE = {
    "public": ([AS_PUBLIC], [FOLLOWERS], []),
    "public as:Public": (["as:Public"], [], []),
    "public in both": ([AS_PUBLIC], [AS_PUBLIC], []),
    "unlisted": ([FOLLOWERS], [AS_PUBLIC], []),
    "unlisted Public": ([], ["Public"], []),
    "followers": ([FOLLOWERS], [], []),
    "followers and a mention": ([FOLLOWERS], [BEN], [BEN]),
    "direct": ([BEN], [], [BEN]),
    "direct, author addressed too": ([BEN, AUTHOR], [], [BEN]),
    "limited": ([BEN, CAL], [], [BEN]),
    "limited, nobody mentioned": ([BEN], [], []),
    "nobody": ([], [], []),
    "only the author": ([AUTHOR], [], []),
    "only the author, mentioned": ([AUTHOR], [AUTHOR], [AUTHOR]),
}


def _note(to: list[str], cc: list[str], mentioned: list[str]) -> parse.NoteData:
    return parse.parse_note({
        "id": f"{AUTHOR}/statuses/1", "type": "Note", "attributedTo": AUTHOR, "content": "<p>hi</p>",
        "to": to, "cc": cc, "tag": [{"type": "Mention", "href": uri} for uri in mentioned],
    })


@pytest.fixture
def author(db) -> RemoteActor:
    person = upsert_remote_person("ann", "mastodon.example")
    return RemoteActor.objects.create(
        person=person, uri=AUTHOR, inbox=f"{AUTHOR}/inbox", followers_url=FOLLOWERS,
        key_id=f"{AUTHOR}#main-key", public_key_pem="unused", fetched_at=timezone.now(),
    )


@pytest.mark.parametrize("shape", WIRE)
def test_classify_addressing_and_the_inbound_audience_agree(author, shape):
    note = _note(*WIRE[shape])
    reach = parse.classify_addressing(note.to, note.cc, FOLLOWERS, mentions=note.mentions, author=AUTHOR)
    visibility, _audience = create._audience(note, author)
    assert visibility == read_addressing(parse.addressing_of(note.to, note.cc, FOLLOWERS, mentions=note.mentions,
                                                             author=AUTHOR)).visibility
    assert create._classify(note, author) == reach
    expected = {
        Reach.PUBLIC: Visibility.PUBLIC, Reach.UNLISTED: Visibility.UNLISTED, Reach.FOLLOWERS: Visibility.LIMITED,
        Reach.LIMITED: Visibility.LIMITED, Reach.DIRECT: Visibility.DIRECT,
    }[reach]
    assert visibility == expected


@pytest.mark.parametrize(
    ("shape", "reach"),
    [
        ("public", Reach.PUBLIC), ("public in both", Reach.PUBLIC), ("unlisted", Reach.UNLISTED),
        ("followers", Reach.FOLLOWERS), ("followers and a mention", Reach.FOLLOWERS), ("direct", Reach.DIRECT),
        ("direct, author addressed too", Reach.DIRECT), ("limited", Reach.LIMITED),
        ("limited, nobody mentioned", Reach.LIMITED), ("nobody", Reach.LIMITED), ("only the author", Reach.LIMITED),
        ("only the author, mentioned", Reach.LIMITED),
    ],
)
def test_the_wire_shapes_read_as_mastodon_reads_them(shape, reach):
    to, cc, mentioned = WIRE[shape]
    assert parse.classify_addressing(to, cc, FOLLOWERS, mentions=mentioned, author=AUTHOR) == reach
