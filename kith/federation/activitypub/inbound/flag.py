"""Flag: a report from another server about people (and posts) here."""

from __future__ import annotations

from kith.federation.activitypub.inbound.common import Drop, find_post, local_person
from kith.federation.activitypub.models import RemoteActor
from kith.federation.activitypub.parse import ActivityData
from kith.moderation import domains as domain_policies
from kith.moderation.services import file_report


def _flag(activity: ActivityData, actor: RemoteActor) -> None:
    """A report from another server's moderators or members (Mastodon sends it as its instance actor)."""
    if domain_policies.rejects_reports(actor.person.domain):
        raise Drop("this pod rejects reports from that server")
    people = [p for p in (local_person(uri) for uri in activity.objects) if p is not None]
    if not people:
        raise Drop("a report about nobody here")
    target = people[0]
    posts = [p for p in (find_post(uri) for uri in activity.objects) if p is not None and p.author_id == target.id]
    reporter = actor.person if actor.actor_type == "Person" else None
    file_report(target, reporter=reporter, reporter_domain=actor.person.domain, posts=posts, comment=activity.content or "")
