"""Model helpers shared by every app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from kith.core.ids import new_id

if TYPE_CHECKING:
    # The stubs' field classes are generic (value set, value read); Django's are not at run time.
    _BigIntegerField = models.BigIntegerField[int, int]
else:
    _BigIntegerField = models.BigIntegerField


class SnowflakeField(_BigIntegerField):
    """A primary key filled with a time-sortable id (kith.core.ids) at creation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("default", new_id)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Any, Any]:
        name, _path, args, kwargs = super().deconstruct()
        return name, "kith.core.models.SnowflakeField", args, kwargs


class PendingEvent(models.Model):
    """A domain event one of its consumers has yet to handle: the transactional outbox.

    Written in the transaction that caused the event (so a crash either loses both or
    keeps both), deleted once the consumer has run.  kith.core.outbox runs what a crash,
    a failing consumer or a lost job left behind.
    """

    id = SnowflakeField()
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    consumer = models.CharField(max_length=200)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the sweep may run it: a while after it was written (its own dispatch is under
    # way until then), later after each failed attempt.
    due_at = models.DateTimeField(db_index=True)
    # Held while a worker runs the consumer (kith.core.outbox.run_pending), so a sweep's job
    # and a slow original job never run it at the same time.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.event_type} for {self.consumer}"
