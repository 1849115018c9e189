"""Keyset pagination on time-sortable ids, shared by every package's list reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

PAGE_SIZE = 20
MAX_PAGE_SIZE = 40


@dataclass(frozen=True)
class Page:
    """Keyset pagination on time-sortable ids, as Mastodon pages: results are newest first.

    `max_id`: strictly older than this.  `since_id`: strictly newer, the newest
    `limit` of them.  `min_id`: strictly newer, the `limit` *just after* it (for
    paging forward without a gap)."""

    max_id: int | None = None
    min_id: int | None = None
    limit: int = PAGE_SIZE
    since_id: int | None = None

    def clamp(self) -> Page:
        return Page(self.max_id, self.min_id, max(1, min(self.limit, MAX_PAGE_SIZE)), self.since_id)


FIRST_PAGE = Page()

_Row = TypeVar("_Row", bound=Model)


def paginate(queryset: QuerySet[_Row], page: Page, field: str = "id") -> QuerySet[_Row]:
    """The page's rows as a queryset, in reading order: newest first, except that a
    `min_id` page is read oldest first (the rows just after `min_id`); use
    `page_ids`, which returns every page newest first."""
    page = page.clamp()
    if page.max_id is not None:
        queryset = queryset.filter(**{f"{field}__lt": page.max_id})
    if page.since_id is not None:
        queryset = queryset.filter(**{f"{field}__gt": page.since_id})
    if page.min_id is not None:
        return queryset.filter(**{f"{field}__gt": page.min_id}).order_by(field)[: page.limit]
    return queryset.order_by(f"-{field}")[: page.limit]


def page_ids(queryset: QuerySet[Any], page: Page, field: str = "id") -> list[int]:
    """The ids (`field` values) on the page, newest first."""
    ids = list(paginate(queryset, page, field).values_list(field, flat=True))
    return sorted(ids, reverse=True) if page.min_id is not None else ids
