"""What Create and Update share: a note's content as the domain takes it, and whose the note is."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from kith.federation.activitypub import actors, links
from kith.federation.activitypub.inbound.common import _person_for
from kith.federation.activitypub.models import RemoteActor
from kith.federation.activitypub.parse import (
    ActivityData,
    NoteData,
    ParseError,
    TagLink,
    parse_note,
    under_actor,
)
from kith.people.models import Person
from kith.people.selectors import profile_url
from kith.social import remote


def _content(note: NoteData) -> remote.RemoteContent:
    known = {href: _person_for(href) for href in note.mentions}
    mentioned = [p for p in known.values() if p is not None]
    media = [
        remote.RemoteMedia(
            url=item.url, content_type=item.media_type or "application/octet-stream", description=item.description or "",
            blurhash=item.blurhash or "", width=item.width, height=item.height,
            focus=tuple(item.focal_point) if item.focal_point else (0.0, 0.0),
        )
        for item in note.attachments
    ]
    poll = None
    if note.poll is not None:
        votes = [option.votes for option in note.poll.options]
        voters = note.poll.voters_count
        if voters is None:
            # No votersCount (older servers): one vote per voter in a single-choice poll; for a
            # multiple-choice one the busiest option is a lower bound.
            voters = max(votes, default=0) if note.poll.multiple else sum(votes)
        poll = remote.RemotePoll(
            options=[(option.name, option.votes) for option in note.poll.options],
            multiple=note.poll.multiple, expires_at=note.poll.end_time, voters_count=voters,
        )
    return remote.RemoteContent(
        html=links.localise_links(
            note.content_html or "", note.tag_links,
            tag_url=lambda name: f"{settings.KITH_URL}/tags/{name}", person_url=lambda mention: _local_page_of(mention, known.get(mention.href)),
        ),
        source=note.source_markdown or "", content_warning=note.summary or "",
        sensitive=note.sensitive, language=note.language or "", tags=list(note.hashtags), mentioned=mentioned, media=media, poll=poll,
    )


def _local_page_of(mention: TagLink, person: Person | None) -> str | None:
    """This pod's page for a mentioned person: known here, or by the handle the note gives
    (`name@server`, the server being the link's when the note names none); the page looks
    them up when opened (kith/federation/activitypub/links.py says why on arrival)."""
    if person is not None:
        return profile_url(person)
    username, _, domain = mention.name.partition("@")
    domain = (domain or urlsplit(mention.href).netloc).lower()
    if not username or not domain:
        return None
    return profile_url(Person(username=username, domain=domain))


def _note_of(activity: ActivityData) -> tuple[NoteData, bool]:
    """The activity's note: embedded (parse.py has checked its origin) or fetched from its id;
    and whether it was fetched (its origin's own copy, so its author is confirmed)."""
    if isinstance(activity.object, NoteData):
        return activity.object, False
    if not activity.object_id:
        raise ParseError("the activity has no object")
    return parse_note(actors.fetch_json(activity.object_id)), True


def confirm_owner(note: NoteData, actor: RemoteActor, *, fetched: bool) -> None:
    """Ownership by actor, not only by host (docs/federation/activitypub.md, "Ownership").

    A note is `actor`'s when its author is `actor` and either its id lies under the actor's
    own id path (parse.under_actor: Mastodon's /users/a/statuses/1) or its origin, asked
    for the id, names the same author (Misskey's /notes/x, Pleroma's /objects/uuid).  So
    someone on the same server cannot create a note under another's path, nor take an id
    its owner will use."""
    if note.attributed_to != actor.uri:
        raise ParseError("the note's author is not the activity's actor")
    if fetched or under_actor(note.id, actor.uri):
        return
    try:
        original = parse_note(actors.fetch_json(note.id))
    except actors.ResolveError as exc:
        raise ParseError(f"the note's id is not under its author's and its origin does not confirm it: {exc}") from exc
    if original.id != note.id or original.attributed_to != actor.uri:
        raise ParseError("the note's origin names another author")
