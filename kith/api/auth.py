"""Bearer tokens (django-oauth-toolkit's) -> the person acting, with Mastodon's scope rules."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer
from oauth2_provider.models import AccessToken

from kith.api import scopes as scope_rules
from kith.people.models import AccountState, Person


class Anonymous:
    """Returned by optional auth when no token was sent (ninja needs a truthy result)."""

    def __bool__(self) -> bool:
        return True


ANONYMOUS = Anonymous()


def find_token(raw: str) -> AccessToken | None:
    """The token with this raw value, its account and person.  Not its application: only
    /api/v1/apps/verify_credentials reads that (one query there, not on every request)."""
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return (
        AccessToken.objects.select_related("user__person")
        .filter(token_checksum=checksum)
        .first()
    )


class OAuth(HttpBearer):
    """`auth=OAuth("read:statuses")`: a valid token with that scope, for a user (not an app),
    whose account may act.  `required=False` also lets anonymous requests through."""

    def __init__(self, scope: str | None = None, *, required: bool = True, user: bool = True) -> None:
        super().__init__()
        self.scope = scope
        self.required = required
        self.user = user

    def __call__(self, request: HttpRequest) -> Any:
        request.person = None
        request.token = None
        header = request.headers.get("Authorization", "")
        if not header:
            return None if self.required else ANONYMOUS
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        access = find_token(token.strip())
        if access is None or access.is_expired():
            raise HttpError(401, "The access token is invalid")
        account = access.user
        if self.user and account is None:
            raise HttpError(422, "This method requires an authenticated user")
        if self.scope and not scope_rules.allows(access.scope.split(), self.scope):
            raise HttpError(403, "This action is outside the authorized scopes")
        if account is not None:
            if account.state != AccountState.ACTIVE:
                raise HttpError(403, "Your login is currently disabled")
            request.person = account.person
        request.token = access
        return access


class StaffOAuth(OAuth):
    """`auth=staff("admin:read:reports")`: Mastodon's admin API.  The token must carry the
    admin scope and its account be staff (a moderator or an admin); `admin_only` endpoints
    (domain policies, e-mail blocks, roles) need an admin.  Others get Mastodon's 403."""

    def __init__(self, scope: str, *, admin_only: bool = False) -> None:
        super().__init__(scope)
        self.admin_only = admin_only

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        access = super().authenticate(request, token)
        account = access.user
        allowed = account.is_admin if self.admin_only else account.is_moderator
        if not allowed:
            raise HttpError(403, "This action is not allowed")
        request.staff = account
        return access


def staff(scope: str, *, admin_only: bool = False) -> StaffOAuth:
    return StaffOAuth(scope, admin_only=admin_only)


def viewer(request: HttpRequest) -> Person | None:
    """The person reading (None when anonymous): hand this to selectors, which ask kith.visibility."""
    return getattr(request, "person", None)


def me(request: HttpRequest) -> Person:
    person = getattr(request, "person", None)
    if person is None:
        raise HttpError(401, "This method requires an authenticated user")
    return person


# Shorthands for endpoint declarations.
def read(what: str) -> OAuth:
    return OAuth(f"read:{what}")


def write(what: str) -> OAuth:
    return OAuth(f"write:{what}")


def public_read(scope: str | None = None) -> OAuth:
    """Anonymous allowed, as are apps' own (client-credentials) tokens, which read as nobody.
    A token that is sent must be valid and, as Mastodon's `authorize_if_got_token!`, carry
    `scope`: a token granted only `profile` or `write:media` reads no one's limited posts."""
    return OAuth(scope, required=False, user=False)


PUBLIC = public_read()  # anonymous allowed; a token, if sent, must be valid
