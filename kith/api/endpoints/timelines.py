"""Timelines (home, public, tag, list) and read markers: /api/v1/timelines/..., /api/v1/markers.

Home is the viewer's precomputed stream (StreamEntry rows written at publish time); a list
is an aspect, and its timeline is the same stream narrowed to the aspect's members.  The
viewer's filters apply (context "home" for home and lists, "public" for public and tags).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Form, Query, Schema
from pydantic import ValidationError as PydanticValidationError

from kith.api import entities
from kith.api.auth import OAuth, me, public_read, viewer
from kith.api.filtering import apply_filters
from kith.api.pagination import PageParams, link_header
from kith.api.params import DbId
from kith.api.routing import ApiRouter
from kith.api.schemas import Marker, Status
from kith.core.errors import Invalid, NotFound
from kith.graph import selectors as graph
from kith.social.models import Post
from kith.timelines import selectors as timelines
from kith.timelines import services as timeline_services
from kith.timelines.models import FilterContext, MarkerTimeline

router = ApiRouter(tags=["timelines"])


def _page_of(request: HttpRequest, response: HttpResponse, page: PageParams, items: list[Post],
             context: str) -> list[dict]:
    """Render, link the next/previous pages by the unfiltered page (a hidden status must not
    end the paging), then apply the viewer's filters."""
    link_header(request, response, [item.id for item in items], limit=page.to_page().limit)
    reader = viewer(request)
    return apply_filters(reader, context, entities.statuses(reader, items))


@router.get("/v1/timelines/home", response=list[Status], auth=OAuth("read:statuses"))
def home(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[dict]:
    items = timelines.stream(me(request), page.to_page())
    return _page_of(request, response, page, items, FilterContext.HOME)


class PublicParams(Schema):
    local: bool = False
    remote: bool = False
    only_media: bool = False


@router.get("/v1/timelines/public", response=list[Status], auth=public_read("read:statuses"))
def public(request: HttpRequest, response: HttpResponse, page: Query[PageParams],
           params: Query[PublicParams]) -> list[dict]:
    items = timelines.public_timeline(
        viewer(request), page.to_page(), local=params.local, remote=params.remote, only_media=params.only_media
    )
    return _page_of(request, response, page, items, FilterContext.PUBLIC)


class TagParams(PublicParams):
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []


@router.get("/v1/timelines/tag/{hashtag}", response=list[Status], auth=public_read("read:statuses"))
def tag(request: HttpRequest, response: HttpResponse, hashtag: str, page: Query[PageParams],
        params: Query[TagParams]) -> list[dict]:
    items = timelines.tag_timeline(
        viewer(request), hashtag, page.to_page(),
        any_tags=params.any, all_tags=params.all, none_tags=params.none,
        local=params.local, remote=params.remote, only_media=params.only_media,
    )
    return _page_of(request, response, page, items, FilterContext.PUBLIC)


@router.get("/v1/timelines/list/{int:list_id}", response=list[Status], auth=OAuth("read:lists"))
def list_timeline(request: HttpRequest, response: HttpResponse, list_id: int, page: Query[PageParams]) -> list[dict]:
    person = me(request)
    if not graph.aspects_of(person).filter(id=list_id).exists():
        raise NotFound("Record not found")
    items = timelines.aspect_stream(person, list_id, page.to_page())
    return _page_of(request, response, page, items, FilterContext.HOME)


# ---- markers ----------------------------------------------------------------------------


class MarkerQuery(Schema):
    timeline: list[str] = []


@router.get("/v1/markers", response=dict[str, Marker], auth=OAuth("read:statuses"))
def get_markers(request: HttpRequest, params: Query[MarkerQuery]) -> dict:
    return entities.markers(timelines.markers(me(request), params.timeline or None))


class MarkerPosition(Schema):
    last_read_id: DbId


class MarkerUpdate(Schema):
    # Plain dicts: ninja would flatten two nested models into one clashing `last_read_id`.
    home: dict[str, Any] | None = None
    notifications: dict[str, Any] | None = None


@router.post("/v1/markers", response=dict[str, Marker], auth=OAuth("write:statuses"))
def save_markers(request: HttpRequest, body: Form[MarkerUpdate]) -> dict:
    person = me(request)
    positions = {}
    for timeline in MarkerTimeline.values:
        given = getattr(body, timeline)
        if given is not None:
            try:
                positions[timeline] = MarkerPosition.model_validate(given).last_read_id
            except PydanticValidationError as error:
                raise Invalid(f"{timeline}[last_read_id] must be an id.") from error
    return entities.markers(
        [timeline_services.save_marker(person, timeline, last_read) for timeline, last_read in positions.items()]
    )
