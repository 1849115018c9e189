"""Fuzzing Markdown rendering (posts, comments, bios) and the sanitising of remote HTML
(kith/core/text.py, parse.plain).  No database: these tests need none.

Any text renders without an exception, in bounded time, to bounded output that holds only
allow-listed elements (no script, style, on* handlers or javascript: links: the checks of
tests/domain/htmlcheck.py); remote HTML of any shape sanitises to the same; plain-text
fields hold nothing an HTML parser reads as a tag.
"""

from __future__ import annotations

import re
import time

from hypothesis import given
from hypothesis import strategies as st

from kith.core.text import plain_text, render_markdown, sanitise_html
from kith.federation.activitypub.parse import plain
from tests.domain.htmlcheck import SAFE_TAGS, elements
from tests.fuzz.common import HOSTILE_URL, budget, tally_for

TALLY = tally_for(__name__)
SECONDS_PER_RENDER = 2.0  # a 65,535-character post of the worst patterns found renders in under 2 s of CPU here

# Markdown's and HTML's special characters, and words that mean something to the renderer.
MARKDOWN_PIECES = st.sampled_from([
    "*", "_", "**", "~~", "`", "```", "[", "]", "(", ")", "!", "<", ">", "&", "#", "@", "\\", "|", "-", "+", "1.",
    "\n", "\n\n", "    ", "  \n", "> ", "- ", "* ", "#tag", "#1", "@bob", "@bob@pod.example", "@bob@pod.example:99999",
    "https://example.com/x", "www.example.com", "javascript:alert(1)", "<script>", "</script>", "<img src=x onerror=y>",
    "&#x6a;avascript:", "<a href='javascript:x'>", "[x](javascript:alert(1))", "[x](<javascript:a>)", "<https://a.b>",
    "<javascript:alert(1)>", "[a]: javascript:x", "\x00", "\u202e", "\ufeff", "\u00a0", "#\u0663", "#café", "#ǅ",
    "<!--", "-->", "<style>", "<svg/onload=x>", "\"", "'", "=", "mailto:a@b.c", "data:text/html,x", "vbscript:x",
])
MARKDOWN = st.lists(MARKDOWN_PIECES | st.text(max_size=8), max_size=60).map("".join)

HTML_PIECES = st.sampled_from([
    "<p>", "</p>", "<a href=\"", "\">", "</a>", "<script>alert(1)</script>", "<style>*{}</style>", "<img src=x onerror=a>",
    "<svg><script>a</script></svg>", "<math><mi>", "<iframe src=x>", "<object>", "<form action=x>", "<input autofocus>",
    " onclick=\"x\"", " style=\"x\"", " class=\"mention hashtag evil\"", "<span class=\"h-card\">", "</span>",
    "javascript:alert(1)", "JAVA\tSCRIPT:x", "&#106;avascript:x", "data:text/html;base64,x", "<!--", "-->", "<![CDATA[",
    "]]>", "<br>", "<br/>", "<ol start=\"-1\">", "<li>", "<pre><code>", "<h1>", "<blockquote>", "<a title=\"",
    "<<script>>", "<scr<script>ipt>", "</", "<", ">", "&", "&lt;", "&amp;lt;", "\x00", "<noscript><p title=\"</noscript><img src=x onerror=a>\">",
    "<template><script>", "<base href=x>", "<meta http-equiv=refresh>", "<link rel=import>",
])
# Lone surrogates never get this far: parse.py replaces them before any HTML is sanitised.
HTML = st.lists(HTML_PIECES | HOSTILE_URL | st.text(max_size=6), max_size=40).map(
    lambda pieces: "".join(pieces).encode("utf-8", "replace").decode()
)
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


def assert_safe(html: str) -> None:
    """htmlcheck's rules, with relative links allowed (nh3 keeps them; they name nothing but this
    pod's pages) and a link's scheme read the way browsers read it (ASCII tabs, newlines and
    leading control characters ignored, any case)."""
    for tag, attrs in elements(html):
        assert tag in SAFE_TAGS, f"<{tag}> survived sanitising: {html!r}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{name} survived: {html!r}"
            assert name not in ("style", "src"), f"{name} survived: {html!r}"
            if name == "href":
                seen = re.sub(r"[\t\n\r]", "", (value or "")).lstrip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
                                                                  "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
                                                                  "\x19\x1a\x1b\x1c\x1d\x1e\x1f ").lower()
                scheme = SCHEME.match(seen)
                assert scheme is None or scheme.group(1) in ("http", "https", "mailto"), f"unsafe link {value!r}: {html!r}"


def _timed(target: str, call):
    # This thread's CPU time, not the wall clock: the bound is on the work an input costs (a
    # runaway pattern shows as CPU), whatever else the machine is running at the same time.
    started = time.thread_time()
    result = call()
    elapsed = time.thread_time() - started
    assert elapsed < SECONDS_PER_RENDER, f"{target} took {elapsed:.2f} s of CPU"
    TALLY.record(target, "rendered")
    return result


def _resolve(username: str, domain: str) -> str:
    return f"https://{domain or 'testserver'}/@{username}"


@budget(120)
@given(source=MARKDOWN, repeat=st.sampled_from([1, 1, 1, 1, 30, 300]))
def test_markdown_renders_safe_bounded_html(source, repeat):
    source = (source * repeat)[:65_535]  # a post's limit (kith.social.services.MAX_POST_CHARS)
    rendered = _timed("render_markdown", lambda: render_markdown(source, resolve_mention=_resolve))
    assert_safe(rendered.html)
    assert len(rendered.html) <= 40 * len(source) + 200, (len(source), len(rendered.html))
    assert all(len(tag) <= 127 for tag in rendered.tags)
    plain_text(rendered.html)


@budget(150)
@given(html=HTML)
def test_remote_html_sanitises_to_safe_html(html):
    cleaned = _timed("sanitise_html", lambda: sanitise_html(html))
    assert_safe(cleaned)
    assert_safe(sanitise_html(cleaned))  # not always the same string (`<p><p></p></p>`), always safe
    text = _timed("parse.plain", lambda: plain(html, 500))
    assert len(text) <= 500
    assert not re.search(r"<[A-Za-z/!?]", text), text
    plain_text(cleaned)
