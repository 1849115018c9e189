"""/about: what this pod is, who runs it and its rules (public, as Mastodon's about page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kith.moderation import permissions
from kith.moderation import rules as pod_rules


def about(request: HttpRequest) -> HttpResponse:
    staff = permissions.staff_members()
    context = {
        "rules": pod_rules.active_rules(),
        # The admins answer for the pod; moderators are named too, so people know whom to ask.
        "admins": [person for person in staff if person.account is not None and person.account.is_admin],
        "moderators": [person for person in staff if person.account is not None and not person.account.is_admin],
    }
    return render(request, "web/about.html", context)
