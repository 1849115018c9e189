"""The pod itself: /api/v1/instance, /api/v2/instance and friends, custom emojis, preferences."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from kith import __version__
from kith.api import entities, pod
from kith.api.auth import OAuth
from kith.api.routing import ApiRouter
from kith.api.schemas import CustomEmoji, InstanceV1, InstanceV2, Rule

router = ApiRouter(tags=["instance"])

# Mastodon.py reads the Mastodon version at the start of `version` to decide which
# endpoints exist; Kith speaks Mastodon 4.3's API.
MASTODON_VERSION = "4.3.0"
# The Mastodon API version of 4.3 (`api_versions.mastodon`).
MASTODON_API_VERSION = 2
SOURCE_URL = "https://github.com/kith-social/kith"


def version() -> str:
    return f"{MASTODON_VERSION} (compatible; Kith {__version__})"


def _contact_account() -> dict[str, Any] | None:
    person = pod.contact_person()
    return entities.account(person) if person is not None else None


def _thumbnail() -> str:
    return entities.absolute(entities.MISSING_HEADER)


@router.get("/v1/instance", response=InstanceV1, auth=None)
def instance_v1(request: HttpRequest) -> dict:
    stats = pod.stats()
    return {
        "uri": settings.KITH_DOMAIN,
        "title": pod.title(),
        "short_description": pod.description(),
        "description": pod.description(),
        "email": "",
        "version": version(),
        "urls": {"streaming_api": pod.streaming_url()},
        "stats": {
            "user_count": stats.user_count, "status_count": stats.status_count, "domain_count": stats.domain_count,
        },
        "thumbnail": _thumbnail(),
        "languages": [settings.LANGUAGE_CODE],
        "registrations": settings.KITH_REGISTRATIONS_OPEN,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": {
            "accounts": pod.account_limits(),
            "statuses": pod.status_limits(),
            "media_attachments": pod.media_limits(),
            "polls": pod.poll_limits(),
        },
        "contact_account": _contact_account(),
        "rules": pod.rules(),
    }


@router.get("/v2/instance", response=InstanceV2, auth=None)
def instance_v2(request: HttpRequest) -> dict:
    return {
        "domain": settings.KITH_DOMAIN,
        "title": pod.title(),
        "version": version(),
        "source_url": SOURCE_URL,
        "description": pod.description(),
        "usage": {"users": {"active_month": pod.stats().active_month}},
        "thumbnail": {"url": _thumbnail()},
        "icon": [],
        "languages": [settings.LANGUAGE_CODE],
        "configuration": {
            "urls": {"streaming": pod.streaming_url()},
            "accounts": pod.account_limits(),
            "statuses": pod.status_limits(),
            "media_attachments": pod.media_limits(),
            "polls": pod.poll_limits(),
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": settings.KITH_REGISTRATIONS_OPEN, "approval_required": False, "message": None},
        "api_versions": {"mastodon": MASTODON_API_VERSION},
        "contact": {"email": "", "account": _contact_account()},
        "rules": pod.rules(),
    }


@router.get("/v1/instance/peers", response=list[str], auth=None)
def peers(request: HttpRequest) -> list[str]:
    return pod.known_domains()


@router.get("/v1/instance/activity", response=list[dict[str, str]], auth=None)
def activity(request: HttpRequest) -> list[dict[str, str]]:
    return pod.weekly_activity()


@router.get("/v1/instance/rules", response=list[Rule], auth=None)
def rules(request: HttpRequest) -> list[dict[str, str]]:
    return pod.rules()


@router.get("/v1/custom_emojis", response=list[CustomEmoji], auth=None)
def custom_emojis(request: HttpRequest) -> list[dict]:
    # Kith has no custom emojis: the empty list is the whole truth.
    return []


@router.get("/v1/preferences", response=dict[str, Any], auth=OAuth("read:accounts"))
def preferences(request: HttpRequest) -> dict[str, Any]:
    """Kith keeps no per-person posting or reading defaults yet: these are what the API does
    for everyone when a client leaves them out (statuses public and not sensitive, language
    unset) and Mastodon's reading defaults (media shown, content warnings collapsed)."""
    return {
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }
