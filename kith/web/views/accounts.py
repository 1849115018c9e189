"""Sign-up, log-in/out, password change and reset, account deletion."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kith.core.errors import DomainError
from kith.jobs import enqueue_on_commit
from kith.moderation import rules as pod_rules
from kith.people import services, throttle
from kith.people.mail import deliver_mail_job
from kith.web.forms import DeleteAccountForm, LoginForm, PasswordChangeForm, SignupForm
from kith.web.helpers import member, member_account, render_form, submitted
from kith.web.views import appeals


def _locked_page(request: HttpRequest, template: str, context: dict, lockout: throttle.Lockout) -> HttpResponse:
    """The page again with the lockout's message (when to try again), as 429 with Retry-After."""
    response = render(request, template, {**context, "lockout": lockout}, status=429)
    response["Retry-After"] = str(lockout.retry_after)
    return response


def _signup_context() -> dict[str, Any]:
    """Who signs up agrees to the pod's rules: the page shows them above the form."""
    return {"rules": pod_rules.active_rules()}


def signup(request: HttpRequest) -> HttpResponse:
    if not settings.KITH_REGISTRATIONS_OPEN:
        return render(request, "web/accounts/signup_closed.html", status=403)
    if request.user.is_authenticated:
        return redirect("web:stream")
    form = SignupForm(submitted(request))
    if form.is_bound and form.is_valid() and settings.KITH_SIGNUP_CONFIRM_EMAIL:
        # The same answer for a free and a taken e-mail address: "check your e-mail".
        data = form.cleaned_data
        try:
            throttle.email_requested(data["email"], throttle.client_address(request.META))
            services.request_signup(data["username"], data["email"], data["password"], language=get_language())
        except throttle.LockedOut as exc:
            return _locked_page(request, "web/accounts/signup.html", {"form": form, **_signup_context()}, exc.lockout)
        except DomainError as exc:
            return render_form(request, "web/accounts/signup.html", _signup_context(), form=form, error=exc)
        return redirect("web:signup_sent")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            # The starting aspects are named in the language the page is shown in.
            account = services.create_local_account(
                data["username"], data["email"], data["password"], default_aspects=True, language=get_language()
            )
        except DomainError as exc:
            return render_form(request, "web/accounts/signup.html", _signup_context(), form=form, error=exc)
        login(request, account)
        return redirect("web:stream")
    return render_form(request, "web/accounts/signup.html", _signup_context(), form=form)


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "web/accounts/signup_sent.html")


def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation e-mail: a page with a button (mail scanners open links, they
    do not press buttons); pressing it makes the account and logs in."""
    if not settings.KITH_REGISTRATIONS_OPEN:
        return render(request, "web/accounts/signup_closed.html", status=403)
    pending = services.pending_signup(token)
    if pending is None:
        return render(request, "web/accounts/signup_confirm.html", {"invalid": True}, status=404)
    if request.method == "POST":
        try:
            account = services.confirm_signup(token)
        except DomainError as exc:
            return render(request, "web/accounts/signup_confirm.html", {"pending": pending, "error": exc},
                          status=exc.status)
        if request.user.is_authenticated:
            logout(request)
        login(request, account, backend="kith.people.auth.AccountBackend")
        return redirect("web:stream")
    return render(request, "web/accounts/signup_confirm.html", {"pending": pending})


class LoginView(auth_views.LoginView):
    """Log-in with brute-force protection (kith/people/throttle.py): while the name typed or the
    client's address is locked, every attempt is refused unchecked with when to try again."""

    template_name = "web/accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        name = request.POST.get("username", "")
        address = throttle.client_address(request.META)
        try:
            throttle.check_login(name, address)
        except throttle.LockedOut as exc:
            return self.locked(name, exc.lockout)
        form = self.get_form()
        if form.is_valid():
            throttle.login_succeeded(name, form.get_user())
            return self.form_valid(form)
        refused = appeals.refused_account(name, request.POST.get("password", ""))
        if refused is not None:
            # Frozen or suspended, with the right password: say why, and take an appeal.
            return appeals.login_refused(request, refused)
        if name and request.POST.get("password"):
            lockout = throttle.login_failed(name, address)
            if lockout is not None:
                return self.locked(name, lockout)
        return self.form_invalid(form)

    def locked(self, name: str, lockout: throttle.Lockout) -> HttpResponse:
        form = self.authentication_form(self.request, initial={"username": name})
        response = self.render_to_response(self.get_context_data(form=form, lockout=lockout), status=429)
        response["Retry-After"] = str(lockout.retry_after)
        return response


# POST only (Django's default): a link on another site cannot log anyone out.
logout_view = auth_views.LogoutView.as_view()


@member
def password_change(request: HttpRequest) -> HttpResponse:
    account = member_account(request)
    form = PasswordChangeForm(submitted(request))
    if form.is_bound and form.is_valid():
        try:
            services.change_password(account, form.cleaned_data["old_password"], form.cleaned_data["new_password"])
        except DomainError as exc:
            return render_form(request, "web/settings/password.html", {}, form=form, error=exc)
        update_session_auth_hash(request, account)
        messages.success(request, _("Your password has been changed."))
        return redirect("web:password_change")
    return render_form(request, "web/settings/password.html", {}, form=form)


@member
def delete_account(request: HttpRequest) -> HttpResponse:
    account = member_account(request)
    form = DeleteAccountForm(submitted(request), account=account)
    if form.is_bound and form.is_valid():
        services.delete_account(account)
        logout(request)
        messages.success(request, _("Your account has been deleted."))
        return redirect("web:login")
    return render_form(request, "web/settings/delete.html", {}, form=form)


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's form, its e-mail sent by the job worker: a known address answers as fast as an
    unknown one."""

    def send_mail(self, subject_template_name: str, email_template_name: str, context: dict[str, Any],
                  from_email: str | None, to_email: str, html_email_template_name: str | None = None) -> None:
        subject = " ".join(render_to_string(subject_template_name, context).split())
        body = render_to_string(email_template_name, context)
        enqueue_on_commit(deliver_mail_job, subject, body, to_email)


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer for known and unknown addresses; requests per e-mail address and per
    client address are throttled alike (kith/people/throttle.py)."""

    form_class = QueuedPasswordResetForm

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            throttle.email_requested(form.cleaned_data["email"], throttle.client_address(self.request.META))
        except throttle.LockedOut as exc:
            return _locked_page(self.request, self.get_template_names()[0], self.get_context_data(form=form), exc.lockout)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        # A new password chosen through the owner's mailbox lifts the account's lockout.
        if self.user is not None:  # always set here: the link's token was valid
            throttle.lift(self.user.username)
        return super().form_valid(form)


password_reset = PasswordResetView.as_view(
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
password_reset_confirm = PasswordResetConfirmView.as_view(
    template_name="web/accounts/password_reset_confirm.html", success_url=reverse_lazy("web:password_reset_complete")
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="web/accounts/password_reset_complete.html"
)
