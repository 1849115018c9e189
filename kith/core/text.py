"""User text: Markdown source to sanitised HTML, with hashtags and @mentions linked.

Everything a person writes is stored as source and rendered here; the HTML
that reaches a page or another pod has been through nh3 (an allow-list
sanitiser), so nothing user-supplied can carry script, style or event
handlers.  Remote HTML (from other pods) goes through `sanitise_html` too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

# A hashtag needs at least one letter so "#1" (issue numbers, rankings) stays text.
HASHTAG_RE = re.compile(r"(?<![\w/&#])#(\w{0,63}[^\W\d_]\w{0,63})", re.UNICODE)
# @name or @name@domain[:port]; not inside an e-mail address (no word char before @).
MENTION_RE = re.compile(r"(?<![\w/@])@([a-zA-Z0-9_](?:[a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_])?)(?:@([a-zA-Z0-9.-]+(?::\d{1,5})?))?")

ALLOWED_TAGS = {
    "p", "br", "a", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "span",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_CLASSES = {"a": {"hashtag", "mention", "u-url"}, "span": {"h-card"}}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass
class Rendered:
    html: str
    tags: list[str] = field(default_factory=list)  # normalised names, first-seen order
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (username, domain or "")


MentionResolver = Callable[[str, str], str | None]
"""(username, domain) -> profile URL, or None when nobody by that name is known."""


def normalise_tag(name: str) -> str:
    return name.lstrip("#").casefold()


def sanitise_html(html: str) -> str:
    """Allow-list sanitising for any HTML Kith did not write itself."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # html=False: raw HTML in the source is shown as text, never interpreted.
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    md.enable(["linkify", "strikethrough"])
    md.disable(["image"])  # photos are attachments; inline images would load remote URLs
    return md


def _link_tokens(href: str, css_class: str, text: str) -> list[Token]:
    open_token = Token("link_open", "a", 1, attrs={"href": href, "class": css_class})
    text_token = Token("text", "", 0, content=text)
    return [open_token, text_token, Token("link_close", "a", -1)]


def _split_text(content: str, tag_url: Callable[[str], str], resolve: MentionResolver | None, found: Rendered) -> list[Token]:
    """Turn one text run into text and link tokens for hashtags and mentions."""
    pieces: list[Token] = []
    position = 0
    matches = sorted(
        [(m.start(), m.end(), "tag", m) for m in HASHTAG_RE.finditer(content)]
        + [(m.start(), m.end(), "mention", m) for m in MENTION_RE.finditer(content)]
    )
    for start, end, kind, match in matches:
        if start < position:
            continue
        if kind == "tag":
            name = normalise_tag(match.group(1))
            if name not in found.tags:
                found.tags.append(name)
            replacement = _link_tokens(tag_url(name), "hashtag", match.group(0))
        else:
            username, domain = match.group(1), (match.group(2) or "").lower()
            url = resolve(username, domain) if resolve else None
            if url is None:
                continue
            if (username, domain) not in found.mentions:
                found.mentions.append((username, domain))
            replacement = _link_tokens(url, "mention", match.group(0))
        if start > position:
            pieces.append(Token("text", "", 0, content=content[position:start]))
        pieces.extend(replacement)
        position = end
    if position < len(content):
        pieces.append(Token("text", "", 0, content=content[position:]))
    return pieces


def render_markdown(
    source: str,
    *,
    tag_url: Callable[[str], str] = lambda name: f"/tags/{name}",
    resolve_mention: MentionResolver | None = None,
) -> Rendered:
    found = Rendered(html="")
    md = _markdown()
    tokens = md.parse(source)
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        inside_link = 0
        for child in block.children:
            if child.type == "link_open":
                inside_link += 1
            elif child.type == "link_close":
                inside_link -= 1
            if child.type == "text" and not inside_link:
                children.extend(_split_text(child.content, tag_url, resolve_mention, found))
            else:
                children.append(child)
        block.children = children
    found.html = sanitise_html(md.renderer.render(tokens, md.options, {}))
    return found


def plain_text(html: str) -> str:
    """Text content of sanitised HTML (for search indexes and notification e-mails)."""
    return re.sub(r"\s+", " ", nh3.clean(re.sub(r"<(br|/p|/li)\b[^>]*>", " ", html), tags=set())).strip()
