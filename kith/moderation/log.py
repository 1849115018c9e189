"""Reading the audit log, for the staff page and `kith moderation log`: newest first, filtered
by action, by who acted and by whom it was about, each entry with its target named.

Writing it is kith.moderation.audit's alone; nothing changes or deletes an entry
(AuditLogEntry refuses both)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from kith.moderation.models import AuditLogEntry, PodRule, Report
from kith.people.models import Account, Person
from kith.people.selectors import split_handle

PAGE_SIZE = 50
MAX_LIMIT = 10_000
COMMAND_LINE = "command line"  # the actor of what `kith ...` did (and of what the pod did by itself)


@dataclass(frozen=True)
class LogFilter:
    """`actor`: a local username (None: anyone); `target`: a person, by handle (None: anything)."""

    action: str = ""
    actor: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class Target:
    """What an entry was about, named for people: `person_id`/`report_id` when it is one."""

    label: str
    person_id: int | None = None
    handle: str = ""
    report_id: int | None = None


@dataclass(frozen=True)
class LogRow:
    entry: AuditLogEntry
    actor: str  # the username, a report's reporter, or COMMAND_LINE
    target: Target | None


class UnknownName(Exception):
    """The filter names an account or a person this pod does not know."""


def actions() -> list[str]:
    """The actions the log holds, for the page's filter."""
    return sorted(AuditLogEntry.objects.order_by().values_list("action", flat=True).distinct())


def _person_by_handle(handle: str) -> Person | None:
    username, domain = split_handle(handle)
    if not username:
        return None
    return Person.objects.filter(username__iexact=username, domain=domain).first()


def _filtered(wanted: LogFilter) -> QuerySet[AuditLogEntry]:
    entries = AuditLogEntry.objects.all()
    if wanted.action:
        entries = entries.filter(action=wanted.action)
    if wanted.actor is not None:
        if wanted.actor.strip().lower() == COMMAND_LINE:
            entries = entries.filter(actor=None)
        else:
            account = Account.objects.filter(username__iexact=wanted.actor.strip().lstrip("@")).first()
            if account is None:
                raise UnknownName(wanted.actor)
            entries = entries.filter(actor=account)
    if wanted.target is not None:
        person = _person_by_handle(wanted.target)
        if person is None:
            raise UnknownName(wanted.target)
        # Services below moderation audit the Account (roles, suspension), moderation the Person.
        about = Q(target_type="Person", target_id=str(person.id))
        if person.account_id is not None:
            about |= Q(target_type="Account", target_id=str(person.account_id))
        about |= Q(target_type="Report", target_id__in=[
            str(report_id) for report_id in Report.objects.filter(target=person).values_list("id", flat=True)
        ])
        entries = entries.filter(about)
    return entries


def page(wanted: LogFilter = LogFilter(), *, before: int | None = None, limit: int | None = None) -> list[LogRow]:
    """Up to `limit` (default PAGE_SIZE) entries older than the entry `before` (None: the newest),
    newest first.  Raises UnknownName for a filter naming nobody."""
    limit = PAGE_SIZE if limit is None else limit
    entries = _filtered(wanted)
    if before is not None:
        entries = entries.filter(id__lt=before)
    rows = list(entries.select_related("actor").order_by("-id")[: max(1, min(limit, MAX_LIMIT))])
    return _described(rows)


def _described(entries: list[AuditLogEntry]) -> list[LogRow]:
    """Each entry with its actor and target named: one query per kind of target on the page."""
    ids: dict[str, set[int]] = {}
    for entry in entries:
        if entry.target_id.isdigit():
            ids.setdefault(entry.target_type, set()).add(int(entry.target_id))
    people = {person.id: person for person in Person.objects.filter(id__in=ids.get("Person", ()))}
    by_account = {
        person.account_id: person for person in Person.objects.filter(account_id__in=ids.get("Account", ()))
    }
    reports = {
        report.id: report for report in Report.objects.select_related("target").filter(id__in=ids.get("Report", ()))
    }
    rules = {rule.id: rule for rule in PodRule.objects.filter(id__in=ids.get("PodRule", ()))}

    def target(entry: AuditLogEntry) -> Target | None:
        if not entry.target_type:
            return None
        number = int(entry.target_id) if entry.target_id.isdigit() else None
        person = (
            people.get(number) if entry.target_type == "Person" and number is not None
            else by_account.get(number) if entry.target_type == "Account" and number is not None
            else None
        )
        if person is not None:
            return Target(person.handle, person_id=person.id, handle=person.handle)
        report = reports.get(number) if entry.target_type == "Report" and number is not None else None
        if report is not None:
            return Target(f"report {report.id} about {report.target.handle}", report_id=report.id)
        rule = rules.get(number) if entry.target_type == "PodRule" and number is not None else None
        if rule is not None:
            return Target(f"rule {rule.id}: {rule.text}")
        return Target(f"{entry.target_type} {entry.target_id}".strip())

    return [LogRow(entry, _actor(entry), target(entry)) for entry in entries]


def _actor(entry: AuditLogEntry) -> str:
    """Who acted: a local account's username; for a report, the person or server that filed it
    (kept in the entry's data: reporters have no say in the log otherwise); else the command line."""
    if entry.actor is not None:
        return entry.actor.username
    reporter = entry.data.get("reporter") if isinstance(entry.data, dict) else None
    if entry.action == "report.file" and isinstance(reporter, str) and reporter:
        return reporter
    return COMMAND_LINE
