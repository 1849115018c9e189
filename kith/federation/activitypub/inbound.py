"""Applying verified, stored activities to the domain (in the worker, idempotently).

The inbox has already checked the HTTP signature and that the signing key
belongs to the activity's actor.  Everything here re-checks authority on the
objects: only an object's author may update or delete it, a Like or Announce
needs a post its actor may see, an Announce of a limited post is refused, and
a Delete that arrives before its Create leaves a tombstone that wins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Set
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey import crontab

from kith.core.durable import DurableRows
from kith.core.errors import DomainError
from kith.federation.activitypub import actors, links, messages, uris
from kith.federation.activitypub.context import PUBLIC_ALIASES
from kith.federation.activitypub.models import (
    FollowActivity,
    InboundActivity,
    InboundState,
    ObjectKind,
    RemoteActor,
    RemoteObject,
    Tombstone,
)
from kith.federation.activitypub.parse import (
    ActivityData,
    ActorData,
    NoteData,
    ParseError,
    TagLink,
    classify_addressing,
    parse_activity,
    parse_actor,
    parse_note,
    same_origin,
    under_actor,
)
from kith.graph import services as graph
from kith.graph.models import Follow, FollowState
from kith.jobs import periodic, resumes, task
from kith.moderation.services import file_report
from kith.people.models import AccountState, Person
from kith.people.remote import record_remote_move, remove_remote_person
from kith.people.selectors import profile_url
from kith.social import remote, services
from kith.social.models import Comment, Like, Post, PostAudience, Visibility
from kith.visibility import is_resharable

log = logging.getLogger(__name__)


class Drop(Exception):
    """Valid, but nothing to do (not for us, unknown object, already applied); logged, not retried."""


# ---- looking things up -------------------------------------------------------------------------


def local_person(uri: str) -> Person | None:
    username = actors.local_username_for(uri)
    if username is None:
        return None
    return Person.objects.filter(username__iexact=username, domain="", state=AccountState.ACTIVE).first()


def _local_object_id(uri: str, kind: str) -> int | None:
    """The id in one of our own URIs, e.g. .../users/ann/posts/123 -> 123 for kind 'posts'."""
    prefix = uris.actor("")
    if not uri.startswith(prefix):
        return None
    parts = uri[len(prefix):].split("/")
    if len(parts) == 3 and parts[1] == kind and parts[2].isdigit():
        return int(parts[2])
    return None


def find_post(uri: str) -> Post | None:
    if (post_id := _local_object_id(uri, "posts")) is not None:
        return Post.objects.select_related("author").filter(id=post_id).first()
    found = RemoteObject.objects.select_related("post__author").filter(uri=uri, kind=ObjectKind.POST).first()
    return found.post if found else None


def find_comment(uri: str) -> Comment | None:
    if (comment_id := _local_object_id(uri, "comments")) is not None:
        return Comment.objects.select_related("post", "author").filter(id=comment_id).first()
    found = RemoteObject.objects.select_related("comment__post").filter(uri=uri, kind=ObjectKind.COMMENT).first()
    return found.comment if found else None


def _person_for(uri: str) -> Person | None:
    """A person by actor id, local or already known remote (no fetching)."""
    person = local_person(uri)
    if person is not None:
        return person
    known = RemoteActor.objects.select_related("person").filter(uri=uri).first()
    return known.person if known else None


# ---- content -----------------------------------------------------------------------------------


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


def _classify(note: NoteData, author: RemoteActor) -> str:
    """Mastodon's reading of a note's addressing (public, unlisted, followers, limited, direct)."""
    to = [uri for uri in note.to if uri != author.uri]
    cc = [uri for uri in note.cc if uri != author.uri]
    if not to and not cc:
        return "limited"
    return classify_addressing(to, cc, author.followers_url, mentions=note.mentions)


def _audience(note: NoteData, author: RemoteActor) -> tuple[str, list[Person]]:
    """Visibility and, for limited posts, the people it was addressed to.

    Addressed to the author's followers collection without Public: the audience
    is also every follower of the author that we know of here, fixed now.
    """
    addressed = set(note.to) | set(note.cc)
    if addressed & PUBLIC_ALIASES:
        return (Visibility.PUBLIC if set(note.to) & PUBLIC_ALIASES else Visibility.UNLISTED), []
    followers: list[Person] = []
    visibility = Visibility.DIRECT if _classify(note, author) == "direct" else Visibility.LIMITED
    if author.followers_url and author.followers_url in addressed:
        followers = list(
            Person.objects.filter(following_rel__followee=author.person, following_rel__state=FollowState.ACCEPTED)
        )
        visibility = Visibility.LIMITED
    if not any(p.is_local for p in followers) and not any(local_person(uri) for uri in sorted(addressed)[:MAX_ADDRESSEES]):
        # Nobody here is in it (the caller drops it): fetch none of the addressees, or one
        # activity naming 200 URLs would have this pod fetch them all.
        return visibility, []
    return visibility, _addressed_people(addressed, author) + followers


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
    if Tombstone.objects.filter(uri=note.id, actor_uri=actor.uri).exists():
        raise Drop("deleted before it arrived")
    if RemoteObject.objects.filter(uri=note.id).exists():
        raise Drop("already have it")
    confirm_owner(note, actor, fetched=confirmed)
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


def _update(activity: ActivityData, actor: RemoteActor) -> None:
    if isinstance(activity.object, ActorData) or activity.object_id == actor.uri:
        if activity.object_id != actor.uri:
            raise ParseError("an actor may only update itself")
        actors.resolve_actor(actor.uri, refresh=True)  # refetch rather than trust the embedded copy
        return
    note, _fetched = _note_of(activity)
    if note.attributed_to != actor.uri:
        raise ParseError("only the author may update a note")
    found = RemoteObject.objects.select_related("post", "comment").filter(uri=note.id).first()
    if found is None:
        raise Drop("an update of something we do not have")
    # Ownership was confirmed when it was stored; the domain refuses anyone but its author.
    if found.post is not None:
        remote.update_remote_post(actor.person, found.post, _content(note), edited_at=note.updated)
    elif found.comment is not None:
        remote.update_remote_comment(actor.person, found.comment, _content(note), edited_at=note.updated)


def _delete(activity: ActivityData, actor: RemoteActor) -> None:
    target = activity.object_id
    if target == actor.uri:
        remove_remote_person(actor.person)
        return
    found = RemoteObject.objects.select_related("post__author", "comment__author", "comment__post").filter(uri=target).first()
    if found is None:
        _keep_tombstone(target, actor)
        raise Drop("deleted something we do not have (tombstone kept)")
    if found.post is not None:
        services.delete_post(actor.person, found.post)  # refuses anyone but the author
    elif found.comment is not None:
        services.delete_comment(actor.person, found.comment)  # the comment's or the post's author
    Tombstone.objects.update_or_create(uri=target, defaults={"actor_uri": actor.uri})


def _keep_tombstone(target: str | None, actor: RemoteActor) -> None:
    """A Delete of something not here yet (it may overtake its Create): remember it for the
    actor, so that their Create arriving later is ignored.

    Only for an id the actor may own: under their own id path, or on their server and not
    under another actor's path (a sibling of the actor's id: /users/bob/... for /users/eve).
    A tombstone only ever stops a note by its own actor (ingest_note), so one kept for a
    Misskey-shaped id (/notes/x) that is in truth someone else's changes nothing for them."""
    if not target or not same_origin(target, actor.uri):
        return
    if under_actor(target, actor.uri):
        Tombstone.objects.update_or_create(uri=target, defaults={"actor_uri": actor.uri})
        return
    siblings = actor.uri.rstrip("/").rsplit("/", 1)[0] + "/"
    if target.startswith(siblings):
        raise Drop("a Delete of an object under another actor's id")
    Tombstone.objects.get_or_create(uri=target, defaults={"actor_uri": actor.uri})


