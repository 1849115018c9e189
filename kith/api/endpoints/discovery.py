"""Discovery: search, hashtags and followed hashtags, trends, the directory, suggestions, reports.

Every list comes from kith.social.search / kith.social.selectors /
kith.moderation.selectors, which ask kith.visibility; this module only parses
Mastodon's parameters and renders entities.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, Form, Query, Schema
from ninja.errors import HttpError

from kith.api import entities
from kith.api.auth import PUBLIC, OAuth, me, viewer
from kith.api.pagination import PageParams, link_header
from kith.api.routing import ApiRouter
from kith.api.schemas import Account, SearchResults, Status, Suggestion, Tag
from kith.api.schemas import Report as ReportEntity
from kith.core.errors import NotFound
from kith.core.paging import Page
from kith.graph.models import Follow, FollowState
from kith.moderation import selectors as moderation
from kith.moderation.services import file_report
from kith.people.models import Person
from kith.people.selectors import person_by_handle
from kith.social import search, services
from kith.social import selectors as social
from kith.social.lookup import find_person, local_address, look_up_url
from kith.social.models import Comment, Post
from kith.social.models import Tag as TagRow
from kith.visibility import Viewer, visible_persons

router = ApiRouter(tags=["discovery"])

# Ids and offsets bounded to what the database can compare: a larger number is a 422, not a 500.
DbId = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Offset = Annotated[int, Field(ge=0, le=2**31)]

SEARCH_LIMIT = 20
MAX_SEARCH_LIMIT = 40
URL_RE = re.compile(r"^https?://\S+$")
HANDLE_RE = re.compile(r"^@?[\w.-]+@[\w.-]+(:\d+)?$")


def _limit(raw: int, default: int, maximum: int) -> int:
    return max(1, min(raw or default, maximum))


def offset_link_header(request: HttpRequest, response: HttpResponse, *, offset: int, limit: int, count: int) -> None:
    """Mastodon's offset paging (trends): `next` while pages come back full, `prev` after the first."""
    base = f"{settings.KITH_URL}{request.path}"
    kept = {k: v for k, v in request.GET.items() if k not in ("offset", "limit")}
    links = []
    if count >= limit:
        links.append(f'<{base}?{urlencode({**kept, "limit": limit, "offset": offset + limit})}>; rel="next"')
    if offset > 0:
        links.append(f'<{base}?{urlencode({**kept, "limit": limit, "offset": max(0, offset - limit)})}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)


# ---- search ------------------------------------------------------------------------------


class SearchParams(Schema):
    q: str | None = None
    type: str | None = None
    resolve: bool = False
    following: bool = False
    account_id: DbId | None = None
    # Kith has no review of hashtags: every tag of a public post counts as reviewed.
    exclude_unreviewed: bool = False
    max_id: DbId | None = None
    min_id: DbId | None = None
    limit: int = SEARCH_LIMIT
    offset: Offset = 0


def _resolve_url(reader: Person, url: str) -> Person | Post | Comment | None:
    """What `url` names, if the reader may see it: this pod's own addresses are looked up here,
    other servers' asked once (people, and public posts only: kith.social.lookup).  When
    nothing is found the answer is Mastodon's, empty results; the web search says why."""
    if url.startswith(settings.KITH_URL + "/"):
        here = local_address(url)
        if here is None:
            return None
        if here.kind == "person":
            return _visible(reader, person_by_handle(here.key, reader))
        try:
            if here.kind == "post":
                return social.post_for(reader, int(here.key))
            return social.comment_for(reader, int(here.key))
        except NotFound:
            return None
    found = look_up_url(url).found
    if isinstance(found, Person):
        return _visible(reader, found)
    if isinstance(found, Post):
        try:
            return social.post_for(reader, found.id)
        except NotFound:
            return None
    return None


def _visible(reader: Viewer, person: Person | None) -> Person | None:
    if person is None:
        return None
    return visible_persons(reader, Person.objects.filter(id=person.id)).first()


def _followed_only(reader: Person, people: list[Person]) -> list[Person]:
    followed = set(
        Follow.objects.filter(
            follower_id=reader.id, followee_id__in=[p.id for p in people], state=FollowState.ACCEPTED
        ).values_list("followee_id", flat=True)
    )
    return [p for p in people if p.id in followed]


def _search_accounts(reader: Viewer, query: str, params: SearchParams, limit: int) -> list[Person]:
    matches = search.people_matching(reader, query)
    if params.following and reader is not None:
        matches = matches.filter(
            id__in=Follow.objects.filter(follower_id=reader.id, state=FollowState.ACCEPTED).values("followee_id")
        )
    people = list(matches[params.offset : params.offset + limit])
    if params.resolve and reader is not None and params.offset == 0 and HANDLE_RE.match(query):
        # `name@other.pod`: found on their pod if not known here; the exact match comes first
        # (toot follows by this search and takes the account whose acct equals the handle).
        exact = _visible(reader, find_person(query, reader))
        if exact is not None and (not params.following or _followed_only(reader, [exact])):
            people = [exact, *[p for p in people if p.id != exact.id]][:limit]
    return people


@router.get("/v2/search", response=SearchResults, auth=OAuth("read:search", required=False))
def search_v2(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    query = (params.q or "").strip()
    if not query:
        raise HttpError(400, "param is missing or the value is empty: q")
    reader = viewer(request)
    if reader is None and "offset" in request.GET:
        raise HttpError(401, "Search queries pagination is not supported without authentication")
    if reader is None and params.resolve:
        raise HttpError(401, "Search queries that resolve remote resources are not supported without authentication")
    limit = _limit(params.limit, SEARCH_LIMIT, MAX_SEARCH_LIMIT)
    kinds = {"accounts", "statuses", "hashtags"} if params.type in (None, "") else {params.type}
    people: list[Person] = []
    statuses: list[Post | Comment] = []
    tags: list[TagRow] = []
    if params.resolve and reader is not None and URL_RE.match(query):
        # An address names one thing: that is the whole answer, as in Mastodon.
        found = _resolve_url(reader, query) if params.offset == 0 else None
        if isinstance(found, Person) and "accounts" in kinds:
            people = [found]
        elif isinstance(found, Post | Comment) and "statuses" in kinds:
            statuses = [found]
    else:
        if "accounts" in kinds and not (query.startswith("#") or ("@" in query and " " in query)):
            people = _search_accounts(reader, query, params, limit)
        if "statuses" in kinds and reader is not None:
            # Full-text search of posts is for logged-in people only (as in Mastodon).
            page = Page(max_id=params.max_id, min_id=params.min_id, limit=limit)
            statuses = list(
                search.search_posts_page(reader, query, page, offset=params.offset, author_id=params.account_id)
            )
        if "hashtags" in kinds and "@" not in query:
            tags = list(search.tags_matching(query)[params.offset : params.offset + limit])
    return {
        "accounts": entities.accounts(people),
        "statuses": entities.statuses(reader, statuses),
        "hashtags": entities.tags(reader, tags),
    }


# ---- hashtags and followed hashtags ------------------------------------------------------------


def _tag_or_404(raw: str) -> TagRow:
    """The stored tag, or an unsaved one for a valid name nobody used yet (Mastodon shows those too)."""
    name = social.normalised_tag_name(raw)
    if name is None:
        raise NotFound("Record not found")
    return social.tag_named(name) or TagRow(name=name)


# exclude_none: `following` is absent for anonymous readers, as in Mastodon (a Tag has no other nulls).
@router.get("/v1/tags/{name}", response=Tag, auth=PUBLIC, exclude_none=True)
def get_tag(request: HttpRequest, name: str) -> dict[str, Any]:
    return entities.tags(viewer(request), [_tag_or_404(name)])[0]


@router.post("/v1/tags/{name}/follow", response=Tag, auth=OAuth("write:follows"))
def follow_tag(request: HttpRequest, name: str) -> dict[str, Any]:
    relation = services.follow_tag(me(request), _tag_or_404(name).name)
    return entities.tags(me(request), [relation.tag])[0]


@router.post("/v1/tags/{name}/unfollow", response=Tag, auth=OAuth("write:follows"))
def unfollow_tag(request: HttpRequest, name: str) -> dict[str, Any]:
    tag = _tag_or_404(name)
    services.unfollow_tag(me(request), tag.name)
    return entities.tags(me(request), [tag])[0]


class FollowedTagsPage(PageParams):
    max_id: DbId | None = None
    since_id: DbId | None = None
    min_id: DbId | None = None
    limit: int = social.FOLLOWED_TAGS_PAGE


@router.get("/v1/followed_tags", response=list[Tag], auth=OAuth("read:follows"))
def followed_tags(request: HttpRequest, response: HttpResponse, page: Query[FollowedTagsPage]) -> list[dict]:
    limit = _limit(page.limit, social.FOLLOWED_TAGS_PAGE, social.MAX_FOLLOWED_TAGS_PAGE)
    cursor = Page(max_id=page.max_id, min_id=page.min_id, since_id=page.since_id, limit=limit)
    rows = social.followed_tags(me(request), cursor)
    link_header(request, response, [row.id for row in rows], limit=limit)
    return entities.tags(me(request), [row.tag for row in rows])


# ---- trends ----------------------------------------------------------------------------------


class OffsetParams(Schema):
    limit: int = 0
    offset: Offset = 0


@router.get("/v1/trends/tags", response=list[Tag], auth=PUBLIC, exclude_none=True)
def trending_tags(request: HttpRequest, response: HttpResponse, params: Query[OffsetParams]) -> list[dict]:
    limit = _limit(params.limit, 10, 20)
    tags = social.trending_tags(limit, params.offset)
    offset_link_header(request, response, offset=params.offset, limit=limit, count=len(tags))
    return entities.tags(viewer(request), tags)


# Mastodon before 3.5 served trending tags at /api/v1/trends; clients still call it.
router.add_api_operation(
    "/v1/trends", ["GET"], trending_tags, response=list[Tag], auth=PUBLIC, exclude_none=True,
    operation_id="trending_tags_v1_alias",
)


@router.get("/v1/trends/statuses", response=list[Status], auth=PUBLIC)
def trending_statuses(request: HttpRequest, response: HttpResponse, params: Query[OffsetParams]) -> list[dict]:
    limit = _limit(params.limit, 20, 40)
    posts = social.trending_posts(viewer(request), limit, params.offset)
    offset_link_header(request, response, offset=params.offset, limit=limit, count=len(posts))
    return entities.statuses(viewer(request), posts)


@router.get("/v1/trends/links", response=list[dict[str, Any]], auth=PUBLIC)
def trending_links(request: HttpRequest) -> list[dict]:
    # Links trend through their preview cards; Kith makes no preview cards, so none trend.
    return []


# ---- the profile directory and follow suggestions --------------------------------------------------


class DirectoryParams(Schema):
    offset: Offset = 0
    limit: int = 0
    order: str = "active"
    local: bool = False


@router.get("/v1/directory", response=list[Account], auth=PUBLIC)
def directory(request: HttpRequest, params: Query[DirectoryParams]) -> list[dict]:
    people = social.directory(
        viewer(request), local_only=params.local, newest=params.order == "new",
        limit=_limit(params.limit, 40, 80), offset=params.offset,
    )
    return entities.accounts(people)


# Mastodon's `source` (deprecated) for each of its `sources`.
SUGGESTION_SOURCE = {"friends_of_friends": "past_interactions", "most_followed": "global"}


class SuggestionParams(Schema):
    limit: int = 0


@router.get("/v2/suggestions", response=list[Suggestion], auth=OAuth("read:accounts"))
def suggestions(request: HttpRequest, params: Query[SuggestionParams]) -> list[dict]:
    found = social.suggestions(me(request), limit=_limit(params.limit, 40, 80))
    rendered = entities.accounts([item.person for item in found])
    return [
        {"source": SUGGESTION_SOURCE[item.source], "sources": [item.source], "account": account}
        for item, account in zip(found, rendered, strict=True)
    ]


# ---- reports ------------------------------------------------------------------------------------


class ReportForm(Schema):
    account_id: DbId
    status_ids: list[DbId] = Field([], max_length=100)
    comment: str = Field("", max_length=1000)
    forward: bool = False
    category: str | None = None
    rule_ids: list[DbId] = Field([], max_length=100)


@router.post("/v1/reports", response=ReportEntity, auth=OAuth("write:reports"))
def create_report(request: HttpRequest, form: Form[ReportForm]) -> dict[str, Any]:
    reporter = me(request)
    target = _visible(reporter, Person.objects.filter(id=form.account_id).first())
    if target is None:
        raise NotFound("Record not found")
    posts, comments = moderation.reportable_statuses(reporter, target, form.status_ids)
    report = file_report(
        target, reporter=reporter, posts=posts, comments=comments, comment=form.comment,
        forward=form.forward, category=form.category or ("violation" if form.rule_ids else "other"),
        rule_ids=form.rule_ids,
    )
    return entities.report(moderation.report_with_statuses(report.id))
