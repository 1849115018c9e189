"""Social's sections of a person's data export (see kith.people.export)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from kith.people.export import ExportFiles, add_file, export_id, export_time, handles, section
from kith.people.models import Person
from kith.social.models import Comment, Like, Media, MediaState, Post, TagFollow


def _media_entry(media: Media, files: ExportFiles) -> dict[str, Any]:
    return {
        "id": export_id(media.id),
        "file": add_file(files, media.file, str(media.id)),
        "content_type": media.content_type,
        "description": media.description,
        "focus": [media.focus_x, media.focus_y],
        "width": media.width,
        "height": media.height,
    }


@section("posts")
def _posts(person: Person, files: ExportFiles) -> list[dict[str, Any]]:
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
                "id": export_id(post.id),
                "created_at": export_time(post.created_at),
                "edited_at": export_time(post.edited_at),
                "visibility": post.visibility,
                "source": post.source,
                "html": post.html,
                "content_warning": post.content_warning,
                "language": post.language,
                "audience": handles(entry.person for entry in post.audience.all()),
                "aspects": sorted(aspect.name for aspect in post.aspects.all()),
                "tags": sorted(tag.name for tag in post.tags.all()),
                "reshare_of": (
                    {"id": export_id(post.reshare_of_id), "author": post.reshare_of.author.handle} if post.reshare_of is not None else None
                ),
                "media": [_media_entry(m, files) for m in post.media.all()],
                "poll": (
                    {
                        "options": [option.title for option in poll.options.all()],
                        "multiple": poll.multiple,
                        "expires_at": export_time(poll.expires_at),
                    }
                    if poll is not None
                    else None
                ),
            }
        )
    return exported


@section("comments")
def _comments(person: Person, files: ExportFiles) -> list[dict[str, Any]]:
    return [
        {
            "id": export_id(c.id),
            "post_id": export_id(c.post_id),
            "parent_id": export_id(c.parent_id),
            "created_at": export_time(c.created_at),
            "edited_at": export_time(c.edited_at),
            "source": c.source,
            "html": c.html,
        }
        for c in Comment.objects.filter(author=person).order_by("id")
    ]


@section("likes")
def _likes(person: Person, files: ExportFiles) -> list[dict[str, Any]]:
    return [
        {"post_id": export_id(like.post_id), "comment_id": export_id(like.comment_id), "created_at": export_time(like.created_at)}
        for like in Like.objects.filter(person=person).order_by("id")
    ]


@section("followed_tags")
def _followed_tags(person: Person, files: ExportFiles) -> list[str]:
    return sorted(f.tag.name for f in TagFollow.objects.filter(person=person).select_related("tag"))


@section("media")
def _unattached_media(person: Person, files: ExportFiles) -> list[dict[str, Any]]:
    """Photos uploaded but not (yet) in a post; those in posts are listed with their post."""
    media = Media.objects.filter(owner=person, post__isnull=True, state=MediaState.READY).order_by("id")
    return [_media_entry(m, files) for m in media]
