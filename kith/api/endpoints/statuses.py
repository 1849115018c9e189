"""Statuses: /api/v1/statuses/..., polls, bookmarks, favourites and scheduled statuses.

A status is a Kith post or a comment on one.  Posting maps Mastodon's visibilities
onto Kith's audiences (docs/api.md, "Statuses"):

    public   -> PUBLIC
    unlisted -> UNLISTED
    private  -> LIMITED to all of the author's aspects and their followers
                (Compose(all_aspects=True): Mastodon's followers-only, widened to
                the people the author shares with, who are Kith's "contacts")
    direct   -> DIRECT (the people mentioned)
    kith_aspect_ids[] -> LIMITED to those aspects (the author's own; 422 otherwise)

A reply (`in_reply_to_id` = a post or a comment) becomes a comment, with the post's
visibility whatever the client asked for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Form, Query, Schema
from ninja.errors import HttpError
from pydantic import Field, field_validator

from kith.api import entities
from kith.api.auth import OAuth, me, public_read, viewer
from kith.api.filtering import apply_filters
from kith.api.pagination import PageParams, link_header
from kith.api.params import DbId
from kith.api.routing import ApiRouter
from kith.api.schemas import (
    Account,
    Context,
    Empty,
    Poll,
    ScheduledStatus,
    Status,
    StatusEdit,
    StatusSource,
)
from kith.core.errors import Conflict, Invalid, NotAllowed, NotFound
from kith.messaging import selectors as conversations
from kith.people.models import Person
from kith.social import drafts, services
from kith.social import selectors as posts
from kith.social.compose import MIN_SCHEDULE_AHEAD, Compose, PollDraft
from kith.social.models import Comment, Media, Post, ScheduledPost, Visibility

router = ApiRouter(tags=["statuses"])

VISIBILITIES = {
    "public": Visibility.PUBLIC,
    "unlisted": Visibility.UNLISTED,
    "private": Visibility.LIMITED,
    "direct": Visibility.DIRECT,
}
MAX_BATCH_IDS = 20  # GET /api/v1/statuses?id[]=...: Mastodon's limit
MAX_LISTED_IDS = 100  # media_ids, kith_aspect_ids, choices: far above what a post can use


def visible_status(request: HttpRequest, status_id: int) -> Post | Comment:
    """The post or comment with this id, if the viewer may see it; NotFound otherwise."""
    reader = viewer(request)
    try:
        if Post.objects.filter(id=status_id).exists():
            return posts.post_for(reader, status_id)
        return posts.comment_for(reader, status_id)
    except NotFound:
        # One answer for hidden posts, hidden comments and nothing at all: the selectors'
        # own messages differ ("No such post." / "No such comment."), which would tell a
        # stranger that a post they may not see exists.
        raise NotFound("Record not found") from None


def render(request: HttpRequest, item: Post | Comment) -> dict:
    """One status as it is now, loaded the way lists load them.  A post is reloaded by id
    and checked with kith.visibility.can_see_post (`post_for`): cheaper than the list query
    that also has to find which ids are visible (docs/performance.md, posting)."""
    try:
        if isinstance(item, Post):
            return entities.status(viewer(request), posts.post_for(viewer(request), item.id))
        reloaded = posts.posts_and_comments_by_ids(viewer(request), [item.id])
    except NotFound:
        raise NotFound("Record not found") from None
    if not reloaded:
        raise NotFound("Record not found")
    return entities.status(viewer(request), reloaded[0])


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _none_to_empty_list(value: Any) -> Any:
    return [] if value is None or value == "" else value


def _none_to_empty_text(value: Any) -> Any:
    return "" if value is None else value


# ---- posting ---------------------------------------------------------------------------


class StatusForm(Schema):
    """POST /api/v1/statuses (form, multipart or JSON).  `poll` is a nested object
    (`poll[options][]=...` in forms), validated by PollForm."""

    status: str = ""
    media_ids: list[DbId] = Field([], max_length=MAX_LISTED_IDS)
    poll: dict[str, Any] | None = None
    in_reply_to_id: DbId | None = None
    sensitive: bool = False
    spoiler_text: str = ""
    visibility: str | None = None
    language: str | None = None
    scheduled_at: datetime | None = None
    kith_aspect_ids: list[DbId] = Field([], max_length=MAX_LISTED_IDS)

    # Clients send absent things as "", null or nothing at all: all mean "not given".
    _blanks = field_validator(
        "in_reply_to_id", "visibility", "language", "scheduled_at", "poll", "sensitive", mode="before"
    )(_blank_to_none)
    _lists = field_validator("media_ids", "kith_aspect_ids", mode="before")(_none_to_empty_list)
    _texts = field_validator("status", "spoiler_text", mode="before")(_none_to_empty_text)

    @field_validator("sensitive", mode="after")
    @classmethod
    def _no_none(cls, value: bool | None) -> bool:
        return bool(value)


class PollForm(Schema):
    options: list[str]
    expires_in: int | None = Field(None, ge=0, le=2**31)  # seconds
    multiple: bool = False
    hide_totals: bool = False

    _blanks = field_validator("expires_in", "multiple", "hide_totals", mode="before")(_blank_to_none)

    @field_validator("multiple", "hide_totals", mode="after")
    @classmethod
    def _no_none(cls, value: bool | None) -> bool:
        return bool(value)


def _poll_draft(raw: dict[str, Any] | None) -> PollDraft | None:
    if not raw:
        return None
    try:
        form = PollForm.model_validate(raw)
    except ValueError as error:
        raise Invalid("Validation failed: poll needs options[] and expires_in (seconds).") from error
    return PollDraft(
        options=tuple(form.options),
        multiple=form.multiple,
        expires_in=timedelta(seconds=form.expires_in) if form.expires_in else timedelta(days=1),
    )


def _compose(form: StatusForm, idempotency_key: str) -> Compose:
    if form.kith_aspect_ids:
        visibility, aspect_ids, all_aspects = Visibility.LIMITED, tuple(form.kith_aspect_ids), False
    else:
        wanted = form.visibility or "public"
        if wanted not in VISIBILITIES:
            raise Invalid("Validation failed: visibility is one of public, unlisted, private, direct.")
        visibility, aspect_ids = VISIBILITIES[wanted], ()
        all_aspects = visibility == Visibility.LIMITED
    scheduled_at = form.scheduled_at
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        scheduled_at = scheduled_at.replace(tzinfo=UTC)
    # Mastodon publishes at once when scheduled_at is less than five minutes ahead.
    if scheduled_at is not None and scheduled_at < timezone.now() + MIN_SCHEDULE_AHEAD:
        scheduled_at = None
    return Compose(
        text=form.status,
        visibility=visibility,
        aspect_ids=aspect_ids,
        all_aspects=all_aspects,
        content_warning=form.spoiler_text,
        sensitive=form.sensitive,
        language=form.language or "",
        media_ids=tuple(form.media_ids),
        poll=_poll_draft(form.poll),
        in_reply_to_id=form.in_reply_to_id,
        scheduled_at=scheduled_at,
        idempotency_key=idempotency_key,
        extra={"visibility": form.visibility or None, "idempotency": idempotency_key or None},
    )


@router.post("/v1/statuses", response={200: Status | ScheduledStatus}, auth=OAuth("write:statuses"))
def create_status(request: HttpRequest, form: Form[StatusForm]) -> dict:
    author = me(request)
    try:
        made = drafts.submit(author, _compose(form, request.headers.get("Idempotency-Key", "").strip()))
    except NotFound:
        # A reply to a hidden post said "No such post." where a missing id said "No such
        # comment.": one answer for both, or in_reply_to_id probes for limited posts.
        raise NotFound("Record not found") from None
    if isinstance(made, ScheduledPost):
        return entities.scheduled_statuses([made], me(request))[0]
    return render(request, made)


# ---- reading ---------------------------------------------------------------------------


@router.get("/v1/statuses", response=list[Status], auth=public_read("read:statuses"))
def get_statuses(request: HttpRequest, id: Query[list[DbId]]) -> list[dict]:
    """Several statuses at once (`id[]=1&id[]=2`); hidden and unknown ones are left out."""
    found = posts.posts_and_comments_by_ids(viewer(request), id[:MAX_BATCH_IDS])
    return entities.statuses(viewer(request), found)


@router.get("/v1/statuses/{status_id}", response=Status, auth=public_read("read:statuses"))
def get_status(request: HttpRequest, status_id: int) -> dict:
    return entities.status(viewer(request), visible_status(request, status_id))


@router.get("/v1/statuses/{status_id}/context", response=Context, auth=public_read("read:statuses"))
def status_context(request: HttpRequest, status_id: int) -> dict:
    reader = viewer(request)
    item = visible_status(request, status_id)
    if isinstance(item, Post) and item.visibility == Visibility.DIRECT and reader is not None:
        # A message: its thread is its conversation, the messages before and after it.
        ancestors, descendants = _conversation_context(reader, item)
    else:
        ancestors, descendants = posts.thread_context(reader, item)
    rendered = entities.statuses(reader, [*ancestors, *descendants])
    return {"ancestors": apply_filters(reader, "thread", rendered[: len(ancestors)]),
            "descendants": apply_filters(reader, "thread", rendered[len(ancestors):])}


def _conversation_context(reader: Person, post: Post) -> tuple[list[Post], list[Post]]:
    conversation = conversations.conversation_of_post(reader, post.id)
    if conversation is None:
        return [], []
    ids = [message.post_id for message in conversations.messages_in(conversation, reader).only("post_id")]
    found = posts.posts_by_ids(reader, ids)
    return [p for p in found if p.id < post.id], [p for p in found if p.id > post.id]


@router.get("/v1/statuses/{status_id}/source", response=StatusSource, auth=OAuth("read:statuses"))
def status_source(request: HttpRequest, status_id: int) -> dict:
    item = _own(request, status_id)
    return entities.status_source(item)


@router.get("/v1/statuses/{status_id}/history", response=list[StatusEdit], auth=public_read("read:statuses"))
def status_history(request: HttpRequest, status_id: int) -> list[dict]:
    item = visible_status(request, status_id)
    if isinstance(item, Comment):
        return entities.status_edits(item, list(item.revisions.all()), [])
    media = list(item.media.all())  # the ready photos, loaded by the selector
    return entities.status_edits(item, list(item.revisions.all()), media, viewer(request))


# ---- changing and deleting ---------------------------------------------------------------


def _own(request: HttpRequest, status_id: int) -> Post | Comment:
    """The viewer's own post or comment (someone else's answers 404, as Mastodon does)."""
    item = visible_status(request, status_id)
    if item.author_id != me(request).id:
        raise NotFound("Record not found")
    return item


class EditForm(Schema):
    status: str = ""
    spoiler_text: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    media_ids: list[DbId] = Field([], max_length=MAX_LISTED_IDS)
    poll: dict[str, Any] | None = None
    media_attributes: list[dict[str, Any]] = []

    _blanks = field_validator("poll", "sensitive", "language", mode="before")(_blank_to_none)
    _lists = field_validator("media_ids", "media_attributes", mode="before")(_none_to_empty_list)
    _texts = field_validator("status", mode="before")(_none_to_empty_text)


@router.put("/v1/statuses/{status_id}", response=Status, auth=OAuth("write:statuses"))
def edit_status(request: HttpRequest, status_id: int, form: Form[EditForm]) -> dict:
    """An edit sends the whole status, as in Mastodon: photos or a poll left out are removed."""
    person = me(request)
    item = _own(request, status_id)
    if isinstance(item, Comment):
        if form.media_ids or form.poll:
            raise Invalid("Replies in Kith are comments: they carry text only, no photos or polls.")
        services.edit_comment(person, item, form.status)
        return render(request, item)
    for attributes in form.media_attributes:
        _update_attached_media(person, item, attributes)
    services.edit_post(
        person, item, form.status,
        content_warning=form.spoiler_text if form.spoiler_text is not None else "",
        sensitive=form.sensitive if form.sensitive is not None else False,
        language=form.language,
        media_ids=form.media_ids,
        poll=_poll_draft(form.poll),
        change_poll=True,
    )
    return render(request, item)


def _update_attached_media(person: Person, post: Post, attributes: dict[str, Any]) -> None:
    from kith.social.media import update_media

    try:
        media_id = int(attributes.get("id", ""))
    except (TypeError, ValueError) as error:
        raise Invalid("Validation failed: media_attributes need an id.") from error
    media = Media.objects.filter(id=media_id, owner=person).first()
    if media is None or media.post_id not in (None, post.id):
        raise NotFound("No such photo.")
    focus = attributes.get("focus")
    update_media(person, media, description=attributes.get("description"),
                 focus=parse_focus(focus) if focus else None)


def parse_focus(raw: str) -> tuple[float, float]:
    """Mastodon's focus "x,y" (each -1..1; the domain checks the range)."""
    try:
        x, y = (float(part) for part in str(raw).split(","))
    except ValueError as error:
        raise Invalid("The focus point is two numbers from -1 to 1, as \"x,y\".") from error
    return x, y


