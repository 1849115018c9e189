"""Write paths for the sharing graph: follow, share (aspects), block, mute."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from kith.core import events, hosts
from kith.core.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from kith.graph.models import Aspect, AspectMembership, Block, DomainBlock, Follow, FollowState, Mute
from kith.people.models import Person
from kith.visibility import blocked_either_way

MAX_ASPECTS = 100


def _check_can_relate(actor: Person, target: Person) -> None:
    if not actor.is_active:
        raise NotAllowed("This account cannot do that.")
    if actor.id == target.id:
        raise Invalid("You cannot do that to yourself.")
    if not target.is_active:
        raise NotFound("That person is not here.")
    if blocked_either_way(actor, target.id):
        raise NotAllowed("A block stands between you and that person.")


# ---- following --------------------------------------------------------------------


@transaction.atomic
def follow(follower: Person, followee: Person) -> Follow:
    """Start receiving `followee`'s posts; a request if their account is locked."""
    _check_can_relate(follower, followee)
    existing = Follow.objects.filter(follower=follower, followee=followee).first()
    if existing:
        return existing
    if follower.domain and DomainBlock.objects.filter(person=followee, domain=follower.domain).exists():
        raise NotAllowed("That person does not take followers from your server.")
    # A remote person's server answers with Accept or Reject; until then it is a request.
    state = FollowState.PENDING if followee.locked or not followee.is_local else FollowState.ACCEPTED
    relation = Follow.objects.create(follower=follower, followee=followee, state=state)
    events.emit_on_commit(events.FollowRequested(relation.id))
    return relation


@transaction.atomic
def unfollow(follower: Person, followee: Person) -> None:
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    if deleted:
        # kith.timelines takes their posts out of the follower's stream, in this transaction.
        events.emit_on_commit(events.Unfollowed(follower.id, followee.id))


@transaction.atomic
def accept_follow_request(followee: Person, follower: Person) -> Follow:
    relation = Follow.objects.select_for_update().filter(follower=follower, followee=followee).first()
    if relation is None:
        raise NotFound("There is no such follow request.")
    if relation.state != FollowState.ACCEPTED:
        relation.state = FollowState.ACCEPTED
        relation.save(update_fields=["state"])
        events.emit_on_commit(events.FollowAccepted(relation.id))
    return relation


@transaction.atomic
def reject_follow_request(followee: Person, follower: Person) -> None:
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee, state=FollowState.PENDING).delete()
    if not deleted:
        raise NotFound("There is no such follow request.")
    events.emit_on_commit(events.FollowRejected(follower.id, followee.id))


def follow_refused(follower: Person, followee: Person) -> None:
    """The other side refused (or withdrew) `follower`'s follow: it is gone here too.  The
    follower's side of reject_follow_request, so nothing is sent back out."""
    Follow.objects.filter(follower=follower, followee=followee).delete()


@transaction.atomic
def remove_follower(followee: Person, follower: Person) -> None:
    """Stop someone following you (Mastodon's 'remove from followers'); a pending request is refused too."""
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    if deleted:
        events.emit_on_commit(events.FollowRejected(follower.id, followee.id))


# ---- aspects (sharing) ----------------------------------------------------------------


def _clean_aspect_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise Invalid("An aspect name is 1 to 64 characters.")
    return name


@transaction.atomic
def create_aspect(owner: Person, name: str) -> Aspect:
    name = _clean_aspect_name(name)
    if Aspect.objects.filter(owner=owner).count() >= MAX_ASPECTS:
        raise Invalid(f"You can have at most {MAX_ASPECTS} aspects.")
    if Aspect.objects.filter(owner=owner, name=name).exists():
        raise Conflict("You have an aspect with that name already.")
    position = (Aspect.objects.filter(owner=owner).aggregate(top=Max("position"))["top"] or 0) + 1
    return Aspect.objects.create(owner=owner, name=name, position=position)


# diaspora*'s starting aspects, in its order; created in the account's language (marked here
# for `make messages`, translated when they are created) and renamed or removed like any other.
DEFAULT_ASPECTS = (gettext_noop("Family"), gettext_noop("Friends"), gettext_noop("Work"), gettext_noop("Acquaintances"))


