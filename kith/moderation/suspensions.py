"""How long a suspended local account's data is kept, and the job that purges it after.

A suspension hides everything of the account and the federation adapter takes back what it
sent, but nothing is deleted: a granted appeal, or staff lifting it, within RETENTION restores
the account and its content everywhere (a timed suspension: until it lapses).  After RETENTION the account is purged like a
deletion (kith.people.services.purge_suspended_account: content, profile, log-in; the handle
stays reserved; audited as "account.purge").  The job is durable by the rows themselves: it
takes whatever is due each time it runs, so a purge lost with a killed worker is done by the
next run, and a suspension lifted meanwhile is no longer due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from kith.core.errors import Conflict
from kith.jobs import crontab, periodic
from kith.moderation.models import AccountAction, ActionKind
from kith.people.models import Account, AccountState
from kith.people.services import purge_suspended_account

log = logging.getLogger(__name__)

RETENTION = timedelta(days=30)
PURGE_BATCH = 50
PURGE_REASON = "Suspended for 30 days without being lifted: data purged."


def purge_due(now: datetime) -> list[int]:
    """The local accounts whose suspension began RETENTION or longer before `now`, oldest first.

    A timed suspension is not purged while it runs, however long it is (as on Mastodon): its
    data is kept until it lapses and the account comes back.  Only an open-ended one (or one
    imposed outside an action) is purged RETENTION after it began."""
    timed = AccountAction.objects.filter(
        kind=ActionKind.SUSPEND, ended_at__isnull=True, expires_at__isnull=False
    ).values("target_id")
    return list(
        Account.objects.filter(
            state=AccountState.SUSPENDED, person__domain="", person__suspended_at__lte=now - RETENTION
        ).exclude(person__id__in=timed)
        .order_by("person__suspended_at").values_list("pk", flat=True)[:PURGE_BATCH]
    )


def purge_expired_suspensions(*, now: datetime | None = None) -> int:
    """Purge every account due (each in its own transaction); returns how many were purged."""
    now = now or timezone.now()
    purged = 0
    for account in Account.objects.filter(pk__in=purge_due(now)).select_related("person"):
        try:
            purge_suspended_account(account, reason=PURGE_REASON, suspended_before=now - RETENTION)
        except Conflict:
            continue  # lifted (or purged) since it was found due
        log.info("purged %s, suspended since %s", account.username, account.person.suspended_at)
        purged += 1
    return purged


@periodic(crontab(minute="41"))
def purge_expired_suspensions_job() -> None:
    purge_expired_suspensions()
