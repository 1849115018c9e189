"""Parsing real-shaped remote payloads: each fixture's key facts, hostile ones refused or made safe.

The corpus lives in tests/fixtures/remote/<software>/<kind>__<variant>.json,
written from each software's documentation.  Every fixture must appear in
EXPECTED (facts it parses to) or REFUSED (the ParseError it raises): a new
fixture without either fails `test_every_fixture_is_checked`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kith.federation.activitypub import parse
from kith.federation.activitypub.context import AS_PUBLIC

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "remote"
ALL = sorted(str(path.relative_to(FIXTURES).with_suffix("")) for path in FIXTURES.rglob("*.json"))

ALICE = "https://mastodon.example/users/alice"
ALICE_FOLLOWERS = f"{ALICE}/followers"
BOB = "https://kith.example/users/bob"
CAROL = "https://kith.example/users/carol"
KPOST = "https://kith.example/users/bob/posts/42"
MAL = "https://evil.example/users/mallory"


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def parse_any(doc: Any):
    """The parser a caller would pick for this document's type."""
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind in parse.ACTOR_TYPES:
        return parse.parse_actor(doc)
    if kind in parse.NOTE_TYPES:
        return parse.parse_note(doc)
    return parse.parse_activity(doc)


def dig(value: Any, path: str) -> Any:
    for step in path.split("."):
        value = value[int(step)] if step.isdigit() else getattr(value, step)
    return value


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


