"""Domain events -> StreamEvent rows (edits and deletions) for the streaming processes.

New posts, stream rows and notifications need no record of their own: the
streaming processes tail those tables directly.
"""

from __future__ import annotations

from django.utils import timezone

from kith.api.streaming import wake
from kith.api.streaming.models import RETENTION, StreamEvent, StreamEventKind
from kith.core import events
from kith.social.models import PUBLIC_VISIBILITIES, Post
from kith.timelines import consumers as timelines


def _record(event: StreamEvent) -> None:
    event.save()
    prune()
    wake.publish()


def prune() -> None:
    """Drop events every streaming process has long read (one indexed range delete)."""
    StreamEvent.objects.filter(created_at__lt=timezone.now() - RETENTION).delete()


@events.subscribe(events.PostEdited)
def record_edit(event: events.PostEdited) -> None:
    author_id = Post.objects.filter(id=event.post_id).values_list("author_id", flat=True).first()
    if author_id is not None:
        _record(StreamEvent(kind=StreamEventKind.EDITED, post_id=event.post_id, author_id=author_id))


@events.subscribe(events.PostDeleted)
def record_deletion(event: events.PostDeleted) -> None:
    _record(
        StreamEvent(
            kind=StreamEventKind.DELETED,
            post_id=event.post_id,
            author_id=event.author_id,
            public=event.visibility in PUBLIC_VISIBILITIES,
            audience=sorted(event.local_audience_ids),
        )
    )


# A wake-up is worthless after a crash (durable=False); it must come after the consumer
# that wrote what it announces, or a listener polls too early and waits for its next tick.
@events.subscribe(events.PostPublished, durable=False, after=[timelines.surface_post])
def wake_on_publish(event: events.PostPublished) -> None:
    # The post and (inline fan-out, which ran before this consumer) its stream rows are
    # committed: streaming processes that listen can poll now instead of at their next tick.
    wake.publish()


@events.subscribe(events.FollowRequested, durable=False, after=[timelines.surface_follow])
@events.subscribe(events.LikeAdded, durable=False, after=[timelines.surface_like])
@events.subscribe(events.CommentCreated, durable=False, after=[timelines.surface_comment])
@events.subscribe(events.StartedSharing, durable=False, after=[timelines.surface_sharing])
def wake_on_notification(event: object) -> None:
    # After the notification it announces is written.
    wake.publish()
