"""A strict look at rendered HTML: which elements and attributes it really has (text does not count)."""

from __future__ import annotations

from html.parser import HTMLParser

SAFE_TAGS = {
    "p", "br", "a", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "span",
}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_safe_html(html: str) -> None:
    """Only allow-listed elements; no event handlers, styles or script URLs anywhere."""
    for tag, attrs in elements(html):
        assert tag in SAFE_TAGS, f"<{tag}> survived sanitising: {html!r}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{name} survived sanitising: {html!r}"
            assert name not in ("style", "src"), f"{name} survived sanitising: {html!r}"
            if name == "href":
                assert (value or "").strip().lower().split(":", 1)[0] in ("http", "https", "mailto") or (
                    value or ""
                ).startswith("/"), f"unsafe link {value!r}: {html!r}"
