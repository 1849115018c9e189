"""The visibility matrix: every kind of viewer x every visibility x every read path.

Nothing here is hand-listed: the cases are the product of VIEWERS, KINDS and
the read paths that exist in this checkout (web pages and search join in when
their modules land), and the expected answer for each comes from the
independent oracle in tests/visibility/oracle.py, never from kith itself.

One world is built per module through the real services (events fire, fan-out
writes stream rows) and every case only reads it:

- amy posts one post of every kind, all tagged #matrix, each with a photo, a
  comment and a like by max (who may see them all), and a reply by bo to max's
  comment; ray reshares her public post.  Then amy blocks bo and bea blocks amy:
  both were in her audience when she published, so only the read-time rules can
  hide her posts from them (and bo's reply, rule 7a, from everyone).  cal blocks
  max and max blocks ben: max's comment is hidden from both and not counted.
- sue does the same and is then suspended by a moderator.
- lia does the same (her public post also mentions sam, a stranger) and is then limited by
  staff (rule 15): fay and ray follow her, max is in her aspect without following her, sam
  and the moderator (mod) do not follow her.  On her posts the reply to max's comment is her
  own.  Before the limit she also commented on amy's public and unlisted posts (a limited
  person's comment on someone else's post) and amy blocked nobody of these.
- A notification about every post (and its comment) is written for every local
  viewer, so the notification paths have something to hide.
"""

from __future__ import annotations

import inspect
import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.test import Client
from django.urls import Resolver404, resolve

from kith.api import entities
from kith.core.errors import NotFound
from kith.graph import services as graph
from kith.graph.models import Follow, FollowState
from kith.people.models import Account, Person
from kith.people.services import create_local_account, set_limited, suspend_account
from kith.social import search as social_search
from kith.social import selectors
from kith.social import services as social
from kith.social.models import Comment, Like, Media, MediaState, Post, PostAudience, PostMention, Visibility
from kith.timelines import selectors as notification_selectors
from kith.timelines import selectors as timeline_selectors
from kith.timelines.models import Notification, NotificationKind, StreamEntry
from kith.visibility import (
    can_reshare,
    can_see_comment,
    can_see_media,
    can_see_notification,
    can_see_post,
    delivered_to_followers,
    filter_by_post_visibility,
    is_publicly_listed,
    is_resharable,
    kept_from_stream,
    photo_is_public,
    public_tag_uses,
    stream_recipient_sources,
    visible_comments_anywhere,
    visible_likes,
    visible_notifications,
    visible_posts,
)
from tests import factories
from tests.visibility import oracle
from tests.visibility.oracle import CommentFact, LikeFact, NotificationFact, PostFact

# Read-only cases over a world committed once per module (see `world` below).
pytestmark = pytest.mark.django_db

TAG = "matrix"

# viewer kind -> (viewer key or None for anonymous, author key)
VIEWERS: dict[str, tuple[str | None, str]] = {
    "author": ("amy", "amy"),
    "aspect-member": ("max", "amy"),
    "other-contact": ("cole", "amy"),
    "follower": ("fay", "amy"),
    "non-contact": ("sam", "amy"),
    "anonymous": (None, "amy"),
    "blocked-by-author": ("bo", "amy"),
    "blocker-of-author": ("bea", "amy"),
    "blocker-of-commenter": ("cal", "amy"),
    "blocked-by-commenter": ("ben", "amy"),
    "remote-in-audience": ("rem", "amy"),
    "remote-outsider": ("rex", "amy"),
    "suspended-author-member": ("max", "sue"),
    "suspended-author-follower": ("fay", "sue"),
    "suspended-author-anonymous": (None, "sue"),
    "limited-author": ("lia", "lia"),
    "limited-author-follower": ("fay", "lia"),
    "limited-author-audience": ("max", "lia"),
    "limited-author-non-follower": ("sam", "lia"),
    "limited-author-anonymous": (None, "lia"),
    "limited-author-staff": ("mod", "lia"),
}
KINDS = ("public", "unlisted", "limited-aspect", "all-aspects", "direct-mention", "reshare")
LOCAL = {"amy", "max", "cole", "fay", "sam", "bo", "bea", "ray", "sue", "cal", "ben", "lia", "mod"}
AUTHORS = ("amy", "sue", "lia")
REMOTE = {"rem": "rem", "rex": "rex"}


