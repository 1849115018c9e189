"""OAuth endpoints (/oauth/*) and the authorization server's RFC 8414 metadata.

The client API itself lives under /api/ (kith/api/api.py).  Trailing slashes are
optional on both: kith/api/middleware.py strips one before URL resolution.
"""

from django.urls import path

from kith.api import oauth

app_name = "api_oauth"

urlpatterns = [
    path("oauth/authorize", oauth.AuthorizeView.as_view(), name="authorize"),
    path("oauth/token", oauth.TokenView.as_view(), name="token"),
    path("oauth/revoke", oauth.RevokeView.as_view(), name="revoke"),
    path(".well-known/oauth-authorization-server", oauth.authorization_server_metadata, name="metadata"),
]
