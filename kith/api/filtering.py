"""The viewer's content filters (Mastodon's filters v2) applied to rendered statuses.

One call per response: the viewer's filters for the context are loaded once (a fixed number
of queries, whatever the page holds), then each status is matched in Python.  A `warn` match
sets the status's `filtered` (clients show it behind the filter's title); a `hide` match drops
it.  The judgement itself (keywords, whole words, chosen statuses, one's own statuses) is
kith.timelines.reading's, which the web pages and the streaming API use as well.

Contexts as Mastodon has them: "home" (home and list timelines), "notifications", "public"
(public and tag timelines), "thread" (a status's context) and "account" (a profile's statuses).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kith.api import entities
from kith.timelines.reading import ReaderFilters, html_text
from kith.timelines.reading import searchable_text as _searchable_text
from kith.visibility import Viewer

Item = TypeVar("Item")


def searchable_text(status: dict[str, Any]) -> str:
    """A status entity's text as kith.timelines.reading matches keywords against it."""
    poll = status.get("poll")
    return _searchable_text(
        status.get("spoiler_text") or "",
        html_text(status.get("content") or ""),
        [option["title"] for option in poll.get("options", [])] if poll else [],
        [media.get("description") or "" for media in status.get("media_attachments", [])],
    )


def _results(filters: ReaderFilters, status: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """(FilterResult entities, hidden?) for one status entity."""
    proper = status.get("reblog") or status
    judgement = filters.judge(author_id=int(status["account"]["id"]), status_ids=[int(status["id"]), int(proper["id"])],
                              text=searchable_text(proper))
    if judgement is None:
        return [], False
    results = [{
        "filter": entities.filter_entity(match.filter, parts=False),
        "keyword_matches": match.keywords or None,
        "status_matches": [str(i) for i in match.status_ids] or None,
    } for match in judgement.matches]
    return results, judgement.hidden


def apply_filters(
    viewer: Viewer,
    context: str,
    items: Sequence[Item],
    *,
    status_of: Callable[[Item], dict[str, Any] | None] | None = None,
    filters: ReaderFilters | None = None,
) -> list[Item]:
    """`items` (status entities, or entities holding one: pass `status_of`) with the viewer's
    filters for `context` applied: matched statuses get `filtered`, hidden ones are left out.
    Anonymous viewers have no filters; the viewer's own statuses are never filtered.  `filters`:
    the viewer's, already loaded (the streaming API judges many batches with one load)."""
    if viewer is None or not items:
        return list(items)
    filters = filters if filters is not None else ReaderFilters(viewer, context)
    if not filters:
        return list(items)
    status_of = status_of or (lambda item: item)  # type: ignore[assignment, return-value]
    kept = []
    for item in items:
        status = status_of(item)
        if status is None:
            kept.append(item)
            continue
        results, hidden = _results(filters, status)
        if hidden:
            continue
        if results:
            status["filtered"] = results
            if status.get("reblog"):
                status["reblog"]["filtered"] = results
        kept.append(item)
    return kept
