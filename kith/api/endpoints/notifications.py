"""Notifications: /api/v1/notifications/...

Kith's kinds map onto Mastodon's types (entities.NOTIFICATION_TYPES); private messages,
which are no statuses, stay out of the API.  Reads go through kith.timelines.selectors,
which ask kith.visibility; the viewer's filters apply (context "notifications").
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Schema

from kith.api import entities
from kith.api.auth import OAuth, me
from kith.api.filtering import apply_filters
from kith.api.pagination import PageParams, link_header
from kith.api.params import DbId
from kith.api.routing import ApiRouter
from kith.api.schemas import Empty, Notification, UnreadCount
from kith.core.errors import NotFound
from kith.timelines import selectors as timelines
from kith.timelines import services as timeline_services
from kith.timelines.models import FilterContext

router = ApiRouter(tags=["notifications"])

UNREAD_COUNT_LIMIT = 100
MAX_UNREAD_COUNT_LIMIT = 1000
UNTYPED = list(entities.NOTIFICATION_KINDS_WITHOUT_TYPE)


def kinds_of(types: list[str]) -> list[str]:
    """Mastodon types -> Kith kinds; types Kith never produces select nothing."""
    return [kind for kind, mastodon_type in entities.NOTIFICATION_TYPES.items() if mastodon_type in types]


class TypeParams(Schema):
    types: list[str] = []
    exclude_types: list[str] = []
    account_id: DbId | None = None

    def choice(self) -> dict:
        return {
            "kinds": kinds_of(self.types) if self.types else None,
            "exclude_kinds": [*UNTYPED, *kinds_of(self.exclude_types)],
            "actor_id": self.account_id,
        }


def _render(request: HttpRequest, rows: list) -> list[dict]:
    person = me(request)
    rendered = entities.notifications(person, rows, timelines.notification_targets(person, rows))
    return apply_filters(person, FilterContext.NOTIFICATIONS, rendered, status_of=lambda n: n["status"])


# exclude_unset: `moderation_warning` is only in moderation_warning notifications, as in Mastodon.
@router.get("/v1/notifications", response=list[Notification], auth=OAuth("read:notifications"), exclude_unset=True)
def notifications(request: HttpRequest, response: HttpResponse, page: Query[PageParams],
                  params: Query[TypeParams]) -> list[dict]:
    rows = timelines.notifications(me(request), page.to_page(), **params.choice())
    link_header(request, response, [row.id for row in rows], limit=page.to_page().limit)
    return _render(request, rows)


class UnreadParams(TypeParams):
    limit: int = UNREAD_COUNT_LIMIT


@router.get("/v1/notifications/unread_count", response=UnreadCount, auth=OAuth("read:notifications"))
def unread_count(request: HttpRequest, params: Query[UnreadParams]) -> dict:
    limit = max(1, min(params.limit or UNREAD_COUNT_LIMIT, MAX_UNREAD_COUNT_LIMIT))
    return {"count": timelines.unread_count(me(request), limit=limit, **params.choice())}


@router.post("/v1/notifications/clear", response=Empty, auth=OAuth("write:notifications"))
def clear(request: HttpRequest) -> dict:
    timeline_services.clear_all(me(request))
    return {}


@router.get("/v1/notifications/{int:notification_id}", response=Notification, auth=OAuth("read:notifications"),
            exclude_unset=True)
def get_notification(request: HttpRequest, notification_id: int) -> dict:
    row = timelines.notification_for(me(request), notification_id, exclude_kinds=UNTYPED)
    rendered = _render(request, [row])
    if not rendered:  # its status is gone from the viewer's sight, or a filter hides it
        raise NotFound("Record not found")
    return rendered[0]


@router.post("/v1/notifications/{int:notification_id}/dismiss", response=Empty, auth=OAuth("write:notifications"))
def dismiss(request: HttpRequest, notification_id: int) -> dict:
    timeline_services.dismiss(me(request), notification_id)
    return {}
