"""Domain objects -> Mastodon's JSON entities, a page at a time.

Each renderer takes a whole list and loads what the entities need in a fixed
number of queries (authors and their counts, tags, mentions, the viewer's
favourites, boosts, bookmarks and votes), so a page of 40 statuses costs the
same as a page of one.  Nothing here decides visibility: the lists come from
selectors that asked `kith.visibility`.

Kith's posts and comments both appear as Mastodon statuses: a comment is a
status with `in_reply_to_id` (its parent comment, or the post).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from kith.core import sql
from kith.graph.models import Follow, FollowState
from kith.people.models import Person
from kith.people.selectors import profile_url
from kith.social.media import viewer_link_token
from kith.social.models import (
    Comment,
    Like,
    Media,
    MediaState,
    Poll,
    Post,
    PostMention,
    PostTag,
    Tag,
    Visibility,
)
from kith.social.selectors import viewer_state
from kith.social.wire_ids import wire_ids
from kith.visibility import (
    COUNTED_POST_VISIBILITIES,
    Viewer,
    media_is_sensitive,
    photo_is_public,
    visible_comment_counts,
    visible_reply_counts,
)

MASTODON_VISIBILITY = {
    Visibility.PUBLIC: "public",
    Visibility.UNLISTED: "unlisted",
    Visibility.LIMITED: "private",
    Visibility.DIRECT: "direct",
}
MISSING_AVATAR = "/static/web/avatar-missing.png"
MISSING_HEADER = "/static/web/header-missing.png"


def absolute(path: str) -> str:
    return f"{settings.KITH_URL}{path}"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def acct(person: Person) -> str:
    return person.username if person.is_local else f"{person.username}@{person.domain}"


# ---- accounts ---------------------------------------------------------------------


def accounts(persons: Sequence[Person], *, with_moved: bool = True) -> list[dict[str, Any]]:
    """Account entities for `persons`, in order, with counts: one query (two when one of
    them moved)."""
    persons = list(persons)
    ids = {p.id for p in persons}
    if not ids:
        return []
    stats = _account_stats(sorted(ids), sorted(p.id for p in persons if not p.is_local))
    moved_ids = {p.moved_to_id for p in persons if p.moved_to_id} if with_moved else set()
    moved = (
        {int(m["id"]): m for m in accounts(list(Person.objects.filter(id__in=moved_ids)), with_moved=False)}
        if moved_ids
        else {}
    )
    rendered = []
    for person in persons:
        found = stats.get(person.id, _NO_STATS)
        entity = _account(person, found.actor_uri)
        entity["followers_count"] = found.followers
        entity["following_count"] = found.following
        entity["statuses_count"] = found.statuses
        entity["last_status_at"] = found.last_status_date
        entity["moved"] = moved.get(person.moved_to_id) if person.moved_to_id else None
        rendered.append(entity)
    return rendered


@dataclass
class _Stats:
    followers: int = 0
    following: int = 0
    statuses: int = 0
    last_status_date: str | None = None
    actor_uri: str | None = None


_NO_STATS = _Stats()


def _account_stats(ids: list[int], remote_ids: list[int]) -> dict[int, _Stats]:
    """Follower and following counts, public post count and last public post date, and the
    actor URI of remote people: one UNION query (kith/core/sql.py says why by hand).

    Public and unlisted posts only: counting limited and direct ones would show anyone
    when a person posts to their aspects (a new limited post moves the count and the date).
    The visibility test is in the aggregates, not the WHERE: with it there, SQLite walked
    the (visibility, id) index over every public post of the pod (2.3 s a timeline page at
    1,000,000 posts, docs/performance.md); this way it reads the authors' posts only, from
    post_author_stats_idx alone (COUNT(author_id), not COUNT(id): a covering index scan)."""
    marks = sql.placeholders(ids)
    visibilities = list(COUNTED_POST_VISIBILITIES)
    public = f"visibility IN ({sql.placeholders(visibilities)})"
    follows, posts = sql.table(Follow), sql.table(Post)
    # Table names come from the models and every value is a parameter.  The posts' branch
    # comes first: PostgreSQL types a UNION's columns from its first branches.
    parts = [
        f"SELECT 3, author_id, COUNT(author_id) FILTER (WHERE {public}), "  # noqa: S608
        f"MAX(created_at) FILTER (WHERE {public}), NULL FROM {posts} WHERE author_id IN ({marks}) GROUP BY author_id",
        f"SELECT 1, followee_id, COUNT(*), NULL, NULL FROM {follows} "  # noqa: S608
        f"WHERE followee_id IN ({marks}) AND state = %s GROUP BY followee_id",
        f"SELECT 2, follower_id, COUNT(*), NULL, NULL FROM {follows} "  # noqa: S608
        f"WHERE follower_id IN ({marks}) AND state = %s GROUP BY follower_id",
    ]
    accepted = str(FollowState.ACCEPTED)
    params: list[Any] = [*visibilities, *visibilities, *ids, *ids, accepted, *ids, accepted]
    ids_table = wire_ids()
    if remote_ids and ids_table is not None:
        people = ids_table.remote_people  # column names come from the adapter's registration, not input
        parts.append(f"SELECT 4, {people.key}, NULL, NULL, {people.uri} FROM {sql.table(people.model)} "  # noqa: S608
                     f"WHERE {people.key} IN ({sql.placeholders(remote_ids)})")
        params += remote_ids
    found: dict[int, _Stats] = {}
    for kind, person_id, count, last, uri in sql.fetch(" UNION ALL ".join(parts), params):
        stats = found.setdefault(person_id, _Stats())
        if kind == 1:
            stats.followers = count
        elif kind == 2:
            stats.following = count
        elif kind == 3:
            stats.statuses = count
            stats.last_status_date = _utc_date(last)
        else:
            stats.actor_uri = uri
    return found


def _utc_date(moment: datetime | str | None) -> str | None:
    """The UTC date of a timestamp as raw SQL returns it: an aware datetime (PostgreSQL) or
    Django's UTC text form (SQLite, 'YYYY-MM-DD HH:MM:SS...')."""
    if moment is None:
        return None
    if isinstance(moment, str):
        return moment[:10]
    return moment.astimezone(UTC).date().isoformat()


