"""`make bench` cannot rot: the seeder writes what fan-out would, and a tiny run of the scenarios
works end to end against a real pod.  No speed is asserted here: targets live in the
benchmark output (docs/performance.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kith.bench.seed import BENCH_PEOPLE, SeedRefused, seed
from tests.conftest import REPO_ROOT


@pytest.mark.django_db
def test_seed_writes_people_posts_and_the_streams_fan_out_would():
    from kith.graph.models import Follow
    from kith.people.models import Person
    from kith.social.models import Comment, Post, PostAudience, Visibility
    from kith.timelines.models import StreamEntry
    from kith.timelines.selectors import stream

    result = seed(30, 400, 4)

    assert result.posts == Post.objects.count() == 400
    assert Person.objects.filter(username__in=BENCH_PEOPLE).count() == len(BENCH_PEOPLE)
    heavy = Person.objects.get(username="bench_heavy")
    assert result.stream_sizes["bench_heavy"] == StreamEntry.objects.filter(owner=heavy).count() == 400
    assert result.stream_entries == StreamEntry.objects.count()
    # Every post is in its author's stream and in each follower's, and nowhere else.
    for post in Post.objects.order_by("?")[:20]:
        followers = set(Follow.objects.filter(followee_id=post.author_id).values_list("follower_id", flat=True))
        owners = set(StreamEntry.objects.filter(post=post).values_list("owner_id", flat=True))
        assert owners == followers | {post.author_id}
        if post.visibility == Visibility.LIMITED:
            assert set(PostAudience.objects.filter(post=post).values_list("person_id", flat=True)) == followers
    thread = Post.objects.get(id=result.thread_post_id)
    assert thread.comment_count == Comment.objects.filter(post=thread).count() >= 200
    # The seeded stream reads like any other: newest first, through kith.visibility.
    page = stream(heavy)
    assert len(page) == 20
    assert [p.id for p in page] == sorted((p.id for p in page), reverse=True)
    with pytest.raises(SeedRefused):
        seed(30, 10, 1)


@pytest.mark.django_db
def test_stream_page_sql_compiled_once_gives_what_the_orm_query_gives():
    """kith.timelines.selectors.stream_page_ids reuses SQL compiled with stand-in values (a change made
    because of the benchmark's profile): for every viewer and page shape it must return exactly
    what the queryset built through kith.visibility returns, blocks and mutes after fan-out included."""
    from datetime import UTC, datetime

    from kith.core.paging import Page, page_ids
    from kith.graph import services as graph
    from kith.people.models import Person
    from kith.social.models import Post, Visibility
    from kith.timelines.models import StreamEntry
    from kith.timelines.selectors import stream_page_ids, stream_rows

    seed(30, 300, 5)
    heavy = Person.objects.get(username="bench_heavy")
    reader = Person.objects.get(username="bench_reader")
    blocked, muted, unaddressed_author = (
        Person.objects.get(id=i) for i in Post.objects.values_list("author_id", flat=True).distinct()[:3]
    )
    # After fan-out: heavy blocks one author, mutes another, and a limited post not addressed to heavy
    # is in heavy's stream anyway.  None of them may show.
    graph.block(heavy, blocked)
    graph.mute(heavy, muted)
    secret = Post.objects.create(author=unaddressed_author, visibility=Visibility.LIMITED, source="s", html="s",
                                 created_at=datetime.now(UTC))
    StreamEntry.objects.create(owner=heavy, post=secret, reason="following")
    ids = list(StreamEntry.objects.filter(owner=heavy).order_by("post_id").values_list("post_id", flat=True))
    pages = [Page(), Page(limit=5), Page(limit=40), Page(max_id=ids[len(ids) // 2]), Page(min_id=ids[10], limit=7),
             Page(since_id=ids[-30]), Page(max_id=ids[-3], since_id=ids[-40]), Page(max_id=secret.id + 1, limit=40)]
    viewers = [heavy, reader, *Person.objects.filter(username__startswith="p").order_by("id")[:3]]
    for viewer in viewers:
        for page in pages:
            assert stream_page_ids(viewer, page) == page_ids(stream_rows(viewer), page, field="post_id")
    shown = stream_page_ids(heavy, Page(max_id=secret.id + 1, limit=40))
    assert shown
    assert secret.id not in shown
    hidden_authors = set(Post.objects.filter(id__in=shown).values_list("author_id", flat=True)) & {blocked.id, muted.id}
    assert not hidden_authors


@pytest.mark.server
def test_tiny_benchmark_run_writes_results(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_") and k != "DJANGO_SETTINGS_MODULE"}
    env["KITH_BENCH_CACHE"] = str(tmp_path / "cache")
    if database := os.environ.get("KITH_TEST_DATABASE_URL"):
        env["KITH_TEST_DATABASE_URL"] = database
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--size", "tiny", "--only", "1,6", "--out", str(tmp_path / "results"),
         "--work", str(tmp_path / "work")],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [path] = (tmp_path / "results").glob("*.json")
    results = json.loads(path.read_text())
    assert results["cpu_count"] == os.cpu_count()
    assert len(results["load_average_at_start"]) == 3
    cases = {row["case"]: row for row in results["results"]}
    timeline = [row for row in results["results"] if row["case"].startswith("home timeline") and "entries" in row["case"]]
    assert len(timeline) == 4
    assert all(row["statuses"] == {"200": row["runs"]} and row["runs"] > 0 for row in timeline)
    assert all("met" in row and "load_average" in row for row in timeline)
    assert cases["kith serve, idle"]["value"] > 0
    assert "load" in done.stdout
