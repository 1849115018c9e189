"""Reads for moderation: what a person may name in a report, and reports as filed."""

from __future__ import annotations

from collections.abc import Sequence

from kith.core.errors import NotFound
from kith.moderation.models import Report, ReportState
from kith.people.models import Person
from kith.social.models import Comment, Post
from kith.visibility import visible_comments_anywhere, visible_posts


def reportable_statuses(reporter: Person, target: Person, ids: Sequence[int]) -> tuple[list[Post], list[Comment]]:
    """The target's posts and comments with these ids, each one the reporter may see.

    Any id that is not such a thing is NotFound, the same answer as for a
    nonexistent id: a report must not reveal whether a hidden post exists."""
    wanted = set(ids)
    if not wanted:
        return [], []
    posts = list(visible_posts(reporter, Post.objects.filter(id__in=wanted, author_id=target.id)))
    missing = wanted - {post.id for post in posts}
    comments = (
        list(visible_comments_anywhere(reporter, Comment.objects.filter(id__in=missing, author_id=target.id)))
        if missing
        else []
    )
    if missing - {comment.id for comment in comments}:
        raise NotFound("Record not found")
    return posts, comments


def report_with_statuses(report_id: int) -> Report:
    """A report with its target and reported ids loaded, for rendering."""
    return Report.objects.select_related("target").prefetch_related("posts", "comments").get(id=report_id)


def open_report_count() -> int:
    """Reports waiting for staff (the badge on the main nav's "Moderation" link)."""
    return Report.objects.filter(state=ReportState.OPEN).count()