EXPECTED: dict[str, dict[str, Any]] = {
    # --- Mastodon -------------------------------------------------------------------------
    "mastodon/actor": {
        "id": ALICE, "type": "Person", "preferred_username": "alice", "name": "Alice :verified:",
        "url": "https://mastodon.example/@alice", "inbox": f"{ALICE}/inbox", "outbox": f"{ALICE}/outbox",
        "shared_inbox": "https://mastodon.example/inbox", "followers": ALICE_FOLLOWERS,
        "following": f"{ALICE}/following", "featured": f"{ALICE}/collections/featured",
        "manually_approves_followers": False, "discoverable": True, "indexable": True,
        "key_id": f"{ALICE}#main-key", "published": at("2022-11-05T00:00:00Z"), "moved_to": None,
        "icon_url": "https://files.mastodon.example/accounts/avatars/109/000/000/original/alice.png",
        "image_url": "https://files.mastodon.example/accounts/headers/109/000/000/original/alice.jpg",
        "fields.0.0": "Website", "fields.1": ("Pronouns", "she/her"),
    },
    "mastodon/actor__locked": {"manually_approves_followers": True, "discoverable": False, "indexable": False},
    "mastodon/note__public": {
        "id": f"{ALICE}/statuses/112233445566778899", "type": "Note", "attributed_to": ALICE,
        "to": (AS_PUBLIC,), "cc": (ALICE_FOLLOWERS, BOB), "hashtags": ("gardening",), "mentions": (BOB,),
        "url": "https://mastodon.example/@alice/112233445566778899", "language": "en", "summary": None,
        "sensitive": False, "in_reply_to": None, "published": at("2024-03-14T09:26:53Z"), "poll": None,
    },
    "mastodon/note__with_cw": {"summary": "Book spoilers", "sensitive": True},
    "mastodon/note__unlisted": {"to": (ALICE_FOLLOWERS,), "cc": (AS_PUBLIC,)},
    "mastodon/note__followers_only": {"to": (ALICE_FOLLOWERS,), "cc": (BOB,), "mentions": (BOB,)},
    "mastodon/note__direct": {"to": (BOB,), "cc": (), "mentions": (BOB,)},
    "mastodon/note__limited": {"to": (BOB, CAROL), "cc": (), "mentions": ()},
    "mastodon/note__reply": {"in_reply_to": KPOST, "mentions": (BOB,)},
    "mastodon/note__with_media_alt_blurhash_focalpoint": {
        "attachments.0.url": "https://files.mastodon.example/media_attachments/files/112/233/445/original/before.jpg",
        "attachments.0.media_type": "image/jpeg",
        "attachments.0.description": "A bare raised bed of dark soil, a watering can on the left.",
        "attachments.0.blurhash": "UCF~y?%M00of00j[?bRj00WB~qt7IUWBofWB",
        "attachments.0.focal_point": (-0.35, 0.2), "attachments.0.width": 1600, "attachments.0.height": 1200,
        "attachments.1.media_type": "video/mp4", "attachments.1.description": "", "attachments.1.focal_point": None,
    },
    "mastodon/question__poll": {
        "type": "Question", "poll.multiple": False, "poll.voters_count": 19, "poll.closed": False,
        "poll.end_time": at("2024-03-15T09:26:53Z"),
        "poll.options": (parse.PollOption("Beans", 12), parse.PollOption("Squash", 7), parse.PollOption("Leeks", 0)),
    },
    "mastodon/question__multiple": {
        "poll.multiple": True, "poll.closed": True, "poll.closed_at": at("2024-03-13T09:26:53Z"),
        "poll.options.1": parse.PollOption("Evenings", 9), "poll.voters_count": 11,
    },
    "mastodon/create": {
        "type": "Create", "actor": ALICE, "object_id": f"{ALICE}/statuses/112233445566778899",
        "object.hashtags": ("gardening",), "object.attributed_to": ALICE, "to": (AS_PUBLIC,),
    },
    "mastodon/update__note": {
        "type": "Update", "object.updated": at("2024-03-14T10:02:11Z"),
        "object.content_html": "<p>First tomatoes of the year (and a pepper)!</p>",
    },
    "mastodon/delete__tombstone": {
        "type": "Delete", "object": parse.TombstoneData(f"{ALICE}/statuses/112233445566778899", None),
        "object_id": f"{ALICE}/statuses/112233445566778899",
    },
    "mastodon/follow": {"type": "Follow", "actor": ALICE, "object": BOB, "object_id": BOB},
    "mastodon/accept": {
        "type": "Accept", "object_id": "https://kith.example/users/bob/follows/17",
        "object.type": "Follow", "object.actor": BOB, "object.object_id": ALICE,
    },
    "mastodon/reject": {"type": "Reject", "object.type": "Follow", "object.actor": BOB},
    "mastodon/undo__follow": {
        "type": "Undo", "object.type": "Follow", "object.actor": ALICE, "object.object_id": BOB,
        "object_id": "https://mastodon.example/5e3b9a1c-7f5e-4c1e-9a55-0c2f1b7d3e41",
    },
    "mastodon/like": {"type": "Like", "id": f"{ALICE}#likes/98765", "object": KPOST},
    "mastodon/announce": {"type": "Announce", "object": KPOST, "to": (AS_PUBLIC,), "cc": (BOB, ALICE_FOLLOWERS)},
    "mastodon/block": {"type": "Block", "object": BOB},
    "mastodon/flag": {
        "type": "Flag", "actor": "https://mastodon.example/actor", "objects": (BOB, KPOST), "object_id": BOB,
        "content": "Spam: links to a fake shop & nothing else",
    },
    "mastodon/move": {"type": "Move", "object": ALICE, "target": "https://newhome.example/users/alice"},
    "mastodon/update__actor": {"type": "Update", "object.name": "Alice (moving soon)", "object.id": ALICE},
    # --- Pleroma / Akkoma -----------------------------------------------------------------
    "pleroma/actor": {
        "preferred_username": "erin", "name": "erin \u2728", "summary_html": "hacker, cat person<br>she/they",
        "shared_inbox": "https://pleroma.example/inbox", "also_known_as": ("https://oldhome.example/users/erin",),
        "discoverable": False, "icon_url": "https://pleroma.example/media/3f1c0b2a9e8d7c6b5a4f3e2d1c0b9a8f.png",
    },
    "pleroma/emoji_react": {"type": "EmojiReact", "content": "\U0001f525", "object": KPOST, "to": (BOB, AS_PUBLIC)},
    "akkoma/note__source_markdown": {
        "source_markdown": "Trying **Markdown** on Akkoma, with a [link](https://example.org/docs) and `code`.\n\n- one\n- two\n\n#Fediverse",
        "hashtags": ("fediverse",), "summary": None, "language": "en",
    },
    # --- Misskey --------------------------------------------------------------------------
    "misskey/actor": {
        "preferred_username": "gina", "name": "\u3058\u306a :blobcat:", "url": "https://misskey.example/@gina",
        "shared_inbox": "https://misskey.example/inbox", "image_url": None, "fields.0.0": "Homepage",
    },
    "misskey/note__quote": {
        "source_markdown": "$[tada Big news]: the **garden** is open <plain>*not bold*</plain> :blobcat:",
        "attributed_to": "https://misskey.example/users/9n3k2j1h0g", "language": None,
        "published": at("2024-03-14T15:16:17.181Z"),
    },
    "misskey/like__reaction": {"type": "Like", "content": ":blobcat:", "object": KPOST},
    # --- Friendica ------------------------------------------------------------------------
    "friendica/note__attributed_to_array": {
        "attributed_to": "https://friendica.example/profile/heluecht", "hashtags": ("seeds",),
        "mentions": ("https://friendica.example/profile/gardeners",), "language": "de", "source_markdown": None,
    },
    "friendica/article": {
        "type": "Article", "name": "A guide to winter pruning", "updated": at("2024-01-21T07:30:00Z"),
        "hashtags": ("pruning",), "source_markdown": None,
    },
    # --- GoToSocial -----------------------------------------------------------------------
    "gotosocial/actor": {
        "key_id": "https://gts.example/users/hal/main-key", "featured": "https://gts.example/users/hal/collections/featured",
        "manually_approves_followers": True, "shared_inbox": "https://gts.example/sharedInbox",
    },
    "gotosocial/note": {"hashtags": ("selfhosting",), "cc": ("https://gts.example/users/hal/followers",), "summary": None},
    # --- Pixelfed -------------------------------------------------------------------------
    "pixelfed/note__image_post": {
        "attributed_to": "https://pixelfed.example/users/ivy", "hashtags": ("allotment",),
        "attachments.0.description": "Sunrise over rows of leeks, mist on the grass",
        "attachments.0.width": 1080, "attachments.0.height": 1350, "attachments.1.description": "",
        "published": at("2024-03-14T06:30:00Z"),
    },
    # --- Lemmy ----------------------------------------------------------------------------
    "lemmy/group": {"type": "Group", "preferred_username": "gardening", "followers": "https://lemmy.example/c/gardening/followers"},
    "lemmy/page__in_group": {
        "type": "Page", "name": "Show us your seedlings", "audience": "https://lemmy.example/c/gardening",
        "to": ("https://lemmy.example/c/gardening", AS_PUBLIC), "language": "en", "attachments": (),
        "source_markdown": "Post photos of what you started indoors this year.",
        "published": at("2024-03-14T18:00:00.123456Z"),
    },
    "lemmy/note__comment": {
        "in_reply_to": "https://lemmy.example/post/4242", "mentions": ("https://lemmy.example/u/jo",),
        "audience": "https://lemmy.example/c/gardening",
    },
    "lemmy/create__to_group": {
        "type": "Create", "to": ("https://lemmy.example/c/gardening", AS_PUBLIC),
        "object.attributed_to": "https://lemmy.example/u/kim", "object.in_reply_to": "https://lemmy.example/post/4242",
    },
    # --- hostile, parsed into safe data ---------------------------------------------------
    "hostile/note__script_in_every_field": {
        "name": "Title", "summary": "CW bold \u2039script>alert(3)\u2039/script>", "source_markdown": None, "url": None, "mentions": (),
        "hashtags": ("ok", "fine"), "attachments.0.description": "alt link", "attachments.0.blurhash": None,
        "poll.options": (parse.PollOption("Yes", 1), parse.PollOption("No", 2)),
    },
    "hostile/actor__script_in_every_field": {
        "name": "Mallory", "url": None, "icon_url": None, "image_url": None,
        "fields": (("Site", '<a rel="nofollow noopener noreferrer">me</a>'),),
    },
    "hostile/note__javascript_urls": {
        "url": None, "mentions": (BOB,), "attachments.0.url": "https://evil.example/media/ok.png",
        "attachments.0.description": "ok",
    },
    # An Announce carrying someone else's post: only its id is kept, to be fetched from its home.
    "hostile/announce__forged_embedded_note": {"object": "https://victim.example/users/vic/statuses/7"},
}

