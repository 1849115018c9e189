"""Request bodies the way Mastodon clients send them.

Clients send the same parameters as JSON (toot), form-encoded (Mastodon.py) or
multipart (uploads), with Rails-style keys: `media_ids[]=1&media_ids[]=2`,
`poll[options][]=a`, `fields_attributes[0][name]=x`.  One parser turns all of
them into the same nested dict, so each endpoint declares its parameters once.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser
from pydantic import Field

from kith.core import jsonbody

_KEY_PART = re.compile(r"\[([^\]]*)\]")
MAX_KEY_DEPTH = 4
# An id the database can compare: a larger number is no id, and a 422 rather than an overflow (500).
DbId = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


def _split_key(key: str) -> list[str]:
    """'poll[options][]' -> ['poll', 'options', '']; depth is capped (hostile input)."""
    head, _, rest = key.partition("[")
    parts = [head]
    if rest:
        parts += _KEY_PART.findall("[" + rest)[:MAX_KEY_DEPTH]
    return parts


def _insert(target: dict[str, Any], parts: list[str], values: list[Any]) -> None:
    node: Any = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = None if last else parts[index + 1]
        if last:
            if part:
                node[part] = values[-1]
            return
        if following == "":
            # `key[]`: a list of values (and only values: deeper nesting is not supported).
            existing = node.get(part)
            node[part] = (existing if isinstance(existing, list) else []) + list(values)
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child


def nest(data: MultiValueDict) -> dict[str, Any]:
    """Rails-style flat keys -> nested dicts and lists; plain repeated keys keep their last value
    unless they name a list field (handled by pydantic accepting a single value as a list)."""
    result: dict[str, Any] = {}
    for key in data:
        values = data.getlist(key)
        parts = _split_key(key)
        if len(parts) == 1:
            result[key] = values if len(values) > 1 else values[-1]
        else:
            _insert(result, parts, values)
    # The parameters themselves stay a dict, whatever their names (`?0=a` is no list of parameters).
    return {key: _index_maps_to_lists(value) for key, value in result.items()}


def _index_maps_to_lists(value: Any) -> Any:
    """`fields_attributes[0][name]` arrives as {'0': {...}}; clients mean a list, in index order.
    Indexes are ASCII digits of any length, compared without int() (`²` is a digit to
    str.isdigit but not to int(), and int() refuses 5,000 digits)."""
    if isinstance(value, dict):
        value = {k: _index_maps_to_lists(v) for k, v in value.items()}
        if value and all(k.isascii() and k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=lambda k: (len(k.lstrip("0")), k.lstrip("0")))]
    return value


def is_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json"


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The JSON object in the body; not JSON, or a string holding NUL or a lone surrogate
    (which no text column may store), is a 400."""
    from ninja.errors import HttpError

    try:
        body = jsonbody.loads(request.body)
    except jsonbody.TooDeep as error:
        raise HttpError(400, "The request body nests too deeply.") from error
    except ValueError as error:
        raise HttpError(400, "The request body is not valid JSON.") from error
    if _holds_nul(body):
        raise HttpError(400, "Parameters may not contain NUL characters or lone surrogates")
    return body if isinstance(body, dict) else {}


_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _holds_nul(value: Any, depth: int = 0) -> bool:
    """NUL, or a lone surrogate (JSON's "\\ud800"): no database stores them, no UTF-8 encodes a surrogate."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if depth > 32:
        return True  # no Mastodon body nests this deep: refused like a NUL
    if isinstance(value, dict):
        return any(_holds_nul(k, depth + 1) or _holds_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item, depth + 1) for item in value)
    return False


class MastodonParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if is_json(request):
            return json_body(request)
        return nest(request.POST)

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        # Form parameters of a JSON request: read the JSON body instead of the (empty) form.
        if data is request.POST and is_json(request) and request.body:
            return json_body(request)
        if data is request.FILES:
            return {key.removesuffix("[]"): data.getlist(key) if key in list_fields else data[key] for key in data}
        nested = nest(data)
        for field in list_fields:
            value = nested.get(field)
            if value is not None and not isinstance(value, list):
                nested[field] = [value]
        return nested