@router.delete("/v1/statuses/{status_id}", response=Status, auth=OAuth("write:statuses"))
def delete_status(request: HttpRequest, status_id: int) -> dict:
    """Delete; the answer is the status as it was, with its `text` source (delete-and-redraft)."""
    person = me(request)
    item = visible_status(request, status_id)
    # Someone else's status answers 404 (a post's author may also remove comments on it).
    allowed = (item.author_id, item.post.author_id) if isinstance(item, Comment) else (item.author_id,)
    if person.id not in allowed:
        raise NotFound("Record not found")
    entity = render(request, item)
    entity["text"] = item.source
    if isinstance(item, Comment):
        services.delete_comment(person, item)  # its author, or the post's author tidying their thread
    else:
        services.delete_post(person, item)
    return entity


# ---- favourites, reshares, bookmarks, pins ---------------------------------------------------


@router.post("/v1/statuses/{status_id}/favourite", response=Status, auth=OAuth("write:favourites"))
def favourite(request: HttpRequest, status_id: int) -> dict:
    item = visible_status(request, status_id)
    if isinstance(item, Comment):
        services.like(me(request), comment=item)
        return render(request, item)
    services.like(me(request), post=item)
    return render(request, item.reshare_of if item.reshare_of_id else item)


@router.post("/v1/statuses/{status_id}/unfavourite", response=Status, auth=OAuth("write:favourites"))
def unfavourite(request: HttpRequest, status_id: int) -> dict:
    item = visible_status(request, status_id)
    if isinstance(item, Comment):
        services.unlike(me(request), comment=item)
        return render(request, item)
    services.unlike(me(request), post=item)
    return render(request, item.reshare_of if item.reshare_of_id else item)


