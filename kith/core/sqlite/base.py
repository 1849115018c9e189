"""Django's SQLite backend, with the writers of one process queued on a lock.

SQLite allows one writer at a time.  Kith's transactions start with BEGIN IMMEDIATE (they
take the write lock at once, so none fails half-way), and a connection that finds the lock
taken waits in SQLite's busy handler: it *sleeps* in steps of 1, 2, 5 ... 100 ms and tries
again, unaware of when the lock is released.  With 16 request threads posting at once,
most of their time went to those sleeps (docs/performance.md: 13 posts/s, p50 1.2 s).

Here the threads of one process take a Python lock before BEGIN IMMEDIATE and release it
after COMMIT or ROLLBACK, so a waiting writer is woken the moment the previous one is
done.  Other processes (`kith web` beside `kith worker`) still meet at SQLite's own lock,
as before.  A thread waits on the lock at most the connection's timeout, then goes on to
SQLite's busy handler, and takes the lock over when the thread holding it has ended, so a
bug can cost time but never hang a process; in-memory
databases (the test suite's) are private to a connection and skip it.
"""

from __future__ import annotations

import threading
import time

from django.db.backends.sqlite3 import base


class _WriterLock:
    """A lock that a waiter may take over when the thread holding it has ended (its
    connection, and so its transaction, went with it): a leak must not stall every writer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._takeover = threading.Lock()
        self.holder: threading.Thread | None = None

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if self._lock.acquire(timeout=max(0.0, min(0.5, deadline - time.monotonic()))):
                self.holder = threading.current_thread()
                return True
            with self._takeover:
                if self.holder is not None and not self.holder.is_alive():
                    self.holder = threading.current_thread()  # still locked: now on our behalf
                    return True
            if time.monotonic() >= deadline:
                return False

    def release(self) -> None:
        with self._takeover:
            self.holder = None
            self._lock.release()


_writer_locks: dict[str, _WriterLock] = {}
_registry_lock = threading.Lock()


def _writer_lock(name: str) -> _WriterLock:
    with _registry_lock:
        return _writer_locks.setdefault(name, _WriterLock())


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        # django-stubs leave out the SQLite backend's transaction_mode and private hooks.
        if self.transaction_mode == "IMMEDIATE" and not self.is_in_memory_db() and not self._holds_writer_lock:  # type: ignore[attr-defined]
            timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
            lock = _writer_lock(str(self.settings_dict["NAME"]))
            self._holds_writer_lock = lock.acquire(timeout=timeout)
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer_lock()
            raise

    def _release_writer_lock(self) -> None:
        if self._holds_writer_lock:
            self._holds_writer_lock = False
            _writer_lock(str(self.settings_dict["NAME"])).release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writer_lock()
