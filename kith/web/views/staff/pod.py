"""The moderation area: the pod's rules, its staff (roles) and the audit log.

Moderators read the rules and the staff list; only admins change them (kith.moderation and
kith.people.services.set_role decide: the views pass what was typed on)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kith.core.errors import DomainError, NotAllowed, NotFound
from kith.moderation import log as audit_log
from kith.moderation import permissions
from kith.moderation import rules as pod_rules
from kith.moderation.models import PodRule
from kith.people.models import Account, Role
from kith.people.services import set_role
from kith.web.helpers import admin_member, back, member_account, parse_id, staff_member

# ---- rules ------------------------------------------------------------------------------------


class RuleForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Rule"), max_length=pod_rules.MAX_RULE_TEXT)
    hint = forms.CharField(
        label=gettext_lazy("Explanation (optional)"), max_length=pod_rules.MAX_RULE_HINT, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Shown under the rule: what it means, with examples."),
    )


def _rule_form(rule: PodRule, data: QueryDict | None = None) -> RuleForm:
    return RuleForm(data, prefix=f"rule-{rule.id}", initial={"text": rule.text, "hint": rule.hint})


def _rules_page(
    request: HttpRequest, *, new: RuleForm | None = None, editing: tuple[int, RuleForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    rules = pod_rules.active_rules()
    may_edit = permissions.is_admin(member_account(request))
    rows = [
        {"rule": rule, "form": editing[1] if editing and editing[0] == rule.id else _rule_form(rule)}
        for rule in rules
    ]
    context = {
        "staff_section": "rules", "rows": rows, "may_edit": may_edit, "new_rule": new or RuleForm(prefix="new"),
        "open_rule": editing[0] if editing else None,
    }
    return render(request, "web/staff/rules.html", context, status=status)


@staff_member
def rules(request: HttpRequest) -> HttpResponse:
    return _rules_page(request)


@admin_member
@require_POST
def rule_add(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST, prefix="new")
    if not form.is_valid():
        return _rules_page(request, new=form, status=400)
    try:
        pod_rules.add_rule(member_account(request), form.cleaned_data["text"], form.cleaned_data["hint"])
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _rules_page(request, new=form, status=exc.status)
    messages.success(request, _("The rule was added."))
    return redirect("web:staff_rules")


@admin_member
@require_POST
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = next((rule for rule in pod_rules.active_rules() if rule.id == rule_id), None)
    if rule is None:
        raise NotFound(_("This pod has no such rule."))
    form = _rule_form(rule, request.POST)
    if not form.is_valid():
        return _rules_page(request, editing=(rule.id, form), status=400)
    try:
        pod_rules.edit_rule(member_account(request), rule.id, text=form.cleaned_data["text"],
                            hint=form.cleaned_data["hint"])
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _rules_page(request, editing=(rule.id, form), status=exc.status)
    messages.success(request, _("The rule was saved."))
    return redirect("web:staff_rules")


@admin_member
@require_POST
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, _("Move a rule up or down."))
    else:
        pod_rules.move_rule(member_account(request), rule_id, offset)
    return redirect(f"{reverse('web:staff_rules')}#rule-{rule_id}")


@admin_member
@require_POST
def rule_remove(request: HttpRequest, rule_id: int) -> HttpResponse:
    removed = pod_rules.remove_rule(member_account(request), rule_id)
    messages.success(request, _("The rule “%(text)s” was removed. Reports that cite it still show it.")
                     % {"text": removed.text})
    return redirect("web:staff_rules")


# ---- roles ------------------------------------------------------------------------------------

ROLE_CHOICES = [
    (Role.ADMIN.value, gettext_lazy("Admin")),
    (Role.MODERATOR.value, gettext_lazy("Moderator")),
    (Role.USER.value, gettext_lazy("User (no staff role)")),
]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=ROLE_CHOICES)
    reason = forms.CharField(label=gettext_lazy("Reason (for the audit log)"), max_length=1000, required=False)


class NewStaffForm(RoleForm):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=30)
    field_order = ["username", "role", "reason"]


@staff_member
def roles(request: HttpRequest) -> HttpResponse:
    """The pod's staff; an admin gives someone a role by username here (POST)."""
    account = member_account(request)
    form = NewStaffForm(request.POST if request.method == "POST" else None, initial={"role": Role.MODERATOR})
    status = 200
    if request.method == "POST":
        if not permissions.is_admin(account):
            raise NotAllowed(_("Only an admin changes roles."))  # moderators read the page, not the form
        status = 400  # unless the role is given
        if form.is_valid():
            target = Account.objects.filter(
                username__iexact=form.cleaned_data["username"].strip().lstrip("@"), person__domain=""
            ).first()
            if target is None:
                form.add_error("username", _("There is no account with this username here."))
            else:
                try:
                    set_role(account, target, form.cleaned_data["role"], form.cleaned_data["reason"])
                except DomainError as exc:
                    form.add_error(None, str(exc))
                    status = exc.status
                else:
                    _say_role_changed(request, target, form.cleaned_data["role"])
                    return redirect("web:staff_roles")
    staff = permissions.staff_members()
    context = {
        "staff_section": "roles", "form": form, "may_edit": permissions.is_admin(account),
        "staff": [
            {"person": person, "form": RoleForm(initial={"role": getattr(person.account, "role", "")},
                                                prefix=f"a{person.account_id}")}
            for person in staff
        ],
    }
    return render(request, "web/staff/roles.html", context, status=status)


