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
from kith.web.helpers import member, member_person, render_form, submitted


@member
def contacts(request: HttpRequest) -> HttpResponse:
    person = member_person(request)
    context = {
        "aspects": selectors.aspects_with_members(person),
        "followers": selectors.followers(person, person).order_by("username"),
        "following": selectors.following(person, person).order_by("username"),
        "requests": selectors.follow_requests(person).order_by("username"),
    }
    return render(request, "web/contacts.html", context)


@member
def aspects(request: HttpRequest) -> HttpResponse:
    """The aspects with their members; POST creates one."""
    person = member_person(request)
    form = AspectForm(submitted(request))
    if form.is_bound and form.is_valid():
        try:
            services.create_aspect(person, form.cleaned_data["name"])
        except DomainError as exc:
            return render_form(request, "web/aspects.html", aspects_context(person), form=form, error=exc)
        return redirect("web:aspects")
    return render_form(request, "web/aspects.html", aspects_context(person), form=form)


def aspects_context(person: Person) -> dict:
    return {"aspects": selectors.aspects_with_members(person)}


def _own_aspect(person: Person, aspect_id: int) -> Aspect:
    aspect = selectors.aspects_of(person).filter(id=aspect_id).first()
    if aspect is None:
        raise Http404("No such aspect.")
    return aspect


@member
@require_POST
def aspect_rename(request: HttpRequest, aspect_id: int) -> HttpResponse:
    person = member_person(request)
    form = AspectForm(request.POST)
    if form.is_valid():
        try:
            services.rename_aspect(person, _own_aspect(person, aspect_id), form.cleaned_data["name"])
        except DomainError as exc:  # a name taken already: said on the aspects page, not a page of its own
            messages.error(request, str(exc))
    else:
        messages.error(request, _("An aspect needs a name."))
    return redirect("web:aspects")


@member
@require_POST
def aspect_delete(request: HttpRequest, aspect_id: int) -> HttpResponse:
    person = member_person(request)
    services.delete_aspect(person, _own_aspect(person, aspect_id))
    return redirect("web:aspects")


@member
@require_POST
def aspect_member(request: HttpRequest, aspect_id: int, add: bool) -> HttpResponse:
    """Add someone to an aspect by handle, or remove them."""
    person = member_person(request)
    aspect = _own_aspect(person, aspect_id)
    form = AddContactForm(request.POST, viewer=person)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors.get("handle", [])))
        return redirect("web:aspects")
    try:
        if add:
            services.add_to_aspect(person, aspect, form.cleaned_data["handle"])
        else:
            services.remove_from_aspect(person, aspect, form.cleaned_data["handle"])
    except DomainError as exc:  # a blocked person, say: said on the aspects page
        messages.error(request, str(exc))
    return redirect("web:aspects")
