"""The one way to write the audit log (inside the caller's transaction)."""

from __future__ import annotations

from typing import Any

from kith.core import events
from kith.moderation.models import AuditLogEntry


def record(action: str, *, actor: Any = None, target: Any = None, reason: str = "", **data: Any) -> AuditLogEntry:
    return AuditLogEntry.objects.create(
        actor=actor,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "pk", "")) if target is not None else "",
        reason=reason,
        data=data,
    )


@events.subscribe_in_transaction(events.Audited)
def record_audited(event: events.Audited) -> None:
    """An action of a package below moderation (people), written in its transaction."""
    AuditLogEntry.objects.create(
        actor_id=event.actor_id,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        reason=event.reason,
        data=event.data,
    )