REFUSED: dict[str, tuple[str, str]] = {
    "hostile/note__id_other_host": ("not_same_origin", "object"),
    "hostile/note__attributed_to_other_host": ("not_same_origin", "attributedTo"),
    "hostile/actor__inbox_other_host": ("not_same_origin", "inbox"),
    "hostile/actor__shared_inbox_other_host": ("not_same_origin", "sharedInbox"),
    "hostile/actor__key_owner_mismatch": ("key_owner_mismatch", "publicKey.owner"),
    "hostile/note__huge_content": ("too_large", "content"),
    "hostile/note__nested_garbage_types": ("wrong_type", "content"),
    "hostile/activity__missing_actor": ("missing", "actor"),
    "hostile/note__credentials_in_id": ("bad_url", "id"),
    "hostile/note__fragment_id": ("bad_url", "id"),
    "hostile/note__too_many_addressees": ("too_many", "to/cc"),
    "hostile/note__too_many_tags": ("too_many", "tag"),
    "hostile/undo__someone_elses_follow": ("actor_mismatch", "object.actor"),
    "hostile/update__someone_elses_profile": ("actor_mismatch", "object"),
    "hostile/delete__other_host_object": ("not_same_origin", "object"),
    "hostile/accept__follow_of_another_actor": ("actor_mismatch", "object.object"),
    "hostile/move__someone_else": ("actor_mismatch", "object"),
}