@dataclass
class Item:
    """One post of the world, with what hangs off it, in the database and in the oracle."""

    post: Post
    fact: PostFact
    token: str
    tag: str = ""  # a tag of this post alone, besides TAG (so whether it is named says what this post did)
    comment: Comment | None = None
    comment_fact: CommentFact | None = None
    comment_token: str = ""
    reply: Comment | None = None  # amy's posts: by bo, whom she blocks afterwards; lia's: her own
    reply_fact: CommentFact | None = None
    reply_token: str = ""
    limited_comment: Comment | None = None  # by lia, limited afterwards (amy's open posts only)
    limited_comment_fact: CommentFact | None = None
    limited_comment_token: str = ""
    like: Like | None = None
    like_fact: LikeFact | None = None
    media: Media | None = None
    notifications: dict[str, list[tuple[Notification, NotificationFact]]] = field(default_factory=dict)


@dataclass
class MatrixWorld:
    model: oracle.World
    persons: dict[str, Person]
    items: dict[tuple[str, str], Item]  # (author key, kind) -> item
    # (viewer key, URL, follow) -> (status, body) of a web page: see `_page`.
    pages: dict[tuple[str | None, str, bool], tuple[int, str]] = field(default_factory=dict)

    def person(self, key: str | None) -> Person | None:
        return None if key is None else self.persons[key]


def _token() -> str:
    return "zq" + uuid.uuid4().hex[:12]


