"""Reads for moderation: what a person may name in a report, and reports as filed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Case, Count, OuterRef, Prefetch, QuerySet, Subquery, When

from kith.core.errors import NotFound
from kith.core.paging import FIRST_PAGE, Page, page_ids
from kith.moderation.models import AccountAction, PodRule, Report, ReportNote, ReportState
from kith.people.models import Account, Person
from kith.social import selectors as social
from kith.social.models import Comment, Post
from kith.visibility import Viewer, visible_comments_anywhere, visible_posts


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

    @property
    def some_gone(self) -> bool:
        """Whether some of what was reported is deleted since, or not shown to this staff member."""
        return len(self.posts_now) + len(self.comments_now) < len(self.report.snapshot)


def report_page(report_id: int, viewer: Viewer) -> ReportPage:
    """One report for a staff member (`viewer`: their person), or NotFound.  The reported posts
    and comments as they are now are the ones the viewer may see (kith.visibility, as
    everywhere); the snapshot keeps what the reporter saw, which the reporter handed to staff."""
    report = Report.objects.select_related("target", "reporter", "assigned_to", "resolved_by").filter(id=report_id).first()
    if report is None:
        raise NotFound("No such report.")
    post_ids = list(report.posts.order_by("id").values_list("id", flat=True))
    comment_ids = list(report.comments.order_by("id").values_list("id", flat=True))
    return ReportPage(
        report=report,
        notes=list(report.notes.select_related("author")),
        posts_now=social.posts_by_ids(viewer, post_ids) if post_ids else [],
        comments_now=social.comments_by_ids(viewer, comment_ids) if comment_ids else [],
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
    rows = Report.objects.select_related("target", "reporter").prefetch_related(
        Prefetch("posts", queryset=Post.objects.only("id")), Prefetch("comments", queryset=Comment.objects.only("id"))
    )
    return {row.id: row for row in rows.filter(id__in=set(report_ids))}


# ---- Mastodon's admin API ----------------------------------------------------------------------


def _report_rows(rows: QuerySet[Report]) -> QuerySet[Report]:
    """Reports with what an Admin::Report renders: people with their logins, the staff
    accounts with their people, the reported ids."""
    return rows.select_related(
        "reporter__account", "target__account", "assigned_to__person", "resolved_by__person"
    ).prefetch_related(Prefetch("posts", queryset=Post.objects.only("id")), Prefetch("comments", queryset=Comment.objects.only("id")))


def admin_report_list(*, resolved: bool | None, account_id: int | None = None,
                      target_account_id: int | None = None, page: Page = FIRST_PAGE) -> list[Report]:
    """Reports newest first: open ones (`resolved` False), closed ones (True) or all (None);
    filed by `account_id` or about `target_account_id`."""
    rows = Report.objects.all()
    if resolved is not None:
        rows = rows.exclude(state=ReportState.OPEN) if resolved else rows.filter(state=ReportState.OPEN)
    if account_id is not None:
        rows = rows.filter(reporter_id=account_id)
    if target_account_id is not None:
        rows = rows.filter(target_id=target_account_id)
    ids = page_ids(rows, page)
    by_id = {row.id: row for row in _report_rows(Report.objects.filter(id__in=ids))}
    return [by_id[i] for i in ids if i in by_id]


def admin_report(report_id: int) -> Report:
    found = _report_rows(Report.objects.filter(id=report_id)).first()
    if found is None:
        raise NotFound("Record not found")
    return found
