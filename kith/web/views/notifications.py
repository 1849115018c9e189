"""The person's notifications: looking at them marks them read; each names the post it is about."""

from __future__ import annotations

import re
from html import unescape

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.moderation import selectors as moderation
from kith.moderation.models import AccountAction
from kith.social.models import Post
from kith.timelines import selectors, services
from kith.timelines.models import Notification
from kith.web.helpers import list_page, member, member_person, next_max_id, page_from

EXCERPT_CHARS = 60
# Where a paragraph, line or item ends, words of the next one must not run into it.
BLOCK_END = re.compile(r"<(?:br|/p|/li|/h[1-6]|/blockquote|/pre)\b[^>]*>", re.IGNORECASE)


def post_title(post: Post | None) -> str:
    """How a notification names its post: the start of its text in quotes (its content warning
    instead, when it has one: the warning is what may be shown before the post is opened)."""
    if post is None:
        return ""
    text = post.content_warning or unescape(strip_tags(BLOCK_END.sub(" ", post.html)))
    text = " ".join(text.split())
    if not text:
        return _("(a post without text)")
    if len(text) > EXCERPT_CHARS:
        cut = text[: EXCERPT_CHARS - 1]
        text = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:") + "…"  # at a word's end
    return _("“%(excerpt)s”") % {"excerpt": text}


REPORT_KINDS = ("admin_report", "report_outcome")


def _named(rows: list[Notification], *, staff: bool = False) -> list[Notification]:
    # Every row here passed kith.visibility (selectors.notifications reads visible_notifications,
    # which checks the post and the comment): naming the post shows nothing the viewer may not see.
    # A report's notices name the report (one query for the page): staff are told of a new one
    # (someone no longer staff is not shown it), a reporter of the outcome of their own.
    kinds = REPORT_KINDS if staff else ("report_outcome",)
    reports = moderation.reports_by_id(
        [row.data["report_id"] for row in rows if row.kind in kinds and isinstance(row.data.get("report_id"), int)]
    )
    for row in rows:
        row.post_title = post_title(row.post)
        if row.kind in REPORT_KINDS:
            row.report = reports.get(row.data.get("report_id")) if row.kind in kinds else None
    _attach_moderation_actions(rows)
    return rows


def _attach_moderation_actions(rows: list[Notification]) -> None:
    """A moderation_warning names its action (data["action_id"]), one of the reader's own:
    fetched for the whole page at once."""
    wanted = {
        int(row.data["action_id"]) for row in rows
        if row.kind == "moderation_warning" and isinstance(row.data.get("action_id"), int)
    }
    found = {action.id: action for action in AccountAction.objects.filter(id__in=wanted)} if wanted else {}
    for row in rows:
        if row.kind == "moderation_warning":
            action = found.get(row.data.get("action_id"))
            # Not a column: what the notifications page names (as post_title).
            row.moderation_action = action if action and action.target_id == row.recipient_id else None  # type: ignore[attr-defined]


@member
def notifications(request: HttpRequest) -> HttpResponse:
    person = member_person(request)
    rows = _named(selectors.notifications(person, page_from(request)),
                  staff=getattr(request.user, "is_moderator", False))
    # Read once shown: the rows keep their unread look on this page, and the header's count
    # (rendered after this) no longer counts them.
    services.mark_seen(person, [row.id for row in rows if not row.read])
    context = {"notifications": rows, "next_max_id": next_max_id(rows)}
    return list_page(request, "web/notifications.html", context, items="web/_notification_page.html")


@member
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(member_person(request))
    return redirect("web:notifications")
