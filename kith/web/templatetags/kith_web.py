"""Template filters for Kith's pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from kith.people.models import Person
from kith.social.models import Post
from kith.social.selectors import AudienceSummary, audience_summaries
from kith.visibility import media_is_sensitive

register = template.Library()


def handle_path(person: Person) -> str:
    """The part of a profile URL after '@': 'name' here, 'name@domain' for remote people."""
    return person.username if person.is_local else f"{person.username}@{person.domain}"


@register.filter
def profile_path(person: Person) -> str:
    return reverse("web:profile", args=[handle_path(person)])


@register.filter
def person_action(person: Person, action: str) -> str:
    """URL of a graph action (follow, block, accept, ...) on `person`."""
    return reverse(f"web:person_{action}", args=[handle_path(person)])


@register.filter
def sensitive_media(post: Post) -> bool:
    """Whether the post's photos are shown behind a click (kith.visibility rule 16)."""
    return media_is_sensitive(post)


@register.filter
def is_past(moment: datetime | None) -> bool:
    return moment is not None and moment <= timezone.now()


@register.filter
def percent_of(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@register.simple_tag(takes_context=True)
def summarise_audiences(context: template.Context, posts: Post | Iterable[Post]) -> str:
    """Give the viewer's own limited posts among `posts` an `audience_summary` (to whom they went:
    kith.social.selectors.audience_summaries, two queries for a page); other posts get None."""
    items = [posts] if isinstance(posts, Post) else list(posts)
    summaries = audience_summaries(context.get("viewer"), items)
    for post in items:
        post.audience_summary = summaries.get(post.id)
    return ""


@register.filter
def audience_label(summary: AudienceSummary) -> str:
    """'Limited to Family, Friends and 2 other people', for the author's eyes only."""
    names, others = ", ".join(summary.aspect_names), summary.other_people
    if names and others:
        return ngettext(
            "Limited to %(aspects)s and %(count)d other person", "Limited to %(aspects)s and %(count)d other people", others
        ) % {"aspects": names, "count": others}
    if names:
        return gettext("Limited to %(aspects)s") % {"aspects": names}
    if others:
        return ngettext("Limited to %(count)d person", "Limited to %(count)d people", others) % {"count": others}
    return gettext("Limited to you alone")
