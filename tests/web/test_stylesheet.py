"""The stylesheet's blocks are balanced: an unclosed `@media` block (a merge once left one)
silently moves every later rule under that media query, e.g. the moderation queue styled on
phones only."""

from __future__ import annotations

from pathlib import Path

import kith

STYLESHEET = Path(kith.__file__).parent / "web" / "static" / "web" / "kith.css"


def test_every_block_of_the_stylesheet_is_closed():
    depth = 0
    text = STYLESHEET.read_text()
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("/*")[0] if "*/" not in line else line
        depth += code.count("{") - code.count("}")
        assert depth >= 0, f"kith.css line {number} closes a block that is not open"
    assert depth == 0, "kith.css ends with a block still open"
