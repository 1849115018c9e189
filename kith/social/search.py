"""Search: the full text of posts, people by name or handle, and tags.

Posts are searched through one interface over two engines, SQLite FTS5 (the
embedded default) and PostgreSQL full text.  Both are fed the same thing: a
post's words, normalised here in Python (case folded, accents dropped, split
on anything that is not a letter or digit).  So both engines tokenise alike,
find the same posts for the same query, and a query is only ever a list of
plain words: FTS5 and tsquery syntax typed by a person is never interpreted.

The index does not decide who sees what.  It narrows posts down to candidate
ids inside the same SQL statement that kith.visibility.visible_posts filters,
so a limited post matches only for its audience, and a deleted post, one whose
author was suspended or blocked, or a stale index row can never surface.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from kith.core import events
from kith.core.paging import FIRST_PAGE, Page, page_ids
from kith.core.text import normalise_tag, plain_text
from kith.people.models import Person
from kith.people.selectors import split_handle
from kith.social.models import Post, PostTag, Tag
from kith.social.selectors import load_in_order
from kith.visibility import (
    Viewer,
    found_by_name,
    public_tag_uses,
    searchable_posts,
    visible_persons,
    visible_posts,
)

MAX_QUERY_CHARS = 500
MAX_QUERY_WORDS = 16
# Longer "words" are hashes, base64 or keyboard mashing: nobody searches for them.
MAX_WORD_CHARS = 64
MAX_RESULTS = 40
# Letters and digits; the underscore is a separator, as it is for FTS5 and PostgreSQL.
_WORD_RE = re.compile(r"[^\W_]+")


def words_of(text: str) -> list[str]:
    """The searchable words of a text: case folded, without accents, in order."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    unaccented = unicodedata.normalize("NFKC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    return [word for word in _WORD_RE.findall(unaccented) if len(word) <= MAX_WORD_CHARS]


def _query_words(query: str) -> list[str]:
    words = words_of(query[:MAX_QUERY_CHARS])
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def _searchable_text(post: Post) -> str:
    # plain_text keeps HTML entities (&amp;), which would otherwise be indexed as the word "amp".
    parts = [post.content_warning, html.unescape(plain_text(post.html))]
    parts += [m.description for m in post.media.all()]  # alt text, as Mastodon indexes it
    if hasattr(post, "poll"):
        parts += [option.title for option in post.poll.options.all()]
    return "\n".join(parts)


# ---- the two engines ----------------------------------------------------------------


class _Engine(Protocol):
    def store(self, cursor: CursorWrapper, post_id: int, document: str) -> None: ...

    def remove(self, cursor: CursorWrapper, post_id: int) -> None: ...

    def matching_ids(self, words: list[str]) -> RawSQL: ...


class _SqliteFts5:
    """An FTS5 table of its own (created by migration 0002), rowid = post id.

    A standalone table, not external-content: it holds the normalised words,
    which exist nowhere else, and FTS5 keeps them consistent by itself.
    """

    def store(self, cursor: CursorWrapper, post_id: int, document: str) -> None:
        self.remove(cursor, post_id)
        cursor.execute("INSERT INTO social_post_search (rowid, words) VALUES (%s, %s)", [post_id, document])

    def remove(self, cursor: CursorWrapper, post_id: int) -> None:
        cursor.execute("DELETE FROM social_post_search WHERE rowid = %s", [post_id])

    def matching_ids(self, words: list[str]) -> RawSQL:
        # Every word quoted as an FTS5 string; words hold no '"', so nothing can break out.
        expression = " ".join(f'"{word}"' for word in words)
        return RawSQL("SELECT rowid FROM social_post_search WHERE social_post_search MATCH %s", [expression])


class _PostgresFullText:
    """A side table with a stored tsvector column and a GIN index on it.

    Stored rather than an expression index on social_post: the indexed text is
    made in Python (HTML stripped, accents folded, alt text added), which no SQL
    expression over the post's columns can reproduce.  'simple', not a language
    configuration: posts come in every language, and no stemming keeps results
    the same as on SQLite.
    """

    def store(self, cursor: CursorWrapper, post_id: int, document: str) -> None:
        cursor.execute(
            "INSERT INTO social_post_search (post_id, document) VALUES (%s, to_tsvector('simple', %s)) "
            "ON CONFLICT (post_id) DO UPDATE SET document = EXCLUDED.document",
            [post_id, document],
        )

    def remove(self, cursor: CursorWrapper, post_id: int) -> None:
        cursor.execute("DELETE FROM social_post_search WHERE post_id = %s", [post_id])

    def matching_ids(self, words: list[str]) -> RawSQL:
        # plainto_tsquery ANDs plain words and cannot fail on any input.
        return RawSQL(
            "SELECT post_id FROM social_post_search WHERE document @@ plainto_tsquery('simple', %s)",
            [" ".join(words)],
        )


_ENGINES: dict[str, _Engine] = {"sqlite": _SqliteFts5(), "postgresql": _PostgresFullText()}


def _engine() -> _Engine:
    try:
        return _ENGINES[connection.vendor]
    except KeyError:
        raise ImproperlyConfigured(f"Kith search supports SQLite and PostgreSQL, not {connection.vendor}") from None


# ---- keeping the index current --------------------------------------------------------


