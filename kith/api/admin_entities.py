"""Entities of Mastodon's admin API (Admin::Account, Admin::Report), shared by the admin
endpoints (kith/api/endpoints/admin_*.py).  Each renders a batch: one query per kind of
thing, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from ninja import Schema

from kith.api import entities
from kith.api.entities import iso
from kith.api.schemas import Account as AccountSchema
from kith.api.schemas import Rule, Status
from kith.moderation.models import Report, ReportState
from kith.people.models import Account, AccountState, Person, Role
from kith.social import selectors as social
from kith.visibility import Viewer


class RoleSchema(Schema):
    id: str
    name: str
    color: str
    permissions: str
    highlighted: bool


class AdminAccount(Schema):
    id: str
    username: str
    domain: str | None
    created_at: str | None
    email: str
    ip: str | None
    ips: list[dict[str, str]]
    locale: str
    invite_request: str | None
    role: RoleSchema
    confirmed: bool
    approved: bool
    disabled: bool
    silenced: bool
    suspended: bool
    sensitized: bool
    account: AccountSchema
    created_by_application_id: str | None
    invited_by_account_id: str | None


class AdminReport(Schema):
    id: str
    action_taken: bool
    action_taken_at: str | None
    category: str
    comment: str
    forwarded: bool
    created_at: str | None
    updated_at: str | None
    account: AdminAccount | None
    target_account: AdminAccount
    assigned_account: AdminAccount | None
    action_taken_by_account: AdminAccount | None
    statuses: list[Status]
    rules: list[Rule]


# Mastodon's UserRole permission bits (app/models/user_role.rb).
ADMINISTRATOR = 1 << 0
VIEW_AUDIT_LOG = 1 << 2
VIEW_DASHBOARD = 1 << 3
MANAGE_REPORTS = 1 << 4
MANAGE_TAXONOMIES = 1 << 8
MANAGE_APPEALS = 1 << 9
MANAGE_USERS = 1 << 10
INVITE_USERS = 1 << 16

# Kith's roles as Mastodon's Role entity (ids as Mastodon seeds them: everyone -99).
ROLES: dict[str, dict[str, Any]] = {
    Role.USER: {"id": "-99", "name": "", "color": "", "permissions": str(INVITE_USERS), "highlighted": False},
    Role.MODERATOR: {
        "id": "1", "name": "Moderator", "color": "",
        "permissions": str(VIEW_AUDIT_LOG | VIEW_DASHBOARD | MANAGE_REPORTS | MANAGE_TAXONOMIES | MANAGE_APPEALS
                           | MANAGE_USERS),
        "highlighted": True,
    },
    Role.ADMIN: {"id": "2", "name": "Admin", "color": "", "permissions": str(ADMINISTRATOR), "highlighted": True},
}


def admin_accounts(persons: Sequence[Person]) -> list[dict[str, Any]]:
    """Admin::Account entities for `persons`, in order (their Account entities in one batch).
    `persons` should have `account` selected: a local person's login (e-mail, role, frozen)."""
    rendered = entities.accounts(persons)
    return [_admin_account(person, account) for person, account in zip(persons, rendered, strict=True)]


def admin_account_entity(person: Person) -> dict[str, Any]:
    return admin_accounts([person])[0]


def _admin_account(person: Person, account_entity: dict[str, Any]) -> dict[str, Any]:
    login: Account | None = person.account if person.is_local and person.account_id else None
    return {
        "id": str(person.id),
        "username": person.username,
        "domain": person.domain or None,
        "created_at": iso(login.date_joined if login is not None else person.created_at),
        "email": login.email if login is not None else "",
        "ip": None,
        "ips": [],
        "locale": settings.LANGUAGE_CODE.split("-")[0],
        "invite_request": None,
        "role": ROLES[login.role if login is not None else Role.USER],
        "confirmed": login is not None,
        "approved": True,
        "disabled": login is not None and login.state == AccountState.FROZEN,
        "silenced": person.limited,
        "suspended": person.state == AccountState.SUSPENDED,
        "sensitized": person.force_sensitive,
        "account": account_entity,
        "created_by_application_id": None,
        "invited_by_account_id": None,
    }


def _staff_person(account: Account | None) -> Person | None:
    return getattr(account, "person", None) if account is not None else None


def admin_reports(viewer: Viewer, reports: Sequence[Report]) -> list[dict[str, Any]]:
    """Admin::Report entities, in order.  `reports` should come from report_rows(): people,
    the staff accounts' people, and the reported ids loaded.  `statuses` are the reported
    posts and comments the staff member (`viewer`) may see now (kith.visibility); the web
    report page also shows them as they were reported."""
    people: dict[int, Person] = {}
    for report in reports:
        for person in (report.reporter, report.target, _staff_person(report.assigned_to), _staff_person(report.resolved_by)):
            if person is not None:
                people[person.id] = person
    rendered = {int(entity["id"]): entity for entity in admin_accounts(list(people.values()))}
    wanted: list[int] = [post.id for report in reports for post in report.posts.all()]
    wanted += [comment.id for report in reports for comment in report.comments.all()]
    items = {item.id: item for item in social.posts_and_comments_by_ids(viewer, wanted)} if wanted else {}
    shown = list(items.values())
    statuses = dict(zip([item.id for item in shown], entities.statuses(viewer, shown), strict=True))

    def account_of(person: Person | None) -> dict[str, Any] | None:
        return rendered[person.id] if person is not None else None

    result = []
    for report in reports:
        ids = sorted({*(p.id for p in report.posts.all()), *(c.id for c in report.comments.all())})
        result.append({
            "id": str(report.id),
            "action_taken": report.state != ReportState.OPEN,
            "action_taken_at": iso(report.resolved_at),
            "category": report.category,
            "comment": report.comment,
            "forwarded": report.forwarded,
            "created_at": iso(report.created_at),
            "updated_at": iso(report.updated_at),
            # A report from another server names nobody there: no reporting account.
            "account": account_of(report.reporter),
            "target_account": account_of(report.target),
            "assigned_account": account_of(_staff_person(report.assigned_to)),
            "action_taken_by_account": account_of(_staff_person(report.resolved_by)),
            "statuses": [statuses[i] for i in ids if i in statuses],
            "rules": [{"id": rule["id"], "text": rule["text"], "hint": ""} for rule in report.rules],
        })
    return result