def _build() -> MatrixWorld:
    model = oracle.World()
    persons: dict[str, Person] = {}
    for key in sorted(LOCAL - {"mod"}):
        persons[key] = factories.person(key)
        model.add_person(key)
    for key, username in REMOTE.items():
        persons[key] = factories.remote_person(username)
        model.add_person(key, local=False)
    # Staff read like anyone else: no visibility exception (rule 15).
    moderator = create_local_account("mod", "mod@example.test", factories.PASSWORD, is_admin=True)
    persons["mod"] = moderator.person
    model.add_person("mod")
    p = persons

    def share(owner: str, aspect_name: str, *members: str) -> None:
        aspect = graph.create_aspect(p[owner], aspect_name)
        for member in members:
            graph.add_to_aspect(p[owner], aspect, p[member])
            assert model.add_to_aspect(owner, aspect_name, member)

    def follow(follower: str, followee: str) -> None:
        graph.follow(p[follower], p[followee])
        assert model.follow(follower, followee)

    share("amy", "Friends", "max", "bo", "bea", "rem")
    share("amy", "Work", "cole")
    for follower in ("fay", "bo", "bea", "ray"):
        follow(follower, "amy")
    share("sue", "Friends", "max")
    for follower in ("fay", "ray"):
        follow(follower, "sue")
    for follower in ("sam", "fay", "bo", "bea", "max"):
        follow(follower, "ray")
    share("lia", "Friends", "max")
    for follower in ("fay", "ray"):
        follow(follower, "lia")

    items: dict[tuple[str, str], Item] = {}
    mentions = {"amy": ("max", "bo", "bea", "rem"), "sue": ("max",), "lia": ("max",)}
    # Open posts that mention someone: lia's public post mentions sam, who does not follow her.
    open_mentions = {("lia", "public"): ("sam",)}
    for author in AUTHORS:
        for kind in KINDS[:-1]:
            token = _token()
            media = Media.objects.create(
                owner=p[author], file=f"media/{token}.png", content_type="image/png", state=MediaState.READY
            )
            options: dict = {"media_ids": [media.id]}
            own_tag = f"t{token}"
            text = f"{token} #{TAG} #{own_tag}"
            if kind in ("public", "unlisted"):
                options["visibility"] = kind
                text += "".join(f" @{m}" for m in open_mentions.get((author, kind), ()))
            elif kind == "limited-aspect":
                friends = p[author].aspects.get(name="Friends")
                options.update(visibility=Visibility.LIMITED, aspect_ids=[friends.id])
            elif kind == "all-aspects":
                options.update(visibility=Visibility.LIMITED, all_aspects=True)
            else:
                handles = [p[m].handle if m in REMOTE else p[m].username for m in mentions[author]]
                text += " " + " ".join(f"@{h}" for h in handles)
                options["visibility"] = Visibility.DIRECT
            expected_audience = model.audience_for(
                author,
                {"limited-aspect": "limited", "all-aspects": "limited", "direct-mention": "direct"}.get(kind, kind),
                aspect_names=("Friends",) if kind == "limited-aspect" else (),
                all_aspects=kind == "all-aspects",
                mentions=mentions[author] if kind == "direct-mention" else (),
            )
            post = social.publish_post(p[author], text, **options)
            fact = model.publish(
                token,
                author,
                post.visibility,
                audience=expected_audience,
                tags=frozenset({TAG, own_tag}),
                mentions=frozenset(mentions[author]) if kind == "direct-mention"
                else frozenset(open_mentions.get((author, kind), ())),
            )
            item = Item(post=post, fact=fact, token=token, tag=own_tag, media=Media.objects.get(id=media.id))
            item.comment_token = _token()
            item.comment = social.add_comment(p["max"], post, f"{item.comment_token} nice")
            item.comment_fact = CommentFact(item.comment_token, "max", fact)
            replier = {"amy": "bo", "lia": "lia"}.get(author)
            if replier is not None:
                item.reply_token = _token()
                item.reply = social.add_comment(p[replier], post, f"{item.reply_token} hmm", parent=item.comment)
                item.reply_fact = CommentFact(item.reply_token, replier, fact, parent=item.comment_fact)
            if author == "amy" and kind in ("public", "unlisted"):
                item.limited_comment_token = _token()
                item.limited_comment = social.add_comment(p["lia"], post, f"{item.limited_comment_token} ok")
                item.limited_comment_fact = CommentFact(item.limited_comment_token, "lia", fact)
            item.like = social.like(p["max"], post=post)
            item.like_fact = LikeFact(f"like-{token}", "max", post=fact)
            items[(author, kind)] = item
        public = items[(author, "public")]
        shared = social.reshare(p["ray"], public.post)
        fact = model.publish(f"reshare-{public.token}", "ray", "public", reshare_of=public.fact)
        # A reshare shows the reshared post: its token is what pages print.
        items[(author, "reshare")] = Item(post=shared, fact=fact, token=public.token)

    for item in items.values():
        for viewer in sorted(LOCAL):
            rows = []
            liked = Notification.objects.create(
                recipient=p[viewer], kind=NotificationKind.LIKED, actor=p["max"], post=item.post
            )
            rows.append((liked, NotificationFact(f"n{liked.id}", viewer, "max", post=item.fact)))
            if item.comment is not None:
                commented = Notification.objects.create(
                    recipient=p[viewer],
                    kind=NotificationKind.COMMENTED,
                    actor=p["max"],
                    post=item.post,
                    comment=item.comment,
                )
                rows.append(
                    (commented, NotificationFact(f"n{commented.id}", viewer, "max", item.fact, item.comment_fact))
                )
            if item.limited_comment is not None:
                # About a limited person's comment (rule 15c) and by her (rule 15d).
                by_lia = Notification.objects.create(
                    recipient=p[viewer],
                    kind=NotificationKind.COMMENTED,
                    actor=p["lia"],
                    post=item.post,
                    comment=item.limited_comment,
                )
                rows.append(
                    (by_lia, NotificationFact(f"n{by_lia.id}", viewer, "lia", item.fact, item.limited_comment_fact))
                )
            if item.fact.author == "lia" and viewer != "lia":
                mentioned = Notification.objects.create(
                    recipient=p[viewer], kind=NotificationKind.MENTIONED, actor=p["lia"], post=item.post
                )
                rows.append((mentioned, NotificationFact(f"n{mentioned.id}", viewer, "lia", post=item.fact)))
                # A moderation notice naming her as its actor is shown whoever reads it (rule 15d).
                notice = Notification.objects.create(
                    recipient=p[viewer], kind=NotificationKind.ADMIN_REPORT, actor=p["lia"]
                )
                rows.append((notice, NotificationFact(f"n{notice.id}", viewer, "lia", kind="admin_report")))
            if item is items[("amy", "public")]:
                # Rule 17: a report's outcome names the account reported, suspended below (sue)
                # or blocked by the reader (cal blocks max): shown all the same.
                for named in ("sue", "max"):
                    outcome = Notification.objects.create(
                        recipient=p[viewer], kind=NotificationKind.REPORT_OUTCOME, actor=p[named]
                    )
                    rows.append((outcome, NotificationFact(f"n{outcome.id}", viewer, named, kind="report_outcome")))
            item.notifications[viewer] = rows

    # After publishing: blocks in both directions, and a suspension.
    graph.block(p["amy"], p["bo"])
    model.block("amy", "bo")
    graph.block(p["bea"], p["amy"])
    model.block("bea", "amy")
    graph.block(p["cal"], p["max"])
    model.block("cal", "max")
    graph.block(p["max"], p["ben"])
    model.block("max", "ben")
    suspend_account(moderator, Account.objects.get(person=p["sue"]), "spam")
    model.state["sue"] = "suspended"
    set_limited(None, p["lia"], True)
    model.limit("lia")
    for key in persons:
        persons[key].refresh_from_db()
    return MatrixWorld(model=model, persons=persons, items=items)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once and committed (so domain events fire); each case then reads it inside a rolled-back transaction."""
    with django_db_blocker.unblock():
        built = _build()
        yield built
        call_command("flush", interactive=False, verbosity=0)


# ---- the read paths ----------------------------------------------------------------------
# Each takes (world, viewer key, item) and returns (what kith answered, what the oracle expects).

Check = Callable[[MatrixWorld, "str | None", Item], tuple[object, object]]


@dataclass(frozen=True)
class Path:
    name: str
    check: Check
    # "all", "local" (logged-in people of this pod), "local+anonymous", "remote" (people of
    # other pods) or "once-per-author" (rules that do not depend on the viewer)
    viewers: str = "all"
    needs_attachments: bool = False  # comments, likes, photos: not on a reshare (they go to the original)


def _is_local_viewer(key: str | None) -> bool:
    return key is not None and key in LOCAL


def _post_ids(posts) -> set[int]:
    return {p.id for p in posts}


def _can_see_post(w, key, item):
    """The post predicate, and with it whether the viewer may reshare the post (rule 12)."""
    post = Post.objects.select_related("reshare_of").get(id=item.post.id)
    root = post.reshare_of or post
    viewer = w.person(key)
    actual = (can_see_post(viewer, post), can_reshare(viewer, post), is_resharable(root))
    root_fact = item.fact.reshare_of or item.fact
    expected = (w.model.sees_post(key, item.fact), w.model.may_reshare(key, item.fact), root_fact.visibility == "public")
    return actual, expected


def _visible_posts(w, key, item):
    found = visible_posts(w.person(key)).filter(id=item.post.id).exists()
    return found, w.model.sees_post(key, item.fact)


def _filter_rows(w, key, item):
    # Any rows pointing at posts will do; the author's own stream rows point at every post they
    # made but a message (a direct post, in no stream), whose audience rows point at it.
    if item.post.visibility == Visibility.DIRECT:
        rows = PostAudience.objects.filter(post_id=item.post.id)
    else:
        rows = StreamEntry.objects.filter(owner_id=item.post.author_id, post_id=item.post.id)
    found = filter_by_post_visibility(w.person(key), rows, "post").exists()
    return found, w.model.sees_post(key, item.fact)


def _stream(w, key, item):
    """The stream holds the post iff fan-out delivered it and the viewer may still see it.  With
    it, rule 13 asked now: would fan-out write the post into the viewer's stream (the author's
    own row aside), of the graph as it stands, blocks after publishing included?"""
    page = selectors.Page(max_id=item.post.id + 1, min_id=item.post.id - 1)
    in_stream = item.post.id in _post_ids(timeline_selectors.stream(w.person(key), page))
    post = Post.objects.select_related("reshare_of").get(id=item.post.id)
    person_id = w.persons[key].id
    named = any(person_id in set(ids) for ids, _ in stream_recipient_sources(post))
    recipient = named and person_id not in kept_from_stream(post)
    return (in_stream, recipient), (w.model.in_stream(key, item.fact), w.model.gets_stream_row(key, item.fact))


def _person_posts(w, key, item):
    page = selectors.Page(max_id=item.post.id + 1, min_id=item.post.id - 1)
    found = item.post.id in _post_ids(selectors.person_posts(w.person(key), item.post.author, page))
    return found, w.model.on_profile(key, item.fact)


def _tag_posts(w, key, item):
    page = selectors.Page(max_id=item.post.id + 1, min_id=item.post.id - 1)
    found = item.post.id in _post_ids(timeline_selectors.tag_posts(w.person(key), TAG, page))
    return found, w.model.on_tag_page(key, item.fact, TAG)


def _public_posts(w, key, item):
    """The pod's public timeline, and whether the post belongs in public listings at all (rule 10a)."""
    page = selectors.Page(max_id=item.post.id + 1, min_id=item.post.id - 1)
    found = item.post.id in _post_ids(timeline_selectors.public_posts(w.person(key), page))
    listed = is_publicly_listed(Post.objects.get(id=item.post.id))
    return (found, listed), (w.model.on_public_timeline(key, item.fact), w.model.publicly_listed(item.fact))


