"""Domain -> ActivityStreams JSON.  Pure functions of domain objects; no HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from kith.federation.activitypub import uris
from kith.federation.activitypub.context import ACTOR_CONTEXT
from kith.people.keys import key_for
from kith.people.models import Person
from kith.visibility import media_is_sensitive


def _image(url_path: str, media_type: str = "image/png") -> dict[str, str]:
    return {"type": "Image", "mediaType": media_type, "url": f"{settings.KITH_URL}{url_path}"}


def actor(person: Person) -> dict[str, Any]:
    """The actor document of a local person (public profile only: private fields stay home)."""
    username = person.username
    document: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": uris.actor(username),
        "type": "Person",
        "preferredUsername": username,
        "name": person.display_name or username,
        "summary": person.bio_html,
        "url": uris.profile_page(username),
        "inbox": uris.inbox(username),
        "outbox": uris.outbox(username),
        "followers": uris.followers(username),
        "following": uris.following(username),
        "endpoints": {"sharedInbox": uris.shared_inbox()},
        "manuallyApprovesFollowers": person.locked,
        "discoverable": person.searchable,
        "indexable": person.searchable,
        "published": person.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "publicKey": {
            "id": uris.key_id(username),
            "owner": uris.actor(username),
            "publicKeyPem": key_for(person).public_key_pem,
        },
        "tag": [
            {"type": "Hashtag", "name": f"#{tag.name}", "href": f"{settings.KITH_URL}/tags/{tag.name}"}
            for tag in person.profile_tags.all()
        ],
        "attachment": [],
    }
    # The version in the URL changes with the picture: other servers fetch a picture again only
    # when its URL is new (Kith does, kith.federation.media_cache; so does Mastodon).
    if person.avatar:
        document["icon"] = _image(f"/avatars/{person.id}?v={person.avatar_version}")
    if person.header:
        document["image"] = _image(f"/headers/{person.id}?v={person.header_version}")
    if person.also_known_as:
        document["alsoKnownAs"] = list(person.also_known_as)
    if person.moved_to is not None:  # no query when moved_to_id is None
        document["movedTo"] = actor_uri(person.moved_to)
    return document


def instance_actor(public_key_pem: str) -> dict[str, Any]:
    """The pod itself, which signs fetches that are nobody's in particular (authorized fetch)."""
    return {
        "@context": ACTOR_CONTEXT,
        "id": uris.instance_actor(),
        "type": "Application",
        # The host name as Mastodon has it, without a port: a name with ":" is no valid username.
        "preferredUsername": urlsplit(settings.KITH_URL).hostname or settings.KITH_DOMAIN,
        "name": settings.KITH_DOMAIN,
        "url": f"{settings.KITH_URL}/about",
        "inbox": uris.shared_inbox(),
        "outbox": f"{uris.instance_actor()}/outbox",
        "endpoints": {"sharedInbox": uris.shared_inbox()},
        "manuallyApprovesFollowers": True,
        "publicKey": {"id": uris.instance_key_id(), "owner": uris.instance_actor(), "publicKeyPem": public_key_pem},
    }


def tombstone(object_id: str, former_type: str = "Person") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": object_id,
        "type": "Tombstone",
        "formerType": former_type,
    }


# ---- posts, comments and activities ---------------------------------------------------------


def actor_uri(person: Person) -> str:
    """The ActivityPub id of any person: ours are computed, others' come from their server."""
    if person.is_local:
        return uris.actor(person.username)
    return person.ap_actor.uri


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def post_uri(post) -> str:
    if post.author.is_local:
        return uris.post(post.author.username, post.id)
    return post.ap_object.uri


def comment_uri(comment) -> str:
    if comment.author.is_local:
        return uris.comment(comment.author.username, comment.id)
    return comment.ap_object.uri


def addressing(post, audience: list[Person] | None = None) -> dict[str, list[str]]:
    """to/cc as Mastodon reads them.  A limited post names each member and nothing else:
    never Public, never a followers collection, so no server can widen it."""
    from kith.federation.activitypub.context import AS_PUBLIC
    from kith.social.models import Visibility

    followers = uris.followers(post.author.username)
    if post.visibility == Visibility.PUBLIC:
        return {"to": [AS_PUBLIC], "cc": [followers]}
    if post.visibility == Visibility.UNLISTED:
        return {"to": [followers], "cc": [AS_PUBLIC]}
    members = audience if audience is not None else [row.person for row in post.audience.select_related("person__ap_actor")]
    return {"to": sorted(actor_uri(person) for person in members), "cc": []}


