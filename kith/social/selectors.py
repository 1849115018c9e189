"""Reads of posts and what hangs off them, always through kith.visibility (which posts a
stream or timeline holds is chosen in kith.timelines.selectors, and loaded here).

`page_of_posts` loads everything a list of posts needs to render (authors,
reshared posts, photos, polls, the viewer's likes and votes) in a fixed
number of queries, whatever the page holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from kith.core import sql
from kith.core.errors import NotFound
from kith.core.paging import FIRST_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, Page, page_ids, paginate  # noqa: F401
from kith.core.text import HASHTAG_RE, normalise_tag
from kith.graph.models import AspectMembership, Follow, FollowState, Mute
from kith.people.models import Person
from kith.social.models import (
    Bookmark,
    Comment,
    Like,
    Media,
    MediaState,
    Pin,
    PollOption,
    PollVote,
    Post,
    PostAudience,
    Tag,
    TagFollow,
    Visibility,
)
from kith.visibility import (
    Viewer,
    can_see_audience,
    can_see_comment,
    can_see_post,
    discoverable_persons,
    filter_by_post_visibility,
    public_tag_uses,
    publicly_listed_posts,
    visible_comment_counts,
    visible_comments,
    visible_comments_anywhere,
    visible_likes,
    visible_persons,
    visible_posts,
)


def _post_rows(queryset: QuerySet[Post]) -> QuerySet[Post]:
    """Posts with what rendering them reads, bar their photos (`_attach_ready_media`)."""
    return queryset.select_related("author", "reshare_of__author", "reshare_of__poll", "poll").prefetch_related(
        Prefetch("poll__options", queryset=PollOption.objects.order_by("position")),
        Prefetch("reshare_of__poll__options", queryset=PollOption.objects.order_by("position")),
    )


class _PrefetchedRows(QuerySet[Media]):
    """Rows already loaded for one post (its ready photos), as `post.media.all()` returns them.

    Django's own prefetch builds a filtered queryset per post to hold them, which cost
    more than the query itself on a page of statuses (docs/performance.md).  This one is
    only ever iterated, counted or indexed; anything that would build a new query from it
    (whose filter it does not carry) raises instead of returning other posts' rows."""

    def _chain(self) -> QuerySet[Media]:
        raise TypeError("prefetched photos are a list: iterate them, or query Media for more")


def _attach_ready_media(posts: Sequence[Post]) -> None:
    """Set `post.media.all()` of each post (and the post it reshares) to its ready photos,
    in order: one query for the page."""
    # A post can be on the page twice: as itself and as what another post reshares.
    instances: dict[int, list[Post]] = {}
    for post in [*posts, *(post.reshare_of for post in posts if post.reshare_of is not None)]:
        instances.setdefault(post.id, []).append(post)
    if not instances:
        return
    found: dict[int, list[Media]] = {post_id: [] for post_id in instances}
    for media in Media.objects.filter(post_id__in=instances, state=MediaState.READY).order_by("position", "id"):
        found[media.post_id].append(media)
    for post_id, rows in found.items():
        for post in instances[post_id]:
            cached = _PrefetchedRows(model=Media)
            cached._result_cache = rows
            cached._prefetch_done = True  # type: ignore[attr-defined]  # Django's private prefetch state, not in the stubs
            if not hasattr(post, "_prefetched_objects_cache"):
                post._prefetched_objects_cache = {}  # type: ignore[attr-defined]  # as above
            post._prefetched_objects_cache["media"] = cached  # type: ignore[attr-defined]
        for media in rows:
            media.post = instances[post_id][0]  # rendering reads the post's visibility: no query per photo


