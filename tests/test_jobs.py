"""The job queue's contract and the durable fan-out's recovery rules (in-process, immediate huey).

The process-level acceptance test (a worker SIGKILLed mid fan-out) is tests/test_fanout_kill.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from huey import RedisHuey, SqliteHuey

from kith.graph import services as graph
from kith.jobs import enqueue_on_commit, huey, queue, task
from kith.jobs.worker import startup_recovery
from kith.social import services
from kith.timelines import consumers, fanout
from kith.timelines.models import FanOut, FanOutState, StreamEntry
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

FOLLOWERS = 8  # above the test settings' inline limit (5): the worker's path


@pytest.fixture(autouse=True)
def _empty_queue():
    huey.storage.flush_all()
    yield
    huey.storage.flush_all()


ran: list[str] = []


@task()
def record_job(value: str) -> None:
    ran.append(value)


@pytest.fixture
def lost_jobs(monkeypatch):
    """Fan-out jobs enqueued after publishing vanish, as when a worker dies holding them."""
    monkeypatch.setattr(consumers, "fanout_job", lambda post_id: None)


def _author_with_followers(count: int = FOLLOWERS):
    author = factories.person("author")
    followers = [factories.person() for _ in range(count)]
    for follower in followers:
        graph.follow(follower, author)
    return author, followers


def _owners(post) -> list[int]:
    return sorted(StreamEntry.objects.filter(post=post).values_list("owner_id", flat=True))


def _age(post, minutes: int = 2) -> None:
    FanOut.objects.filter(post=post).update(created_at=timezone.now() - timedelta(minutes=minutes))


def _scheduled_fanouts() -> list:
    return [t for t in huey.scheduled() if t.name == "fanout_job"]


# ---- the queue interface -------------------------------------------------------------


def test_enqueue_on_commit_runs_only_jobs_whose_transaction_committed():
    ran.clear()

    def rolled_back() -> None:
        with transaction.atomic():
            enqueue_on_commit(record_job, "rolled back")
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError, match="roll back"):
        rolled_back()
    with transaction.atomic():
        enqueue_on_commit(record_job, "committed")
        assert ran == []  # not before the commit
    assert ran == ["committed"]


def test_tasks_retry_with_backoff_by_default():
    job = record_job.s("x")
    assert (job.retries, job.retry_delay, job.retry_backoff) == (3, 10, 2)


def test_queue_backend_follows_settings(settings, tmp_path):
    settings.KITH_JOBS_IMMEDIATE = False
    settings.KITH_DATA_DIR = tmp_path
    settings.KITH_REDIS_URL = None
    embedded = queue.build_huey()
    assert isinstance(embedded, SqliteHuey)
    assert (tmp_path / "queue.sqlite3").exists()
    settings.KITH_REDIS_URL = "redis://127.0.0.1:6379/15"
    assert isinstance(queue.build_huey(), RedisHuey)


LOADED = """
import sys
from kith import cli
cli.setup_django()
from kith.jobs import queue
print(type(queue.huey).__name__, "redis" in sys.modules, "psycopg" in sys.modules)
"""


def _pod_process_loads(tmp_path, **variables: str) -> str:
    """What a pod's process (SQLite database, queue as `variables` say) has loaded once set up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(KITH_DATA_DIR=str(tmp_path), KITH_SECRET_KEY="jobs-test", **variables)
    done = subprocess.run([sys.executable, "-c", LOADED], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_pod_queueing_in_sqlite_loads_neither_redis_nor_psycopg(tmp_path):
    """huey would import both for queues the pod does not use (~0.25 CPU-s a process)."""
    assert _pod_process_loads(tmp_path) == "QueueHuey False False"


def test_a_pod_queueing_in_redis_has_it(tmp_path):
    """With KITH_REDIS_URL the queue is Redis's, built without connecting (none runs here)."""
    assert _pod_process_loads(tmp_path, KITH_REDIS_URL="redis://127.0.0.1:1/0") == "RedisHuey True False"


def test_redis_queue_round_trip():
    """Scale-out backend against the machine's Redis (skipped where none runs)."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    name = f"kith-test-{uuid.uuid4().hex[:8]}"
    scaled = RedisHuey(name, url="redis://127.0.0.1:6379/15", results=False)
    try:
        collected: list[int] = []
        job = scaled.task()(lambda n: collected.append(n))
        job(41)
        assert scaled.pending_count() == 1
        scaled.execute(scaled.dequeue())
        assert collected == [41]
        assert scaled.pending_count() == 0
    finally:
        scaled.storage.flush_all()


# ---- durable fan-out ---------------------------------------------------------------------


def test_sweep_reenqueues_a_fanout_whose_job_was_lost(lost_jobs):
    author, followers = _author_with_followers()
    post = services.publish_post(author, "hello")
    assert _owners(post) == [author.id]
    assert FanOut.objects.get(post=post).state == FanOutState.PENDING

    assert fanout.sweep_pending_fanouts() == 0  # too young: its job may still be queued
    _age(post)
    assert fanout.sweep_pending_fanouts() == 1  # runs at once with the immediate queue

    assert _owners(post) == sorted([author.id, *(f.id for f in followers)])
    assert FanOut.objects.get(post=post).state == FanOutState.DONE
    assert fanout.sweep_pending_fanouts() == 0


def test_sweep_leaves_a_leased_fanout_to_its_holder(lost_jobs):
    author, _followers = _author_with_followers()
    post = services.publish_post(author, "hello")
    _age(post)
    lease = fanout._claim(post.id)  # a live worker holds it
    assert lease is not None
    assert fanout.sweep_pending_fanouts() == 0
    assert _owners(post) == [author.id]


def test_a_leased_fanout_is_not_run_by_a_second_worker(lost_jobs):
    author, _followers = _author_with_followers()
    post = services.publish_post(author, "hello")
    holder = fanout._claim(post.id)
    assert holder is not None

    assert fanout.run_fanout(post.id) is False  # a second worker
    row = FanOut.objects.get(post=post)
    assert (row.state, row.attempts) == (FanOutState.PENDING, 1)
    assert _owners(post) == [author.id]
    # It looks again when the holder's lease runs out (the holder may have died).
    [retry] = _scheduled_fanouts()
    assert retry.args == (post.id,)
    assert retry.eta >= timezone.now().replace(tzinfo=None) + timedelta(seconds=fanout.lease_seconds() - 2)


def test_startup_recovery_resumes_fanouts_a_dead_worker_claimed(lost_jobs):
    author, followers = _author_with_followers()
    post = services.publish_post(author, "hello")
    fanout._claim(post.id)  # the worker that claimed it died; its lease has run out
    FanOut.objects.filter(post=post).update(claimed_until=timezone.now() - timedelta(seconds=1))

    assert startup_recovery() == 1  # no waiting for the minute-old rule
    assert len(_owners(post)) == FOLLOWERS + 1
    assert FanOut.objects.get(post=post).attempts == 2


def test_a_run_that_lost_its_lease_stops_writing(lost_jobs, settings, monkeypatch):
    settings.KITH_FANOUT_BATCH_SIZE = 2
    author, followers = _author_with_followers()
    post = services.publish_post(author, "hello")
    real_batch = fanout._recipient_batch
    calls: list[int] = []

    def stalls_then_is_taken_over(post, after, limit):
        calls.append(after)
        if len(calls) == 2:  # after one committed batch this run stalls past its lease...
            FanOut.objects.filter(post_id=post.id).update(claimed_until=timezone.now() - timedelta(seconds=1))
            assert fanout._claim(post.id) is not None  # ...and another worker claims the fan-out
        return real_batch(post, after, limit)

    monkeypatch.setattr(fanout, "_recipient_batch", stalls_then_is_taken_over)
    assert fanout.run_fanout(post.id) is False
    row = FanOut.objects.get(post=post)
    assert (row.state, row.attempts) == (FanOutState.PENDING, 2)
    assert len(_owners(post)) == 1 + 2  # the author and the one batch committed under its lease

    monkeypatch.setattr(fanout, "_recipient_batch", real_batch)
    FanOut.objects.filter(post=post).update(claimed_until=None)
    assert fanout.run_fanout(post.id) is True
    assert _owners(post) == sorted([author.id, *(f.id for f in followers)])


def test_a_failed_run_gives_its_lease_back_and_the_retry_finishes(lost_jobs, monkeypatch):
    author, followers = _author_with_followers()
    post = services.publish_post(author, "hello")
    real_write = fanout._write_batch

    def fails(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(fanout, "_write_batch", fails)
    with pytest.raises(RuntimeError):
        fanout.run_fanout(post.id)
    assert FanOut.objects.get(post=post).claimed_until is None  # a retry need not wait

    monkeypatch.setattr(fanout, "_write_batch", real_write)
    assert fanout.run_fanout(post.id) is True
    assert len(_owners(post)) == FOLLOWERS + 1


def test_running_a_finished_fanout_again_duplicates_nothing():
    author, followers = _author_with_followers()
    post = services.publish_post(author, "hello")
    assert len(_owners(post)) == FOLLOWERS + 1
    FanOut.objects.filter(post=post).update(state=FanOutState.PENDING, cursor=0, claimed_until=None)
    assert fanout.run_fanout(post.id) is True
    assert _owners(post) == sorted([author.id, *(f.id for f in followers)])


def test_sweep_gives_up_on_a_fanout_that_keeps_failing_but_a_restart_retries(lost_jobs):
    author, _followers = _author_with_followers()
    post = services.publish_post(author, "hello")
    _age(post, minutes=10)
    FanOut.objects.filter(post=post).update(attempts=fanout.MAX_SWEEP_ATTEMPTS)
    assert fanout.stuck_fanouts() == (1, 1)  # `kith check` reports it
    assert fanout.sweep_pending_fanouts() == 0
    assert startup_recovery() == 1
    assert fanout.stuck_fanouts() == (0, 0)


def test_followers_who_are_also_mentioned_or_blocked(lost_jobs):
    author, followers = _author_with_followers()
    mentioned, blocker = followers[0], followers[1]
    graph.block(blocker, author)
    post = services.publish_post(author, f"hello @{mentioned.username}")
    assert fanout.run_fanout(post.id) is True
    rows = dict(StreamEntry.objects.filter(post=post).values_list("owner_id", "reason"))
    assert blocker.id not in rows
    assert rows[mentioned.id] == "following"  # one row, whichever way they qualify
    assert len(rows) == FOLLOWERS  # everyone but the blocker, plus the author


def test_the_sqlite_queue_does_not_fsync_every_enqueue(tmp_path):
    """kith/jobs/queue.py: synchronous=NORMAL in WAL, as the pod database (huey's default is FULL)."""
    from kith.jobs.queue import QueueHuey

    queue = QueueHuey("kith-test", filename=str(tmp_path / "queue.sqlite3"), results=False)
    connection = queue.storage.conn
    assert connection.execute("pragma journal_mode").fetchone() == ("wal",)
    assert connection.execute("pragma synchronous").fetchone() == (1,)


def test_only_kith_jobs_imports_huey():
    """kith.jobs imports huey first, without the queues' client libraries (kith/jobs/queue.py
    `_import_huey`): a module importing huey itself could load it earlier, and them with it."""
    kith = Path(__file__).resolve().parent.parent / "kith"
    importing = [
        str(path.relative_to(kith.parent))
        for path in kith.rglob("*.py")
        if "jobs" not in path.relative_to(kith).parts[:1]
        and re.search(r"^\s*(from huey\b|import huey\b)", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert importing == [], "take huey's names from kith.jobs (e.g. `from kith.jobs import crontab`)"
