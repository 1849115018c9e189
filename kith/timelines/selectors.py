"""Reads of streams and timelines, notifications, markers and filters.

The stream and timeline reads choose which posts a reader gets (kith.visibility, then the
reader's mutes and domain blocks from kith.timelines.reading) and leave loading them for
rendering to kith.social.selectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet

from kith.core.errors import NotFound
from kith.core.paging import FIRST_PAGE, Page, page_ids, paginate
from kith.core.text import normalise_tag
from kith.graph.models import AspectMembership
from kith.people.models import Person
from kith.social import selectors as social_selectors
from kith.social.models import PUBLIC_VISIBILITIES, Comment, Media, MediaState, Post, PostTag
from kith.timelines.filters import with_parts
from kith.timelines.models import Filter, FilterKeyword, FilterStatus, Marker, Notification, StreamEntry
from kith.timelines.reading import without_blocked_domains, without_muted_authors
from kith.visibility import (
    Viewer,
    filter_by_post_visibility,
    publicly_listed_posts,
    tag_listed_posts,
    visible_notifications,
    visible_posts,
)

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
    post_ids = [row.post_id for row in rows if row.post_id and not row.comment_id]
    comment_ids = [row.comment_id for row in rows if row.comment_id]
    posts = {post.id: post for post in social_selectors.posts_by_ids(viewer, post_ids)} if post_ids else {}
    comments = {c.id: c for c in social_selectors.comments_by_ids(viewer, comment_ids)} if comment_ids else {}
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


def filters_of(owner: Person) -> list[Filter]:
    """All of the owner's filters (expired ones too, as Mastodon lists them), oldest first."""
    return list(with_parts(Filter.objects.filter(owner=owner)).order_by("id"))


def filter_of(owner: Person, filter_id: int) -> Filter:
    found = with_parts(Filter.objects.filter(owner=owner, id=filter_id)).first()
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


def notifications_among(viewer: Person, ids: Sequence[int]) -> list[Notification]:
    """Of `ids` (new notification rows a live stream found), the ones the viewer may see,
    oldest first, loaded as `notifications` loads a page."""
    visible = list(_chosen(viewer).filter(id__in=list(ids)).order_by("id").values_list("id", flat=True))
    by_id = Notification.objects.select_related(
        "actor", "post__author", "comment__author", "comment__post", "conversation"
    ).in_bulk(visible)
    return [by_id[i] for i in visible if i in by_id]


# ---- streams and timelines: which posts, then social.selectors loads them --------------------
# (social_selectors.load_in_order is looked up at call time: tests swap it for bare ids.)


def stream(viewer: Person, page: Page = FIRST_PAGE) -> list[Post]:
    """The viewer's stream: their precomputed rows, read newest first and checked row by row."""
    return social_selectors.load_in_order(viewer, stream_page_ids(viewer, page))


def stream_rows(viewer: Person) -> QuerySet[Any]:
    """The viewer's stream rows they may see now (kith.visibility, mutes, blocked domains)."""
    rows = filter_by_post_visibility(viewer, StreamEntry.objects.filter(owner=viewer), "post")
    rows = without_muted_authors(viewer, rows, "post__")
    return without_blocked_domains(viewer, rows, "post__")


# The stream's page query is one SQL statement per page shape, whoever reads it: the rules
# depend on the viewer only through their id.  Building and compiling it through the ORM
# was half of stream()'s time (docs/performance.md), so each shape is compiled once, with
# stand-in values (never ids: ids are positive) that are then swapped for the real ones.
_STAND_IN_VIEWER = -(2**62) - 11
_STAND_IN_BOUNDS = {"max_id": -(2**62) - 12, "min_id": -(2**62) - 13, "since_id": -(2**62) - 14}
_stream_sql: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}