def index_post(post: Post) -> None:
    """(Re)write the post's entry; a reshare has no text of its own and gets none."""
    document = "" if post.reshare_of_id else " ".join(words_of(_searchable_text(post)))
    with transaction.atomic(), connection.cursor() as cursor:
        if document:
            _engine().store(cursor, post.id, document)
        else:
            _engine().remove(cursor, post.id)


def unindex_post(post_id: int) -> None:
    with connection.cursor() as cursor:
        _engine().remove(cursor, post_id)


@events.subscribe(events.PostPublished)
@events.subscribe(events.PostEdited)
def _index_on_change(event: events.PostPublished | events.PostEdited) -> None:
    post = Post.objects.select_related("poll").prefetch_related("media", "poll__options").filter(id=event.post_id).first()
    if post is not None:
        index_post(post)


@events.subscribe(events.PostDeleted)
def _unindex_on_delete(event: events.PostDeleted) -> None:
    unindex_post(event.post_id)


# ---- the reads -------------------------------------------------------------------------


def search_posts(viewer: Viewer, query: str, page: Page = FIRST_PAGE) -> list[Post]:
    """Posts containing every word of `query` that `viewer` may see, newest first.

    A fixed number of queries whatever the number of matches: one for the ids
    (index, visibility and paging in one statement), then selectors' page load.
    """
    candidates = posts_matching(query)
    if candidates is None:
        return []
    ids = page_ids(visible_posts(viewer, candidates), page)
    return load_in_order(viewer, ids)


def posts_matching(query: str) -> QuerySet[Post] | None:
    """All posts containing every word of `query` that search may find at all (not a limited
    author's: kith.visibility.searchable_posts), None for a query without words: callers
    narrow it with kith.visibility.visible_posts before reading anything."""
    words = _query_words(query)
    if not words:
        return None
    return searchable_posts(Post.objects.filter(id__in=_engine().matching_ids(words)))


def _clean_query(query: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    # Control characters (NUL above all, which PostgreSQL refuses in a string) are never part of a name.
    return "".join(c for c in query if c.isprintable()).strip()[:max_chars]


def _clamp(limit: int) -> int:
    return max(1, min(limit, MAX_RESULTS))


def search_people(viewer: Viewer, query: str, limit: int = 10) -> list[Person]:
    """People by display name, username or handle.

    Those who chose not to be `searchable`, and limited people (to all but their
    followers), are found only by their exact handle (`@name` or `name@domain`),
    as in diaspora*: a person one already knows the address of can still be
    reached.  Exact matches come first.
    """
    return list(people_matching(viewer, query)[: _clamp(limit)])


def people_matching(viewer: Viewer, query: str) -> QuerySet[Person]:
    """search_people's matches as an ordered queryset (exact handle first), for paging by offset."""
    text = _clean_query(query, 320)
    if not text.lstrip("@"):
        return Person.objects.none()
    username, domain = split_handle(text)
    if "@" in text:
        exact = Q(username__iexact=username, domain=domain)
        partial = Q(username__istartswith=username, domain__istartswith=domain)
    else:
        exact = Q(pk__in=[])
        partial = Q(username__istartswith=text) | Q(display_name__icontains=text)
    # A limited person is found by name only by their followers, by exact handle by anyone.
    by_name = found_by_name(viewer, Person.objects.filter(Q(searchable=True) & partial))
    return (
        visible_persons(viewer, Person.objects.filter(exact | Q(id__in=by_name.values("id"))))
        .annotate(exact=Case(When(exact, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("-exact", "username", "domain")
    )


def search_tags(query: str, limit: int = 10) -> list[Tag]:
    """Tags starting with `query`, the exact one first.

    Only tags of at least one visible public post: a Tag row also exists for
    tags used only in limited posts, and listing it would tell strangers what
    is being said in private.
    """
    return list(tags_matching(query)[: _clamp(limit)])


def tags_matching(query: str) -> QuerySet[Tag]:
    """search_tags' matches as an ordered queryset (exact name first), for paging by offset."""
    first_word = re.match(r"\w+", normalise_tag(_clean_query(query, 65)))
    if first_word is None:
        return Tag.objects.none()
    name = first_word.group(0)[:64]
    in_public_post = public_tag_uses(PostTag.objects.filter(tag_id=OuterRef("id")))
    return (
        Tag.objects.filter(name__startswith=name)
        .filter(Exists(in_public_post))
        .annotate(exact=Case(When(name=name, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("-exact", "name")
    )


def search_posts_page(
    viewer: Viewer, query: str, page: Page = FIRST_PAGE, *, offset: int = 0, author_id: int | None = None
) -> list[Post]:
    """search_posts for the client API: also paged by `offset` (Mastodon's search paging) and
    optionally narrowed to one author.  Same fixed number of queries."""
    candidates = posts_matching(query)
    if candidates is None:
        return []
    if author_id is not None:
        candidates = candidates.filter(author_id=author_id)
    page = page.clamp()
    visible = visible_posts(viewer, candidates)
    if page.max_id is not None:
        visible = visible.filter(id__lt=page.max_id)
    if page.since_id is not None:
        visible = visible.filter(id__gt=page.since_id)
    start = max(0, offset)
    if page.min_id is not None:
        oldest_first = visible.filter(id__gt=page.min_id).order_by("id")
        ids = sorted(oldest_first.values_list("id", flat=True)[start : start + page.limit], reverse=True)
    else:
        ids = list(visible.order_by("-id").values_list("id", flat=True)[start : start + page.limit])
    return load_in_order(viewer, ids)
