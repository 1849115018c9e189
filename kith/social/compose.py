"""What a person composed, whoever asked: the one command for publishing.

The web form (kith.web.forms.ComposeForm.compose) and the client API
(kith.api.endpoints.statuses) both build a `Compose`; kith.social.drafts.submit publishes
it now or keeps it for later (a `ScheduledPost` keeps it as JSON: `to_json` / `from_json`),
and kith.social.services.publish writes the post.

Two functions hold the rules every path shares:
- `resolve_audience` says who a compose reaches.  Publishing fixes that audience as
  PostAudience rows, scheduling checks it, and the web compose page's preview shows it
  (kith.web.audience): one function, so the preview cannot say something else than
  what publishing does.
- `check_compose` is the one set of checks, run before anything is written, whether
  the compose is published now, scheduled, or published later from its schedule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from kith.core.errors import Invalid, NotAllowed
from kith.core.text import Rendered
from kith.graph.models import Aspect, AspectMembership, Follow, FollowState
from kith.people.models import Person
from kith.social import selectors
from kith.social.models import (
    PUBLIC_VISIBILITIES,
    Comment,
    Media,
    Post,
    PostAudience,
    ScheduledPost,
    Visibility,
)
from kith.social.text import mentioned_persons, render_for

MAX_POST_CHARS = 65_535
MAX_COMMENT_CHARS = 65_535
MAX_CONTENT_WARNING_CHARS = 500
MAX_MEDIA_PER_POST = 4

# As in Mastodon: at least five minutes ahead, at most 300 waiting, 25 on one day.
MIN_SCHEDULE_AHEAD = timedelta(minutes=5)
MAX_SCHEDULED = 300
MAX_SCHEDULED_PER_DAY = 25


@dataclass(frozen=True)
class PollDraft:
    options: Sequence[str]
    multiple: bool = False
    expires_in: timedelta | None = timedelta(days=1)


@dataclass(frozen=True)
class Compose:
    """What a person composed.

    The audience: PUBLIC and UNLISTED reach everyone; LIMITED reaches the members of
    `aspect_ids` (or of all the author's aspects, and their followers, with
    `all_aspects`) plus `person_ids`; DIRECT reaches `person_ids` plus the people the
    text mentions, or with `exact_audience` the chosen people only (kith.messaging: a
    mention never widens a conversation).  `in_reply_to_id` (a post or comment id)
    makes it a comment, which reaches whoever sees its thread.  `scheduled_at` keeps it
    for later; `idempotency_key` makes a retried request answer with what the first made.
    """

    text: str = ""
    visibility: str = Visibility.PUBLIC
    aspect_ids: tuple[int, ...] = ()
    all_aspects: bool = False
    person_ids: tuple[int, ...] = ()
    exact_audience: bool = False
    content_warning: str = ""
    sensitive: bool = False
    language: str = ""
    media_ids: tuple[int, ...] = ()
    poll: PollDraft | None = None
    in_reply_to_id: int | None = None
    scheduled_at: datetime | None = None
    idempotency_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # client-side details kept for display only

    def to_json(self) -> dict[str, Any]:
        """The form a ScheduledPost keeps (its time and idempotency key are kept on their own rows)."""
        data: dict[str, Any] = {
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
        # Written only when used, so that rows keep the shape they had before these existed.
        if self.person_ids:
            data["person_ids"] = list(self.person_ids)
        if self.exact_audience:
            data["exact_audience"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Compose:
        """Reads every row written so far: keys added later are optional."""
        poll = data.get("poll")
        return cls(
            text=data.get("text", ""),
            visibility=data.get("visibility", Visibility.PUBLIC),
            aspect_ids=tuple(data.get("aspect_ids") or ()),
            all_aspects=bool(data.get("all_aspects")),
            person_ids=tuple(data.get("person_ids") or ()),
            exact_audience=bool(data.get("exact_audience")),
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


@dataclass(frozen=True)
class Audience:
    """Who a post reaches: everyone (`public`: public and unlisted posts), or exactly the
    people in `person_ids` (never the author, who always sees their own post)."""

    public: bool
    person_ids: frozenset[int] = frozenset()
    # The aspects chosen (all the author's for "all aspects"): kept on the post, informational.
    aspect_ids: tuple[int, ...] = ()


EVERYONE = Audience(public=True)


def check_can_publish(person: Person) -> None:
    """A person who moved away publishes nothing new here: their followers went to the new
    account (kith.people.services.move_account), and so should their posts."""
    if person.moved_to_id is not None:
        raise NotAllowed(f"This account has moved to {person.moved_to.handle} and can no longer post here.")


def reply_target(person: Person, status_id: int) -> tuple[Post, Comment | None]:
    """The post (and comment) a reply answers, if `person` may see it; NotFound otherwise."""
    if Post.objects.filter(id=status_id).exists():
        return selectors.post_for(person, status_id), None
    comment = selectors.comment_for(person, status_id)
    return comment.post, comment


def resolve_audience(author: Person, compose: Compose, *, mentioned: Iterable[Person] | None = None) -> Audience:
    """Who `compose` reaches, as its author's aspects, follows and choices stand now.

    `mentioned`: the people the text mentions, when the caller rendered it already (a
    direct compose without `exact_audience` reaches them too); found from the text otherwise.
    Raises Invalid for an aspect that is not the author's or a person who does not exist."""
    if compose.in_reply_to_id is not None and compose.visibility != Visibility.DIRECT:
        post, _comment = reply_target(author, compose.in_reply_to_id)
        return _thread_audience(author, post)
    if compose.visibility in PUBLIC_VISIBILITIES:
        return EVERYONE
    if compose.visibility == Visibility.LIMITED:
        aspect_ids: Sequence[int] = compose.aspect_ids
        if compose.all_aspects:
            aspect_ids = list(Aspect.objects.filter(owner=author).values_list("id", flat=True))
        people = _members_and_chosen(author, aspect_ids, compose.person_ids)
        if compose.all_aspects:
            # "All aspects" also reaches followers, as Mastodon's followers-only does.
            people |= set(
                Follow.objects.filter(followee=author, state=FollowState.ACCEPTED).values_list("follower_id", flat=True)
            )
        people.discard(author.id)
        return Audience(public=False, person_ids=frozenset(people), aspect_ids=tuple(aspect_ids))
    if compose.visibility == Visibility.DIRECT:
        people = _members_and_chosen(author, (), compose.person_ids)
        if not compose.exact_audience:
            if mentioned is None:
                mentioned = mentioned_persons(render_for(compose.text))
            people |= {person.id for person in mentioned}
        people.discard(author.id)
        return Audience(public=False, person_ids=frozenset(people))
    raise Invalid("Unknown visibility.")