@router.post("/v1/statuses/{status_id}/reblog", response=Status, auth=OAuth("write:statuses"))
def reblog(request: HttpRequest, status_id: int) -> dict:
    """Reshare: Kith reshares only other people's public posts (a limited post's audience
    never widens; comments cannot be reshared).  Answers the reshare, as Mastodon does."""
    item = visible_status(request, status_id)
    if isinstance(item, Comment):
        raise Invalid("Kith cannot reshare comments; only public posts can be reshared.")
    try:
        shared = services.reshare(me(request), item)
    except NotAllowed as error:
        raise Invalid(f"{error} This one is not public, or it is yours.") from error
    return render(request, shared)


@router.post("/v1/statuses/{status_id}/unreblog", response=Status, auth=OAuth("write:statuses"))
def unreblog(request: HttpRequest, status_id: int) -> dict:
    item = visible_status(request, status_id)
    if isinstance(item, Comment):
        return render(request, item)
    target = item.reshare_of if item.reshare_of_id else item
    services.undo_reshare(me(request), target)
    return render(request, target)


def _post_only(item: Post | Comment, what: str) -> Post:
    if isinstance(item, Comment):
        raise Invalid(f"Only posts can be {what} in Kith, not comments.")
    return item


@router.post("/v1/statuses/{status_id}/bookmark", response=Status, auth=OAuth("write:bookmarks"))
def bookmark(request: HttpRequest, status_id: int) -> dict:
    post = _post_only(visible_status(request, status_id), "bookmarked")
    services.bookmark(me(request), post)
    return render(request, post)


