"""In-process builders of API test data that exercise every part of a status.

Used by the query-count, schemathesis and visibility-walk tests: posts with photos,
polls, tags, mentions, content warnings, comments, likes, reshares, so a page of
them touches every relation the entity renderer loads.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kith.graph import services as graph
from kith.people.models import Person
from kith.social import services
from kith.social.media import upload_media
from kith.social.models import Comment, Media, Post, Visibility


def png_bytes(size: tuple[int, int] = (24, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def photo(owner: Person, description: str = "A red square") -> Media:
    """An uploaded photo (processed at once: tests run jobs synchronously on commit)."""
    media = upload_media(owner, SimpleUploadedFile("red.png", png_bytes(), content_type="image/png"),
                         description=description)
    media.refresh_from_db()
    return media


@dataclass
class Rich:
    """What `rich_posts` made, for tests that need ids."""

    posts: list[Post] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    reshares: list[Post] = field(default_factory=list)


def rich_post(author: Person, n: int, *, mention: Person | None = None, tag: str = "kithtest") -> Post:
    """A public post with a photo, a poll, a tag, a mention and a content warning."""
    text = f"Rich post {n} about #{tag}" + (f" for @{mention.username}" if mention else "")
    return services.publish_post(
        author,
        text,
        visibility=Visibility.PUBLIC,
        content_warning=f"warning {n}",
        media_ids=[photo(author).id],
        poll=services.PollDraft(options=[f"yes {n}", f"no {n}"]),
    )


def rich_posts(author: Person, others: list[Person], count: int, *, tag: str = "kithtest") -> Rich:
    """`count` rich posts by `author`; each of `others` comments, likes and (every other one)
    reshares them, so timelines, notifications and account pages see reblogs and replies."""
    made = Rich()
    for n in range(count):
        post = rich_post(author, n, mention=others[0] if others else None, tag=tag)
        made.posts.append(post)
        for index, other in enumerate(others):
            made.comments.append(services.add_comment(other, post, f"Comment {n} by {other.username} #{tag}"))
            services.like(other, post=post)
            if (n + index) % 2 == 0:
                made.reshares.append(services.reshare(other, post))
    return made


def befriend(a: Person, b: Person) -> None:
    """Mutual follows (accepted: neither account is locked in these tests)."""
    graph.follow(a, b)
    graph.follow(b, a)