def _follow(activity: ActivityData, actor: RemoteActor) -> None:
    target = local_person(activity.object_id or "")
    if target is None:
        raise Drop("a follow of nobody here")
    relation = graph.follow(actor.person, target)
    FollowActivity.objects.update_or_create(follow=relation, defaults={"uri": activity.id})


def _accept_or_reject(activity: ActivityData, actor: RemoteActor, accepted: bool) -> None:
    follow = _our_follow(activity, actor)
    if follow is None:
        raise Drop("an answer to a follow we did not send")
    if accepted:
        graph.accept_follow_request(actor.person, follow.follower)
    else:
        Follow.objects.filter(id=follow.id).delete()


def _our_follow(activity: ActivityData, actor: RemoteActor) -> Follow | None:
    """The Follow an Accept/Reject answers: by its activity id, or (embedded) by its actor and object."""
    found = FollowActivity.objects.select_related("follow__follower").filter(uri=activity.object_id or "").first()
    if found is not None and found.follow.followee_id == actor.person_id:
        return found.follow
    embedded = activity.object if isinstance(activity.object, ActivityData) else None
    follower = local_person(embedded.actor) if embedded is not None and embedded.type == "Follow" else None
    if follower is None:
        return None
    return Follow.objects.select_related("follower").filter(follower=follower, followee=actor.person).first()


def _like(activity: ActivityData, actor: RemoteActor) -> None:
    target_uri = activity.object_id or ""
    comment = find_comment(target_uri)
    post = None if comment else find_post(target_uri)
    if comment is None and post is None:
        raise Drop("a like of something we do not have")
    _not_undone(activity, actor)
    liked = services.like(actor.person, post=post, comment=comment)
    _link(activity, ObjectKind.LIKE, like=liked)


