"""JSON from outside, bounded: a body nested deeper than MAX_DEPTH is refused like one that
is not JSON (a ValueError), never a RecursionError (which was a 500).  So are `NaN` and
`Infinity`, which Python's json reads but JSON does not have (PostgreSQL refuses to store them).

No ActivityPub activity or Mastodon API body nests anywhere near MAX_DEPTH levels; the
parse is bounded by Python's recursion limit and the depth is then measured without
recursion, so the parsers and database layers after this never recurse deeper.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


class TooDeep(ValueError):
    """The document nests more than MAX_DEPTH arrays and objects."""


def depth_of(value: Any) -> int:
    """How many arrays and objects nest in `value` (0 for a scalar), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children)
    return deepest


def loads(data: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads, raising ValueError for anything that is not JSON or nests too deeply."""
    try:
        value = json.loads(data, parse_constant=_not_json)
    except RecursionError:
        raise TooDeep(f"the JSON nests more than {max_depth} levels deep") from None
    if depth_of(value) > max_depth:
        raise TooDeep(f"the JSON nests more than {max_depth} levels deep")
    return value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def storable(value: Any) -> Any:
    """A copy of a JSON value with NUL and lone surrogates (JSON's "\\u0000", "\\ud800") replaced
    by U+FFFD in every string and key: PostgreSQL's jsonb refuses both.  For documents kept as
    they came (the inbox's); `value` is bounded in depth by `loads`."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value
