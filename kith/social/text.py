"""How a local post's or comment's Markdown is rendered here, and whom it mentions.

Shared by the checks of a compose (kith.social.compose), the write paths
(kith.social.services) and the consumers that look for mentions.
"""

from __future__ import annotations

from django.conf import settings

from kith.core.text import Rendered, render_markdown
from kith.people.models import Person
from kith.people.selectors import known_person, profile_url


def render_for(source: str) -> Rendered:
    def resolve(username: str, domain: str) -> str | None:
        person = known_person(username, domain)
        return profile_url(person) if person else None

    return render_markdown(source, tag_url=lambda name: f"{settings.KITH_URL}/tags/{name}", resolve_mention=resolve)


def mentioned_persons(rendered: Rendered) -> list[Person]:
    """The people a rendered text mentions who are known here, in order."""
    found = []
    for username, domain in rendered.mentions:
        person = known_person(username, domain)
        if person is not None and person not in found:
            found.append(person)
    return found


def mentioned_in(source: str) -> list[Person]:
    """The people a text mentions who are known here, in order."""
    return mentioned_persons(render_for(source))
