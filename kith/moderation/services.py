"""Write paths for moderation: reports (account and domain actions come next)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from kith.core import events
from kith.core.errors import Invalid
from kith.moderation import audit
from kith.moderation.models import Report, ReportCategory
from kith.people.models import Person
from kith.social.models import Comment, Post

MAX_REPORT_COMMENT = 5000


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

    `forward`: a report about someone of another server goes there too, anonymised.
    `category` is one of Mastodon's; `violation` must name the pod rules broken, and
    a Kith pod has no rules yet, so it cannot be chosen (clients offer it only when
    the instance lists rules).
    """
    if reporter is not None and reporter.id == target.id:
        raise Invalid("You cannot report yourself.")
    if any(post.author_id != target.id for post in posts) or any(c.author_id != target.id for c in comments):
        raise Invalid("A report names posts of the reported person only.")
    if category not in ReportCategory.values:
        raise Invalid(f"Unknown report category: {category}")
    if rule_ids or category == ReportCategory.VIOLATION:
        raise Invalid("This pod has no rules to name in a report.")
    forwarded = forward and not target.is_local
    report = Report.objects.create(
        reporter=reporter, reporter_domain=reporter_domain[:255], target=target,
        comment=(comment or "").strip()[:MAX_REPORT_COMMENT], category=category, forwarded=forwarded,
    )
    report.posts.set(posts)
    if comments:
        report.comments.set(comments)
    audit.record("report.file", target=report, reporter=reporter.handle if reporter else reporter_domain)
    if forwarded:
        events.emit_on_commit(events.ReportForwarded(report.id))
    return report
