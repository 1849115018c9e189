"""Who is streaming: the same bearer tokens as the REST API (kith.api.auth.find_token)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from oauth2_provider.models import AccessToken

from kith.api.auth import find_token
from kith.api.streaming.channels import Channel, ChannelError, may_listen
from kith.graph.selectors import aspects_of
from kith.people.models import AccountState, Person


@dataclass(frozen=True)
class Credentials:
    person: Person
    token_id: int
    scopes: list[str]


class Refused(Exception):
    """Mastodon answers these with 401 and {"error": message}."""

    status = 401


def authenticate(raw_token: str | None) -> Credentials:
    """Since Mastodon 4.2 every stream needs a user's token (an app's own token is not enough)."""
    if not raw_token:
        raise Refused("Missing access token")
    access = find_token(raw_token.strip())
    if access is None or access.is_expired() or access.user is None:
        raise Refused("Invalid access token")
    if access.user.state != AccountState.ACTIVE:
        raise Refused("Invalid access token")
    return Credentials(access.user.person, access.id, access.scope.split())


def check_channel(credentials: Credentials, channel: Channel) -> None:
    """Raises Refused (scope) or ChannelError (a list that is not theirs) before a subscription."""
    if not may_listen(credentials.scopes, channel):
        raise Refused("Access token does not have the required scopes")
    if channel.kind == "list" and not aspects_of(credentials.person).filter(id=channel.list_id).exists():
        # Someone else's list answers like one that does not exist.
        raise ChannelError("Record not found", status=404)


def still_valid(token_ids: set[int]) -> set[int]:
    """Of `token_ids`, those not revoked or expired, whose account may still log in."""
    return set(
        AccessToken.objects.filter(
            id__in=token_ids, expires__gt=timezone.now(), user__state=AccountState.ACTIVE
        ).values_list("id", flat=True)
    )
