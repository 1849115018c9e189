"""Where a streaming process's events come from: durable rows, tailed from its own cursors.

Runs in a worker thread (never on the event loop), once per poll, for all of the
process's subscribers at once: each source is read with one query per poll, and
each viewer's events are checked and rendered in one batch per poll.

- New stream rows (`StreamEntry`, written by fan-out) -> `update` on `user` and `list`.
- New public original posts -> `update` on `public*` and `hashtag*`.
- New notifications -> `notification` on `user` and `user:notification`.
- `StreamEvent` rows -> `status.update` and `delete`.

Ids of `StreamEntry` and `StreamEvent` grow in insertion order, but on PostgreSQL a
row can commit after a row with a higher id: `SequenceCursor` remembers the ids it
skipped for a few seconds and looks for them again.  Posts and notifications carry
time-sortable ids made just before insertion: `RecentIds` re-reads a short window
and remembers what it has already seen.
"""

from __future__ import annotations

import copy
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Model, Q

from kith.api import entities
from kith.api.filtering import apply_filters
from kith.api.streaming.channels import Channel
from kith.api.streaming.models import StreamEvent, StreamEventKind
from kith.core.ids import id_floor_for_ms
from kith.graph.models import Aspect
from kith.graph.selectors import contacts
from kith.people.models import Person
from kith.social.models import Post
from kith.timelines.models import FilterContext, Notification, StreamEntry
from kith.timelines.reading import ReaderFilters
from kith.timelines.selectors import live_post_ids, live_posts, notification_targets, notifications_among
from kith.visibility import is_publicly_listed, publicly_listed_posts

# A skipped sequence id is looked for again this long (a transaction still in flight).
GAP_SECONDS = 15.0
MAX_GAPS = 2000
# Rows read per source and poll; the rest waits for the next poll.
BATCH = 2000
# Time-sortable ids are made before the transaction commits: look back this far.
LOOKBACK_MS = 60_000
# A subscriber also gets rows made this shortly before it connected (committed after).
SINCE_SLACK_MS = 2_000


@dataclass(frozen=True)
class Listener:
    """One channel of one connection, as a poll sees it."""

    key: int  # the connection
    viewer_id: int
    channel: Channel
    since_ms: int  # when it subscribed
    notifications: bool = True  # the token may read notifications


@dataclass(frozen=True)
class Delivery:
    key: int
    channel: Channel
    event: str
    payload: str | None


def _json(entity: Any) -> str:
    return json.dumps(entity, separators=(",", ":"), ensure_ascii=False, default=str)


def _now_ms() -> int:
    return int(time.time() * 1000)


class SequenceCursor:
    """Follows an auto-increment id; ids skipped over are retried for GAP_SECONDS."""

    def __init__(self, model: type[Model], fields: tuple[str, ...]) -> None:
        self.model = model
        self.fields = ("id", *fields)
        self.position = 0
        self.gaps: dict[int, float] = {}

    def start(self) -> None:
        self.position = self.model.objects.aggregate(top=Max("id"))["top"] or 0
        self.gaps.clear()

    def read(self, now: float) -> list[tuple]:
        condition = Q(id__gt=self.position)
        if self.gaps:
            condition |= Q(id__in=list(self.gaps))
        rows = list(self.model.objects.filter(condition).order_by("id").values_list(*self.fields)[:BATCH])
        for row in rows:
            row_id = row[0]
            if self.gaps.pop(row_id, None) is not None:
                continue
            if row_id > self.position:
                for missing in range(max(self.position + 1, row_id - MAX_GAPS), row_id):
                    self.gaps[missing] = now + GAP_SECONDS
                self.position = row_id
        for gap, deadline in list(self.gaps.items()):
            if deadline < now:
                del self.gaps[gap]
        if len(self.gaps) > MAX_GAPS:
            for gap in sorted(self.gaps)[: len(self.gaps) - MAX_GAPS]:
                del self.gaps[gap]
        return rows

    def skip_to_end(self) -> None:
        """Nobody listens: move to the newest row without reading what lies between."""
        self.start()


class RecentIds:
    """New rows of a table with time-sortable ids: re-reads the last LOOKBACK_MS, remembers what it saw."""

    def __init__(self) -> None:
        self.started_ms = 0
        self.seen: set[int] = set()

    def start(self) -> None:
        self.started_ms = _now_ms()
        self.seen.clear()

    def floor(self, now_ms: int) -> int:
        return id_floor_for_ms(max(self.started_ms, now_ms - LOOKBACK_MS))

    def fresh(self, ids: Iterable[int], now_ms: int) -> list[int]:
        floor = self.floor(now_ms)
        new = sorted(i for i in ids if i not in self.seen)
        self.seen.update(new)
        self.seen = {i for i in self.seen if i >= floor}
        return new


@dataclass
class _Poll:
    """One poll's work: who listens, and the persons it renders for (loaded once)."""

    listeners: list[Listener]
    persons: dict[int, Person] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)

    def person(self, person_id: int) -> Person | None:
        if person_id not in self.persons:
            self.persons.update(Person.objects.in_bulk([person_id]))
        person = self.persons.get(person_id)
        return person if person is not None and person.is_active else None

    def load_persons(self, ids: Iterable[int]) -> None:
        missing = [i for i in set(ids) if i not in self.persons]
        if missing:
            self.persons.update(Person.objects.in_bulk(missing))

    def send(self, listener: Listener, event: str, payload: str | None) -> None:
        self.deliveries.append(Delivery(listener.key, listener.channel, event, payload))