URL_FIELDS = {
    "id", "actor", "attributed_to", "url", "inbox", "shared_inbox", "outbox", "followers", "following", "featured",
    "icon_url", "image_url", "key_id", "moved_to", "in_reply_to", "audience", "object_id", "target", "instrument",
    "to", "cc", "mentions", "also_known_as", "objects", "object",
}
_EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def strings(value: Any, name: str = "") -> list[tuple[str, str]]:
    """Every (field name, string) in parsed data, however deeply nested."""
    if isinstance(value, str):
        return [(name, value)]
    if dataclasses.is_dataclass(value):
        return [pair for field in dataclasses.fields(value) for pair in strings(getattr(value, field.name), field.name)]
    if isinstance(value, tuple):
        return [pair for item in value for pair in strings(item, name)]
    return []


def assert_safe(parsed: Any) -> None:
    for name, text in strings(parsed):
        assert "<script" not in text.lower(), (name, text)
        assert "javascript:" not in text.lower(), (name, text)
        assert not _EVENT_HANDLER.search(text), (name, text)
        assert "<iframe" not in text.lower(), (name, text)
        assert "<img" not in text.lower(), (name, text)
        if name in URL_FIELDS:
            assert text.startswith(("https://", "http://")), (name, text)


def test_every_fixture_is_checked():
    assert len(ALL) >= 60
    unchecked = [name for name in ALL if name not in EXPECTED and name not in REFUSED]
    assert unchecked == []
    assert not set(EXPECTED) & set(REFUSED)
    assert set(EXPECTED) | set(REFUSED) <= set(ALL)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_its_facts(name):
    parsed = parse_any(load(name))
    for path, expected in EXPECTED[name].items():
        assert dig(parsed, path) == expected, f"{name}: {path}"
    assert_safe(parsed)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_fixture_is_refused(name):
    reason, field = REFUSED[name]
    with pytest.raises(parse.ParseError) as caught:
        parse_any(load(name))
    assert (caught.value.reason, caught.value.field) == (reason, field)


# --- details the corpus does not pin down -------------------------------------------------


def test_html_is_sanitised_and_plain_text_is_tag_free():
    note = parse_any(load("hostile/note__script_in_every_field"))
    assert note.content_html == '<p>Hi<a rel="nofollow noopener noreferrer">click</a>&lt;script&gt;alert(2)&lt;/script&gt;</p>'
    actor = parse.parse_actor(load("mastodon/actor"))
    assert actor.summary_html.startswith("<p>Gardener, reader.")
    assert 'class="mention hashtag"' in actor.summary_html
    assert parse.plain("<p>Tom &amp; Jerry</p><p>I &lt;3 cats</p>", 100) == "Tom & Jerry I <3 cats"
    assert parse.plain("about &lt;b onclick=x&gt;hi&lt;/b&gt;", 100) == "about \u2039b onclick=x>hi\u2039/b>"
    assert parse.plain("<p>a<br>b</p><p>c</p>", 100) == "a b c"


