"""OAuth scopes as Mastodon defines them: top-level scopes and their granular forms."""

from __future__ import annotations

READ_SCOPES = (
    "read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters", "read:follows",
    "read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
)
WRITE_SCOPES = (
    "write:accounts", "write:blocks", "write:bookmarks", "write:conversations", "write:favourites",
    "write:filters", "write:follows", "write:lists", "write:media", "write:mutes", "write:notifications",
    "write:reports", "write:statuses",
)
# The deprecated `follow` scope, still requested by many apps, grants these.
FOLLOW_GRANTS = ("read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes")
ADMIN_SCOPES = (
    "admin:read", "admin:write",
    "admin:read:accounts", "admin:read:reports", "admin:read:domain_blocks", "admin:read:domain_allows",
    "admin:read:ip_blocks", "admin:read:email_domain_blocks", "admin:read:canonical_email_blocks",
    "admin:write:accounts", "admin:write:reports", "admin:write:domain_blocks", "admin:write:domain_allows",
    "admin:write:ip_blocks", "admin:write:email_domain_blocks", "admin:write:canonical_email_blocks",
)
ALL_SCOPES = ("read", "write", "follow", "push", "profile", *READ_SCOPES, *WRITE_SCOPES, *ADMIN_SCOPES)
SCOPE_DESCRIPTIONS = {
    "read": "read all your data",
    "write": "change all your data",
    "follow": "follow, block and mute people",
    "push": "receive push notifications",
    "profile": "read only your profile",
    "admin:read": "read all data on the pod (moderators)",
    "admin:write": "moderate accounts and reports (moderators)",
}
DEFAULT_SCOPES = "read"


def parse(scopes: str | None) -> list[str]:
    """'read write  follow' -> ['read', 'write', 'follow']; unknown scopes are kept for validation."""
    return [scope for scope in (scopes or "").replace("+", " ").split() if scope]


def unknown(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in ALL_SCOPES]


def allows(granted: set[str] | list[str], required: str) -> bool:
    """Whether a token with `granted` scopes may use an endpoint that needs `required`.

    `read` grants every `read:*`; `follow` grants the follow/block/mute ones;
    `admin:read` grants every `admin:read:*`; `profile` only lets an app read who
    the user is (verify_credentials asks for `profile` or `read:accounts`)."""
    granted = set(granted)
    if required in granted:
        return True
    parts = required.split(":")
    if len(parts) >= 2 and ":".join(parts[:-1]) in granted:
        return True
    return required in FOLLOW_GRANTS and "follow" in granted
