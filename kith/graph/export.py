"""The graph's sections of a person's data export (see kith.people.export)."""

from __future__ import annotations

from typing import Any

from kith.graph.models import Aspect, Block, Follow, FollowState, Mute
from kith.people.export import ExportFiles, handles, section
from kith.people.models import Person


@section("aspects")
def _aspects(person: Person, files: ExportFiles) -> list[dict[str, Any]]:
    aspects = Aspect.objects.filter(owner=person).prefetch_related("memberships__person")
    return [
        {"name": aspect.name, "contacts": handles(m.person for m in aspect.memberships.all())} for aspect in aspects
    ]


@section("following")
def _following(person: Person, files: ExportFiles) -> list[str]:
    return handles(
        f.followee for f in Follow.objects.filter(follower=person, state=FollowState.ACCEPTED).select_related("followee")
    )


@section("followers")
def _followers(person: Person, files: ExportFiles) -> list[str]:
    return handles(
        f.follower for f in Follow.objects.filter(followee=person, state=FollowState.ACCEPTED).select_related("follower")
    )


@section("blocked")
def _blocked(person: Person, files: ExportFiles) -> list[str]:
    return handles(b.blocked for b in Block.objects.filter(blocker=person).select_related("blocked"))


@section("muted")
def _muted(person: Person, files: ExportFiles) -> list[str]:
    return handles(m.muted for m in Mute.objects.filter(muter=person).select_related("muted"))
