"""Entities of Mastodon's admin API (Admin::Account, Admin::Report, ...), built from kith rows
in batches like kith.api.entities (the reports and domains parts add theirs here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kith.api import entities
from kith.api.entities import iso
from kith.people.models import AccountState, Person, Role

# Mastodon's built-in roles as its Role entity shows them (UserRole ids: -99 everyone, 1
# moderator, 2 admin) with the permission bits of its seeded roles (UserRole::FLAGS: everyone
# invite_users 65536; a moderator view_dashboard 8 + view_audit_log 4 + manage_users 1024 +
# manage_reports 16 + manage_taxonomies 256; a Kith admin holds everything: administrator 1).
ROLE_ENTITIES: dict[str, dict[str, Any]] = {
    Role.USER: {"id": "-99", "name": "", "color": "", "permissions": "65536", "highlighted": False},
    Role.MODERATOR: {"id": "1", "name": "Moderator", "color": "", "permissions": "1308", "highlighted": True},
    Role.ADMIN: {"id": "2", "name": "Admin", "color": "", "permissions": "1", "highlighted": True},
}


def admin_accounts(persons: Sequence[Person]) -> list[dict[str, Any]]:
    """Admin::Account entities for `persons` (with their accounts loaded), in order; the
    public Account entities are rendered in one batch.  Its id is the Account entity's id."""
    persons = list(persons)
    rendered = entities.accounts(persons)
    return [_admin_account(person, public) for person, public in zip(persons, rendered, strict=True)]


def admin_account_entity(person: Person) -> dict[str, Any]:
    return admin_accounts([person])[0]


def _admin_account(person: Person, public: dict[str, Any]) -> dict[str, Any]:
    login = person.account if person.is_local else None
    role = Role(login.role) if login is not None else Role.USER
    return {
        "id": str(person.id),
        "username": person.username,
        "domain": person.domain or None,
        "created_at": iso(person.created_at),
        "email": login.email if login is not None else "",
        "ip": None,
        "ips": [],
        "locale": "",
        "invite_request": None,
        "role": ROLE_ENTITIES[role],
        "confirmed": login is not None,
        "approved": login is not None,
        "disabled": login is not None and login.state == AccountState.FROZEN,
        "silenced": person.limited,
        "suspended": person.state == AccountState.SUSPENDED,
        "sensitized": person.force_sensitive,
        "account": public,
        "created_by_application_id": None,
        "invited_by_account_id": None,
    }
