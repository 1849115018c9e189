"""Mastodon's stream names and parameters -> the channels a connection listens to."""

from __future__ import annotations

from dataclasses import dataclass

from kith.api import scopes as scope_rules
from kith.core.text import normalise_tag

PUBLIC_KINDS = (
    "public", "public:media", "public:local", "public:local:media", "public:remote", "public:remote:media",
)
HASHTAG_KINDS = ("hashtag", "hashtag:local")
USER_KINDS = ("user", "user:notification")
KINDS = (*USER_KINDS, *PUBLIC_KINDS, *HASHTAG_KINDS, "list")

# Server-sent events: path below /api/v1/streaming -> stream name (query parameters add tag, list, only_media).
SSE_PATHS = {
    "/user": "user",
    "/user/notification": "user:notification",
    "/public": "public",
    "/public/local": "public:local",
    "/public/remote": "public:remote",
    "/hashtag": "hashtag",
    "/hashtag/local": "hashtag:local",
    "/list": "list",
}


class ChannelError(Exception):
    """A stream request Kith refuses; `status` and the message go back as Mastodon's error JSON."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Channel:
    kind: str
    tag: str | None = None
    list_id: int | None = None

    @property
    def stream(self) -> list[str]:
        """The `stream` array of a WebSocket frame, as Mastodon sends it."""
        if self.tag is not None:
            return [self.kind, self.tag]
        if self.list_id is not None:
            return [self.kind, str(self.list_id)]
        return [self.kind]

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_KINDS

    @property
    def is_hashtag(self) -> bool:
        return self.kind in HASHTAG_KINDS

    @property
    def local_only(self) -> bool:
        return ":local" in self.kind

    @property
    def remote_only(self) -> bool:
        return ":remote" in self.kind

    @property
    def only_media(self) -> bool:
        return self.kind.endswith(":media")

    @property
    def required_scope(self) -> str:
        return "read:notifications" if self.kind == "user:notification" else "read:statuses"


def parse(kind: str | None, *, tag: str | None = None, list_id: str | None = None,
          only_media: str | None = None) -> Channel:
    """A channel from Mastodon's parameters (raises ChannelError for what Mastodon refuses)."""
    kind = (kind or "").strip()
    if kind in ("public", "public:local", "public:remote") and (only_media or "").lower() in ("1", "true"):
        kind = f"{kind}:media"
    if kind not in KINDS:
        raise ChannelError("Unknown stream type")
    if kind in HASHTAG_KINDS:
        name = normalise_tag((tag or "").strip())
        if not name:
            raise ChannelError("No tag for stream provided")
        return Channel(kind, tag=name)
    if kind == "list":
        try:
            return Channel(kind, list_id=int(list_id or ""))
        except ValueError:
            raise ChannelError("Unknown list") from None
    return Channel(kind)


def parse_sse_path(rest: str, query: dict[str, str]) -> Channel:
    """`rest` is the path after /api/v1/streaming (no trailing slash)."""
    kind = SSE_PATHS.get(rest)
    if kind is None:
        raise ChannelError("Unknown channel requested")
    return parse(kind, tag=query.get("tag"), list_id=query.get("list"), only_media=query.get("only_media"))


def may_listen(granted: list[str], channel: Channel) -> bool:
    return scope_rules.allows(granted, channel.required_scope)


def may_read_notifications(granted: list[str]) -> bool:
    return scope_rules.allows(granted, "read:notifications")