class EventSource:
    def __init__(self) -> None:
        self.entries = SequenceCursor(StreamEntry, ("owner_id", "post_id"))
        self.events = SequenceCursor(StreamEvent, ("kind", "post_id", "author_id", "public", "audience"))
        self.public_posts = RecentIds()
        self.notifications = RecentIds()

    def start(self) -> None:
        """From now on: a streaming process delivers what happens while it runs."""
        self.entries.start()
        self.events.start()
        self.public_posts.start()
        self.notifications.start()

    def poll(self, listeners: list[Listener]) -> list[Delivery]:
        now, now_ms = time.time(), _now_ms()
        work = _Poll(listeners)
        home = [ln for ln in listeners if ln.channel.kind in ("user", "list")]
        public = [ln for ln in listeners if ln.channel.is_public or ln.channel.is_hashtag]
        notified = [ln for ln in listeners if ln.channel.kind in ("user", "user:notification") and ln.notifications]

        entries = self.entries.read(now) if home else []
        if not home:
            self.entries.skip_to_end()
        post_ids = self.public_posts.fresh(
            publicly_listed_posts(Post.objects.filter(id__gte=self.public_posts.floor(now_ms))).values_list("id", flat=True),
            now_ms,
        )
        notification_rows: list[tuple[int, int]] = []
        if notified:
            recipients = {ln.viewer_id for ln in notified}
            rows = dict(
                Notification.objects.filter(id__gte=self.notifications.floor(now_ms), recipient_id__in=recipients)
                .values_list("id", "recipient_id")
            )
            notification_rows = [(i, rows[i]) for i in self.notifications.fresh(rows, now_ms)]
        else:
            self.notifications.fresh((), now_ms)
        events = self.events.read(now)

        # New things first, then edits and deletions (which come after what they change).
        if entries and home:
            self._home_updates(work, home, entries)
        if post_ids and public:
            self._public_updates(work, public, post_ids)
        if notification_rows:
            self._notifications(work, notified, notification_rows)
        edits = [row[2] for row in events if row[1] == StreamEventKind.EDITED]
        if edits and (home or public):
            self._edits(work, home, public, edits)
        for _id, kind, post_id, author_id, is_public, audience in events:
            if kind == StreamEventKind.DELETED:
                self._deletion(work, post_id, author_id, is_public, set(audience or ()))
        return work.deliveries

    # ---- home and lists ------------------------------------------------------------------

    def _home_updates(self, work: _Poll, home: list[Listener], entries: list[tuple]) -> None:
        by_owner: dict[int, list[int]] = defaultdict(list)
        listening = {ln.viewer_id for ln in home}
        for _id, owner_id, post_id in entries:
            if owner_id in listening:
                by_owner[owner_id].append(post_id)
        work.load_persons(by_owner)
        for owner_id, post_ids in by_owner.items():
            viewer = work.person(owner_id)
            if viewer is None:
                continue
            self._send_statuses(work, viewer, [ln for ln in home if ln.viewer_id == owner_id], post_ids, "update")

    def _send_statuses(self, work: _Poll, viewer: Person, listeners: list[Listener], post_ids: list[int],
                       event: str) -> None:
        posts = live_posts(viewer, post_ids)
        if not posts:
            return
        # The reader's own "home" filters, as their home timeline applies them (kith.timelines.reading).
        shown = apply_filters(viewer, FilterContext.HOME, list(zip(posts, entities.statuses(viewer, posts), strict=True)),
                              status_of=lambda pair: pair[1])
        payloads = [(post, _json(entity)) for post, entity in shown]
        members = self._list_members(viewer, listeners)
        for listener in listeners:
            for post, payload in payloads:
                if listener.channel.kind == "list" and post.author_id not in members.get(listener.channel.list_id, ()):
                    continue
                work.send(listener, event, payload)

    @staticmethod
    def _list_members(viewer: Person, listeners: list[Listener]) -> dict[int, set[int]]:
        members: dict[int, set[int]] = {}
        for listener in listeners:
            list_id = listener.channel.list_id
            if listener.channel.kind == "list" and list_id is not None and list_id not in members:
                aspect = Aspect.objects.filter(id=list_id, owner_id=viewer.id).first()
                members[list_id] = set(contacts(viewer, aspect).values_list("id", flat=True)) if aspect else set()
        return members

    # ---- public and hashtag streams --------------------------------------------------------

    def _public_updates(self, work: _Poll, public: list[Listener], post_ids: list[int]) -> None:
        self._send_public(work, public, post_ids, "update")

    def _send_public(self, work: _Poll, public: list[Listener], post_ids: list[int], event: str) -> None:
        # Rendered once, as Mastodon does for public streams (no viewer-specific fields);
        # each viewer's blocks, mutes and domain blocks are applied below.
        posts = [
            post for post in live_posts(None, post_ids) if is_publicly_listed(post)
        ]
        if not posts:
            return
        rendered = entities.statuses(None, posts)
        payloads = {post.id: _json(entity) for post, entity in zip(posts, rendered, strict=True)}
        facts = {post.id: _facts(post, entity) for post, entity in zip(posts, rendered, strict=True)}
        viewers = {ln.viewer_id for ln in public}
        work.load_persons(viewers)
        allowed: dict[int, set[int]] = {}
        for viewer_id in viewers:
            viewer = work.person(viewer_id)
            allowed[viewer_id] = set(live_post_ids(viewer, list(payloads))) if viewer is not None else set()
        # The reader's own "public" filters: a warned post gets their `filtered`, a hidden one is not sent.
        own_payloads = {viewer_id: self._filtered_public(work.person(viewer_id), posts, rendered) for viewer_id in viewers}
        for listener in public:
            mine = own_payloads[listener.viewer_id]
            for post in posts:
                if post.id in allowed[listener.viewer_id] and _matches(listener.channel, facts[post.id]):
                    payload = mine.get(post.id, payloads[post.id]) if mine is not None else payloads[post.id]
                    if payload is not None:
                        work.send(listener, event, payload)

    @staticmethod
    def _filtered_public(viewer: Person | None, posts: list[Post], rendered: list[dict[str, Any]]) -> dict[int, str | None] | None:
        """Of the posts a filter of the viewer's matches: their own payload (None: hidden).  None
        when the viewer has no public filters (everyone's payload serves)."""
        filters = ReaderFilters(viewer, FilterContext.PUBLIC)
        if not filters:
            return None
        copies = [(post, copy.deepcopy(entity)) for post, entity in zip(posts, rendered, strict=True)]
        kept = {post.id: entity for post, entity in apply_filters(viewer, FilterContext.PUBLIC, copies,
                                                                  status_of=lambda pair: pair[1], filters=filters)}
        return {post.id: (_json(kept[post.id]) if post.id in kept else None)
                for post in posts if post.id not in kept or "filtered" in kept[post.id]}

    # ---- notifications -----------------------------------------------------------------------

    def _notifications(self, work: _Poll, notified: list[Listener], rows: list[tuple[int, int]]) -> None:
        by_recipient: dict[int, list[int]] = defaultdict(list)
        for notification_id, recipient_id in rows:
            by_recipient[recipient_id].append(notification_id)
        work.load_persons(by_recipient)
        for recipient_id, ids in by_recipient.items():
            viewer = work.person(recipient_id)
            if viewer is None:
                continue
            found = notifications_among(viewer, ids)
            if not found:
                continue
            # Rows about a status the viewer can no longer see are dropped by the renderer.
            rendered = entities.notifications(viewer, found, notification_targets(viewer, found))
            for listener in notified:
                if listener.viewer_id != recipient_id:
                    continue
                floor = id_floor_for_ms(listener.since_ms - SINCE_SLACK_MS)
                for entity in rendered:
                    if int(entity["id"]) >= floor:
                        work.send(listener, "notification", _json(entity))

    # ---- edits and deletions -------------------------------------------------------------------

    def _edits(self, work: _Poll, home: list[Listener], public: list[Listener], post_ids: list[int]) -> None:
        if home:
            listening = {ln.viewer_id for ln in home}
            holders: dict[int, list[int]] = defaultdict(list)
            for owner_id, post_id in StreamEntry.objects.filter(
                post_id__in=post_ids, owner_id__in=listening
            ).values_list("owner_id", "post_id"):
                holders[owner_id].append(post_id)
            work.load_persons(holders)
            for owner_id, ids in holders.items():
                viewer = work.person(owner_id)
                if viewer is not None:
                    listeners = [ln for ln in home if ln.viewer_id == owner_id]
                    self._send_statuses(work, viewer, listeners, ids, "status.update")
        if public:
            self._send_public(work, public, post_ids, "status.update")

    def _deletion(self, work: _Poll, post_id: int, author_id: int, is_public: bool, audience: set[int]) -> None:
        # A deleted post has no rows left to check against; the event says who could see it.
        # A public post's id tells nobody anything new; a limited one's only reaches its audience.
        for listener in work.listeners:
            if listener.channel.kind == "user:notification":
                continue
            if is_public or listener.viewer_id == author_id or (
                listener.channel.kind in ("user", "list") and listener.viewer_id in audience
            ):
                work.send(listener, "delete", str(post_id))


@dataclass(frozen=True)
class _PostFacts:
    local: bool
    media: bool
    tags: frozenset[str]


def _facts(post: Post, entity: dict[str, Any]) -> _PostFacts:
    return _PostFacts(
        local=post.author.is_local,
        media=bool(entity["media_attachments"]),
        tags=frozenset(tag["name"] for tag in entity["tags"]),
    )


def _matches(channel: Channel, facts: _PostFacts) -> bool:
    if channel.local_only and not facts.local:
        return False
    if channel.remote_only and facts.local:
        return False
    if channel.only_media and not facts.media:
        return False
    return not (channel.is_hashtag and channel.tag not in facts.tags)
