"""Who may see what: the single authority every read path asks.

Web pages, the API, streams, search, notifications, media and (later)
federation fetches all call these functions; none decides on its own.  There
are two forms of each rule: a predicate for one object (`can_see_post`) and a
queryset filter for many (`visible_posts`).  tests/visibility checks that the
two agree for every kind of viewer, visibility and read path.

The rules, in order:
1. Nothing of a person who is not active (suspended, deleted) is shown.
2. Authors always see their own things.
3. A block in either direction hides the author's things from the other.
4. Public and unlisted posts are seen by everyone else, logged in or not.
5. Limited and direct posts are seen only by the people in their audience,
   fixed when the post was published.
6. A reshare is seen only if the reshared post is seen too.
7. Comments and likes are seen by whoever sees their post, minus blocks
   between the viewer and the comment's or like's author.  A comment total
   counts exactly the comments the viewer is shown (`visible_comment_counts`),
   so a hidden comment is never given away by the number under the post.
7a. A comment by someone the post's author has blocked is shown to nobody,
   logged in or not (the commenter included: the block hides the post from
   them).  The author's block is their moderation of their own thread, as
   deleting the comment would be: if it only hid the comment from the author,
   a logged-out visitor or any stranger would still read, under the author's
   post, what the author refused.  It is one rule for every viewer, so the
   thread and its count look the same to all third parties; lifting the block
   shows the comment again.
8. Notifications from a domain the viewer blocked (graph.DomainBlock) are hidden.

Who gets or counts what, decided here too (each with its case in tests/visibility):
9. A photo is public (a stable URL that shared caches may keep) only on a public or
   unlisted post (`photo_is_public`).
10. A person's post total and last-post date count their public and unlisted posts only,
   the same for every viewer (`COUNTED_POST_VISIBILITIES`).
10a. Public listings (the pod's public timelines, trending posts, the public streaming
   channels, a person's ActivityPub outbox) show original public posts only: no reshares,
   no unlisted posts (`publicly_listed_posts`, `is_publicly_listed`).
11. Tag pages list public posts only, and a tag is named (search, trends) only through its
   uses in public posts of active people (`tag_listed_posts`, `public_tag_uses`).
12. Only a public post may be reshared, here or by another server's Announce (`is_resharable`).
13. A post enters streams unless it is a direct message; it goes to the local, active
   people of its audience (limited) or the author's followers and the people it mentions
   (open), and a public one to the followers of its tags, never to a muter or a block
   partner of its author or of what it reshares (`enters_streams`, `stream_recipient_sources`,
   `kept_from_stream`).
14. An open post is delivered to other servers for its author's followers and the people it
   mentions; a limited or direct one only to its fixed audience (`delivered_to_followers`).

Moderation (issue 14), decided here too:
15. A limited person (`Person.limited`: staff limited the account, or its domain is silenced;
   Mastodon's "silence") reaches only the people who already follow them:
   a. their public and unlisted posts (and reshares) are seen by themselves and their accepted
      followers only; their limited and direct posts by their fixed audience as before (the
      author chose to share with them).  Logged out, nobody sees them.  Rule 6 then hides
      anyone's reshare of their posts from whoever does not follow them.
   b. their posts are never listed: not on public timelines, tag pages and timelines, followed
      tags, search results, trends or an ActivityPub outbox, for anyone, followers and the
      author included (`publicly_listed_posts`, `tag_listed_posts`, `searchable_posts`,
      `public_tag_uses`); their photos are never public (rule 9).
   c. their comments on other people's posts are seen only by themselves, their followers
      and the post's author (whose thread it is); on their own posts, by whoever sees the post.
   d. a notification with them as its actor is made (kith.timelines.notify) and shown only
      for a recipient who follows them; moderation notices are exempt.
   e. they are not listed in the directory or suggestions, and people search finds them by
      their exact handle only, unless the searcher follows them (`discoverable_persons`,
      `found_by_name`).
   f. fan-out writes an open post of theirs only into their followers' streams (no tag
      followers, no mentioned strangers: rule 13).
   There is no exception for staff: moderators see a limited person's content like anyone
   else here, and in the moderation area through the report snapshot and the account page.
   Delivery to other servers is unchanged (rule 14): each pod applies its own policies.
16. A post's photos are sensitive (behind a click on the web, `sensitive: true` in the API and
   on the wire) when its author marked it so or gave it a content warning, when staff marked
   the post, or when staff marked every post of its author (`Person.force_sensitive`):
   `media_is_sensitive`.
17. A moderation notice (a warning or action on the reader, their report's outcome,
   connections lost to a suspension, a new report for staff) reaches its recipient whatever
   the state, blocks or limits of the account it names: `MODERATION_NOTIFICATION_KINDS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet

from kith.core import sql
from kith.graph.models import AspectMembership, Block, DomainBlock, Follow, FollowState, Mute
from kith.people.models import AccountState, Person
from kith.social.models import (
    LIMITED_VISIBILITIES,
    PUBLIC_VISIBILITIES,
    Comment,
    Like,
    Media,
    Post,
    PostAudience,
    PostMention,
    PostTag,
    TagFollow,
    Visibility,
)
from kith.timelines.models import MODERATION_NOTIFICATION_KINDS, Notification, StreamReason

Viewer = Person | None
_Row = TypeVar("_Row", bound=Model)


# ---- blocks ---------------------------------------------------------------------


def blocked_either_way(viewer: Viewer, other_id: int) -> bool:
    if viewer is None or viewer.id == other_id:
        return False
    return Block.objects.filter(
        Q(blocker_id=viewer.id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=viewer.id)
    ).exists()


def _block_partner_ids(viewer: Person) -> list[int]:
    """Everyone a block stands between the viewer and, either way (one query)."""
    rows = Block.objects.filter(Q(blocker_id=viewer.id) | Q(blocked_id=viewer.id)).values_list(
        "blocker_id", "blocked_id"
    )
    return sorted({blocked if blocker == viewer.id else blocker for blocker, blocked in rows} - {viewer.id})


def _not_among(person_field: str, person_ids: Sequence[int]) -> Q:
    return ~Q(**{f"{person_field}__in": person_ids}) if person_ids else Q()


def _blocks_with(viewer: Person, person_field: str) -> Q:
    """A Q true when a block stands between the viewer and the row's `person_field`."""
    return Q(
        Exists(Block.objects.filter(blocker_id=viewer.id, blocked_id=OuterRef(person_field)))
    ) | Q(Exists(Block.objects.filter(blocker_id=OuterRef(person_field), blocked_id=viewer.id)))


