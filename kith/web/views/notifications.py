"""The person's notifications."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from kith.timelines import selectors, services
from kith.web.helpers import list_page, me, member, next_max_id, page_from


@member
def notifications(request: HttpRequest) -> HttpResponse:
    rows = selectors.notifications(me(request), page_from(request))
    context = {"notifications": rows, "next_max_id": next_max_id(rows)}
    return list_page(request, "web/notifications.html", context, items="web/_notification_page.html")


@member
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(me(request))
    return redirect("web:notifications")
