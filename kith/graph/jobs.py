"""Background work of the sharing graph."""

from __future__ import annotations

from kith.graph.services import expire_mutes
from kith.jobs import crontab, periodic


@periodic(crontab(minute="*"))
def expire_mutes_job() -> None:
    """Mutes with a duration end within a minute of their time: the stream and notifications read
    mutes without looking at the clock (graph.selectors do look, so relationships are exact)."""
    expire_mutes()
