"""`kith bench seed`: a realistic pod, built quickly with bulk inserts.

What it writes, for N people, M posts and K follows each:

- N local people with accounts (one shared password hash: hashing N passwords would
  take longer than the rest), no keys (keys are made on first use, as on a real pod);
- K follows per person, to random others;
- M posts spread over the last year (95 % public or unlisted, 5 % limited to the
  author's followers, with PostAudience rows), 10 % with one of 50 tags, and comments
  (one per 20 posts) and likes (one per 10 posts) with their counters set;
- the StreamEntry rows fan-out on write would have written: the author's own row and
  one per follower, for every post;
- named people the scenarios use (BENCH_PEOPLE): `bench_reader` follows authors until
  about 1,000 posts are in their stream; `bench_heavy` follows everybody (a stream of
  all M posts); `bench_author` has up to 1,000 local followers and a post with 200
  comments; `bench_poster` posts in the posting scenario; `bench_remote` gets remote
  followers from the fan-out scenario.  All share BENCH_PASSWORD.

Rows go in with executemany in large transactions, in index order where it matters
(StreamEntry by owner, then post).  Ids are time-sortable as the pod's own, dated in
the past, so anything the pod writes afterwards sorts newer.  Not written: search
index entries, FanOut rows for the seeded posts (their fan-out is complete).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction

from kith.core.ids import id_floor_for_ms, new_id

BENCH_PASSWORD = "bench password, not secret"  # noqa: S105 (benchmark pods only)
BENCH_PEOPLE = ("bench_reader", "bench_heavy", "bench_author", "bench_poster", "bench_remote")
READER_TARGET = 1_000
AUTHOR_FOLLOWERS = 1_000
THREAD_COMMENTS = 200
TAGS = 50
CHUNK = 20_000

WORDS = ["garden", "river", "morning", "bread", "letter", "window", "friend", "winter", "summer", "music", "book", "coffee", "city", "train", "mountain", "quiet", "bright", "small", "evening", "walk", "story", "light", "green", "old", "new", "warm", "cold", "little", "long"]


class SeedRefused(Exception):
    """The database already holds a seeded pod (or is not empty enough to seed)."""


@dataclass
class SeedResult:
    people: int = 0
    posts: int = 0
    follows: int = 0
    stream_entries: int = 0
    comments: int = 0
    likes: int = 0
    seconds: float = 0.0
    stream_sizes: dict[str, int] = field(default_factory=dict)
    thread_post_id: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """INSERT rows (tuples in the order of `fields`) with executemany, CHUNK at a time."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 (names from models)
    count = 0
    batch: list[Sequence] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def seed(
    people: int,
    posts: int,
    follows: int,
    *,
    rng_seed: int = 1,
    out: Callable[[str], None] = lambda line: None,
) -> SeedResult:
    """Fill an empty (migrated) database; raises SeedRefused if bench people exist already."""
    from kith.graph.models import Follow, FollowState
    from kith.people.models import Account, Person
    from kith.social.models import Comment, Like, Post, PostAudience, PostTag, Tag, Visibility
    from kith.timelines.models import StreamEntry, StreamReason

    if people < 2 or posts < 1 or follows < 0:
        raise SeedRefused("give at least 2 people and 1 post, and a non-negative number of follows")
    if Person.objects.filter(username__in=BENCH_PEOPLE, domain="").exists():
        raise SeedRefused("this database is seeded already (bench_reader exists): seed a fresh one")
    follows = min(follows, people - 1)
    rng = random.Random(rng_seed)  # noqa: S311 (repeatable data, not secrets)
    result = SeedResult()
    started = time.perf_counter()
    lap = started
    adapt = connection.ops.adapt_datetimefield_value
    now = datetime.now(UTC).replace(microsecond=0)

    def timed(step: str) -> None:
        nonlocal lap
        moment = time.perf_counter()
        result.timings[step] = round(moment - lap, 2)
        out(f"  {step}: {moment - lap:.1f} s")
        lap = moment

    if connection.vendor == "sqlite":
        # A large page cache: the stream table's post index is written in random order.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -1000000")
    # ---- people ------------------------------------------------------------------------
    password = make_password(BENCH_PASSWORD)
    names = list(BENCH_PEOPLE) + [f"p{i:07d}" for i in range(people)]
    joined = now - timedelta(days=400)
    with transaction.atomic():
        accounts = Account.objects.bulk_create(
            [Account(username=name, email=f"{name}@bench.invalid", password=password, date_joined=joined)
             for name in names],
            batch_size=2000,
        )
        persons = Person.objects.bulk_create(
            [Person(id=new_id(), account_id=account.id, username=account.username, display_name=account.username)
             for account in accounts],
            batch_size=2000,
        )
    ids = {person.username: person.id for person in persons}
    population = [person.id for person in persons[len(BENCH_PEOPLE):]]
    result.people = len(persons)
    timed("people")

    # ---- who follows whom ----------------------------------------------------------------
    following: dict[int, list[int]] = {pid: [] for pid in ids.values()} | {pid: [] for pid in population}
    for pid in population:
        chosen: set[int] = set()
        while len(chosen) < follows:
            other = population[rng.randrange(people)]
            if other != pid:
                chosen.add(other)
        following[pid] = sorted(chosen)
    following[ids["bench_heavy"]] = [*population, ids["bench_author"]]
    for pid in population[:AUTHOR_FOLLOWERS]:
        following[pid].append(ids["bench_author"])
    for pid in rng.sample(population, min(follows, people)):
        following[pid].append(ids["bench_poster"])

    # ---- posts (authors chosen now: the reader's followees depend on their post counts) -----
    span_ms = 365 * 24 * 3600 * 1000
    start_ms = int((now - timedelta(days=366)).timestamp() * 1000)
    step = max(1, span_ms // posts)
    authors = [population[rng.randrange(people)] for _ in range(posts)]
    # bench_author's last post is the thread with THREAD_COMMENTS comments (the web page scenario).
    authors[-1] = ids["bench_author"]
    post_ids = [id_floor_for_ms(start_ms + i * step) + rng.randrange(1 << 12) for i in range(posts)]
    by_author: dict[int, list[int]] = {}
    for post_id, author in zip(post_ids, authors, strict=True):
        by_author.setdefault(author, []).append(post_id)
    reader_follows: list[int] = []
    reader_total = 0
    for pid in population:
        if reader_total >= READER_TARGET:
            break
        if by_author.get(pid):
            reader_follows.append(pid)
            reader_total += len(by_author[pid])
    following[ids["bench_reader"]] = reader_follows

    followers: dict[int, list[int]] = {}
    for follower, followees in following.items():
        for followee in followees:
            followers.setdefault(followee, []).append(follower)
    follow_created = adapt(now - timedelta(days=380))
    with transaction.atomic():
        result.follows = _insert(
            Follow, ("follower", "followee", "state", "created_at"),
            ((follower, followee, FollowState.ACCEPTED.value, follow_created)
             for follower in sorted(following) for followee in following[follower]),
        )
    timed("follows")

    # ---- comments and likes (their counts go into the post rows) -------------------------------
    comment_targets = [rng.randrange(posts) for _ in range(posts // 20)] + [posts - 1] * THREAD_COMMENTS
    like_pairs: set[tuple[int, int]] = set()
    for _ in range(posts // 10):
        like_pairs.add((population[rng.randrange(people)], rng.randrange(posts)))
    comment_counts = [0] * posts
    like_counts = [0] * posts
    for index in comment_targets:
        comment_counts[index] += 1
    for _person, index in like_pairs:
        like_counts[index] += 1

    tags = Tag.objects.bulk_create([Tag(name=f"benchtag{i}") for i in range(TAGS)])
    visibilities = [Visibility.PUBLIC.value] * 90 + [Visibility.UNLISTED.value] * 5 + [Visibility.LIMITED.value] * 5
    post_tags: list[tuple[int, int]] = []
    limited: list[int] = []

    def post_rows():
        for i in range(posts):
            visibility = visibilities[rng.randrange(100)] if i != posts - 1 else Visibility.PUBLIC.value
            words = _text(rng, rng.randrange(8, 40))
            if rng.random() < 0.1:
                tag = tags[rng.randrange(TAGS)]
                words += f" #{tag.name}"
                post_tags.append((post_ids[i], tag.id))
            if visibility == Visibility.LIMITED.value:
                limited.append(i)
            created = adapt(datetime.fromtimestamp((start_ms + i * step) / 1000, UTC))
            yield (post_ids[i], authors[i], visibility, words, f"<p>{words}</p>", "", False, "en", created,
                   comment_counts[i], like_counts[i], 0)

    with transaction.atomic():
        result.posts = _insert(
            Post, ("id", "author", "visibility", "source", "html", "content_warning", "sensitive", "language",
                   "created_at", "comment_count", "like_count", "reshare_count"),
            post_rows(),
        )
        _insert(PostTag, ("post", "tag"), post_tags)
        _insert(
            PostAudience, ("post", "person"),
            ((post_ids[i], follower) for i in limited for follower in followers.get(authors[i], ())),
        )
    result.thread_post_id = post_ids[-1]
    timed("posts")

    def comment_rows():
        for n, index in enumerate(comment_targets):
            at_ms = start_ms + index * step + 1 + (n % 997)
            words = _text(rng, rng.randrange(4, 20))
            yield (id_floor_for_ms(at_ms) + rng.randrange(1 << 16), post_ids[index],
                   population[rng.randrange(people)], words, f"<p>{words}</p>",
                   adapt(datetime.fromtimestamp(at_ms / 1000, UTC)), 0)

    like_created = adapt(now - timedelta(days=1))
    with transaction.atomic():
        result.comments = _insert(
            Comment, ("id", "post", "author", "source", "html", "created_at", "like_count"), comment_rows()
        )
        result.likes = _insert(
            Like, ("id", "person", "post", "created_at"),
            ((id_floor_for_ms(start_ms + index * step + 2) + n, person, post_ids[index], like_created)
             for n, (person, index) in enumerate(sorted(like_pairs))),
        )
    timed("comments and likes")

    # ---- streams, as fan-out on write leaves them ----------------------------------------------
    own = StreamReason.OWN.value
    via_follow = StreamReason.FOLLOWING.value

    def stream_rows():
        for owner in sorted(following):
            mine = by_author.get(owner, [])
            entries = [(post_id, own) for post_id in mine]
            for followee in following[owner]:
                entries.extend((post_id, via_follow) for post_id in by_author.get(followee, ()))
            entries.sort()
            if owner in (ids["bench_reader"], ids["bench_heavy"]):
                result.stream_sizes[next(n for n, i in ids.items() if i == owner)] = len(entries)
            for post_id, reason in entries:
                yield (owner, post_id, reason)

    with transaction.atomic():
        result.stream_entries = _insert(StreamEntry, ("owner", "post", "reason"), stream_rows())
    timed("stream entries")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        timed("analyze")
    result.seconds = round(time.perf_counter() - started, 2)
    return result