@admin_member
@require_POST
def set_account_role(request: HttpRequest, account_id: int) -> HttpResponse:
    """POST role (admin|moderator|user), optional reason and next: the roles page's forms and the
    accounts helper's account page post here; back to `next` (a path on this site) or the roles page."""
    target = Account.objects.filter(id=account_id, person__domain="").select_related("person").first()
    if target is None:
        raise NotFound(_("There is no such account here."))
    form = RoleForm(_unprefixed(request.POST))
    if not form.is_valid():
        messages.error(request, _("Choose admin, moderator or user."))
    else:
        try:
            set_role(member_account(request), target, form.cleaned_data["role"], form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            _say_role_changed(request, target, form.cleaned_data["role"])
    return back(request, reverse("web:staff_roles"))


def _say_role_changed(request: HttpRequest, target: Account, role: str) -> None:
    messages.success(request, _("%(name)s is now: %(role)s.") % {"name": target.username, "role": dict(ROLE_CHOICES)[role]})


def _unprefixed(data: QueryDict) -> dict[str, str]:
    """The roles page prefixes each person's form (unique field ids); other pages may not."""
    return {key.split("-", 1)[-1]: data.get(key, "") for key in data}


# ---- the audit log ----------------------------------------------------------------------------


@staff_member
def log(request: HttpRequest) -> HttpResponse:
    """Newest first, 50 a page (`before`: the last entry seen), filtered by action, actor, target."""
    action = request.GET.get("action", "").strip()[:64]
    actor = request.GET.get("actor", "").strip()[:64] or None
    target = request.GET.get("target", "").strip()[:520] or None
    before = parse_id(request.GET.get("before", ""))
    problem = ""
    try:
        rows = audit_log.page(audit_log.LogFilter(action, actor, target), before=before)
    except audit_log.UnknownName as exc:
        rows, problem = [], _("Nobody called %(name)s is known here.") % {"name": exc.args[0]}
    query = QueryDict(mutable=True)
    query.update({key: value for key, value in (("action", action), ("actor", actor), ("target", target)) if value})
    more = ""
    if len(rows) == audit_log.PAGE_SIZE:
        query["before"] = str(rows[-1].entry.id)
        more = f"?{query.urlencode()}"
    context = {
        "staff_section": "log", "rows": rows, "actions": audit_log.actions(), "action": action,
        "actor": actor or "", "target": target or "", "problem": problem, "more": more, "paged": before is not None,
        "command_line": audit_log.COMMAND_LINE,
    }
    return render(request, "web/staff/log.html", context)


urlpatterns: list[URLPattern] = [
    path("rules", rules, name="staff_rules"),
    path("rules/add", rule_add, name="staff_rule_add"),
    path("rules/<int:rule_id>", rule_edit, name="staff_rule_edit"),
    path("rules/<int:rule_id>/move", rule_move, name="staff_rule_move"),
    path("rules/<int:rule_id>/remove", rule_remove, name="staff_rule_remove"),
    path("roles", roles, name="staff_roles"),
    path("roles/<int:account_id>", set_account_role, name="staff_set_role"),
    path("log", log, name="staff_log"),
]
