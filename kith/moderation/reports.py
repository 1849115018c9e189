"""Staff work on reports: assign, private notes, forward to the reported person's server,
resolve or dismiss, reopen.  Each is one transaction, audited; only staff may do them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kith.core import events
from kith.core.errors import Conflict, Invalid
from kith.moderation import audit, permissions
from kith.moderation.models import Report, ReportNote, ReportState
from kith.people.models import Account

MAX_NOTE = 5000


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().get(pk=report.pk)


@transaction.atomic
def resolve_report(staff: Account, report: Report, *, outcome: str = "", dismissed: bool = False) -> Report:
    """Close a report: resolved (acted on) or dismissed (nothing to do).  `outcome` is what the
    reporter is told; a local reporter is notified."""
    permissions.require_staff(staff)
    report = _locked(report)
    if report.state != ReportState.OPEN:
        raise Conflict("This report is closed already.")
    report.state = ReportState.DISMISSED if dismissed else ReportState.RESOLVED
    report.resolved_by = staff
    report.resolved_at = timezone.now()
    report.outcome = outcome.strip()[:MAX_NOTE]
    report.save(update_fields=["state", "resolved_by", "resolved_at", "outcome", "updated_at"])
    audit.record("report.dismiss" if dismissed else "report.resolve", actor=staff, target=report, reason=report.outcome)
    if report.reporter is not None and report.reporter.is_local:
        events.emit_on_commit(events.ModerationNotice(
            report.reporter.id, "report_outcome", report.target_id, {"report_id": report.id}
        ))
    return report


@transaction.atomic
def reopen_report(staff: Account, report: Report) -> Report:
    permissions.require_staff(staff)
    report = _locked(report)
    if report.state == ReportState.OPEN:
        raise Conflict("This report is open already.")
    report.state = ReportState.OPEN
    report.resolved_by = None
    report.resolved_at = None
    report.save(update_fields=["state", "resolved_by", "resolved_at", "updated_at"])
    audit.record("report.reopen", actor=staff, target=report)
    return report


@transaction.atomic
def assign_report(staff: Account, report: Report, assignee: Account | None) -> Report:
    """Say who works on a report (`assignee` None: nobody).  Assigning the one already
    assigned changes nothing and is not logged twice."""
    permissions.require_staff(staff)
    if assignee is not None and not assignee.is_moderator:
        raise Invalid("Reports are assigned to moderators and admins only.")
    report = _locked(report)
    if report.assigned_to_id == (assignee.pk if assignee else None):
        return report
    report.assigned_to = assignee
    report.save(update_fields=["assigned_to", "updated_at"])
    audit.record(
        "report.assign" if assignee else "report.unassign", actor=staff, target=report,
        assignee=assignee.username if assignee else "",
    )
    return report


@transaction.atomic
def add_note(staff: Account, report: Report, text: str) -> ReportNote:
    """A private note on a report, for staff only."""
    permissions.require_staff(staff)
    text = (text or "").strip()
    if not text:
        raise Invalid("A note needs some text.")
    if len(text) > MAX_NOTE:
        raise Invalid(f"A note is at most {MAX_NOTE} characters.")
    note = ReportNote.objects.create(report=_locked(report), author=staff, text=text)
    audit.record("report.note", actor=staff, target=report, note_id=note.id)
    return note


@transaction.atomic
def forward_report(staff: Account, report: Report) -> Report:
    """Send a copy of a report about someone of another server to that server, as a Flag from
    this pod (the reporter stays anonymous).  Once per report."""
    permissions.require_staff(staff)
    report = _locked(report)
    if report.target.is_local:
        raise Invalid("This report is about someone of this pod: there is no other server to tell.")
    if report.forwarded:
        raise Conflict("This report was forwarded already.")
    report.forwarded = True
    report.save(update_fields=["forwarded", "updated_at"])
    audit.record("report.forward", actor=staff, target=report, domain=report.target.domain)
    events.emit_on_commit(events.ReportForwarded(report.id))
    return report
