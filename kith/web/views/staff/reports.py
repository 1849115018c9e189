"""The moderation area: the report queue (/moderation/) and a report's page
(/moderation/reports/<id>): assign, private notes, forward, resolve or dismiss, reopen, and
the action form that posts to the accounts part.  Thin: kith.moderation decides."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.errors import DomainError, NotFound
from kith.moderation import reports as report_services
from kith.moderation import selectors
from kith.people.models import Account
from kith.web.helpers import staff_member


def _staff(request: HttpRequest) -> Account:
    return cast(Account, request.user)


@staff_member
def queue(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    if state not in selectors.QUEUE_STATES:
        state = "open"
    mine = request.GET.get("mine") == "1"
    reports = selectors.report_queue(_staff(request), state=state, mine=mine)
    return render(request, "web/staff/queue.html", {
        "staff_section": "reports", "reports": reports, "state": state, "mine": mine,
        "states": [("open", _("Open")), ("resolved", _("Closed")), ("all", _("All"))],
    })


def _page_of(request: HttpRequest, report_id: int) -> selectors.ReportPage:
    try:
        return selectors.report_page(report_id, getattr(_staff(request), "person", None))
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _render_report(request: HttpRequest, found: selectors.ReportPage, error: DomainError | None = None) -> HttpResponse:
    return render(request, "web/staff/report.html", {
        "staff_section": "reports", "page": found, "report": found.report,
        "error": error,
    }, status=error.status if error is not None else 200)


@staff_member
def report(request: HttpRequest, report_id: int) -> HttpResponse:
    return _render_report(request, _page_of(request, report_id))


def _acted(request: HttpRequest, report_id: int, act, done: str) -> HttpResponse:
    """Run one staff service on the report and come back to its page, saying what happened or why not."""
    found = _page_of(request, report_id)
    try:
        act(_staff(request), found.report)
    except DomainError as exc:
        return _render_report(request, _page_of(request, report_id), exc)
    messages.success(request, done)
    return redirect("web:staff_report", report_id)


@staff_member
@require_POST
def assign(request: HttpRequest, report_id: int) -> HttpResponse:
    return _acted(request, report_id, lambda staff, r: report_services.assign_report(staff, r, staff),
                  _("The report is assigned to you."))


@staff_member
@require_POST
def unassign(request: HttpRequest, report_id: int) -> HttpResponse:
    return _acted(request, report_id, lambda staff, r: report_services.assign_report(staff, r, None),
                  _("Nobody is assigned to the report now."))


@staff_member
@require_POST
def note(request: HttpRequest, report_id: int) -> HttpResponse:
    text = request.POST.get("text", "")
    return _acted(request, report_id, lambda staff, r: report_services.add_note(staff, r, text), _("Note added."))


@staff_member
@require_POST
def resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    outcome = request.POST.get("outcome", "")
    dismissed = "dismiss" in request.POST
    return _acted(
        request, report_id,
        lambda staff, r: report_services.resolve_report(staff, r, outcome=outcome, dismissed=dismissed),
        _("The report is dismissed.") if dismissed else _("The report is resolved."),
    )


@staff_member
@require_POST
def reopen(request: HttpRequest, report_id: int) -> HttpResponse:
    return _acted(request, report_id, report_services.reopen_report, _("The report is open again."))


@staff_member
@require_POST
def forward(request: HttpRequest, report_id: int) -> HttpResponse:
    return _acted(request, report_id, report_services.forward_report,
                  _("A copy went to their server, without the reporter's name."))


urlpatterns: list[URLPattern] = [
    path("", queue, name="staff_reports"),
    path("reports/<int:report_id>", report, name="staff_report"),
    path("reports/<int:report_id>/assign", assign, name="staff_report_assign"),
    path("reports/<int:report_id>/unassign", unassign, name="staff_report_unassign"),
    path("reports/<int:report_id>/note", note, name="staff_report_note"),
    path("reports/<int:report_id>/resolve", resolve, name="staff_report_resolve"),
    path("reports/<int:report_id>/reopen", reopen, name="staff_report_reopen"),
    path("reports/<int:report_id>/forward", forward, name="staff_report_forward"),
]
