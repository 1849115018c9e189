"""Write paths for posts, comments, likes, reshares and polls.

Each public function is one domain operation: it checks permission through
kith.visibility, writes everything in one transaction and emits a domain
event on commit.  Views, the API and the federation adapters call these; no
one else saves these models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from kith.core import events
from kith.core.errors import Conflict, Invalid, NotAllowed, NotFound
from kith.core.text import normalise_tag
from kith.people.models import Person
from kith.social.compose import (
    MAX_COMMENT_CHARS,
    MAX_CONTENT_WARNING_CHARS,
    MAX_MEDIA_PER_POST,
    MAX_POST_CHARS,
    Compose,
    PollDraft,
    check_can_publish,
    check_compose,
    check_text,
)
from kith.social.models import (
    PUBLIC_VISIBILITIES,
    Bookmark,
    Comment,
    CommentRevision,
    Like,
    Media,
    Pin,
    Poll,
    PollOption,
    PollVote,
    Post,
    PostAudience,
    PostMention,
    PostRevision,
    PostTag,
    Tag,
    TagFollow,
    Visibility,
)
from kith.social.text import mentioned_persons, render_for
from kith.visibility import can_interact, can_reshare, can_see_comment, can_see_post

MAX_POLL_OPTIONS = 10
MAX_POLL_OPTION_CHARS = 200
MIN_POLL_DURATION = timedelta(minutes=5)
MAX_POLL_DURATION = timedelta(days=31)


def _set_tags(post: Post, names: Iterable[str]) -> None:
    PostTag.objects.filter(post=post).delete()
    tags = []
    for name in names:
        tag, _ = Tag.objects.get_or_create(name=name[:64])
        tags.append(tag)
    PostTag.objects.bulk_create([PostTag(post=post, tag=tag) for tag in tags], ignore_conflicts=True)


def _set_mentions(post: Post, persons: Iterable[Person]) -> None:
    PostMention.objects.filter(post=post).delete()
    PostMention.objects.bulk_create([PostMention(post=post, person=p) for p in persons], ignore_conflicts=True)


def publish_post(
    author: Person,
    source: str,
    *,
    visibility: str = Visibility.PUBLIC,
    aspect_ids: Sequence[int] = (),
    person_ids: Sequence[int] = (),
    all_aspects: bool = False,
    content_warning: str = "",
    sensitive: bool = False,
    media_ids: Sequence[int] = (),
    poll: PollDraft | None = None,
    language: str = "",
    exact_audience: bool = False,
) -> Post:
    """`publish` for a Compose given as keyword arguments (the fields of kith.social.compose.Compose)."""
    return publish(
        author,
        Compose(
            text=source, visibility=visibility, aspect_ids=tuple(aspect_ids), person_ids=tuple(person_ids),
            all_aspects=all_aspects, content_warning=content_warning, sensitive=sensitive,
            media_ids=tuple(media_ids), poll=poll, language=language, exact_audience=exact_audience,
        ),
    )


@transaction.atomic
def publish(author: Person, compose: Compose) -> Post:
    """Publish a post (a reply is a comment: kith.social.drafts.submit decides), after
    kith.social.compose.check_compose.  Its audience is fixed now, as
    kith.social.compose.resolve_audience says; direct posts (messages: kith.messaging
    publishes them in a conversation) go into no stream."""
    if compose.scheduled_at is not None:
        raise ValueError("A scheduled compose is kept, not published: use kith.social.drafts.submit.")
    checked = check_compose(author, compose)
    if checked.reply_to is not None or checked.rendered is None or checked.audience is None:
        raise ValueError("A reply is a comment: publish it with kith.social.drafts.submit.")
    visibility, poll, rendered = compose.visibility, compose.poll, checked.rendered
    source, content_warning, sensitive, language = checked.text, checked.content_warning, compose.sensitive, compose.language

    now = timezone.now()
    post = Post.objects.create(
        author=author,
        visibility=visibility,
        source=source,
        html=rendered.html,
        content_warning=content_warning,
        sensitive=sensitive,
        language=language[:16],
        created_at=now,
    )
    if visibility == Visibility.LIMITED and checked.audience.aspect_ids:
        post.aspects.set(checked.audience.aspect_ids)
    PostAudience.objects.bulk_create(
        [PostAudience(post=post, person_id=pid) for pid in sorted(checked.audience.person_ids)]
    )
    _set_tags(post, rendered.tags)
    _set_mentions(post, checked.mentioned)
    for position, item in enumerate(checked.media):
        item.post = post
        item.position = position
        item.save(update_fields=["post", "position"])
    if poll is not None:
        _create_poll(post, poll)
    # kith.timelines writes the author's stream row and the FanOut row in this transaction
    # (a direct post is read in its conversation, never in a stream).
    events.emit_on_commit(events.PostPublished(post.id, visibility, author.id, into_author_stream=True))
    return post


def _create_poll(post: Post, draft: PollDraft, *, start: datetime | None = None) -> Poll:
    options = [o.strip() for o in draft.options if o and o.strip()]
    if not 2 <= len(options) <= MAX_POLL_OPTIONS:
        raise Invalid(f"A poll has 2 to {MAX_POLL_OPTIONS} options.")
    if any(len(o) > MAX_POLL_OPTION_CHARS for o in options):
        raise Invalid(f"Poll options are at most {MAX_POLL_OPTION_CHARS} characters.")
    if len(set(options)) != len(options):
        raise Invalid("Poll options must differ.")
    if draft.expires_in is not None and not MIN_POLL_DURATION <= draft.expires_in <= MAX_POLL_DURATION:
        raise Invalid("A poll runs for 5 minutes to 31 days.")
    poll = Poll.objects.create(
        post=post,
        multiple=draft.multiple,
        expires_at=((start or post.created_at) + draft.expires_in) if draft.expires_in else None,
    )
    PollOption.objects.bulk_create(
        PollOption(poll=poll, position=index, title=title) for index, title in enumerate(options)
    )
    return poll


@transaction.atomic
def reshare(person: Person, post: Post) -> Post:
    """Reshare a public post to one's followers; one reshare per person and post."""
    check_can_publish(person)
    target = post.reshare_of or post  # no query when reshare_of_id is None
    if not can_reshare(person, target):
        raise NotAllowed("Only other people's public posts can be reshared.")
    existing = Post.objects.filter(author=person, reshare_of=target).first()
    if existing:
        return existing
    shared = Post.objects.create(
        author=person, visibility=Visibility.PUBLIC, reshare_of=target, created_at=timezone.now()
    )
    Post.objects.filter(id=target.id).update(reshare_count=F("reshare_count") + 1)
    # kith.timelines writes the stream row and the FanOut row in this transaction.
    events.emit_on_commit(events.PostPublished(shared.id, shared.visibility, person.id, into_author_stream=True))
    return shared


