"""kith/core/sqlite: the threads of a process queue for SQLite's write lock on a Python lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db.utils import ConnectionHandler

from kith.core.sqlite.base import _writer_lock


@contextmanager
def write_transaction(connection) -> Iterator:
    """What the outermost transaction.atomic() does with a connection (this one is not in
    django.db.connections, which atomic() would look it up in)."""
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    try:
        yield connection.cursor()
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.set_autocommit(True)


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """A file database of its own (the suite's is in memory, which the lock leaves alone)."""
    name = str(tmp_path / "lock.sqlite3")
    handler = ConnectionHandler({  # its own handler: "default" here is not the suite's database
        "default": {
            "ENGINE": "kith.core.sqlite",
            "NAME": name,
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 5, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    })
    with django_db_blocker.unblock():
        with handler["default"].cursor() as cursor:
            cursor.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
            cursor.execute("INSERT INTO counter VALUES (0)")
        yield handler, name
        handler.close_all()


def test_a_transaction_holds_the_lock_until_commit_or_rollback(file_database):
    handler, name = file_database
    connection = handler["default"]
    with write_transaction(connection):
        pass
    assert _writer_lock(name).holder is None  # nothing written: still released on commit
    with write_transaction(connection) as cursor:
        cursor.execute("UPDATE counter SET n = n + 1")
        assert _writer_lock(name).holder is threading.current_thread()
    assert _writer_lock(name).holder is None

    def update_then_fail() -> None:
        with write_transaction(connection) as cursor:
            cursor.execute("UPDATE counter SET n = n + 1")
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        update_then_fail()
    assert _writer_lock(name).holder is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone() == (1,)


def test_concurrent_writers_lose_no_update(file_database):
    handler, _ = file_database
    failures: list[BaseException] = []

    def increment() -> None:
        try:
            for _ in range(25):
                with write_transaction(handler["default"]) as cursor:
                    cursor.execute("SELECT n FROM counter")
                    (current,) = cursor.fetchone()
                    cursor.execute("UPDATE counter SET n = %s", [current + 1])
        except BaseException as exc:
            failures.append(exc)
        finally:
            handler["default"].close()

    threads = [threading.Thread(target=increment) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with handler["default"].cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone() == (200,)


def test_a_lock_left_by_an_ended_thread_is_taken_over():
    lock = _writer_lock("kith-test-abandoned")
    taker = threading.Thread(target=lambda: lock.acquire(timeout=1))
    taker.start()
    taker.join()
    assert lock.holder is taker
    started = time.monotonic()
    assert lock.acquire(timeout=10)
    assert time.monotonic() - started < 2
    assert lock.holder is threading.current_thread()
    lock.release()
    assert lock.acquire(timeout=0.1)
    lock.release()