def test_public_spellings_are_normalised():
    note = load("mastodon/note__public")
    for spelling in ("as:Public", "Public", AS_PUBLIC):
        note["to"] = spelling  # a bare string, not a list: compacted JSON-LD
        assert parse.parse_note(note).to == (AS_PUBLIC,)


def test_references_may_be_objects_or_lists():
    note = load("mastodon/note__reply")
    note["inReplyTo"] = {"id": KPOST, "type": "Note"}
    note["attributedTo"] = [{"type": "Person", "id": ALICE}]
    note["cc"] = [{"id": BOB}, {"href": CAROL}]
    parsed = parse.parse_note(note)
    assert (parsed.in_reply_to, parsed.attributed_to, parsed.cc) == (KPOST, ALICE, (BOB, CAROL))


def test_truncation_of_plain_text_fields():
    note = load("mastodon/note__with_cw")
    note["summary"] = "x" * 6000
    note["attachment"] = [{"type": "Document", "url": "https://mastodon.example/a.png", "name": "y" * 2000}]
    parsed = parse.parse_note(note)
    assert len(parsed.summary) == parse.MAX_SUMMARY_CHARS
    assert len(parsed.attachments[0].description) == parse.MAX_DESCRIPTION_CHARS
    actor = load("mastodon/actor")
    actor["name"] = "n" * 1000
    actor["summary"] = "<p>" + "z" * 9000 + "</p>"
    parsed_actor = parse.parse_actor(actor)
    assert len(parsed_actor.name) == parse.MAX_NAME_CHARS
    assert parsed_actor.summary_html.startswith("<p>zzz")
    assert parsed_actor.summary_html.endswith("</p>")
    assert len(parsed_actor.summary_html) <= parse.MAX_SUMMARY_CHARS + len("</p>")


def test_content_just_under_the_cap_is_kept():
    note = load("mastodon/note__public")
    note["content"] = "a" * parse.MAX_CONTENT_BYTES
    assert len(parse.parse_note(note).content_html) == parse.MAX_CONTENT_BYTES
    note["content"] = "\u00e9" * (parse.MAX_CONTENT_BYTES // 2 + 1)  # two bytes each in UTF-8
    with pytest.raises(parse.ParseError, match="too_large"):
        parse.parse_note(note)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-14T09:26:53Z", "2024-03-14T09:26:53+00:00"),
        ("2024-03-14T09:26:53.181Z", "2024-03-14T09:26:53.181000+00:00"),
        ("2024-03-14T11:26:53+02:00", "2024-03-14T09:26:53+00:00"),
        ("2024-03-14T09:26:53.123456789Z", "2024-03-14T09:26:53.123456+00:00"),
        ("2024-03-14T09:26:53", "2024-03-14T09:26:53+00:00"),
    ],
)
def test_dates(text, expected):
    assert parse.parse_datetime(text).isoformat() == expected


@pytest.mark.parametrize("text", ["yesterday", "14/03/2024", "2024-13-45T00:00:00Z", "0001-01-01T00:00:00+05:00", ""])
def test_bad_dates(text):
    with pytest.raises(parse.ParseError, match="bad_date"):
        parse.parse_datetime(text)


@pytest.mark.parametrize(
    "bad_id",
    [
        "ftp://mastodon.example/users/alice/statuses/1",
        "/users/alice/statuses/1",
        "https:///statuses/1",
        "https://alice@mastodon.example/users/alice/statuses/1",
        "https://mastodon.example/users/alice/statuses/1#x",
        "https://mastodon.example:99999/users/alice/statuses/1",
        "https://mastodon.example/users/alice/statuses/1 2",
        "https://" + "a" * 2050 + ".example/",
    ],
)
def test_bad_object_ids(bad_id):
    note = load("mastodon/note__public")
    note["id"] = bad_id
    with pytest.raises(parse.ParseError) as caught:
        parse.parse_note(note)
    assert caught.value.reason in ("bad_url", "too_large")


