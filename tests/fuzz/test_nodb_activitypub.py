"""Fuzzing the ActivityPub wire parser (parse.py, parse_actor.py) and the bounded JSON reader.
No database: these tests need none.

Whatever arrives, the parsers return data or raise ParseError (what the inbox answers 400
with and the worker records as a failure), and what they return keeps their promises: text
a database can store, URLs that are http(s) with a host every parser reads alike.  Beyond
tests/federation/activitypub/test_parse_fuzz.py: hostile URLs (address spellings, IDN,
userinfo, ports out of range, schemes) in every reference of real documents, lone
surrogates and NUL, and BOB's own origin spelled in odd ways.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kith.core import jsonbody
from kith.federation.activitypub import parse
from tests.fuzz.common import EVIL_TEXT, HOSTILE_URL, NASTY_TEXT, any_json, budget, tally_for
from tests.fuzz.payloads import BOB, BOB_CORPUS, CORPUS, check_parsed, hostile_documents

TALLY = tally_for(__name__)
PARSERS = {"activity": parse.parse_activity, "note": parse.parse_note, "actor": parse.parse_actor}


def _parse(which: str, document: object) -> None:
    try:
        parsed = PARSERS[which](document)
    except parse.ParseError as exc:
        TALLY.record(f"parse_{which}", f"ParseError:{exc.reason}")
        return
    TALLY.record(f"parse_{which}", "parsed")
    check_parsed(parsed)
    if isinstance(parsed, parse.ActivityData):
        parse.classify_addressing(parsed.to, parsed.cc, f"{BOB}/followers")
    if isinstance(parsed, parse.NoteData):
        parse.audience_of(parsed)


@budget(200)
@given(document=hostile_documents(), which=st.sampled_from(sorted(PARSERS)))
def test_real_documents_with_hostile_references(document, which):
    _parse(which, document)


@budget(100)
@given(document=hostile_documents(CORPUS), which=st.sampled_from(sorted(PARSERS)))
def test_real_documents_from_their_own_servers_made_hostile(document, which):
    _parse(which, document)


# Text where text goes: plain, in language maps, tags, profile fields, attachments and poll options.
TEXT = NASTY_TEXT | EVIL_TEXT
FIELD_VALUES: dict[str, st.SearchStrategy] = {
    "content": TEXT, "summary": TEXT, "name": TEXT, "preferredUsername": TEXT, "context": TEXT,
    "published": TEXT | st.sampled_from(["2024-03-14T09:26:53Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]),
    "contentMap": st.dictionaries(st.sampled_from(["en", "de", "x-y", "", "\x00"]), TEXT, min_size=1, max_size=3),
    "source": st.fixed_dictionaries({"mediaType": st.sampled_from(["text/markdown", "text/x.misskeymarkdown"]), "content": TEXT}),
    "tag": st.lists(st.fixed_dictionaries({
        "type": st.sampled_from(["Hashtag", "Mention", "Emoji"]), "name": TEXT, "href": HOSTILE_URL | st.just(f"{BOB}/x"),
    }), max_size=3),
    "attachment": st.lists(st.fixed_dictionaries({
        "type": st.sampled_from(["Document", "Image", "PropertyValue"]), "name": TEXT, "value": TEXT,
        "url": HOSTILE_URL | st.just(f"{BOB}/a.png"), "mediaType": TEXT | st.just("image/png"), "blurhash": TEXT,
    }), max_size=3),
    "oneOf": st.lists(st.fixed_dictionaries({"type": st.just("Note"), "name": TEXT}), max_size=3),
    "alsoKnownAs": st.lists(HOSTILE_URL | TEXT, max_size=3),
    "any": any_json(leaves=6),
}
ONE_FIELD = st.sampled_from(sorted(FIELD_VALUES)).flatmap(lambda key: FIELD_VALUES[key].map(lambda value: {key: value}))


@budget(100)
@given(
    kind=st.sampled_from(["Note", "Question", "Article", "Person", "Create", "Update", "Announce", "Like", "Flag"]),
    fields=st.lists(ONE_FIELD, min_size=1, max_size=3).map(lambda parts: {k: v for part in parts for k, v in part.items()}),
)
def test_text_fields_with_nul_surrogates_and_markup(kind, fields):
    """Lone surrogates (JSON's "\\ud800") and NUL reach every text field of an otherwise good document."""
    note = {"id": f"{BOB}/statuses/1", "type": "Question" if kind == "Question" else "Note", "attributedTo": BOB, **fields}
    if kind in ("Note", "Question", "Article"):
        _parse("note", {**note, "type": kind})
    elif kind == "Person":
        _parse("actor", {"id": BOB, "type": "Person", "preferredUsername": "bob", "inbox": f"{BOB}/inbox", **fields})
    else:
        _parse("activity", {"id": f"{BOB}/activities/1", "type": kind, "actor": BOB, "object": note, **fields})


@budget(120)
@given(url=HOSTILE_URL, other=HOSTILE_URL)
def test_origin_checks_on_hostile_urls(url, other):
    assert parse.same_origin(url, other) == parse.same_origin(other, url)
    parse.under_actor(url, other)
    for document in ({"id": url, "type": "Like", "actor": other, "object": url},
                     {"id": url, "type": "Note", "attributedTo": other, "inReplyTo": other, "url": other}):
        _parse("activity" if "actor" in document else "note", document)


@budget(60)
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
       depth=st.sampled_from([0, 1, 63, 64, 65, 1000, 50_000]))
def test_bounded_json_reader(raw, depth):
    """Bytes of any kind and nesting at any depth: a value or ValueError (TooDeep), never a RecursionError."""
    for data in (raw, (b"[" * depth + b"]" * depth)):
        try:
            value = jsonbody.loads(data)
        except jsonbody.TooDeep:
            TALLY.record("jsonbody", "TooDeep")
            continue
        except ValueError:
            TALLY.record("jsonbody", "ValueError")
            continue
        TALLY.record("jsonbody", "parsed")
        assert jsonbody.depth_of(value) <= jsonbody.MAX_DEPTH


def test_corpus_is_loaded():
    assert len(CORPUS) >= 60
    assert len(BOB_CORPUS) == len(CORPUS)