def account(person: Person) -> dict[str, Any]:
    return accounts([person])[0]


def _local_person_uri(person: Person) -> str | None:
    ids = wire_ids()
    return ids.person(person.username) if ids is not None else None


def _account(person: Person, actor_uri: str | None) -> dict[str, Any]:
    # Local and remote people alike: a remote person's pictures are this pod's copies
    # (kith.federation.media_cache), never the other server's URLs.
    avatar = absolute(f"/avatars/{person.id}?v={person.avatar_version}") if person.avatar else absolute(MISSING_AVATAR)
    header = absolute(f"/headers/{person.id}?v={person.header_version}") if person.header else absolute(MISSING_HEADER)
    return {
        "id": str(person.id),
        "username": person.username,
        "acct": acct(person),
        "url": profile_url(person),
        "uri": (_local_person_uri(person) if person.is_local else actor_uri) or profile_url(person),
        "display_name": person.display_name,
        "note": person.bio_html,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "locked": person.locked,
        "fields": [],
        "emojis": [],
        "bot": False,
        "group": False,
        "discoverable": person.searchable,
        "indexable": person.searchable,
        "noindex": not person.searchable,
        "hide_collections": False,
        "suspended": not person.is_active,
        "limited": person.limited,  # Mastodon: silenced (kith.visibility rule 15)
        "created_at": iso(person.created_at.replace(hour=0, minute=0, second=0, microsecond=0)),
        "roles": [],
    }


def credential_account(person: Person) -> dict[str, Any]:
    """verify_credentials / update_credentials: the account plus its editable `source`."""
    from kith.graph.selectors import follow_requests

    entity = account(person)
    entity["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": "",
        "note": person.bio_source,
        "fields": [],
        "follow_requests_count": follow_requests(person).count(),
        "hide_collections": False,
        "discoverable": person.searchable,
        "indexable": person.searchable,
    }
    return entity


# ---- media, polls, tags -----------------------------------------------------------------


def media_attachment(media: Media, viewer: Viewer = None) -> dict[str, Any]:
    """A photo.  Photos of public posts have stable URLs; any other photo's URLs carry a
    link token for `viewer` (apps load images without credentials: kith/social/media.py)."""
    ready = media.state == MediaState.READY
    suffix = ""
    if viewer is not None and not photo_is_public(media):
        suffix = f"?t={viewer_link_token(media.id, viewer.id)}"
    original = absolute(f"/media/{media.id}/original{suffix}") if ready else None
    preview = absolute(f"/media/{media.id}/thumbnail{suffix}") if ready and media.thumbnail else original
    meta: dict[str, Any] = {"focus": {"x": media.focus_x, "y": media.focus_y}}
    if media.width and media.height:
        meta["original"] = {
            "width": media.width,
            "height": media.height,
            "size": f"{media.width}x{media.height}",
            "aspect": media.width / media.height,
        }
    return {
        "id": str(media.id),
        "type": "image" if media.content_type.startswith("image/") else "unknown",
        "url": original,
        "preview_url": preview,
        "remote_url": media.remote_url or None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": media.description or None,
        "blurhash": media.blurhash or None,
    }


