"""Who may do what in moderation, asked by every moderation service before it writes.

A moderator acts on accounts, posts and reports; only an admin also changes the pod's rules,
domain policies and people's roles (issue 14).  `None` as the acting account is the pod's
operator at the command line (`kith moderation ...`, `kith user role`): whoever can run the
`kith` command owns the pod's data already, so it may do everything.

A staff member whose own account is frozen, suspended or deleted acts no more: the role stays
on the row (lifting the action gives it back) but no service accepts it meanwhile.
"""

from __future__ import annotations

from kith.core.errors import NotAllowed
from kith.people.models import Account, AccountState, Person, Role


def is_staff(account: Account | None) -> bool:
    """May act as a moderator now: the command line, or an active moderator or admin."""
    return account is None or account.is_moderator  # the property asks the state too


def is_admin(account: Account | None) -> bool:
    """May act as an admin now: the command line, or an active admin."""
    return account is None or account.is_admin


def require_staff(account: Account | None) -> None:
    if not is_staff(account):
        raise NotAllowed("Only moderators and admins do this.")


def require_admin(account: Account | None) -> None:
    if not is_admin(account):
        raise NotAllowed("Only an admin does this.")


def staff_members() -> list[Person]:
    """The pod's active admins, then its moderators, by name (the roles page, the about page's contact)."""
    people = Person.objects.select_related("account").filter(
        domain="", account__state=AccountState.ACTIVE, account__role__in=(Role.ADMIN, Role.MODERATOR)
    )
    return sorted(people, key=lambda person: (getattr(person.account, "role", "") != Role.ADMIN, person.username.lower()))
