"""The ActivityPub ids of local things.  Kept in one place: ids are forever."""

from __future__ import annotations

from django.conf import settings


def base() -> str:
    return settings.KITH_URL


def actor(username: str) -> str:
    return f"{base()}/users/{username}"


def key_id(username: str) -> str:
    return f"{actor(username)}#main-key"


def inbox(username: str) -> str:
    return f"{actor(username)}/inbox"


def outbox(username: str) -> str:
    return f"{actor(username)}/outbox"


def followers(username: str) -> str:
    return f"{actor(username)}/followers"


def following(username: str) -> str:
    return f"{actor(username)}/following"


def shared_inbox() -> str:
    return f"{base()}/inbox"


def instance_actor() -> str:
    return f"{base()}/actor"


def instance_key_id() -> str:
    return f"{instance_actor()}#main-key"


def post(username: str, post_id: int) -> str:
    return f"{actor(username)}/posts/{post_id}"


def profile_page(username: str) -> str:
    return f"{base()}/@{username}"


def conversation(conversation_id: int) -> str:
    """The `context` of a conversation started here (its page, for participants of this pod)."""
    return f"{base()}/conversations/{conversation_id}"


def local_conversation_id(context: str) -> int | None:
    """The id of a conversation started here, from its `context`; None for anyone else's."""
    prefix = conversation(0)[:-1]
    tail = context[len(prefix):] if context.startswith(prefix) else ""
    return int(tail) if tail.isdigit() and len(tail) <= 19 else None


def comment(username: str, comment_id: int) -> str:
    return f"{actor(username)}/comments/{comment_id}"


def like(username: str, like_id: int) -> str:
    return f"{actor(username)}/likes/{like_id}"


def activity(object_uri: str, verb: str, stamp: int | None = None) -> str:
    """An activity's id derived from its object: Create and Delete of one post have stable ids."""
    suffix = f"/{verb}" if stamp is None else f"/{verb}/{stamp}"
    return f"{object_uri}/activity{suffix}"
