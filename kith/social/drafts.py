"""Publishing what a person composed (a kith.social.compose.Compose): a post, or a comment
when it answers something, now or at a scheduled time.

`submit` is the one entry every adapter calls (the web compose form and the client API
alike).  A Mastodon client sends one kind of thing, a status, whether it starts a thread
or replies in one; in Kith a reply is a comment on the post (text only: comments carry
no photos, polls or content warnings).  `publish_draft` makes that decision once, for
the adapters and for scheduled posts alike.  A direct compose, or a reply to a message,
is a message in a private conversation: kith.messaging (which sits above kith.social,
its messages being posts) registers the function that publishes it
(`register_direct_publisher`), so this module never imports it.

Scheduled posts are `ScheduledPost` rows.  `publish_due` (run every minute by the
worker) publishes each due row exactly once even when several workers run it at the
same moment: a worker claims a row by deleting it, in the transaction that publishes
it, and only the worker whose delete removed the row goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from kith.core.durable import DurableRows
from kith.core.errors import Conflict, DomainError, NotFound
from kith.jobs import crontab, periodic
from kith.people.models import Person
from kith.social import services
from kith.social.compose import (  # noqa: F401  (MIN_SCHEDULE_AHEAD and reply_target: also read as drafts.*)
    MIN_SCHEDULE_AHEAD,
    Compose,
    check_compose,
    check_schedule_time,
    reply_target,
)
from kith.social.models import Comment, Post, PublishKey, ScheduledPost, Visibility

log = logging.getLogger(__name__)

DUE_BATCH = 100
# A row is claimed by deleting it, in the transaction that publishes it.
SCHEDULED_POSTS = DurableRows(ScheduledPost, due_field="scheduled_at", lease_field=None, attempts_field=None)
PUBLISH_KEY_LIFETIME = timedelta(hours=1)
MAX_PUBLISH_KEY_CHARS = 200

# A scheduled post's stored draft is a Compose (kith.social.compose: `to_json`, `from_json`).
Draft = Compose

DirectPublisher = Callable[[Person, Compose], Post]
_direct_publishers: list[DirectPublisher] = []


def register_direct_publisher(publisher: DirectPublisher) -> None:
    """Called by kith.messaging when the apps are ready: `publisher` publishes a direct
    compose (or a reply to a message) as a message in a conversation."""
    _direct_publishers[:] = [publisher]


# ---- the entry ------------------------------------------------------------------------


def submit(author: Person, compose: Compose) -> Post | Comment | ScheduledPost:
    """Publish `compose` now, or keep it for its `scheduled_at`.

    With an `idempotency_key`, a client that retries a request whose answer it lost
    gets the first request's result back, and nothing is published twice, even when
    the two requests run in different processes at once (the unique (person, key) row
    is written in the same transaction as the post).  A key answers for
    PUBLISH_KEY_LIFETIME."""
    if not compose.idempotency_key:
        return _publish_or_schedule(author, compose)
    key = compose.idempotency_key[:MAX_PUBLISH_KEY_CHARS]
    for _attempt in range(3):
        found = _made_by_key(author, key)
        if found is not None:
            return found
        try:
            with transaction.atomic():
                # An expired key, or one whose post was deleted since, may be used again.
                PublishKey.objects.filter(person=author, key=key).filter(
                    models.Q(created_at__lt=timezone.now() - PUBLISH_KEY_LIFETIME)
                    | models.Q(post__isnull=True, comment__isnull=True, scheduled__isnull=True)
                ).delete()
                row = PublishKey.objects.create(person=author, key=key, created_at=timezone.now())
                made = _publish_or_schedule(author, compose)
                _record_made(row, made)
                return made
        except IntegrityError:
            continue  # another request with this key committed first: answer with what it made
    raise Conflict("Another request with this Idempotency-Key is being processed.")


def _publish_or_schedule(author: Person, compose: Compose) -> Post | Comment | ScheduledPost:
    if compose.scheduled_at is not None:
        return schedule(author, compose.scheduled_at, compose)
    return publish_draft(author, compose)


def _made_by_key(person: Person, key: str) -> Post | Comment | ScheduledPost | None:
    row = (
        PublishKey.objects.filter(person=person, key=key, created_at__gte=timezone.now() - PUBLISH_KEY_LIFETIME)
        .select_related("post", "comment", "scheduled")
        .first()
    )
    if row is None:
        return None
    return row.post or row.comment or row.scheduled


def _record_made(row: PublishKey, made: Post | Comment | ScheduledPost) -> None:
    if isinstance(made, Post):
        row.post = made
    elif isinstance(made, Comment):
        row.comment = made
    else:
        row.scheduled = made
    row.save(update_fields=["post", "comment", "scheduled"])


def publish_draft(author: Person, draft: Compose) -> Post | Comment:
    """Publish now: a comment when the draft replies to something, a post otherwise;
    a direct draft, or a reply to a message, is a message in a private conversation."""
    if draft.visibility == Visibility.DIRECT or _replies_to_a_message(draft.in_reply_to_id):
        if not _direct_publishers:
            raise RuntimeError("No direct publisher registered: is kith.messaging installed?")
        return _direct_publishers[0](author, replace(draft, scheduled_at=None))
    if draft.in_reply_to_id is not None:
        checked = check_compose(author, replace(draft, scheduled_at=None))
        if checked.reply_to is None:  # never: check_compose finds a reply's target or raises NotFound
            raise NotFound("No such post.")
        post, parent = checked.reply_to
        return services.add_comment(author, post, checked.text, parent=parent)
    return services.publish(author, replace(draft, scheduled_at=None))


def _replies_to_a_message(status_id: int | None) -> bool:
    return status_id is not None and Post.objects.filter(id=status_id, visibility=Visibility.DIRECT).exists()


# ---- scheduling -----------------------------------------------------------------------


def schedule(author: Person, scheduled_at: datetime, draft: Compose) -> ScheduledPost:
    """Keep a draft to publish at `scheduled_at` (at least five minutes from now),
    checked now as far as it can be known now (kith.social.compose.check_compose)."""
    check_compose(author, replace(draft, scheduled_at=scheduled_at))
    return ScheduledPost.objects.create(author=author, scheduled_at=scheduled_at, draft=draft.to_json())


def reschedule(author: Person, scheduled: ScheduledPost, scheduled_at: datetime) -> ScheduledPost:
    if scheduled.author_id != author.id:
        raise NotFound("No such scheduled post.")
    check_schedule_time(author, scheduled_at, ignoring=scheduled.id)
    if ScheduledPost.objects.filter(id=scheduled.id).update(scheduled_at=scheduled_at) == 0:
        raise NotFound("No such scheduled post.")  # published or cancelled meanwhile
    scheduled.scheduled_at = scheduled_at
    return scheduled


def cancel(author: Person, scheduled: ScheduledPost) -> None:
    if scheduled.author_id != author.id:
        raise NotFound("No such scheduled post.")
    ScheduledPost.objects.filter(id=scheduled.id).delete()


def scheduled_for(author: Person, scheduled_id: int) -> ScheduledPost:
    found = ScheduledPost.objects.filter(id=scheduled_id, author=author).first()
    if found is None:
        raise NotFound("No such scheduled post.")
    return found


def publish_due(now: datetime | None = None) -> int:
    """Publish every scheduled post that is due; returns how many were published."""
    now = now or timezone.now()
    due = SCHEDULED_POSTS.sweep(SCHEDULED_POSTS.due(now), order_by=("scheduled_at", "id"), limit=DUE_BATCH)
    published = 0
    for scheduled_id in due:
        published += _publish_one(scheduled_id)
    return published


def _publish_one(scheduled_id: int) -> int:
    with transaction.atomic():
        row = ScheduledPost.objects.select_related("author").filter(id=scheduled_id).first()
        if row is None:
            return 0
        key_ids = list(PublishKey.objects.filter(scheduled_id=row.id).values_list("id", flat=True))
        # The claim: only the worker whose delete removed the row publishes it (a second
        # worker's delete waits for the first to commit, then removes nothing).
        if not SCHEDULED_POSTS.take_due(row.id, delete=True):
            return 0
        try:
            with transaction.atomic():
                made = publish_draft(row.author, Draft.from_json(row.draft))
        except DomainError as error:
            # It can never succeed (a photo or the replied-to post is gone, the account
            # was suspended ...): drop it rather than retry every minute forever.
            log.warning("scheduled post %s could not be published: %s", row.id, error)
            return 0
        target = {"post": made} if isinstance(made, Post) else {"comment": made}
        PublishKey.objects.filter(id__in=key_ids).update(**target)
        return 1


@periodic(crontab(minute="*"))
def publish_due_job() -> None:
    publish_due()


def forget_old_publish_keys() -> int:
    """Idempotency keys answer for an hour; older rows only take space."""
    cutoff = timezone.now() - PUBLISH_KEY_LIFETIME
    return PublishKey.objects.filter(created_at__lt=cutoff).delete()[0]


@periodic(crontab(minute="17"))
def forget_old_publish_keys_job() -> None:
    forget_old_publish_keys()