def poll(post: Post, poll_row: Poll, own_option_ids: set[int] | None) -> dict[str, Any]:
    options = list(poll_row.options.all())
    expired = poll_row.expires_at is not None and poll_row.expires_at <= timezone.now()
    own = own_option_ids or set()
    return {
        "id": str(post.id),
        "expires_at": iso(poll_row.expires_at),
        "expired": expired,
        "multiple": poll_row.multiple,
        "votes_count": sum(option.votes_count for option in options),
        "voters_count": poll_row.voters_count,
        "options": [{"title": option.title, "votes_count": option.votes_count} for option in options],
        "emojis": [],
        "voted": bool(own) if own_option_ids is not None else None,
        "own_votes": [index for index, option in enumerate(options) if option.id in own]
        if own_option_ids is not None
        else None,
    }


def tag(name: str) -> dict[str, Any]:
    return {"name": name, "url": absolute(f"/tags/{name}")}


# ---- statuses ---------------------------------------------------------------------


class _Batch:
    """Everything a page of statuses needs beyond the rows themselves."""

    def __init__(self, viewer: Viewer, posts: list[Post], comments: list[Comment]) -> None:
        post_ids = {p.id for p in posts}
        persons: dict[int, Person] = {}
        for post in posts:
            persons[post.author_id] = post.author
        for comment in comments:
            persons[comment.author_id] = comment.author
        self.tags: dict[int, list[str]] = defaultdict(list)
        self.mentions: dict[int, list[Person]] = defaultdict(list)
        self.remote_uris: dict[tuple[str, int], str] = {}
        remote_post_ids = [p.id for p in posts if not p.author.is_local]
        remote_comment_ids = [c.id for c in comments if not c.author.is_local]
        if post_ids or remote_comment_ids:
            self._load_extras(sorted(post_ids), remote_post_ids, remote_comment_ids)
        self.bookmarked: set[int] = set()
        self.pinned: set[int] = set()
        self.liked_comments: set[int] = set()
        self.reply_counts: dict[int, int] = {}
        undecorated = [post for post in posts if not hasattr(post, "viewer_bookmarked")]
        if undecorated:
            # replies_count: the comments this viewer is shown (kith.visibility rule 7), as the
            # selector's `decorate` sets it; the stored total counts hidden ones too.
            shown = visible_comment_counts(viewer, [post.id for post in undecorated if post.comment_count])
            for post in undecorated:
                post.comment_count = shown.get(post.id, 0)
        if viewer is not None and post_ids:
            if not undecorated:  # decorated by the selector
                self.bookmarked = {post.id for post in posts if post.viewer_bookmarked}
                self.pinned = {post.id for post in posts if post.viewer_pinned}
            else:
                state = viewer_state(viewer, post_ids)
                self.bookmarked, self.pinned = state.bookmarked, state.pinned
        comment_ids = [c.id for c in comments]
        if comment_ids:
            if viewer is not None:
                self.liked_comments = set(
                    Like.objects.filter(person=viewer, comment_id__in=comment_ids).values_list("comment_id", flat=True)
                )
            self.reply_counts = visible_reply_counts(viewer, comment_ids)
        self.accounts = {
            int(entity["id"]): entity
            for entity in accounts(list(persons.values()))
        }


    def _load_extras(self, post_ids: list[int], remote_post_ids: list[int], remote_comment_ids: list[int]) -> None:
        """Tags and mentions of the posts and the URIs of remote posts and comments: one UNION
        query (kith/core/sql.py says why by hand), in the order they were written."""
        parts: list[str] = []
        params: list[int] = []
        # Table names come from the models and every value is a parameter.  PostgreSQL types
        # a UNION's columns from its first branches: the NULLs say what they stand in for.
        if post_ids:
            marks = sql.placeholders(post_ids)
            parts += [
                f"SELECT 1, pt.id, pt.post_id, t.name, CAST(NULL AS BIGINT), NULL FROM {sql.table(PostTag)} pt "  # noqa: S608
                f"JOIN {sql.table(Tag)} t ON t.id = pt.tag_id WHERE pt.post_id IN ({marks})",
                f"SELECT 2, pm.id, pm.post_id, p.username, p.id, p.domain FROM {sql.table(PostMention)} pm "  # noqa: S608
                f"JOIN {sql.table(Person)} p ON p.id = pm.person_id WHERE pm.post_id IN ({marks})",
            ]
            params += post_ids + post_ids
        ids = wire_ids()  # column names come from the adapter's registration, not input
        if remote_post_ids and ids is not None:
            table = ids.remote_posts
            parts.append(f"SELECT 3, id, {table.key}, {table.uri}, NULL, NULL FROM {sql.table(table.model)} "  # noqa: S608
                         f"WHERE {table.key} IN ({sql.placeholders(remote_post_ids)})")
            params += remote_post_ids
        if remote_comment_ids and ids is not None:
            table = ids.remote_comments
            parts.append(f"SELECT 4, id, {table.key}, {table.uri}, NULL, NULL FROM {sql.table(table.model)} "  # noqa: S608
                         f"WHERE {table.key} IN ({sql.placeholders(remote_comment_ids)})")
            params += remote_comment_ids
        if not parts:
            return  # remote rows' ids, with no federation adapter installed to have stored any
        for kind, _, item_id, text, person_id, domain in sql.fetch(" UNION ALL ".join(parts) + " ORDER BY 1, 2", params):
            if kind == 1:
                self.tags[item_id].append(text)
            elif kind == 2:
                self.mentions[item_id].append(Person(id=person_id, username=text, domain=domain))
            else:
                self.remote_uris[("post" if kind == 3 else "comment", item_id)] = text


