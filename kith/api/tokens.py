"""Issuing bearer tokens outside the OAuth dance: `kith token create` and tests."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, set_token_value
from oauth2_provider.settings import oauth2_settings

from kith.api import scopes as scope_rules
from kith.core.errors import Invalid
from kith.people.models import Account

CLI_APPLICATION_NAME = "kith command line"


@transaction.atomic
def issue_token(account: Account, name: str, scopes: str = "read write follow") -> str:
    """A new access token for `account`, attributed to an application named `name`.

    Returns the raw token (only its hash is stored: it cannot be shown again)."""
    requested = scope_rules.parse(scopes)
    if not requested:
        raise Invalid("Give at least one scope.")
    if bad := scope_rules.unknown(requested):
        raise Invalid(f"Unknown scope: {', '.join(bad)}")
    application, _ = Application.objects.get_or_create(
        name=name[:255] or CLI_APPLICATION_NAME,
        user=account,
        defaults={
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS,
            "redirect_uris": "",
        },
    )
    raw = secrets.token_urlsafe(32)
    token = AccessToken(
        user=account,
        application=application,
        scope=" ".join(requested),
        expires=timezone.now() + timedelta(seconds=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS),
    )
    set_token_value(token, raw)  # stores only the checksum (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE)
    token.save()
    return raw


def account_tokens(account: Account) -> list[AccessToken]:
    """The access tokens `account` holds (any app, the CLI's included), oldest first."""
    return list(AccessToken.objects.filter(user=account).select_related("application").order_by("id"))


@transaction.atomic
def revoke_token(account: Account, token_id: int) -> bool:
    """Revoke one of `account`'s tokens (and its refresh token); False if it has no such token."""
    from oauth2_provider.models import revoke_access_token

    token = AccessToken.objects.filter(user=account, id=token_id).first()
    if token is None:
        return False
    revoke_access_token(token)
    return True
