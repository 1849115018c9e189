"""`kith moderation ...` and `kith user role`: staff actions from the command line (thin: the
services in kith.moderation decide, write the audit log and federate).  The operator at the
command line acts as the pod itself (the audit log's actor is empty and says "command line")."""

from __future__ import annotations

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


def _role_commands(user_commands: Any) -> None:
    pass


# ---- the audit log (kith moderation log) ----------------------------------------------------


def _log_commands(moderation_commands: Any) -> None:
    pass


# ---- accounts (kith moderation suspend|limit|freeze|warn|... HANDLE) ------------------------


def _account_commands(moderation_commands: Any) -> None:
    pass


# ---- domains (kith moderation domain suspend|limit|lift|import|export|list) ------------------


def _domain_commands(domain_commands: Any) -> None:
    pass

