"""Write paths for moderation: reports (account and domain actions come next)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from kith.core import events
from kith.core.errors import Invalid
from kith.moderation import audit
from kith.moderation.models import Report
from kith.people.models import Person
from kith.social.models import Post

MAX_REPORT_COMMENT = 5000


@transaction.atomic
def file_report(
    target: Person,
    *,
    reporter: Person | None = None,
    reporter_domain: str = "",
    posts: Sequence[Post] = (),
    comment: str = "",
    forward: bool = False,
) -> Report:
    """A report for this pod's moderators.  Posts must be the target's own.

    `forward`: a report about someone of another server goes there too, anonymised.
    """
    if reporter is not None and reporter.id == target.id:
        raise Invalid("You cannot report yourself.")
    if any(post.author_id != target.id for post in posts):
        raise Invalid("A report names posts of the reported person only.")
    report = Report.objects.create(
        reporter=reporter, reporter_domain=reporter_domain[:255], target=target,
        comment=(comment or "").strip()[:MAX_REPORT_COMMENT],
    )
    report.posts.set(posts)
    audit.record("report.file", target=report, reporter=reporter.handle if reporter else reporter_domain)
    if forward and not target.is_local:
        events.emit_on_commit(events.ReportForwarded(report.id))
    return report