def test_key_id_may_have_a_fragment_but_must_be_the_actors():
    actor = load("mastodon/actor")
    actor["publicKey"]["id"] = "https://elsewhere.example/keys/1"
    with pytest.raises(parse.ParseError, match="not_same_origin"):
        parse.parse_actor(actor)


def test_wrong_types_raise_parse_errors():
    note = load("mastodon/note__public")
    for field, garbage in [("to", 42), ("tag", "x"), ("sensitive", "true"), ("summary", ["cw"]), ("published", 1.5),
                           ("attachment", [{"type": "Document", "url": "https://a.example/x", "width": "wide"}])]:
        broken = dict(note, **{field: garbage})
        if field == "tag":
            assert parse.parse_note(broken).hashtags == ()  # a bare string tag is a reference: skipped
            continue
        with pytest.raises(parse.ParseError):
            parse.parse_note(broken)
    for not_a_document in (None, 1, "x", [], [note]):
        with pytest.raises(parse.ParseError, match="not_an_object"):
            parse.parse_note(not_a_document)


def test_a_create_of_someone_elses_object_is_refused():
    create = load("mastodon/create")
    create["object"] = "https://victim.example/users/vic/statuses/1"
    with pytest.raises(parse.ParseError, match="not_same_origin"):
        parse.parse_activity(create)


def test_activity_id_must_be_on_the_actors_host():
    like = load("mastodon/like")
    like["id"] = "https://victim.example/likes/1"
    with pytest.raises(parse.ParseError, match="not_same_origin"):
        parse.parse_activity(like)


def test_unknown_object_types():
    note = load("mastodon/note__public")
    note["type"] = "ChatMessage"
    with pytest.raises(parse.ParseError, match="unsupported_type"):
        parse.parse_note(note)
    actor = load("mastodon/actor")
    actor["type"] = "Robot"
    with pytest.raises(parse.ParseError, match="unsupported_type"):
        parse.parse_actor(actor)


# --- addressing ---------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", [AS_PUBLIC, "as:Public", "Public"])
def test_is_public_in_all_spellings(spelling):
    assert parse.is_public([spelling], [])
    assert parse.is_public([], [spelling])
    assert not parse.is_public([ALICE_FOLLOWERS], [BOB])


@pytest.mark.parametrize(
    ("name", "visibility"),
    [
        ("mastodon/note__public", "public"),
        ("mastodon/note__with_cw", "public"),
        ("mastodon/note__unlisted", "unlisted"),
        ("mastodon/note__followers_only", "followers"),
        ("mastodon/note__direct", "direct"),
        ("mastodon/note__limited", "direct"),
        ("lemmy/page__in_group", "public"),
    ],
)
def test_classify_addressing(name, visibility):
    note = parse.parse_note(load(name))
    followers = f"{note.attributed_to}/followers"
    assert parse.classify_addressing(note.to, note.cc, followers) == visibility


def test_limited_needs_mentions_to_tell_apart_from_direct():
    direct = parse.parse_note(load("mastodon/note__direct"))
    limited = parse.parse_note(load("mastodon/note__limited"))
    assert parse.classify_addressing(direct.to, direct.cc, ALICE_FOLLOWERS, mentions=direct.mentions) == "direct"
    assert parse.classify_addressing(limited.to, limited.cc, ALICE_FOLLOWERS, mentions=limited.mentions) == "limited"
    assert parse.classify_addressing(["as:Public"], [], None) == "public"
    assert parse.classify_addressing([], ["Public"], None) == "unlisted"
    assert parse.classify_addressing([ALICE_FOLLOWERS], [], None) == "direct"  # unknown followers collection


