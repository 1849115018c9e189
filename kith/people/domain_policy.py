"""People's side of a pod's domain policies (kith.moderation.domains decides; people writes
Person rows): persons of a domain and its subdomains (less those of subdomains with a policy
of their own, which moderation names) limited or not, suspended and purged
with their server, or let back in when the suspension is lifted."""

from __future__ import annotations

from collections.abc import Collection
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kith.core.errors import Invalid
from kith.people.models import AccountState, Person
from kith.people.remote import purge_and_suspend


def domain_filter(domain: str) -> Q:
    """Persons whose Person.domain (host[:port]) is `domain` or a subdomain of it, on any port."""
    return (
        Q(domain=domain) | Q(domain__startswith=f"{domain}:")
        | Q(domain__endswith=f".{domain}") | Q(domain__contains=f".{domain}:")
    )


def persons_of_domain(domain: str, *, excluding: Collection[str] = ()) -> QuerySet[Person]:
    """Persons of `domain` and its subdomains, less those of the subdomains in `excluding` (and
    theirs): a subdomain with a policy of its own is decided by that policy, not the parent's."""
    if not domain:
        raise Invalid("A domain is needed.")
    persons = Person.objects.exclude(domain="").filter(domain_filter(domain))
    if excluding:
        persons = persons.exclude(reduce(or_, (domain_filter(sub) for sub in excluding)))
    return persons


@transaction.atomic
def set_domain_limited(
    domain: str, limited: bool, *, keep_limited: Collection[int] = (), excluding: Collection[str] = ()
) -> int:
    """Limit (or stop limiting) every person of the domain but those of the subdomains in
    `excluding` (each has a policy of its own); `keep_limited`: persons that stay limited on
    their own account (an active limit action).  Returns how many rows changed."""
    persons = persons_of_domain(domain, excluding=excluding).filter(limited=not limited)
    if not limited and keep_limited:
        persons = persons.exclude(id__in=list(keep_limited))
    return persons.update(limited=limited, updated_at=timezone.now())


@transaction.atomic
def suspend_person_with_domain(person: Person) -> bool:
    """Their server was suspended: what they wrote here goes (events.PersonPurged, in this
    transaction) and the row stays SUSPENDED, so nothing new from them is taken and a later
    sight of them does not revive them.  Returns False when there was nothing to do."""
    if person.is_local:
        raise Invalid("Local accounts are suspended through people.services.suspend_account.")
    locked = Person.objects.select_for_update().filter(id=person.id).first()
    if locked is None or locked.state in (AccountState.SUSPENDED, AccountState.DELETED):
        return False
    purge_and_suspend(locked)
    return True


@transaction.atomic
def restore_domain_persons(
    domain: str, *, keep_suspended: Collection[int] = (), excluding: Collection[str] = ()
) -> int:
    """A domain suspension was lifted: its persons may be seen again (what was purged stays
    gone), but those of the subdomains in `excluding` (each has a policy of its own, maybe
    a suspension) and `keep_suspended`: persons suspended on their own account.  Returns how many."""
    persons = persons_of_domain(domain, excluding=excluding).filter(state=AccountState.SUSPENDED)
    if keep_suspended:
        persons = persons.exclude(id__in=list(keep_suspended))
    return persons.update(state=AccountState.ACTIVE, suspended_at=None, updated_at=timezone.now())
