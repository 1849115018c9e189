"""A person's data export: everything they wrote and arranged, as one ZIP.

The archive holds `kith-export.json` (see EXPORT_VERSION) and the person's
photos, avatar and header under `media/`.  It contains what is the person's
own: their private profile, their aspects and contacts, their posts with the
audience they chose, comments they wrote, likes they gave, tags they follow,
and the conversations they take part in.  Of other people it holds handles
only, never their profiles; their messages appear only where the person was a
participant and so has read them already.  Keys are left out: a private key in a
downloadable file is a key lost.

Size: `write_export` streams into any writable file (photos are copied in
chunks, not loaded whole), so a caller with a big account can write to a
temporary file.  `export_person` returns bytes and so holds the archive in
memory: fine for the accounts of a small pod (a few hundred photos, tens of
MB).  Photos are stored without recompression: JPEG and PNG are compressed already.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import IO, Any, cast

from django.conf import settings
from django.db.models import Prefetch
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from kith.graph.models import Aspect, Block, Follow, FollowState, Mute
from kith.messaging.models import Conversation, Message
from kith.people.models import Person
from kith.social.models import Comment, Like, Media, MediaState, Post, TagFollow
from kith.visibility import filter_by_post_visibility

# Raise when the layout of kith-export.json changes in a way a reader must know about.
EXPORT_VERSION = 1
JSON_NAME = "kith-export.json"


def export_person(person: Person) -> bytes:
    """The whole archive in memory (see the module docstring for the size assumption)."""
    buffer = io.BytesIO()
    write_export(person, buffer)
    return buffer.getvalue()


def write_export(person: Person, target: IO[bytes]) -> None:
    files: dict[str, FieldFile] = {}  # archive path -> stored file
    document = _document(person, files)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(JSON_NAME, json.dumps(document, ensure_ascii=False, indent=2))
        for path, stored in files.items():
            try:
                source = stored.storage.open(cast(str, stored.name), "rb")  # _add_file keeps named files only
            except FileNotFoundError:
                continue  # a file lost from storage must not cost the person the rest of their export
            with source, archive.open(zipfile.ZipInfo(path, _zip_time()), "w") as entry:
                shutil.copyfileobj(source, entry)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    return timezone.now().timetuple()[:6]


# ---- the JSON document ------------------------------------------------------------------


def _id(value: int | None) -> str | None:
    # Ids as strings: they are 64-bit, beyond what a JavaScript reader keeps exactly.
    return None if value is None else str(value)


def _time(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _handles(persons: Iterable[Person]) -> list[str]:
    return sorted(p.handle for p in persons)


def _add_file(files: dict[str, FieldFile], stored: FieldFile, name: str) -> str | None:
    if not stored.name:  # what `not stored` tests, in a form the type checker narrows
        return None
    path = f"media/{name}{PurePosixPath(stored.name).suffix.lower()}"
    files[path] = stored
    return path


def _document(person: Person, files: dict[str, FieldFile]) -> dict[str, Any]:
    return {
        "version": EXPORT_VERSION,
        "exported_at": _time(timezone.now()),
        "pod": settings.KITH_URL,
        "profile": _profile(person, files),
        "aspects": _aspects(person),
        "following": _handles(
            f.followee for f in Follow.objects.filter(follower=person, state=FollowState.ACCEPTED).select_related("followee")
        ),
        "followers": _handles(
            f.follower for f in Follow.objects.filter(followee=person, state=FollowState.ACCEPTED).select_related("follower")
        ),
        "blocked": _handles(b.blocked for b in Block.objects.filter(blocker=person).select_related("blocked")),
        "muted": _handles(m.muted for m in Mute.objects.filter(muter=person).select_related("muted")),
        "posts": _posts(person, files),
        "comments": [
            {
                "id": _id(c.id),
                "post_id": _id(c.post_id),
                "parent_id": _id(c.parent_id),
                "created_at": _time(c.created_at),
                "edited_at": _time(c.edited_at),
                "source": c.source,
                "html": c.html,
            }
            for c in Comment.objects.filter(author=person).order_by("id")
        ],
        "likes": [
            {"post_id": _id(like.post_id), "comment_id": _id(like.comment_id), "created_at": _time(like.created_at)}
            for like in Like.objects.filter(person=person).order_by("id")
        ],
        "followed_tags": sorted(f.tag.name for f in TagFollow.objects.filter(person=person).select_related("tag")),
        "conversations": _conversations(person),
        "media": _unattached_media(person, files),
    }


def _profile(person: Person, files: dict[str, FieldFile]) -> dict[str, Any]:
    return {
        "id": _id(person.id),
        "handle": person.handle,
        "username": person.username,
        "display_name": person.display_name,
        "bio": person.bio_source,
        "bio_html": person.bio_html,
        "location": person.location,
        "birthday": _time(person.birthday),
        "gender": person.gender,
        "tags": [tag.name for tag in person.profile_tags.all()],
        "searchable": person.searchable,
        "locked": person.locked,
        "created_at": _time(person.created_at),
        "avatar": _add_file(files, person.avatar, "avatar"),
        "header": _add_file(files, person.header, "header"),
    }


def _aspects(person: Person) -> list[dict[str, Any]]:
    aspects = Aspect.objects.filter(owner=person).prefetch_related("memberships__person")
    return [
        {"name": aspect.name, "contacts": _handles(m.person for m in aspect.memberships.all())} for aspect in aspects
    ]


def _media_entry(media: Media, files: dict[str, FieldFile]) -> dict[str, Any]:
    return {
        "id": _id(media.id),
        "file": _add_file(files, media.file, str(media.id)),
        "content_type": media.content_type,
        "description": media.description,
        "focus": [media.focus_x, media.focus_y],
        "width": media.width,
        "height": media.height,
    }


def _posts(person: Person, files: dict[str, FieldFile]) -> list[dict[str, Any]]:
    posts = (
        Post.objects.filter(author=person)
        .select_related("reshare_of__author", "poll")
        .prefetch_related(
            "audience__person",
            "aspects",
            "tags",
            Prefetch("media", queryset=Media.objects.filter(state=MediaState.READY)),
            "poll__options",
        )
        .order_by("id")
    )
    exported = []
    for post in posts:
        poll = getattr(post, "poll", None)
        exported.append(
            {
                "id": _id(post.id),
                "created_at": _time(post.created_at),
                "edited_at": _time(post.edited_at),
                "visibility": post.visibility,
                "source": post.source,
                "html": post.html,
                "content_warning": post.content_warning,
                "language": post.language,
                "audience": _handles(entry.person for entry in post.audience.all()),
                "aspects": sorted(aspect.name for aspect in post.aspects.all()),
                "tags": sorted(tag.name for tag in post.tags.all()),
                "reshare_of": (
                    {"id": _id(post.reshare_of_id), "author": post.reshare_of.author.handle} if post.reshare_of else None
                ),
                "media": [_media_entry(m, files) for m in post.media.all()],
                "poll": (
                    {
                        "options": [option.title for option in poll.options.all()],
                        "multiple": poll.multiple,
                        "expires_at": _time(poll.expires_at),
                    }
                    if poll is not None
                    else None
                ),
            }
        )
    return exported


def _unattached_media(person: Person, files: dict[str, FieldFile]) -> list[dict[str, Any]]:
    """Photos uploaded but not (yet) in a post; those in posts are listed with their post."""
    media = Media.objects.filter(owner=person, post__isnull=True, state=MediaState.READY).order_by("id")
    return [_media_entry(m, files) for m in media]


def _conversations(person: Person) -> list[dict[str, Any]]:
    conversations = (
        Conversation.objects.filter(participants__person=person)
        .prefetch_related(
            "participants__person",
            Prefetch(
                "messages",
                queryset=filter_by_post_visibility(person, Message.objects.all(), "post")
                .select_related("post__author")
                .order_by("post_id"),
            ),
        )
        .order_by("id")
    )
    return [
        {
            "id": _id(conversation.id),
            "subject": conversation.subject,
            "participants": _handles(p.person for p in conversation.participants.all()),
            "messages": [
                {
                    "id": _id(message.post_id),
                    "author": message.post.author.handle,
                    "created_at": _time(message.post.created_at),
                    "source": message.post.source,
                    "html": message.post.html,
                }
                for message in conversation.messages.all()
            ],
        }
        for conversation in conversations
    ]