def _tags(post_or_comment_html_tags, mentions: list[Person]) -> list[dict[str, str]]:
    tags = [
        {"type": "Hashtag", "name": f"#{name}", "href": f"{settings.KITH_URL}/tags/{name}"}
        for name in post_or_comment_html_tags
    ]
    tags += [{"type": "Mention", "name": f"@{person.handle}", "href": actor_uri(person)} for person in mentions]
    return tags


def _attachments(post) -> list[dict[str, Any]]:
    attachments = []
    for item in post.media.all():
        entry: dict[str, Any] = {
            "type": "Document",
            "mediaType": item.content_type,
            "url": item.remote_url or f"{settings.KITH_URL}/media/{item.id}/original",
            "name": item.description or None,
            "blurhash": item.blurhash or None,
            "focalPoint": [item.focus_x, item.focus_y],
        }
        if item.width and item.height:
            entry["width"], entry["height"] = item.width, item.height
        attachments.append(entry)
    return attachments


@dataclass(frozen=True)
class Thread:
    """Where a message (a direct post) stands in its conversation."""

    context: str  # shared by every message of the conversation
    in_reply_to: str | None  # the message before it
    subject: str | None  # sent with the first message only, as its `name`


def note(post, audience: list[Person] | None = None, thread: Thread | None = None) -> dict[str, Any]:
    """A local post as a Note (or a Question when it has a poll).

    A message (`thread` given) is addressed to the other participants, each with a
    Mention tag, as Mastodon marks a direct message; it replies to the message before it
    and carries the conversation's `context` (and Mastodon's `conversation`), so every
    participant's server files it in the same conversation.
    """
    from kith.federation.activitypub.context import OBJECT_CONTEXT

    author = post.author
    document: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": post_uri(post),
        "type": "Note",
        "attributedTo": actor_uri(author),
        "content": post.html,
        "source": {"content": post.source, "mediaType": "text/markdown"},
        "summary": post.content_warning or None,
        "sensitive": media_is_sensitive(post),  # staff marking the post or its author included
        "published": _iso(post.created_at),
        "url": f"{settings.KITH_URL}/posts/{post.id}",
        **addressing(post, audience),
        "tag": _tags(post.tags.values_list("name", flat=True), list(post.mentions.select_related("ap_actor"))),
        "attachment": _attachments(post),
    }
    if thread is not None:
        document["context"] = document["conversation"] = thread.context
        if thread.in_reply_to:
            document["inReplyTo"] = thread.in_reply_to
        elif thread.subject:
            document["name"] = thread.subject
        mentioned = {tag["href"] for tag in document["tag"] if tag["type"] == "Mention"}
        document["tag"] += [
            {"type": "Mention", "name": f"@{person.handle}", "href": actor_uri(person)}
            for person in (audience or [])
            if actor_uri(person) not in mentioned
        ]
    if post.edited_at:
        document["updated"] = _iso(post.edited_at)
    if hasattr(post, "poll"):
        poll = post.poll
        document["type"] = "Question"
        choices = [
            {"type": "Note", "name": option.title, "replies": {"type": "Collection", "totalItems": option.votes_count}}
            for option in poll.options.all()
        ]
        document["anyOf" if poll.multiple else "oneOf"] = choices
        document["votersCount"] = poll.voters_count
        if poll.expires_at:
            document["endTime"] = _iso(poll.expires_at)
    return document


def comment_note(comment, audience_addressing: dict[str, list[str]]) -> dict[str, Any]:
    """A comment is a Note replying to its post (or to the comment it answers), addressed like the post."""
    from kith.federation.activitypub.context import OBJECT_CONTEXT

    in_reply_to = comment_uri(comment.parent) if comment.parent_id else post_uri(comment.post)
    post_author = comment.post.author
    to = sorted(set(audience_addressing["to"]) | {actor_uri(post_author)} - {actor_uri(comment.author)})
    return {
        "@context": OBJECT_CONTEXT,
        "id": comment_uri(comment),
        "type": "Note",
        "attributedTo": actor_uri(comment.author),
        "inReplyTo": in_reply_to,
        "content": comment.html,
        "source": {"content": comment.source, "mediaType": "text/markdown"},
        "published": _iso(comment.created_at),
        "url": f"{settings.KITH_URL}/posts/{comment.post_id}#comment-{comment.id}",
        "to": to,
        "cc": audience_addressing["cc"],
        "tag": [{"type": "Mention", "name": f"@{post_author.handle}", "href": actor_uri(post_author)}],
        **({"updated": _iso(comment.edited_at)} if comment.edited_at else {}),
    }


def wrap(activity_type: str, actor: Person, obj: Any, *, activity_id: str, to=None, cc=None, **extra) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id,
        "type": activity_type,
        "actor": actor_uri(actor),
        "object": obj,
    }
    if to is not None:
        document["to"] = to
    if cc is not None:
        document["cc"] = cc
    document.update(extra)
    return document
