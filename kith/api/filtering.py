"""The viewer's content filters (Mastodon's filters v2) applied to rendered statuses.

One call per response: the viewer's filters for the context are loaded once (a fixed number
of queries, whatever the page holds), then each status is matched in Python.  A `warn` match
sets the status's `filtered` (clients show it behind the filter's title); a `hide` match drops
it.  Matching itself (keywords, whole words, chosen statuses) is kith.timelines.filters'.

Contexts as Mastodon has them: "home" (home and list timelines), "notifications", "public"
(public and tag timelines), "thread" (a status's context) and "account" (a profile's statuses).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kith.api import entities
from kith.timelines.filters import ActiveFilter
from kith.timelines.selectors import active_filters
from kith.visibility import Viewer

Item = TypeVar("Item")
_TAG = re.compile(r"<[^>]+>")


def searchable_text(status: dict[str, Any]) -> str:
    """What keywords are matched against: content warning, text, poll options, photo descriptions."""
    parts = [status.get("spoiler_text") or "", html.unescape(_TAG.sub(" ", status.get("content") or ""))]
    poll = status.get("poll")
    if poll:
        parts += [option["title"] for option in poll.get("options", [])]
    parts += [media.get("description") or "" for media in status.get("media_attachments", [])]
    return "\n".join(parts)


def _results(filters: list[ActiveFilter], status: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """(FilterResult entities, hidden?) for one status entity."""
    proper = status.get("reblog") or status
    text = searchable_text(proper)
    ids = [int(status["id"]), int(proper["id"])]
    results, hidden = [], False
    for active in filters:
        keywords = active.keyword_matches(text)
        matched_ids = active.status_matches(ids)
        if not keywords and not matched_ids:
            continue
        hidden = hidden or active.hides
        results.append({
            "filter": entities.filter_entity(active.filter, parts=False),
            "keyword_matches": keywords or None,
            "status_matches": [str(i) for i in dict.fromkeys(matched_ids)] or None,
        })
    return results, hidden


def apply_filters(
    viewer: Viewer,
    context: str,
    items: Sequence[Item],
    *,
    status_of: Callable[[Item], dict[str, Any] | None] | None = None,
) -> list[Item]:
    """`items` (status entities, or entities holding one: pass `status_of`) with the viewer's
    filters for `context` applied: matched statuses get `filtered`, hidden ones are left out.
    Anonymous viewers have no filters; the viewer's own statuses are never filtered."""
    if viewer is None or not items:
        return list(items)
    filters = active_filters(viewer, context)
    if not filters:
        return list(items)
    status_of = status_of or (lambda item: item)  # type: ignore[assignment, return-value]
    own_id = str(viewer.id)
    kept = []
    for item in items:
        status = status_of(item)
        if status is None or status["account"]["id"] == own_id:
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
