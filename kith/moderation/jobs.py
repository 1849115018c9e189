"""Background work of moderation: timed account actions lapse on their own."""

from __future__ import annotations

from kith.jobs import at_start, crontab, periodic
from kith.moderation.actions import lapse_expired_actions


@periodic(crontab(minute="*"))
def lapse_actions_job() -> None:
    """Within a minute of its expiry an action is lifted (its row is the durable record: a
    sweep that died half-way is finished by the next one)."""
    lapse_expired_actions()


@at_start("lapsed moderation actions", order=30)
def _lapse_at_start(whole_pod: bool) -> int:
    """A pod that was down when actions expired lifts them as it starts, not a minute later."""
    return lapse_expired_actions()