# ---- limited people (rule 15) ---------------------------------------------------------


def follows(viewer: Viewer, person_id: int) -> bool:
    """Whether the viewer follows the person (an accepted follow)."""
    if viewer is None:
        return False
    return Follow.objects.filter(follower_id=viewer.id, followee_id=person_id, state=FollowState.ACCEPTED).exists()


def _reaches(viewer: Viewer, person: str) -> Q:
    """Rule 15 as a Q: the person at the relation `person` (e.g. "author", "post__author") is
    not limited, or the viewer follows them.  The EXISTS on Follow (its unique (follower,
    followee) index) is only needed for limited people: one correlated probe in the same
    statement, never a query per row."""
    not_limited = Q(**{f"{person}__limited": False})
    if viewer is None:
        return not_limited
    following = Exists(
        Follow.objects.filter(follower_id=viewer.id, followee_id=OuterRef(f"{person}_id"), state=FollowState.ACCEPTED)
    )
    return not_limited | Q(following)


def _reaches_one(viewer: Viewer, person: Person) -> bool:
    """Rule 15 for one person already loaded (a query only when they are limited)."""
    return not person.limited or (viewer is not None and (viewer.id == person.id or follows(viewer, person.id)))


def discoverable_persons(persons: QuerySet[Person]) -> QuerySet[Person]:
    """Rule 15e: of `persons`, those the directory and follow suggestions may list: no limited
    person, whoever asks (as Mastodon leaves silenced accounts out of its directory)."""
    return persons.filter(limited=False)