def decorate(viewer: Viewer, posts: Sequence[Post]) -> list[Post]:
    """Attach the viewer's own state to each post (and the post it reshares) in one query:
    liked, reshared, bookmarked, pinned, and their poll votes.

    `comment_count` becomes the number of comments this viewer is shown
    (kith.visibility.visible_comment_counts: one more query, only for posts that have
    comments at all), not the stored total, which counts comments hidden from them too.
    Every page and client entity reads posts from here; services write the stored
    total with UPDATE ... F() and name their fields when saving, so this value is never
    written back."""
    posts = list(posts)
    every = posts + [p.reshare_of for p in posts if p.reshare_of is not None]
    shown = visible_comment_counts(viewer, [p.id for p in every if p.comment_count])
    for post in every:
        post.comment_count = shown.get(post.id, 0)
    state = viewer_state(viewer, {p.id for p in every}, [p.id for p in every if getattr(p, "poll", None) is not None])
    for post in every:
        post.viewer_liked = post.id in state.liked
        post.viewer_reshared = post.id in state.reshared
        post.viewer_bookmarked = post.id in state.bookmarked
        post.viewer_pinned = post.id in state.pinned
        post.viewer_votes = state.votes.get(post.id, set())
    return posts


@dataclass(frozen=True)
class ViewerState:
    liked: set[int] = dataclass_field(default_factory=set)
    reshared: set[int] = dataclass_field(default_factory=set)
    bookmarked: set[int] = dataclass_field(default_factory=set)
    pinned: set[int] = dataclass_field(default_factory=set)
    votes: dict[int, set[int]] = dataclass_field(default_factory=dict)  # poll (= post) id -> option ids


def viewer_state(viewer: Viewer, post_ids: set[int], poll_ids: Sequence[int] = ()) -> ViewerState:
    """Which of `post_ids` the viewer liked, reshared, bookmarked and pinned, and their votes
    in `poll_ids`: one UNION query (kith/core/sql.py says why it is written by hand)."""
    state = ViewerState()
    if viewer is None or not post_ids:
        return state
    ids = sorted(post_ids)
    marks = sql.placeholders(ids)
    # Table names come from the models and every value is a parameter.  PostgreSQL types a
    # UNION's columns from its first branches: the NULLs say what they stand in for.
    parts = [
        f"SELECT 1, post_id, CAST(NULL AS BIGINT) FROM {sql.table(Like)} WHERE person_id = %s AND post_id IN ({marks})",  # noqa: S608
        f"SELECT 2, reshare_of_id, CAST(NULL AS BIGINT) FROM {sql.table(Post)} WHERE author_id = %s AND reshare_of_id IN ({marks})",  # noqa: S608
        f"SELECT 3, post_id, CAST(NULL AS BIGINT) FROM {sql.table(Bookmark)} WHERE person_id = %s AND post_id IN ({marks})",  # noqa: S608
        f"SELECT 4, post_id, CAST(NULL AS BIGINT) FROM {sql.table(Pin)} WHERE person_id = %s AND post_id IN ({marks})",  # noqa: S608
    ]
    params: list[int] = [value for _ in range(4) for value in (viewer.id, *ids)]
    if poll_ids:
        parts.append(f"SELECT 5, poll_id, option_id FROM {sql.table(PollVote)} "  # noqa: S608
                     f"WHERE person_id = %s AND poll_id IN ({sql.placeholders(poll_ids)})")
        params += [viewer.id, *poll_ids]
    kinds = {1: state.liked, 2: state.reshared, 3: state.bookmarked, 4: state.pinned}
    for kind, post_id, option_id in sql.fetch(" UNION ALL ".join(parts), params):
        if kind == 5:
            state.votes.setdefault(post_id, set()).add(option_id)
        else:
            kinds[kind].add(post_id)
    return state


def load_in_order(viewer: Viewer, post_ids: list[int]) -> list[Post]:
    """The posts of `post_ids` (already chosen by the caller), loaded for rendering, in that order."""
    by_id = {p.id: p for p in _post_rows(Post.objects.filter(id__in=post_ids))}
    _attach_ready_media(list(by_id.values()))
    return decorate(viewer, [by_id[i] for i in post_ids if i in by_id])


def person_posts(viewer: Viewer, person: Person, page: Page = FIRST_PAGE) -> list[Post]:
    """The person's posts on their profile: messages (direct posts) are read in their conversation."""
    ids = page_ids(visible_posts(viewer, Post.objects.filter(author=person).exclude(visibility=Visibility.DIRECT)), page)
    return load_in_order(viewer, ids)


