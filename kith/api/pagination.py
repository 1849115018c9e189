"""Mastodon's paging: max_id / since_id / min_id / limit in, a `Link` header out."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from pydantic import Field

from kith.core.paging import Page

DEFAULT_LIMIT = 20
MAX_LIMIT = 40
MAX_ID = 2**63 - 1


class PageParams(Schema):
    """Declare as `page: Query[PageParams]`.  Ids are strings in Mastodon; junk is a 422."""

    # Ids are 64-bit: anything outside is no id at all (and would overflow the database).
    max_id: int | None = Field(None, ge=0, le=MAX_ID)
    since_id: int | None = Field(None, ge=0, le=MAX_ID)
    min_id: int | None = Field(None, ge=0, le=MAX_ID)
    limit: int | None = Field(None, ge=0, le=MAX_ID)

    def to_page(self, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> Page:
        """The page asked for; no (or a zero) limit means the endpoint's default, and a limit
        above the endpoint's maximum is lowered to it, as Mastodon does."""
        limit = self.limit or default
        return Page(
            max_id=self.max_id, min_id=self.min_id, since_id=self.since_id, limit=max(1, min(limit, maximum))
        )


def link_header(request: HttpRequest, response: HttpResponse, keys: Sequence[int], *, limit: int) -> None:
    """Set `Link: <...max_id=oldest>; rel="next", <...min_id=newest>; rel="prev"` from the page's
    cursor keys (newest first).  An empty page gets no links, as in Mastodon."""
    if not keys:
        return
    base = f"{settings.KITH_URL}{request.path}"
    kept = {k: v for k, v in request.GET.items() if k not in ("max_id", "min_id", "since_id")}
    kept["limit"] = str(limit)
    next_url = f"{base}?{urlencode({**kept, 'max_id': str(min(keys))})}"
    prev_url = f"{base}?{urlencode({**kept, 'min_id': str(max(keys))})}"
    response["Link"] = f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'