def _post_for(w, key, item):
    try:
        shown = selectors.post_for(w.person(key), item.post.id).id == item.post.id
    except NotFound:
        shown = False
    return shown, w.model.sees_post(key, item.fact)


def _comments_of(item: Item) -> list[tuple[Comment, CommentFact, str]]:
    """The item's comments: max's, the reply to it where there is one, and lia's where there is one."""
    found = [(item.comment, item.comment_fact, item.comment_token)]
    if item.reply is not None:
        found.append((item.reply, item.reply_fact, item.reply_token))
    if item.limited_comment is not None:
        found.append((item.limited_comment, item.limited_comment_fact, item.limited_comment_token))
    return found


def _comment_predicate(w, key, item):
    answers = [can_see_comment(w.person(key), Comment.objects.get(id=c.id)) for c, _, _ in _comments_of(item)]
    return answers, [w.model.sees_comment(key, fact) for _, fact, _ in _comments_of(item)]


def _comment_queryset(w, key, item):
    visible = visible_comments_anywhere(w.person(key))
    answers = [visible.filter(id=c.id).exists() for c, _, _ in _comments_of(item)]
    return answers, [w.model.sees_comment(key, fact) for _, fact, _ in _comments_of(item)]


def _comments_for(w, key, item):
    """What a post page shows: the post if visible, then its comments."""
    viewer = w.person(key)
    expected = [w.model.sees_comment(key, fact) for _, fact, _ in _comments_of(item)]
    try:
        post = selectors.post_for(viewer, item.post.id)
    except NotFound:
        return [False] * len(expected), expected
    shown = {c.id for c in selectors.comments_for(viewer, post)}
    return [c.id in shown for c, _, _ in _comments_of(item)], expected