@router.post("/v1/statuses/{status_id}/unbookmark", response=Status, auth=OAuth("write:bookmarks"))
def unbookmark(request: HttpRequest, status_id: int) -> dict:
    item = visible_status(request, status_id)
    if isinstance(item, Post):
        services.unbookmark(me(request), item)
    return render(request, item)


@router.post("/v1/statuses/{status_id}/pin", response=Status, auth=OAuth("write:accounts"))
def pin(request: HttpRequest, status_id: int) -> dict:
    post = _post_only(visible_status(request, status_id), "pinned")
    services.pin(me(request), post)
    return render(request, post)


@router.post("/v1/statuses/{status_id}/unpin", response=Status, auth=OAuth("write:accounts"))
def unpin(request: HttpRequest, status_id: int) -> dict:
    item = visible_status(request, status_id)
    if isinstance(item, Post):
        services.unpin(me(request), item)
    return render(request, item)


# ---- who favourited and reshared --------------------------------------------------------------


@router.get("/v1/statuses/{status_id}/favourited_by", response=list[Account], auth=public_read("read:accounts"))
def favourited_by(request: HttpRequest, response: HttpResponse, status_id: int, page: Query[PageParams]) -> list[dict]:
    item = visible_status(request, status_id)
    if isinstance(item, Post) and item.reshare_of_id:
        item = item.reshare_of
    rows = posts.likers_page(viewer(request), item, page.to_page())
    link_header(request, response, [like_id for like_id, _ in rows], limit=page.to_page().limit)
    return entities.accounts([person for _, person in rows])


