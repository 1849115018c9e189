"""Reads of the sharing graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from kith.core.paging import FIRST_PAGE, Page, page_ids
from kith.graph.models import Aspect, AspectMembership, Block, DomainBlock, Follow, FollowState, Mute
from kith.people.models import AccountState, Person
from kith.visibility import Viewer, visible_persons


def followers(person: Person, viewer: Viewer = None) -> QuerySet[Person]:
    ids = Follow.objects.filter(followee=person, state=FollowState.ACCEPTED).values("follower_id")
    return visible_persons(viewer, Person.objects.filter(id__in=ids))


def following(person: Person, viewer: Viewer = None) -> QuerySet[Person]:
    ids = Follow.objects.filter(follower=person, state=FollowState.ACCEPTED).values("followee_id")
    return visible_persons(viewer, Person.objects.filter(id__in=ids))


def followee_ids(person: Person) -> QuerySet[Follow, Mapping[str, object]]:
    """The ids of the people `person` follows (accepted), as a subquery: `.values("followee_id")`."""
    return Follow.objects.filter(follower=person, state=FollowState.ACCEPTED).values("followee_id")


def related_person(person_id: int) -> Person | None:
    """An active person to act on or state a relationship with, whatever blocks stand between:
    a viewer must be able to unblock, unmute or answer someone they no longer see."""
    return Person.objects.filter(id=person_id, state=AccountState.ACTIVE).first()


def related_persons(person_ids: Sequence[int]) -> list[Person]:
    """`related_person` for many ids, in the order asked (unknown and inactive ids left out)."""
    by_id = Person.objects.filter(state=AccountState.ACTIVE).in_bulk(list(person_ids))
    return [by_id[i] for i in dict.fromkeys(person_ids) if i in by_id]


def follow_requests(person: Person) -> QuerySet[Person]:
    ids = Follow.objects.filter(followee=person, state=FollowState.PENDING).values("follower_id")
    return visible_persons(person, Person.objects.filter(id__in=ids))


def aspects_of(owner: Person) -> QuerySet[Aspect]:
    return Aspect.objects.filter(owner=owner)


def aspects_with_members(owner: Person) -> list[Aspect]:
    """The owner's aspects, each with `.members` (the persons in it the owner may see), in two queries."""
    aspects = list(aspects_of(owner))
    members: dict[int, list[Person]] = {aspect.id: [] for aspect in aspects}
    memberships = AspectMembership.objects.filter(
        aspect__owner=owner, person__in=visible_persons(owner)
    ).select_related("person").order_by("person__username")
    for membership in memberships:
        members[membership.aspect_id].append(membership.person)
    for aspect in aspects:
        aspect.members = members[aspect.id]
    return aspects


def contacts(owner: Person, aspect: Aspect | None = None) -> QuerySet[Person]:
    """People `owner` shares with (in any aspect, or in `aspect`)."""
    memberships = AspectMembership.objects.filter(aspect__owner=owner)
    if aspect is not None:
        memberships = memberships.filter(aspect=aspect)
    return visible_persons(owner, Person.objects.filter(id__in=memberships.values("person_id")))


def aspects_containing(owner: Person, person: Person) -> QuerySet[Aspect]:
    """The owner's aspects `person` is in (Mastodon's "lists containing this account")."""
    return Aspect.objects.filter(owner=owner, memberships__person=person)


# ---- pages of the graph: cursors are the relation rows' ids, as Mastodon pages them --------


def _rows_in_order(queryset: QuerySet[Any], page: Page, *related: str) -> list[Any]:
    """The page of `queryset` (relation rows, newest first) loaded with `related`, in two queries."""
    ids = page_ids(queryset, page)
    by_id = queryset.model.objects.select_related(*related).in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def _listed(viewer: Viewer, owner: Person) -> QuerySet[Person]:
    """The people whose follows of (or by) `owner` may be listed to `viewer`.

    Who follows whom is private in a privacy-first network: to anyone but the
    owner, lists show only people who chose to be findable (`searchable`), as the
    ActivityPub collections do; viewers always see themselves."""
    persons = visible_persons(viewer)
    if viewer is None:
        return persons.filter(searchable=True)
    if viewer.id != owner.id:
        return persons.filter(Q(searchable=True) | Q(id=viewer.id))
    return persons


def followers_page(person: Person, viewer: Viewer, page: Page = FIRST_PAGE) -> list[Follow]:
    """Accepted follows of `person` (each with `.follower`), newest first, as `viewer` may see them."""
    rows = Follow.objects.filter(followee=person, state=FollowState.ACCEPTED, follower__in=_listed(viewer, person))
    return _rows_in_order(rows, page, "follower")


def following_page(person: Person, viewer: Viewer, page: Page = FIRST_PAGE) -> list[Follow]:
    """Accepted follows by `person` (each with `.followee`), newest first, as `viewer` may see them."""
    rows = Follow.objects.filter(follower=person, state=FollowState.ACCEPTED, followee__in=_listed(viewer, person))
    return _rows_in_order(rows, page, "followee")


def follow_requests_page(person: Person, page: Page = FIRST_PAGE) -> list[Follow]:
    """Requests waiting for `person`'s answer (each with `.follower`), newest first."""
    rows = Follow.objects.filter(followee=person, state=FollowState.PENDING, follower__in=visible_persons(person))
    return _rows_in_order(rows, page, "follower")


