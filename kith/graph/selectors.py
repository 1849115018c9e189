"""Reads of the sharing graph."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from kith.graph.models import Aspect, AspectMembership, Block, Follow, FollowState, Mute
from kith.people.models import Person
from kith.visibility import Viewer, visible_persons


def followers(person: Person, viewer: Viewer = None) -> QuerySet[Person]:
    ids = Follow.objects.filter(followee=person, state=FollowState.ACCEPTED).values("follower_id")
    return visible_persons(viewer, Person.objects.filter(id__in=ids))


def following(person: Person, viewer: Viewer = None) -> QuerySet[Person]:
    ids = Follow.objects.filter(follower=person, state=FollowState.ACCEPTED).values("followee_id")
    return visible_persons(viewer, Person.objects.filter(id__in=ids))


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


def relationship(viewer: Person, other: Person) -> Relationship:
    out = {f.state for f in Follow.objects.filter(follower=viewer, followee=other)}
    aspect_ids = tuple(
        AspectMembership.objects.filter(aspect__owner=viewer, person=other).values_list("aspect_id", flat=True)
    )
    return Relationship(
        following=FollowState.ACCEPTED in out,
        requested=FollowState.PENDING in out,
        followed_by=Follow.objects.filter(follower=other, followee=viewer, state=FollowState.ACCEPTED).exists(),
        sharing=bool(aspect_ids),
        shared_with=AspectMembership.objects.filter(aspect__owner=other, person=viewer).exists(),
        blocking=Block.objects.filter(blocker=viewer, blocked=other).exists(),
        blocked_by=Block.objects.filter(blocker=other, blocked=viewer).exists(),
        muting=Mute.objects.filter(muter=viewer, muted=other).exists(),
        aspect_ids=aspect_ids,
    )
