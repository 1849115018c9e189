"""What a reader's own content filters (Mastodon's filters v2) do to what they read: one
judgement for the web pages, the client API and the streaming API alike.

A filter applies in the contexts its owner chose ("home" for the stream and lists, "public"
for the public and tag timelines, "thread", "account", "notifications"); a `hide` match
takes the status out, a `warn` match shows it behind the filter's title.  The reader's own
statuses are never filtered.  Mutes and domain blocks are not filters: the stream queries
(kith.timelines.selectors) leave those authors out altogether, through
`without_muted_authors` and `without_blocked_domains` here, so that every preference a
reader set lives in this module.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from kith.graph.models import DomainBlock, Mute
from kith.people.models import Person
from kith.social.models import Comment, Poll, Post
from kith.timelines.filters import ActiveFilter, with_parts
from kith.timelines.models import Filter, FilterAction
from kith.visibility import Viewer

_Row = TypeVar("_Row", bound=Model)
_Judged = TypeVar("_Judged", Post, Comment)

_TAG = re.compile(r"<[^>]+>")


# ---- mutes and domain blocks: authors left out of what the reader reads ----------------------


def without_muted_authors(viewer: Viewer, rows: QuerySet[_Row], prefix: str = "") -> QuerySet[_Row]:
    """Drop rows whose post at `prefix` is by (or reshares) someone the viewer muted.  Muting
    hides what fan-out wrote before the mute too (fan-out skips muters from then on)."""
    if viewer is None:
        return rows
    muted = Mute.objects.filter(muter_id=viewer.id)
    return rows.exclude(Exists(muted.filter(muted_id=OuterRef(f"{prefix}author_id")))).exclude(
        Exists(muted.filter(muted_id=OuterRef(f"{prefix}reshare_of__author_id")))
    )


def without_blocked_domains(viewer: Viewer, rows: QuerySet[_Row], prefix: str = "") -> QuerySet[_Row]:
    """Drop rows whose post at `prefix` (or the post it reshares) comes from a domain the viewer
    blocked (graph.DomainBlock): one EXISTS, answered from the (person, domain) unique index."""
    if viewer is None:
        return rows
    blocked = DomainBlock.objects.filter(person_id=viewer.id).filter(
        Q(domain=OuterRef(f"{prefix}author__domain")) | Q(domain=OuterRef(f"{prefix}reshare_of__author__domain"))
    )
    return rows.exclude(Exists(blocked))


# ---- keyword filters -------------------------------------------------------------------------


def active_filters(owner: Person, context: str) -> list[ActiveFilter]:
    """The owner's unexpired filters for `context`, ready to match (three queries at most)."""
    now = timezone.now()
    unexpired = Filter.objects.filter(owner=owner).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    # JSON "contains" is not portable to SQLite; the context is checked here instead.
    return [ActiveFilter.of(f) for f in with_parts(unexpired).order_by("id") if context in f.contexts]


@dataclass(frozen=True)
class FilterMatch:
    filter: Filter
    keywords: list[str]
    status_ids: list[int]


@dataclass(frozen=True)
class Judgement:
    hidden: bool
    matches: list[FilterMatch]

    @property
    def titles(self) -> list[str]:
        return [match.filter.title for match in self.matches]


def html_text(markup: str) -> str:
    """The words of rendered HTML, as keywords are matched against them."""
    return html.unescape(_TAG.sub(" ", markup or ""))


def searchable_text(content_warning: str, text: str, poll_options: Sequence[str], descriptions: Sequence[str]) -> str:
    """What keywords are matched against: content warning, text, poll options, photo descriptions."""
    return "\n".join([content_warning or "", text, *poll_options, *(d or "" for d in descriptions)])


def post_text(post: Post) -> str:
    """`searchable_text` of a post loaded for a list (kith.social.selectors: poll options and ready
    photos prefetched, so no query here)."""
    try:
        options = [option.title for option in post.poll.options.all()]
    except Poll.DoesNotExist:
        options = []
    return searchable_text(post.content_warning, html_text(post.html), options,
                           [media.description for media in post.media.all()])


class ReaderFilters:
    """The reader's unexpired filters for one context, loaded once (a fixed number of queries
    whatever the page holds); each status is then judged in Python."""

    def __init__(self, reader: Person | None, context: str) -> None:
        self.reader_id = reader.id if reader is not None else None
        self.active: list[ActiveFilter] = active_filters(reader, context) if reader is not None else []

    def __bool__(self) -> bool:
        return bool(self.active)

    def judge(self, *, author_id: int, status_ids: Sequence[int], text: str) -> Judgement | None:
        """None when no filter matches (or the status is the reader's own)."""
        if not self.active or author_id == self.reader_id:
            return None
        matches: list[FilterMatch] = []
        for active in self.active:
            keywords = active.keyword_matches(text)
            matched_ids = list(dict.fromkeys(active.status_matches(list(status_ids))))
            if keywords or matched_ids:
                matches.append(FilterMatch(active.filter, keywords, matched_ids))
        if not matches:
            return None
        return Judgement(hidden=any(m.filter.action == FilterAction.HIDE for m in matches), matches=matches)

    def judge_post(self, post: Post) -> Judgement | None:
        """A post as a list shows it: a reshare is judged by what it reshares (and by its own id)."""
        if not self.active:
            return None
        shown = post.reshare_of or post
        return self.judge(author_id=post.author_id, status_ids=[post.id, shown.id], text=post_text(shown))

    def apply_to_posts(self, posts: Sequence[Post]) -> list[Post]:
        """`posts` without the hidden ones; each warned one gets `filtered_by` (the filters' titles)."""
        return self._apply(posts, self.judge_post)

    def judge_comment(self, comment: Comment) -> Judgement | None:
        """A comment as a thread shows it: its words (a comment has no warning, poll or photos),
        as the client API judges a comment's status entity in the "thread" context."""
        if not self.active:
            return None
        return self.judge(author_id=comment.author_id, status_ids=[comment.id],
                          text=searchable_text("", html_text(comment.html), [], []))

    def apply_to_comments(self, comments: Sequence[Comment]) -> list[Comment]:
        """`comments` without the hidden ones; each warned one gets `filtered_by` (the filters'
        titles).  A hidden comment's replies stay (as the API's flat descendants keep them)."""
        return self._apply(comments, self.judge_comment)

    def _apply(self, items: Sequence[_Judged], judge: Callable[[_Judged], Judgement | None]) -> list[_Judged]:
        if not self.active:
            # Set even when nothing is filtered: a template that asks for a missing attribute
            # pays for an exception each time (~15 ms for a thread of 200 comments).
            for item in items:
                item.filtered_by = []
            return list(items)
        kept = []
        for item in items:
            judgement = judge(item)
            if judgement is not None and judgement.hidden:
                continue
            item.filtered_by = judgement.titles if judgement is not None else []
            kept.append(item)
        return kept
