"""How a person's content filters match statuses: keywords (optionally whole words) and chosen
posts or comments.  Plain Python over text, so every adapter (API, web, streaming) matches alike."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from kith.timelines.models import Filter, FilterAction, FilterKeyword, FilterStatus


def with_parts(filters: QuerySet[Filter]) -> QuerySet[Filter]:
    """Filters with their keywords and chosen statuses, each in the order they were added."""
    return filters.prefetch_related(
        Prefetch("keywords", queryset=FilterKeyword.objects.order_by("id")),
        Prefetch("statuses", queryset=FilterStatus.objects.order_by("id")),
    )


_WORD_AT_START = re.compile(r"^\w")
_WORD_AT_END = re.compile(r"\w$")


def keyword_pattern(keyword: str, whole_word: bool) -> re.Pattern[str]:
    """Case-insensitive; a whole-word keyword needs a word boundary on each side that is a word
    character (so "#tag" or "c++" still match where a boundary cannot be)."""
    escaped = re.escape(keyword)
    if whole_word:
        start = r"\b" if _WORD_AT_START.search(keyword) else ""
        end = r"\b" if _WORD_AT_END.search(keyword) else ""
        escaped = f"{start}{escaped}{end}"
    return re.compile(escaped, re.IGNORECASE)


@dataclass
class ActiveFilter:
    """One filter in force, ready to test texts and status ids against."""

    filter: Filter
    keywords: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    status_ids: set[int] = field(default_factory=set)

    @property
    def hides(self) -> bool:
        return self.filter.action == FilterAction.HIDE

    @classmethod
    def of(cls, filter_: Filter) -> ActiveFilter:
        """From a Filter whose `keywords` and `statuses` were prefetched."""
        return cls(
            filter=filter_,
            keywords=[(k.keyword, keyword_pattern(k.keyword, k.whole_word)) for k in filter_.keywords.all()],
            status_ids={s.post_id or s.comment_id for s in filter_.statuses.all()},
        )

    def keyword_matches(self, text: str) -> list[str]:
        """The keywords found in `text`, in the filter's order."""
        return [keyword for keyword, pattern in self.keywords if pattern.search(text)]

    def status_matches(self, status_ids: list[int]) -> list[int]:
        return [status_id for status_id in status_ids if status_id in self.status_ids]
