"""Search for people, tags and posts (through kith.social.search, which asks visibility)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kith.social import search as engine
from kith.web.forms import SearchForm
from kith.web.helpers import me, next_max_id, page_from


def search(request: HttpRequest) -> HttpResponse:
    viewer = me(request)
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context = {"form": form, "query": query}
    if query:
        posts = engine.search_posts(viewer, query, page_from(request))
        context |= {
            "people": engine.search_people(viewer, query, limit=20),
            "tags": engine.search_tags(query, limit=20),
            "posts": posts,
            "next_max_id": next_max_id(posts),
        }
    return render(request, "web/search.html", context)
