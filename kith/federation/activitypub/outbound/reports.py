"""Reports: Flag, forwarded to the reported person's server."""

from __future__ import annotations

from kith.core import events
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.outbound.common import _send, stable_name
from kith.jobs import task
from kith.moderation.models import Report


@task()
@stable_name
def federate_report(report_id: int) -> None:
    """A report about someone of another server, sent to it as Mastodon does: a Flag from the
    instance actor, so the reporter stays anonymous; the comment goes along, the reported posts
    and comments (replies) by URI."""
    report = Report.objects.select_related("target__ap_actor").filter(id=report_id).first()
    if report is None or report.target.is_local or not hasattr(report.target, "ap_actor"):
        return
    target = report.target
    posts = report.posts.select_related("ap_object").filter(author=target, ap_object__isnull=False)
    comments = report.comments.select_related("ap_object").filter(author=target, ap_object__isnull=False)
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{uris.instance_actor()}/flags/{report.id}",
        "type": "Flag",
        "actor": uris.instance_actor(),
        "object": [
            render.actor_uri(target),
            *(render.post_uri(post) for post in posts),
            *(render.comment_uri(comment) for comment in comments),
        ],
        "content": report.comment,
    }
    _send(activity, [target.ap_actor.inbox], None, f"report:{report.id}")


@events.subscribe(events.ReportForwarded, in_worker=True)
@stable_name
def _on_report_forwarded(event: events.ReportForwarded) -> None:
    federate_report.call_local(event.report_id)
