"""Write paths for a person's own notifications, read markers and content filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kith.core.errors import Invalid, NotFound
from kith.people.models import Person
from kith.social.models import Comment, Post
from kith.timelines.models import (
    Filter,
    FilterAction,
    FilterContext,
    FilterKeyword,
    FilterStatus,
    Marker,
    MarkerTimeline,
    Notification,
)

MAX_FILTERS = 200
MAX_KEYWORDS_PER_FILTER = 200
MAX_STATUSES_PER_FILTER = 1000
MAX_FILTER_TITLE_CHARS = 256
MAX_KEYWORD_CHARS = 512
# A filter lasts at most about ten years; longer is "never expires" by another name.
MAX_EXPIRES_IN = timedelta(days=3653)


# ---- notifications ----------------------------------------------------------------------


def mark_all_read(viewer: Person) -> int:
    return Notification.objects.filter(recipient=viewer, read=False).update(read=True)


def mark_seen(viewer: Person, notification_ids: Sequence[int]) -> int:
    """Looking at notifications reads them (as in Mastodon and diaspora*): mark those a page
    showed the viewer as read, and no others (older pages stay unread until they are shown)."""
    if not notification_ids:
        return 0  # no write (nor SQLite's write lock) for a page with nothing unread
    return Notification.objects.filter(recipient=viewer, read=False, id__in=list(notification_ids)).update(read=True)


def mark_read(viewer: Person, notification_id: int) -> None:
    Notification.objects.filter(recipient=viewer, id=notification_id).update(read=True)


def dismiss(viewer: Person, notification_id: int) -> None:
    Notification.objects.filter(recipient=viewer, id=notification_id).delete()


def clear_all(viewer: Person) -> None:
    Notification.objects.filter(recipient=viewer).delete()


# ---- markers ----------------------------------------------------------------------------


@transaction.atomic
def save_marker(owner: Person, timeline: str, last_read_id: int) -> Marker:
    """Remember where `owner` stopped reading `timeline`; the version goes up on every change.

    Moving the notifications marker also marks what it passed as read, so the unread
    count (of the web pages and of the API) agrees with what the apps show as read."""
    if timeline not in MarkerTimeline.values:
        raise Invalid("Unknown timeline.")
    if last_read_id < 0:
        raise Invalid("last_read_id must be an id.")
    marker = Marker.objects.select_for_update().filter(owner=owner, timeline=timeline).first()
    if marker is None:
        marker = Marker.objects.create(owner=owner, timeline=timeline, last_read_id=last_read_id)
    elif marker.last_read_id != last_read_id:
        marker.last_read_id = last_read_id
        marker.version += 1
        marker.save(update_fields=["last_read_id", "version", "updated_at"])
    if timeline == MarkerTimeline.NOTIFICATIONS:
        Notification.objects.filter(recipient=owner, read=False, id__lte=last_read_id).update(read=True)
    return marker


# ---- filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KeywordChange:
    """One entry of a filter's keyword list when creating or updating it.

    Without `id` it adds a keyword; with `id` it edits that keyword, or deletes it
    when `destroy` is set."""

    keyword: str | None = None
    whole_word: bool | None = None
    id: int | None = None
    destroy: bool = False


def _clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title or len(title) > MAX_FILTER_TITLE_CHARS:
        raise Invalid(f"A filter's title is 1 to {MAX_FILTER_TITLE_CHARS} characters.")
    return title


def _clean_contexts(contexts: Sequence[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(contexts or ()))
    if not chosen:
        raise Invalid("A filter needs at least one context: " + ", ".join(FilterContext.values) + ".")
    unknown = [c for c in chosen if c not in FilterContext.values]
    if unknown:
        raise Invalid(f"Unknown filter context: {unknown[0]}.")
    return chosen


def _clean_action(action: str | None) -> str:
    action = action or FilterAction.WARN
    if action not in FilterAction.values:
        raise Invalid("A filter's action is warn or hide.")
    return action


def _expiry(expires_in: int | None) -> datetime | None:
    if expires_in is None:
        return None
    if expires_in <= 0:
        raise Invalid("expires_in is a number of seconds greater than zero.")
    return timezone.now() + min(timedelta(seconds=expires_in), MAX_EXPIRES_IN)


def _clean_keyword(keyword: str | None) -> str:
    keyword = (keyword or "").strip()
    if not keyword or len(keyword) > MAX_KEYWORD_CHARS:
        raise Invalid(f"A keyword is 1 to {MAX_KEYWORD_CHARS} characters.")
    return keyword


def _check_owner(owner: Person, filter_: Filter) -> None:
    if filter_.owner_id != owner.id:
        raise NotFound("Record not found")


def _apply_keyword_changes(filter_: Filter, changes: Sequence[KeywordChange]) -> None:
    for change in changes:
        if change.id is None:
            if change.destroy:
                continue
            _add_keyword(filter_, change.keyword, True if change.whole_word is None else change.whole_word)
            continue
        keyword = FilterKeyword.objects.filter(filter=filter_, id=change.id).first()
        if keyword is None:
            raise NotFound("Record not found")
        if change.destroy:
            keyword.delete()
        else:
            _change_keyword(keyword, change.keyword, change.whole_word)


def _add_keyword(filter_: Filter, keyword: str | None, whole_word: bool) -> FilterKeyword:
    if FilterKeyword.objects.filter(filter=filter_).count() >= MAX_KEYWORDS_PER_FILTER:
        raise Invalid(f"A filter has at most {MAX_KEYWORDS_PER_FILTER} keywords.")
    return FilterKeyword.objects.create(filter=filter_, keyword=_clean_keyword(keyword), whole_word=whole_word)


def _change_keyword(keyword: FilterKeyword, text: str | None, whole_word: bool | None) -> FilterKeyword:
    if text is not None:
        keyword.keyword = _clean_keyword(text)
    if whole_word is not None:
        keyword.whole_word = whole_word
    keyword.save(update_fields=["keyword", "whole_word"])
    return keyword


@transaction.atomic
def create_filter(
    owner: Person,
    title: str,
    contexts: Sequence[str],
    *,
    action: str | None = None,
    expires_in: int | None = None,
    keywords: Sequence[KeywordChange] = (),
) -> Filter:
    if Filter.objects.filter(owner=owner).count() >= MAX_FILTERS:
        raise Invalid(f"You can have at most {MAX_FILTERS} filters.")
    filter_ = Filter.objects.create(
        owner=owner,
        title=_clean_title(title),
        contexts=_clean_contexts(contexts),
        action=_clean_action(action),
        expires_at=_expiry(expires_in),
    )
    _apply_keyword_changes(filter_, keywords)
    return filter_


UNCHANGED = object()


@transaction.atomic
def update_filter(
    owner: Person,
    filter_: Filter,
    *,
    title: str | None = None,
    contexts: Sequence[str] | None = None,
    action: str | None = None,
    expires_in: object = UNCHANGED,
    keywords: Sequence[KeywordChange] = (),
) -> Filter:
    """Change what is given; `expires_in=None` makes the filter last until removed."""
    _check_owner(owner, filter_)
    if title is not None:
        filter_.title = _clean_title(title)
    if contexts is not None:
        filter_.contexts = _clean_contexts(contexts)
    if action is not None:
        filter_.action = _clean_action(action)
    if expires_in is not UNCHANGED:
        filter_.expires_at = _expiry(expires_in)  # type: ignore[arg-type]
    filter_.save(update_fields=["title", "contexts", "action", "expires_at"])
    _apply_keyword_changes(filter_, keywords)
    return filter_


@transaction.atomic
def delete_filter(owner: Person, filter_: Filter) -> None:
    _check_owner(owner, filter_)
    filter_.delete()


@transaction.atomic
def add_filter_keyword(owner: Person, filter_: Filter, keyword: str, *, whole_word: bool = True) -> FilterKeyword:
    _check_owner(owner, filter_)
    return _add_keyword(filter_, keyword, whole_word)


@transaction.atomic
def update_filter_keyword(
    owner: Person, keyword: FilterKeyword, *, text: str | None = None, whole_word: bool | None = None
) -> FilterKeyword:
    _check_owner(owner, keyword.filter)
    return _change_keyword(keyword, text, whole_word)


@transaction.atomic
def delete_filter_keyword(owner: Person, keyword: FilterKeyword) -> None:
    _check_owner(owner, keyword.filter)
    keyword.delete()


@transaction.atomic
def add_filter_status(owner: Person, filter_: Filter, target: Post | Comment) -> FilterStatus:
    """Filter one post or comment by hand.  The caller found `target` through a selector
    (so the owner may see it); filtering it twice returns the existing row."""
    _check_owner(owner, filter_)
    keys = {"post": target, "comment": None} if isinstance(target, Post) else {"post": None, "comment": target}
    existing = FilterStatus.objects.filter(filter=filter_, **keys).first()
    if existing is not None:
        return existing
    if FilterStatus.objects.filter(filter=filter_).count() >= MAX_STATUSES_PER_FILTER:
        raise Invalid(f"A filter has at most {MAX_STATUSES_PER_FILTER} statuses.")
    return FilterStatus.objects.create(filter=filter_, **keys)


@transaction.atomic
def delete_filter_status(owner: Person, status: FilterStatus) -> None:
    _check_owner(owner, status.filter)
    status.delete()