@transaction.atomic
def undo_reshare(person: Person, post: Post) -> None:
    target = post.reshare_of or post  # no query when reshare_of_id is None
    for shared in Post.objects.filter(author=person, reshare_of=target):
        delete_post(person, shared)


@transaction.atomic
def edit_post(
    editor: Person,
    post: Post,
    source: str,
    *,
    content_warning: str | None = None,
    sensitive: bool | None = None,
    language: str | None = None,
    media_ids: Sequence[int] | None = None,
    poll: PollDraft | None = None,
    change_poll: bool = False,
) -> Post:
    """Change a post's text (and, when given, its photos and poll); the old version is kept
    as a revision.  The audience never changes.

    `media_ids` (None: unchanged) is the whole new list: the author's unattached photos
    or ones already on this post; photos left out are deleted.  With `change_poll`, `poll`
    replaces the poll (None removes it); a poll whose options and kind stay the same keeps
    its votes, otherwise the votes start again (as in Mastodon)."""
    post = Post.objects.select_for_update().get(id=post.id)
    if post.author_id != editor.id:
        raise NotAllowed("Only the author can edit a post.")
    if post.reshare_of_id:
        raise Invalid("A reshare has no text to edit.")
    source = check_text(source, MAX_POST_CHARS, "post")
    current_media = list(Media.objects.filter(post=post).order_by("position", "id"))
    current_poll = Poll.objects.filter(post=post).first()
    new_media = current_media if media_ids is None else _media_for_edit(editor, post, media_ids)
    has_poll = (poll is not None) if change_poll else current_poll is not None
    if not source and not new_media and not has_poll:
        raise Invalid("A post needs some text, a photo or a poll.")
    PostRevision.objects.create(
        post=post, source=post.source, html=post.html, content_warning=post.content_warning,
        sensitive=post.sensitive, media_ids=[m.id for m in current_media],
        poll_options=[o.title for o in current_poll.options.all()] if current_poll else None,
        created_at=post.edited_at or post.created_at,
    )
    rendered = render_for(source)
    post.source, post.html = source, rendered.html
    if content_warning is not None:
        post.content_warning = check_text(content_warning, MAX_CONTENT_WARNING_CHARS, "content warning")
    if sensitive is not None:
        post.sensitive = sensitive
    if language is not None:
        post.language = language[:16]
    post.edited_at = timezone.now()
    post.save(update_fields=["source", "html", "content_warning", "sensitive", "language", "edited_at"])
    _set_tags(post, rendered.tags)
    _set_mentions(post, mentioned_persons(rendered))
    if media_ids is not None:
        kept = {m.id for m in new_media}
        removed = Media.objects.filter(post=post).exclude(id__in=kept)
        _delete_media_files(removed)
        removed.delete()
        for position, item in enumerate(new_media):
            item.post, item.position = post, position
            item.save(update_fields=["post", "position"])
    if change_poll:
        _replace_poll(post, current_poll, poll)
    events.emit_on_commit(events.PostEdited(post.id))
    return post


