"""Profiles: Update and Delete of a person, and Move."""

from __future__ import annotations

from kith.core import events
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.context import AS_PUBLIC
from kith.federation.activitypub.models import RemoteActor
from kith.federation.activitypub.outbound.common import _follower_inboxes, _send, stable_name
from kith.federation.models import Delivery
from kith.jobs import task
from kith.people.models import Person


@task()
@stable_name
def federate_profile(person_id: int) -> None:
    person = Person.objects.filter(id=person_id, domain="").prefetch_related("profile_tags").first()
    if person is None or not person.is_active:
        return
    actor = render.actor(person)
    actor.pop("@context")
    stamp = int(person.updated_at.timestamp())
    activity = render.wrap(
        "Update", person, actor, activity_id=uris.activity(actor["id"], "update", stamp),
        to=[AS_PUBLIC], cc=[uris.followers(person.username)],
    )
    _send(activity, _follower_inboxes(person), person, f"profile:{person.id}")


@task()
@stable_name
def federate_person_deleted(person_id: int) -> None:
    person = Person.objects.filter(id=person_id, domain="").first()
    if person is None:
        return
    actor_id = uris.actor(person.username)
    inboxes = _follower_inboxes(person) | {
        actor.delivery_inbox for actor in RemoteActor.objects.filter(person__follower_rel__follower=person)
    } | set(Delivery.objects.filter(signer=person).values_list("inbox", flat=True).distinct()[:5000])
    activity = render.wrap("Delete", person, actor_id, activity_id=uris.activity(actor_id, "delete"), to=[AS_PUBLIC])
    _send(activity, inboxes, person, f"delete:person:{person.id}")


@task()
@stable_name
def federate_move(person_id: int, target_id: int) -> None:
    """Account migration: the old account's followers hear of the new one (Mastodon's Move)."""
    people = {p.id: p for p in Person.objects.select_related("ap_actor").filter(id__in=[person_id, target_id])}
    person, target = people.get(person_id), people.get(target_id)
    if not (person and target and person.is_local):
        return
    old_uri = render.actor_uri(person)
    activity = render.wrap(
        "Move", person, old_uri, activity_id=f"{old_uri}/moves/{target.id}",
        target=render.actor_uri(target), to=[uris.followers(person.username)],
    )
    _send(activity, _follower_inboxes(person), person, f"move:{person.id}")


@events.subscribe(events.AccountMoved, in_worker=True)
@stable_name
def _on_move(event: events.AccountMoved) -> None:
    federate_move.call_local(event.person_id, event.target_id)


@events.subscribe(events.ProfileUpdated, in_worker=True)
@stable_name
def _on_profile(event: events.ProfileUpdated) -> None:
    federate_profile.call_local(event.person_id)


@events.subscribe(events.PersonDeleted, in_worker=True)
@stable_name
def _on_person_deleted(event: events.PersonDeleted) -> None:
    federate_person_deleted.call_local(event.person_id)