def _comment_total(w, key, item):
    """The number under a post counts the comments the viewer is shown, nothing more."""
    viewer = w.person(key)
    facts = [fact for _, fact, _ in _comments_of(item)]
    try:
        counted = selectors.post_for(viewer, item.post.id).comment_count
    except NotFound:
        counted = 0
    return counted, w.model.comment_total(key, item.fact, facts) if w.model.sees_post(key, item.fact) else 0


def _api_replies_count(w, key, item):
    """A client's replies_count, of the post (its comments) and of max's comment (bo's reply)."""
    viewer = w.person(key)
    facts = [fact for _, fact, _ in _comments_of(item)]
    expected: list[int | None] = [
        w.model.comment_total(key, item.fact, facts) if w.model.sees_post(key, item.fact) else None,
        w.model.reply_total(key, item.comment_fact, facts) if w.model.sees_comment(key, item.comment_fact) else None,
    ]
    answers: list[int | None] = [None, None]
    posts = selectors.posts_by_ids(viewer, [item.post.id])
    if posts:
        answers[0] = entities.status(viewer, posts[0])["replies_count"]
    comments = selectors.comments_by_ids(viewer, [item.comment.id])
    if comments:
        answers[1] = entities.status(viewer, comments[0])["replies_count"]
    return answers, expected


def _likes(w, key, item):
    """What a post page shows: the post if visible, then who liked it."""
    viewer = w.person(key)
    try:
        post = selectors.post_for(viewer, item.post.id)
    except NotFound:
        return False, w.model.sees_like(key, item.like_fact)
    likers = selectors.likers(viewer, post)
    found = visible_likes(viewer, Like.objects.filter(id=item.like.id)).exists() and w.persons["max"] in likers
    return found, w.model.sees_like(key, item.like_fact)


def _media(w, key, item):
    """Whether the viewer sees the photo, and whether it is public (rule 9), as the web serves
    it and as the API links it (a public photo's URL carries no viewer link)."""
    viewer = w.person(key)
    media = Media.objects.select_related("post__author").get(id=item.media.id)
    linked = "?t=" in entities.media_attachment(media, viewer)["url"]
    actual = (can_see_media(viewer, media), photo_is_public(media), linked)
    public = w.model.photo_is_public(item.fact)
    return actual, (w.model.sees_post(key, item.fact), public, viewer is not None and not public)


