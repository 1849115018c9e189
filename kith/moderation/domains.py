"""Domain policies (Mastodon's domain blocks), the allow-list mode and their effects.

A policy names a domain and covers its subdomains: `policy_for(host)` is the most specific
policy among the host and its parent domains.  Policies are by host, on every port (a
Person.domain is host[:port]; the port is not part of a server's identity here, as in
Mastodon).  Severity:

- noop: nothing but the flags (reject media, reject reports);
- silence ("limit"): every person of the domain is `Person.limited` (kith.visibility: their
  posts reach only people who already follow them; not public, tag or search listings),
  persons first seen later too (kith.people.hooks);
- suspend (defederate): no delivery either way and no fetches (kith.federation asks
  `federates_with`), and once committed, `events.DomainSuspended`'s durable consumer here
  severs follows with the domain (each local person who lost some is told how many), then
  purges the domain's persons in batches (state SUSPENDED, their content gone).

Allow-list mode (FederationSettings.allowlist_mode): only DomainAllow domains (and their
subdomains) federate at all; a suspend policy still wins over an allow.

Every change is an admin's (NotAllowed for moderators) and is in the audit log.  The
command line acts as the pod (actor None)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from kith.core import events, hosts
from kith.core.errors import Conflict, Invalid, NotAllowed, NotFound
from kith.moderation import audit
from kith.moderation.models import (
    AccountAction,
    ActionKind,
    DomainAllow,
    DomainPolicy,
    DomainSeverity,
    FederationSettings,
)
from kith.moderation.severance import sever_and_notify
from kith.people import domain_policy as people_domains
from kith.people.models import Account, AccountState

MAX_COMMENT_LENGTH = 5000
PURGE_BATCH = 50
CSV_HEADER = ("#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate")


# ---- names ----------------------------------------------------------------------------


def normalise_domain(text: object) -> str:
    """The form a policy is stored and compared in: lower case, no trailing dot, IDN as
    punycode, no port (kith/core/hosts.py); Invalid for anything that is no domain.
    A pasted URL or `@domain` is read as its host, as the user-level domain blocks do."""
    if not isinstance(text, str):
        raise Invalid("That is not a domain.")
    raw = text.strip()
    if raw.startswith("*."):  # blocklists write "*.example.com" for "example.com and below"
        raw = raw[2:]
    raw = raw.split("://", 1)[-1].lstrip("@").split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    domain = hosts.normalise_domain(raw) if raw and "@" not in raw else None
    if domain is None:
        raise Invalid(f"{text.strip()[:100]!r} is not a domain.")
    host = _host_only(domain)
    own = hosts.normalise_domain(settings.KITH_DOMAIN)
    if own is not None and host == _host_only(own):
        # Policies hold for a host on every port (as Mastodon's): another pod on this pod's
        # host (another port) cannot get one of its own.
        raise Invalid(f"{host} is this pod's own host (a domain policy covers every port of a host).")
    return host


def _host_only(domain: str) -> str:
    """'example.com:8443' -> 'example.com'; '[::1]:80' -> '[::1]'."""
    if domain.startswith("["):
        return domain[: domain.find("]") + 1]
    return domain.split(":", 1)[0]


def covering_domains(host: str) -> list[str]:
    """The host and every parent domain, most specific first ('a.b.example' -> itself,
    'b.example', 'example'); an address only itself.  Empty for no host."""
    normal = hosts.normalise_domain(host) if host else None
    if normal is None:
        return []
    bare = _host_only(normal)
    if hosts.is_ip_literal(bare):
        return [bare]
    labels = bare.split(".")
    return [".".join(labels[index:]) for index in range(len(labels))]


def _most_specific(found: Iterable[str], candidates: list[str]) -> str | None:
    present = set(found)
    return next((domain for domain in candidates if domain in present), None)


# ---- reading policies -------------------------------------------------------------------


def policy_for(host: str) -> DomainPolicy | None:
    """The most specific policy covering `host` (a host or host[:port]), in one query."""
    candidates = covering_domains(host)
    if not candidates:
        return None
    policies = {policy.domain: policy for policy in DomainPolicy.objects.filter(domain__in=candidates)}
    chosen = _most_specific(policies, candidates)
    return policies[chosen] if chosen is not None else None


def federation_settings() -> FederationSettings:
    found = FederationSettings.objects.filter(id=1).first()
    return found if found is not None else FederationSettings(id=1)


def refused_hosts(host_keys: Collection[str]) -> set[str]:
    """Which of these hosts (host[:port]) this pod does not federate with: a suspend policy
    covers them, or allow-list mode is on and no allow covers them.  A fixed number of
    queries however many hosts (delivery asks this for a whole activity's inboxes)."""
    own = hosts.normalise_domain(settings.KITH_DOMAIN)
    own_host = _host_only(own) if own is not None else None
    # This pod itself is never refused (allow-list mode lists only the others).
    candidates = {key: covering_domains(key) for key in host_keys}
    candidates = {key: domains for key, domains in candidates.items() if not domains or domains[0] != own_host}
    if not candidates:
        return set()
    every = {domain for domains in candidates.values() for domain in domains}
    # The most specific policy decides: a "noop" on a subdomain of a suspended domain lets it through.
    severities = dict(DomainPolicy.objects.filter(domain__in=every).values_list("domain", "severity"))
    refused = {
        key for key, domains in candidates.items()
        if not domains or severities.get(_most_specific(severities, domains) or "") == DomainSeverity.SUSPEND
    }
    if federation_settings().allowlist_mode:
        allowed = set(DomainAllow.objects.filter(domain__in=every).values_list("domain", flat=True))
        refused |= {key for key, domains in candidates.items() if not allowed.intersection(domains)}
    return refused


def federates_with(host: str) -> bool:
    """Whether deliveries to, activities from and fetches of `host` are allowed."""
    return host not in refused_hosts({host})


def rejects_media(host: str) -> bool:
    """Whether this pod keeps no copies of media (photos, avatars, headers) from `host`."""
    policy = policy_for(host)
    return policy is not None and (policy.reject_media or policy.severity == DomainSeverity.SUSPEND)


def rejects_reports(host: str) -> bool:
    """Whether reports (Flags) from `host` are dropped."""
    policy = policy_for(host)
    return policy is not None and (policy.reject_reports or policy.severity == DomainSeverity.SUSPEND)


def is_limited_domain(host: str) -> bool:
    """Whether persons of `host` are limited (kith.people.hooks asks for persons first seen)."""
    policy = policy_for(host)
    return policy is not None and policy.severity == DomainSeverity.SILENCE


def public_domain(policy: DomainPolicy) -> str:
    """The domain as the public list shows it: with `obfuscate`, its middle starred (as
    Mastodon does), so the list does not advertise the server while its people can still
    recognise it."""
    if not policy.obfuscate:
        return policy.domain
    length = len(policy.domain)
    visible = length / 4
    return "".join(
        "*" if visible < index < length - visible and char != "." else char
        for index, char in enumerate(policy.domain)
    )


def domain_digest(domain: str) -> str:
    """Mastodon's DomainBlock digest: sha256 of the domain, so an obfuscated entry can be checked."""
    return hashlib.sha256(domain.encode()).hexdigest()


@dataclass(frozen=True)
class PublicBlock:
    domain: str
    digest: str
    severity: str
    comment: str


def public_list() -> list[PublicBlock]:
    """The policies as everyone may read them (the about page and /api/v1/instance/domain_blocks):
    the domain (obfuscated if asked), its digest, severity and the public comment only.  As in
    Mastodon, those that limit what people here see: a silence, a suspension, rejected media."""
    return [
        PublicBlock(public_domain(policy), domain_digest(policy.domain), policy.severity, policy.public_comment)
        for policy in DomainPolicy.objects.exclude(severity=DomainSeverity.NOOP, reject_media=False).order_by("domain")
    ]


# ---- changing policies ------------------------------------------------------------------


def _require_admin(actor: Account | None) -> None:
    if actor is not None and not actor.is_admin:
        raise NotAllowed("Only an admin changes domain policies.")


def _clean_comment(text: str, what: str) -> str:
    if not isinstance(text, str):
        raise Invalid(f"The {what} must be text.")
    cleaned = text.replace("\x00", "").strip()
    if len(cleaned) > MAX_COMMENT_LENGTH:
        raise Invalid(f"The {what} is longer than {MAX_COMMENT_LENGTH} characters.")
    return cleaned


@transaction.atomic
def set_policy(
    admin: Account | None,
    domain: str,
    *,
    severity: str = DomainSeverity.SILENCE,
    reject_media: bool = False,
    reject_reports: bool = False,
    public_comment: str = "",
    private_comment: str = "",
    obfuscate: bool = False,
) -> DomainPolicy:
    """Create or change the policy for a domain (and its subdomains), and apply its effects."""
    _require_admin(admin)
    if severity not in DomainSeverity.values:
        raise Invalid(f"Unknown severity {severity!r}: noop, silence or suspend.")
    name = normalise_domain(domain)
    private = _clean_comment(private_comment, "private comment")
    values: dict[str, str | bool] = {
        "severity": severity,
        "reject_media": bool(reject_media),
        "reject_reports": bool(reject_reports),
        "public_comment": _clean_comment(public_comment, "public comment"),
        "private_comment": private,
        "obfuscate": bool(obfuscate),
    }
    policy = DomainPolicy.objects.select_for_update().filter(domain=name).first()
    before = policy.severity if policy is not None else None
    if policy is None:
        policy = DomainPolicy.objects.create(domain=name, created_by=admin, **values)
    else:
        for key, value in values.items():
            setattr(policy, key, value)
        policy.save()
    _apply_severity(name, before, severity)
    audit.record(
        "domain.policy", actor=admin, target=policy, reason=private, domain=name,
        severity=severity, before=before, reject_media=values["reject_media"],
        reject_reports=values["reject_reports"], obfuscate=values["obfuscate"],
    )
    return policy


@transaction.atomic
def lift_policy(admin: Account | None, domain: str) -> None:
    """Remove the policy on a domain: its persons are no longer limited (but those limited
    on their own account), a suspension's persons may be seen again (what was purged stays gone)."""
    _require_admin(admin)
    name = normalise_domain(domain)
    policy = DomainPolicy.objects.select_for_update().filter(domain=name).first()
    if policy is None:
        raise NotFound("No policy for that domain.")
    before = policy.severity
    audit.record("domain.lift", actor=admin, target=policy, domain=name, before=before)
    policy.delete()
    _apply_severity(name, before, None)


def _active_action_ids(kind: str) -> set[int]:
    return set(
        AccountAction.objects.filter(kind=kind, ended_at__isnull=True).values_list("target_id", flat=True)
    )


def _parent_severity(domain: str) -> str | None:
    """The severity of the most specific policy on a parent domain of `domain`, if any."""
    parents = covering_domains(domain)[1:]
    severities = dict(DomainPolicy.objects.filter(domain__in=parents).values_list("domain", "severity"))
    parent = _most_specific(severities, parents)
    return severities[parent] if parent is not None else None


def _decided_elsewhere(domain: str) -> list[str]:
    """The subdomains of `domain` with a policy of their own: their persons follow that policy
    (the most specific wins, as in `policy_for`), so a change on `domain` leaves them be."""
    return list(DomainPolicy.objects.filter(domain__endswith=f".{domain}").values_list("domain", flat=True))


def _apply_severity(domain: str, before: str | None, after: str | None) -> None:
    """Bring the domain's persons in line with a change of its own policy from `before` to
    `after` (None: no policy of its own, so a policy on a parent domain decides, as
    `policy_for` does for persons first seen later).  Persons of a subdomain with its own
    policy are not the domain's to change."""
    if before is None or after is None:
        inherited = _parent_severity(domain)
        before = inherited if before is None else before
        after = inherited if after is None else after
    excluding = _decided_elsewhere(domain)
    if after == DomainSeverity.SILENCE:
        people_domains.set_domain_limited(domain, True, excluding=excluding)
    elif before == DomainSeverity.SILENCE:
        people_domains.set_domain_limited(
            domain, False, keep_limited=_active_action_ids(ActionKind.LIMIT), excluding=excluding
        )
    if after == DomainSeverity.SUSPEND and before != DomainSeverity.SUSPEND:
        events.emit_on_commit(events.DomainSuspended(domain))
    elif before == DomainSeverity.SUSPEND and after != DomainSeverity.SUSPEND:
        people_domains.restore_domain_persons(
            domain, keep_suspended=_active_action_ids(ActionKind.SUSPEND), excluding=excluding
        )


# ---- the allow-list ---------------------------------------------------------------------


@transaction.atomic
def set_allowlist_mode(admin: Account | None, enabled: bool) -> FederationSettings:
    _require_admin(admin)
    row, _created = FederationSettings.objects.select_for_update().get_or_create(id=1)
    if row.allowlist_mode != bool(enabled):
        row.allowlist_mode = bool(enabled)
        row.save()
        audit.record("domain.allowlist_mode", actor=admin, enabled=row.allowlist_mode)
    return row


@transaction.atomic
def allow_domain(admin: Account | None, domain: str) -> DomainAllow:
    _require_admin(admin)
    name = normalise_domain(domain)
    allow, created = DomainAllow.objects.get_or_create(domain=name)
    if created:
        audit.record("domain.allow", actor=admin, target=allow, domain=name)
    return allow


@transaction.atomic
def disallow_domain(admin: Account | None, allow: DomainAllow) -> None:
    _require_admin(admin)
    audit.record("domain.disallow", actor=admin, target=allow, domain=allow.domain)
    allow.delete()


# ---- a suspension's big part, after the commit ----------------------------------------------


@events.subscribe(events.DomainSuspended, in_worker=True)
def carry_out_suspension(event: events.DomainSuspended) -> None:
    """Sever follows with the suspended domain (telling each local person what they lost),
    then purge its persons in batches.  Idempotent and safe to run again after a crash: the
    follows and their notices go in one transaction, and a purged person is skipped; if the
    suspension was lifted meanwhile there is nothing to do."""
    policy = policy_for(event.domain)
    if policy is None or policy.severity != DomainSeverity.SUSPEND:
        return
    # Subdomains with a policy of their own are theirs to decide (a noop under the suspension
    # keeps its people; one suspended on its own was carried out on its own event).
    excluding = _decided_elsewhere(event.domain)
    sever_follows_with_domain(event.domain, excluding=excluding)
    while True:
        batch = list(
            people_domains.persons_of_domain(event.domain, excluding=excluding)
            .exclude(state__in=[AccountState.SUSPENDED, AccountState.DELETED])
            .order_by("id")[:PURGE_BATCH]
        )
        if not batch:
            return
        with transaction.atomic():
            for person in batch:
                people_domains.suspend_person_with_domain(person)


@transaction.atomic
def sever_follows_with_domain(domain: str, *, excluding: Collection[str] = ()) -> dict[int, tuple[int, int]]:
    """Remove every follow between local persons and the domain's (but the persons of the
    subdomains in `excluding`), and notify each local person who lost some ({"domain",
    "followers_lost", "following_lost"}).  Returns {local person id: (followers lost, following lost)}."""
    remote = people_domains.persons_of_domain(domain, excluding=excluding)
    return sever_and_notify(remote, {"domain": domain})


# ---- CSV import and export (Mastodon's format) ----------------------------------------------


def export_csv() -> str:
    """Every policy in Mastodon's export format (its header, booleans as true/false)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for policy in DomainPolicy.objects.order_by("domain"):
        writer.writerow([
            policy.domain, policy.severity, _bool_text(policy.reject_media), _bool_text(policy.reject_reports),
            policy.public_comment, _bool_text(policy.obfuscate),
        ])
    return out.getvalue()


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _read_bool(text: str, line: int, column: str) -> bool:
    value = (text or "").strip().lower()
    if value in ("true", "1", "yes", "t"):
        return True
    if value in ("", "false", "0", "no", "f"):
        return False
    raise Invalid(f"Line {line}: {column} must be true or false, not {text[:40]!r}.")


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already exactly so


MAX_IMPORT_LINES = 100_000
MAX_IMPORT_COLUMNS = 50
# No cell is longer than the longest value it may hold (a comment), well under the csv
# module's own field limit (131072), whose csv.Error is turned into Invalid too.
MAX_CELL_LENGTH = MAX_COMMENT_LENGTH


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """The file's rows with the line each ends on, or Invalid naming the line a hostile or broken file goes wrong on: a
    malformed row or a field past the csv module's limit (csv.Error would be a 500), a cell
    longer than any value a policy holds, too many lines."""
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise Invalid(f"Line {reader.line_num}: this is not CSV ({exc}).") from exc
        if len(rows) >= MAX_IMPORT_LINES:
            raise Invalid(f"The file has more than {MAX_IMPORT_LINES} lines.")
        if any(len(cell) > MAX_CELL_LENGTH for cell in row) or len(row) > MAX_IMPORT_COLUMNS:
            raise Invalid(
                f"Line {reader.line_num}: more than {MAX_IMPORT_COLUMNS} columns or a cell longer than "
                f"{MAX_CELL_LENGTH} characters."
            )
        rows.append((reader.line_num, row))


@transaction.atomic
def import_csv(admin: Account | None, text: str) -> ImportResult:
    """Apply a Mastodon domain-block export (or a plain list of domains, one per line: each
    suspended) in one transaction: a bad line refuses the whole file, naming its line."""
    _require_admin(admin)
    if not isinstance(text, str):
        raise Invalid("The file is not text.")
    text = text.lstrip("\ufeff").replace("\x00", "")
    rows = _csv_rows(text)
    header = [cell.strip().lstrip("#").lower() for cell in rows[0][1]] if rows else []
    with_header = "domain" in header
    columns = {name: index for index, name in enumerate(header)} if with_header else {"domain": 0}
    parsed: dict[str, dict[str, object]] = {}
    for index, (number, row) in enumerate(rows):
        if with_header and index == 0:
            continue
        if not row or not "".join(row).strip() or row[0].strip().startswith("#"):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        try:
            domain = normalise_domain(cell("domain"))
        except Invalid as exc:
            raise Invalid(f"Line {number}: {exc}") from exc
        severity = cell("severity").lower() or DomainSeverity.SUSPEND
        if severity not in DomainSeverity.values:
            raise Invalid(f"Line {number}: unknown severity {severity[:20]!r} (noop, silence or suspend).")
        parsed[domain] = {
            "severity": severity,
            "reject_media": _read_bool(cell("reject_media"), number, "reject_media"),
            "reject_reports": _read_bool(cell("reject_reports"), number, "reject_reports"),
            "public_comment": cell("public_comment"),
            "obfuscate": _read_bool(cell("obfuscate"), number, "obfuscate"),
        }
    result = ImportResult()
    existing = {policy.domain: policy for policy in DomainPolicy.objects.filter(domain__in=list(parsed))}
    for domain, values in parsed.items():
        policy = existing.get(domain)
        if policy is not None and all(getattr(policy, key) == value for key, value in values.items()):
            result.skipped.append(domain)
            continue
        set_policy(
            admin, domain, severity=str(values["severity"]), reject_media=bool(values["reject_media"]),
            reject_reports=bool(values["reject_reports"]), public_comment=str(values["public_comment"]),
            private_comment=policy.private_comment if policy is not None else "", obfuscate=bool(values["obfuscate"]),
        )
        (result.updated if policy is not None else result.added).append(domain)
    audit.record(
        "domain.import", actor=admin, added=len(result.added), updated=len(result.updated), skipped=len(result.skipped)
    )
    return result


def get_policy(policy_id: int) -> DomainPolicy:
    policy = DomainPolicy.objects.filter(id=policy_id).first()
    if policy is None:
        raise NotFound("Record not found")
    return policy


def ensure_new(domain: str) -> str:
    """The normalised domain, Conflict if it has a policy already (the API's POST)."""
    name = normalise_domain(domain)
    if DomainPolicy.objects.filter(domain=name).exists():
        raise Conflict("That domain has a policy already.")
    return name


def persons_of(domain: str) -> int:
    """How many known persons a policy on `domain` covers (shown before a suspension): not
    those of subdomains with a policy of their own."""
    return people_domains.persons_of_domain(domain, excluding=_decided_elsewhere(domain)).count()

