"""Write paths for moderation: reports (account and domain actions come next)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from kith.core import events
from kith.core.errors import Invalid
from kith.moderation import audit
from kith.moderation import rules as pod_rules
from kith.moderation.models import Report, ReportCategory
from kith.people.models import Person
from kith.social.models import Comment, Post

MAX_REPORT_COMMENT = 5000


def _named_rules(rule_ids: Sequence[int]) -> list[dict[str, str]]:
    """The pod rules with these ids (PodRule ids, as /api/v1/instance/rules gives them), as
    they read now; an unknown or removed rule is refused."""
    return pod_rules.cite(rule_ids)


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
    `category` is one of Mastodon's; `violation` must name the pod rules broken
    (`rule_ids`: PodRule ids, as /api/v1/instance/rules gives them), and only `violation`
    may name rules.
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
        rules=rules,
    )
    report.posts.set(posts)
    if comments:
        report.comments.set(comments)
    audit.record("report.file", target=report, reporter=reporter.handle if reporter else reporter_domain)
    if forwarded:
        events.emit_on_commit(events.ReportForwarded(report.id))
    return report