def _tag_uses(w, key, item):
    """Rule 11: the post's own tag is named by tag search and trends only if the post is public
    and its author active (the same for every viewer)."""
    named = [
        public_tag_uses().filter(tag__name=item.tag).exists(),
        item.tag in {t.name for t in social_search.search_tags(item.tag)},
        item.tag in {t.name for t in selectors.trending_tags(limit=1000)},
    ]
    return named, [w.model.tag_is_named(item.tag)] * len(named)


def _delivery(w, key, item):
    """Rule 14: is the post sent to this remote person?  An open post goes to the author's
    followers and its mentioned people, a closed one to its fixed audience."""
    post = item.post
    person_id = w.persons[key].id
    if delivered_to_followers(post):
        followers = Follow.objects.filter(followee_id=post.author_id, follower_id=person_id, state=FollowState.ACCEPTED)
        sent = followers.exists() or PostMention.objects.filter(post_id=post.id, person_id=person_id).exists()
    else:
        sent = PostAudience.objects.filter(post_id=post.id, person_id=person_id).exists()
    return sent, w.model.delivered_to(key, item.fact)


def _notifications_for(key, item):
    return item.notifications.get(key) or item.notifications["max"]


def _notification_predicate(w, key, item):
    answers, expected = [], []
    for row, fact in _notifications_for(key, item):
        answers.append(can_see_notification(w.person(key), Notification.objects.get(id=row.id)))
        expected.append(w.model.sees_notification(key, fact))
    return answers, expected


def _notification_queryset(w, key, item):
    viewer = w.person(key)
    answers = [visible_notifications(viewer).filter(id=row.id).exists() for row, _ in _notifications_for(key, item)]
    return answers, [w.model.sees_notification(key, fact) for _, fact in _notifications_for(key, item)]


def _notifications_selector(w, key, item):
    viewer = w.person(key)
    answers = []
    for row, _ in _notifications_for(key, item):
        page = selectors.Page(max_id=row.id + 1, min_id=row.id - 1)
        answers.append(row.id in {n.id for n in notification_selectors.notifications(viewer, page)})
    return answers, [w.model.sees_notification(key, fact) for _, fact in _notifications_for(key, item)]


PATHS: list[Path] = [
    Path("can-see-post", _can_see_post),
    Path("visible-posts", _visible_posts),
    Path("filter-rows", _filter_rows),
    Path("stream", _stream, viewers="local"),
    Path("person-posts", _person_posts),
    Path("tag-posts", _tag_posts),
    Path("public-posts", _public_posts),
    Path("post-for", _post_for),
    Path("can-see-comment", _comment_predicate, needs_attachments=True),
    Path("visible-comments", _comment_queryset, needs_attachments=True),
    Path("comments-for", _comments_for, needs_attachments=True),
    Path("comment-total", _comment_total, needs_attachments=True),
    Path("api-replies-count", _api_replies_count, needs_attachments=True),
    Path("likes", _likes, needs_attachments=True),
    Path("media", _media, needs_attachments=True),
    # Rules that do not depend on the viewer: asked once per post, not per viewer kind.
    Path("tag-uses", _tag_uses, viewers="once-per-author", needs_attachments=True),  # a reshare has no tags
    Path("delivery", _delivery, viewers="remote"),
    Path("can-see-notification", _notification_predicate, viewers="local+anonymous"),
    Path("visible-notifications", _notification_queryset, viewers="local"),
    Path("notifications-selector", _notifications_selector, viewers="local"),
]


# ---- paths that join in when their modules exist ---------------------------------------------


def _search_module():
    try:
        from kith.social import search
    except ImportError:
        return None
    return search if hasattr(search, "search_posts") else None


def _search_check(w, key, item):
    search = _search_module()
    results = search.search_posts(w.person(key), item.token)
    root_fact = item.fact.reshare_of or item.fact
    root_id = Post.objects.get(id=item.post.id).reshare_of_id or item.post.id
    # Search finds originals by their words; a reshare wrapper has none of its own.
    return root_id in _post_ids(results), w.model.in_search(key, root_fact)


if _search_module() is not None:
    PATHS.append(Path("search", _search_check))