def test_audience_of():
    assert parse.audience_of(parse.parse_note(load("mastodon/note__public"))) == (ALICE_FOLLOWERS, BOB)
    assert parse.audience_of(parse.parse_note(load("mastodon/note__limited"))) == (BOB, CAROL)
    assert parse.audience_of(parse.parse_note(load("lemmy/note__comment"))) == (
        "https://lemmy.example/c/gardening",
        "https://lemmy.example/u/jo",
    )


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://a.example/x", "https://a.example/y#z", True),
        ("https://a.example/x", "https://A.EXAMPLE:443/y", True),
        ("http://a.example/x", "http://a.example:80/x", True),
        ("https://a.example/x", "http://a.example/x", False),
        ("https://a.example/x", "https://a.example:8443/x", False),
        ("https://a.example/x", "https://b.a.example/x", False),
        ("https://a.example/x", "https://a.example.evil.example/x", False),
        ("https://a.example/x", None, False),
        ("https://a.example/x", "https://a.example:bad/x", False),
        ("mailto:a@a.example", "mailto:b@a.example", False),
        # One host normaliser (kith/core/hosts.py): spellings of one host are one origin.
        ("https://a.example/x", "https://a.example./y", True),
        ("https://xn--bcher-kva.example/x", "https://BÜCHER.example/y", True),
        ("https://127.0.3.2/x", "https://127.000.003.002/y", True),
        ("https://127.0.0.1/x", "https://0x7f.1/y", True),
        ("https://[::1]/x", "https://[0:0::1]:443/y", True),
        ("https://xn--/x", "https://xn--/y", False),  # no host at all is no origin
        ("https://[::1/x", "https://[::1/x", False),
    ],
)
def test_same_origin(a, b, same):
    assert parse.same_origin(a, b) is same


@pytest.mark.parametrize(
    ("object_id", "actor_id", "under"),
    [
        ("https://h.example/users/a/statuses/1", "https://h.example/users/a", True),  # Mastodon
        ("https://h.example/users/a/statuses/1", "https://h.example/users/a/", True),
        ("https://H.example./users/a/statuses/1", "https://h.example/users/a", False),  # the path must be the actor's own spelling
        ("https://h.example/users/ab/statuses/1", "https://h.example/users/a", False),  # a prefix, not a path
        ("https://h.example/users/b/statuses/1", "https://h.example/users/a", False),  # another actor's path
        ("https://h.example/notes/9x", "https://h.example/users/y", False),  # Misskey: confirmed by a fetch instead
        ("https://h.example/objects/4f", "https://h.example/users/y", False),  # Pleroma: likewise
        ("https://h.example/users/a", "https://h.example/users/a", False),  # the actor itself
        ("https://other.example/users/a/statuses/1", "https://h.example/users/a", False),
        ("http://h.example/users/a/statuses/1", "https://h.example/users/a", False),
    ],
)
def test_under_actor(object_id, actor_id, under):
    assert parse.under_actor(object_id, actor_id) is under


@pytest.mark.parametrize("host", ["127.000.003.002", "0x7f.1", "xn--", "a..b", "-a.example", "[v1.x]", "[::1]]"])
def test_urls_with_a_malformed_or_oddly_spelled_host_are_bad_urls(host):
    """`[v1.x]` (an IPvFuture literal) and `[::1]]` were accepted: urlsplit reads them as the hosts
    `v1.x` and `::1`, while the host normaliser and httpx see no host (found by fuzzing)."""
    follow = {"type": "Follow", "id": f"https://{host}/1", "actor": f"https://{host}/users/a",
              "object": "https://pod.example/users/b"}
    with pytest.raises(parse.ParseError, match="bad_url"):
        parse.parse_activity(follow)


def test_nul_and_lone_surrogates_in_any_text_field_are_replaced():
    """Found by fuzzing (tests/fuzz): JSON may spell a lone surrogate ("\\ud800") or NUL anywhere.
    A surrogate in a contentMap value or an actor's hashtag reached the sanitiser, which cannot
    encode it (UnicodeEncodeError: a 500 at the inbox); NUL in a Markdown source was kept, and no
    database stores it.  Both come out as U+FFFD, like the fields read through _str."""
    note = {
        "id": f"{ALICE}/statuses/1", "type": "Note", "attributedTo": ALICE, "contentMap": {"en": "<p>a\ud800b</p>"},
        "source": {"mediaType": "text/markdown", "content": "a\x00b\udc00"},
    }
    parsed = parse.parse_note(note)
    assert parsed.content_html == "<p>a\ufffdb</p>"
    assert parsed.source_markdown == "a\ufffdb\ufffd"
    actor = {**load("mastodon/actor"), "tag": [{"type": "Hashtag", "name": "#gar\ud800den"}]}
    assert parse.parse_actor(actor).hashtags == ()  # U+FFFD is no word character
