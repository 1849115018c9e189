"""Hashtag and mention links of remote notes pointed at this pod's own pages (links.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kith.core.text import sanitise_html
from kith.federation.activitypub import parse
from kith.federation.activitypub.links import localise_links
from kith.federation.activitypub.parse import TagLink

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "remote"


def note(name: str) -> parse.NoteData:
    return parse.parse_note(json.loads((FIXTURES / f"{name}.json").read_text()))


def here(html: str, tag_links) -> str:
    return localise_links(
        html, tag_links, tag_url=lambda name: f"https://here.test/tags/{name}",
        person_url=lambda mention: f"https://here.test/@{mention.name}" if mention.name else None,
    )


def test_a_notes_hashtags_and_mentions_keep_their_links():
    parsed = note("mastodon/note__public")
    assert parsed.tag_links == (
        TagLink("hashtag", "https://mastodon.example/tags/Gardening", "gardening"),
        TagLink("mention", "https://kith.example/users/bob", "bob@kith.example"),
    )


@pytest.mark.parametrize(("fixture", "expected"), [
    # Mastodon links the mention to the profile page (the tag has the actor id): found by its text.
    ("mastodon/note__public", [
        ('href="https://here.test/tags/gardening" title="https://mastodon.example/tags/Gardening"', "#<span>Gardening</span>"),
        ('href="https://here.test/@bob@kith.example" title="https://kith.example/@bob"', "@<span>bob</span>"),
    ]),
    # Friendica: a group mention written !name, found by its link.
    ("friendica/note__attributed_to_array", [
        ('href="https://here.test/@gardeners@friendica.example"', "!gardeners"),
        ('href="https://here.test/tags/seeds"', "#<span>seeds</span>"),
    ]),
    ("akkoma/note__source_markdown", [('href="https://here.test/tags/fediverse"', "#Fediverse")]),
    ("gotosocial/note", [('href="https://here.test/tags/selfhosting"', "#<span>selfhosting</span>")]),
])
def test_the_corpus_links_point_here(fixture, expected):
    parsed = note(fixture)
    rewritten = sanitise_html(here(parsed.content_html, parsed.tag_links))  # stored after sanitising again
    for attributes, text in expected:
        assert attributes in rewritten, rewritten
        assert f">{text}</a>" in rewritten.split(attributes, 1)[1], rewritten
    assert "mastodon.example/tags" not in rewritten.replace('title="https://mastodon.example/tags/Gardening"', "")


def test_other_links_and_the_text_stay_as_they_were():
    parsed = note("akkoma/note__source_markdown")
    rewritten = here(parsed.content_html, parsed.tag_links)
    assert '<a href="https://example.org/docs" rel="nofollow noopener noreferrer">link</a>' in rewritten
    assert "<ul><li>one</li><li>two</li></ul>" in rewritten
    html = '<p>1 &lt; 2 &amp; <a href="https://x.example/?a=1&amp;b=2">q</a> <a href="https://x.example/tags/t">#t</a></p>'
    links = [TagLink("hashtag", "https://x.example/tags/t", "t")]
    assert here(html, links) == (
        '<p>1 &lt; 2 &amp; <a href="https://x.example/?a=1&amp;b=2">q</a> '
        '<a href="https://here.test/tags/t" title="https://x.example/tags/t">#t</a></p>'
    )
    assert here(html, []) == html  # nothing to point anywhere: the HTML as it came


def test_two_people_of_one_name_are_told_apart_by_the_links_server():
    links = [
        TagLink("mention", "https://one.example/users/sam", "sam@one.example"),
        TagLink("mention", "https://two.example/users/sam", "sam@two.example"),
    ]
    html = '<a href="https://two.example/@sam" class="u-url mention">@sam</a> <a href="https://one.example/@sam">@sam</a>'
    rewritten = here(html, links)
    assert rewritten.index("@sam@two.example") < rewritten.index("@sam@one.example")
    # Written out in full, the name decides even when the link says nothing.
    assert "https://here.test/@sam@one.example" in here('<a href="https://elsewhere.example/x">@sam@one.example</a>', links)


def test_a_hostile_mention_name_is_not_used_and_the_output_stays_sanitised():
    doc = json.loads((FIXTURES / "mastodon/note__public.json").read_text())
    doc["tag"] = [{"type": "Mention", "href": "https://kith.example/users/bob", "name": '@bob" onmouseover="x'}]
    doc["content"] = '<p><a href="https://kith.example/@bob" class="mention">@bob</a> <a href="https://kith.example/users/bob">me</a></p>'
    parsed = parse.parse_note(doc)
    assert parsed.tag_links == (TagLink("mention", "https://kith.example/users/bob", ""),)
    # No name to make a handle of: the text still points at the mention by its link, and the
    # caller's person_url says where (here: nowhere, so both links stay as they were).
    assert here(parsed.content_html, parsed.tag_links) == parsed.content_html
    rewritten = localise_links(
        parsed.content_html, parsed.tag_links, tag_url=str,
        person_url=lambda mention: 'https://here.test/@bob" onclick="x',
    )
    # Whatever the caller gives is an attribute's value, escaped: never an attribute of its own.
    assert 'href="https://here.test/@bob&quot; onclick=&quot;x"' in rewritten
    assert ' onclick="' not in sanitise_html(rewritten)
