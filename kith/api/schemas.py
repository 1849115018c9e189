"""Mastodon's entities as schemas: the served OpenAPI description is generated from these,
and the test suite checks every response against them (kith/api/routing.py: production
sends the renderers' dicts as they are, so a renderer that drifts fails loudly in tests).

Field lists follow docs.joinmastodon.org/entities (Mastodon 4.3).  Optional
fields that depend on a viewer (`favourited` ...) are null for anonymous
readers (Mastodon leaves them out).
"""

from __future__ import annotations

from typing import Any

from ninja import Schema


class Error(Schema):
    error: str
    error_description: str | None = None


class Empty(Schema):
    pass


class CustomEmoji(Schema):
    shortcode: str
    url: str
    static_url: str
    visible_in_picker: bool
    category: str | None = None


class Field(Schema):
    name: str
    value: str
    verified_at: str | None = None


class Account(Schema):
    id: str
    username: str
    acct: str
    url: str
    uri: str
    display_name: str
    note: str
    avatar: str
    avatar_static: str
    header: str
    header_static: str
    locked: bool
    fields: list[Field]
    emojis: list[CustomEmoji]
    bot: bool
    group: bool
    discoverable: bool | None
    indexable: bool
    noindex: bool | None
    hide_collections: bool | None
    suspended: bool
    limited: bool
    created_at: str
    last_status_at: str | None
    statuses_count: int
    followers_count: int
    following_count: int
    moved: Account | None = None
    roles: list[dict[str, Any]] = []


class AccountSource(Schema):
    privacy: str
    sensitive: bool
    language: str
    note: str
    fields: list[Field]
    follow_requests_count: int
    hide_collections: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None


class CredentialAccount(Account):
    source: AccountSource


class MediaAttachment(Schema):
    id: str
    type: str
    url: str | None
    preview_url: str | None
    remote_url: str | None
    preview_remote_url: str | None = None
    text_url: str | None = None
    meta: dict[str, Any]
    description: str | None
    blurhash: str | None


class PollOption(Schema):
    title: str
    votes_count: int | None


class Poll(Schema):
    id: str
    expires_at: str | None
    expired: bool
    multiple: bool
    votes_count: int
    voters_count: int | None
    options: list[PollOption]
    emojis: list[CustomEmoji]
    voted: bool | None = None
    own_votes: list[int] | None = None


class StatusMention(Schema):
    id: str
    username: str
    url: str
    acct: str


class StatusTag(Schema):
    name: str
    url: str


class FilterResult(Schema):
    filter: dict[str, Any]
    keyword_matches: list[str] | None = None
    status_matches: list[str] | None = None


class Status(Schema):
    id: str
    uri: str
    url: str | None
    created_at: str
    edited_at: str | None
    account: Account
    content: str
    visibility: str
    sensitive: bool
    spoiler_text: str
    language: str | None
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    reblog: Status | None
    media_attachments: list[MediaAttachment]
    mentions: list[StatusMention]
    tags: list[StatusTag]
    emojis: list[CustomEmoji]
    card: dict[str, Any] | None
    application: dict[str, Any] | None
    poll: Poll | None
    replies_count: int
    reblogs_count: int
    favourites_count: int
    filtered: list[FilterResult] = []
    favourited: bool | None = None
    reblogged: bool | None = None
    muted: bool | None = None
    bookmarked: bool | None = None
    pinned: bool | None = None
    text: str | None = None


class Relationship(Schema):
    id: str
    following: bool
    showing_reblogs: bool
    notifying: bool
    languages: list[str] | None = None
    followed_by: bool
    blocking: bool
    blocked_by: bool
    muting: bool
    muting_notifications: bool
    requested: bool
    requested_by: bool
    domain_blocking: bool
    endorsed: bool
    note: str


class MutedAccount(Account):
    """An Account in GET /api/v1/mutes: with when the mute ends (None: never)."""

    mute_expires_at: str | None = None


class FamiliarFollowers(Schema):
    id: str
    accounts: list[Account]


class AccountList(Schema):
    """A List as GET /api/v1/accounts/:id/lists renders it (Kith's aspects)."""

    id: str
    title: str
    replies_policy: str
    exclusive: bool


class Tag(Schema):
    id: str | None = None
    name: str
    url: str
    history: list[dict[str, str]] = []
    following: bool | None = None


