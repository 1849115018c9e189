"""Client apps (Mastodon's `POST /api/v1/apps`) and the weekly log-in record.

Plain Python: the endpoints in kith/api/endpoints/apps.py and the OAuth views in
kith/api/oauth.py call these.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import SplitResult, urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from kith.api import scopes as scope_rules
from kith.api.models import RegisteredApp, WeeklyLogin
from kith.core.errors import Invalid
from kith.people.models import Account

# The out-of-band redirect: the consent page shows the code instead of redirecting.
OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
# Schemes a browser would execute or read locally instead of handing to an app.
FORBIDDEN_REDIRECT_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})
# Mastodon's limits on an app's fields.
NAME_LIMIT = 60
URI_LIMIT = 2000


def parse_redirect_uris(value: str | list[str] | None) -> list[str]:
    """A string (space or newline separated) or a list of them -> the URIs, checked.

    Custom schemes (`tusky://oauth`, `icecubesapp://`) and the out-of-band URN are
    accepted, as in Mastodon; schemes a browser would run (`javascript:`) are not."""
    parts = value if isinstance(value, list) else [value or ""]
    uris: list[str] = []
    for part in parts:
        for uri in str(part).split():
            if uri not in uris:
                uris.append(uri)
    if not uris:
        raise Invalid("Validation failed: Redirect URI can't be blank")
    for uri in uris:
        check_redirect_uri(uri)
    if len(" ".join(uris)) > URI_LIMIT:
        raise Invalid(f"Validation failed: Redirect URI is too long (maximum is {URI_LIMIT} characters)")
    return uris


def _split(value: str, what: str) -> SplitResult:
    """urlsplit, with unparseable input (`http://[`, control characters) as a 422."""
    if any(ord(char) < 32 for char in value):
        raise Invalid(f"Validation failed: {what} is invalid")
    try:
        return urlsplit(value)
    except ValueError:
        raise Invalid(f"Validation failed: {what} is invalid") from None


def check_redirect_uri(uri: str) -> None:
    parts = _split(uri, "Redirect URI")
    scheme = parts.scheme.lower()
    # `icecubesapp://` is a whole URI: a scheme and an empty authority.
    if not scheme or len(uri) <= len(scheme) + 1 or " " in uri:
        raise Invalid("Validation failed: Redirect URI must be an absolute URI.")
    if "#" in uri:
        raise Invalid("Validation failed: Redirect URI cannot contain a fragment.")
    if scheme in FORBIDDEN_REDIRECT_SCHEMES:
        raise Invalid(f"Validation failed: Redirect URI cannot use the {scheme}: scheme.")
    if scheme in ("http", "https") and not parts.hostname:
        raise Invalid("Validation failed: Redirect URI must be an absolute URI.")


def parse_scopes(value: str | list[str] | None) -> list[str]:
    """Requested app scopes ('read write', or a list) -> known scopes; `read` when none."""
    words = scope_rules.parse(" ".join(value) if isinstance(value, list) else value)
    if not words:
        words = [scope_rules.DEFAULT_SCOPES]
    if bad := scope_rules.unknown(words):
        raise Invalid(f"Validation failed: Scopes include unknown scopes: {', '.join(bad)}")
    return list(dict.fromkeys(words))


@transaction.atomic
def register_app(name: str, redirect_uris: str | list[str] | None, scopes: str | list[str] | None = None,
                 website: str | None = None) -> tuple[Application, str]:
    """Register a confidential client; returns it and its secret (stored only hashed)."""
    name = (name or "").strip()
    if not name:
        raise Invalid("Validation failed: Application name can't be blank")
    if any(ord(char) < 32 for char in name):
        raise Invalid("Validation failed: Application name is invalid")
    if len(name) > NAME_LIMIT:
        raise Invalid(f"Validation failed: Application name is too long (maximum is {NAME_LIMIT} characters)")
    uris = parse_redirect_uris(redirect_uris)
    wanted = parse_scopes(scopes)
    website = (website or "").strip()
    if len(website) > URI_LIMIT:
        raise Invalid(f"Validation failed: Website is too long (maximum is {URI_LIMIT} characters)")
    if website and _split(website, "Website").scheme.lower() not in ("http", "https"):
        raise Invalid("Validation failed: Website is invalid")
    secret = generate_client_secret()
    application = Application.objects.create(
        name=name,
        redirect_uris=" ".join(uris),
        client_type=Application.CLIENT_CONFIDENTIAL,
        # One grant type fits DOT's column; the validator lets a registered app use
        # authorization_code, client_credentials and refresh_token (and password if enabled).
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        client_secret=secret,
        user=None,
    )
    RegisteredApp.objects.create(application=application, website=website, scopes=" ".join(wanted))
    return application, secret


def registration(application: Application) -> RegisteredApp | None:
    """The Mastodon registration of `application` (None for apps made otherwise, e.g. by the CLI)."""
    try:
        return application.registered_app
    except RegisteredApp.DoesNotExist:
        return None


def app_scopes(application: Application) -> list[str] | None:
    """Scopes the app registered; None for apps not registered through the API (no limit)."""
    registered = registration(application)
    return registered.scope_list() if registered is not None else None


def week_start(moment: datetime) -> date:
    day = moment.astimezone(UTC).date() if timezone.is_aware(moment) else moment.date()
    return day - timedelta(days=day.weekday())


def record_login(account: Account, moment: datetime | None = None) -> None:
    """Count `account` as having logged in this week (idempotent)."""
    week = week_start(moment or timezone.now())
    if WeeklyLogin.objects.filter(account=account, week=week).exists():
        return
    try:
        with transaction.atomic():
            WeeklyLogin.objects.create(account=account, week=week)
    except IntegrityError:
        pass  # a concurrent log-in recorded it first
