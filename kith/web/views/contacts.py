"""Contacts (per aspect, followers, following, requests) and aspect management."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.errors import DomainError
from kith.graph import selectors, services
from kith.graph.models import Aspect
from kith.people.models import Person
from kith.web.forms import AddContactForm, AspectForm
from kith.web.helpers import me, member


@member
def contacts(request: HttpRequest) -> HttpResponse:
    person = me(request)
    context = {
        "aspects": selectors.aspects_with_members(person),
        "followers": selectors.followers(person, person).order_by("username"),
        "following": selectors.following(person, person).order_by("username"),
        "requests": selectors.follow_requests(person).order_by("username"),
    }
    return render(request, "web/contacts.html", context)


def _aspects_page(request: HttpRequest, person: Person, status: int = 200, **forms) -> HttpResponse:
    context = {"aspects": selectors.aspects_with_members(person), "form": AspectForm(), **forms}
    return render(request, "web/aspects.html", context, status=status)


@member
def aspects(request: HttpRequest) -> HttpResponse:
    person = me(request)
    if request.method != "POST":
        return _aspects_page(request, person)
    form = AspectForm(request.POST)
    if form.is_valid():
        try:
            services.create_aspect(person, form.cleaned_data["name"])
        except DomainError as exc:
            form.add_error(None, str(exc))
            return _aspects_page(request, person, exc.status, form=form)
        return redirect("web:aspects")
    return _aspects_page(request, person, 400, form=form)


def _own_aspect(person: Person, aspect_id: int) -> Aspect:
    aspect = selectors.aspects_of(person).filter(id=aspect_id).first()
    if aspect is None:
        raise Http404("No such aspect.")
    return aspect


@member
@require_POST
def aspect_rename(request: HttpRequest, aspect_id: int) -> HttpResponse:
    person = me(request)
    form = AspectForm(request.POST)
    if form.is_valid():
        services.rename_aspect(person, _own_aspect(person, aspect_id), form.cleaned_data["name"])
    else:
        messages.error(request, _("An aspect needs a name."))
    return redirect("web:aspects")


@member
@require_POST
def aspect_delete(request: HttpRequest, aspect_id: int) -> HttpResponse:
    person = me(request)
    services.delete_aspect(person, _own_aspect(person, aspect_id))
    return redirect("web:aspects")


@member
@require_POST
def aspect_member(request: HttpRequest, aspect_id: int, add: bool) -> HttpResponse:
    """Add someone to an aspect by handle, or remove them."""
    person = me(request)
    aspect = _own_aspect(person, aspect_id)
    form = AddContactForm(request.POST, viewer=person)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("handle", [])))
    elif add:
        services.add_to_aspect(person, aspect, form.cleaned_data["handle"])
    else:
        services.remove_from_aspect(person, aspect, form.cleaned_data["handle"])
    return redirect("web:aspects")
