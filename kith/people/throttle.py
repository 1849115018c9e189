"""Brute-force protection for log-in, password reset and sign-up mail.

Every way in with a password (the web log-in page, which the OAuth consent page sends people
to, and the OAuth password grant) asks `check_login` before it checks the password and reports
the outcome with `login_failed` / `login_succeeded`.  Failures are counted twice: per account
name as typed (casefolded: a username and an e-mail address are counted apart, so a lockout
never tells which address belongs to which account) and per client address (IPv6 by /64).

- KITH_LOGIN_MAX_FAILURES failures of one name, or KITH_LOGIN_MAX_FAILURES_PER_ADDRESS from one
  address, lock it for KITH_LOGIN_LOCKOUT seconds; each further failure after a lockout lapsed
  doubles the lockout, up to KITH_LOGIN_LOCKOUT_MAX.  While locked, every attempt is refused
  unchecked, the right password too, with the time left; refused attempts are not counted.
- A successful log-in clears the name's counter (not the address's: an attacker's own account
  would otherwise reset it); a name's counter is forgotten after FORGET_AFTER without failures.
- When a name of an account first gets locked, its owner is sent one e-mail (not one per
  attempt, nor per further lockout of the same series).
- Password-reset and sign-up requests that send e-mail are counted the same way per e-mail
  address (KITH_EMAIL_REQUESTS_MAX) and per client address, known addresses or not.

State is shared by every process: in Redis when the pod has one (the cache, as the API's rate
limit keeps its counters), else in the database (`LoginThrottle`, rows expiring and pruned).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kith.people.mail import tell_owner_of_lockout
from kith.people.models import Account, LoginThrottle

# A clock tests can move (never real sleeps).
clock: Callable[[], float] = time.time

FORGET_AFTER = 24 * 3600  # a counter without a new failure for this long starts again at zero
MAX_ROWS = 100_000  # the database store never holds more rows than this (the oldest unlocked go first)
LOGIN, EMAIL = "login", "email"


@dataclass(frozen=True)
class Lockout:
    retry_after: int  # seconds until the next attempt is accepted

    @property
    def message(self) -> str:
        if self.retry_after < 120:
            wait = ngettext("%(count)d second", "%(count)d seconds", self.retry_after) % {"count": self.retry_after}
        else:
            minutes = math.ceil(self.retry_after / 60)
            wait = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        return _("Too many attempts. For your safety this is locked for now: try again in %(wait)s.") % {"wait": wait}


class LockedOut(Exception):
    def __init__(self, lockout: Lockout) -> None:
        super().__init__(lockout.message)
        self.lockout = lockout


# ---- what is counted ---------------------------------------------------------------------------


def client_address(meta: Mapping[str, Any]) -> str | None:
    """The client's address from a request's META: REMOTE_ADDR, or, for a request from a reverse
    proxy on this machine (loopback), the last X-Forwarded-For entry, which that proxy appended
    (a client can only put entries before it)."""
    remote = str(meta.get("REMOTE_ADDR") or "")
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    try:
        from_proxy = ipaddress.ip_address(remote).is_loopback
    except ValueError:
        from_proxy = False
    if from_proxy and forwarded.strip():
        return forwarded.split(",")[-1].strip()
    return remote or None


def address_of(remote_addr: str | None) -> str:
    """The client address as counted: IPv6 by its /64 (one machine usually holds a whole /64)."""
    try:
        address = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key(scope: str, kind: str, value: str) -> str:
    return hashlib.sha256(f"{scope}:{kind}:{value.strip().casefold()}".encode()).hexdigest()


def _limits(scope: str) -> tuple[int, int]:
    per_name = settings.KITH_LOGIN_MAX_FAILURES if scope == LOGIN else settings.KITH_EMAIL_REQUESTS_MAX
    return max(1, int(per_name)), max(1, int(settings.KITH_LOGIN_MAX_FAILURES_PER_ADDRESS))


def _lock_seconds(failures: int, threshold: int) -> float:
    base = max(1, int(settings.KITH_LOGIN_LOCKOUT))
    longest = max(base, int(settings.KITH_LOGIN_LOCKOUT_MAX))
    return float(min(longest, base * 2 ** min(failures - threshold, 30)))


# ---- stores -----------------------------------------------------------------------------------


class DatabaseStore:
    """One `LoginThrottle` row per counted key."""

    def locked_until(self, keys: list[str], now: float) -> float:

        stamps = LoginThrottle.objects.filter(key__in=keys, locked_until__gt=_dt(now)).values_list(
            "locked_until", flat=True
        )
        return max((stamp.timestamp() for stamp in stamps if stamp is not None), default=0.0)

    def hit(self, key: str, threshold: int, now: float) -> tuple[int, float]:

        with transaction.atomic():
            row = LoginThrottle.objects.select_for_update().filter(key=key).first()
            if row is None or row.expires_at <= _dt(now):
                try:
                    with transaction.atomic():
                        row, _created = LoginThrottle.objects.update_or_create(
                            key=key, defaults={"failures": 0, "locked_until": None, "expires_at": _dt(now)}
                        )
                except IntegrityError:  # made by another process just now
                    row = LoginThrottle.objects.select_for_update().get(key=key)
            row.failures += 1
            until = now + _lock_seconds(row.failures, threshold) if row.failures >= threshold else 0.0
            row.locked_until = _dt(until) if until else None
            row.expires_at = _dt(max(until, now) + FORGET_AFTER)
            row.save()
        self.prune(now)
        return row.failures, until

    def clear(self, keys: list[str]) -> None:

        LoginThrottle.objects.filter(key__in=keys).delete()

    def prune(self, now: float) -> None:

        LoginThrottle.objects.filter(expires_at__lte=_dt(now)).delete()
        if random.random() < 0.01 and LoginThrottle.objects.count() > MAX_ROWS:  # noqa: S311 - not for secrets
            unlocked = LoginThrottle.objects.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=_dt(now)))
            surplus = LoginThrottle.objects.count() - MAX_ROWS
            doomed = list(unlocked.order_by("expires_at").values_list("id", flat=True)[:surplus])
            LoginThrottle.objects.filter(id__in=doomed).delete()


class CacheStore:
    """Counters in the shared cache (Redis), each expiring by itself."""

    def locked_until(self, keys: list[str], now: float) -> float:
        stamps = cache.get_many([f"kith:throttle:until:{key}" for key in keys]).values()
        return max((float(stamp) for stamp in stamps if float(stamp) > now), default=0.0)

    def hit(self, key: str, threshold: int, now: float) -> tuple[int, float]:
        counter = f"kith:throttle:n:{key}"
        cache.add(counter, 0, timeout=FORGET_AFTER)
        try:
            failures = cache.incr(counter)
        except ValueError:  # expired between add and incr
            cache.set(counter, 1, timeout=FORGET_AFTER)
            failures = 1
        until = 0.0
        if failures >= threshold:
            until = now + _lock_seconds(failures, threshold)
            cache.set(f"kith:throttle:until:{key}", until, timeout=int(until - now) + FORGET_AFTER)
        cache.touch(counter, int(max(until, now) - now) + FORGET_AFTER)
        return failures, until

    def clear(self, keys: list[str]) -> None:
        cache.delete_many([f"kith:throttle:{part}:{key}" for key in keys for part in ("n", "until")])


def store() -> DatabaseStore | CacheStore:
    """Redis when the pod has it (shared by all its processes and machines), else the database."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return CacheStore() if "redis" in backend.lower() else DatabaseStore()