class Application(Schema):
    id: str
    name: str
    website: str | None
    scopes: list[str]
    redirect_uri: str
    redirect_uris: list[str]

class CredentialApplication(Application):
    client_id: str
    client_secret: str
    client_secret_expires_at: int

class Rule(Schema):
    id: str
    text: str
    hint: str = ""

class InstanceV1(Schema):
    uri: str
    title: str
    short_description: str
    description: str
    email: str
    version: str
    urls: dict[str, str]
    stats: dict[str, int]
    thumbnail: str | None
    languages: list[str]
    registrations: bool
    approval_required: bool
    invites_enabled: bool
    configuration: dict[str, Any]
    contact_account: Account | None
    rules: list[Rule]

class InstanceContact(Schema):
    email: str
    account: Account | None

class InstanceV2(Schema):
    domain: str
    title: str
    version: str
    source_url: str
    description: str
    usage: dict[str, Any]
    thumbnail: dict[str, Any]
    icon: list[dict[str, str]]
    languages: list[str]
    configuration: dict[str, Any]
    registrations: dict[str, Any]
    api_versions: dict[str, int]
    contact: InstanceContact
    rules: list[Rule]


# ---- notifications, markers, filters ----------------------------------------------------


class Conversation(Schema):
    id: str
    unread: bool
    accounts: list[Account]
    last_status: Status | None = None


class RelationshipSeveranceEvent(Schema):
    id: str
    type: str
    purged: bool
    target_name: str
    followers_count: int
    following_count: int
    created_at: str


class AppealEntity(Schema):
    text: str
    state: str


class AccountWarning(Schema):
    """What moderation did to the reader (Mastodon 4.3's moderation_warning notification)."""

    id: str
    action: str
    text: str
    status_ids: list[str] | None
    target_account: Account
    appeal: AppealEntity | None
    created_at: str


class Notification(Schema):
    id: str
    type: str
    created_at: str
    group_key: str
    account: Account
    status: Status | None = None
    event: RelationshipSeveranceEvent | None = None  # severed_relationships only
    # Only in moderation_warning notifications (the endpoints leave unset fields out).
    moderation_warning: AccountWarning | None = None
    report: Report | None = None


class UnreadCount(Schema):
    count: int


class Marker(Schema):
    last_read_id: str
    version: int
    updated_at: str


class FilterKeyword(Schema):
    id: str
    keyword: str
    whole_word: bool


class FilterStatus(Schema):
    id: str
    status_id: str


class Filter(Schema):
    id: str
    title: str
    context: list[str]
    expires_at: str | None
    filter_action: str
    keywords: list[FilterKeyword] = []
    statuses: list[FilterStatus] = []


# ---- statuses: context, edits, source, scheduled (kith/api/endpoints/statuses.py) ----------


class Context(Schema):
    ancestors: list[Status]
    descendants: list[Status]


class StatusEditPoll(Schema):
    options: list[dict[str, str]]


class StatusEdit(Schema):
    content: str
    spoiler_text: str
    sensitive: bool
    created_at: str
    account: Account
    poll: StatusEditPoll | None = None
    media_attachments: list[MediaAttachment]
    emojis: list[CustomEmoji]


class StatusSource(Schema):
    id: str
    text: str
    spoiler_text: str


class ScheduledStatusParams(Schema):
    text: str
    poll: dict[str, Any] | None = None
    media_ids: list[str] | None = None
    sensitive: bool | None = None
    spoiler_text: str | None = None
    visibility: str
    in_reply_to_id: str | None = None
    language: str | None = None
    application_id: str | None = None
    scheduled_at: str | None = None
    idempotency: str | None = None
    with_rate_limit: bool = False
    kith_aspect_ids: list[str] | None = None


class ScheduledStatus(Schema):
    id: str
    scheduled_at: str
    params: ScheduledStatusParams
    media_attachments: list[MediaAttachment]


class SearchResults(Schema):
    accounts: list[Account]
    statuses: list[Status]
    hashtags: list[Tag]


class Report(Schema):
    id: str
    action_taken: bool
    action_taken_at: str | None
    category: str
    comment: str
    forwarded: bool
    created_at: str
    status_ids: list[str] | None
    rule_ids: list[str] | None
    target_account: Account


class Suggestion(Schema):
    source: str
    sources: list[str]
    account: Account
