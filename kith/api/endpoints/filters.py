"""Filters v2: /api/v2/filters/..., /api/v2/filter_keywords/..., /api/v2/filter_statuses/...

A person's own content filters (kith.timelines: Filter, FilterKeyword, FilterStatus).  They
are applied to timelines, notifications, threads and profiles by kith.api.filtering.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Form, Schema
from pydantic import TypeAdapter, ValidationError

from kith.api import entities
from kith.api.auth import OAuth, me
from kith.api.params import DbId
from kith.api.routing import ApiRouter
from kith.api.schemas import Empty, Filter, FilterKeyword, FilterStatus
from kith.core.errors import Invalid, NotFound
from kith.social import selectors as posts
from kith.timelines import selectors as timelines
from kith.timelines import services
from kith.timelines.services import KeywordChange

router = ApiRouter(tags=["filters"])

_as_bool = TypeAdapter(bool)
KEYWORD_FIELDS = ("keyword", "whole_word", "id", "_destroy")
MAX_EXPIRES_IN_SECONDS = 2**31


def _flag(value: Any, name: str) -> bool:
    try:
        return _as_bool.validate_python(value)
    except ValidationError as error:
        raise Invalid(f"{name} is true or false.") from error


def _seconds(value: Any) -> int | None:
    """expires_in: seconds, or empty for a filter that never expires."""
    if value in (None, ""):
        return None
    try:
        seconds = int(value)
    except (TypeError, ValueError) as error:
        raise Invalid("expires_in is a number of seconds.") from error
    # The domain caps a filter's life at ten years; far beyond would overflow a timedelta (a 500).
    return min(seconds, MAX_EXPIRES_IN_SECONDS)


def _keyword_changes(request: HttpRequest, raw: Any) -> list[KeywordChange]:
    """keywords_attributes as JSON (a list of objects), as indexed form keys
    (`keywords_attributes[0][keyword]`) or as Rails' unindexed ones (`keywords_attributes[][keyword]`,
    each field repeated once per keyword, read in order)."""
    if raw is not None and not (isinstance(raw, list) and all(isinstance(item, dict) for item in raw)):
        columns = {name: request.POST.getlist(f"keywords_attributes[][{name}]") for name in KEYWORD_FIELDS}
        count = max((len(values) for values in columns.values()), default=0)
        if not count:
            raise Invalid("keywords_attributes is a list of keywords.")
        raw = [{name: values[i] for name, values in columns.items() if i < len(values)} for i in range(count)]
    changes = []
    for item in raw or []:
        keyword_id = item.get("id")
        try:
            keyword_id = int(keyword_id) if keyword_id not in (None, "") else None
        except (TypeError, ValueError) as error:
            raise Invalid("A keyword's id is a number.") from error
        whole_word = item.get("whole_word")
        changes.append(KeywordChange(
            keyword=item.get("keyword"),
            whole_word=None if whole_word in (None, "") else _flag(whole_word, "whole_word"),
            id=keyword_id,
            destroy=_flag(item.get("_destroy") or False, "_destroy"),
        ))
    return changes


def _render(filter_id: int, request: HttpRequest) -> dict:
    return entities.filter_entity(timelines.filter_of(me(request), filter_id))


@router.get("/v2/filters", response=list[Filter], auth=OAuth("read:filters"))
def filters(request: HttpRequest) -> list[dict]:
    return [entities.filter_entity(f) for f in timelines.filters_of(me(request))]


@router.get("/v2/filters/{int:filter_id}", response=Filter, auth=OAuth("read:filters"))
def get_filter(request: HttpRequest, filter_id: int) -> dict:
    return _render(filter_id, request)


class FilterBody(Schema):
    title: str | None = None
    context: list[str] | None = None
    filter_action: str | None = None
    expires_in: int | str | None = None
    keywords_attributes: Any = None


@router.post("/v2/filters", response=Filter, auth=OAuth("write:filters"))
def create_filter(request: HttpRequest, body: Form[FilterBody]) -> dict:
    created = services.create_filter(
        me(request),
        body.title or "",
        body.context or [],
        action=body.filter_action,
        expires_in=_seconds(body.expires_in),
        keywords=_keyword_changes(request, body.keywords_attributes),
    )
    return _render(created.id, request)


@router.put("/v2/filters/{int:filter_id}", response=Filter, auth=OAuth("write:filters"))
def update_filter(request: HttpRequest, filter_id: int, body: Form[FilterBody]) -> dict:
    person = me(request)
    changes: dict[str, Any] = {}
    if "expires_in" in body.model_fields_set:
        changes["expires_in"] = _seconds(body.expires_in)
    services.update_filter(
        person,
        timelines.filter_of(person, filter_id),
        title=body.title,
        contexts=body.context,
        action=body.filter_action,
        keywords=_keyword_changes(request, body.keywords_attributes),
        **changes,
    )
    return _render(filter_id, request)


@router.delete("/v2/filters/{int:filter_id}", response=Empty, auth=OAuth("write:filters"))
def delete_filter(request: HttpRequest, filter_id: int) -> dict:
    person = me(request)
    services.delete_filter(person, timelines.filter_of(person, filter_id))
    return {}


# ---- keywords ---------------------------------------------------------------------------


@router.get("/v2/filters/{int:filter_id}/keywords", response=list[FilterKeyword], auth=OAuth("read:filters"))
def keywords(request: HttpRequest, filter_id: int) -> list[dict]:
    return [entities.filter_keyword(k) for k in timelines.filter_of(me(request), filter_id).keywords.all()]


class KeywordBody(Schema):
    keyword: str | None = None
    whole_word: bool | None = None


@router.post("/v2/filters/{int:filter_id}/keywords", response=FilterKeyword, auth=OAuth("write:filters"))
def add_keyword(request: HttpRequest, filter_id: int, body: Form[KeywordBody]) -> dict:
    person = me(request)
    keyword = services.add_filter_keyword(
        person, timelines.filter_of(person, filter_id), body.keyword or "",
        whole_word=True if body.whole_word is None else body.whole_word,
    )
    return entities.filter_keyword(keyword)


@router.get("/v2/filter_keywords/{int:keyword_id}", response=FilterKeyword, auth=OAuth("read:filters"))
def get_keyword(request: HttpRequest, keyword_id: int) -> dict:
    return entities.filter_keyword(timelines.filter_keyword_of(me(request), keyword_id))


@router.put("/v2/filter_keywords/{int:keyword_id}", response=FilterKeyword, auth=OAuth("write:filters"))
def update_keyword(request: HttpRequest, keyword_id: int, body: Form[KeywordBody]) -> dict:
    person = me(request)
    keyword = services.update_filter_keyword(
        person, timelines.filter_keyword_of(person, keyword_id), text=body.keyword, whole_word=body.whole_word
    )
    return entities.filter_keyword(keyword)


@router.delete("/v2/filter_keywords/{int:keyword_id}", response=Empty, auth=OAuth("write:filters"))
def delete_keyword(request: HttpRequest, keyword_id: int) -> dict:
    person = me(request)
    services.delete_filter_keyword(person, timelines.filter_keyword_of(person, keyword_id))
    return {}


# ---- statuses ---------------------------------------------------------------------------


@router.get("/v2/filters/{int:filter_id}/statuses", response=list[FilterStatus], auth=OAuth("read:filters"))
def filtered_statuses(request: HttpRequest, filter_id: int) -> list[dict]:
    return [entities.filter_status(s) for s in timelines.filter_of(me(request), filter_id).statuses.all()]


class FilterStatusBody(Schema):
    status_id: DbId


@router.post("/v2/filters/{int:filter_id}/statuses", response=FilterStatus, auth=OAuth("write:filters"))
def add_status(request: HttpRequest, filter_id: int, body: Form[FilterStatusBody]) -> dict:
    person = me(request)
    filter_ = timelines.filter_of(person, filter_id)
    found = posts.posts_and_comments_by_ids(person, [body.status_id])
    if not found:
        raise NotFound("Record not found")
    return entities.filter_status(services.add_filter_status(person, filter_, found[0]))


@router.get("/v2/filter_statuses/{int:row_id}", response=FilterStatus, auth=OAuth("read:filters"))
def get_filter_status(request: HttpRequest, row_id: int) -> dict:
    return entities.filter_status(timelines.filter_status_of(me(request), row_id))


@router.delete("/v2/filter_statuses/{int:row_id}", response=Empty, auth=OAuth("write:filters"))
def delete_filter_status(request: HttpRequest, row_id: int) -> dict:
    person = me(request)
    services.delete_filter_status(person, timelines.filter_status_of(person, row_id))
    return {}