@transaction.atomic
def create_default_aspects(owner: Person, language: str | None = None) -> list[Aspect]:
    """A new account's aspects, named in `language` when the pod has that translation (else in
    the pod's default language); names the owner has already are skipped."""
    try:
        language = translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        language = settings.LANGUAGE_CODE  # e.g. "fr" on a pod without French: not Django's own catalog
    with translation.override(language):
        names = [translation.gettext(name) for name in DEFAULT_ASPECTS]
    existing = set(Aspect.objects.filter(owner=owner).values_list("name", flat=True))
    return [create_aspect(owner, name) for name in names if name not in existing]


@transaction.atomic
def rename_aspect(owner: Person, aspect: Aspect, name: str) -> Aspect:
    if aspect.owner_id != owner.id:
        raise NotFound("No such aspect.")
    name = _clean_aspect_name(name)
    if Aspect.objects.filter(owner=owner, name=name).exclude(id=aspect.id).exists():
        raise Conflict("You have an aspect with that name already.")
    aspect.name = name
    aspect.save(update_fields=["name"])
    return aspect


@transaction.atomic
def delete_aspect(owner: Person, aspect: Aspect) -> None:
    """Delete an aspect; members in no other aspect stop being shared with.

    Posts already shared keep their audience: it was fixed when they were published.
    """
    if aspect.owner_id != owner.id:
        raise NotFound("No such aspect.")
    member_ids = list(aspect.memberships.values_list("person_id", flat=True))
    aspect.delete()
    for person in Person.objects.filter(id__in=member_ids).order_by("id"):
        if not AspectMembership.objects.filter(aspect__owner=owner, person=person).exists():
            # Out of every aspect: no longer a contact, as remove_from_aspect does.
            unfollow(owner, person)
            events.emit_on_commit(events.StoppedSharing(owner.id, person.id))


@transaction.atomic
def add_to_aspect(owner: Person, aspect: Aspect, person: Person) -> AspectMembership:
    """Share with `person` through `aspect` (diaspora*'s 'add contact').

    The first aspect a person is put in starts sharing with them and follows
    them, so their posts reach your stream; they are told, and may share back
    or not.
    """
    if aspect.owner_id != owner.id:
        raise NotFound("No such aspect.")
    _check_can_relate(owner, person)
    first = not AspectMembership.objects.filter(aspect__owner=owner, person=person).exists()
    membership, created = AspectMembership.objects.get_or_create(aspect=aspect, person=person)
    if created and first:
        follow(owner, person)
        events.emit_on_commit(events.StartedSharing(owner.id, person.id))
    return membership


@transaction.atomic
def remove_from_aspect(owner: Person, aspect: Aspect, person: Person) -> None:
    if aspect.owner_id != owner.id:
        raise NotFound("No such aspect.")
    AspectMembership.objects.filter(aspect=aspect, person=person).delete()
    if not AspectMembership.objects.filter(aspect__owner=owner, person=person).exists():
        # Out of every aspect: no longer a contact, as in diaspora*.
        unfollow(owner, person)
        events.emit_on_commit(events.StoppedSharing(owner.id, person.id))


# ---- blocks and mutes ---------------------------------------------------------------


@transaction.atomic
def block(blocker: Person, blocked: Person) -> Block:
    """Cut every tie: no follows either way, out of the blocker's aspects, nothing shown either way."""
    if blocker.id == blocked.id:
        raise Invalid("You cannot block yourself.")
    relation, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    if created:
        Follow.objects.filter(follower=blocker, followee=blocked).delete()
        Follow.objects.filter(follower=blocked, followee=blocker).delete()
        AspectMembership.objects.filter(aspect__owner=blocker, person=blocked).delete()
        events.emit_on_commit(events.PersonBlocked(blocker.id, blocked.id))
    return relation


@transaction.atomic
def unblock(blocker: Person, blocked: Person) -> None:
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    if deleted:
        events.emit_on_commit(events.PersonUnblocked(blocker.id, blocked.id))


MAX_MUTE_SECONDS = 10 * 365 * 24 * 3600


