"""Reads of notifications (streams are in kith.social.selectors, beside the other post lists)."""

from __future__ import annotations

from kith.people.models import Person
from kith.social.selectors import FIRST_PAGE, Page, page_ids
from kith.timelines.models import Notification
from kith.visibility import visible_notifications


def notifications(viewer: Person, page: Page = FIRST_PAGE, kinds: list[str] | None = None) -> list[Notification]:
    rows = visible_notifications(viewer)
    if kinds:
        rows = rows.filter(kind__in=kinds)
    ids = page_ids(rows, page)
    by_id = Notification.objects.select_related(
        "actor", "post__author", "comment__author", "comment__post", "conversation"
    ).in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def unread_count(viewer: Person) -> int:
    return visible_notifications(viewer).filter(read=False).count()