def person_statuses(
    viewer: Viewer,
    person: Person,
    page: Page = FIRST_PAGE,
    *,
    replies: bool = True,
    reshares: bool = True,
    only_media: bool = False,
    pinned: bool = False,
    tagged: str | None = None,
) -> list[Post | Comment]:
    """What a profile lists as the person's statuses (Mastodon's account statuses), newest first.

    Posts, and with `replies` their comments too (a Mastodon client shows comments
    as replies).  `pinned`: only the posts they pinned; `only_media`: only posts
    with photos; `tagged`: only posts with that tag; `reshares=False` leaves
    reshares out.  Both lists are filtered by kith.visibility and paged on the
    same time-sortable ids, so a page is a fixed number of queries."""
    posts = Post.objects.filter(author=person).exclude(visibility=Visibility.DIRECT)  # messages: in conversations
    if not reshares:
        posts = posts.filter(reshare_of__isnull=True)
    if only_media:
        posts = posts.filter(Exists(Media.objects.filter(post_id=OuterRef("id"), state=MediaState.READY)))
    if pinned:
        posts = posts.filter(Exists(Pin.objects.filter(person=person, post_id=OuterRef("id"))))
    if tagged is not None:
        posts = posts.filter(tags__name=normalise_tag(tagged.strip()))
    post_ids = page_ids(visible_posts(viewer, posts), page)
    if not replies or only_media or pinned or tagged is not None:
        return list(load_in_order(viewer, post_ids))
    comment_ids = page_ids(visible_comments_anywhere(viewer, Comment.objects.filter(author=person)), page)
    newest = sorted([*post_ids, *comment_ids], reverse=True)
    if page.min_id is not None:
        newest = newest[-page.clamp().limit:]  # the ones just after min_id
    else:
        newest = newest[: page.clamp().limit]
    kept = set(newest)
    loaded: dict[int, Post | Comment] = {p.id: p for p in load_in_order(viewer, [i for i in post_ids if i in kept])}
    comments = Comment.objects.select_related("author", "parent", "post__author").filter(
        id__in=[i for i in comment_ids if i in kept]
    )
    loaded.update({c.id: c for c in comments})
    return [loaded[i] for i in newest if i in loaded]


def post_for(viewer: Viewer, post_id: int) -> Post:
    """One post with everything it renders with, or NotFound (existence of a hidden post is private too)."""
    post = _post_rows(Post.objects.filter(id=post_id)).first()
    if post is None or not can_see_post(viewer, post):
        raise NotFound("No such post.")
    _attach_ready_media([post])
    return decorate(viewer, [post])[0]


def comments_for(viewer: Viewer, post: Post) -> list[Comment]:
    """The post's comments in thread order (oldest first), with the viewer's likes marked."""
    comments = list(visible_comments(viewer, post).select_related("author", "parent").order_by("id"))
    for comment in comments:
        comment.post = post  # already loaded (and checked): no query per comment
    liked: set[int] = set()
    if viewer is not None and comments:
        liked = set(
            Like.objects.filter(person=viewer, comment_id__in=[c.id for c in comments]).values_list(
                "comment_id", flat=True
            )
        )
    for comment in comments:
        comment.viewer_liked = comment.id in liked
    return comments


def likers(viewer: Viewer, post: Post, limit: int = 50) -> list[Person]:
    rows = visible_likes(viewer, Like.objects.filter(post=post)).select_related("person").order_by("-id")[:limit]
    return [row.person for row in rows]


def tags_matching(prefix: str, limit: int = 10) -> QuerySet[Tag]:
    return Tag.objects.filter(name__startswith=prefix.lstrip("#").casefold()).order_by("name")[:limit]


def can_view(viewer: Viewer, post: Post) -> bool:
    return can_see_post(viewer, post)


