"""Template filters for Kith's pages."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.urls import reverse
from django.utils import timezone

from kith.people.models import Person

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
def is_past(moment: datetime | None) -> bool:
    return moment is not None and moment <= timezone.now()


@register.filter
def percent_of(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0