def statuses(viewer: Viewer, items: Sequence[Post | Comment]) -> list[dict[str, Any]]:
    """Status entities for posts and comments the viewer may see (already checked), in order.

    Posts should come from kith.social.selectors (authors, media, polls and the
    viewer's likes, reshares and votes attached); comments with `author`,
    `post__author` and `parent` selected."""
    posts: list[Post] = []
    comments: list[Comment] = []
    for item in items:
        if isinstance(item, Comment):
            comments.append(item)
        else:
            posts.append(item)
            if item.reshare_of_id:
                posts.append(item.reshare_of)
    batch = _Batch(viewer, posts, comments)
    return [
        _comment_status(item, batch, viewer) if isinstance(item, Comment) else _post_status(item, batch, viewer)
        for item in items
    ]


def status(viewer: Viewer, item: Post | Comment) -> dict[str, Any]:
    return statuses(viewer, [item])[0]


def _post_uri(post: Post, batch: _Batch) -> str:
    ids = wire_ids()
    if post.author.is_local:
        return ids.post(post.author.username, post.id) if ids is not None else absolute(f"/posts/{post.id}")
    return batch.remote_uris.get(("post", post.id), absolute(f"/posts/{post.id}"))


# Viewer-relative fields, null for an anonymous viewer (Mastodon omits them then; Kith has
# always sent them as null, the schema's default).
_NO_VIEWER_STATE = {"favourited": None, "reblogged": None, "muted": None, "bookmarked": None, "pinned": None}


def _post_status(post: Post, batch: _Batch, viewer: Viewer) -> dict[str, Any]:
    shown = post.reshare_of if post.reshare_of_id else post
    entity = {
        "id": str(post.id),
        "uri": _post_uri(post, batch),
        "url": absolute(f"/posts/{post.id}") if post.author.is_local else _post_uri(post, batch),
        "created_at": iso(post.created_at),
        "edited_at": iso(post.edited_at),
        "account": batch.accounts[post.author_id],
        "content": "" if post.reshare_of_id else post.html,
        "visibility": MASTODON_VISIBILITY[post.visibility],
        "sensitive": media_is_sensitive(post),  # staff marking the post or its author included
        "spoiler_text": post.content_warning,
        "language": post.language or None,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog": _post_status(shown, batch, viewer) if post.reshare_of_id else None,
        "media_attachments": [] if post.reshare_of_id else [media_attachment(m, viewer) for m in post.media.all()],
        "mentions": [
            {"id": str(p.id), "username": p.username, "acct": acct(p), "url": profile_url(p)}
            for p in batch.mentions.get(post.id, [])
        ],
        "tags": [tag(name) for name in batch.tags.get(post.id, [])],
        "emojis": [],
        "card": None,
        "application": None,
        "poll": None,
        "replies_count": shown.comment_count,
        "reblogs_count": shown.reshare_count,
        "favourites_count": shown.like_count,
        "filtered": [],
        **_NO_VIEWER_STATE,
        "text": None,
    }
    poll_row = getattr(post, "poll", None) if not post.reshare_of_id else None
    if poll_row is not None:
        votes = getattr(post, "viewer_votes", None) if viewer is not None else None
        entity["poll"] = poll(post, poll_row, votes)
    if viewer is not None:
        entity["favourited"] = bool(getattr(shown, "viewer_liked", False))
        entity["reblogged"] = bool(getattr(shown, "viewer_reshared", False))
        entity["bookmarked"] = shown.id in batch.bookmarked
        entity["pinned"] = post.id in batch.pinned
        entity["muted"] = False
    return entity


