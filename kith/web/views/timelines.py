"""Lists of posts: the stream, the aspect stream, the pod's public timeline, tag streams and
followed tags."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from kith.core.text import normalise_tag
from kith.graph import selectors as graph
from kith.social import selectors, services
from kith.timelines import selectors as timelines
from kith.timelines.models import FilterContext
from kith.timelines.reading import ReaderFilters
from kith.web.helpers import back, list_page, me, member, member_person, next_max_id, page_from, parse_id
from kith.web.views.posts import compose_form


def _timeline(request: HttpRequest, template: str, posts: list, *, filter_context: str, **context) -> HttpResponse:
    """A list of posts with the reader's filters for `filter_context` applied (kith.timelines.reading).
    Paging follows the posts read, hidden ones included: a page of hidden posts still leads on."""
    next_max = next_max_id(posts)
    shown = ReaderFilters(me(request), filter_context).apply_to_posts(posts)
    return list_page(request, template, {"posts": shown, "next_max_id": next_max, **context})


def stream(request: HttpRequest) -> HttpResponse:
    """Home: the person's stream with the compose box; visitors see the public timeline."""
    person = me(request)
    if person is None:
        return redirect("web:public")
    posts = timelines.stream(person, page_from(request))
    return _timeline(request, "web/stream.html", posts, filter_context=FilterContext.HOME, form=compose_form(person),
                     inline=True)


@member
def aspect_stream(request: HttpRequest) -> HttpResponse:
    """diaspora*'s "My aspects": posts by the people in the chosen aspects, and one's own posts
    to them.  The choice is the query string alone (`?aspect=ID`, repeated; none means all), so
    it works without JavaScript and nothing is remembered between visits.  Ids that are not
    one of the person's aspects choose nothing; if no id given is theirs, all are shown and the
    page says so."""
    person = member_person(request)
    aspects = list(graph.aspects_of(person))
    asked = request.GET.getlist("aspect")
    own = {aspect.id for aspect in aspects}
    picked = {parse_id(raw) for raw in asked} & own
    chosen = [aspect for aspect in aspects if aspect.id in picked] or aspects
    posts = timelines.aspects_stream(person, [a.id for a in chosen], page_from(request)) if aspects else []
    return _timeline(
        request, "web/aspect_stream.html", posts, filter_context=FilterContext.HOME, aspects=aspects, chosen_ids={a.id for a in chosen},
        chosen_names=", ".join(a.name for a in chosen), all_chosen=len(chosen) == len(aspects), unknown_asked=bool(asked) and not picked,
        list_query=urlencode([("aspect", a.id) for a in chosen]) if picked else "",
    )


def public(request: HttpRequest) -> HttpResponse:
    return _timeline(request, "web/public.html", timelines.public_posts(me(request), page_from(request)),
                     filter_context=FilterContext.PUBLIC)


def tag(request: HttpRequest, name: str) -> HttpResponse:
    viewer = me(request)
    name = normalise_tag(name)
    following = viewer is not None and name in selectors.followed_tag_names(viewer)
    posts = timelines.tag_posts(viewer, name, page_from(request))
    return _timeline(request, "web/tag.html", posts, filter_context=FilterContext.PUBLIC, tag=name, following=following)


@member
@require_POST
def tag_follow(request: HttpRequest, name: str, follow: bool) -> HttpResponse:
    if follow:
        services.follow_tag(member_person(request), name)
    else:
        services.unfollow_tag(member_person(request), name)
    return back(request, reverse("web:tag", args=[normalise_tag(name)]))


@member
def followed_tags(request: HttpRequest) -> HttpResponse:
    person = member_person(request)
    posts = timelines.followed_tags_posts(person, page_from(request))
    return _timeline(request, "web/followed_tags.html", posts, filter_context=FilterContext.HOME,
                     tags=selectors.followed_tag_names(person))