def stream_page_ids(viewer: Person, page: Page = FIRST_PAGE) -> list[int]:
    """The post ids on a page of the viewer's stream, newest first: page_ids(stream_rows(...)),
    from SQL compiled once per page shape."""
    page = page.clamp()
    database = StreamEntry.objects.db
    shape = (database, page.limit, *(getattr(page, name) is None for name in _STAND_IN_BOUNDS))
    compiled = _stream_sql.get(shape)
    if compiled is None:
        stand_in = Page(**{name: None if getattr(page, name) is None else value
                           for name, value in _STAND_IN_BOUNDS.items()}, limit=page.limit)
        query = paginate(stream_rows(Person(id=_STAND_IN_VIEWER)), stand_in, "post_id").values_list("post_id")
        sql, params = query.query.get_compiler(using=database).as_sql()
        if _STAND_IN_VIEWER not in params:  # the viewer must be a parameter, or the cache would be wrong
            raise RuntimeError("the stream query does not take the viewer as a parameter")
        compiled = _stream_sql[shape] = (sql, tuple(params))
    sql, params = compiled
    values = {_STAND_IN_VIEWER: viewer.id} | {value: getattr(page, name) for name, value in _STAND_IN_BOUNDS.items()}
    # PostgreSQL's compiler wraps integers (psycopg's Int4/Int8, int subclasses): compare by value.
    bound = [
        values.get(param, param) if isinstance(param, int) and not isinstance(param, bool) else param
        for param in params
    ]
    with connections[database].cursor() as cursor:
        cursor.execute(sql, bound)
        ids = [row[0] for row in cursor.fetchall()]
    return sorted(ids, reverse=True) if page.min_id is not None else ids


def tag_posts(viewer: Viewer, tag_name: str, page: Page = FIRST_PAGE) -> list[Post]:
    """Public posts with the tag (as in diaspora* and Mastodon, limited posts stay out of tag pages)."""
    tagged = tag_listed_posts(Post.objects.filter(tags__name=tag_name))
    ids = page_ids(without_blocked_domains(viewer, visible_posts(viewer, tagged)), page)
    return social_selectors.load_in_order(viewer, ids)


def followed_tags_posts(viewer: Person, page: Page = FIRST_PAGE) -> list[Post]:
    tag_ids = viewer.followed_tags.values("tag_id")
    tagged = tag_listed_posts(Post.objects.filter(posttag__tag_id__in=tag_ids)).distinct()
    ids = page_ids(visible_posts(viewer, tagged), page)
    return social_selectors.load_in_order(viewer, ids)


def public_posts(viewer: Viewer, page: Page = FIRST_PAGE, *, local_only: bool = True) -> list[Post]:
    """The pod's public timeline: original public posts, no reshares, no unlisted."""
    public = publicly_listed_posts(Post.objects.all())
    if local_only:
        public = public.filter(author__domain="")
    else:
        public = without_blocked_domains(viewer, public)
    ids = page_ids(visible_posts(viewer, public), page)
    return social_selectors.load_in_order(viewer, ids)

def live_post_ids(viewer: Person, post_ids: Sequence[int]) -> list[int]:
    """Of `post_ids`, the ones a live stream may push to `viewer`, oldest first: what they may
    see (kith.visibility), minus authors they muted and domains they blocked, as their stream does."""
    if not post_ids:
        return []
    rows = visible_posts(viewer, Post.objects.filter(id__in=list(post_ids)))
    rows = without_muted_authors(viewer, rows)
    rows = without_blocked_domains(viewer, rows)
    return list(rows.order_by("id").values_list("id", flat=True))


def live_posts(viewer: Viewer, post_ids: Sequence[int]) -> list[Post]:
    """The posts of `post_ids` a live stream may push to `viewer` (anonymous: public ones only),
    oldest first, loaded for rendering in a fixed number of queries."""
    if viewer is None:
        rows = visible_posts(None, Post.objects.filter(id__in=list(post_ids)))
        ids = list(rows.order_by("id").values_list("id", flat=True))
    else:
        ids = live_post_ids(viewer, post_ids)
    return social_selectors.load_in_order(viewer, ids)

# ---- timelines of the client API: an aspect's members, public and tag timelines with options --


def aspect_stream(viewer: Person, aspect_id: int, page: Page = FIRST_PAGE) -> list[Post]:
    """The viewer's stream narrowed to posts by the members of one of their aspects (Mastodon's
    list timeline): `aspects_stream` of that aspect, without the viewer's own posts."""
    return aspects_stream(viewer, [aspect_id], page, own_posts=False)


