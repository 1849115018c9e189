"""Mastodon's admin API for reports: /api/v1/admin/reports/...  Staff only (a moderator or an
admin, with an admin:*:reports scope).  Thin: kith.moderation.reports decides and audits."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Schema

from kith.api import admin_entities
from kith.api.admin_entities import AdminReport
from kith.api.auth import staff, viewer
from kith.api.pagination import PageParams, link_header
from kith.api.params import DbId
from kith.api.routing import ApiRouter
from kith.moderation import reports as report_services
from kith.moderation import selectors
from kith.moderation.models import Report, ReportState
from kith.people.models import Account

router = ApiRouter(tags=["admin"])

READ = staff("admin:read:reports")
WRITE = staff("admin:write:reports")
DEFAULT_LIMIT = 100
MAX_LIMIT = 200


class ReportFilter(Schema):
    # Mastodon: open reports unless `resolved`; Mastodon.py sends both to ask for all.
    resolved: bool | None = None
    unresolved: bool | None = None
    account_id: DbId | None = None
    target_account_id: DbId | None = None

    def state(self) -> bool | None:
        if self.resolved and self.unresolved:
            return None
        return bool(self.resolved)


def _staff(request: HttpRequest) -> Account:
    return request.staff  # type: ignore[attr-defined]  # set by StaffOAuth


def _entity(request: HttpRequest, report_id: int) -> dict[str, Any]:
    return admin_entities.admin_reports(viewer(request), [selectors.admin_report(report_id)])[0]


@router.get("/v1/admin/reports", response=list[AdminReport], auth=READ)
def reports(request: HttpRequest, response: HttpResponse, page: Query[PageParams],
            filters: Query[ReportFilter]) -> list[dict[str, Any]]:
    wanted = page.to_page(DEFAULT_LIMIT, MAX_LIMIT)
    rows = selectors.admin_report_list(
        resolved=filters.state(), account_id=filters.account_id, target_account_id=filters.target_account_id,
        page=wanted,
    )
    link_header(request, response, [row.id for row in rows], limit=wanted.limit)
    return admin_entities.admin_reports(viewer(request), rows)


@router.get("/v1/admin/reports/{int:report_id}", response=AdminReport, auth=READ)
def report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    return _entity(request, report_id)


def _row(report_id: int) -> Report:
    return selectors.admin_report(report_id)


@router.post("/v1/admin/reports/{int:report_id}/assign_to_self", response=AdminReport, auth=WRITE)
def assign_to_self(request: HttpRequest, report_id: int) -> dict[str, Any]:
    report_services.assign_report(_staff(request), _row(report_id), _staff(request))
    return _entity(request, report_id)


@router.post("/v1/admin/reports/{int:report_id}/unassign", response=AdminReport, auth=WRITE)
def unassign(request: HttpRequest, report_id: int) -> dict[str, Any]:
    report_services.assign_report(_staff(request), _row(report_id), None)
    return _entity(request, report_id)


@router.post("/v1/admin/reports/{int:report_id}/resolve", response=AdminReport, auth=WRITE)
def resolve(request: HttpRequest, report_id: int) -> dict[str, Any]:
    """As Mastodon: resolving a closed report answers it as it is (no second notice)."""
    found = _row(report_id)
    if found.state == ReportState.OPEN:
        report_services.resolve_report(_staff(request), found)
    return _entity(request, report_id)


@router.post("/v1/admin/reports/{int:report_id}/reopen", response=AdminReport, auth=WRITE)
def reopen(request: HttpRequest, report_id: int) -> dict[str, Any]:
    """As Mastodon: reopening an open report answers it as it is."""
    found = _row(report_id)
    if found.state != ReportState.OPEN:
        report_services.reopen_report(_staff(request), found)
    return _entity(request, report_id)
