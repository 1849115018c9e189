"""Acceptance: killing the worker process in the middle of a 1,000-follower fan-out and
restarting it leaves every follower with the post exactly once.

Done for real: a pod on disk (SQLite, or a fresh PostgreSQL database), seeded by a
script through the real services, a `kith worker` process SIGKILLed while the fan-out
is part-way, and a second `kith worker` that finishes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time
from collections import Counter

import pytest

from tests.conftest import Pod, wait_until

pytestmark = pytest.mark.server

FOLLOWERS = 1000
# Small batches make the fan-out take many commits, so there is a "middle" to kill it in;
# a short lease lets the restarted worker take over soon after the dead one's lease ends.
WORKER_ENV = {"KITH_FANOUT_BATCH_SIZE": "5", "KITH_FANOUT_LEASE_SECONDS": "2", "KITH_INLINE_FANOUT_LIMIT": "50"}

SEED = f"""
import json
from kith.graph.models import Follow
from kith.people.models import Person
from kith.social.services import publish_post
from kith.timelines.models import FanOut

author = Person.objects.create(username="author", display_name="Author")
followers = Person.objects.bulk_create([Person(username=f"follower{{i:04d}}") for i in range({FOLLOWERS})])
Follow.objects.bulk_create([Follow(follower=f, followee=author) for f in followers])
post = publish_post(author, "Hello, all {FOLLOWERS} of you")
assert FanOut.objects.get(post=post).state == "pending"
print(json.dumps({{"post": post.id, "author": author.id, "followers": [f.id for f in followers]}}))
"""


@contextlib.contextmanager
def _stream_writes_paused(pod: Pod):
    """Hold a lock that stops anyone writing stream rows (the worker waits on it)."""
    if pod.database_url:
        import psycopg

        with psycopg.connect(pod.database_url, autocommit=True) as conn, conn.transaction():
            conn.execute("LOCK TABLE timelines_streamentry IN SHARE ROW EXCLUSIVE MODE")
            yield lambda sql, params: conn.execute(sql.replace("?", "%s"), params).fetchall()
        return
    conn = sqlite3.connect(pod.sqlite_path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")  # the write lock: the worker's next batch waits for it
        try:
            yield lambda sql, params: conn.execute(sql, params).fetchall()
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


def _kill_mid_fanout(pod: Pod, worker, post_id: int, timeout: float = 60) -> int:
    """SIGKILL the worker once some, but not all, stream rows are committed; returns the count then."""
    deadline = time.monotonic() + timeout
    while True:
        assert worker.poll() is None, f"the worker exited on its own:\n{pod.log_of(worker)}"
        with _stream_writes_paused(pod) as read:
            (count,) = read("SELECT COUNT(*) FROM timelines_streamentry WHERE post_id = ?", (post_id,))[0]
            if count > 1:  # the author's own row plus at least one committed batch
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
                return count
        if time.monotonic() > deadline:
            pytest.fail(f"the fan-out never started within {timeout}s:\n{pod.log_of(worker)}")
        time.sleep(0.002)


def _fanout(pod: Pod, post_id: int) -> tuple[str, int, int]:
    rows = pod.query("SELECT state, cursor, attempts FROM timelines_fanout WHERE post_id = ?", (post_id,))
    return rows[0]


def test_killed_worker_restarted_leaves_every_follower_with_the_post_exactly_once(make_pod):
    pod = make_pod()
    seeded = json.loads(pod.script(SEED, extra_env=WORKER_ENV))
    post_id, author_id, followers = seeded["post"], seeded["author"], seeded["followers"]
    assert len(followers) == FOLLOWERS

    first = pod.start("worker", "--threads", "2", extra_env=WORKER_ENV)
    at_kill = _kill_mid_fanout(pod, first, post_id)
    assert first.returncode == -signal.SIGKILL

    state, cursor, attempts = _fanout(pod, post_id)
    assert 1 < at_kill < FOLLOWERS + 1, f"the kill came too late: {at_kill} rows"
    assert (state, attempts) == ("pending", 1)
    assert cursor > 0
    # Nothing more arrives while no worker runs: the dead worker's last batch was never committed.
    assert pod.query("SELECT COUNT(*) FROM timelines_streamentry WHERE post_id = ?", (post_id,))[0][0] == at_kill

    second = pod.start("worker", "--threads", "2", extra_env=WORKER_ENV)
    wait_until(
        lambda: _fanout(pod, post_id)[0] == "done", timeout=90, interval=0.2,
        message=f"the restarted worker to finish the fan-out; its log:\n{pod.log_of(second)}",
    )

    rows = pod.query("SELECT owner_id, reason FROM timelines_streamentry WHERE post_id = ?", (post_id,))
    owners = Counter(owner for owner, _reason in rows)
    assert len(rows) == FOLLOWERS + 1
    assert max(owners.values()) == 1, "a follower got the post twice"
    assert set(owners) == {*followers, author_id}
    assert Counter(reason for _owner, reason in rows) == {"following": FOLLOWERS, "own": 1}
    assert _fanout(pod, post_id)[2] >= 2  # resumed by a second claim, not restarted from scratch

    # SIGTERM is a graceful stop: running jobs finish, the process exits 0.
    assert pod.stop(second, signal.SIGTERM) == 0
