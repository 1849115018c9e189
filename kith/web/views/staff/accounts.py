"""The moderation area: accounts.  Find local and remote accounts, see one's history (the
reports about them, the actions taken with their appeals) and act: the action form, lifting,
deciding appeals.  Thin: kith.moderation.actions decides, audits and tells the person."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.errors import DomainError, Invalid
from kith.moderation import actions
from kith.moderation.models import Report
from kith.people.models import Account, Role
from kith.web.helpers import member_account, parse_id, staff_member

PAGE_SIZE = 50
# The longest expiry the form takes (a year); longer actions simply do not expire.
MAX_EXPIRES_IN = 365 * 24 * 3600
ORIGINS = ("local", "remote")
STATUS_FILTERS = (
    actions.AccountStatus.LIMITED, actions.AccountStatus.FROZEN, actions.AccountStatus.SUSPENDED,
    actions.AccountStatus.APPEALED,
)


def _staff(request: HttpRequest) -> Account:
    return member_account(request)


@staff_member
def account_list(request: HttpRequest) -> HttpResponse:
    """Search by handle or name; filter local/remote and limited/frozen/suspended."""
    query = request.GET.get("q", "")[:200]
    origin = request.GET.get("origin", "")
    status = request.GET.get("status", "")
    origin = origin if origin in ORIGINS else ""
    status = status if status in STATUS_FILTERS else ""
    max_id = parse_id(request.GET.get("max_id", ""))
    rows = actions.find_accounts(query=query, origin=origin, status=status, max_id=max_id, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    context = {
        "staff_section": "accounts", "accounts": rows, "query": query, "origin": origin, "status": status,
        "next_max_id": rows[-1].id if more and rows else None,
        "pending_appeals": actions.pending_appeal_count(),
    }
    return render(request, "web/staff/accounts.html", context)


@staff_member
def account_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """One account: who they are, the reports about them, the actions and appeals, the forms."""
    staff = _staff(request)
    person = actions.person_for_staff(person_id)
    history = actions.actions_for(person)
    context = {
        "staff_section": "accounts",
        "target": person,
        "target_account": person.account if person.is_local else None,
        "reports": [(report, report_url(report.id)) for report in actions.reports_about(person)],
        "history": history,
        "stateful_ids": {action.id for action in history if actions.is_stateful(action)},
        "rules": actions.active_rules(),
        "roles": Role.choices,
        "can_change_role": staff.is_admin and person.is_local and person.account_id not in (None, staff.pk),
    }
    return render(request, "web/staff/account.html", context)


def _ids(values: list[str]) -> list[str]:
    """Ids as the form sends them: several fields, or one with ids separated by commas or spaces."""
    return [part for value in values for part in re.split(r"[\s,]+", value) if part]


def _expires_at(raw: str) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        seconds = int(raw)
    except ValueError:
        raise Invalid(_("The expiry is a number of seconds.")) from None
    if not 0 < seconds <= MAX_EXPIRES_IN:
        raise Invalid(_("The expiry is between one second and a year."))
    return timezone.now() + timedelta(seconds=seconds)


def _report(raw: str) -> Report | None:
    if not raw.strip():
        return None
    report_id = parse_id(raw)
    report = Report.objects.filter(id=report_id).first() if report_id else None
    if report is None:
        raise Invalid(_("No such report."))
    return report


@staff_member
@require_POST
def account_action(request: HttpRequest, person_id: int) -> HttpResponse:
    """The action form (kind, reason, rule_ids, expires_in seconds, report_id, post_ids,
    comment_ids): take the action, then back to the report it settles, or to the account."""
    person = actions.person_for_staff(person_id)
    data = request.POST
    report: Report | None = None
    try:
        report = _report(data.get("report_id", ""))
        actions.take_action(
            _staff(request), person, data.get("kind", ""),
            reason=data.get("reason", ""), rule_ids=_ids(data.getlist("rule_ids")), report=report,
            post_ids=_ids(data.getlist("post_ids")), comment_ids=_ids(data.getlist("comment_ids")),
            expires_at=_expires_at(data.get("expires_in", "")),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(_back(person.id, report))
    messages.success(request, _("Done: the action is recorded in the account's history."))
    return redirect(_back(person.id, report))


def report_url(report_id: int) -> str:
    """The report's page in the queue (kith.web.views.staff.reports), or the queue."""
    try:
        return reverse("web:staff_report", args=[report_id])
    except NoReverseMatch:
        return "/moderation/"


def _back(person_id: int, report: Report | None) -> str:
    if report is not None:
        return report_url(report.id)
    return reverse("web:staff_account", args=[person_id])


@staff_member
@require_POST
def lift(request: HttpRequest, action_id: int) -> HttpResponse:
    action = actions.action_for_staff(action_id)
    try:
        actions.lift_action(_staff(request), action, why=actions.EndReason.LIFTED)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The action is lifted."))
    return redirect("web:staff_account", action.target_id)


@staff_member
@require_POST
def decide_appeal(request: HttpRequest, appeal_id: int, approve: bool) -> HttpResponse:
    appeal = actions.appeal_for_staff(appeal_id)
    try:
        actions.decide_appeal(_staff(request), appeal, approve=approve)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Appeal approved: the action is lifted.") if approve else _("Appeal rejected."))
    return redirect("web:staff_account", appeal.action.target_id)


urlpatterns: list[URLPattern] = [
    path("", account_list, name="staff_accounts"),
    path("<int:person_id>", account_detail, name="staff_account"),
    path("<int:person_id>/action", account_action, name="staff_account_action"),
    path("actions/<int:action_id>/lift", lift, name="staff_action_lift"),
    path("appeals/<int:appeal_id>/approve", decide_appeal, {"approve": True}, name="staff_appeal_approve"),
    path("appeals/<int:appeal_id>/reject", decide_appeal, {"approve": False}, name="staff_appeal_reject"),
]
