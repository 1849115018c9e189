"""Saying in words who will see a post, before it is sent.

Display only, but computed by the very function publishing uses
(kith.social.compose.resolve_audience), so that the page cannot say something
else than what will happen.  People the author may not see (suspended, or
blocked either way) are left out of the names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kith.people.models import Person
from kith.social.compose import resolve_audience
from kith.visibility import visible_persons
from kith.web.forms import ComposeForm


@dataclass
class AudiencePreview:
    public: bool
    people: list[Person] = field(default_factory=list)


def preview(form: ComposeForm) -> AudiencePreview:
    """Who a valid compose form's post will reach, named and sorted by handle."""
    audience = resolve_audience(form.author, form.compose())
    if audience.public:
        return AudiencePreview(public=True)
    people = visible_persons(form.author, Person.objects.filter(id__in=audience.person_ids))
    return AudiencePreview(public=False, people=sorted(people, key=lambda p: p.handle))
