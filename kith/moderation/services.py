"""Write paths for moderation: filing a report (staff work on reports is in reports.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from kith.core import events
from kith.core.errors import Invalid
from kith.moderation import audit
from kith.moderation import rules as pod_rules
from kith.moderation.models import Report, ReportCategory
from kith.people.models import AccountState, Person, Role
from kith.social.models import Comment, Media, Post
from kith.social.wire_ids import wire_ids

MAX_REPORT_COMMENT = 5000


def _named_rules(rule_ids: Sequence[int]) -> list[dict[str, str]]:
    """The pod rules with these ids (PodRule ids, as /api/v1/instance/rules gives them), as
    they read now; an unknown or removed rule is refused."""
    return pod_rules.cite(rule_ids)


def _uris(model_key: str, ids: Sequence[int]) -> dict[int, str]:
    """The ids other servers know these remote posts or comments by (one query)."""
    registered = wire_ids()
    if registered is None or not ids:
        return {}
    table = registered.remote_posts if model_key == "post" else registered.remote_comments
    rows = table.model._default_manager.filter(**{f"{table.key}__in": list(ids)}).values_list(table.key, table.uri)
    return {key: uri for key, uri in rows}


def _local_uri(kind: str, author: Person, item_id: int) -> str:
    registered = wire_ids()
    if registered is None:
        return f"{settings.KITH_URL}/posts/{item_id}" if kind == "post" else ""
    return (registered.post if kind == "post" else registered.comment)(author.username, item_id)


def snapshot_of(posts: Sequence[Post], comments: Sequence[Comment]) -> list[dict[str, Any]]:
    """The reported posts and comments as they look now, kept on the report so staff see them
    as reported even after an edit or a deletion (Report.snapshot)."""
    remote_posts = _uris("post", [p.id for p in posts if not p.author.is_local])
    remote_comments = _uris("comment", [c.id for c in comments if not c.author.is_local])
    media: dict[int, list[dict[str, str]]] = {}
    for item in Media.objects.filter(post__in=[p.id for p in posts]).order_by("position", "id"):
        media.setdefault(item.post_id or 0, []).append({
            "url": item.remote_url or f"{settings.KITH_URL}/media/{item.id}/original",
            "description": item.description,
        })
    shots: list[dict[str, Any]] = []
    for post in posts:
        shots.append({
            "kind": "post", "id": str(post.id),
            "uri": _local_uri("post", post.author, post.id) if post.author.is_local else remote_posts.get(post.id, ""),
            "html": post.html, "content_warning": post.content_warning,
            "created_at": post.created_at.isoformat(), "media": media.get(post.id, []),
        })
    for comment in comments:
        shots.append({
            "kind": "comment", "id": str(comment.id), "post_id": str(comment.post_id),
            "uri": (_local_uri("comment", comment.author, comment.id) if comment.author.is_local
                    else remote_comments.get(comment.id, "")),
            "html": comment.html, "content_warning": "",
            "created_at": comment.created_at.isoformat(), "media": [],
        })
    return shots


def staff_people_ids() -> list[int]:
    """The people of this pod's active staff accounts (admins and moderators)."""
    return list(
        Person.objects.filter(
            account__role__in=[Role.ADMIN, Role.MODERATOR], account__state=AccountState.ACTIVE, domain=""
        ).values_list("id", flat=True)
    )


@transaction.atomic
def file_report(
    target: Person,
    *,
    reporter: Person | None = None,
    reporter_domain: str = "",
    posts: Sequence[Post] = (),
    comments: Sequence[Comment] = (),
    comment: str = "",
    forward: bool = False,
    category: str = ReportCategory.OTHER,
    rule_ids: Sequence[int] = (),
) -> Report:
    """A report for this pod's moderators.  Posts and comments must be the target's own.

    `forward`: a report about someone of another server goes there too, anonymised (staff
    can also forward it later: reports.forward_report).  `category` is one of Mastodon's;
    `violation` must name the pod rules broken (`rule_ids`: PodRule ids, as
    /api/v1/instance/rules names them), and only `violation` may name rules.  The posts and
    comments are kept as they look now (Report.snapshot), and every staff member is told.
    """
    if reporter is not None and reporter.id == target.id:
        raise Invalid("You cannot report yourself.")
    if any(post.author_id != target.id for post in posts) or any(c.author_id != target.id for c in comments):
        raise Invalid("A report names posts of the reported person only.")
    if category not in ReportCategory.values:
        raise Invalid(f"Unknown report category: {category}")
    rules = _named_rules(rule_ids)
    if category == ReportCategory.VIOLATION and not rules:
        raise Invalid("A report of a rule violation names the rules broken.")
    if rules and category != ReportCategory.VIOLATION:
        raise Invalid("Only a report of a rule violation names rules.")
    forwarded = forward and not target.is_local
    report = Report.objects.create(
        reporter=reporter, reporter_domain=reporter_domain[:255], target=target,
        comment=(comment or "").strip()[:MAX_REPORT_COMMENT], category=category, forwarded=forwarded,
        rules=rules, snapshot=snapshot_of(posts, comments),
    )
    report.posts.set(posts)
    if comments:
        report.comments.set(comments)
    audit.record("report.file", target=report, reporter=reporter.handle if reporter else reporter_domain)
    # The notice names the reporter to staff when there is one here; a report from another
    # server names nobody, so it points at the reported person.
    actor_id = reporter.id if reporter is not None else target.id
    for staff_id in staff_people_ids():
        if staff_id not in (target.id, reporter.id if reporter is not None else None):
            events.emit_on_commit(
                events.ModerationNotice(staff_id, "admin_report", actor_id, {"report_id": report.id})
            )
    if forwarded:
        events.emit_on_commit(events.ReportForwarded(report.id))
    return report

