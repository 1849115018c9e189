"""Search for people, tags and posts (through kith.social.search, which asks visibility)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from kith.people.models import Person
from kith.social import search as engine
from kith.social.lookup import Lookup, Missing, is_address, look_up_address
from kith.social.models import Post
from kith.visibility import can_see_post
from kith.web.forms import SearchForm
from kith.web.helpers import list_page, me, next_max_id, page_from


def why_nobody(lookup: Lookup) -> str:
    """"Nobody found" says why, when a handle or an address was looked up and nothing came."""
    host = lookup.host or _("that server")
    reasons = {
        Missing.MALFORMED: _(
            "That is not an address anyone can be found by. People on other pods are found by "
            "name@pod.example or by the address of their profile."
        ),
        Missing.UNKNOWN_ACCOUNT: _("%(host)s has no account by that name.") % {"host": host},
        Missing.NOT_FEDIVERSE: _(
            "%(host)s does not look like a fediverse server: it answers neither WebFinger nor ActivityPub."
        ) % {"host": host},
        Missing.UNREACHABLE: _("%(host)s could not be reached. Try again later.") % {"host": host},
        Missing.TIMED_OUT: _("%(host)s did not answer in time. Try again later.") % {"host": host},
        Missing.PRIVATE_ADDRESS: _(
            "%(host)s is on a private network, which this pod does not contact."
        ) % {"host": host},
        Missing.NOTHING_TO_SHOW: _(
            "There is nothing at that address this pod can show: only people and public posts are looked up."
        ),
    }
    return reasons[lookup.missing] if lookup.missing is not None else ""


def search(request: HttpRequest) -> HttpResponse:
    viewer = me(request)
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context = {"form": form, "query": query}
    lookup = look_up_address(query, viewer) if query and is_address(query) else Lookup()
    if isinstance(lookup.found, Post) and can_see_post(viewer, lookup.found):
        # A post's address (this pod's, or another server's public post, fetched): open it.
        return redirect("web:post", lookup.found.id)
    if query:
        posts = engine.search_posts(viewer, query, page_from(request))
        people = engine.search_people(viewer, query, limit=20)
        if isinstance(lookup.found, Person):
            people = [lookup.found, *[p for p in people if p.id != lookup.found.id]]
        context |= {
            "people": people,
            "why_nobody": "" if people else why_nobody(lookup),
            "tags": engine.search_tags(query, limit=20),
            "posts": posts,
            "next_max_id": next_max_id(posts),
        }
    return list_page(request, "web/search.html", context)