def found_by_name(viewer: Viewer, persons: QuerySet[Person]) -> QuerySet[Person]:
    """Rule 15e: of `persons`, those people search may find by a part of their name: a limited
    person only for themselves and their followers (anyone may still find them by their exact
    handle, as one reaches a person whose address one knows)."""
    shown = Q(limited=False)
    if viewer is not None:
        following = Exists(
            Follow.objects.filter(follower_id=viewer.id, followee_id=OuterRef("id"), state=FollowState.ACCEPTED)
        )
        shown |= Q(id=viewer.id) | Q(following)
    return persons.filter(shown)


# ---- persons and profiles -----------------------------------------------------------


def can_see_person(viewer: Viewer, person: Person) -> bool:
    """Whether the person's profile page and public profile fields are shown."""
    if viewer is not None and viewer.id == person.id:
        return True
    return person.state == AccountState.ACTIVE


def visible_persons(viewer: Viewer, persons: QuerySet[Person] | None = None) -> QuerySet[Person]:
    persons = Person.objects.all() if persons is None else persons
    persons = persons.filter(state=AccountState.ACTIVE)
    if viewer is not None:
        persons = persons.exclude(_blocks_with(viewer, "id") & ~Q(id=viewer.id))
    return persons


def can_see_private_profile(viewer: Viewer, person: Person) -> bool:
    """diaspora*'s private profile (location, birthday, gender): for people the person shares with."""
    if viewer is None:
        return False
    if viewer.id == person.id:
        return True
    if not can_see_person(viewer, person) or blocked_either_way(viewer, person.id):
        return False
    return AspectMembership.objects.filter(aspect__owner_id=person.id, person_id=viewer.id).exists()


# ---- posts ------------------------------------------------------------------------


def _post_seen_ignoring_reshare(viewer: Viewer, post: Post) -> bool:
    if post.author.state != AccountState.ACTIVE:
        return viewer is not None and viewer.id == post.author_id and post.author.state != AccountState.DELETED
    if viewer is not None and viewer.id == post.author_id:
        return True
    if blocked_either_way(viewer, post.author_id):
        return False
    if post.visibility in PUBLIC_VISIBILITIES:
        return _reaches_one(viewer, post.author)  # rule 15a
    if viewer is None:
        return False
    return PostAudience.objects.filter(post_id=post.id, person_id=viewer.id).exists()


def can_see_post(viewer: Viewer, post: Post) -> bool:
    if not _post_seen_ignoring_reshare(viewer, post):
        return False
    if post.reshare_of is not None:  # no query when reshare_of_id is None
        return _post_seen_ignoring_reshare(viewer, post.reshare_of)
    return True


def _post_condition(viewer: Viewer, prefix: str = "", block_partners: Sequence[int] | None = None) -> Q:
    """The rules 1-5 as a Q over posts (fields prefixed with `prefix`).

    `block_partners` (from `_block_partner_ids`) replaces the block subqueries with an
    id list, for filters that repeat the rule over many joined rows."""
    author_active = Q(**{f"{prefix}author__state": AccountState.ACTIVE})
    public = Q(**{f"{prefix}visibility__in": PUBLIC_VISIBILITIES})
    # Rule 15a: an open post of a limited author reaches their followers only.
    reached = _reaches(viewer, f"{prefix}author")
    if viewer is None:
        return author_active & public & reached
    own = Q(**{f"{prefix}author_id": viewer.id}) & ~Q(**{f"{prefix}author__state": AccountState.DELETED})
    # Audience rows exist for limited and direct posts only (fixed at publishing).
    in_audience = Q(Exists(PostAudience.objects.filter(post_id=OuterRef(f"{prefix}id"), person_id=viewer.id)))
    if block_partners is None:
        not_blocked = ~_blocks_with(viewer, f"{prefix}author_id")
    else:
        not_blocked = _not_among(f"{prefix}author_id", block_partners)
    return own | (author_active & not_blocked & ((public & reached) | (~public & in_audience)))