def _page_ready(url: str) -> bool:
    """The URL is routed and every template its view names exists (pages land piece by piece)."""
    try:
        view = inspect.unwrap(resolve(url).func)
    except Resolver404:
        return False
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return True
    for name in re.findall(r"[\"'](web/[\w/.-]+\.html)[\"']", source):
        try:
            get_template(name)
        except TemplateDoesNotExist:
            return False
    return True


def _page(w: MatrixWorld, key: str | None, url: str, *, follow: bool = False) -> tuple[int, str]:
    """The status and body of the web page `url` as the viewer gets it, rendered once per module.

    Many cases read one page (a post's page shows its post, comments and total; the home page
    and the tag page show every post): a render costs ~0.1 CPU-s, and the world is the same for
    each of them (every case only reads it, in a transaction rolled back after it; the one test
    that writes, rex's follow, reads no page), so the first render stands for all of them."""
    cached = w.pages.get((key, url, follow))
    if cached is None:
        client = Client()
        if key is not None:
            client.force_login(w.persons[key].account)
        response = client.get(url, follow=follow)
        cached = w.pages[(key, url, follow)] = (response.status_code, response.content.decode())
    return cached


def _page_shows(w, key, url: str, token: str) -> bool:
    status, body = _page(w, key, url, follow=True)  # a reshare redirects to its original
    if status != 200:
        return False
    return re.search(rf"\b{re.escape(token)}\b", body) is not None


def _web_post(w, key, item):
    return _page_shows(w, key, f"/posts/{item.post.id}", item.token), w.model.sees_post(key, item.fact)


def _web_comment(w, key, item):
    answers = [_page_shows(w, key, f"/posts/{item.post.id}", token) for _, _, token in _comments_of(item)]
    return answers, [w.model.sees_comment(key, fact) for _, fact, _ in _comments_of(item)]


def _web_comment_total(w, key, item):
    """The "N comments" link under the post on its page."""
    status, body = _page(w, key, f"/posts/{item.post.id}")
    facts = [fact for _, fact, _ in _comments_of(item)]
    if not w.model.sees_post(key, item.fact):
        return status == 200, False  # (the post itself is the web-post path's business)
    found = re.search(rf'href="/posts/{item.post.id}#comments">\s*(\d+)', body)
    return int(found.group(1)) if found else None, w.model.comment_total(key, item.fact, facts)


def _web_profile(w, key, item):
    author = w.persons[item.fact.author]
    return _page_shows(w, key, f"/@{author.username}", item.token), w.model.on_profile(key, item.fact)


def _web_tag(w, key, item):
    shown = _page_shows(w, key, f"/tags/{TAG}", item.token)
    # A reshare wrapper is not tagged; its token belongs to the original, listed on its own.
    original = item.fact.reshare_of or item.fact
    return shown, w.model.on_tag_page(key, original, TAG)


def _web_stream(w, key, item):
    """The home page: the viewer's stream (a reshare shows the original's text)."""
    shown = _page_shows(w, key, "/", item.token)
    expected = w.model.in_stream(key, item.fact)
    if item.fact.reshare_of is not None:
        original = item.fact.reshare_of
        expected = bool(expected) or bool(w.model.in_stream(key, original))
    elif item.fact.visibility == "public":
        reshare = w.items[(item.fact.author, "reshare")].fact
        expected = bool(expected) or bool(w.model.in_stream(key, reshare))
    return shown, expected


def _web_search(w, key, item):
    """The search page echoes the query, so look for the found post's link rather than its words."""
    root_id = Post.objects.get(id=item.post.id).reshare_of_id or item.post.id
    status, body = _page(w, key, f"/search?q={item.token}", follow=True)
    shown = status == 200 and f'href="/posts/{root_id}"' in body
    # The words are the original's; a reshare wrapper has none of its own.
    return shown, w.model.in_search(key, item.fact.reshare_of or item.fact)


if _page_ready("/search"):
    PATHS.append(Path("web-search", _web_search, viewers="local+anonymous"))
if _page_ready("/posts/1"):
    PATHS.append(Path("web-post", _web_post, viewers="local+anonymous"))
    PATHS.append(Path("web-post-comment", _web_comment, viewers="local+anonymous", needs_attachments=True))
    PATHS.append(Path("web-comment-total", _web_comment_total, viewers="local+anonymous", needs_attachments=True))