def aspects_stream(viewer: Person, aspect_ids: Sequence[int], page: Page = FIRST_PAGE, *,
                   own_posts: bool = True) -> list[Post]:
    """diaspora*'s aspect stream: the viewer's stream narrowed to posts by the members of the
    chosen aspects of theirs (ids of other people's aspects choose nothing) and, with
    `own_posts`, the viewer's own posts to those aspects (a public post goes to every aspect,
    as in diaspora*).  The same precomputed rows, visibility, mutes and domain blocks as
    `stream`, so it stays an index read on (owner, post) and shows nothing the stream would not."""
    chosen = list(aspect_ids)
    members = AspectMembership.objects.filter(aspect_id__in=chosen, aspect__owner_id=viewer.id).values("person_id")
    wanted = Q(post__author_id__in=members)
    if own_posts:
        # Only the viewer's own posts are asked about, and those name only the viewer's aspects.
        sent_to_chosen = Post.aspects.through.objects.filter(post_id=OuterRef("post_id"), aspect_id__in=chosen)
        wanted |= Q(post__author_id=viewer.id) & (
            Q(post__visibility__in=PUBLIC_VISIBILITIES) | Q(Exists(sent_to_chosen))
        )
    rows = StreamEntry.objects.filter(wanted, owner=viewer)
    rows = filter_by_post_visibility(viewer, rows, "post")
    rows = without_muted_authors(viewer, rows, "post__")
    rows = without_blocked_domains(viewer, rows, "post__")
    return social_selectors.load_in_order(viewer, page_ids(rows, page, field="post_id"))


def _placed_and_with_media(posts: QuerySet[Post], *, local: bool, remote: bool, only_media: bool) -> QuerySet[Post]:
    """Mastodon's `local` (this pod's authors only), `remote` (other pods' only), `only_media`."""
    if local:
        posts = posts.filter(author__domain="")
    elif remote:
        posts = posts.exclude(author__domain="")
    if only_media:
        posts = posts.filter(Exists(Media.objects.filter(post_id=OuterRef("id"), state=MediaState.READY)))
    return posts


def public_timeline(
    viewer: Viewer, page: Page = FIRST_PAGE, *, local: bool = False, remote: bool = False, only_media: bool = False
) -> list[Post]:
    """Mastodon's public timeline: public original posts (no reshares, no unlisted) this pod
    knows, from here (`local`), from elsewhere (`remote`) or both."""
    public = publicly_listed_posts(Post.objects.all())
    public = _placed_and_with_media(public, local=local, remote=remote, only_media=only_media)
    ids = page_ids(without_blocked_domains(viewer, visible_posts(viewer, public)), page)
    return social_selectors.load_in_order(viewer, ids)


def tag_timeline(
    viewer: Viewer,
    tag_name: str,
    page: Page = FIRST_PAGE,
    *,
    any_tags: Sequence[str] = (),
    all_tags: Sequence[str] = (),
    none_tags: Sequence[str] = (),
    local: bool = False,
    remote: bool = False,
    only_media: bool = False,
) -> list[Post]:
    """Public posts with `tag_name` or any of `any_tags`, and all of `all_tags`, and none of
    `none_tags` (names as typed: '#Cats' finds 'cats').  Limited posts stay out, as on tag pages."""
    def names(raw: Sequence[str]) -> list[str]:
        # As typed by a person: '#Cats' is the tag 'cats'; blanks are no tags.
        return [name for name in (normalise_tag(r.strip()) for r in raw) if name]

    wanted = names([tag_name, *any_tags])
    if not wanted:
        return []
    tagged = tag_listed_posts(Post.objects.all()).filter(
        Exists(PostTag.objects.filter(post_id=OuterRef("id"), tag__name__in=wanted))
    )
    for name in names(all_tags):
        tagged = tagged.filter(Exists(PostTag.objects.filter(post_id=OuterRef("id"), tag__name=name)))
    unwanted = names(none_tags)
    if unwanted:
        tagged = tagged.exclude(Exists(PostTag.objects.filter(post_id=OuterRef("id"), tag__name__in=unwanted)))
    tagged = _placed_and_with_media(tagged, local=local, remote=remote, only_media=only_media)
    ids = page_ids(without_blocked_domains(viewer, visible_posts(viewer, tagged)), page)
    return social_selectors.load_in_order(viewer, ids)