def _members_and_chosen(author: Person, aspect_ids: Sequence[int], person_ids: Sequence[int]) -> set[int]:
    aspects = list(Aspect.objects.filter(owner=author, id__in=aspect_ids))
    if len(aspects) != len(set(aspect_ids)):
        raise Invalid("One of those aspects is not yours.")
    people = set(AspectMembership.objects.filter(aspect__in=aspects).values_list("person_id", flat=True))
    if person_ids:
        chosen = set(Person.objects.filter(id__in=person_ids, state="active").values_list("id", flat=True))
        if len(chosen) != len(set(person_ids)):
            raise Invalid("One of those people does not exist.")
        people |= chosen
    return people


def _thread_audience(author: Person, post: Post) -> Audience:
    """A comment reaches whoever sees its post: everyone, or the post's audience and its author."""
    if post.reshare_of_id:
        post = post.reshare_of
    if post.visibility in PUBLIC_VISIBILITIES:
        return EVERYONE
    people = set(PostAudience.objects.filter(post=post).values_list("person_id", flat=True)) | {post.author_id}
    people.discard(author.id)
    return Audience(public=False, person_ids=frozenset(people))


@dataclass(frozen=True)
class Checked:
    """A compose that passed `check_compose`, with what the checks found, so that
    publishing does not look it up again."""

    text: str  # stripped
    content_warning: str  # stripped
    media: list[Media] = field(default_factory=list)  # in the order the compose gives them
    # For a post (not a reply): the rendered text, whom it mentions and its audience.
    rendered: Rendered | None = None
    mentioned: list[Person] = field(default_factory=list)
    audience: Audience | None = None
    # For a reply: the post and comment it answers.
    reply_to: tuple[Post, Comment | None] | None = None


