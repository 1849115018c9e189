"""The tables a test flush leaves as they are (tests/pgflush, tests/sqliteflush).

After each transactional test pytest-django empties every table (Django's `flush`), and the
`post_migrate` signal that follows writes the content types and permissions of all installed
models back: about 0.2 CPU-s per transactional test, nearly all of the flush.  Those rows come
from the models, not from any test (nothing in Kith or its tests writes them), so the flush
keeps them and `post_migrate` then finds every row already there.
"""

from __future__ import annotations

from collections.abc import Iterable

KEPT_TABLES = frozenset({"django_content_type", "auth_permission"})


def flushed(tables: Iterable[str]) -> list[str]:
    """`tables` without the ones every flush would write back the same."""
    return [table for table in tables if table not in KEPT_TABLES]
