"""ActivityPub endpoints: thin handlers over render.py and the domain selectors."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from kith.federation.activitypub import render, uris
from kith.federation.keys import instance_key
from kith.people.models import AccountState, Person

ACTIVITY_JSON = "application/activity+json; charset=utf-8"


def activity_response(document: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(json.dumps(document), content_type=ACTIVITY_JSON, status=status)
    response["Vary"] = "Accept"
    return response


@require_GET
def actor(request: HttpRequest, username: str) -> HttpResponse:
    person = Person.objects.filter(username__iexact=username, domain="").prefetch_related("profile_tags").first()
    if person is None:
        return activity_response({"error": "no such actor"}, status=404)
    if person.state == AccountState.DELETED:
        return activity_response(render.tombstone(uris.actor(person.username)), status=410)
    if person.state != AccountState.ACTIVE:
        # Suspended: gone for others until a moderator lifts it.
        return activity_response({"error": "this actor is suspended"}, status=410)
    return activity_response(render.actor(person))


@require_GET
def instance_actor(request: HttpRequest) -> HttpResponse:
    return activity_response(render.instance_actor(instance_key().public_key_pem))
