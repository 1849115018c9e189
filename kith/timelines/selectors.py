"""Reads of notifications, markers and filters (streams are in kith.social.selectors, beside the
other post lists)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from kith.core.errors import NotFound
from kith.people.models import Person
from kith.social.models import Comment, Post
from kith.social.selectors import FIRST_PAGE, Page, page_ids
from kith.timelines.filters import ActiveFilter
from kith.timelines.models import Filter, FilterKeyword, FilterStatus, Marker, Notification
from kith.visibility import visible_notifications

# What a notification is about: the comment when there is one, else the post.
NotificationTarget = Post | Comment | None


def _chosen(
    viewer: Person,
    kinds: Sequence[str] | None = None,
    exclude_kinds: Sequence[str] | None = None,
    actor_id: int | None = None,
) -> QuerySet[Notification]:
    rows = visible_notifications(viewer)
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    if exclude_kinds:
        rows = rows.exclude(kind__in=list(exclude_kinds))
    if actor_id is not None:
        rows = rows.filter(actor_id=actor_id)
    return rows


def notifications(
    viewer: Person,
    page: Page = FIRST_PAGE,
    kinds: Sequence[str] | None = None,
    *,
    exclude_kinds: Sequence[str] | None = None,
    actor_id: int | None = None,
) -> list[Notification]:
    """A page of the viewer's notifications, newest first, with actor, post and comment loaded.

    `kinds`: only these (an empty list: none); `exclude_kinds`: not these; `actor_id`: only
    from that person."""
    if kinds is not None and not kinds:
        return []
    ids = page_ids(_chosen(viewer, kinds or None, exclude_kinds, actor_id), page)
    by_id = Notification.objects.select_related(
        "actor", "post__author", "comment__author", "comment__post", "conversation"
    ).in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def notification_for(viewer: Person, notification_id: int, *, exclude_kinds: Sequence[str] = ()) -> Notification:
    """One of the viewer's notifications they may still see, or NotFound."""
    found = _chosen(viewer, exclude_kinds=exclude_kinds).filter(id=notification_id).values_list("id", flat=True)
    if not found:
        raise NotFound("Record not found")
    return Notification.objects.select_related("actor", "post__author", "comment__author", "comment__post").get(
        id=notification_id
    )


def unread_count(
    viewer: Person,
    *,
    kinds: Sequence[str] | None = None,
    exclude_kinds: Sequence[str] | None = None,
    actor_id: int | None = None,
    limit: int | None = None,
) -> int:
    """How many visible notifications are unread; counting stops at `limit` (a badge needs no more)."""
    if kinds is not None and not kinds:
        return 0
    rows = _chosen(viewer, kinds or None, exclude_kinds, actor_id).filter(read=False)
    if limit is not None:
        return rows.order_by("-id")[:limit].count()
    return rows.count()


def notification_targets(viewer: Person, rows: Sequence[Notification]) -> dict[int, NotificationTarget]:
    """notification id -> the post or comment it is about, loaded for rendering (photos, polls,
    the viewer's likes) in a fixed number of queries.  Targets the viewer may no longer see are
    left out (the caller drops those notifications): visibility is asked again here, not assumed."""
    from kith.social.selectors import comments_by_ids, posts_by_ids

    post_ids = [row.post_id for row in rows if row.post_id and not row.comment_id]
    comment_ids = [row.comment_id for row in rows if row.comment_id]
    posts = {post.id: post for post in posts_by_ids(viewer, post_ids)} if post_ids else {}
    comments = {c.id: c for c in comments_by_ids(viewer, comment_ids)} if comment_ids else {}
    targets: dict[int, NotificationTarget] = {}
    for row in rows:
        if row.comment_id:
            target: NotificationTarget = comments.get(row.comment_id)
        elif row.post_id:
            target = posts.get(row.post_id)
        else:
            continue
        if target is not None:
            targets[row.id] = target
    return targets


# ---- markers ----------------------------------------------------------------------------


def markers(owner: Person, timelines: Sequence[str] | None = None) -> list[Marker]:
    rows = Marker.objects.filter(owner=owner)
    if timelines:
        rows = rows.filter(timeline__in=list(timelines))
    return list(rows.order_by("timeline"))


# ---- filters ----------------------------------------------------------------------------


def _with_parts(filters: QuerySet[Filter]) -> QuerySet[Filter]:
    return filters.prefetch_related(
        Prefetch("keywords", queryset=FilterKeyword.objects.order_by("id")),
        Prefetch("statuses", queryset=FilterStatus.objects.order_by("id")),
    )


def filters_of(owner: Person) -> list[Filter]:
    """All of the owner's filters (expired ones too, as Mastodon lists them), oldest first."""
    return list(_with_parts(Filter.objects.filter(owner=owner)).order_by("id"))


def filter_of(owner: Person, filter_id: int) -> Filter:
    found = _with_parts(Filter.objects.filter(owner=owner, id=filter_id)).first()
    if found is None:
        raise NotFound("Record not found")
    return found


def filter_keyword_of(owner: Person, keyword_id: int) -> FilterKeyword:
    found = FilterKeyword.objects.select_related("filter").filter(filter__owner=owner, id=keyword_id).first()
    if found is None:
        raise NotFound("Record not found")
    return found


def filter_status_of(owner: Person, status_id: int) -> FilterStatus:
    found = FilterStatus.objects.select_related("filter").filter(filter__owner=owner, id=status_id).first()
    if found is None:
        raise NotFound("Record not found")
    return found


def active_filters(owner: Person, context: str) -> list[ActiveFilter]:
    """The owner's unexpired filters for `context`, ready to match (three queries at most)."""
    now = timezone.now()
    unexpired = Filter.objects.filter(owner=owner).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    # JSON "contains" is not portable to SQLite; the context is checked here instead.
    return [ActiveFilter.of(f) for f in _with_parts(unexpired).order_by("id") if context in f.contexts]


def notifications_among(viewer: Person, ids: Sequence[int]) -> list[Notification]:
    """Of `ids` (new notification rows a live stream found), the ones the viewer may see,
    oldest first, loaded as `notifications` loads a page."""
    visible = list(_chosen(viewer).filter(id__in=list(ids)).order_by("id").values_list("id", flat=True))
    by_id = Notification.objects.select_related(
        "actor", "post__author", "comment__author", "comment__post", "conversation"
    ).in_bulk(visible)
    return [by_id[i] for i in visible if i in by_id]
