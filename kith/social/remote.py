"""Write paths for what arrives from other pods.

Federation adapters translate wire formats into calls to these functions (and
to the ordinary services where the operation is the same, such as `like` or
`follow`).  The difference from local posting: the text arrives as HTML (kept
after sanitising), the time is the author's, and the audience of a limited post
is the set of people it was addressed to, resolved by the adapter.  The rules
stay the domain's: audiences never widen, edits come only from the author,
fan-out and notifications run exactly as for local posts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kith.core import events
from kith.core.errors import Invalid, NotAllowed, NotFound
from kith.core.text import sanitise_html
from kith.people.models import Person
from kith.social.compose import MAX_CONTENT_WARNING_CHARS, MAX_MEDIA_PER_POST
from kith.social.models import (
    Comment,
    CommentRevision,
    Media,
    MediaState,
    Poll,
    PollOption,
    Post,
    PostAudience,
    PostRevision,
    Visibility,
)
from kith.social.services import _set_mentions, _set_tags
from kith.timelines.models import FanOut
from kith.visibility import can_interact, enters_streams

MAX_REMOTE_HTML = 100_000


@dataclass(frozen=True)
class RemoteMedia:
    url: str
    content_type: str
    description: str = ""
    blurhash: str = ""
    width: int | None = None
    height: int | None = None
    focus: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class RemotePoll:
    options: Sequence[tuple[str, int]]  # (title, votes)
    multiple: bool = False
    expires_at: datetime | None = None
    voters_count: int = 0


@dataclass(frozen=True)
class RemoteContent:
    """A remote post's or comment's content, already parsed and sanitised by the adapter."""

    html: str
    source: str = ""
    content_warning: str = ""
    sensitive: bool = False  # media marked sensitive (a content warning implies it)
    language: str = ""
    tags: Sequence[str] = ()
    mentioned: Sequence[Person] = ()
    media: Sequence[RemoteMedia] = ()
    poll: RemotePoll | None = None
    extra: dict = field(default_factory=dict)


def _clean(content: RemoteContent) -> tuple[str, str]:
    html = sanitise_html(content.html[:MAX_REMOTE_HTML])
    return html, content.content_warning.strip()[:MAX_CONTENT_WARNING_CHARS]


def _check_author(author: Person) -> None:
    if author.is_local:
        raise NotAllowed("Local people post through the ordinary services.")
    if not author.is_active:
        raise NotAllowed("That person cannot post here.")


@transaction.atomic
def record_remote_post(
    author: Person,
    content: RemoteContent,
    *,
    visibility: str,
    audience: Iterable[Person] = (),
    published: datetime | None = None,
) -> Post:
    """Store a post from another pod and surface it to its local audience.

    The vocabulary is local publishing's (kith.social.compose): `visibility` is a
    Visibility, and a limited or direct post reaches exactly `audience` (never its author),
    as resolve_audience's Audience does for a local post; the adapter resolved who it was
    addressed to."""
    _check_author(author)
    if visibility not in Visibility.values:
        raise Invalid("Unknown visibility.")
    html, content_warning = _clean(content)
    created_at = min(published or timezone.now(), timezone.now())  # a post from the future is now
    post = Post.objects.create(
        author=author,
        visibility=visibility,
        source=content.source[:MAX_REMOTE_HTML],
        html=html,
        content_warning=content_warning,
        sensitive=content.sensitive or bool(content_warning),
        language=content.language[:16],
        created_at=created_at,
    )
    if post.is_limited:
        PostAudience.objects.bulk_create(
            [PostAudience(post=post, person=person) for person in {p.id: p for p in audience}.values() if person.id != author.id]
        )
    _set_tags(post, content.tags)
    _set_mentions(post, {p.id: p for p in content.mentioned}.values())
    Media.objects.bulk_create(
        Media(
            owner=author, post=post, position=position, content_type=item.content_type[:64],
            description=item.description[:1500], blurhash=item.blurhash[:64], width=item.width, height=item.height,
            focus_x=item.focus[0], focus_y=item.focus[1], remote_url=item.url,
            # Copied here by the federation layer, then cleaned like an upload: never hot-linked.
            state=MediaState.PROCESSING,
        )
        for position, item in enumerate(content.media[:MAX_MEDIA_PER_POST])
    )
    if content.poll is not None:
        _record_poll(post, content.poll)
    if enters_streams(post):
        FanOut.objects.create(post=post)  # direct posts are read in their conversation only
    events.emit_on_commit(events.PostPublished(post.id))
    return post


def _record_poll(post: Post, draft: RemotePoll) -> None:
    poll = Poll.objects.create(
        post=post, multiple=draft.multiple, expires_at=draft.expires_at, voters_count=draft.voters_count
    )
    PollOption.objects.bulk_create(
        PollOption(poll=poll, position=index, title=title[:200], votes_count=max(0, votes))
        for index, (title, votes) in enumerate(draft.options[:20])
    )


@transaction.atomic
def update_remote_post(editor: Person, post: Post, content: RemoteContent, *, edited_at: datetime | None = None) -> Post:
    """Apply an author's edit.  The audience and visibility stay as published."""
    post = Post.objects.select_for_update().get(id=post.id)
    if post.author_id != editor.id:
        raise NotAllowed("Only the author can edit a post.")
    html, content_warning = _clean(content)
    sensitive = content.sensitive or bool(content_warning)
    if html == post.html and content_warning == post.content_warning and sensitive == post.sensitive:
        _update_poll_counts(post, content.poll)
        return post
    PostRevision.objects.create(
        post=post, source=post.source, html=post.html, content_warning=post.content_warning,
        created_at=post.edited_at or post.created_at,
    )
    post.html, post.source, post.content_warning = html, content.source[:MAX_REMOTE_HTML], content_warning
    post.sensitive = sensitive
    post.edited_at = min(edited_at or timezone.now(), timezone.now())
    post.save(update_fields=["html", "source", "content_warning", "sensitive", "edited_at"])
    _set_tags(post, content.tags)
    _set_mentions(post, {p.id: p for p in content.mentioned}.values())
    _update_poll_counts(post, content.poll)
    events.emit_on_commit(events.PostEdited(post.id))
    return post


