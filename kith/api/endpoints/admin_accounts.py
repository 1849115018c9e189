"""Mastodon's admin API for accounts: /api/v1/admin/accounts (v1 list with its boolean
filters), /api/v2/admin/accounts (origin/status/permissions), one account, its moderation
(`.../action`: none, sensitive, disable, silence, suspend) and the undoing of each (enable,
unsilence, unsuspend, unsensitive), approve/reject and deletion.

An Admin::Account's id is the account's public (Person) id, as in Mastodon.  Staff only
(kith.api.auth.staff); kith.moderation.actions decides, audits and tells the person."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Form, Query, Schema
from ninja.errors import HttpError
from pydantic import Field

from kith.api.admin_entities import AdminAccount, admin_account_entity, admin_accounts
from kith.api.auth import staff
from kith.api.pagination import DEFAULT_LIMIT, MAX_ID, link_header
from kith.api.params import DbId
from kith.api.routing import ApiRouter
from kith.api.schemas import Empty
from kith.core.errors import Invalid, NotFound
from kith.moderation import actions
from kith.moderation.models import ActionKind, Report
from kith.people.models import Account, AccountState, Person
from kith.people.services import delete_account

router = ApiRouter(tags=["admin"])

MAX_LIMIT = 200  # Mastodon's admin accounts limit (v1 100, v2 200)
READ = staff("admin:read:accounts")
WRITE = staff("admin:write:accounts")

# Mastodon's action types -> Kith's kinds (`none` is a warning, a strike without effect).
ACTION_TYPES = {
    "none": ActionKind.WARN,
    "sensitive": ActionKind.SENSITIVE,
    "disable": ActionKind.FREEZE,
    "silence": ActionKind.LIMIT,
    "suspend": ActionKind.SUSPEND,
}
# Mastodon's statuses -> the filters of kith.moderation.actions.find_accounts.
STATUSES = {
    "active": actions.AccountStatus.ACTIVE,
    "disabled": actions.AccountStatus.FROZEN,
    "silenced": actions.AccountStatus.LIMITED,
    "suspended": actions.AccountStatus.SUSPENDED,
    "sensitized": actions.AccountStatus.SENSITIVE,
}


class Paging(Schema):
    max_id: int | None = Field(None, ge=0, le=MAX_ID)
    since_id: int | None = Field(None, ge=0, le=MAX_ID)
    min_id: int | None = Field(None, ge=0, le=MAX_ID)
    limit: int | None = Field(None, ge=0, le=MAX_ID)
    username: str = Field("", max_length=200)
    display_name: str = Field("", max_length=200)
    by_domain: str = Field("", max_length=255)
    email: str = Field("", max_length=320)
    ip: str = Field("", max_length=100)


class V1Filters(Paging):
    local: bool = False
    remote: bool = False
    active: bool = False
    pending: bool = False
    disabled: bool = False
    silenced: bool = False
    suspended: bool = False
    sensitized: bool = False
    staff: bool = False


class V2Filters(Paging):
    origin: str = ""
    status: str = ""
    permissions: str = ""
    role_ids: list[str] = []
    invited_by: str = ""


def _listing(request: HttpRequest, response: HttpResponse, filters: Paging, *, origin: str, status: str,
             staff_only: bool, nothing: bool) -> list[dict[str, Any]]:
    limit = max(1, min(filters.limit or DEFAULT_LIMIT * 5, MAX_LIMIT))  # Mastodon's default is 100
    if nothing or filters.ip:  # Kith keeps no sign-up addresses, and never holds pending accounts
        return []
    query = filters.username or filters.display_name
    rows = actions.find_accounts(
        query=query, origin=origin, status=status, domain=filters.by_domain, staff_only=staff_only,
        email=filters.email, max_id=filters.max_id, since_id=filters.since_id, min_id=filters.min_id, limit=limit,
    )
    link_header(request, response, [row.id for row in rows], limit=limit)
    return admin_accounts(rows)


@router.get("/v1/admin/accounts", response=list[AdminAccount], auth=READ)
def accounts_v1(request: HttpRequest, response: HttpResponse, filters: Query[V1Filters]) -> list[dict[str, Any]]:
    origin = "local" if filters.local and not filters.remote else "remote" if filters.remote and not filters.local else ""
    chosen = [name for name in STATUSES if getattr(filters, name)]
    return _listing(
        request, response, filters, origin=origin, status=STATUSES[chosen[0]] if chosen else "",
        staff_only=filters.staff, nothing=filters.pending,
    )


@router.get("/v2/admin/accounts", response=list[AdminAccount], auth=READ)
def accounts_v2(request: HttpRequest, response: HttpResponse, filters: Query[V2Filters]) -> list[dict[str, Any]]:
    if filters.origin not in ("", "local", "remote"):
        raise Invalid("origin is local or remote.")
    if filters.status not in ("", "pending", *STATUSES):
        raise Invalid("status is active, pending, disabled, silenced or suspended.")
    if filters.permissions not in ("", "staff"):
        raise Invalid("permissions is staff.")
    # Kith's roles are not Mastodon's custom roles and it has no invitations: those filters match nobody.
    return _listing(
        request, response, filters, origin=filters.origin, status=STATUSES.get(filters.status, ""),
        staff_only=filters.permissions == "staff",
        nothing=filters.status == "pending" or bool(filters.role_ids) or bool(filters.invited_by),
    )


def _target(account_id: int) -> Person:
    person = Person.objects.select_related("account").filter(id=account_id).exclude(state=AccountState.DELETED).first()
    if person is None:
        raise NotFound("Record not found")
    return person


def _staff(request: HttpRequest) -> Account:
    return request.staff  # type: ignore[attr-defined]  # set by kith.api.auth.StaffOAuth


@router.get("/v1/admin/accounts/{int:account_id}", response=AdminAccount, auth=READ)
def account(request: HttpRequest, account_id: int) -> dict[str, Any]:
    return admin_account_entity(_target(account_id))


class ActionForm(Schema):
    type: str = "none"
    report_id: DbId | None = None
    warning_preset_id: str | None = None  # Kith has no warning presets: ignored
    text: str = Field("", max_length=actions.MAX_REASON_CHARS)
    send_email_notification: bool = True


@router.post("/v1/admin/accounts/{int:account_id}/action", response=Empty, auth=WRITE)
def account_action(request: HttpRequest, account_id: int, form: Form[ActionForm]) -> dict[str, Any]:
    kind = ACTION_TYPES.get(form.type)
    if kind is None:
        raise Invalid(f"type is one of {', '.join(ACTION_TYPES)}.")
    person = _target(account_id)
    report = None
    if form.report_id is not None:
        report = Report.objects.filter(id=form.report_id).first()
        if report is None:
            raise NotFound("Record not found")
    actions.take_action(_staff(request), person, kind, reason=form.text, report=report)
    return {}


def _undo(request: HttpRequest, account_id: int, kind: str) -> dict[str, Any]:
    person = _target(account_id)
    actions.lift_kind(_staff(request), person, kind)
    return admin_account_entity(_target(account_id))


@router.post("/v1/admin/accounts/{int:account_id}/enable", response=AdminAccount, auth=WRITE)
def enable(request: HttpRequest, account_id: int) -> dict[str, Any]:
    return _undo(request, account_id, ActionKind.FREEZE)


@router.post("/v1/admin/accounts/{int:account_id}/unsilence", response=AdminAccount, auth=WRITE)
def unsilence(request: HttpRequest, account_id: int) -> dict[str, Any]:
    return _undo(request, account_id, ActionKind.LIMIT)


@router.post("/v1/admin/accounts/{int:account_id}/unsuspend", response=AdminAccount, auth=WRITE)
def unsuspend(request: HttpRequest, account_id: int) -> dict[str, Any]:
    return _undo(request, account_id, ActionKind.SUSPEND)


@router.post("/v1/admin/accounts/{int:account_id}/unsensitive", response=AdminAccount, auth=WRITE)
def unsensitive(request: HttpRequest, account_id: int) -> dict[str, Any]:
    return _undo(request, account_id, ActionKind.SENSITIVE)


@router.post("/v1/admin/accounts/{int:account_id}/approve", response=AdminAccount, auth=WRITE)
def approve(request: HttpRequest, account_id: int) -> dict[str, Any]:
    """Kith holds no sign-ups for approval (an unconfirmed one is no account yet): every account
    is approved already, which Mastodon answers with 403."""
    _target(account_id)
    raise HttpError(403, "This action is not allowed")


@router.post("/v1/admin/accounts/{int:account_id}/reject", response=AdminAccount, auth=WRITE)
def reject(request: HttpRequest, account_id: int) -> dict[str, Any]:
    _target(account_id)
    raise HttpError(403, "This action is not allowed")


@router.delete("/v1/admin/accounts/{int:account_id}", response=AdminAccount, auth=WRITE)
def delete(request: HttpRequest, account_id: int) -> dict[str, Any]:
    """Delete a suspended local account's data now (Mastodon's destroy: admins only, and only
    for a suspended account) instead of at the end of its 30 days."""
    staff_account = _staff(request)
    person = _target(account_id)
    if not staff_account.is_admin or not person.is_local or person.account is None \
            or person.state != AccountState.SUSPENDED:
        raise HttpError(403, "This action is not allowed")
    entity = admin_account_entity(person)
    delete_account(person.account, actor=staff_account, reason="deleted after suspension (admin API)")
    return entity
