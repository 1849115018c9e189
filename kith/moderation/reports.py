"""Staff work on reports: resolve or dismiss, reopen (assignment, notes and forwarding join here)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kith.core import events
from kith.core.errors import Conflict
from kith.moderation import audit
from kith.moderation.models import Report, ReportState
from kith.people.models import Account


@transaction.atomic
def resolve_report(staff: Account, report: Report, *, outcome: str = "", dismissed: bool = False) -> Report:
    """Close a report: resolved (acted on) or dismissed (nothing to do).  `outcome` is what the
    reporter is told; a local reporter is notified."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.state != ReportState.OPEN:
        raise Conflict("This report is closed already.")
    report.state = ReportState.DISMISSED if dismissed else ReportState.RESOLVED
    report.resolved_by = staff
    report.resolved_at = timezone.now()
    report.outcome = outcome.strip()
    report.save(update_fields=["state", "resolved_by", "resolved_at", "outcome", "updated_at"])
    audit.record("report.dismiss" if dismissed else "report.resolve", actor=staff, target=report, reason=report.outcome)
    if report.reporter is not None and report.reporter.is_local:
        events.emit_on_commit(events.ModerationNotice(
            report.reporter.id, "report_outcome", report.target_id, {"report_id": report.id}
        ))
    return report


@transaction.atomic
def reopen_report(staff: Account, report: Report) -> Report:
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.state == ReportState.OPEN:
        raise Conflict("This report is open already.")
    report.state = ReportState.OPEN
    report.resolved_by = None
    report.resolved_at = None
    report.save(update_fields=["state", "resolved_by", "resolved_at", "updated_at"])
    audit.record("report.reopen", actor=staff, target=report)
    return report
