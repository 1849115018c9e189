"""The person's settings: profile and data export (password and deletion are in accounts)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kith.core.errors import DomainError
from kith.people import services
from kith.people.export import export_person
from kith.web.forms import ProfileForm
from kith.web.helpers import me, member, render_form


@member
def profile(request: HttpRequest) -> HttpResponse:
    person = me(request)
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
    person = me(request)
    response = HttpResponse(export_person(person), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="kith-{person.username}.zip"'
    return response
