"""Reads for moderation: what a person may name in a report, and reports as filed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Case, Count, OuterRef, Subquery, When

from kith.core.errors import NotFound
from kith.moderation.models import AccountAction, PodRule, Report, ReportNote, ReportState
from kith.people.models import Account, Person
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


def pod_rules() -> list[PodRule]:
    """The pod's rules in force, in their order (removed ones keep their rows for what cites them)."""
    return list(PodRule.objects.filter(deleted_at=None))


# ---- the staff's queue and report page ---------------------------------------------------------

QUEUE_STATES = ("open", "resolved", "all")
QUEUE_LIMIT = 100


def report_queue(staff: Account, *, state: str = "open", mine: bool = False, limit: int = QUEUE_LIMIT) -> list[Report]:
    """Reports for the staff's queue, open ones first then newest, each with what a row shows
    loaded in the same query: target, reporter, assignee and the counts (posts and comments
    attached, private notes, reports about the same person)."""
    about_same_person = (
        Report.objects.filter(target=OuterRef("target")).order_by().values("target").annotate(n=Count("id")).values("n")
    )
    rows = Report.objects.select_related("target", "reporter", "assigned_to").annotate(
        post_total=Count("posts", distinct=True),
        comment_total=Count("comments", distinct=True),
        note_total=Count("notes", distinct=True),
        target_report_total=Subquery(about_same_person),
    )
    if state == "open":
        rows = rows.filter(state=ReportState.OPEN)
    elif state == "resolved":
        rows = rows.exclude(state=ReportState.OPEN)
    if mine:
        rows = rows.filter(assigned_to=staff)
    return list(rows.order_by(Case(When(state=ReportState.OPEN, then=0), default=1), "-id")[:limit])


def open_report_count() -> int:
    return Report.objects.filter(state=ReportState.OPEN).count()


@dataclass(frozen=True)
class ReportPage:
    """Everything the staff's page about one report shows."""

    report: Report
    notes: list[ReportNote]
    # The reported posts and comments as they are now (gone when deleted; the snapshot stays).
    posts_now: list[Post]
    comments_now: list[Comment]
    earlier_reports: list[Report]
    actions: list[AccountAction]
    rules: list[PodRule]


def report_page(report_id: int) -> ReportPage:
    """One report for staff, or NotFound.  Staff read the reported posts and comments as they are
    now whatever their audience: the reporter handed them to this pod's moderators, and the
    snapshot holds the same text already."""
    report = Report.objects.select_related("target", "reporter", "assigned_to", "resolved_by").filter(id=report_id).first()
    if report is None:
        raise NotFound("No such report.")
    return ReportPage(
        report=report,
        notes=list(report.notes.select_related("author")),
        posts_now=list(report.posts.select_related("author").prefetch_related("media").order_by("id")),
        comments_now=list(report.comments.select_related("author").order_by("id")),
        earlier_reports=list(
            Report.objects.filter(target_id=report.target_id).exclude(id=report.id)
            .select_related("reporter").order_by("-id")[:50]
        ),
        actions=list(
            AccountAction.objects.filter(target_id=report.target_id).select_related("moderator", "appeal").order_by("-id")[:50]
        ),
        rules=pod_rules(),
    )


def reports_by_id(report_ids: Sequence[int]) -> dict[int, Report]:
    """Reports with their target and reporter, for naming them in notifications (one query)."""
    if not report_ids:
        return {}
    return {row.id: row for row in Report.objects.select_related("target", "reporter").filter(id__in=set(report_ids))}
