"""What every protocol's lookup of other servers shares: whether a handle's server part is a
host, and why a server that was asked gave nobody (never reached, or reached and it has no such
account, or it is no fediverse server at all).

The lookup itself is a domain port (kith/social/lookup.py) answered by the resolver each
federation adapter registers (the ActivityPub one: kith/federation/activitypub/lookup.py)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import httpx

from kith.core import jsonbody
from kith.federation import safe_http
from kith.social.lookup import Lookup, Missing

log = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"^[\w.~-]{1,255}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::(\d{{1,5}}))?$")


def valid_host(host: str) -> bool:
    match = _HOST_RE.match(host)
    return match is not None and (match.group(1) is None or 0 < int(match.group(1)) < 65536)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def unreached(exc: BaseException) -> Missing | None:
    """The reason when `exc` says the server was never heard from (None: it answered)."""
    causes = list(_causes(exc))
    if any(isinstance(cause, safe_http.BlockedAddress) for cause in causes):
        return Missing.PRIVATE_ADDRESS
    if any(isinstance(cause, httpx.TimeoutException) for cause in causes):
        return Missing.TIMED_OUT
    fetch = next((cause for cause in causes if isinstance(cause, safe_http.FetchError)), None)
    if fetch is not None and not isinstance(fetch, safe_http.Refused):
        return Missing.UNREACHABLE
    return None


def speaks_fediverse(host: str) -> bool:
    """Whether the server that found nobody is a fediverse server at all: it has NodeInfo, as
    Mastodon, Pleroma, Misskey, GoToSocial, Lemmy, Friendica and Kith do."""
    try:
        response = safe_http.request(
            "GET", f"{safe_http.base_url(host)}/.well-known/nodeinfo", headers={"Accept": "application/json"},
            accept_types=("application/json", "application/jrd+json"),
        )
        document = jsonbody.loads(response.body) if response.status == 200 else None
    except (safe_http.FetchError, ValueError):
        return False
    return isinstance(document, dict) and isinstance(document.get("links"), list) and bool(document["links"])


def nobody(exc: BaseException, host: str) -> Lookup:
    log.info("found nothing on %s: %s", host, exc)
    missing = unreached(exc)
    if missing is None:
        missing = Missing.UNKNOWN_ACCOUNT if speaks_fediverse(host) else Missing.NOT_FEDIVERSE
    return Lookup(missing=missing, host=host)
