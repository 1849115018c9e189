"""Publishing what a client composed: a post, or a comment when it answers something,
now or at a scheduled time.

A Mastodon client sends one kind of thing, a status, whether it starts a thread or
replies in one; in Kith a reply is a comment on the post (text only: comments carry no
photos, polls or content warnings).  `publish_draft` makes that decision once, for the
API and for scheduled posts alike.

Scheduled posts are `ScheduledPost` rows.  `publish_due` (run every minute by the
worker) publishes each due row exactly once even when several workers run it at the
same moment: a worker claims a row by deleting it, in the transaction that publishes
it, and only the worker whose delete removed the row goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from huey import crontab

from kith.core.errors import DomainError, Invalid, NotAllowed, NotFound
from kith.graph.models import Aspect
from kith.jobs import periodic
from kith.people.models import Person
from kith.social import services
from kith.social.models import Comment, Media, Post, PublishKey, ScheduledPost, Visibility
from kith.social.services import PollDraft

log = logging.getLogger(__name__)

# As in Mastodon: at least five minutes ahead, at most 300 waiting, 25 on one day.
MIN_SCHEDULE_AHEAD = timedelta(minutes=5)
MAX_SCHEDULED = 300
MAX_SCHEDULED_PER_DAY = 25
DUE_BATCH = 100


@dataclass(frozen=True)
class Draft:
    """What a person composed.  `in_reply_to_id` (a post or comment id) makes it a comment."""

    text: str = ""
    visibility: str = Visibility.PUBLIC
    aspect_ids: tuple[int, ...] = ()
    all_aspects: bool = False
    content_warning: str = ""
    sensitive: bool = False
    language: str = ""
    media_ids: tuple[int, ...] = ()
    poll: PollDraft | None = None
    in_reply_to_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # client-side details kept for display only

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "visibility": self.visibility,
            "aspect_ids": list(self.aspect_ids),
            "all_aspects": self.all_aspects,
            "content_warning": self.content_warning,
            "sensitive": self.sensitive,
            "language": self.language,
            "media_ids": list(self.media_ids),
            "poll": None
            if self.poll is None
            else {
                "options": list(self.poll.options),
                "multiple": self.poll.multiple,
                "expires_in": int(self.poll.expires_in.total_seconds()) if self.poll.expires_in else None,
            },
            "in_reply_to_id": self.in_reply_to_id,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        poll = data.get("poll")
        return cls(
            text=data.get("text", ""),
            visibility=data.get("visibility", Visibility.PUBLIC),
            aspect_ids=tuple(data.get("aspect_ids") or ()),
            all_aspects=bool(data.get("all_aspects")),
            content_warning=data.get("content_warning", ""),
            sensitive=bool(data.get("sensitive")),
            language=data.get("language", ""),
            media_ids=tuple(data.get("media_ids") or ()),
            poll=None
            if not poll
            else PollDraft(
                options=tuple(poll["options"]),
                multiple=bool(poll.get("multiple")),
                expires_in=timedelta(seconds=poll["expires_in"]) if poll.get("expires_in") else None,
            ),
            in_reply_to_id=data.get("in_reply_to_id"),
            extra=data.get("extra") or {},
        )


def reply_target(person: Person, status_id: int) -> tuple[Post, Comment | None]:
    """The post (and comment) a reply answers, if `person` may see it; NotFound otherwise."""
    from kith.social import selectors

    if Post.objects.filter(id=status_id).exists():
        return selectors.post_for(person, status_id), None
    comment = selectors.comment_for(person, status_id)
    return comment.post, comment


def publish_draft(author: Person, draft: Draft) -> Post | Comment:
    """Publish now: a comment when the draft replies to something, a post otherwise;
    a direct draft, or a reply to a message, is a message in a private conversation."""
    if draft.visibility == Visibility.DIRECT or _replies_to_a_message(author, draft.in_reply_to_id):
        return _publish_message(author, draft)
    if draft.in_reply_to_id is not None:
        if draft.media_ids or draft.poll is not None:
            raise Invalid("Replies in Kith are comments: they carry text only, no photos or polls.")
        post, parent = reply_target(author, draft.in_reply_to_id)
        return services.add_comment(author, post, draft.text, parent=parent)
    return services.publish_post(
        author,
        draft.text,
        visibility=draft.visibility,
        aspect_ids=draft.aspect_ids,
        all_aspects=draft.all_aspects,
        content_warning=draft.content_warning,
        sensitive=draft.sensitive,
        media_ids=draft.media_ids,
        poll=draft.poll,
        language=draft.language,
    )


def _replies_to_a_message(author: Person, status_id: int | None) -> bool:
    return status_id is not None and Post.objects.filter(id=status_id, visibility=Visibility.DIRECT).exists()


def _publish_message(author: Person, draft: Draft) -> Post:
    """A Mastodon client's direct status: in the conversation of the message it answers
    (which the author must be able to read), or a new conversation with the people it
    mentions (a private reply to anything else starts one too: it never becomes a comment
    others could read)."""
    # kith.messaging sits above kith.social (its messages are posts): imported here.
    from kith.messaging import selectors as conversations
    from kith.messaging import services as messaging

    fields: dict[str, Any] = {
        "content_warning": draft.content_warning, "sensitive": draft.sensitive, "media_ids": draft.media_ids,
        "poll": draft.poll, "language": draft.language,
    }
    if draft.in_reply_to_id is not None:
        post, _comment = reply_target(author, draft.in_reply_to_id)
        conversation = conversations.conversation_of_post(author, post.id)
        if conversation is not None:
            return messaging.send_message(author, conversation, draft.text, **fields).post
    recipients = services.mentioned_in(draft.text)
    conversation = messaging.start_conversation(author, recipients, "", draft.text, **fields)
    return conversations.messages_in(conversation, author).get().post


# ---- scheduling -----------------------------------------------------------------------


def _check_schedule_time(author: Person, scheduled_at: datetime, *, ignoring: int | None = None) -> None:
    if scheduled_at < timezone.now() + MIN_SCHEDULE_AHEAD:
        raise Invalid("A scheduled post must be at least 5 minutes in the future.")
    # The stubs want an int; exclude(id=None) keeps every row, as meant when nothing is ignored.
    waiting = ScheduledPost.objects.filter(author=author).exclude(id=ignoring)  # type: ignore[misc]
    if waiting.count() >= MAX_SCHEDULED:
        raise Invalid(f"You have {MAX_SCHEDULED} scheduled posts already.")
    if waiting.filter(scheduled_at__date=scheduled_at.date()).count() >= MAX_SCHEDULED_PER_DAY:
        raise Invalid(f"You have {MAX_SCHEDULED_PER_DAY} posts scheduled on that day already.")


def _check_draft(author: Person, draft: Draft) -> None:
    """Refuse now what would fail at publishing time, as far as it can be known now."""
    if not author.is_active:
        raise NotAllowed("This account cannot post.")
    if draft.visibility not in Visibility.values:
        raise Invalid("Unknown visibility.")
    if not draft.text.strip() and not draft.media_ids and draft.poll is None:
        raise Invalid("A post needs some text, a photo or a poll.")
    if draft.in_reply_to_id is not None:
        if draft.media_ids or draft.poll is not None:
            raise Invalid("Replies in Kith are comments: they carry text only, no photos or polls.")
        reply_target(author, draft.in_reply_to_id)
    owned = Media.objects.filter(id__in=draft.media_ids, owner=author, post__isnull=True).count()
    if owned != len(set(draft.media_ids)):
        raise Invalid("One of those photos is not yours or is attached already.")
    if draft.aspect_ids and Aspect.objects.filter(owner=author, id__in=draft.aspect_ids).count() != len(
        set(draft.aspect_ids)
    ):
        raise Invalid("One of those aspects is not yours.")


def schedule(author: Person, scheduled_at: datetime, draft: Draft) -> ScheduledPost:
    """Keep a draft to publish at `scheduled_at` (at least five minutes from now)."""
    services.check_can_publish(author)
    _check_schedule_time(author, scheduled_at)
    _check_draft(author, draft)
    return ScheduledPost.objects.create(author=author, scheduled_at=scheduled_at, draft=draft.to_json())


def reschedule(author: Person, scheduled: ScheduledPost, scheduled_at: datetime) -> ScheduledPost:
    if scheduled.author_id != author.id:
        raise NotFound("No such scheduled post.")
    _check_schedule_time(author, scheduled_at, ignoring=scheduled.id)
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
    due = list(
        ScheduledPost.objects.filter(scheduled_at__lte=now).order_by("scheduled_at", "id").values_list("id", flat=True)[
            :DUE_BATCH
        ]
    )
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
        if ScheduledPost.objects.filter(id=row.id).delete()[1].get("social.ScheduledPost", 0) == 0:
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
    cutoff = timezone.now() - services.PUBLISH_KEY_LIFETIME
    return PublishKey.objects.filter(created_at__lt=cutoff).delete()[0]


@periodic(crontab(minute="17"))
def forget_old_publish_keys_job() -> None:
    forget_old_publish_keys()