def comment_for(viewer: Viewer, comment_id: int) -> Comment:
    """One comment with its post, or NotFound when the viewer may not see it."""
    comment = (
        Comment.objects.select_related("author", "post__author", "post__reshare_of__author").filter(id=comment_id).first()
    )
    if comment is None or not can_see_comment(viewer, comment):
        raise NotFound("No such comment.")
    return comment


def followed_tag_names(person: Person) -> list[str]:
    """The names of the tags a person follows, alphabetically."""
    return list(TagFollow.objects.filter(person=person).order_by("tag__name").values_list("tag__name", flat=True))


# ---- tags: one tag, followed tags, usage history and trends ------------------------------
# Usage counts only public posts of active authors: the same posts a tag page lists.  A tag
# used in limited or unlisted posts says nothing to anyone outside their audience.

TREND_DAYS = 7
FOLLOWED_TAGS_PAGE = 100
MAX_FOLLOWED_TAGS_PAGE = 200


def normalised_tag_name(raw: str) -> str | None:
    """`#Cats` -> `cats`; None unless it is a tag name a post could carry (as the tag pages accept)."""
    name = normalise_tag(raw.strip())
    if not name or len(name) > 64 or not HASHTAG_RE.fullmatch(f"#{name}"):
        return None
    return name


def tag_named(name: str) -> Tag | None:
    return Tag.objects.filter(name=name).first()


def followed_tag_ids(person: Person | None, tag_ids: Sequence[int]) -> set[int]:
    """Which of these tags `person` follows, in one query."""
    if person is None or not tag_ids:
        return set()
    return set(TagFollow.objects.filter(person=person, tag_id__in=tag_ids).values_list("tag_id", flat=True))


def followed_tags(person: Person, page: Page) -> list[TagFollow]:
    """The person's TagFollow rows (with their tag) newest first, keyset-paged by the row's id.

    Not through `paginate`: a page of followed tags holds up to 200 rows (Mastodon's limit)."""
    limit = max(1, min(page.limit, MAX_FOLLOWED_TAGS_PAGE))
    rows = TagFollow.objects.filter(person=person).select_related("tag")
    if page.max_id is not None:
        rows = rows.filter(id__lt=page.max_id)
    if page.since_id is not None:
        rows = rows.filter(id__gt=page.since_id)
    if page.min_id is not None:
        return sorted(rows.filter(id__gt=page.min_id).order_by("id")[:limit], key=lambda row: row.id, reverse=True)
    return list(rows.order_by("-id")[:limit])


@dataclass(frozen=True)
class DayUse:
    """How much a tag was used on one day (UTC): posts carrying it and distinct authors."""

    day: date
    uses: int
    accounts: int


def _trend_days(days: int, today: date | None) -> list[date]:
    today = today or timezone.now().astimezone(UTC).date()
    return [today - timedelta(days=offset) for offset in range(days)]


def _since_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def tag_histories(tag_ids: Sequence[int], days: int = TREND_DAYS, today: date | None = None) -> dict[int, list[DayUse]]:
    """Each tag's use on each of the last `days` days, newest day first, in one grouped query."""
    calendar = _trend_days(days, today)
    counts: dict[tuple[int, date], tuple[int, int]] = {}
    if tag_ids:
        rows = (
            public_tag_uses()
            .filter(tag_id__in=list(tag_ids), post__created_at__gte=_since_midnight(calendar[-1]))
            .annotate(day=TruncDate("post__created_at", tzinfo=UTC))
            .values("tag_id", "day")
            .annotate(uses=Count("post_id"), accounts=Count("post__author_id", distinct=True))
        )
        counts = {(row["tag_id"], row["day"]): (row["uses"], row["accounts"]) for row in rows}
    return {
        tag_id: [DayUse(day, *counts.get((tag_id, day), (0, 0))) for day in calendar] for tag_id in tag_ids
    }


def blank_history(days: int = TREND_DAYS) -> list[DayUse]:
    """The history of a tag nobody has used: every day at zero."""
    return [DayUse(day, 0, 0) for day in _trend_days(days, None)]