@router.get("/v1/statuses/{status_id}/reblogged_by", response=list[Account], auth=public_read("read:accounts"))
def reblogged_by(request: HttpRequest, response: HttpResponse, status_id: int, page: Query[PageParams]) -> list[dict]:
    item = visible_status(request, status_id)
    if isinstance(item, Comment):
        return []
    rows = posts.resharers_page(viewer(request), item.reshare_of if item.reshare_of_id else item, page.to_page())
    link_header(request, response, [reshare_id for reshare_id, _ in rows], limit=page.to_page().limit)
    return entities.accounts([person for _, person in rows])


@router.get("/v1/bookmarks", response=list[Status], auth=OAuth("read:bookmarks"))
def bookmarks(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[dict]:
    rows = posts.bookmarked_posts(me(request), page.to_page())
    link_header(request, response, [bookmark_id for bookmark_id, _ in rows], limit=page.to_page().limit)
    return entities.statuses(me(request), [post for _, post in rows])


@router.get("/v1/favourites", response=list[Status], auth=OAuth("read:favourites"))
def favourites(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[dict]:
    rows = posts.liked_items(me(request), page.to_page())
    link_header(request, response, [like_id for like_id, _ in rows], limit=page.to_page().limit)
    return entities.statuses(me(request), [item for _, item in rows])


# ---- polls ------------------------------------------------------------------------------------


def _poll_post(request: HttpRequest, poll_id: int) -> Post:
    """A poll's id is its post's id."""
    post = posts.post_for(viewer(request), poll_id)
    if getattr(post, "poll", None) is None:
        raise NotFound("Record not found")
    return post


def _render_poll(request: HttpRequest, poll_id: int) -> dict:
    post = _poll_post(request, poll_id)
    votes = getattr(post, "viewer_votes", None) if viewer(request) is not None else None
    return entities.poll(post, post.poll, votes)


@router.get("/v1/polls/{poll_id}", response=Poll, auth=public_read("read:statuses"))
def get_poll(request: HttpRequest, poll_id: int) -> dict:
    return _render_poll(request, poll_id)


class VoteForm(Schema):
    choices: list[DbId] = Field(max_length=MAX_LISTED_IDS)


@router.post("/v1/polls/{poll_id}/votes", response=Poll, auth=OAuth("write:statuses"))
def vote(request: HttpRequest, poll_id: int, form: Form[VoteForm]) -> dict:
    post = _poll_post(request, poll_id)
    try:
        services.vote(me(request), post, form.choices)
    except Conflict as error:  # Mastodon answers a second vote with 422
        raise HttpError(422, str(error)) from error
    return _render_poll(request, poll_id)


# ---- scheduled statuses ----------------------------------------------------------------------


@router.get("/v1/scheduled_statuses", response=list[ScheduledStatus], auth=OAuth("read:statuses"))
def scheduled_statuses(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[dict]:
    from kith.social.selectors import paginate

    wanted = page.to_page()
    rows = sorted(paginate(ScheduledPost.objects.filter(author=me(request)), wanted), key=lambda r: r.id, reverse=True)
    link_header(request, response, [row.id for row in rows], limit=wanted.limit)
    return entities.scheduled_statuses(rows, me(request))


@router.get("/v1/scheduled_statuses/{scheduled_id}", response=ScheduledStatus, auth=OAuth("read:statuses"))
def get_scheduled_status(request: HttpRequest, scheduled_id: int) -> dict:
    return entities.scheduled_statuses([drafts.scheduled_for(me(request), scheduled_id)], me(request))[0]


class RescheduleForm(Schema):
    scheduled_at: datetime


@router.put("/v1/scheduled_statuses/{scheduled_id}", response=ScheduledStatus, auth=OAuth("write:statuses"))
def reschedule(request: HttpRequest, scheduled_id: int, form: Form[RescheduleForm]) -> dict:
    person = me(request)
    scheduled_at = form.scheduled_at
    if scheduled_at.tzinfo is None:
        scheduled_at = scheduled_at.replace(tzinfo=UTC)
    row = drafts.reschedule(person, drafts.scheduled_for(person, scheduled_id), scheduled_at)
    return entities.scheduled_statuses([row], me(request))[0]


@router.delete("/v1/scheduled_statuses/{scheduled_id}", response=Empty, auth=OAuth("write:statuses"))
def cancel_scheduled_status(request: HttpRequest, scheduled_id: int) -> dict:
    person = me(request)
    drafts.cancel(person, drafts.scheduled_for(person, scheduled_id))
    return {}