def visible_posts(viewer: Viewer, posts: QuerySet[Post] | None = None) -> QuerySet[Post]:
    """The posts `viewer` may see, out of `posts` (default: all)."""
    posts = Post.objects.all() if posts is None else posts
    reshare_ok = Q(reshare_of__isnull=True) | _post_condition(viewer, "reshare_of__")
    return posts.filter(_post_condition(viewer) & reshare_ok)


def _visible_post_at(viewer: Viewer, prefix: str, block_partners: Sequence[int] | None = None) -> Q:
    """Rules 1-6 as a Q over the post whose fields are prefixed with `prefix` (e.g. "post__")."""
    reshare_ok = Q(**{f"{prefix}reshare_of__isnull": True}) | _post_condition(
        viewer, f"{prefix}reshare_of__", block_partners
    )
    return _post_condition(viewer, prefix, block_partners) & reshare_ok


def filter_by_post_visibility(viewer: Viewer, rows: QuerySet[_Row], path: str) -> QuerySet[_Row]:
    """Keep the rows (of any model) whose post at `path` (e.g. "post") the viewer may see.

    Used where a read walks an index of another table, such as stream rows
    ordered by post id, so the database applies the rules row by row and can
    stop at the page size.
    """
    prefix = f"{path}__"
    reshare_ok = Q(**{f"{prefix}reshare_of__isnull": True}) | _post_condition(viewer, f"{prefix}reshare_of__")
    return rows.filter(_post_condition(viewer, prefix) & reshare_ok)


def is_resharable(post: Post) -> bool:
    """Rule 12: only a public post may be reshared, by anyone, here or by another server's
    Announce: a limited, direct or unlisted post's audience never widens."""
    return post.visibility == Visibility.PUBLIC


def can_reshare(viewer: Viewer, post: Post) -> bool:
    """Only public posts travel further; a limited post's audience never widens."""
    target = post.reshare_of or post  # no query when reshare_of_id is None
    return (
        viewer is not None
        and is_resharable(target)
        and target.author_id != viewer.id
        and can_see_post(viewer, target)
    )


def can_see_audience(viewer: Viewer, post: Post) -> bool:
    """Which aspects a limited post went to, and to how many people, is the author's alone to see
    (aspect names are private: nobody else learns what their aspects are called, or who is in them)."""
    return viewer is not None and viewer.id == post.author_id and post.visibility == Visibility.LIMITED


def can_interact(viewer: Viewer, post: Post) -> bool:
    """Comment on, like or vote in: needs a logged-in viewer who sees the post."""
    return viewer is not None and viewer.state == AccountState.ACTIVE and can_see_post(viewer, post)


# ---- comments and likes -------------------------------------------------------------


def _blocked_by_post_author(prefix: str = "") -> Q:
    """Rule 7a as a Q over comments (fields prefixed with `prefix`): the post's author blocked the commenter."""
    return Q(
        Exists(Block.objects.filter(blocker_id=OuterRef(f"{prefix}post__author_id"), blocked_id=OuterRef(f"{prefix}author_id")))
    )


def _limited_commenter_reaches(viewer: Viewer, prefix: str = "") -> Q:
    """Rule 15c as a Q over comments (fields prefixed with `prefix`): the commenter is not
    limited, or it is their own post's thread, or the viewer is the commenter, the post's
    author or one of the commenter's followers."""
    shown = Q(**{f"{prefix}author_id": F(f"{prefix}post__author_id")}) | _reaches(viewer, f"{prefix}author")
    if viewer is not None:
        shown |= Q(**{f"{prefix}author_id": viewer.id}) | Q(**{f"{prefix}post__author_id": viewer.id})
    return shown


def _limited_commenter_reaches_one(viewer: Viewer, comment: Comment) -> bool:
    """Rule 15c for one comment already loaded (a query only for a limited commenter)."""
    if not comment.author.limited or comment.author_id == comment.post.author_id:
        return True
    if viewer is not None and viewer.id in (comment.author_id, comment.post.author_id):
        return True
    return follows(viewer, comment.author_id)


