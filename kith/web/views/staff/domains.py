"""The moderation area: domain policies, the allow-list and canonical e-mail blocks.

Domain policies: staff (moderators too) read; only admins change (kith.moderation.domains
refuses anyone else, and the pages that change are `admin_member`).  E-mail blocks are for
admins only, reading too, as in the admin API (Mastodon's "Manage Blocks"): even hashed, the
list tells who is kept out, which is not a moderator's business.
Views are thin: the services normalise, decide, act and audit."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kith.core.errors import DomainError, NotFound
from kith.moderation import domains, email_blocks
from kith.moderation.models import CanonicalEmailBlock, DomainAllow, DomainPolicy, DomainSeverity
from kith.web.helpers import admin_member, member_account, render_form, staff_member

MAX_IMPORT_BYTES = 5 * 1024 * 1024
PAGE_SIZE = 50
MAX_DOMAIN_LENGTH = 300
SEVERITY_CHOICES = [
    (DomainSeverity.SUSPEND, gettext_lazy("Suspend: no federation either way; its content and follows removed")),
    (DomainSeverity.SILENCE, gettext_lazy("Limit: its people's posts only reach those who follow them")),
    (DomainSeverity.NOOP, gettext_lazy("Neither: only the options below")),
]


class PolicyForm(forms.Form):
    domain = forms.CharField(label=gettext_lazy("Domain"), max_length=300,
                             help_text=gettext_lazy("Covers its subdomains too."))
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=SEVERITY_CHOICES, widget=forms.RadioSelect,
                                 initial=DomainSeverity.SILENCE)
    reject_media = forms.BooleanField(label=gettext_lazy("Reject media (keep no copies of its pictures)"), required=False)
    reject_reports = forms.BooleanField(label=gettext_lazy("Reject reports from it"), required=False)
    public_comment = forms.CharField(label=gettext_lazy("Public reason"), required=False,
                                     max_length=domains.MAX_COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 2}),
                                     help_text=gettext_lazy("Shown on the about page and to apps."))
    private_comment = forms.CharField(label=gettext_lazy("Private note"), required=False,
                                      max_length=domains.MAX_COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 2}),
                                      help_text=gettext_lazy("Only staff see it."))
    obfuscate = forms.BooleanField(label=gettext_lazy("Star part of the name in the public list"), required=False)


class AllowForm(forms.Form):
    domain = forms.CharField(label=gettext_lazy("Allowed domain"), max_length=300)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Mastodon CSV export, or one domain per line"))


class EmailBlockForm(forms.Form):
    email = forms.CharField(label=gettext_lazy("E-mail address"), max_length=1000)


def _context(**extra: object) -> dict[str, object]:
    return {"staff_section": "domains", **extra}


@staff_member
def domain_list(request: HttpRequest) -> HttpResponse:
    # A pod may import a blocklist of thousands: a page at a time, in domain order, keyset
    # paged (`after` the last domain shown) so a late page costs what the first does.
    after = request.GET.get("after", "")[:MAX_DOMAIN_LENGTH]
    rows = list(
        DomainPolicy.objects.select_related("created_by").filter(domain__gt=after).order_by("domain")[: PAGE_SIZE + 1]
    )
    more = len(rows) > PAGE_SIZE
    policies = rows[:PAGE_SIZE]
    return render(request, "web/staff/domains.html", _context(
        policies=policies,
        next_after=policies[-1].domain if more else None,
        paged=bool(after),
        allows=DomainAllow.objects.order_by("domain"),
        allowlist_mode=domains.federation_settings().allowlist_mode,
        policy_form=PolicyForm(),
        allow_form=AllowForm(),
        import_form=ImportForm(),
        is_admin=member_account(request).is_admin,
    ))


def _policy_page(request: HttpRequest, form: PolicyForm, policy: DomainPolicy | None,
                 error: DomainError | None = None) -> HttpResponse:
    covered = domains.persons_of(policy.domain) if policy is not None else None
    return render_form(request, "web/staff/domains_edit.html", _context(policy=policy, covered=covered),
                       form=form, error=error)


@admin_member
def domain_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _policy_page(request, PolicyForm(initial={"domain": request.GET.get("domain", "")[:300]}), None)
    return _save(request, PolicyForm(request.POST), None)


@admin_member
def domain_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = domains.get_policy(policy_id)
    if request.method != "POST":
        initial = {name: getattr(policy, name) for name in PolicyForm.base_fields}
        form = PolicyForm(initial=initial)
        form.fields["domain"].disabled = True
        return _policy_page(request, form, policy)
    form = PolicyForm(request.POST, initial={"domain": policy.domain})
    form.fields["domain"].disabled = True  # a policy's domain does not change: lift it and add another
    return _save(request, form, policy)


def _save(request: HttpRequest, form: PolicyForm, policy: DomainPolicy | None) -> HttpResponse:
    if not form.is_valid():
        return _policy_page(request, form, policy)
    data = form.cleaned_data
    try:
        if policy is None:
            domains.ensure_new(data["domain"])
        saved = domains.set_policy(
            member_account(request), data["domain"], severity=data["severity"], reject_media=data["reject_media"],
            reject_reports=data["reject_reports"], public_comment=data["public_comment"],
            private_comment=data["private_comment"], obfuscate=data["obfuscate"],
        )
    except DomainError as exc:
        return _policy_page(request, form, policy, exc)
    messages.success(request, _("The policy for %(domain)s is saved.") % {"domain": saved.domain})
    return redirect("web:staff_domains")


@admin_member
@require_POST
def domain_lift(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = domains.get_policy(policy_id)
    domains.lift_policy(member_account(request), policy.domain)
    messages.success(request, _("The policy for %(domain)s is lifted.") % {"domain": policy.domain})
    return redirect("web:staff_domains")


@admin_member
@require_POST
def domain_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        return _import_page(request, form, error=_("The file is larger than 5 MB."))
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return _import_page(request, form, error=_("The file is not UTF-8 text."))
    try:
        result = domains.import_csv(member_account(request), text)
    except DomainError as exc:
        return _import_page(request, form, error=str(exc), status=exc.status)
    return _import_page(request, ImportForm(), result=result)


def _import_page(request: HttpRequest, form: ImportForm, *, error: str = "", status: int = 400,
                 result: domains.ImportResult | None = None) -> HttpResponse:
    if error:
        form.add_error(None, error)
    code = 200 if result is not None else status
    return render(request, "web/staff/domains_import.html", _context(form=form, result=result), status=code)


@staff_member
def domain_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(domains.export_csv(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="domain_blocks-{stamp}.csv"'
    return response


@admin_member
@require_POST
def allowlist_mode(request: HttpRequest) -> HttpResponse:
    enabled = request.POST.get("enabled") == "1"
    domains.set_allowlist_mode(member_account(request), enabled)
    if enabled:
        messages.success(request, _("Allow-list mode is on: only allowed domains federate."))
    else:
        messages.success(request, _("Allow-list mode is off."))
    return redirect("web:staff_domains")


@admin_member
@require_POST
def allow_add(request: HttpRequest) -> HttpResponse:
    form = AllowForm(request.POST)
    if form.is_valid():
        try:
            allow = domains.allow_domain(member_account(request), form.cleaned_data["domain"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(domain)s is allowed.") % {"domain": allow.domain})
    else:
        messages.error(request, _("Enter a domain."))
    return redirect("web:staff_domains")


@admin_member
@require_POST
def allow_remove(request: HttpRequest, allow_id: int) -> HttpResponse:
    allow = DomainAllow.objects.filter(id=allow_id).first()
    if allow is None:
        raise NotFound("No such allowed domain.")
    domains.disallow_domain(member_account(request), allow)
    messages.success(request, _("%(domain)s is no longer allowed.") % {"domain": allow.domain})
    return redirect("web:staff_domains")


# ---- canonical e-mail blocks ------------------------------------------------------------


@admin_member
def email_block_list(request: HttpRequest) -> HttpResponse:
    return _email_page(request)


def _email_page(request: HttpRequest, *, form: EmailBlockForm | None = None, tested: str = "",
                matches: list[CanonicalEmailBlock] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "web/staff/email_blocks.html", _context(
        blocks=CanonicalEmailBlock.objects.select_related("created_by").order_by("-id"),
        form=form or EmailBlockForm(), tested=tested, matches=matches,
    ), status=status)


@admin_member
@require_POST
def email_block_test(request: HttpRequest) -> HttpResponse:
    form = EmailBlockForm(request.POST)
    if not form.is_valid():
        return _email_page(request, form=form, status=400)
    address = form.cleaned_data["email"]
    try:
        matches = email_blocks.matching(address)
    except DomainError as exc:
        form.add_error("email", str(exc))
        return _email_page(request, form=form, status=exc.status)
    return _email_page(request, form=form, tested=email_blocks.canonical_email(address), matches=matches)


@admin_member
@require_POST
def email_block_add(request: HttpRequest) -> HttpResponse:
    form = EmailBlockForm(request.POST)
    if not form.is_valid():
        return _email_page(request, form=form, status=400)
    try:
        email_blocks.block_email(member_account(request), email=form.cleaned_data["email"])
    except DomainError as exc:
        form.add_error("email", str(exc))
        return _email_page(request, form=form, status=exc.status)
    messages.success(request, _("Sign-ups with that address, in any spelling, are refused."))
    return redirect("web:staff_email_blocks")


@admin_member
@require_POST
def email_block_remove(request: HttpRequest, block_id: int) -> HttpResponse:
    email_blocks.unblock_email(member_account(request), block_id)
    messages.success(request, _("The e-mail block is removed."))
    return redirect("web:staff_email_blocks")


urlpatterns = [
    path("", domain_list, name="staff_domains"),
    path("new", domain_new, name="staff_domain_new"),
    path("<int:policy_id>/edit", domain_edit, name="staff_domain_edit"),
    path("<int:policy_id>/lift", domain_lift, name="staff_domain_lift"),
    path("import", domain_import, name="staff_domain_import"),
    path("export", domain_export, name="staff_domain_export"),
    path("allowlist", allowlist_mode, name="staff_allowlist_mode"),
    path("allows", allow_add, name="staff_allow_add"),
    path("allows/<int:allow_id>/remove", allow_remove, name="staff_allow_remove"),
    path("email-blocks/", email_block_list, name="staff_email_blocks"),
    path("email-blocks/test", email_block_test, name="staff_email_block_test"),
    path("email-blocks/add", email_block_add, name="staff_email_block_add"),
    path("email-blocks/<int:block_id>/remove", email_block_remove, name="staff_email_block_remove"),
]