def _comment_status(comment: Comment, batch: _Batch, viewer: Viewer) -> dict[str, Any]:
    post = comment.post
    if comment.parent_id:
        reply_to_id, reply_to_account = comment.parent_id, comment.parent.author_id
    else:
        reply_to_id, reply_to_account = post.id, post.author_id
    if comment.author.is_local:
        url = absolute(f"/posts/{post.id}#comment-{comment.id}")
        ids = wire_ids()
        uri = ids.comment(comment.author.username, comment.id) if ids is not None else url
    else:
        uri = url = batch.remote_uris.get(("comment", comment.id), absolute(f"/posts/{post.id}#comment-{comment.id}"))
    entity = {
        "id": str(comment.id),
        "uri": uri,
        "url": url,
        "created_at": iso(comment.created_at),
        "edited_at": iso(comment.edited_at),
        "account": batch.accounts[comment.author_id],
        "content": comment.html,
        "visibility": MASTODON_VISIBILITY[post.visibility],
        "sensitive": False,
        "spoiler_text": "",
        "language": None,
        "in_reply_to_id": str(reply_to_id),
        "in_reply_to_account_id": str(reply_to_account),
        "reblog": None,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "application": None,
        "poll": None,
        "replies_count": batch.reply_counts.get(comment.id, 0),
        "reblogs_count": 0,
        "favourites_count": comment.like_count,
        "filtered": [],
        **_NO_VIEWER_STATE,
        "text": None,
    }
    if viewer is not None:
        entity["favourited"] = comment.id in batch.liked_comments
        entity["reblogged"] = False
        entity["bookmarked"] = False
        entity["pinned"] = False
        entity["muted"] = False
    return entity


def ids_of(items: Iterable[Any]) -> list[int]:
    return [item.id for item in items]


# ---- relationships ------------------------------------------------------------------------


def relationships(viewer: Person, persons: Sequence[Person]) -> list[dict[str, Any]]:
    """Relationship entities between the viewer and each person, in order, in a fixed number of
    queries (kith.graph.selectors.relationships)."""
    from kith.graph.selectors import relationships as graph_relationships

    found = graph_relationships(viewer, persons)
    rendered = []
    for person in persons:
        rel = found[person.id]
        rendered.append({
            "id": str(person.id),
            "following": rel.following,
            # Kith has no per-follow "hide their boosts": a follow (or request) shows them.
            "showing_reblogs": rel.following or rel.requested,
            "notifying": False,
            "languages": None,
            "followed_by": rel.followed_by,
            "blocking": rel.blocking,
            "blocked_by": rel.blocked_by,
            "muting": rel.muting,
            "muting_notifications": rel.muting_notifications,
            "requested": rel.requested,
            "requested_by": rel.requested_by,
            "domain_blocking": rel.domain_blocking,
            "endorsed": False,
            "note": "",
        })
    return rendered


def relationship(viewer: Person, person: Person) -> dict[str, Any]:
    return relationships(viewer, [person])[0]


# ---- applications (kith/api/clients.py) ------------------------------------------------


def application(app: Any, *, client_secret: str | None = None) -> dict[str, Any]:
    """An oauth2_provider Application as Mastodon's Application; with its secret (only known
    at registration) as a CredentialApplication."""
    from kith.api.clients import registration

    registered = registration(app)
    uris = app.redirect_uris.split()
    entity: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": (registered.website or None) if registered else None,
        "scopes": registered.scope_list() if registered else [],
        # Deprecated in 4.3 but still read by clients: the URIs newline-separated.
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
    }
    if client_secret is not None:
        entity.update(client_id=app.client_id, client_secret=client_secret, client_secret_expires_at=0)
    return entity


# ---- status edits, sources and scheduled statuses (statuses endpoints) ---------------------


