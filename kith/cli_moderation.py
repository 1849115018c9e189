"""`kith moderation ...` and `kith user role`: staff actions from the command line (thin: the
services in kith.moderation decide, write the audit log and federate).  The operator at the
command line acts as the pod itself (the audit log's actor is empty and says "command line")."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_moderation_commands(commands: Any, user_commands: Any) -> None:
    """Called by kith.cli.build_parser: `commands` is the top-level subparsers, `user_commands`
    the `kith user` ones."""
    moderation = commands.add_parser("moderation", help="moderate accounts, domains and reports; read the audit log")
    moderation_commands = moderation.add_subparsers(dest="moderation_command", metavar="ACTION", required=True)
    domain = moderation_commands.add_parser("domain", help="domain policies: suspend, limit, import, export, list")
    domain_commands = domain.add_subparsers(dest="domain_command", metavar="ACTION", required=True)
    _role_commands(user_commands)
    _log_commands(moderation_commands)
    _account_commands(moderation_commands)
    _domain_commands(domain_commands)


# ---- roles (kith user role) -----------------------------------------------------------------


ROLES = ("admin", "moderator", "user")


def _say(line: str) -> None:
    """A line of the command's output (standard output, for scripts)."""
    sys.stdout.write(line + "\n")


def _article(role: str) -> str:
    return "an" if role == "admin" else "a"


def _role_commands(user_commands: Any) -> None:
    role = user_commands.add_parser(
        "role", help="make a local account an admin, a moderator or a user again (kith user role NAME ROLE)",
        description="Admins change the pod's rules, domain policies and roles; moderators act on accounts, "
        "posts and reports. The pod keeps at least one admin.",
    )
    role.add_argument("name", help="the local account's username")
    role.add_argument("role", metavar="ROLE", help="admin, moderator or user")
    role.add_argument("--reason", default="", help="why (kept in the audit log)")
    role.set_defaults(handler=cmd_user_role)


def cmd_user_role(args: argparse.Namespace) -> int:
    from kith.cli import EXIT_OK, Refused, _local_account, require_migrated, setup_django

    if args.role not in ROLES:  # before Django starts: a typo answers at once
        raise Refused(f"there is no role {args.role!r}: give admin, moderator or user")
    setup_django()
    from kith.core.errors import DomainError
    from kith.people.services import set_role

    require_migrated()
    account = _local_account(args.name)
    if account.role == args.role:
        _say(f"{account.username} is {_article(args.role)} {args.role} already")
        return EXIT_OK
    try:
        set_role(None, account, args.role, args.reason)
    except DomainError as exc:
        raise Refused(f"could not make {account.username} {args.role}: {exc}") from None
    _say(f"{account.username} is now {_article(args.role)} {args.role}")
    return EXIT_OK


# ---- the audit log (kith moderation log) ----------------------------------------------------


def _log_commands(moderation_commands: Any) -> None:
    log = moderation_commands.add_parser(
        "log", help="print the audit log, newest first, tab-separated: when, who, action, target, reason",
    )
    log.add_argument("--limit", type=int, default=50, help="at most this many entries (default 50)")
    log.add_argument("--action", default="", help="only this action, e.g. account.suspend or rule.edit")
    log.set_defaults(handler=cmd_moderation_log)


def _one_line(text: str) -> str:
    """A field of a tab-separated line: tabs and line breaks become spaces."""
    return " ".join(text.split())


def cmd_moderation_log(args: argparse.Namespace) -> int:
    from kith.cli import EXIT_OK, Refused, require_migrated, setup_django

    if args.limit < 1:
        raise Refused("--limit is a number of entries, 1 or more")
    setup_django()
    from kith.moderation import log

    require_migrated()
    for row in log.page(log.LogFilter(action=args.action.strip()), limit=args.limit):
        when = row.entry.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        target = row.target.label if row.target is not None else ""
        _say("\t".join(_one_line(field) for field in (when, row.actor, row.entry.action, target, row.entry.reason)))
    return EXIT_OK


# ---- accounts (kith moderation suspend|limit|freeze|warn|... HANDLE) ------------------------


def _account_commands(moderation_commands: Any) -> None:
    pass


# ---- domains (kith moderation domain suspend|limit|lift|import|export|list) ------------------


def _domain_commands(domain_commands: Any) -> None:
    pass

