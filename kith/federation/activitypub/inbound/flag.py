"""Flag: a report from another server about people (and posts) here."""

from __future__ import annotations

from kith.federation.activitypub.inbound.common import Drop, find_comment, find_post, local_person
from kith.federation.activitypub.models import RemoteActor
from kith.federation.activitypub.parse import ActivityData
from kith.moderation import domains as domain_policies
from kith.moderation.services import file_report


def _flag(activity: ActivityData, actor: RemoteActor) -> None:
    """A report from another server (Mastodon and Kith send it as their instance actor).

    It reaches the queue naming the server only (reporter_domain), never a person, even when
    the actor is one: the other server's member reported to their own moderators, and staff
    here need not (and should not) know who."""
    domain = actor.person.domain
    if domain_policies.rejects_reports(domain):
        raise Drop(f"this pod rejects reports from {domain}")
    people = [p for p in (local_person(uri) for uri in activity.objects) if p is not None]
    if not people:
        raise Drop("a report about nobody here")
    target = people[0]
    posts = [p for p in (find_post(uri) for uri in activity.objects) if p is not None and p.author_id == target.id]
    comments = [
        c for c in (find_comment(uri) for uri in activity.objects) if c is not None and c.author_id == target.id
    ]
    file_report(
        target, reporter=None, reporter_domain=domain, posts=posts, comments=comments,
        comment=activity.content or "",
    )
