from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.http import HttpRequest

from kith.messaging.selectors import unread_conversation_count
from kith.moderation.selectors import open_report_count
from kith.people.models import Person
from kith.timelines.selectors import unread_count


class UnreadCounts:
    """Unread notifications and conversations for the header, counted only if a page shows them."""

    def __init__(self, person: Person) -> None:
        self.person = person

    @cached_property
    def notifications(self) -> int:
        return unread_count(self.person)

    @cached_property
    def conversations(self) -> int:
        return unread_conversation_count(self.person)

    @cached_property
    def open_reports(self) -> int:
        """For staff only (the "Moderation" link's badge): reports nobody has closed yet."""
        return open_report_count()


def pod(request: HttpRequest) -> dict:
    context = {"pod_domain": settings.KITH_DOMAIN, "registrations_open": settings.KITH_REGISTRATIONS_OPEN}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        person = user.person
        context["viewer"] = person
        context["unread"] = UnreadCounts(person)
    return context