def _announce(activity: ActivityData, actor: RemoteActor) -> None:
    target_uri = activity.object_id or ""
    post = find_post(target_uri)
    if post is None:
        raise Drop("a reshare of something we do not have")
    if not is_resharable(post):
        raise ParseError("only public posts can be reshared")
    _not_undone(activity, actor)
    shared = services.reshare(actor.person, post)
    _link(activity, ObjectKind.POST, post=shared)


def _not_undone(activity: ActivityData, actor: RemoteActor) -> None:
    if RemoteObject.objects.filter(uri=activity.id).exists():
        raise Drop("already applied")
    if Tombstone.objects.filter(uri=activity.id, actor_uri=actor.uri).exists():
        raise Drop("undone before it arrived")


def _link(activity: ActivityData, kind: str, **made: Like | Post) -> None:
    """Name the like or reshare a Like or Announce made by the activity's id (an Undo names it).

    A person has one like or reshare of a thing: a second Like or Announce of it, sent after
    an Undo of the first that is not applied yet (deliveries and inbound jobs run concurrently,
    so a later activity may be applied first), takes the name over; that Undo then finds
    nothing to undo, and the like or reshare stays, as its actor last wanted."""
    RemoteObject.objects.update_or_create(**made, defaults={"uri": activity.id, "kind": kind, "activity_uri": activity.id})


def _undo(activity: ActivityData, actor: RemoteActor) -> None:
    inner = activity.object if isinstance(activity.object, ActivityData) else None
    inner_id = activity.object_id or ""
    if inner is not None and inner.actor != actor.uri:
        raise ParseError("only the actor of an activity may undo it")
    undone = RemoteObject.objects.select_related("like", "post").filter(activity_uri=inner_id).first()
    if undone is not None and undone.like is not None and undone.like.person_id == actor.person_id:
        services.unlike(actor.person, post=undone.like.post, comment=undone.like.comment)
        return
    if undone is not None and undone.post is not None and undone.post.author_id == actor.person_id:
        services.delete_post(actor.person, undone.post)
        return
    follow = FollowActivity.objects.select_related("follow__followee").filter(uri=inner_id).first()
    if follow is not None and follow.follow.follower_id == actor.person_id:
        graph.unfollow(actor.person, follow.follow.followee)
        return
    target = local_person(inner.object_id or "") if inner is not None else None
    if inner is not None and inner.type == "Follow" and target is not None:
        graph.unfollow(actor.person, target)
        return
    if inner is not None and inner.type == "Block" and target is not None:
        graph.unblock(actor.person, target)
        return
    owned = under_actor(inner_id, actor.uri) or inner_id.startswith(actor.uri.rstrip("/") + "#")  # Mastodon's #likes/1
    if (inner is None or inner.type in ("Like", "Announce")) and owned:
        # It may have overtaken its Like or Announce: remembered, so that one is dropped when it comes.
        Tombstone.objects.get_or_create(uri=inner_id, defaults={"actor_uri": actor.uri})
    raise Drop(f"nothing to undo for {inner.type if inner else inner_id}")


def _block(activity: ActivityData, actor: RemoteActor) -> None:
    target = local_person(activity.object_id or "")
    if target is None:
        raise Drop("a block of nobody here")
    graph.block(actor.person, target)


def _flag(activity: ActivityData, actor: RemoteActor) -> None:
    """A report from another server's moderators or members (Mastodon sends it as its instance actor)."""
    people = [p for p in (local_person(uri) for uri in activity.objects) if p is not None]
    if not people:
        raise Drop("a report about nobody here")
    target = people[0]
    posts = [p for p in (find_post(uri) for uri in activity.objects) if p is not None and p.author_id == target.id]
    reporter = actor.person if actor.actor_type == "Person" else None
    file_report(target, reporter=reporter, reporter_domain=actor.person.domain, posts=posts, comment=activity.content or "")


def _move(activity: ActivityData, actor: RemoteActor) -> None:
    """Account migration: local followers of the old account follow the new one, if it agrees."""
    if activity.object_id != actor.uri or not activity.target:
        raise ParseError("an actor may only move itself")
    new_home = parse_actor(actors.fetch_json(activity.target))
    if actor.uri not in new_home.also_known_as:
        raise ParseError("the new account does not name the old one in alsoKnownAs")
    successor = actors.resolve_actor(activity.target, refresh=True).person
    record_remote_move(actor.person, successor)  # the profile here says where they went
    followers = Person.objects.filter(
        domain="", following_rel__followee=actor.person, following_rel__state=FollowState.ACCEPTED
    )
    for follower in followers:
        try:
            graph.follow(follower, successor)
        except DomainError as exc:  # e.g. a block between them: that follower stays behind
            log.info("move: %s does not follow %s: %s", follower.handle, successor.handle, exc)
            continue
        graph.unfollow(follower, actor.person)