def mute(muter: Person, muted: Person, *, notifications: bool = True, duration: int | None = None) -> Mute:
    """Hide `muted`'s posts from `muter`'s stream, and their notifications unless `notifications` is False.

    `duration` (seconds; None or 0 for ever) makes the mute end by itself.  Muting
    again replaces the options, as Mastodon does."""
    if muter.id == muted.id:
        raise Invalid("You cannot mute yourself.")
    if duration is not None and not 0 <= duration <= MAX_MUTE_SECONDS:
        raise Invalid("A mute lasts between 0 (for ever) and ten years.")
    expires_at = timezone.now() + timedelta(seconds=duration) if duration else None
    relation, _ = Mute.objects.update_or_create(
        muter=muter, muted=muted, defaults={"notifications": notifications, "expires_at": expires_at}
    )
    return relation


def unmute(muter: Person, muted: Person) -> None:
    Mute.objects.filter(muter=muter, muted=muted).delete()


def expire_mutes() -> int:
    """Remove mutes whose time is up; returns how many (run periodically by graph.jobs)."""
    deleted, _ = Mute.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


# ---- domain blocks (a person's own) ------------------------------------------------------


def normalise_domain(raw: str) -> str:
    """'https://Example.COM./path', '@example.com' or 'bücher.example' -> the host as Person.domain
    holds it, through the one host normaliser (kith/core/hosts.py: case, trailing dot,
    IDN to punycode, address spellings), so a block matches however the host was written."""
    text = (raw or "").strip()
    text = text.split("://", 1)[-1].lstrip("@").split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    domain = hosts.normalise_domain(text) if "@" not in text else None
    if domain is None:
        raise Invalid("That is not a domain.")
    if domain == hosts.normalise_domain(settings.KITH_DOMAIN):
        raise Invalid("You cannot block your own server.")
    return domain


@transaction.atomic
def block_domain(person: Person, raw_domain: str) -> DomainBlock:
    """Hide a whole remote domain from `person` (as Mastodon's user-level domain blocks do).

    Its posts and notifications are hidden where they are read (social.selectors,
    kith.visibility), its people can no longer follow `person`, and those who do
    are removed from their followers (their server is told, as for any removal).
    `person`'s own follows of people there stay, as in Mastodon."""
    domain = normalise_domain(raw_domain)
    relation, created = DomainBlock.objects.get_or_create(person=person, domain=domain)
    if created:
        for follow_row in Follow.objects.filter(followee=person, follower__domain=domain).select_related("follower"):
            remove_follower(person, follow_row.follower)
    return relation


def unblock_domain(person: Person, raw_domain: str) -> None:
    DomainBlock.objects.filter(person=person, domain=normalise_domain(raw_domain)).delete()


# ---- in-transaction consumers of people's events (people sits below the graph) ------------------


@events.subscribe_in_transaction(events.LocalAccountCreated)
def _aspects_for_new_account(event: events.LocalAccountCreated) -> None:
    if event.default_aspects:
        create_default_aspects(Person.objects.get(id=event.person_id), event.language)


@events.subscribe_in_transaction(events.AccountMoved)
def _move_followers(event: events.AccountMoved) -> None:
    """A local account moved: its local followers follow the new account instead."""
    people = {p.id: p for p in Person.objects.filter(id__in=[event.person_id, event.target_id])}
    person, target = people[event.person_id], people[event.target_id]
    followers = Person.objects.filter(
        domain="", following_rel__followee=person, following_rel__state=FollowState.ACCEPTED
    ).exclude(id=target.id)
    for follower in followers:
        try:
            follow(follower, target)
        except DomainError:  # e.g. a block between them: that follower stays behind
            continue
        unfollow(follower, person)


@events.subscribe_in_transaction(events.PersonPurged, order=events.PURGE_RELATIONS)
def _forget_person(event: events.PersonPurged) -> None:
    """The person is removed: their aspects and follows either way go (blocks and mutes stay)."""
    Aspect.objects.filter(owner_id=event.person_id).delete()
    Follow.objects.filter(follower_id=event.person_id).delete()
    Follow.objects.filter(followee_id=event.person_id).delete()


# ---- a pod's domain suspension (kith.moderation decides) --------------------------------


@transaction.atomic
def sever_follows_with(persons: QuerySet[Person]) -> int:
    """Remove every follow and follow request to or from these persons (their server was
    suspended: nothing is sent to it, so nobody is told).  Returns how many went."""
    ids = list(persons.values_list("id", flat=True))
    removed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        removed += Follow.objects.filter(follower_id__in=chunk).delete()[0]
        removed += Follow.objects.filter(followee_id__in=chunk).delete()[0]
    return removed