def can_see_comment(viewer: Viewer, comment: Comment) -> bool:
    if comment.author.state != AccountState.ACTIVE and not (viewer and viewer.id == comment.author_id):
        return False
    if viewer is not None and viewer.id != comment.author_id and blocked_either_way(viewer, comment.author_id):
        return False
    if not can_see_post(viewer, comment.post):
        return False
    if not _limited_commenter_reaches_one(viewer, comment):
        return False
    return not Block.objects.filter(blocker_id=comment.post.author_id, blocked_id=comment.author_id).exists()


def visible_comments(viewer: Viewer, post: Post) -> QuerySet[Comment]:
    """The comments of a post the caller has already checked with can_see_post."""
    comments = Comment.objects.filter(post_id=post.id, author__state=AccountState.ACTIVE).exclude(
        author_id__in=Block.objects.filter(blocker_id=post.author_id).values("blocked_id")
    )
    if viewer is not None:
        comments = comments.exclude(_blocks_with(viewer, "author_id") & ~Q(author_id=viewer.id))
    return comments.filter(_limited_commenter_reaches(viewer))


def visible_comments_anywhere(viewer: Viewer, comments: QuerySet[Comment] | None = None) -> QuerySet[Comment]:
    comments = Comment.objects.all() if comments is None else comments
    comments = comments.filter(author__state=AccountState.ACTIVE).exclude(_blocked_by_post_author())
    if viewer is not None:
        comments = comments.exclude(_blocks_with(viewer, "author_id") & ~Q(author_id=viewer.id))
    return comments.filter(_limited_commenter_reaches(viewer)).filter(post__in=visible_posts(viewer))


def visible_comment_counts(viewer: Viewer, post_ids: Sequence[int]) -> dict[int, int]:
    """How many of each post's comments the viewer is shown (posts the caller has checked).

    Rule 7 as `visible_comments` applies it, counted for a page of posts in one query:
    the number under a post is the number of comments it opens onto, never the stored
    total, which also counts comments hidden from this viewer.  Posts without visible
    comments are left out."""
    return _counted_comments(viewer, "post_id", post_ids)


def visible_reply_counts(viewer: Viewer, comment_ids: Sequence[int]) -> dict[int, int]:
    """How many direct replies to each of `comment_ids` the viewer is shown (comments already checked)."""
    return _counted_comments(viewer, "parent_id", comment_ids)