def _update_poll_counts(post: Post, draft: RemotePoll | None) -> None:
    """Remote polls count their own votes; we mirror the totals the author's server reports."""
    if draft is None or not hasattr(post, "poll"):
        return
    by_title = dict(draft.options)
    for option in post.poll.options.all():
        if option.title in by_title:
            PollOption.objects.filter(id=option.id).update(votes_count=max(0, by_title[option.title]))
    Poll.objects.filter(pk=post.pk).update(voters_count=max(0, draft.voters_count))


@transaction.atomic
def record_remote_comment(
    author: Person, post: Post, content: RemoteContent, *, parent: Comment | None = None, published: datetime | None = None
) -> Comment:
    _check_author(author)
    if post.reshare_of_id:
        post = post.reshare_of
    if not can_interact(author, post):
        # A reply to a limited post from someone outside its audience never attaches to it.
        raise NotFound("No such post.")
    if parent is not None and parent.post_id != post.id:
        raise Invalid("That comment belongs to another post.")
    html, _ = _clean(content)
    comment = Comment.objects.create(
        post=post, parent=parent, author=author, source=content.source[:MAX_REMOTE_HTML], html=html,
        created_at=min(published or timezone.now(), timezone.now()),
    )
    Post.objects.filter(id=post.id).update(comment_count=F("comment_count") + 1)
    events.emit_on_commit(events.CommentCreated(comment.id))
    return comment


@transaction.atomic
def update_remote_comment(editor: Person, comment: Comment, content: RemoteContent, *, edited_at: datetime | None = None) -> Comment:
    comment = Comment.objects.select_for_update().get(id=comment.id)
    if comment.author_id != editor.id:
        raise NotAllowed("Only the author can edit a comment.")
    html, _ = _clean(content)
    if html == comment.html:
        return comment
    CommentRevision.objects.create(
        comment=comment, source=comment.source, html=comment.html, created_at=comment.edited_at or comment.created_at
    )
    comment.html, comment.source = html, content.source[:MAX_REMOTE_HTML]
    comment.edited_at = min(edited_at or timezone.now(), timezone.now())
    comment.save(update_fields=["html", "source", "edited_at"])
    events.emit_on_commit(events.CommentEdited(comment.id))
    return comment


@transaction.atomic
def update_remote_profile(
    person: Person, *, display_name: str, bio_html: str, locked: bool, searchable: bool
) -> Person:
    """Mirror a remote person's public profile (their private fields never travel)."""
    if person.is_local:
        raise NotAllowed("Local profiles change through people.services.update_profile.")
    person.display_name = display_name.strip()[:100]
    person.bio_html = sanitise_html(bio_html[:MAX_REMOTE_HTML])
    person.locked, person.searchable = locked, searchable
    person.save(update_fields=["display_name", "bio_html", "locked", "searchable", "updated_at"])
    events.emit_on_commit(events.ProfileUpdated(person.id))
    return person


@transaction.atomic
def record_remote_vote(voter: Person, post: Post, option_title: str) -> None:
    """One vote from another pod (ActivityPub sends one Note per chosen option)."""
    from kith.core.errors import Conflict
    from kith.social.models import PollVote

    poll = Poll.objects.select_for_update().filter(post_id=post.id).first()
    if poll is None or not can_interact(voter, post):
        raise NotFound("No such poll.")
    if poll.expires_at and poll.expires_at <= timezone.now():
        raise Invalid("This poll has ended.")
    option = PollOption.objects.filter(poll=poll, title=option_title).first()
    if option is None:
        raise Invalid("No such option.")
    earlier = set(PollVote.objects.filter(poll=poll, person=voter).values_list("option_id", flat=True))
    if option.id in earlier:
        return  # a repeat
    if earlier and not poll.multiple:
        raise Conflict("Already voted in this poll.")
    vote = PollVote.objects.create(poll=poll, option=option, person=voter)
    PollOption.objects.filter(id=option.id).update(votes_count=F("votes_count") + 1)
    if not earlier:  # each person counts once among the voters, however many options they chose
        Poll.objects.filter(pk=poll.pk).update(voters_count=F("voters_count") + 1)
    events.emit_on_commit(events.PollVoted((vote.id,)))
