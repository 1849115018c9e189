"""Sign-up, log-in/out, password change and reset, account deletion."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kith.core.errors import DomainError
from kith.people import services
from kith.web.forms import DeleteAccountForm, LoginForm, PasswordChangeForm, SignupForm
from kith.web.helpers import member, render_form, submitted


def signup(request: HttpRequest) -> HttpResponse:
    if not settings.KITH_REGISTRATIONS_OPEN:
        return render(request, "web/accounts/signup_closed.html", status=403)
    if request.user.is_authenticated:
        return redirect("web:stream")
    form = SignupForm(submitted(request))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            # The starting aspects are named in the language the page is shown in.
            account = services.create_local_account(
                data["username"], data["email"], data["password"], default_aspects=True, language=get_language()
            )
        except DomainError as exc:
            return render_form(request, "web/accounts/signup.html", {}, form=form, error=exc)
        login(request, account)
        return redirect("web:stream")
    return render_form(request, "web/accounts/signup.html", {}, form=form)


class LoginView(auth_views.LoginView):
    template_name = "web/accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


# POST only (Django's default): a link on another site cannot log anyone out.
logout_view = auth_views.LogoutView.as_view()


@member
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(submitted(request))
    if form.is_bound and form.is_valid():
        try:
            services.change_password(request.user, form.cleaned_data["old_password"], form.cleaned_data["new_password"])
        except DomainError as exc:
            return render_form(request, "web/settings/password.html", {}, form=form, error=exc)
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("web:password_change")
    return render_form(request, "web/settings/password.html", {}, form=form)


@member
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(submitted(request), account=request.user)
    if form.is_bound and form.is_valid():
        services.delete_account(request.user)
        logout(request)
        messages.success(request, _("Your account has been deleted."))
        return redirect("web:login")
    return render_form(request, "web/settings/delete.html", {}, form=form)


password_reset = auth_views.PasswordResetView.as_view(
    # The link always points at the pod's public URL, never at whatever Host the request named.
    extra_email_context={
        "domain": settings.KITH_DOMAIN, "protocol": urlsplit(settings.KITH_URL).scheme, "site_name": settings.KITH_DOMAIN,
    },
    template_name="web/accounts/password_reset.html",
    email_template_name="web/email/password_reset.txt",
    subject_template_name="web/email/password_reset_subject.txt",
    success_url=reverse_lazy("web:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="web/accounts/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="web/accounts/password_reset_confirm.html", success_url=reverse_lazy("web:password_reset_complete")
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="web/accounts/password_reset_complete.html"
)
