"""Client apps: /api/v1/apps (registration for OAuth, kith/api/oauth.py)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Form, Schema

from kith.api import clients, entities
from kith.api.auth import OAuth
from kith.api.routing import ApiRouter
from kith.api.schemas import Application, CredentialApplication

router = ApiRouter(tags=["apps"])


class AppRegistration(Schema):
    client_name: str | None = None
    # A string (space or newline separated) or a list: Mastodon takes both.
    redirect_uris: str | list[str] | None = None
    scopes: str | list[str] | None = None
    website: str | None = None


@router.post("/v1/apps", response=CredentialApplication, auth=None)
def create_app(request: HttpRequest, data: Form[AppRegistration]) -> dict:
    application, secret = clients.register_app(data.client_name, data.redirect_uris, data.scopes, data.website)
    return entities.application(application, client_secret=secret)


@router.get("/v1/apps/verify_credentials", response=Application, auth=OAuth(user=False))
def verify_app_credentials(request: HttpRequest) -> dict:
    """Any valid token (an app's client-credentials token or a person's) names its app."""
    return entities.application(request.token.application)
