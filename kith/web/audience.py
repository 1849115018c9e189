"""Saying in words who will see a post, before it is sent.

Display only: the audience itself is computed by kith.social.services.publish_post
and fixed there.  This mirrors its rules (aspect members, chosen people, and for
"all aspects" the followers too) so the compose page can show names first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kith.graph.models import Aspect
from kith.graph.selectors import followers
from kith.people.models import Person
from kith.web.forms import ComposeForm


@dataclass
class AudiencePreview:
    public: bool
    people: list[Person] = field(default_factory=list)


def preview(form: ComposeForm, aspects: list[Aspect]) -> AudiencePreview:
    """Who a valid compose form's post will reach (`aspects` from aspects_with_members)."""
    if form.is_public:
        return AudiencePreview(public=True)
    chosen = aspects if form.all_aspects else [a for a in aspects if a.id in form.aspect_ids]
    people: dict[int, Person] = {}
    for aspect in chosen:
        people.update((p.id, p) for p in aspect.members)
    people.update((p.id, p) for p in form.cleaned_data["people"])
    if form.all_aspects:
        people.update((p.id, p) for p in followers(form.author, form.author))
    people.pop(form.author.id, None)
    return AudiencePreview(public=False, people=sorted(people.values(), key=lambda p: p.handle))
