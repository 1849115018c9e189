"""Create: a note becomes a post, a comment, a message or a poll vote (once), with its audience."""

from __future__ import annotations

from django.db import transaction

from kith.federation.activitypub import actors, messages, uris
from kith.federation.activitypub.inbound.common import Drop, find_comment, find_post, local_person
from kith.federation.activitypub.inbound.notes import _content, _note_of, confirm_owner
from kith.federation.activitypub.models import ObjectKind, RemoteActor, RemoteObject, Tombstone
from kith.federation.activitypub.parse import ActivityData, NoteData, ParseError, addressing_of
from kith.federation.addressing import Addressing, Reach, reach_of, read_addressing
from kith.graph.models import FollowState
from kith.people.models import AccountState, Person
from kith.social import remote
from kith.social.models import Comment, Post, PostAudience, Visibility

MAX_ADDRESSEES = 200


def _addressed_people(addressed: set[str], author: RemoteActor) -> list[Person]:
    """Every person a limited post names, local or remote (remote ones fetched if new).

    Remote members belong in the audience too: their comments and likes, sent
    straight from their own pods, are accepted only from people in it.
    """
    people = []
    for uri in sorted(addressed)[:MAX_ADDRESSEES]:
        if uri in (author.uri, author.followers_url, author.following_url):
            continue
        person = local_person(uri)
        if person is None:
            try:
                person = actors.resolve_actor(uri).person
            except actors.ResolveError:
                continue  # a collection or a dead actor: nobody to add
        people.append(person)
    return people


def _addressing(note: NoteData, author: RemoteActor) -> Addressing:
    return addressing_of(note.to, note.cc, author.followers_url, mentions=note.mentions, author=author.uri)


def _classify(note: NoteData, author: RemoteActor) -> Reach:
    """Mastodon's reading of a note's addressing (public, unlisted, followers, limited, direct)."""
    return reach_of(_addressing(note, author))


def _audience(note: NoteData, author: RemoteActor) -> tuple[str, list[Person]]:
    """Visibility and, for limited posts, the people it was addressed to.

    Addressed to the author's followers collection without Public: the audience
    is also every follower of the author that we know of here, fixed now
    (kith.federation.addressing says which).
    """
    reading = read_addressing(_addressing(note, author))
    if not reading.audience_of_recipients:
        return reading.visibility, []
    addressed = set(note.to) | set(note.cc)
    followers: list[Person] = []
    if reading.audience_of_followers:
        followers = list(
            Person.objects.filter(following_rel__followee=author.person, following_rel__state=FollowState.ACCEPTED)
        )
    visibility = reading.visibility
    if not any(p.is_local for p in followers) and not any(local_person(uri) for uri in sorted(addressed)[:MAX_ADDRESSEES]):
        # Nobody here is in it (the caller drops it): fetch none of the addressees, or one
        # activity naming 200 URLs would have this pod fetch them all.
        return visibility, []
    return visibility, _addressed_people(addressed, author) + followers


def _create_note(activity: ActivityData, actor: RemoteActor) -> None:
    note, fetched = _note_of(activity)
    ingest_note(note, actor, activity.id, confirmed=fetched)


