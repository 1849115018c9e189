"""Creating notifications (local recipients only, once per event)."""

from __future__ import annotations

from typing import Any

from kith.graph.models import Mute
from kith.people.models import Person
from kith.timelines.models import Notification
from kith.visibility import blocked_either_way, notifies


def notify(recipient: Person, kind: str, actor: Person, **targets: Any) -> Notification | None:
    """Notify `recipient`, unless they are remote, the actor themself, inactive, blocked/muted
    either way, or the actor is limited and the recipient does not follow them.

    A repeated event (a retried job, a like after an unlike) does not notify twice.
    """
    if not recipient.is_local or recipient.id == actor.id or not recipient.is_active or not actor.is_active:
        return None
    if blocked_either_way(recipient, actor.id):
        return None
    if not notifies(recipient, actor, kind):
        return None  # a limited actor reaches their followers alone (kith.visibility rule 15d)
    # A mute made with notifications=False hides only the posts (Mastodon's mute option).
    if Mute.objects.filter(muter=recipient, muted=actor, notifications=True).exists():
        return None
    keys = {"post": None, "comment": None, "conversation": None}
    for name, value in targets.items():
        keys.pop(name.removesuffix("_id"), None)  # conversation_id=...: a target named by its id
        keys[name] = value
    existing = Notification.objects.filter(recipient=recipient, kind=kind, actor=actor, **keys).first()
    if existing is not None:
        # The same event again (a consumer re-run by the outbox sweep): leave its read state
        # alone.  A new message is a new post, so it gets a notification of its own.
        return existing
    return Notification.objects.create(recipient=recipient, kind=kind, actor=actor, **keys)