def check_text(source: str, limit: int, what: str) -> str:
    source = (source or "").strip()
    if len(source) > limit:
        raise Invalid(f"The {what} is longer than {limit} characters.")
    return source


def check_schedule_time(author: Person, scheduled_at: datetime, *, ignoring: int | None = None) -> None:
    if scheduled_at < timezone.now() + MIN_SCHEDULE_AHEAD:
        raise Invalid("A scheduled post must be at least 5 minutes in the future.")
    waiting = ScheduledPost.objects.filter(author=author).exclude(id=ignoring)
    if waiting.count() >= MAX_SCHEDULED:
        raise Invalid(f"You have {MAX_SCHEDULED} scheduled posts already.")
    if waiting.filter(scheduled_at__date=scheduled_at.date()).count() >= MAX_SCHEDULED_PER_DAY:
        raise Invalid(f"You have {MAX_SCHEDULED_PER_DAY} posts scheduled on that day already.")


def check_compose(author: Person, compose: Compose) -> Checked:
    """Refuse what cannot be published: the one set of checks, for a compose published
    now or at its `scheduled_at` (then checked now, as far as it can be known now, and
    again when it is published).  Poll options are checked when the poll is written."""
    if not author.is_active:
        raise NotAllowed("This account cannot post.")
    check_can_publish(author)
    if compose.scheduled_at is not None:
        check_schedule_time(author, compose.scheduled_at)
    if compose.visibility not in Visibility.values:
        raise Invalid("Unknown visibility.")
    if compose.in_reply_to_id is not None:
        # Kith's replies are comments: text only.
        if compose.media_ids or compose.poll is not None:
            raise Invalid("Replies in Kith are comments: they carry text only, no photos or polls.")
        text = check_text(compose.text, MAX_COMMENT_CHARS, "comment")
        if not text:
            raise Invalid("A comment needs some text.")
        return Checked(text=text, content_warning="", reply_to=reply_target(author, compose.in_reply_to_id))
    text = check_text(compose.text, MAX_POST_CHARS, "post")
    content_warning = check_text(compose.content_warning, MAX_CONTENT_WARNING_CHARS, "content warning")
    found = {m.id: m for m in Media.objects.filter(id__in=compose.media_ids, owner=author, post__isnull=True)}
    if len(found) != len(set(compose.media_ids)):
        raise Invalid("One of those photos is not yours or is attached already.")
    if len(found) > MAX_MEDIA_PER_POST:
        raise Invalid(f"A post has at most {MAX_MEDIA_PER_POST} photos.")
    if not text and not found and compose.poll is None:
        raise Invalid("A post needs some text, a photo or a poll.")
    rendered = render_for(text)
    mentioned = mentioned_persons(rendered)
    audience = resolve_audience(author, compose, mentioned=mentioned)
    if compose.visibility == Visibility.DIRECT and not audience.person_ids:
        raise Invalid("A direct post needs at least one person to go to.")
    return Checked(
        text=text,
        content_warning=content_warning,
        media=[found[media_id] for media_id in dict.fromkeys(compose.media_ids)],
        rendered=rendered,
        mentioned=mentioned,
        audience=audience,
    )