HANDLERS: dict[str, Callable[[ActivityData, RemoteActor], None]] = {
    "Create": _create_note,
    "Update": _update,
    "Delete": _delete,
    "Follow": _follow,
    "Accept": lambda activity, actor: _accept_or_reject(activity, actor, accepted=True),
    "Reject": lambda activity, actor: _accept_or_reject(activity, actor, accepted=False),
    "Like": _like,
    "Announce": _announce,
    "Undo": _undo,
    "Block": _block,
    "Flag": _flag,
    "Move": _move,
}


def _refetched(activity: ActivityData) -> ActivityData:
    """A forwarded activity, as its own server tells it: nothing the forwarder sent is believed."""
    if activity.type == "Like":
        original = parse_activity(actors.fetch_json(activity.id))
        if (original.type, original.actor, original.object_id) != (activity.type, activity.actor, activity.object_id):
            raise ParseError("the forwarded Like is not what its own server says")
        return original
    # Create/Update: the object comes again from its own server.
    return replace(activity, object=activity.object_id)


def apply(inbound: InboundActivity) -> None:
    """Apply one stored activity; records the outcome on the row."""
    try:
        activity = parse_activity(inbound.payload)
        handler = HANDLERS.get(activity.type)
        if handler is None:
            raise Drop(f"{activity.type} is not handled yet")
        if inbound.forwarded_by:
            activity = _refetched(activity)
            actor = actors.resolve_actor(activity.actor)
        else:
            actor = RemoteActor.objects.select_related("person").get(uri=activity.actor)
        if actor.person.state != AccountState.ACTIVE and activity.type != "Delete":
            raise Drop("the actor is not active here")
        dropped: Drop | None = None
        with transaction.atomic():
            try:
                handler(activity, actor)
            except Drop as reason:
                # Kept: what a handler wrote before dropping (a Delete's tombstone for a Create
                # still to come) must survive, or a Delete that arrives first would not win.
                dropped = reason
        state, error = (InboundState.DROPPED, str(dropped)) if dropped else (InboundState.DONE, "")
    except Drop as reason:
        state, error = InboundState.DROPPED, str(reason)
    except (ParseError, DomainError, actors.ResolveError, RemoteActor.DoesNotExist) as problem:
        log.info("dropped activity %s: %s", inbound.activity_uri, problem)
        state, error = InboundState.FAILED, f"{type(problem).__name__}: {problem}"
    InboundActivity.objects.filter(id=inbound.id).update(
        state=state, error=error[:2000], applied_at=timezone.now(), attempts=inbound.attempts + 1
    )


@task()
def apply_inbound_job(inbound_id: int) -> None:
    inbound = InboundActivity.objects.filter(id=inbound_id, state=InboundState.PENDING).first()
    if inbound is not None:
        apply(inbound)


# A stored activity still pending this long after it arrived lost its job: huey drops a job
# whose worker dies mid-task, and the SQLite queue does not fsync each enqueue
# (kith/jobs/queue.py).  The row is the durable record; the sweep enqueues it again, a few
# times at most (a row that makes apply() crash must not be retried every minute forever).
SWEEP_AFTER = timedelta(minutes=5)
SWEEP_LIMIT = 500
MAX_SWEEPS = 5
# Stored activities still to apply; no lease: applying one twice changes nothing.
INBOUND = DurableRows(
    InboundActivity, open_filter={"state": InboundState.PENDING}, due_field=None, lease_field=None
)


def sweep_pending_inbound(now: datetime | None = None) -> int:
    """Enqueue again the stored activities whose apply job was lost; returns how many."""
    now = now or timezone.now()
    lost = INBOUND.open().filter(received_at__lt=now - SWEEP_AFTER, attempts__lt=MAX_SWEEPS)
    ids = INBOUND.sweep(lost, order_by="received_at", limit=SWEEP_LIMIT, count_attempt=True)
    for inbound_id in ids:
        apply_inbound_job(inbound_id)
    return len(ids)


@resumes(apply_inbound_job)
def resume_pending_inbound(queued: Set[int]) -> int:
    """At a pod's start, queue again the stored activities whose job is not in the queue (it was
    running when the worker died), oldest first, instead of after SWEEP_AFTER.  Counted as a
    sweep: an activity that kills the worker must not be tried at every start for ever."""
    waiting = INBOUND.open().filter(attempts__lt=MAX_SWEEPS)
    ids = INBOUND.sweep(waiting, order_by="received_at", limit=SWEEP_LIMIT, count_attempt=True, skip=queued)
    for inbound_id in ids:
        apply_inbound_job(inbound_id)
    return len(ids)


@periodic(crontab(minute="*"))
def sweep_inbound_job() -> None:
    sweep_pending_inbound()