@transaction.atomic
def mark_sensitive_by_staff(post: Post) -> bool:
    """A moderator marks a post's media sensitive (kith.moderation checked who may).  As
    Mastodon does, it is an edit: the earlier version is kept, and a local post's Update
    federates.  Returns whether anything changed."""
    post = Post.objects.select_for_update().get(id=post.id)
    if post.sensitive:
        return False
    PostRevision.objects.create(
        post=post, source=post.source, html=post.html, content_warning=post.content_warning,
        sensitive=post.sensitive, media_ids=list(Media.objects.filter(post=post).order_by("position", "id")
                                                 .values_list("id", flat=True)),
        poll_options=[o.title for o in poll.options.all()] if (poll := Poll.objects.filter(post=post).first()) else None,
        created_at=post.edited_at or post.created_at,
    )
    post.sensitive = True
    post.edited_at = timezone.now()
    post.save(update_fields=["sensitive", "edited_at"])
    events.emit_on_commit(events.PostEdited(post.id))
    return True


def _media_for_edit(editor: Person, post: Post, media_ids: Sequence[int]) -> list[Media]:
    media_ids = list(dict.fromkeys(media_ids))
    if len(media_ids) > MAX_MEDIA_PER_POST:
        raise Invalid(f"A post has at most {MAX_MEDIA_PER_POST} photos.")
    found = {
        m.id: m
        for m in Media.objects.filter(id__in=media_ids, owner=editor).filter(
            models.Q(post__isnull=True) | models.Q(post=post)
        )
    }
    if len(found) != len(media_ids):
        raise Invalid("One of those photos is not yours or is attached already.")
    return [found[media_id] for media_id in media_ids]


