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
    for name, severity, what in (("suspend", "suspend", "defederate: no delivery either way, its content purged"),
                                 ("limit", "silence", "limit its people: their posts only reach their followers")):
        command = domain_commands.add_parser(name, help=f"{what} (a domain covers its subdomains)")
        command.add_argument("domain", metavar="DOMAIN")
        command.add_argument("--reason", default="", help="private comment (staff only)")
        command.add_argument("--public-reason", default="", help="public comment (the about page and the API)")
        command.add_argument("--reject-media", action="store_true", help="keep no copies of its media")
        command.add_argument("--reject-reports", action="store_true", help="drop reports from it")
        command.add_argument("--obfuscate", action="store_true", help="star part of the name in the public list")
        command.set_defaults(handler=_cmd_domain_set, severity=severity)
    lift = domain_commands.add_parser("lift", help="remove the policy on a domain")
    lift.add_argument("domain", metavar="DOMAIN")
    lift.set_defaults(handler=_cmd_domain_lift)
    importing = domain_commands.add_parser(
        "import", help="apply a Mastodon domain-block CSV export (or a list of domains, one per line: suspended)"
    )
    importing.add_argument("file", metavar="FILE.csv")
    importing.set_defaults(handler=_cmd_domain_import)
    export = domain_commands.add_parser("export", help="write the policies as Mastodon's CSV (to FILE or stdout)")
    export.add_argument("file", metavar="FILE", nargs="?")
    export.set_defaults(handler=_cmd_domain_export)
    listing = domain_commands.add_parser("list", help="list the domain policies")
    listing.set_defaults(handler=_cmd_domain_list)


def _ready() -> None:
    from kith.cli import require_migrated, setup_django

    setup_django()
    require_migrated()


def _refused(error: Exception) -> Exception:
    from kith.cli import Refused

    return Refused(str(error))


def _cmd_domain_set(args: Any) -> int:
    _ready()
    from kith.core.errors import DomainError
    from kith.moderation import domains

    try:
        policy = domains.set_policy(
            None, args.domain, severity=args.severity, reject_media=args.reject_media,
            reject_reports=args.reject_reports, public_comment=args.public_reason, private_comment=args.reason,
            obfuscate=args.obfuscate,
        )
    except DomainError as exc:
        raise _refused(exc) from None
    covered = domains.persons_of(policy.domain)
    _say(f"{policy.domain}: {policy.severity} ({covered} known {'person' if covered == 1 else 'people'})")
    return 0


def _cmd_domain_lift(args: Any) -> int:
    _ready()
    from kith.core.errors import DomainError
    from kith.moderation import domains

    try:
        domains.lift_policy(None, args.domain)
    except DomainError as exc:
        raise _refused(exc) from None
    _say(f"{domains.normalise_domain(args.domain)}: policy lifted")
    return 0


def _cmd_domain_import(args: Any) -> int:
    _ready()
    from kith.core.errors import DomainError
    from kith.moderation import domains

    try:
        with open(args.file, encoding="utf-8-sig") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise _refused(ValueError(f"cannot read {args.file}: {exc}")) from None
    try:
        result = domains.import_csv(None, text)
    except DomainError as exc:
        raise _refused(exc) from None
    _say(f"added {len(result.added)}, updated {len(result.updated)}, unchanged {len(result.skipped)}")
    for label, names in (("added", result.added), ("updated", result.updated)):
        for name in names:
            _say(f"  {label} {name}")
    return 0


def _cmd_domain_export(args: Any) -> int:
    _ready()
    from kith.moderation import domains

    text = domains.export_csv()
    if args.file:
        try:
            with open(args.file, "w", encoding="utf-8", newline="") as file:
                file.write(text)
        except OSError as exc:
            raise _refused(ValueError(f"cannot write {args.file}: {exc}")) from None
    else:
        sys.stdout.write(text)
    return 0


def _cmd_domain_list(args: Any) -> int:
    _ready()
    from kith.moderation import domains
    from kith.moderation.models import DomainPolicy

    if domains.federation_settings().allowlist_mode:
        _say("allow-list mode: only allowed domains federate")
    for policy in DomainPolicy.objects.order_by("domain"):
        flags = [flag for flag, on in (("reject media", policy.reject_media), ("reject reports", policy.reject_reports),
                                       ("obfuscated", policy.obfuscate)) if on]
        extra = f" [{', '.join(flags)}]" if flags else ""
        reason = f" - {policy.private_comment}" if policy.private_comment else ""
        _say(f"{policy.domain}\t{policy.severity}{extra}{reason}")
    return 0

