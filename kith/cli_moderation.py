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


# `kith moderation KIND HANDLE`: the kinds that act, and the ones that lift (with what they lift).
ACCOUNT_ACTIONS = {
    "warn": "warn the person (they see the reason on their notifications and settings pages)",
    "limit": "limit: their posts reach only people who follow them already",
    "freeze": "freeze a local account: it cannot log in or act; what it wrote stays",
    "suspend": "suspend: a local account's content is retracted everywhere (kept 30 days for an appeal); "
               "a remote one's is purged here and nothing new from it is taken in",
}
ACCOUNT_LIFTS = {"unlimit": "limit", "unfreeze": "freeze", "unsuspend": "suspend"}
ACTION_NOUNS = {"limit": "limit", "freeze": "freeze", "suspend": "suspension"}
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _account_commands(moderation_commands: Any) -> None:
    for kind, help_text in ACCOUNT_ACTIONS.items():
        command = moderation_commands.add_parser(kind, help=help_text)
        command.add_argument("handle", metavar="HANDLE", help="a local username, or user@domain")
        command.add_argument("--reason", default="", help="why (the person sees it)")
        if kind != "warn":
            command.add_argument("--expires", metavar="DURATION", default=None,
                                 help="lift it on its own after this long: 30m, 12h, 7d, 2w")
        command.set_defaults(handler=cmd_account_action, kind=kind)
    for lift, kind in ACCOUNT_LIFTS.items():
        command = moderation_commands.add_parser(lift, help=f"lift the {ACTION_NOUNS[kind]} (every one in force)")
        command.add_argument("handle", metavar="HANDLE", help="a local username, or user@domain")
        command.add_argument("--reason", default="", help="why (kept in the audit log)")
        command.set_defaults(handler=cmd_account_lift, kind=kind)


def parse_duration(text: str) -> int:
    """'7d' -> seconds (s, m, h, d, w); anything else is refused with what is understood."""
    from kith.cli import Refused

    text = text.strip().lower()
    unit = DURATION_UNITS.get(text[-1:]) if text else None
    number = text[:-1]
    if unit is None or not number.isdigit() or int(number) <= 0:
        raise Refused(f"--expires {text!r}: a number and a unit, as 30m, 12h, 7d or 2w")
    return int(number) * unit


def _person_for(handle: str) -> Any:  # -> kith.people.models.Person
    """HANDLE as a local username or user@domain (the pod's own domain is local); a person
    this pod has never seen is refused (exit 2)."""
    from django.conf import settings

    from kith.cli import Refused
    from kith.people.models import AccountState, Person

    name, _, domain = handle.strip().lstrip("@").partition("@")
    domain = domain.lower().rstrip(".")
    if domain == settings.KITH_DOMAIN.lower():
        domain = ""
    person = (
        Person.objects.select_related("account").filter(username__iexact=name, domain=domain)
        .exclude(state=AccountState.DELETED).first()
        if name else None
    )
    if person is None:
        where = "on this pod" if not domain else "known to this pod"
        raise Refused(f"there is no account {handle!r} {where}")
    return person


def cmd_account_action(args: Any) -> int:
    from kith.cli import EXIT_OK, Refused, require_migrated, setup_django

    setup_django()
    require_migrated()
    from datetime import timedelta

    from django.utils import timezone

    from kith.core.errors import DomainError
    from kith.moderation.actions import take_action

    person = _person_for(args.handle)
    expires = getattr(args, "expires", None)
    expires_at = timezone.now() + timedelta(seconds=parse_duration(expires)) if expires else None
    try:
        action = take_action(None, person, args.kind, reason=args.reason, expires_at=expires_at)
    except DomainError as exc:
        raise Refused(f"could not {args.kind} {person.handle}: {exc}") from None
    until = f" until {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
    print(f"{args.kind}: {person.handle}{until} (action {action.id})")
    return EXIT_OK


def cmd_account_lift(args: Any) -> int:
    from kith.cli import EXIT_OK, Refused, require_migrated, setup_django

    setup_django()
    require_migrated()
    from kith.core.errors import DomainError
    from kith.moderation.actions import lift_kind

    person = _person_for(args.handle)
    try:
        ended = lift_kind(None, person, args.kind, reason=args.reason)
    except DomainError as exc:
        raise Refused(f"could not lift the {args.kind} of {person.handle}: {exc}") from None
    print(f"lifted {args.kind}: {person.handle} ({ended} action(s) ended)")
    return EXIT_OK


# ---- domains (kith moderation domain suspend|limit|lift|import|export|list) ------------------


def _domain_commands(domain_commands: Any) -> None:
    pass

