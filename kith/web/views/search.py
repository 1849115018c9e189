"""Search for people, tags and posts (through kith.social.search, which asks visibility)."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kith.federation.lookup import find_remote_post
from kith.social import search as engine
from kith.visibility import can_see_post
from kith.web.forms import SearchForm
from kith.web.helpers import list_page, me, next_max_id, page_from
from kith.web.lookup import find_person

URL_RE = re.compile(r"^https?://\S+$")
HANDLE_RE = re.compile(r"^@?[\w.-]+@[\w.-]+(:\d+)?$")


def _with_remote(viewer, query: str, people: list) -> list:
    """A full handle (name@other.pod) also finds the person on their pod, for logged-in people."""
    if viewer is None or not HANDLE_RE.match(query):
        return people
    person = find_person(query, viewer)
    return [person, *[p for p in people if p.id != person.id]] if person is not None else people


def search(request: HttpRequest) -> HttpResponse:
    viewer = me(request)
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context = {"form": form, "query": query}
    if query and viewer is not None and URL_RE.match(query):
        # A post's address from another server: fetch it (public posts only) and open it.
        post = find_remote_post(query)
        if post is not None and can_see_post(viewer, post):
            return redirect("web:post", post.id)
    if query:
        posts = engine.search_posts(viewer, query, page_from(request))
        context |= {
            "people": _with_remote(viewer, query, engine.search_people(viewer, query, limit=20)),
            "tags": engine.search_tags(query, limit=20),
            "posts": posts,
            "next_max_id": next_max_id(posts),
        }
    return list_page(request, "web/search.html", context)