@transaction.atomic
def ingest_note(note: NoteData, actor: RemoteActor, activity_id: str = "", *, confirmed: bool = False) -> None:
    """Store a note by `actor` as a post, a comment or a poll vote (once: its id is remembered).

    `confirmed`: the note was fetched from its own id just now (else its ownership is
    checked here, by its id's path or a fetch: confirm_owner)."""
    if note.attributed_to != actor.uri:
        raise ParseError("the note's author is not the activity's actor")
    if actor.person.state != AccountState.ACTIVE:
        # Suspended here (or gone): nothing of theirs is taken, however it comes (delivered,
        # forwarded, fetched by address or while following a thread).
        raise Drop("its author is not active here")
    tombstone = Tombstone.objects.filter(uri=note.id, actor_uri=actor.uri).first()
    if tombstone is not None and not restored_after(note, tombstone):
        raise Drop("deleted before it arrived")
    if RemoteObject.objects.filter(uri=note.id).exists():
        raise Drop("already have it")
    confirm_owner(note, actor, fetched=confirmed)
    if tombstone is not None:
        # Its author's server sent it again after the Delete (a suspension lifted): the
        # tombstone has lost (docs/adr/0009); a Delete of it later leaves a new one.
        tombstone.delete()
    if RemoteObject.objects.filter(uri=note.id).exists():
        raise Drop("already have it")
    if note.in_reply_to and note.name and not note.content_html.strip():
        _vote(note, actor)
        return
    content = _content(note)
    parent_comment = find_comment(note.in_reply_to) if note.in_reply_to else None
    parent = parent_comment.post if parent_comment else (find_post(note.in_reply_to) if note.in_reply_to else None)
    if _is_message(note, actor, parent, parent_comment):
        visibility, audience = _audience(note, actor)
        if not any(p.is_local for p in audience):
            raise Drop("a message for nobody here")
        messages.ingest_message(note, actor, content, audience, activity_id, replying_to=parent)
        return
    if note.in_reply_to:
        if parent is None:
            raise Drop("a reply to something we do not have")
        comment = remote.record_remote_comment(actor.person, parent, content, parent=parent_comment, published=note.published)
        RemoteObject.objects.create(uri=note.id, kind=ObjectKind.COMMENT, comment=comment, activity_uri=activity_id)
        return
    visibility, audience = _audience(note, actor)
    if visibility in (Visibility.LIMITED, Visibility.DIRECT) and not any(p.is_local for p in audience):
        raise Drop("a limited post for nobody here")
    post = remote.record_remote_post(actor.person, content, visibility=visibility, audience=audience, published=note.published)
    RemoteObject.objects.create(uri=note.id, kind=ObjectKind.POST, post=post, activity_uri=activity_id)


def restored_after(note: NoteData, tombstone: Tombstone) -> bool:
    """Whether a note its author deleted comes back: tombstones win, except over a note whose
    `updated` is later than the tombstone (its server restored it after the Delete: Kith's
    re-Create of a suspended account's content when the suspension is lifted, docs/adr/0009).
    A Create that the Delete overtook carries no later `updated` (a note is Created once;
    edits come as Updates), so the tombstone still wins over it.  Only the note's own actor
    may pass (the tombstone is looked up by actor, the note's ownership confirmed)."""
    return note.updated is not None and note.updated > tombstone.deleted_at


def _is_message(note: NoteData, actor: RemoteActor, parent: Post | None, parent_comment: Comment | None) -> bool:
    """Whether a note is a message in a private conversation (kith.messaging), not a post or comment.

    A reply to a message is one; so is a direct note (only mentioned people addressed)
    that is no comment on a limited post (Kith addresses a comment on a post limited to
    one person to that person alone), including a private reply to a public post.
    """
    if parent is not None and parent_comment is None and messages.conversation_of(parent) is not None:
        return True
    direct = _classify(note, actor) == "direct"
    if not direct:
        return False
    if parent is None or parent.visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return True
    # A comment on a limited post is read by its whole audience, so a direct note is one only
    # when it goes to all of that audience (Kith's comment on a post limited to one person);
    # one that leaves some of them out is a private reply and must not become a comment they read.
    return not _audience_uris(parent) - {actor.uri} <= set(note.to) | set(note.cc)


def _audience_uris(post: Post) -> set[str]:
    """The actor ids of a post's audience (local and remote people)."""
    found: set[str] = set()
    members = PostAudience.objects.filter(post=post).values("person_id")
    for person in Person.objects.filter(id__in=members).select_related("ap_actor"):
        if person.is_local:
            found.add(uris.actor(person.username))
        elif getattr(person, "ap_actor", None) is not None:
            found.add(person.ap_actor.uri)
    return found


def _vote(note: NoteData, actor: RemoteActor) -> None:
    """Mastodon-style poll vote: a content-less Note named after the option, replying to the Question."""
    post = find_post(note.in_reply_to or "")
    if post is None or not post.author.is_local or not hasattr(post, "poll"):
        raise Drop("a vote in a poll we do not run")
    remote.record_remote_vote(actor.person, post, note.name or "")