if _page_ready("/@someone"):
    PATHS.append(Path("web-profile", _web_profile, viewers="local+anonymous"))
if _page_ready(f"/tags/{TAG}"):
    PATHS.append(Path("web-tag", _web_tag, viewers="local+anonymous"))
if _page_ready("/"):
    PATHS.append(Path("web-stream", _web_stream, viewers="local"))


# ---- the generated cases ---------------------------------------------------------------------


def _applies(path: Path, viewer_kind: str, kind: str) -> bool:
    key, _ = VIEWERS[viewer_kind]
    if path.needs_attachments and kind == "reshare":
        return False
    if path.viewers == "local":
        return _is_local_viewer(key)
    if path.viewers == "local+anonymous":
        return key is None or _is_local_viewer(key)
    if path.viewers == "remote":
        return key is not None and key in REMOTE
    if path.viewers == "once-per-author":
        return viewer_kind in ("author", "suspended-author-anonymous", "limited-author")
    return True


CASES = [
    pytest.param(viewer_kind, kind, path, id=f"{kind}-{viewer_kind}-{path.name}")
    for kind, viewer_kind, path in itertools.product(KINDS, VIEWERS, PATHS)
    if _applies(path, viewer_kind, kind)
]


@pytest.mark.parametrize(("viewer_kind", "kind", "path"), CASES)
def test_read_path_agrees_with_oracle(world, viewer_kind, kind, path):
    key, author = VIEWERS[viewer_kind]
    item = world.items[(author, kind)]
    actual, expected = path.check(world, key, item)
    assert actual == expected, f"{path.name}: {viewer_kind} on a {kind} post of {author}"


@pytest.mark.parametrize("viewer_kind", list(VIEWERS))
def test_no_closed_post_leaks_through_any_path(world, viewer_kind):
    """The headline property, stated once more per viewer: whatever a path shows of a
    limited or direct post, the viewer was in its audience when it was published."""
    key, author = VIEWERS[viewer_kind]
    for kind in KINDS:
        item = world.items[(author, kind)]
        if not world.model.leaks(key, item.fact):
            continue
        viewer = world.person(key)
        assert not can_see_post(viewer, Post.objects.get(id=item.post.id)), kind
        assert not visible_posts(viewer).filter(id=item.post.id).exists(), kind
        assert not visible_comments_anywhere(viewer).filter(post_id=item.post.id).exists(), kind


def test_delivery_reaches_a_remote_follower_of_open_posts_only(world):
    """Rule 14 with a remote follower of the author: the world has none (so the delivery path
    above sees only audiences), so rex follows amy here, in this case's rolled-back transaction
    and, for its duration, in the oracle."""
    Follow.objects.create(follower=world.persons["rex"], followee=world.persons["amy"], state=FollowState.ACCEPTED)
    world.model.follows.add(("rex", "amy"))
    try:
        answers = {kind: _delivery(world, "rex", world.items[("amy", kind)]) for kind in KINDS if kind != "reshare"}
    finally:
        world.model.follows.discard(("rex", "amy"))
    assert {kind: actual for kind, (actual, _) in answers.items()} == {kind: expected for kind, (_, expected) in answers.items()}
    assert answers["unlisted"] == (True, True)  # the case this test is for: an open post goes to followers


def test_account_totals_agree_with_oracle(world):
    """Rule 10: the post and follower totals of an account are the same for every viewer and
    count open posts only (a limited post would tell anyone when its author posts)."""
    for key in ("amy", "sue", "ray", "lia"):
        account = entities.accounts([Person.objects.get(id=world.persons[key].id)])[0]
        assert (account["statuses_count"], account["followers_count"]) == (
            world.model.post_total(key),
            world.model.follower_total(key),
        ), key


def test_matrix_covers_every_viewer_kind_and_visibility(world):
    """The product really is complete: no viewer kind or visibility silently dropped out."""
    seen = {(c.values[0], c.values[1]) for c in CASES}
    assert seen == set(itertools.product(VIEWERS, KINDS))
    # The world is the one described: sanity of the oracle's audiences against the graph we built.
    friends = {"max", "bo", "bea", "rem"}
    assert world.items[("amy", "limited-aspect")].fact.audience == friends
    assert world.items[("amy", "all-aspects")].fact.audience == friends | {"cole", "fay", "ray"}
    assert world.items[("amy", "direct-mention")].fact.audience == friends
