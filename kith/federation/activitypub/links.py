"""Hashtag and mention links in remote content, pointed at this pod's own pages.

A note from another server links its hashtags to that server's tag page and its
mentions to the mentioned people's home servers.  Read here, they should open this
pod's tag page and this pod's page for the person, as the links in local posts do
(and as a Mastodon client expects: a mention's link is the account's `url`).

The rewrite happens once, when the note arrives (inbound/notes.py), not at render time:
pages render stored HTML directly (docs/performance.md) and the client API serves
the same HTML, so the link has to be right in what is stored.  A mentioned person
this pod does not know yet still gets a link here: this pod's page for their handle
(`/@name@server`), which looks them up when it is opened, as search does.

Which anchor is which comes from the note's `tag` array (parse.TagLink): an anchor
whose href is a tag's href, or whose text names it (`#Tag`, `@name`, `@name@server`;
Mastodon links a mention to the profile page, the tag to the actor id).  Anything
else is left alone.  The input is HTML sanitised by parse.py; the output is
rebuilt from it and the caller sanitises it again before storing (social.remote).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from kith.core import hosts
from kith.core.text import normalise_tag
from kith.federation.activitypub.parse import TagLink

VOID_ELEMENTS = frozenset({"br", "hr", "img", "wbr"})


@dataclass
class _Anchor:
    href: str
    classes: frozenset[str]
    text: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    """Pass one: every anchor with its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[_Anchor] = []
        self.open: _Anchor | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            values = dict(attrs)
            self.open = _Anchor(values.get("href") or "", frozenset((values.get("class") or "").split()))
            self.anchors.append(self.open)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.open = None

    def handle_data(self, data: str) -> None:
        if self.open is not None:
            self.open.text.append(data)


class _Writer(HTMLParser):
    """Pass two: the same HTML, with the chosen anchors' href replaced (the old one kept as title)."""

    def __init__(self, replacements: dict[int, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.replacements = replacements
        self.index = -1
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.index += 1
            local = self.replacements.get(self.index)
            if local is not None:
                original = dict(attrs).get("href") or ""
                attrs = [(name, value) for name, value in attrs if name not in ("href", "title")]
                attrs = [("href", local), ("title", original), *attrs]
        rendered = "".join(f' {name}="{html.escape(value or "", quote=True)}"' for name, value in attrs)
        self.out.append(f"<{tag}{rendered}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID_ELEMENTS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/").casefold() == b.rstrip("/").casefold()


def _host(url: str) -> str:
    return hosts.host_key(url) or ""


def _mention_for(anchor: _Anchor, text: str, mentions: list[TagLink]) -> TagLink | None:
    for mention in mentions:
        if _same_url(anchor.href, mention.href):
            return mention
    if not text.startswith("@") and "mention" not in anchor.classes:
        return None
    named = text.removeprefix("@").casefold()
    if not named:
        return None
    for mention in mentions:
        if mention.name.casefold() == named:  # @name@server, as the tag names it
            return mention
    username = named.split("@", 1)[0]
    same_name = [m for m in mentions if m.name.split("@", 1)[0].casefold() == username]
    on_its_host = [m for m in same_name if _host(m.href) == _host(anchor.href)]
    if len(on_its_host) == 1:
        return on_its_host[0]
    return same_name[0] if len(same_name) == 1 else None


def _hashtag_for(anchor: _Anchor, text: str, hashtags: list[TagLink]) -> TagLink | None:
    for hashtag in hashtags:
        if _same_url(anchor.href, hashtag.href):
            return hashtag
    if not text.startswith("#"):
        return None
    name = normalise_tag(text)
    return next((hashtag for hashtag in hashtags if hashtag.name == name), None)


def localise_links(
    content_html: str,
    tag_links: Iterable[TagLink],
    *,
    tag_url: Callable[[str], str],
    person_url: Callable[[TagLink], str | None],
) -> str:
    """`content_html` with its hashtag and mention anchors pointing at `tag_url(name)` and
    `person_url(mention)` (None: leave that one alone); unchanged when nothing matches."""
    links = list(tag_links)
    if not links or "<a" not in content_html:
        return content_html
    hashtags = [link for link in links if link.kind == "hashtag"]
    mentions = [link for link in links if link.kind == "mention"]
    reader = _Reader()
    reader.feed(content_html)
    reader.close()
    replacements: dict[int, str] = {}
    for index, anchor in enumerate(reader.anchors):
        text = "".join(anchor.text).strip()
        hashtag = _hashtag_for(anchor, text, hashtags)
        if hashtag is not None:
            replacements[index] = tag_url(hashtag.name)
            continue
        mention = _mention_for(anchor, text, mentions)
        local = person_url(mention) if mention is not None else None
        if local is not None:
            replacements[index] = local
    if not replacements:
        return content_html
    writer = _Writer(replacements)
    writer.feed(content_html)
    writer.close()
    return "".join(writer.out)