def _dt(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


# ---- the interface ----------------------------------------------------------------------------


def _keys(scope: str, name: str, address: str | None) -> tuple[str, str]:
    return _key(scope, "name", name), _key(scope, "address", address_of(address))


def check(scope: str, name: str, address: str | None) -> Lockout | None:
    """The lockout in force for this name or this client address, if any."""
    now = clock()
    until = store().locked_until(list(_keys(scope, name, address)), now)
    return Lockout(max(1, math.ceil(until - now))) if until > now else None


def hit(scope: str, name: str, address: str | None) -> tuple[Lockout | None, bool]:
    """Count one failure (or one e-mail request): the lockout it starts, if any, and whether it
    is the name's first lockout of its series (the moment its owner is told)."""
    now = clock()
    per_name, per_address = _limits(scope)
    name_key, address_key = _keys(scope, name, address)
    backend = store()
    failures, name_until = backend.hit(name_key, per_name, now)
    _address_failures, address_until = backend.hit(address_key, per_address, now)
    until = max(name_until, address_until)
    lockout = Lockout(max(1, math.ceil(until - now))) if until > now else None
    return lockout, failures == per_name


def check_login(name: str, address: str | None) -> None:
    """Raise LockedOut while this account name or this address may not try a password."""
    lockout = check(LOGIN, name, address)
    if lockout is not None:
        raise LockedOut(lockout)


def login_failed(name: str, address: str | None) -> Lockout | None:
    """A wrong password (or an unknown name): counted; the lockout it starts, if any."""
    lockout, first_lockout = hit(LOGIN, name, address)
    if first_lockout:

        tell_owner_of_lockout(name, address_of(address), lockout.retry_after if lockout else 0)
    return lockout


def login_succeeded(name: str, account: Any = None) -> None:
    """The right password: the account's counters (by the name typed, its username and its
    e-mail address) start again at zero."""
    names = {name} | ({account.username, account.email} if account is not None else set())
    store().clear([_key(LOGIN, "name", each) for each in names])


def lift(name: str) -> None:
    """An administrator lifts the lockout of an account name (both its username and e-mail)."""

    names = {name}
    account = Account.objects.filter(Q(username__iexact=name) | Q(email__iexact=name)).first()
    if account is not None:
        names |= {account.username, account.email}
    store().clear([_key(scope, "name", each) for each in names for scope in (LOGIN, EMAIL)])


def lift_address(address: str) -> None:
    store().clear([_key(scope, "address", address_of(address)) for scope in (LOGIN, EMAIL)])


def email_requested(email: str, address: str | None) -> None:
    """A password-reset or sign-up request that sends mail to `email`: refused with LockedOut
    when that address or this client asked too often (the same for known and unknown addresses)."""
    lockout = check(EMAIL, email, address)
    if lockout is not None:
        raise LockedOut(lockout)
    # Counted when served: the request that reaches the limit is still served, the next ones wait.
    hit(EMAIL, email, address)
