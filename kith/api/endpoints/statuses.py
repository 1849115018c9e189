"""Statuses: /api/v1/statuses/...  A status is a Kith post or a comment on one."""

from __future__ import annotations

from django.http import HttpRequest

from kith.api import entities
from kith.api.auth import PUBLIC, viewer
from kith.api.routing import ApiRouter
from kith.api.schemas import Status
from kith.core.errors import NotFound
from kith.social import selectors as posts
from kith.social.models import Comment, Post

router = ApiRouter(tags=["statuses"])


def visible_status(request: HttpRequest, status_id: int) -> Post | Comment:
    """The post or comment with this id, if the viewer may see it; NotFound otherwise."""
    reader = viewer(request)
    if Post.objects.filter(id=status_id).exists():
        return posts.post_for(reader, status_id)
    comment = posts.comment_for(reader, status_id)
    if comment is None:
        raise NotFound("Record not found")
    return comment


@router.get("/v1/statuses/{status_id}", response=Status, auth=PUBLIC)
def get_status(request: HttpRequest, status_id: int) -> dict:
    return entities.status(viewer(request), visible_status(request, status_id))
