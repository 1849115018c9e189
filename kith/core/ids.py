"""Time-sortable 64-bit ids.

The top bits are milliseconds since the Unix epoch and the low 16 bits a
per-process sequence seeded randomly, as Mastodon does: "the 20 newest before
X" becomes an index range scan on the primary key, and ids from two processes
in the same millisecond almost never collide (the database's primary key
catches the rare case).
"""

from __future__ import annotations

import secrets
import threading
import time

_SEQUENCE_BITS = 16
_SEQUENCE_MASK = (1 << _SEQUENCE_BITS) - 1
_lock = threading.Lock()
_last_ms = 0
_sequence = secrets.randbelow(1 << _SEQUENCE_BITS)


def new_id(at_ms: int | None = None) -> int:
    """A new id; `at_ms` (for back-dated imports) fixes the timestamp part."""
    global _last_ms, _sequence
    with _lock:
        now_ms = at_ms if at_ms is not None else int(time.time() * 1000)
        if at_ms is None and now_ms <= _last_ms:
            # Same millisecond (or a clock step back): keep ids increasing.
            _sequence = (_sequence + 1) & _SEQUENCE_MASK
            if _sequence == 0:
                _last_ms += 1
            now_ms = _last_ms
        elif at_ms is None:
            _last_ms = now_ms
            _sequence = secrets.randbelow(1 << (_SEQUENCE_BITS - 2))
        return (now_ms << _SEQUENCE_BITS) | _sequence


def id_floor_for_ms(ms: int) -> int:
    """The smallest id that can have been made at `ms` (for time-range queries)."""
    return ms << _SEQUENCE_BITS


def ms_of(snowflake: int) -> int:
    return snowflake >> _SEQUENCE_BITS