def _counted_comments(viewer: Viewer, column: str, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    ids = sorted(set(ids))
    comment, person, post, block = sql.table(Comment), sql.table(Person), sql.table(Post), sql.table(Block)
    follow = sql.table(Follow)
    # By hand (kith/core/sql.py says why): this runs for every page of posts.  Tables come from
    # the models, `column` is one of two names given above and every value is a parameter.
    query = (
        f"SELECT c.{column}, COUNT(*) FROM {comment} c "  # noqa: S608
        f"JOIN {person} a ON a.id = c.author_id JOIN {post} p ON p.id = c.post_id "
        f"WHERE c.{column} IN ({sql.placeholders(ids)}) AND a.state = %s "
        f"AND NOT EXISTS (SELECT 1 FROM {block} b WHERE b.blocker_id = p.author_id AND b.blocked_id = c.author_id)"
    )
    params: list[object] = [*ids, AccountState.ACTIVE.value]
    # Rule 15c: a limited commenter's comment counts only where it is shown.
    limited_ok = "a.limited = %s OR c.author_id = p.author_id"
    limited_params: list[object] = [False]
    if viewer is not None:
        query += (
            f" AND (c.author_id = %s OR (NOT EXISTS (SELECT 1 FROM {block} b WHERE b.blocker_id = %s AND b.blocked_id = c.author_id)"  # noqa: S608
            f" AND NOT EXISTS (SELECT 1 FROM {block} b WHERE b.blocker_id = c.author_id AND b.blocked_id = %s)))"
        )
        params += [viewer.id, viewer.id, viewer.id]
        limited_ok += (
            f" OR c.author_id = %s OR p.author_id = %s OR EXISTS (SELECT 1 FROM {follow} f "  # noqa: S608
            f"WHERE f.follower_id = %s AND f.followee_id = c.author_id AND f.state = %s)"
        )
        limited_params += [viewer.id, viewer.id, viewer.id, FollowState.ACCEPTED.value]
    query += f" AND ({limited_ok})"
    params += limited_params
    return {key: count for key, count in sql.fetch(query + f" GROUP BY c.{column}", params)}


def visible_likes(viewer: Viewer, likes: QuerySet[Like]) -> QuerySet[Like]:
    """Likes of things the caller has already checked; hides likers not shown to the viewer."""
    likes = likes.filter(person__state=AccountState.ACTIVE)
    if viewer is not None:
        likes = likes.exclude(_blocks_with(viewer, "person_id") & ~Q(person_id=viewer.id))
    return likes


# ---- media ------------------------------------------------------------------------


def can_see_media(viewer: Viewer, media: Media) -> bool:
    if media.post is None:  # no query when post_id is None
        # Uploaded, not yet attached: only its owner.
        return viewer is not None and viewer.id == media.owner_id
    return can_see_post(viewer, media.post)


def photo_is_public(media: Media) -> bool:
    """Rule 9: a photo is public when it belongs to a public or unlisted post.  Its URLs are
    then stable and shared caches may keep it; any other photo (not attached yet, or of a
    limited or direct post, or of a limited author: rule 15b) is served privately, and apps get
    a link bound to the viewer.  Reads `media.post` and its author only when the photo is
    attached (select them with the media)."""
    post = media.post  # no query when post_id is None
    return post is not None and post.visibility in PUBLIC_VISIBILITIES and not post.author.limited


def media_is_sensitive(post: Post) -> bool:
    """Rule 16: whether the post's photos are shown behind a click: its author marked it
    sensitive or gave it a content warning, staff marked the post (`Post.sensitive`), or staff
    marked every post of its author (`Person.force_sensitive`).  Reads `post.author` (select it)."""
    return post.sensitive or bool(post.content_warning) or post.author.force_sensitive


# ---- totals and tags ----------------------------------------------------------------

# Rule 10: what a person's post total and last-post date count, for every viewer alike.
# Counting limited and direct posts would show anyone when a person posts to their aspects
# (a new limited post moves the number and the date).  A tuple of values, for callers that
# count in SQL by hand (kith.api.entities).
COUNTED_POST_VISIBILITIES: tuple[str, ...] = tuple(str(value) for value in PUBLIC_VISIBILITIES)


def publicly_listed_posts(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Rule 10a: the posts a public listing shows, out of `posts`: original public posts (no
    reshares, no unlisted ones).  The pod's public timelines, trending posts, the public
    streaming channels and a person's ActivityPub outbox list these; callers still narrow
    them with `visible_posts` (or, for rendered-once public streams, per listener).
    Rule 15b: never a limited author's posts, whoever asks."""
    return posts.filter(visibility=Visibility.PUBLIC, reshare_of__isnull=True, author__limited=False)


def is_publicly_listed(post: Post) -> bool:
    """Rule 10a (and 15b) for one post already loaded with its author."""
    return post.visibility == Visibility.PUBLIC and post.reshare_of_id is None and not post.author.limited


def tag_listed_posts(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Rule 11: the posts a tag page, tag timeline or followed-tags stream lists, out of
    `posts`: public ones only (as in diaspora* and Mastodon, limited and unlisted posts stay
    out), and never a limited author's (rule 15b, whoever asks).  Callers still narrow them
    with `visible_posts`."""
    return posts.filter(visibility=Visibility.PUBLIC, author__limited=False)


def searchable_posts(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Rule 15b: the posts full-text search may find, out of `posts`: none by a limited author,
    whoever searches.  Callers still narrow them with `visible_posts`."""
    return posts.filter(author__limited=False)


def public_tag_uses(uses: QuerySet[PostTag] | None = None) -> QuerySet[PostTag]:
    """Rule 11: the uses of tags that may name a tag to anyone (tag search, trends, a tag's
    history): those in public posts of active people who are not limited (rule 15b).  A tag also
    exists for tags used only in limited posts, and naming it would tell strangers what is being
    said in private."""
    uses = PostTag.objects.all() if uses is None else uses
    return uses.filter(
        post__visibility=Visibility.PUBLIC, post__author__state=AccountState.ACTIVE, post__author__limited=False
    )


# ---- who gets a post: streams and delivery -------------------------------------------


def enters_streams(post: Post) -> bool:
    """Rule 13: every post but a direct one is written into streams; a direct post is a
    message, read in its conversation only."""
    return visibility_enters_streams(post.visibility)


def visibility_enters_streams(visibility: str) -> bool:
    """Rule 13 for a post known by its visibility alone (the in-transaction stream writer)."""
    return visibility != Visibility.DIRECT


def stream_recipient_sources(post: Post, after_person_id: int = 0) -> list[tuple[QuerySet[Any, int], str]]:
    """Rule 13: who gets the post in their stream (besides its author), as (query of local
    person ids above `after_person_id`, ascending, stream reason), by priority.

    Only local, active people: the audience of a limited post (fixed at publish time); the
    author's accepted followers and the mentioned people of an open one; and the followers
    of its tags when it is public.  A direct post goes to nobody's stream.  Fan-out pages
    through each source with its own ORDER BY ... LIMIT (an index range scan) and leaves out
    `kept_from_stream`.  An open post of a limited author goes to their followers alone
    (rule 15f): mentioned strangers and tag followers would not be shown it."""
    if not enters_streams(post):
        return []
    local_active = {"person__domain": "", "person__state": AccountState.ACTIVE, "person_id__gt": after_person_id}
    if post.visibility in LIMITED_VISIBILITIES:
        audience = PostAudience.objects.filter(post_id=post.id, **local_active)
        return [(audience.values_list("person_id", flat=True).order_by("person_id"), StreamReason.AUDIENCE)]
    followers = Follow.objects.filter(
        followee_id=post.author_id,
        state=FollowState.ACCEPTED,
        follower__domain="",
        follower__state=AccountState.ACTIVE,
        follower_id__gt=after_person_id,
    )
    sources: list[tuple[QuerySet[Any, int], str]] = [
        (followers.values_list("follower_id", flat=True).order_by("follower_id"), StreamReason.FOLLOWING),
    ]
    if post.author.limited:
        return sources
    mentioned = PostMention.objects.filter(post_id=post.id, **local_active)
    sources.append((mentioned.values_list("person_id", flat=True).order_by("person_id"), StreamReason.MENTION))
    if post.visibility == Visibility.PUBLIC:
        tag_ids = list(post.tags.values_list("id", flat=True))
        if tag_ids:
            tag_followers = TagFollow.objects.filter(tag_id__in=tag_ids, **local_active)
            sources.append(
                (tag_followers.values_list("person_id", flat=True).order_by("person_id").distinct(), StreamReason.TAG)
            )
    return sources


def kept_from_stream(post: Post) -> set[int]:
    """Rule 13: the people who never get the post in their stream, whatever source names
    them: whoever mutes its author, and either side of a block with its author; for a
    reshare, the same of the reshared post's author."""
    author_id = post.author_id
    excluded = set(Mute.objects.filter(muted_id=author_id).values_list("muter_id", flat=True))
    excluded |= set(Block.objects.filter(blocked_id=author_id).values_list("blocker_id", flat=True))
    excluded |= set(Block.objects.filter(blocker_id=author_id).values_list("blocked_id", flat=True))
    if post.reshare_of is not None:
        root_author = post.reshare_of.author_id
        excluded |= set(Block.objects.filter(blocked_id=root_author).values_list("blocker_id", flat=True))
        excluded |= set(Block.objects.filter(blocker_id=root_author).values_list("blocked_id", flat=True))
        excluded |= set(Mute.objects.filter(muted_id=root_author).values_list("muter_id", flat=True))
    return excluded


def delivered_to_followers(post: Post) -> bool:
    """Rule 14: an open (public or unlisted) post, and everything about it, is delivered to
    other servers for its author's followers and the people it mentions; a limited or direct
    one only to the people of its fixed audience, each at their own inbox, so that no server
    has to sort out who may see it."""
    return post.visibility in PUBLIC_VISIBILITIES


# ---- notifications ------------------------------------------------------------------

# Moderation notices name as their actor the staff member, the reporter or the very account
# acted on: rule 17 shows them to their recipient whatever that account's state, blocks or
# limits (the recipient must learn what happened), and rule 15d does not stop them being made.
# The kinds are MODERATION_NOTIFICATION_KINDS, defined in kith.timelines.models.


def notifies(recipient: Person, actor: Person, kind: str) -> bool:
    """Rule 15d, asked before a notification is made: a limited actor notifies only people who
    follow them (their mentions, comments, likes, follows and messages reach nobody else's
    notifications, as Mastodon filters them); moderation notices always."""
    return kind in MODERATION_NOTIFICATION_KINDS or _reaches_one(recipient, actor)


def can_see_notification(viewer: Viewer, notification: Notification) -> bool:
    if viewer is None or notification.recipient_id != viewer.id:
        return False
    if notification.kind in MODERATION_NOTIFICATION_KINDS:
        return True  # rule 17: what moderation tells a person reaches them, whoever it names
    if notification.actor.state != AccountState.ACTIVE or blocked_either_way(viewer, notification.actor_id):
        return False
    if not notifies(viewer, notification.actor, notification.kind):
        return False  # rule 15d, for notifications made before the actor was limited
    if notification.actor.domain and DomainBlock.objects.filter(
        person_id=viewer.id, domain=notification.actor.domain
    ).exists():
        return False  # the viewer blocked the actor's whole domain (their own choice, graph.DomainBlock)
    if notification.post is not None and not can_see_post(viewer, notification.post):
        return False
    return notification.comment is None or can_see_comment(viewer, notification.comment)


def visible_notifications(viewer: Person) -> QuerySet[Notification]:
    # The post and comment rules are applied to the notification's own joined rows (as
    # filter_by_post_visibility does for stream rows), not as `post IN (all visible posts)`:
    # the database then checks only the rows it walks on the (recipient, -id) index.
    # The block rule repeats for up to six people per row (actor, authors of the post, the
    # comment and what they reshare): one query for the viewer's block partners keeps the
    # SQL small, where a dozen correlated subqueries cost ~20 ms to build in the ORM alone.
    partners = _block_partner_ids(viewer)
    from_people = (
        _not_among("actor_id", partners) & Q(actor__state=AccountState.ACTIVE)
        & ~Exists(DomainBlock.objects.filter(person_id=viewer.id, domain=OuterRef("actor__domain")))
        # Rule 15d: a limited actor's notifications only for their followers.
        & _reaches(viewer, "actor")
    )
    # Rule 17: moderation notices (they carry no post or comment) reach their recipient whoever
    # they name: a report's outcome names the account reported, often blocked or now suspended.
    notifications = Notification.objects.filter(recipient_id=viewer.id).filter(
        Q(kind__in=MODERATION_NOTIFICATION_KINDS) | from_people
    )
    post_ok = Q(post__isnull=True) | _visible_post_at(viewer, "post__", partners)
    comment_seen = (
        Q(comment__author__state=AccountState.ACTIVE)
        & _not_among("comment__author_id", partners)  # the viewer is never their own block partner
        & ~_blocked_by_post_author("comment__")
        & _limited_commenter_reaches(viewer, "comment__")
        & _visible_post_at(viewer, "comment__post__", partners)
    )
    comment_ok = Q(comment__isnull=True) | comment_seen
    return notifications.filter(post_ok & comment_ok)