def _replace_poll(post: Post, current: Poll | None, draft: PollDraft | None) -> None:
    if current is not None and draft is not None:
        titles = [o.strip() for o in draft.options if o and o.strip()]
        if titles == [o.title for o in current.options.all()] and draft.multiple == current.multiple:
            return  # the same question: votes stay
    if current is not None:
        current.delete()
    if draft is not None:
        _create_poll(post, draft, start=timezone.now())


@transaction.atomic
def delete_post(actor: Person, post: Post) -> None:
    if post.author_id != actor.id:
        raise NotAllowed("Only the author can delete a post.")
    _delete_post(post)


@transaction.atomic
def remove_post_by_staff(post: Post) -> None:
    """A moderator removes a post (kith.moderation checked who may): the same deletion as the
    author's, so a local post's Delete federates to everyone who got it."""
    _delete_post(post)


def _delete_post(post: Post) -> None:
    author_id, post_id, reshare_of_id = post.author_id, post.id, post.reshare_of_id
    visibility = post.visibility
    local_audience = tuple(
        PostAudience.objects.filter(post_id=post_id, person__domain="").values_list("person_id", flat=True)
    ) if post.is_limited else ()
    _delete_media_files(Media.objects.filter(post_id=post_id))
    post.delete()
    if reshare_of_id:
        Post.objects.filter(id=reshare_of_id, reshare_count__gt=0).update(reshare_count=F("reshare_count") - 1)
    events.emit_on_commit(events.PostDeleted(post_id, author_id, visibility, local_audience))


def _delete_media_files(media: Iterable[Media]) -> None:
    files = [(m.file, m.thumbnail) for m in media]

    def remove() -> None:
        for original, thumbnail in files:
            for stored in (original, thumbnail):
                if stored.name:  # what `if stored` tests, in a form the type checker narrows
                    stored.storage.delete(stored.name)

    # Files go only once the rows are gone for good.
    transaction.on_commit(remove)


# ---- comments -------------------------------------------------------------------


@transaction.atomic
def add_comment(author: Person, post: Post, source: str, *, parent: Comment | None = None) -> Comment:
    check_can_publish(author)
    if post.reshare_of is not None:
        post = post.reshare_of
    if not can_interact(author, post):
        raise NotFound("No such post.")
    if parent is not None and parent.post_id != post.id:
        raise Invalid("That comment belongs to another post.")
    if parent is not None and not can_see_comment(author, parent):
        raise NotFound("No such comment.")
    source = check_text(source, MAX_COMMENT_CHARS, "comment")
    if not source:
        raise Invalid("A comment needs some text.")
    rendered = render_for(source)
    comment = Comment.objects.create(
        post=post, parent=parent, author=author, source=source, html=rendered.html, created_at=timezone.now()
    )
    Post.objects.filter(id=post.id).update(comment_count=F("comment_count") + 1)
    events.emit_on_commit(events.CommentCreated(comment.id))
    return comment


@transaction.atomic
def edit_comment(editor: Person, comment: Comment, source: str) -> Comment:
    comment = Comment.objects.select_for_update().get(id=comment.id)
    if comment.author_id != editor.id:
        raise NotAllowed("Only the author can edit a comment.")
    source = check_text(source, MAX_COMMENT_CHARS, "comment")
    if not source:
        raise Invalid("A comment needs some text.")
    CommentRevision.objects.create(
        comment=comment, source=comment.source, html=comment.html, created_at=comment.edited_at or comment.created_at
    )
    comment.source, comment.html = source, render_for(source).html
    comment.edited_at = timezone.now()
    comment.save(update_fields=["source", "html", "edited_at"])
    events.emit_on_commit(events.CommentEdited(comment.id))
    return comment


@transaction.atomic
def delete_comment(actor: Person, comment: Comment) -> None:
    """The comment's author, or the post's author (moderating their thread), may delete it."""
    if actor.id not in (comment.author_id, comment.post.author_id):
        raise NotAllowed("You cannot delete that comment.")
    _delete_comment(comment)


