"""Domain events -> ActivityPub activities -> durable deliveries.

This is federation's consumer of the same events that timelines surface
locally.  Each handler renders the activity, works out the inboxes (one per
shared inbox for public things; each member's own inbox for limited ones) and
hands them to kith.federation.delivery, which owns retries.  The heavy part
runs in the worker: subscribers only enqueue a job.

One module per family of activities (posts, comments, likes, follows, blocks, profiles,
reports, polls; suspension takes a suspended person's content back and sends it again); what they share (inboxes, sending) is in common.  Importing this package
subscribes them all (activitypub/apps.py does at app ready).
"""

from __future__ import annotations

from kith.federation.activitypub.outbound import (
    blocks,
    comments,
    follows,
    likes,
    polls,
    posts,
    profiles,
    reports,
    suspension,
)
from kith.federation.activitypub.outbound.comments import comment_addressing
from kith.federation.activitypub.outbound.common import _audience, _thread, post_inboxes
from kith.federation.activitypub.outbound.polls import (
    POLL_UPDATE_DELAY,
    POLL_UPDATE_INTERVAL,
    send_due_poll_updates,
    send_poll_update,
)

# The names other modules and tests use, from where they live now; and the families, each
# subscribed to its domain events on import.
__all__ = [
    "POLL_UPDATE_DELAY", "POLL_UPDATE_INTERVAL", "_audience", "_thread", "blocks", "comment_addressing", "comments",
    "follows", "likes", "polls", "post_inboxes", "posts", "profiles", "reports", "send_due_poll_updates",
    "send_poll_update", "suspension",
]