def trending_tags(limit: int = 10, offset: int = 0, days: int = TREND_DAYS) -> list[Tag]:
    """Tags of the last `days` days' public posts, most distinct authors first (then most posts).

    Authors rather than posts rank them, so one person posting a tag fifty times
    does not make it trend."""
    start = _since_midnight(_trend_days(days, None)[-1])
    ranked = list(
        public_tag_uses()
        .filter(post__created_at__gte=start)
        .values("tag_id", "tag__name")
        .annotate(accounts=Count("post__author_id", distinct=True), uses=Count("post_id"))
        .order_by("-accounts", "-uses", "tag__name")[offset : offset + limit]
    )
    return [Tag(id=row["tag_id"], name=row["tag__name"]) for row in ranked]


def trending_posts(viewer: Viewer, limit: int = 20, offset: int = 0, days: int = TREND_DAYS) -> list[Post]:
    """This pod's public posts of the last `days` days with the most likes and reshares."""
    start = timezone.now() - timedelta(days=days)
    candidates = (
        publicly_listed_posts(Post.objects.filter(author__domain="", created_at__gte=start))
        .annotate(score=F("like_count") + F("reshare_count"))
        .filter(score__gt=0)
    )
    ids = list(
        # visible_posts is typed QuerySet[Post]: the type loses the `score` annotation the query keeps.
        visible_posts(viewer, candidates).order_by("-score", "-id").values_list("id", flat=True)[offset : offset + limit]  # type: ignore[misc]
    )
    return load_in_order(viewer, ids)


# ---- statuses for the client API: posts and comments by id, threads, saved things ------------


def posts_by_ids(viewer: Viewer, post_ids: Sequence[int]) -> list[Post]:
    """The posts among `post_ids` the viewer may see, loaded for rendering, in the given order."""
    visible = list(visible_posts(viewer, Post.objects.filter(id__in=post_ids)).values_list("id", flat=True))
    shown = set(visible)
    return load_in_order(viewer, [i for i in dict.fromkeys(post_ids) if i in shown])


def _comment_rows(queryset: QuerySet[Comment]) -> QuerySet[Comment]:
    return queryset.select_related("author", "parent", "post__author")


def comments_by_ids(viewer: Viewer, comment_ids: Sequence[int]) -> list[Comment]:
    """The comments among `comment_ids` the viewer may see, loaded for rendering, in the given order."""
    rows = _comment_rows(visible_comments_anywhere(viewer, Comment.objects.filter(id__in=comment_ids)))
    by_id = {c.id: c for c in rows}
    return [by_id[i] for i in dict.fromkeys(comment_ids) if i in by_id]


def posts_and_comments_by_ids(viewer: Viewer, ids: Sequence[int]) -> list[Post | Comment]:
    """Posts and comments (a client's "statuses") by id, visible ones only, in the given order."""
    posts = {p.id: p for p in posts_by_ids(viewer, ids)}
    rest = [i for i in ids if i not in posts]
    comments = {c.id: c for c in comments_by_ids(viewer, rest)} if rest else {}
    found: dict[int, Post | Comment] = {**comments, **posts}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def thread_context(viewer: Viewer, item: Post | Comment) -> tuple[list[Post | Comment], list[Comment]]:
    """(ancestors, descendants) of a post or comment the viewer sees, as Mastodon's context:
    ancestors from the post down to the comment's parent, descendants depth first.
    Comments hidden from the viewer are left out, and so are replies beneath them."""
    post = item.post if isinstance(item, Comment) else item
    if post.reshare_of is not None:
        post = post.reshare_of
    loaded_post = load_in_order(viewer, [post.id])[0]
    comments = comments_for(viewer, loaded_post)
    by_id = {c.id: c for c in comments}
    children: dict[int | None, list[Comment]] = {}
    for comment in comments:
        children.setdefault(comment.parent_id, []).append(comment)

    def below(parent_id: int | None) -> list[Comment]:
        found: list[Comment] = []
        pending = list(reversed(children.get(parent_id, [])))
        while pending:
            current = pending.pop()
            found.append(current)
            pending.extend(reversed(children.get(current.id, [])))
        return found

    if isinstance(item, Post):
        return [], below(None)
    chain: list[Post | Comment] = []
    parent_id = item.parent_id
    while parent_id is not None and parent_id in by_id:
        chain.append(by_id[parent_id])
        parent_id = by_id[parent_id].parent_id
    # A hidden comment breaks the chain: what is above it stays out, the post never does.
    return [loaded_post, *reversed(chain)], below(item.id)