@transaction.atomic
def remove_comment_by_staff(comment: Comment) -> None:
    """A moderator removes a comment (kith.moderation checked who may), federated as the author's deletion."""
    _delete_comment(comment)


def _delete_comment(comment: Comment) -> None:
    comment_id, post_id, author_id = comment.id, comment.post_id, comment.author_id
    # Replies to the comment go with it (the foreign key cascades); count them all.
    removed, level = 1, [comment_id]
    while level:
        level = list(Comment.objects.filter(parent_id__in=level).values_list("id", flat=True))
        removed += len(level)
    comment.delete()
    Post.objects.filter(id=post_id).update(comment_count=Greatest(F("comment_count") - removed, 0))
    events.emit_on_commit(events.CommentDeleted(comment_id, post_id, author_id))


# ---- likes ------------------------------------------------------------------------


@transaction.atomic
def like(person: Person, *, post: Post | None = None, comment: Comment | None = None) -> Like:
    if post is not None and comment is None:
        target_post = post
    elif comment is not None and post is None:
        target_post = comment.post
    else:
        raise Invalid("Like either a post or a comment.")
    if target_post.reshare_of is not None and comment is None:
        post = target_post = target_post.reshare_of
    if not can_interact(person, target_post):
        raise NotFound("No such post.")
    if comment is not None and not can_see_comment(person, comment):
        raise NotFound("No such comment.")
    existing = Like.objects.filter(person=person, post=post, comment=comment).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            created = Like.objects.create(person=person, post=post, comment=comment)
    except IntegrityError:  # a concurrent double-click
        return Like.objects.get(person=person, post=post, comment=comment)
    if post is not None:
        Post.objects.filter(id=post.id).update(like_count=F("like_count") + 1)
    elif comment is not None:
        Comment.objects.filter(id=comment.id).update(like_count=F("like_count") + 1)
    events.emit_on_commit(events.LikeAdded(created.id))
    return created


@transaction.atomic
def unlike(person: Person, *, post: Post | None = None, comment: Comment | None = None) -> None:
    if post is not None and post.reshare_of is not None:
        post = post.reshare_of
    existing = Like.objects.filter(person=person, post=post, comment=comment).first()
    if existing is None:
        return
    like_id = existing.id
    existing.delete()
    if post is not None:
        Post.objects.filter(id=post.id, like_count__gt=0).update(like_count=F("like_count") - 1)
    elif comment is not None:
        Comment.objects.filter(id=comment.id, like_count__gt=0).update(like_count=F("like_count") - 1)
    events.emit_on_commit(
        events.LikeRemoved(like_id, person.id, post.id if post is not None else None, comment.id if comment is not None else None)
    )


# ---- polls ------------------------------------------------------------------------


@transaction.atomic
def vote(person: Person, post: Post, option_positions: Sequence[int]) -> list[PollVote]:
    poll = Poll.objects.select_for_update().filter(post_id=post.id).first()
    if poll is None or not can_interact(person, post):
        raise NotFound("No such poll.")
    if poll.expires_at and poll.expires_at <= timezone.now():
        raise Invalid("This poll has ended.")
    if person.id == post.author_id:
        raise Invalid("You cannot vote in your own poll.")
    positions = sorted(set(option_positions))
    if not positions or (len(positions) > 1 and not poll.multiple):
        raise Invalid("Choose one option." if not poll.multiple else "Choose at least one option.")
    if PollVote.objects.filter(poll=poll, person=person).exists():
        raise Conflict("You have voted in this poll already.")
    options = list(PollOption.objects.filter(poll=poll, position__in=positions))
    if len(options) != len(positions):
        raise Invalid("No such option.")
    votes = [PollVote.objects.create(poll=poll, option=option, person=person) for option in options]
    PollOption.objects.filter(id__in=[o.id for o in options]).update(votes_count=F("votes_count") + 1)
    Poll.objects.filter(pk=poll.pk).update(voters_count=F("voters_count") + 1)
    events.emit_on_commit(events.PollVoted(tuple(v.id for v in votes)))
    return votes


