"""The person's settings: profile and data export (password and deletion are in accounts)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kith.core.errors import DomainError, Invalid
from kith.people import services
from kith.people.export import export_person
from kith.social import lookup
from kith.social.lookup import find_person
from kith.web.forms import AliasesForm, MoveForm, ProfileForm
from kith.web.helpers import member, member_account, member_person, render_form, submitted


@member
def profile(request: HttpRequest) -> HttpResponse:
    person = member_person(request)
    initial = ProfileForm.initial_for(person, [tag.name for tag in person.profile_tags.all()])
    if request.method != "POST":
        return render_form(request, "web/settings/profile.html", {}, form=ProfileForm(initial=initial))
    form = ProfileForm(request.POST, request.FILES, initial=initial)
    if form.is_valid():
        try:
            services.update_profile(person, **form.service_arguments())
        except DomainError as exc:
            return render_form(request, "web/settings/profile.html", {}, form=form, error=exc)
        messages.success(request, _("Your profile has been saved."))
        return redirect("web:settings_profile")
    return render_form(request, "web/settings/profile.html", {}, form=form)


@member
def export(request: HttpRequest) -> HttpResponse:
    """GET explains; POST downloads the archive (a POST, so a link elsewhere cannot start it)."""
    if request.method != "POST":
        return render(request, "web/settings/export.html")
    person = member_person(request)
    response = HttpResponse(export_person(person), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="kith-{person.username}.zip"'
    return response


@member
def aliases(request: HttpRequest) -> HttpResponse:
    """The accounts this one also is: listing the old one is the first step of moving here."""
    person = member_person(request)
    form = AliasesForm(submitted(request), initial={"handles": "\n".join(person.also_known_as)})
    if form.is_bound and form.is_valid():
        try:
            services.set_aliases(person, lookup.resolve_aliases(person, form.handle_list()))
        except DomainError as exc:
            return render_form(request, "web/settings/aliases.html", {}, form=form, error=exc)
        messages.success(request, _("Your aliases have been saved."))
        return redirect("web:settings_aliases")
    return render_form(request, "web/settings/aliases.html", {}, form=form)


@member
def move(request: HttpRequest) -> HttpResponse:
    """Move to another account (which must list this one as an alias first); followers go along."""
    person = member_person(request)
    form = MoveForm(submitted(request), account=member_account(request))
    context = {"moved_to": person.moved_to}
    if form.is_bound and form.is_valid():
        try:
            target = find_person(form.cleaned_data["handle"], person)
            if target is None:
                raise Invalid(_("No such account was found."))
            services.move_account(
                person, target, own_uri=lookup.actor_uri(person), target_aliases=lookup.current_aliases(target)
            )
        except DomainError as exc:
            return render_form(request, "web/settings/move.html", context, form=form, error=exc)
        messages.success(request, _("Your account has moved."))
        return redirect("web:settings_move")
    return render_form(request, "web/settings/move.html", context, form=form)
