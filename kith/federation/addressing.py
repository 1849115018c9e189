"""One reading of a note's wire addressing, shared by every protocol adapter: how far it reaches
(Mastodon's reading, which the fediverse follows), the Kith visibility that stands for it, and
who its audience is.

An adapter says what the wire says in neutral terms (`Addressing`: addressed to everyone? in
the primary recipients? the author's followers as a group? which ids by name? which ids does
the note mention?) and asks `read_addressing`; it never maps addressing to visibility itself,
so two adapters, or two paths of one (storing an inbound note, looking one up by address),
cannot answer differently."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from kith.social.models import Visibility


class Reach(StrEnum):
    PUBLIC = "public"  # everyone, on public timelines
    UNLISTED = "unlisted"  # everyone, kept off public timelines
    FOLLOWERS = "followers"  # the author's followers as a group (and whoever is named)
    LIMITED = "limited"  # chosen people, some not mentioned (a Kith aspect post), or nobody named at all
    DIRECT = "direct"  # only the people the note mentions


@dataclass(frozen=True)
class Addressing:
    """What a note's addressing says, as an adapter reads it off the wire."""

    public: bool = False  # addressed to everyone
    listed: bool = False  # ... among the primary recipients (ActivityPub: Public in `to`, not only `cc`)
    followers: bool = False  # the author's own followers collection addressed
    # Everyone else addressed by id (people, unknown collections), the author's own id left out.
    recipients: Collection[str] = ()
    # The ids the note mentions; None when unknown (then limited and direct are not told apart).
    mentions: Collection[str] | None = None


@dataclass(frozen=True)
class Reading:
    reach: Reach
    visibility: Visibility
    # The audience rule (PostAudience, fixed when the note is stored): public notes have none;
    # the others hold the people addressed by id, and a followers note also the author's
    # followers known here at that moment.
    audience_of_recipients: bool
    audience_of_followers: bool


_VISIBILITY = {
    Reach.PUBLIC: Visibility.PUBLIC,
    Reach.UNLISTED: Visibility.UNLISTED,
    Reach.FOLLOWERS: Visibility.LIMITED,  # Kith has no followers-only visibility: a limited post to them
    Reach.LIMITED: Visibility.LIMITED,
    Reach.DIRECT: Visibility.DIRECT,
}


def reach_of(addressing: Addressing) -> Reach:
    if addressing.public:
        return Reach.PUBLIC if addressing.listed else Reach.UNLISTED
    if addressing.followers:
        return Reach.FOLLOWERS
    if not addressing.recipients:
        return Reach.LIMITED  # addressed to nobody but maybe its author: never a direct message
    if addressing.mentions is not None:
        mentioned = set(addressing.mentions)
        if any(recipient not in mentioned for recipient in addressing.recipients):
            return Reach.LIMITED
    return Reach.DIRECT


def read_addressing(addressing: Addressing) -> Reading:
    """How far a note reaches, its visibility here and the rule for its audience."""
    reach = reach_of(addressing)
    limited = reach not in (Reach.PUBLIC, Reach.UNLISTED)
    return Reading(
        reach=reach,
        visibility=_VISIBILITY[reach],
        audience_of_recipients=limited,
        audience_of_followers=reach is Reach.FOLLOWERS,
    )
