"""Hand-written SQL for the few hot read paths where building and compiling an ORM query
costs more than running it (docs/performance.md: on a home-timeline page, Django's query
construction and compilation were ~half the request; SQLite ran each of these queries in
0.01-0.05 ms).  Plain standard SQL that SQLite and PostgreSQL both run; table and column
names come from the models, values are always parameters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models


def table(model: type[models.Model], using: str = "default") -> str:
    return connections[using].ops.quote_name(model._meta.db_table)


def placeholders(values: Sequence[Any]) -> str:
    """`%s, %s, ...` for an IN list (never empty: callers skip the query then)."""
    if not values:
        raise ValueError("an IN list needs at least one value")
    return ", ".join(["%s"] * len(values))


def fetch(sql: str, params: Iterable[Any], using: str = "default") -> list[tuple[Any, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())