def blocks_page(person: Person, page: Page = FIRST_PAGE) -> list[Block]:
    """The people `person` blocks (each row with `.blocked`), newest first."""
    rows = Block.objects.filter(blocker=person, blocked__state=AccountState.ACTIVE)
    return _rows_in_order(rows, page, "blocked")


def _active_mutes() -> QuerySet[Mute]:
    return Mute.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def mutes_page(person: Person, page: Page = FIRST_PAGE) -> list[Mute]:
    """The people `person` mutes (each row with `.muted` and `.expires_at`), newest first."""
    rows = _active_mutes().filter(muter=person, muted__state=AccountState.ACTIVE)
    return _rows_in_order(rows, page, "muted")


def domain_blocks_page(person: Person, page: Page = FIRST_PAGE) -> list[DomainBlock]:
    return _rows_in_order(DomainBlock.objects.filter(person=person), page)


def familiar_followers(viewer: Person, persons: Sequence[Person]) -> dict[int, list[Person]]:
    """For each person: the people `viewer` follows who follow them too, in one query.

    Only people `viewer` may see and who may be listed (see `_listed`)."""
    ids = [p.id for p in persons]
    result: dict[int, list[Person]] = {person_id: [] for person_id in ids}
    if not ids:
        return result
    followed_by_viewer = Follow.objects.filter(follower=viewer, state=FollowState.ACCEPTED).values("followee_id")
    rows = (
        Follow.objects.filter(followee_id__in=ids, state=FollowState.ACCEPTED, follower_id__in=followed_by_viewer)
        .filter(follower__in=visible_persons(viewer).filter(searchable=True))
        .select_related("follower")
        .order_by("-id")
    )
    for row in rows:
        result[row.followee_id].append(row.follower)
    return result


# ---- relationships ------------------------------------------------------------------------


@dataclass(frozen=True)
class Relationship:
    following: bool
    requested: bool
    followed_by: bool
    sharing: bool  # viewer shares with the person (has them in an aspect)
    shared_with: bool  # the person shares with the viewer
    blocking: bool
    blocked_by: bool
    muting: bool
    aspect_ids: tuple[int, ...]
    requested_by: bool = False  # the person asked to follow the viewer
    muting_notifications: bool = False
    domain_blocking: bool = False  # the viewer blocked the person's whole domain


def relationships(viewer: Person, persons: Sequence[Person]) -> dict[int, Relationship]:
    """The viewer's relationship with each person, by person id, in five queries whatever their number.

    The viewer's own entry (if asked for) is all false, as in Mastodon."""
    ids = {p.id for p in persons} - {viewer.id}
    result = {p.id: Relationship(False, False, False, False, False, False, False, False, aspect_ids=()) for p in persons}
    if not ids:
        return result
    out_states: dict[int, str] = {}
    in_states: dict[int, str] = {}
    for follower_id, followee_id, state in Follow.objects.filter(
        Q(follower_id=viewer.id, followee_id__in=ids) | Q(followee_id=viewer.id, follower_id__in=ids)
    ).values_list("follower_id", "followee_id", "state"):
        if follower_id == viewer.id:
            out_states[followee_id] = state
        else:
            in_states[follower_id] = state
    blocking: set[int] = set()
    blocked_by: set[int] = set()
    for blocker_id, blocked_id in Block.objects.filter(
        Q(blocker_id=viewer.id, blocked_id__in=ids) | Q(blocked_id=viewer.id, blocker_id__in=ids)
    ).values_list("blocker_id", "blocked_id"):
        if blocker_id == viewer.id:
            blocking.add(blocked_id)
        else:
            blocked_by.add(blocker_id)
    mutes = dict(_active_mutes().filter(muter_id=viewer.id, muted_id__in=ids).values_list("muted_id", "notifications"))
    own_aspects: dict[int, list[int]] = defaultdict(list)
    shared_with: set[int] = set()
    for owner_id, person_id, aspect_id in AspectMembership.objects.filter(
        Q(aspect__owner_id=viewer.id, person_id__in=ids) | Q(aspect__owner_id__in=ids, person_id=viewer.id)
    ).values_list("aspect__owner_id", "person_id", "aspect_id").order_by("aspect_id"):
        if owner_id == viewer.id:
            own_aspects[person_id].append(aspect_id)
        else:
            shared_with.add(owner_id)
    domains = {p.domain for p in persons if p.domain}
    blocked_domains = (
        set(DomainBlock.objects.filter(person_id=viewer.id, domain__in=domains).values_list("domain", flat=True))
        if domains
        else set()
    )
    for person in persons:
        if person.id not in ids:
            continue
        result[person.id] = Relationship(
            following=out_states.get(person.id) == FollowState.ACCEPTED,
            requested=out_states.get(person.id) == FollowState.PENDING,
            followed_by=in_states.get(person.id) == FollowState.ACCEPTED,
            sharing=bool(own_aspects.get(person.id)),
            shared_with=person.id in shared_with,
            blocking=person.id in blocking,
            blocked_by=person.id in blocked_by,
            muting=person.id in mutes,
            aspect_ids=tuple(own_aspects.get(person.id, ())),
            requested_by=in_states.get(person.id) == FollowState.PENDING,
            muting_notifications=bool(mutes.get(person.id)),
            domain_blocking=person.domain in blocked_domains,
        )
    return result


def relationship(viewer: Person, other: Person) -> Relationship:
    return relationships(viewer, [other])[other.id]
