"""`{% public_domain_blocks as blocks %}`: the pod's domain policies as everyone may read them
(kith.moderation.domains.public_list), for web/_domain_blocks_public.html, so any page that
includes it (the about page) needs nothing in its view's context."""

from __future__ import annotations

from django import template

from kith.moderation import domains

register = template.Library()


@register.simple_tag
def public_domain_blocks() -> list[domains.PublicBlock]:
    return domains.public_list()