# ---- bookmarks and pins --------------------------------------------------------------

MAX_PINS = 5


def bookmark(person: Person, post: Post) -> Bookmark:
    """Save a post one may see (a reshare saves the reshared post); private to the person."""
    target = post.reshare_of or post  # no query when reshare_of_id is None
    if not can_see_post(person, target):
        raise NotFound("No such post.")
    saved, _ = Bookmark.objects.get_or_create(person=person, post=target)
    return saved


def unbookmark(person: Person, post: Post) -> None:
    target_id = post.reshare_of_id or post.id
    Bookmark.objects.filter(person=person, post_id=target_id).delete()


@transaction.atomic
def pin(person: Person, post: Post) -> Pin:
    """Show one's own public or unlisted post first on one's profile (at most MAX_PINS)."""
    if post.author_id != person.id:
        raise Invalid("Only your own posts can be pinned.")
    if post.reshare_of_id or post.visibility not in PUBLIC_VISIBILITIES:
        raise Invalid("Only public and unlisted posts can be pinned (not reshares or limited posts).")
    # Lock the person's row so two requests cannot both pass the limit.
    Person.objects.select_for_update().filter(id=person.id).first()
    existing = Pin.objects.filter(person=person, post=post).first()
    if existing:
        return existing
    if Pin.objects.filter(person=person).count() >= MAX_PINS:
        raise Invalid(f"You have already pinned the maximum number of posts ({MAX_PINS}).")
    return Pin.objects.create(person=person, post=post)


def unpin(person: Person, post: Post) -> None:
    Pin.objects.filter(person=person, post_id=post.id).delete()


# ---- tags -------------------------------------------------------------------------


def follow_tag(person: Person, name: str) -> TagFollow:
    name = normalise_tag(name)
    if not name or len(name) > 64 or not name.replace("_", "").isalnum():
        raise Invalid("That is not a tag.")
    tag, _ = Tag.objects.get_or_create(name=name)
    relation, _ = TagFollow.objects.get_or_create(person=person, tag=tag)
    return relation


def unfollow_tag(person: Person, name: str) -> None:
    TagFollow.objects.filter(person=person, tag__name=normalise_tag(name)).delete()


# ---- whole-person removal ---------------------------------------------------------------


@events.subscribe_in_transaction(events.PersonPurged, order=events.PURGE_CONTENT)
def _purge_on_removal(event: events.PersonPurged) -> None:
    purge_person_content(Person.objects.get(id=event.person_id))


def purge_person_content(person: Person) -> None:
    """Delete everything a person wrote (account deletion, or a remote person gone: in its
    transaction, as an in-transaction consumer of events.PersonPurged)."""
    for post in Post.objects.filter(author=person).only("id", "author_id", "reshare_of_id"):
        delete_post(person, post)
    for comment in Comment.objects.filter(author=person).select_related("post"):
        if Comment.objects.filter(id=comment.id).exists():
            delete_comment(person, comment)
    for liked in Like.objects.filter(person=person).select_related("post", "comment"):
        unlike(person, post=liked.post, comment=liked.comment)
    PollVote.objects.filter(person=person).delete()
    _delete_media_files(Media.objects.filter(owner=person))
    Media.objects.filter(owner=person).delete()
    TagFollow.objects.filter(person=person).delete()


def get_post_for(viewer: Person | None, post_id: int) -> Post:
    """The post, if `viewer` may see it; NotFound otherwise (never 403: existence is private too)."""
    post = Post.objects.select_related("author", "reshare_of__author").filter(id=post_id).first()
    if post is None or not can_see_post(viewer, post):
        raise NotFound("No such post.")
    return post
