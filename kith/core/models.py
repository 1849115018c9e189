"""Model helpers shared by every app."""

from __future__ import annotations

from django.db import models

from kith.core.ids import new_id


class SnowflakeField(models.BigIntegerField):
    """A primary key filled with a time-sortable id (kith.core.ids) at creation."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("default", new_id)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "kith.core.models.SnowflakeField", args, kwargs
