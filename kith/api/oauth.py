"""OAuth 2 for Mastodon clients, on django-oauth-toolkit (DOT) and oauthlib.

What Mastodon apps expect and DOT does not do by itself:
- One registered app uses authorization_code, client_credentials and refresh_token
  (and password, when KITH_API_ALLOW_PASSWORD_GRANT is on): DOT allows one grant
  type per Application, so the validator decides for apps registered through
  `POST /api/v1/apps` (`RegisteredApp`).
- Requested scopes must be granted by the app's registered scopes.
- Redirect URIs with custom schemes (`tusky://oauth`) and the out-of-band URN
  `urn:ietf:wg:oauth:2.0:oob`, for which the consent page shows the code.
- PKCE is checked when the client sent a challenge (S256 only), never demanded.
- `/oauth/token` answers in Mastodon's shape (`created_at`, `token_type: "Bearer"`)
  and reads JSON bodies as well as forms; errors are {"error", "error_description"}.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from oauth2_provider import views as dot_views
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import Application
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors as oauth2_errors

from kith.api import clients
from kith.api import scopes as scope_rules
from kith.core import jsonbody
from kith.people import throttle
from kith.people.models import AccountState

# Grants a registered Mastodon app may use besides the password grant.
APP_GRANTS = ("authorization_code", "client_credentials", "refresh_token")
TRUE_WORDS = ("1", "true", "yes", "on")
GENERIC_DESCRIPTIONS = {
    "invalid_request": "The request is missing a required parameter, includes an unsupported parameter value, "
    "or is otherwise malformed.",
    "invalid_client": "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method.",
    "invalid_grant": "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client.",
    "unauthorized_client": "The client is not authorized to perform this request using this method.",
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
}


def password_grant_enabled() -> bool:
    return bool(getattr(settings, "KITH_API_ALLOW_PASSWORD_GRANT", False))


def grant_types_supported() -> list[str]:
    grants = list(APP_GRANTS)
    if password_grant_enabled():
        grants.insert(1, "password")
    return grants


def _may_act(request: Any) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.state == AccountState.ACTIVE


class TooManyAttempts(oauth2_errors.OAuth2Error):
    """A locked name or address at the password grant: 429 with when to try again."""

    error = "invalid_grant"
    status_code = 429

    def __init__(self, lockout: throttle.Lockout, **kwargs: Any) -> None:
        self.lockout = lockout
        super().__init__(description=lockout.message, **kwargs)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.lockout.retry_after)}


class MastodonValidator(OAuth2Validator):
    """DOT's validator with Mastodon's rules for apps registered through the API."""

    def validate_grant_type(self, client_id: str, grant_type: str, client: Application, request: Any,
                            *args: Any, **kwargs: Any) -> bool:
        if clients.registration(request.client) is None:
            return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)
        if grant_type == "password":
            return password_grant_enabled()
        return grant_type in APP_GRANTS

    def validate_response_type(self, client_id: str, response_type: str, client: Application, request: Any,
                               *args: Any, **kwargs: Any) -> bool:
        if clients.registration(client) is None:
            return super().validate_response_type(client_id, response_type, client, request, *args, **kwargs)
        return response_type == "code"

    def validate_scopes(self, client_id: str, scopes: list[str], client: Application, request: Any,
                        *args: Any, **kwargs: Any) -> bool:
        if scope_rules.unknown(list(scopes)):
            return False
        registered = clients.app_scopes(client)
        if registered is None:
            return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)
        # `read` registered covers a request for `read:statuses`, as it would cover its use.
        return all(scope_rules.allows(registered, scope) for scope in scopes)

    # Django's `is_active` stays true for a suspended account (Kith keeps the login so the
    # person can read why and export their data); tokens are for active accounts only.
    def validate_code(self, client_id: str, code: str, client: Application, request: Any,
                      *args: Any, **kwargs: Any) -> bool:
        return super().validate_code(client_id, code, client, request, *args, **kwargs) and _may_act(request)

    def validate_refresh_token(self, refresh_token: str, client: Application, request: Any,
                               *args: Any, **kwargs: Any) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return valid and _may_act(request)

    def validate_user(self, username: str, password: str, client: Application, request: Any,
                      *args: Any, **kwargs: Any) -> bool:
        """The password grant goes through the web log-in's throttle (kith/people/throttle.py)."""
        address = throttle.client_address(request.headers or {})  # oauthlib's headers: the request's META
        try:
            throttle.check_login(username or "", address)
        except throttle.LockedOut as exc:
            raise TooManyAttempts(exc.lockout, request=request) from exc
        if super().validate_user(username, password, client, request, *args, **kwargs) and _may_act(request):
            throttle.login_succeeded(username or "", request.user)
            return True
        lockout = throttle.login_failed(username or "", address) if username and password else None
        if lockout is not None:
            raise TooManyAttempts(lockout, request=request)
        return False

    def get_default_scopes(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> list[str]:
        registered = clients.app_scopes(request.client) if request.client else None
        if registered is None:
            return super().get_default_scopes(client_id, request, *args, **kwargs)
        # Mastodon: no scope asked for means `read`; an app that may not read gets what it registered.
        default = scope_rules.DEFAULT_SCOPES
        return [default] if scope_rules.allows(registered, default) else registered


class MastodonOAuthLibCore(OAuthLibCore):
    """Reads JSON bodies too: Mastodon (Rails) accepts them on /oauth/token and /oauth/revoke."""

    def extract_body(self, request: HttpRequest) -> list[tuple[str, str]]:
        if request.content_type != "application/json" or request.method != "POST":
            return super().extract_body(request)
        try:
            data = jsonbody.loads(request.body or b"{}")
        except ValueError:
            return []
        if not isinstance(data, dict):
            return []
        pairs = []
        for key, value in data.items():
            if isinstance(value, list):
                value = " ".join(str(item) for item in value)
            elif value is None:
                continue
            pairs.append((str(key), str(value)))
        if any(not _encodable(text) for pair in pairs for text in pair):
            return []  # JSON's "\ud800": oauthlib encodes every parameter as UTF-8, which it cannot be
        return pairs


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# ---- /oauth/authorize --------------------------------------------------------------------


def _is_oob(uri: str) -> bool:
    return uri.split("?", 1)[0] == clients.OOB_REDIRECT_URI


def _registered_schemes(application: Application | None, request: HttpRequest) -> list[str]:
    if application is None:
        client_id = request.POST.get("client_id") or request.GET.get("client_id")
        application = Application.objects.filter(client_id=client_id).first() if client_id else None
    if application is None:
        return []
    schemes = {urlsplit(uri).scheme.lower() for uri in application.redirect_uris.split()}
    return sorted(schemes - clients.FORBIDDEN_REDIRECT_SCHEMES)


@method_decorator(never_cache, name="dispatch")  # the pages carry a form for one request, or a code
class AuthorizeView(dot_views.AuthorizationView):
    """The consent page: GET shows the app and the scopes it asks for to the person logged
    in to the web UI (others go to the log-in page first), POST approves or denies."""

    template_name = "api/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET" and request.GET.get("force_login", "").lower() in TRUE_WORDS:
            # Log in again (e.g. as another account); the way back drops force_login, or it would loop.
            if request.user.is_authenticated:
                logout(request)
            query = request.GET.copy()
            query.pop("force_login")
            return redirect_to_login(f"{request.path}?{query.urlencode()}", resolve_url(settings.LOGIN_URL))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        if application is not None:
            context["registration"] = clients.registration(application)
            redirect_uri = context.get("redirect_uri") or ""
            context["out_of_band"] = _is_oob(redirect_uri)
            context["redirect_target"] = urlsplit(redirect_uri).netloc or urlsplit(redirect_uri).scheme
            context["scope_rows"] = [
                (scope, scope_rules.SCOPE_DESCRIPTIONS.get(scope, scope)) for scope in context.get("scopes", [])
            ]
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        # Only a tampered or truncated form gets here: the fields are hidden.
        return render(self.request, self.template_name, {"error": {"error": "invalid_request",
                      "description": GENERIC_DESCRIPTIONS["invalid_request"]}}, status=400)

    def redirect(self, redirect_to: str, application: Application | None) -> HttpResponse:
        if _is_oob(redirect_to):
            params = dict(parse_qsl(urlsplit(redirect_to).query))
            return render(self.request, "api/oob.html", {
                "code": params.get("code"), "error": params.get("error"),
                "error_description": params.get("error_description"), "application": application,
            }, status=200 if params.get("code") else 400)
        requested = self.request.POST.get("redirect_uri") or self.request.GET.get("redirect_uri") or ""
        redirect_to = _keep_empty_authority(redirect_to, requested)
        # oauthlib has matched the URI against the app's registered ones; allow their schemes only.
        return OAuth2ResponseRedirect(redirect_to, _registered_schemes(application, self.request))


def _keep_empty_authority(redirect_to: str, requested: str) -> str:
    """oauthlib rebuilds `icecubesapp://` plus the code as `icecubesapp:?code=...` (urlunsplit
    drops an empty authority); send it back the way the app registered it."""
    scheme = urlsplit(requested).scheme
    if scheme and requested.startswith(f"{scheme}://") and redirect_to.startswith(f"{scheme}:") \
            and not redirect_to.startswith(f"{scheme}://"):
        return f"{scheme}://{redirect_to[len(scheme) + 1:]}"
    return redirect_to


# ---- /oauth/token and /oauth/revoke ------------------------------------------------------------


def _json_answer(response: HttpResponse, body: dict[str, Any]) -> HttpResponse:
    answer = JsonResponse(body, status=response.status_code)
    for header in ("Cache-Control", "Pragma", "WWW-Authenticate", "Retry-After"):
        if header in response:
            answer[header] = response[header]
    answer["Cache-Control"] = "no-store"
    return answer


def _mastodon_body(response: HttpResponse) -> dict[str, Any]:
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code >= 400:
        error = str(body.get("error") or "invalid_request")
        body = {"error": error, "error_description": body.get("error_description")
                or GENERIC_DESCRIPTIONS.get(error, "The request could not be processed.")}
    return body


class TokenView(dot_views.TokenView):
    """Mastodon's token answer: {access_token, token_type: "Bearer", scope, created_at}, plus
    refresh_token and expires_in where issued."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        body = _mastodon_body(response)
        if response.status_code == 200 and "access_token" in body:
            body["token_type"] = "Bearer"  # noqa: S105 - a token type, not a secret
            body["created_at"] = int(time.time())
        return _json_answer(response, body)


class RevokeView(dot_views.RevokeTokenView):
    """Mastodon answers `{}`; unknown tokens and other apps' tokens are left alone (RFC 7009)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        return _json_answer(response, {} if response.status_code == 200 else _mastodon_body(response))


# ---- RFC 8414 metadata ------------------------------------------------------------------------


@require_GET
def authorization_server_metadata(request: HttpRequest) -> HttpResponse:
    """What this pod's OAuth server does, truthfully: the password grant appears only when enabled."""
    base = settings.KITH_URL
    answer = JsonResponse({
        "issuer": f"{base}/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": list(scope_rules.ALL_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": grant_types_supported(),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    })
    answer["Access-Control-Allow-Origin"] = "*"
    return answer


def authorize_url(client_id: str, redirect_uri: str, scope: str = "read", **extra: str) -> str:
    """The consent page's address for an app (tests and docs)."""
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope, **extra}
    return f"/oauth/authorize?{urlencode(query)}"
