"""Lists of posts: the stream, the pod's public timeline, tag streams and followed tags."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from kith.core.text import normalise_tag
from kith.social import selectors, services
from kith.web.helpers import back, list_page, me, member, next_max_id, page_from
from kith.web.views.posts import compose_form


def _timeline(request: HttpRequest, template: str, posts: list, **context) -> HttpResponse:
    return list_page(request, template, {"posts": posts, "next_max_id": next_max_id(posts), **context})


def stream(request: HttpRequest) -> HttpResponse:
    """Home: the person's stream with the compose box; visitors see the public timeline."""
    person = me(request)
    if person is None:
        return redirect("web:public")
    posts = selectors.stream(person, page_from(request))
    return _timeline(request, "web/stream.html", posts, form=compose_form(person), inline=True)


def public(request: HttpRequest) -> HttpResponse:
    return _timeline(request, "web/public.html", selectors.public_posts(me(request), page_from(request)))


def tag(request: HttpRequest, name: str) -> HttpResponse:
    viewer = me(request)
    name = normalise_tag(name)
    following = viewer is not None and name in selectors.followed_tag_names(viewer)
    posts = selectors.tag_posts(viewer, name, page_from(request))
    return _timeline(request, "web/tag.html", posts, tag=name, following=following)


@member
@require_POST
def tag_follow(request: HttpRequest, name: str, follow: bool) -> HttpResponse:
    if follow:
        services.follow_tag(me(request), name)
    else:
        services.unfollow_tag(me(request), name)
    return back(request, reverse("web:tag", args=[normalise_tag(name)]))


@member
def followed_tags(request: HttpRequest) -> HttpResponse:
    person = me(request)
    posts = selectors.followed_tags_posts(person, page_from(request))
    return _timeline(request, "web/followed_tags.html", posts, tags=selectors.followed_tag_names(person))