def bookmarked_posts(viewer: Person, page: Page = FIRST_PAGE) -> list[tuple[int, Post]]:
    """(bookmark id, post) for the viewer's bookmarks they may still see, newest bookmark first."""
    rows = filter_by_post_visibility(viewer, Bookmark.objects.filter(person=viewer), "post")
    pairs = list(paginate(rows, page).values_list("id", "post_id"))
    pairs.sort(reverse=True)
    posts = {p.id: p for p in load_in_order(viewer, [post_id for _, post_id in pairs])}
    return [(bookmark_id, posts[post_id]) for bookmark_id, post_id in pairs if post_id in posts]


def liked_items(viewer: Person, page: Page = FIRST_PAGE) -> list[tuple[int, Post | Comment]]:
    """(like id, post or comment) for what the viewer liked and may still see, newest like first."""
    rows = Like.objects.filter(person=viewer).filter(
        Q(post__in=visible_posts(viewer)) | Q(comment__in=visible_comments_anywhere(viewer))
    )
    triples = sorted(paginate(rows, page).values_list("id", "post_id", "comment_id"), reverse=True)
    posts = {p.id: p for p in load_in_order(viewer, [p for _, p, _ in triples if p])}
    comment_ids = [c for _, _, c in triples if c]
    comments = {c.id: c for c in _comment_rows(Comment.objects.filter(id__in=comment_ids))} if comment_ids else {}
    items: list[tuple[int, Post | Comment]] = []
    for like_id, post_id, comment_id in triples:
        found = posts.get(post_id) if post_id else comments.get(comment_id)
        if found is not None:
            items.append((like_id, found))
    return items


def likers_page(viewer: Viewer, item: Post | Comment, page: Page = FIRST_PAGE) -> list[tuple[int, Person]]:
    """(like id, person) for the likes of a post or comment the caller has checked, newest first."""
    likes = Like.objects.filter(comment=item) if isinstance(item, Comment) else Like.objects.filter(post=item)
    pairs = sorted(paginate(visible_likes(viewer, likes), page).values_list("id", "person_id"), reverse=True)
    persons = Person.objects.in_bulk([person_id for _, person_id in pairs])
    return [(like_id, persons[person_id]) for like_id, person_id in pairs if person_id in persons]


def resharers_page(viewer: Viewer, post: Post, page: Page = FIRST_PAGE) -> list[tuple[int, Person]]:
    """(reshare id, person) for the reshares of a post the caller has checked, newest first."""
    reshares = visible_posts(viewer, Post.objects.filter(reshare_of_id=post.id))
    pairs = sorted(paginate(reshares, page).values_list("id", "author_id"), reverse=True)
    persons = Person.objects.in_bulk([author_id for _, author_id in pairs])
    return [(reshare_id, persons[author_id]) for reshare_id, author_id in pairs if author_id in persons]


# ---- people to discover: the directory and follow suggestions ----------------------------
# Only people who chose to be `searchable` (Mastodon's "discoverable") are listed; people
# who moved away are listed at their new address instead.


def _discoverable(viewer: Viewer) -> QuerySet[Person]:
    people = discoverable_persons(visible_persons(viewer, Person.objects.filter(searchable=True, moved_to__isnull=True)))
    if viewer is not None:
        people = people.exclude(Exists(Mute.objects.filter(muter_id=viewer.id, muted_id=OuterRef("id"))))
    return people