def status_edits(item: Post | Comment, revisions: Sequence[Any], media: Sequence[Media],
                 viewer: Viewer = None) -> list[dict[str, Any]]:
    """StatusEdit entities, oldest first, ending with the current version.  `revisions` are the
    item's PostRevision / CommentRevision rows (oldest first); `media` the post's photos now
    (an earlier version shows those of its photos that are still attached)."""
    author = account(item.author)
    by_id = {m.id: m for m in media}
    current_poll = getattr(item, "poll", None) if isinstance(item, Post) else None

    def version(html: str, warning: str, sensitive: bool, created: datetime, media_ids: Sequence[int],
                poll_titles: Sequence[str] | None) -> dict[str, Any]:
        return {
            "content": html,
            "spoiler_text": warning,
            "sensitive": sensitive or bool(warning),
            "created_at": iso(created),
            "account": author,
            "poll": {"options": [{"title": t} for t in poll_titles]} if poll_titles is not None else None,
            "media_attachments": [media_attachment(by_id[i], viewer) for i in media_ids if i in by_id],
            "emojis": [],
        }

    if isinstance(item, Comment):
        versions = [version(r.html, "", False, r.created_at, (), None) for r in revisions]
        return [*versions, version(item.html, "", False, item.edited_at or item.created_at, (), None)]
    versions = [
        version(r.html, r.content_warning, r.sensitive, r.created_at, r.media_ids or (), r.poll_options)
        for r in revisions
    ]
    titles = [o.title for o in current_poll.options.all()] if current_poll is not None else None
    current = version(item.html, item.content_warning, item.sensitive, item.edited_at or item.created_at,
                      [m.id for m in media], titles)
    return [*versions, current]


def status_source(item: Post | Comment) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "text": item.source,
        "spoiler_text": item.content_warning if isinstance(item, Post) else "",
    }


def scheduled_statuses(rows: Sequence[Any], owner: Viewer = None) -> list[dict[str, Any]]:
    """ScheduledStatus entities for kith.social ScheduledPost rows (their photos in one query)."""
    from kith.social.drafts import Draft

    drafts = {row.id: Draft.from_json(row.draft) for row in rows}
    media_ids = {media_id for draft in drafts.values() for media_id in draft.media_ids}
    media = Media.objects.in_bulk(list(media_ids)) if media_ids else {}
    rendered = []
    for row in rows:
        draft = drafts[row.id]
        poll_draft = draft.poll
        rendered.append({
            "id": str(row.id),
            "scheduled_at": iso(row.scheduled_at),
            "params": {
                "text": draft.text,
                "poll": None if poll_draft is None else {
                    "options": list(poll_draft.options),
                    "expires_in": str(int(poll_draft.expires_in.total_seconds())) if poll_draft.expires_in else None,
                    "multiple": poll_draft.multiple,
                    "hide_totals": False,
                },
                "media_ids": [str(i) for i in draft.media_ids] or None,
                "sensitive": draft.sensitive,
                "spoiler_text": draft.content_warning or None,
                "visibility": draft.extra.get("visibility") or MASTODON_VISIBILITY[draft.visibility],
                "in_reply_to_id": str(draft.in_reply_to_id) if draft.in_reply_to_id else None,
                "language": draft.language or None,
                "application_id": None,
                "scheduled_at": None,
                "idempotency": draft.extra.get("idempotency"),
                "with_rate_limit": False,
                "kith_aspect_ids": [str(i) for i in draft.aspect_ids] or None,
            },
            "media_attachments": [media_attachment(media[i], owner) for i in draft.media_ids if i in media],
        })
    return rendered


# ---- tags with history, reports (search, trends, followed tags, reports) ----------------


def _unix_day(day: Any) -> str:
    return str(int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()))


