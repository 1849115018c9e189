"""Follows cut by a suspension (of a remote account or of its whole domain), and the local
people who lost them told (Mastodon's severed relationships)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from kith.core import events
from kith.graph import services as graph
from kith.graph.models import Follow
from kith.people.models import Person


def sever_and_notify(remote: QuerySet[Person], about: dict[str, Any]) -> dict[int, tuple[int, int]]:
    """Remove every follow between local persons and `remote`, and notify each local person
    who lost some (`about`: {"domain": ..} or {"account": handle}, plus "followers_lost" and
    "following_lost").  Returns {local person id: (followers lost, following lost)}.  Runs in
    the caller's transaction."""
    followers = dict(
        Follow.objects.filter(followee__domain="", follower__in=remote)
        .values("followee_id").annotate(n=Count("id")).values_list("followee_id", "n")
    )
    following = dict(
        Follow.objects.filter(follower__domain="", followee__in=remote)
        .values("follower_id").annotate(n=Count("id")).values_list("follower_id", "n")
    )
    lost = {pid: (followers.get(pid, 0), following.get(pid, 0)) for pid in set(followers) | set(following)}
    graph.sever_follows_with(remote)
    for person_id, (followers_lost, following_lost) in sorted(lost.items()):
        events.emit_on_commit(events.ModerationNotice(
            person_id, "severed_relationships", person_id,
            {**about, "followers_lost": followers_lost, "following_lost": following_lost},
        ))
    return lost