def directory(viewer: Viewer, *, local_only: bool = False, newest: bool = False, limit: int = 40,
              offset: int = 0) -> list[Person]:
    """The profile directory: discoverable people, most recently posting first (`newest`: newest
    accounts first).  The last post comes from the (author, -id) index, one lookup per person."""
    people = _discoverable(viewer)
    if local_only:
        people = people.filter(domain="")
    if newest:
        people = people.order_by("-created_at", "-id")
    else:
        last_post = Post.objects.filter(author_id=OuterRef("id")).order_by("-id").values("created_at")[:1]
        people = people.annotate(last_post_at=Subquery(last_post)).order_by(
            F("last_post_at").desc(nulls_last=True), "-id"
        )
    return list(people[max(0, offset) : max(0, offset) + limit])


@dataclass(frozen=True)
class Suggestion:
    """Someone the viewer might follow, and why (Mastodon's suggestion sources)."""

    person: Person
    source: str  # "friends_of_friends" or "most_followed"


def suggestions(viewer: Person, limit: int = 40) -> list[Suggestion]:
    """People followed by those the viewer follows (most shared first), then this pod's most
    followed people: discoverable, visible, not muted, not already followed or asked.
    Three queries whatever the number of follows."""
    followees = Follow.objects.filter(follower_id=viewer.id, state=FollowState.ACCEPTED).values("followee_id")
    known = Follow.objects.filter(follower_id=viewer.id).values("followee_id")  # accepted or pending
    eligible = _discoverable(viewer).exclude(id=viewer.id).exclude(id__in=known)
    friends_of_friends = list(
        Follow.objects.filter(follower_id__in=followees, state=FollowState.ACCEPTED, followee__in=eligible)
        .values("followee_id")
        .annotate(shared=Count("follower_id", distinct=True))
        .order_by("-shared", "followee_id")
        .values_list("followee_id", flat=True)[:limit]
    )
    picked: list[tuple[int, str]] = [(person_id, "friends_of_friends") for person_id in friends_of_friends]
    if len(picked) < limit:
        popular = (
            eligible.filter(domain="")
            .exclude(id__in=friends_of_friends)
            .annotate(followers=Count("follower_rel", filter=Q(follower_rel__state=FollowState.ACCEPTED)))
            .filter(followers__gt=0)
            .order_by("-followers", "id")
            .values_list("id", flat=True)[: limit - len(picked)]
        )
        picked += [(person_id, "most_followed") for person_id in popular]
    people = Person.objects.in_bulk([person_id for person_id, _ in picked])
    return [Suggestion(people[person_id], source) for person_id, source in picked if person_id in people]


@dataclass(frozen=True)
class AudienceSummary:
    """Who one of the viewer's limited posts went to: the aspects chosen (names, as they are
    called now) and how many people in its audience are not in those aspects now (people
    chosen by handle, followers for "all aspects", or members who have left an aspect since)."""

    aspect_names: list[str]
    other_people: int


def audience_summaries(viewer: Viewer, posts: Sequence[Post]) -> dict[int, AudienceSummary]:
    """Post id -> AudienceSummary for the posts whose audience the viewer may see
    (kith.visibility.can_see_audience: the author's own limited posts), in two queries at most."""
    ids = [post.id for post in posts if can_see_audience(viewer, post)]
    if not ids:
        return {}
    chosen = Post.aspects.through.objects.filter(post_id__in=ids)
    names: dict[int, list[str]] = {post_id: [] for post_id in ids}
    for post_id, name in chosen.order_by("aspect__position", "aspect_id").values_list("post_id", "aspect__name"):
        names[post_id].append(name)
    in_chosen_aspect = AspectMembership.objects.filter(
        person_id=OuterRef("person_id"),
        aspect_id__in=Post.aspects.through.objects.filter(post_id=OuterRef(OuterRef("post_id"))).values("aspect_id"),
    )
    others = dict(
        PostAudience.objects.filter(post_id__in=ids)
        .exclude(Exists(in_chosen_aspect))
        .order_by()
        .values("post_id")
        .annotate(count=Count("id"))
        .values_list("post_id", "count")
    )
    return {post_id: AudienceSummary(names[post_id], others.get(post_id, 0)) for post_id in ids}
