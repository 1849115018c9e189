"""What moderation did to a person, as they see it: /settings/moderation (warnings, limits and
other actions with the appeal form) and the log-in refusal of a frozen or suspended account,
which names the actions and takes an appeal although the person cannot log in."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.errors import DomainError, NotFound
from kith.moderation import actions
from kith.moderation.models import AccountAction
from kith.people.models import Account, AccountState, Person
from kith.web.helpers import error_page, member, member_person

# The session of someone whose log-in was refused (frozen or suspended, right password): it
# lets them appeal and nothing else; it is no log-in.
REFUSED_SESSION_KEY = "kith_refused_account_id"


def _with_appeal_state(person: Person, rows: list[AccountAction]) -> list[AccountAction]:
    for action in rows:
        action.appealable = actions.can_appeal(person, action)  # type: ignore[attr-defined]
        action.appeal_deadline = actions.appeal_deadline(action)  # type: ignore[attr-defined]
    return rows


@member
def moderation_settings(request: HttpRequest) -> HttpResponse:
    """Every action taken on the person, with its reason, rules and appeal."""
    person = member_person(request)
    rows = _with_appeal_state(person, actions.actions_for(person))
    return render(request, "web/settings/moderation.html", {"history": rows})


@member
@require_POST
def appeal(request: HttpRequest, action_id: int) -> HttpResponse:
    person = member_person(request)
    try:
        actions.file_appeal(person, actions.action_for_target(person, action_id), request.POST.get("text", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your appeal is with the moderators; you will be told their decision."))
    return redirect(reverse("web:settings_moderation") + f"#action-{action_id}")


def refused_account(name: str, password: str) -> Account | None:
    """The frozen or suspended account a log-in named, when the password is right (only then
    does the page say why it is refused)."""
    if not name or not password:
        return None
    account = Account.objects.filter(username__iexact=name).first() or Account.objects.filter(
        email__iexact=name
    ).first()
    if account is None or account.state not in (AccountState.FROZEN, AccountState.SUSPENDED):
        return None
    return account if account.check_password(password) else None


def _refusal_page(request: HttpRequest, person: Person, status: int = 403) -> HttpResponse:
    rows = _with_appeal_state(person, actions.actions_in_force(person))
    return render(request, "web/accounts/login_refused.html", {"target": person, "history": rows}, status=status)


def login_refused(request: HttpRequest, account: Account) -> HttpResponse:
    """The log-in page's answer to a frozen or suspended account with the right password."""
    request.session[REFUSED_SESSION_KEY] = account.pk
    return _refusal_page(request, account.person)


@require_POST
def refused_appeal(request: HttpRequest, action_id: int) -> HttpResponse:
    """An appeal from the refusal page: the session must be the one the refusal opened."""
    account_id = request.session.get(REFUSED_SESSION_KEY)
    account = Account.objects.filter(pk=account_id).select_related("person").first() if account_id else None
    if account is None or account.state not in (AccountState.FROZEN, AccountState.SUSPENDED):
        return error_page(request, NotFound("Log in again to appeal."))
    person = account.person
    try:
        actions.file_appeal(person, actions.action_for_target(person, action_id), request.POST.get("text", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
        return _refusal_page(request, person, status=exc.status)
    messages.success(request, _("Your appeal is with the moderators; log in again later to see their decision."))
    return _refusal_page(request, person, status=200)