def tags(viewer: Viewer, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Tag entities with seven days of history (and `following` for a logged-in viewer) for a
    list of kith.social Tag rows, in two queries whatever the length.  A Tag not stored yet
    (`id` None: asked for by name, never used) renders with an empty history."""
    from kith.social.selectors import blank_history, followed_tag_ids, tag_histories

    rows = list(rows)
    stored = [row.id for row in rows if row.id is not None]
    histories = tag_histories(stored)
    followed = followed_tag_ids(viewer, stored)
    blank = blank_history()
    rendered = []
    for row in rows:
        entity = {
            "id": str(row.id) if row.id is not None else "",
            **tag(row.name),
            "history": [
                {"day": _unix_day(use.day), "uses": str(use.uses), "accounts": str(use.accounts)}
                for use in histories.get(row.id, blank)
            ],
        }
        if viewer is not None:
            entity["following"] = row.id in followed
        rendered.append(entity)
    return rendered


def report(report_row: Any) -> dict[str, Any]:
    """A Report entity (kith.moderation Report with target, posts and comments loaded)."""
    return reports([report_row])[0]


def reports(report_rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Report entities, their target accounts rendered in one batch (rows with target, posts
    and comments loaded)."""
    from kith.moderation.models import ReportState

    targets = {int(entity["id"]): entity for entity in accounts(list({r.target_id: r.target for r in report_rows}.values()))}
    rendered = []
    for report_row in report_rows:
        status_ids = [*(p.id for p in report_row.posts.all()), *(c.id for c in report_row.comments.all())]
        rendered.append({
            "id": str(report_row.id),
            "action_taken": report_row.state != ReportState.OPEN,
            "action_taken_at": iso(report_row.resolved_at),
            "category": report_row.category,
            "comment": report_row.comment,
            "forwarded": report_row.forwarded,
            "created_at": iso(report_row.created_at),
            "status_ids": [str(i) for i in sorted(status_ids)],
            "rule_ids": [rule["id"] for rule in report_row.rules] or None,
            "target_account": targets[report_row.target_id],
        })
    return rendered


# ---- notifications, lists, markers, filters (kith/api/endpoints/{notifications,lists,timelines,filters}.py)

# Kith's notification kinds as Mastodon's types.  A comment is a reply status, so being
# commented on (or commented after) is a mention whose status is the comment; a private
# message is a direct status, announced as Mastodon announces one: a mention.
NOTIFICATION_TYPES = {
    "mentioned": "mention",
    "commented": "mention",
    "also_commented": "mention",
    "replied": "mention",
    "private_message": "mention",
    "liked": "favourite",
    "reshared": "reblog",
    "followed": "follow",
    "started_sharing": "follow",
    "follow_request": "follow_request",
    "poll_ended": "poll",
    "severed_relationships": "severed_relationships",
    "moderation_warning": "moderation_warning",
    # Staff are told of a new report (Mastodon's admin.report, with the report).
    "admin_report": "admin.report",
}
# Kinds Mastodon has no type for, left out of clients' lists: a reporter's outcome notice
# (read on the web notifications page).
NOTIFICATION_KINDS_WITHOUT_TYPE: tuple[str, ...] = ("report_outcome",)


def notifications(viewer: Person, rows: Sequence[Any], targets: dict[int, Any]) -> list[dict[str, Any]]:
    """Notification entities for `rows`, in order, with their actors and statuses rendered in one
    batch each.  `targets` (timelines.selectors.notification_targets) holds the post or comment
    of each row the viewer may see; a row about something missing from it is dropped, so a
    notification never carries (nor hints at) a status its recipient can no longer see."""
    shown = [
        row for row in rows
        if row.kind in NOTIFICATION_TYPES and (row.id in targets or (row.post_id is None and row.comment_id is None))
    ]
    reported = _notified_reports(viewer, [row for row in shown if row.kind == "admin_report"])
    shown = [row for row in shown if row.kind != "admin_report" or row.id in reported]
    actors = {int(entity["id"]): entity for entity in accounts(list({row.actor_id: row.actor for row in shown}.values()))}
    with_status = [row for row in shown if row.id in targets]
    rendered = dict(zip([row.id for row in with_status], statuses(viewer, [targets[row.id] for row in with_status]),
                        strict=True))
    warnings = _account_warnings(viewer, [row for row in shown if row.kind == "moderation_warning"], actors)
    shown = [row for row in shown if row.kind != "moderation_warning" or row.id in warnings]
    entities = []
    for row in shown:
        entity = {
            "id": str(row.id),
            "type": NOTIFICATION_TYPES[row.kind],
            "created_at": iso(row.created_at),
            "group_key": f"ungrouped-{row.id}",
            "account": actors[row.actor_id],
            "status": rendered.get(row.id),
            "event": severance_event(row),
        }
        if row.id in warnings:
            entity["moderation_warning"] = warnings[row.id]
        if row.id in reported:
            entity["report"] = reported[row.id]
        entities.append(entity)
    return entities


# Kith's action kinds as Mastodon's AccountWarning actions.
WARNING_ACTIONS = {
    "warn": "none", "delete": "delete_statuses", "limit": "silence", "freeze": "disable", "suspend": "suspend",
}


def account_warning(action: Any, target: dict[str, Any]) -> dict[str, Any]:
    """An AccountWarning entity for a kith.moderation AccountAction (its appeal loaded)."""
    if action.kind == "sensitive":
        kind = "mark_statuses_as_sensitive" if action.post_ids else "sensitive"
    else:
        kind = WARNING_ACTIONS.get(action.kind, "none")
    status_ids = [*action.post_ids, *action.comment_ids]
    appeal = getattr(action, "appeal", None) if _has_appeal(action) else None
    return {
        "id": str(action.id),
        "action": kind,
        "text": action.reason,
        "status_ids": status_ids or None,
        "target_account": target,
        "appeal": {"text": appeal.text, "state": appeal.state} if appeal is not None else None,
        "created_at": iso(action.created_at),
    }


def _has_appeal(action: Any) -> bool:
    from django.core.exceptions import ObjectDoesNotExist

    try:
        action.appeal  # noqa: B018 - a missing reverse one-to-one raises
    except ObjectDoesNotExist:
        return False
    return True


def _account_warnings(viewer: Person, rows: Sequence[Any], actors: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The AccountWarning of each moderation_warning row about one of the viewer's own actions
    (one query); a row whose action is gone is left out."""
    if not rows:
        return {}
    from kith.moderation.models import AccountAction

    wanted = {row.data.get("action_id") for row in rows if isinstance(row.data.get("action_id"), int)}
    found = {
        action.id: action
        for action in AccountAction.objects.filter(id__in=wanted, target_id=viewer.id).select_related("appeal")
    }
    return {
        row.id: account_warning(found[row.data["action_id"]], actors[row.actor_id])
        for row in rows
        if row.data.get("action_id") in found
    }


def severance_event(row: Any) -> dict[str, Any] | None:
    """Mastodon's RelationshipSeveranceEvent for a `severed_relationships` notification (a domain
    or a remote account suspended by this pod's staff: their content was purged); None for others."""
    if row.kind != "severed_relationships":
        return None
    data = row.data or {}
    by_account = bool(data.get("account"))
    return {
        "id": str(row.id),
        "type": "account_suspension" if by_account else "domain_block",
        "purged": True,
        "target_name": str(data.get("account") if by_account else data.get("domain", "")),
        "followers_count": int(data.get("followers_lost", 0)),
        "following_count": int(data.get("following_lost", 0)),
        "created_at": iso(row.created_at),
    }


def _notified_reports(viewer: Person, rows: Sequence[Any]) -> dict[int, dict[str, Any]]:
    """The Report entity of each admin.report notification, by notification id: for staff
    only (someone no longer staff is not shown the reports they were once told of)."""
    account = getattr(viewer, "account", None)
    if not rows or account is None or not account.is_moderator:
        return {}
    from kith.moderation.selectors import reports_by_id

    found = reports_by_id([row.data["report_id"] for row in rows if isinstance(row.data.get("report_id"), int)])
    wanted = [(row.id, found[row.data["report_id"]]) for row in rows if row.data.get("report_id") in found]
    return dict(zip([key for key, _ in wanted], reports([r for _, r in wanted]), strict=True))


def list_entity(aspect: Any) -> dict[str, Any]:
    """An aspect as a Mastodon list.  Kith's list timeline holds the members' posts only (comments
    are not timeline entries), which is what `replies_policy: list` means to a client; an aspect
    never hides its members from the home timeline, so it is never `exclusive`."""
    return {"id": str(aspect.id), "title": aspect.name, "replies_policy": "list", "exclusive": False}


def markers(rows: Sequence[Any]) -> dict[str, Any]:
    return {
        row.timeline: {"last_read_id": str(row.last_read_id), "version": row.version, "updated_at": iso(row.updated_at)}
        for row in rows
    }


def filter_keyword(keyword: Any) -> dict[str, Any]:
    return {"id": str(keyword.id), "keyword": keyword.keyword, "whole_word": keyword.whole_word}


def filter_status(row: Any) -> dict[str, Any]:
    return {"id": str(row.id), "status_id": str(row.post_id or row.comment_id)}


def filter_entity(filter_row: Any, *, parts: bool = True) -> dict[str, Any]:
    """A v2 Filter; `parts=False` leaves keywords and statuses out (as inside a FilterResult)."""
    entity: dict[str, Any] = {
        "id": str(filter_row.id),
        "title": filter_row.title,
        "context": list(filter_row.contexts),
        "expires_at": iso(filter_row.expires_at),
        "filter_action": filter_row.action,
    }
    if parts:
        entity["keywords"] = [filter_keyword(k) for k in filter_row.keywords.all()]
        entity["statuses"] = [filter_status(s) for s in filter_row.statuses.all()]
    return entity


def conversations(viewer: Person, rows: Sequence[Any], last_statuses: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Mastodon Conversations: the other participants, read state and newest message (by
    `last_visible_id` in `last_statuses`); every participant's account rendered in one batch."""
    people = {p.person_id: p.person for row in rows for p in row.participants.all() if p.person_id != viewer.id}
    rendered = {int(entity["id"]): entity for entity in accounts(list(people.values()))}
    return [
        {
            "id": str(row.id),
            "unread": bool(row.unread),
            "accounts": [rendered[p.person_id] for p in row.participants.all() if p.person_id != viewer.id],
            "last_status": last_statuses.get(row.last_visible_id),
        }
        for row in rows
    ]
