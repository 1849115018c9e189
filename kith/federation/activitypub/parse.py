"""ActivityStreams JSON -> plain typed data.  No database, no HTTP: a pure function of the document.

Payloads are read as plain JSON in their compacted form; JSON-LD contexts are
never fetched or expanded.  A reference may be a string, an object with `id`
(or `href`, for Links) or a list of those; `as:Public`, `Public` and the full
Public IRI all mean public and come out as the full IRI.

Every failure is a `ParseError` with a short stable `reason` and the `field`
it concerns; wrong JSON types never escape as TypeError or KeyError.  Unknown
fields are ignored.

What parsing guarantees (and what it cannot; see the end of this docstring):

- **Ids.** Object and actor ids are absolute http(s) URLs with a host, no
  credentials, no fragment, at most 2048 characters.  Activity ids and key
  ids may carry a fragment (Mastodon's `…/users/ann#likes/12`, `#main-key`).
- **Same origin** (scheme, host and port):
  - a note's `attributedTo` with the note's `id`;
  - an actor's `inbox`, `outbox`, `endpoints.sharedInbox`, `followers`,
    `following` and key id with the actor's `id`, and the key's `owner` equal
    to the actor's `id`;
  - an activity's `id` with its `actor`;
  - the object of Create, Update, Delete and Undo with the activity's actor
    (you create, edit, delete and undo only your own things); an Update of an
    actor, a Move and an Undo go further: the object (or the undone
    activity's actor) must be the actor itself;
  - Accept and Reject of an embedded Follow: the Follow's object must be the
    accepting actor.
  Objects embedded in other activities (Announce, Like, Follow, Flag, …) are
  kept only when they are same-origin with the actor; from another origin they
  are reduced to their id, to be fetched from their own server if needed.
- **Sizes.** `content` (and a kept Markdown source) over 100 kB raise
  `too_large`: cutting a post would change what its author said.  Plain-text
  fields are truncated: a note's `summary` to 5,000 characters, names to 200,
  attachment descriptions to 1,500, an actor's `summary` to 5,000 (then
  re-sanitised).  Counts over their cap raise `too_many`: more than 200
  addressees (to + cc + bto + bcc + audience, before deduplication), 100 tags,
  20 attachments, 50 poll options; counts decide who sees and who is notified,
  so they are never silently cut.  Profile fields are kept up to 50.
- **Text.** HTML fields go through `sanitise_html`; plain-text fields (names,
  content warnings, alt text, poll options, Flag comments) are tag-free text
  with entities decoded, and never contain anything an HTML parser would read
  as a tag.  Optional links (a note's `url`, icons, attachment URLs, tag
  hrefs) that are not http(s) are dropped; a required reference that is not
  http(s) raises `bad_url`.
- **Markdown source** is kept only for `text/markdown` and
  `text/x.misskeymarkdown` sources without raw HTML or script-like URLs; the
  sanitised `content` is the authority either way.

What the apply layer must still check (it needs the database or the network):
the HTTP signature's key owner is the activity's actor (or the object was
fetched from its own id); the actor of an Accept/Reject really was asked (the
Follow exists and is ours); Announce of a post whose audience is not public;
embedded objects from other origins are refetched; the note's author for a
Create is the activity's actor (`attributed_to == actor`); a Move's target
lists the old actor in `alsoKnownAs`; Delete arriving before Create; and
whether mentioned or addressed actors are local.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, overload
from urllib.parse import urlsplit

import nh3

from kith.core import hosts
from kith.core.text import normalise_tag, sanitise_html
from kith.federation.activitypub.context import AS_PUBLIC, PUBLIC_ALIASES
from kith.federation.addressing import Addressing, Reach, reach_of

MAX_URL_LENGTH = 2048
MAX_CONTENT_BYTES = 100_000
MAX_SUMMARY_CHARS = 5_000
MAX_NAME_CHARS = 200
MAX_TITLE_CHARS = 500
MAX_DESCRIPTION_CHARS = 1_500
MAX_ADDRESSEES = 200
MAX_TAGS = 100
MAX_ATTACHMENTS = 20
MAX_POLL_OPTIONS = 50
MAX_PROFILE_FIELDS = 50
MAX_ALIASES = 20
MAX_PEM_CHARS = 10_000
MAX_EMBED_DEPTH = 2

ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})
NOTE_TYPES = frozenset({"Note", "Article", "Page", "Question", "Video", "Image", "Event"})
ATTACHMENT_TYPES = frozenset({"Document", "Image", "Video", "Audio"})
MARKDOWN_TYPES = frozenset({"text/markdown", "text/x.misskeymarkdown"})
# Activities whose object must be the actor's own (same origin).
_OWN_OBJECT = frozenset({"Create", "Update", "Delete", "Undo"})

_TYPE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_:-]{0,63}$")
_USERNAME_RE = re.compile(r"^[\w.~-]{1,255}$")
_HOST_RE = re.compile(r"^[a-z0-9_.-]{1,253}$")
_MEDIA_TYPE_RE = re.compile(r"^[\w.+-]{1,64}/[\w.+-]{1,128}$")
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}$")
_BLURHASH_RE = re.compile(r"^[0-9A-Za-z#$%*+,.:;=?@\[\]^_{|}~-]{6,100}$")
_TAG_NAME_RE = re.compile(r"^\w{1,100}$")
# A Mention's name: user or user@host[:port] (what it is called by, not trusted beyond that).
_HANDLE_RE = re.compile(r"^[\w.~-]{1,255}(?:@[A-Za-z0-9.-]{1,253}(?::\d{1,5})?)?$")
_TAG_LIKE_RE = re.compile(r"<[A-Za-z/!?]")
_MFM_TAGS_RE = re.compile(r"</?(?:plain|small|center|i)>")  # Misskey's own markup, not HTML
_UNSAFE_SOURCE_RE = re.compile(r"<[A-Za-z/!?]|(?:javascript|vbscript|data|file)\s*:", re.IGNORECASE)
_BAD_URL_CHAR_RE = re.compile(r"[\s\x00-\x1f\x7f\ud800-\udfff]")
_UNSTORABLE_RE = re.compile(r"[\x00\ud800-\udfff]")  # NUL and lone surrogates: no database stores them
_DEFAULT_PORTS = {"http": 80, "https": 443}


class ParseError(ValueError):
    """A document that cannot be used.  `reason` is a stable code; `field` says where."""

    def __init__(self, reason: str, field: str = "") -> None:
        self.reason = reason
        self.field = field
        super().__init__(f"{reason}: {field}" if field else reason)


# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActorData:
    id: str
    type: str
    preferred_username: str
    name: str
    summary_html: str
    url: str | None
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    followers: str | None
    following: str | None
    featured: str | None
    manually_approves_followers: bool
    discoverable: bool | None
    indexable: bool | None
    icon_url: str | None
    image_url: str | None
    key_id: str | None
    public_key_pem: str | None
    published: datetime | None
    moved_to: str | None
    also_known_as: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (name as plain text, value as sanitised HTML)
    # FEP-521a `assertionMethod` Multikeys: (key id, SubjectPublicKeyInfo PEM), Ed25519 or RSA.
    multikeys: tuple[tuple[str, str], ...] = ()
    # The `tag` array's Hashtags (diaspora*'s profile tags; Mastodon lists its bio's hashtags),
    # normalised, in order, at most MAX_ACTOR_HASHTAGS.
    hashtags: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttachmentData:
    url: str
    media_type: str | None
    description: str  # alt text, plain
    blurhash: str | None
    width: int | None
    height: int | None
    focal_point: tuple[float, float] | None


@dataclass(frozen=True)
class PollOption:
    name: str
    votes: int


@dataclass(frozen=True)
class PollData:
    options: tuple[PollOption, ...]
    multiple: bool  # anyOf; oneOf otherwise
    end_time: datetime | None
    voters_count: int | None
    closed: bool
    closed_at: datetime | None


@dataclass(frozen=True)
class NoteData:
    id: str
    type: str
    attributed_to: str
    name: str | None  # title of an Article, Page, Video or Event (plain)
    content_html: str
    source_markdown: str | None
    summary: str | None  # content warning (plain)
    sensitive: bool
    published: datetime | None
    updated: datetime | None
    in_reply_to: str | None
    url: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    audience: str | None  # a Group (Lemmy's community), when the object names one
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    attachments: tuple[AttachmentData, ...]
    poll: PollData | None
    language: str | None
    # What groups a thread or a private conversation: `context`, or Mastodon's older
    # `conversation` (often a tag: URI).  An opaque key, never fetched.
    context: str | None = None
    # The `tag` array's Hashtags and Mentions with their links, for pointing the content's
    # links at this pod's own pages (kith/federation/activitypub/links.py).
    tag_links: tuple[TagLink, ...] = ()


@dataclass(frozen=True)
class TagLink:
    """A Hashtag (`name`: the normalised tag) or a Mention (`name`: the handle as the note
    gives it, without its first @: `bob@pod.example`, or only `bob`) and its http(s) `href`."""

    kind: Literal["hashtag", "mention"]
    href: str
    name: str


@dataclass(frozen=True)
class TombstoneData:
    id: str
    former_type: str | None


@dataclass(frozen=True)
class ActivityData:
    id: str
    type: str
    actor: str
    # The object as an IRI, or parsed when embedded and trustworthy (see the module docstring).
    object: str | NoteData | ActorData | TombstoneData | ActivityData | None
    object_id: str | None
    objects: tuple[str, ...]  # every object IRI (a Flag names an account and its posts)
    target: str | None
    instrument: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    published: datetime | None
    content: str | None  # plain: a Flag's comment, an EmojiReact's emoji


# --- URLs -------------------------------------------------------------------------------------


def same_origin(a: object, b: object) -> bool:
    """Same scheme, host and port (default ports made explicit, hosts through the one normaliser,
    kith.core.hosts: case, a trailing dot, IDN and address spellings do not matter);
    False for anything that is not a URL."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    origin_a, origin_b = hosts.origin(a), hosts.origin(b)
    return origin_a is not None and origin_a == origin_b


def under_actor(object_id: object, actor_id: object) -> bool:
    """Whether `object_id` lies under the actor's own id path: it starts with the actor's id
    and "/" (Mastodon's https://h/users/a/statuses/1 under https://h/users/a), on the same origin.

    An id that is not (Misskey's https://h/notes/x for https://h/users/y, Pleroma's
    https://h/objects/uuid) needs confirming from its origin before it is believed to be the
    actor's (inbound/notes.py, confirm_owner); an id under another actor's path never is."""
    if not isinstance(object_id, str) or not isinstance(actor_id, str) or not same_origin(object_id, actor_id):
        return False
    prefix = actor_id.rstrip("/") + "/"
    return object_id.startswith(prefix) and len(object_id) > len(prefix)


def _valid_host(host: str) -> bool:
    """An ASCII host the normaliser accepts; an address only in its canonical spelling
    (127.000.003.002 and 0x7f.1 are refused, not guessed at)."""
    normalised = hosts.normalise_host(host)
    if normalised is None:
        return False
    if hosts.is_ip_literal(normalised):
        return host.rstrip(".") in (normalised, normalised.strip("[]"))
    return bool(_HOST_RE.match(host)) and ".." not in host


def _url_problem(value: str, allow_fragment: bool) -> str | None:
    if len(value) > MAX_URL_LENGTH:
        return "too_large"
    if _BAD_URL_CHAR_RE.search(value):
        return "bad_url"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "bad_url"
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname or not _valid_host(parts.hostname):
        return "bad_url"
    if hosts.origin(value) is None:  # what urlsplit reads leniently (`[v1.x]`, `[::1]]`), the normaliser does not
        return "bad_url"
    if "@" in parts.netloc:  # credentials
        return "bad_url"
    if not allow_fragment and (parts.fragment or value.endswith("#")):
        return "bad_url"
    return None


def valid_url(value: object, *, allow_fragment: bool = False) -> bool:
    """Whether `value` is a URL this parser accepts as an id: http(s), a host every parser reads
    alike, no credentials, no control characters, NUL or lone surrogates."""
    return isinstance(value, str) and _url_problem(value, allow_fragment) is None


def _check_url(value: object, field: str, *, allow_fragment: bool = False) -> str:
    if not isinstance(value, str):
        raise ParseError("wrong_type", field)
    problem = _url_problem(value, allow_fragment)
    if problem:
        raise ParseError(problem, field)
    return value


def _safe_link(value: str) -> str | None:
    """An optional link: kept when it is a plain http(s) URL, dropped otherwise."""
    return value if _url_problem(value, allow_fragment=True) is None else None


def _ref(value: object, field: str) -> str | None:
    """The IRI in a reference: a string, or an object with `id` (or `href`).  Not validated."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("id", value.get("href"))
        if inner is None or isinstance(inner, str):
            return inner
    raise ParseError("wrong_type", field)


@overload
def _iri(value: object, field: str, *, required: Literal[True], allow_fragment: bool = False) -> str: ...
@overload
def _iri(value: object, field: str, *, required: bool = False, allow_fragment: bool = False) -> str | None: ...
def _iri(value: object, field: str, *, required: bool = False, allow_fragment: bool = False) -> str | None:
    """A single reference, validated.  A one-element list is accepted."""
    if isinstance(value, list):
        if len(value) > 1:
            raise ParseError("too_many", field)
        value = value[0] if value else None
    iri = _ref(value, field)
    if iri is None:
        if required:
            raise ParseError("missing", field)
        return None
    return _check_url(iri, field, allow_fragment=allow_fragment)


def _iri_list(value: object, field: str, cap: int) -> tuple[str, ...]:
    """A list of references; unusable strings are dropped, wrong types raise."""
    items = value if isinstance(value, list) else ([] if value is None else [value])
    if len(items) > cap:
        raise ParseError("too_many", field)
    found: list[str] = []
    for item in items:
        iri = _ref(item, field)
        if iri in PUBLIC_ALIASES:
            iri = AS_PUBLIC
        elif iri is None or _url_problem(iri, allow_fragment=True):
            continue
        if iri not in found:
            found.append(iri)
    return tuple(found)


def _link_url(value: object, field: str, *, media_prefix: str = "", depth: int = 0) -> str | None:
    """An optional URL given as a string, a Link/Image object or a list of them (first usable wins)."""
    if value is None:
        return None
    if depth > 2:
        raise ParseError("wrong_type", field)
    candidates = value if isinstance(value, list) else [value]
    if len(candidates) > MAX_ATTACHMENTS:
        raise ParseError("too_many", field)
    fallback = None
    for candidate in candidates:
        if isinstance(candidate, dict):
            inner = candidate.get("href", candidate.get("url"))
            if isinstance(inner, (dict, list)):  # an Image whose url is a Link
                inner = _link_url(inner, field, media_prefix=media_prefix, depth=depth + 1)
            if inner is None:
                continue
            if not isinstance(inner, str):
                raise ParseError("wrong_type", field)
            media_type = candidate.get("mediaType")
            if media_type is not None and not isinstance(media_type, str):
                raise ParseError("wrong_type", field)
            link = _safe_link(inner)
            if link and (not media_prefix or not media_type or media_type.startswith(media_prefix)):
                return link
            fallback = fallback or link
        elif isinstance(candidate, str):
            link = _safe_link(candidate)
            if link:
                return link
        else:
            raise ParseError("wrong_type", field)
    return fallback


# --- values -----------------------------------------------------------------------------------


def _is_one_of(value: object, choices: frozenset[str]) -> bool:
    return isinstance(value, str) and value in choices


def _require_dict(doc: object, field: str = "document") -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ParseError("not_an_object", field)
    return doc


def _str(doc: dict[str, Any], key: str, *, field: str | None = None) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError("wrong_type", field or key)
    return _storable(value)


def _storable(text: str) -> str:
    """NUL and lone surrogates (JSON's "\\u0000", "\\ud800") replaced: no database stores them, and
    the sanitiser cannot even encode a surrogate."""
    return _UNSTORABLE_RE.sub("\ufffd", text)


def _bool(doc: dict[str, Any], key: str) -> bool | None:
    value = doc.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise ParseError("wrong_type", key)


def _int(value: object, field: str, *, low: int = 0, high: int = 10**9) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError("wrong_type", field)
    return value if low <= value <= high else None


def parse_datetime(value: object, field: str = "date") -> datetime | None:
    """ISO 8601 with `Z` or an offset; a time without a zone is read as UTC."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError("wrong_type", field)
    if len(value) > 64 or not re.match(r"^\d{4}-?\d{2}-?\d{2}", value):
        raise ParseError("bad_date", field)
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ParseError("bad_date", field) from exc


def _type(doc: dict[str, Any]) -> str:
    """The type, or the first of a list of types; a namespaced `as:Note` reads as `Note`."""
    value = doc.get("type")
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str)), None)
    if value is None:
        raise ParseError("missing", "type")
    if not isinstance(value, str):
        raise ParseError("wrong_type", "type")
    if not _TYPE_RE.match(value):
        raise ParseError("unsupported_type", "type")
    return value.removeprefix("as:")


# --- text -------------------------------------------------------------------------------------


def plain(raw: str | None, cap: int) -> str:
    """Tag-free text with entities decoded, whitespace collapsed, at most `cap` characters.

    Markup is removed; text that was escaped markup (`&lt;div&gt;`) stays visible
    but inert: its `<` becomes `‹`, so no HTML parser can read it as a tag.
    """
    if not raw:
        return ""
    text = re.sub(r"<(br|/p|/li|/h\d|/blockquote)\b[^>]*>", " ", _storable(raw[: cap * 8]), flags=re.IGNORECASE)
    text = html.unescape(_strip_tags(text))
    text = _TAG_LIKE_RE.sub(lambda match: "\u2039" + match.group(0)[1:], text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:cap].rstrip()


def _strip_tags(fragment: str) -> str:
    """Every tag removed (script and style with their content); entities still encoded."""
    return nh3.clean(fragment, tags=set(), strip_comments=True)


def _html(raw: str | None, field: str, *, max_bytes: int | None = None, max_chars: int | None = None) -> str:
    if not raw:
        return ""
    if max_bytes is not None and len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ParseError("too_large", field)
    cleaned = sanitise_html(_storable(raw[: max_chars * 4] if max_chars else raw))
    if max_chars is not None and len(cleaned) > max_chars:
        cleaned = sanitise_html(cleaned[:max_chars])  # re-sanitised: a cut tag is closed or dropped
    return cleaned


# --- actors -----------------------------------------------------------------------------------


def _same_origin_iri(doc: dict[str, Any], key: str, owner: str, *, required: bool = False) -> str | None:
    iri = _iri(doc.get(key), key, required=required)
    if iri is not None and not same_origin(iri, owner):
        raise ParseError("not_same_origin", key)
    return iri


def parse_actor(doc: object) -> ActorData:
    """An actor document as ActorData (the parser lives in parse_actor.py; this name stays
    here, where every other parser of the wire format is)."""
    from kith.federation.activitypub import parse_actor as actor_parser

    return actor_parser.parse_actor(doc)


def _attributed_to(value: object) -> str:
    """The author: a reference, or the first that is not a Group in a list of them (PeerTube, Friendica)."""
    items = value if isinstance(value, list) else [value]
    if len(items) > 10:
        raise ParseError("too_many", "attributedTo")
    people = [item for item in items if not (isinstance(item, dict) and item.get("type") in ("Group", "Organization"))]
    chosen = (people or items or [None])[0]
    author = _iri(chosen, "attributedTo", required=True)
    assert author is not None  # noqa: S101 - required above
    return author


def _tags(value: object) -> tuple[tuple[str, ...], tuple[str, ...], tuple[TagLink, ...]]:
    items = value if isinstance(value, list) else ([] if value is None else [value])
    if len(items) > MAX_TAGS:
        raise ParseError("too_many", "tag")
    hashtags: list[str] = []
    mentions: list[str] = []
    links: list[TagLink] = []
    for item in items:
        if isinstance(item, str):
            continue  # a bare reference says nothing about what kind of tag it is
        if not isinstance(item, dict):
            raise ParseError("wrong_type", "tag")
        kind = item.get("type")
        if kind == "Hashtag":
            name = normalise_tag(plain(_str(item, "name", field="tag.name"), 101))
            if not _TAG_NAME_RE.match(name):
                continue
            if name not in hashtags:
                hashtags.append(name)
            href = _str(item, "href", field="tag.href")
            link = _safe_link(href) if href else None
            if link:
                links.append(TagLink("hashtag", link, name))
        elif kind == "Mention":
            href = _str(item, "href", field="tag.href")
            link = _safe_link(href) if href else None
            if link and link not in mentions:
                mentions.append(link)
                handle = plain(_str(item, "name", field="tag.name"), MAX_NAME_CHARS).removeprefix("@")
                links.append(TagLink("mention", link, handle if _HANDLE_RE.match(handle) else ""))
    return tuple(hashtags), tuple(mentions), tuple(links)


def _focal_point(value: object) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ParseError("wrong_type", "attachment.focalPoint")
    point = []
    for number in value:
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ParseError("wrong_type", "attachment.focalPoint")
        point.append(float(number))
    if not all(-1.0 <= number <= 1.0 for number in point):
        return None
    return point[0], point[1]


def _attachments(value: object) -> tuple[AttachmentData, ...]:
    items = value if isinstance(value, list) else ([] if value is None else [value])
    if len(items) > MAX_ATTACHMENTS:
        raise ParseError("too_many", "attachment")
    found = []
    for item in items:
        if isinstance(item, str):
            continue
        if not isinstance(item, dict):
            raise ParseError("wrong_type", "attachment")
        if not _is_one_of(item.get("type"), ATTACHMENT_TYPES):
            continue  # Links, PropertyValues and anything else are not media
        media_type = _str(item, "mediaType", field="attachment.mediaType")
        url = _link_url(item.get("url", item.get("href")), "attachment.url", media_prefix=(media_type or "").split("/")[0])
        if url is None:
            continue
        blurhash = _str(item, "blurhash", field="attachment.blurhash")
        found.append(
            AttachmentData(
                url=url,
                media_type=media_type if media_type and _MEDIA_TYPE_RE.match(media_type) else None,
                description=plain(_str(item, "name", field="attachment.name") or _str(item, "summary", field="attachment.summary"), MAX_DESCRIPTION_CHARS),
                blurhash=blurhash if blurhash and _BLURHASH_RE.match(blurhash) else None,
                width=_int(item.get("width"), "attachment.width", low=1, high=100_000),
                height=_int(item.get("height"), "attachment.height", low=1, high=100_000),
                focal_point=_focal_point(item.get("focalPoint")),
            )
        )
    return tuple(found)


def _poll(doc: dict[str, Any]) -> PollData | None:
    any_of, one_of = doc.get("anyOf"), doc.get("oneOf")
    multiple = bool(any_of)
    choices = any_of if multiple else one_of
    if choices is None:
        return None
    if not isinstance(choices, list):
        raise ParseError("wrong_type", "anyOf" if multiple else "oneOf")
    if len(choices) > MAX_POLL_OPTIONS:
        raise ParseError("too_many", "oneOf")
    options = []
    for choice in choices:
        if not isinstance(choice, dict):
            raise ParseError("wrong_type", "oneOf")
        name = plain(_str(choice, "name", field="oneOf.name"), MAX_NAME_CHARS)
        replies = choice.get("replies")
        votes = None
        if replies is not None:
            votes = _int(_require_dict(replies, "oneOf.replies").get("totalItems"), "oneOf.replies.totalItems")
        options.append(PollOption(name=name, votes=votes or 0))
    if not options:
        return None
    closed_value = doc.get("closed")
    closed_at = None
    if isinstance(closed_value, bool):
        closed = closed_value
    else:
        closed_at = parse_datetime(closed_value, "closed")
        closed = closed_at is not None
    return PollData(
        options=tuple(options),
        multiple=multiple,
        end_time=parse_datetime(doc.get("endTime"), "endTime"),
        voters_count=_int(doc.get("votersCount"), "votersCount"),
        closed=closed,
        closed_at=closed_at,
    )


def _content_and_language(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    content = _str(doc, "content")
    content_map = doc.get("contentMap")
    language = None
    if content_map is not None:
        if not isinstance(content_map, dict):
            raise ParseError("wrong_type", "contentMap")
        for key, value in content_map.items():
            if not isinstance(value, str):
                raise ParseError("wrong_type", "contentMap")
            if language is None or value == content:
                language = key
            if value == content:
                break
        if content is None and content_map:
            content = content_map[language]
    if language is None:
        lemmy_language = doc.get("language")
        if isinstance(lemmy_language, dict):
            identifier = lemmy_language.get("identifier")
            language = identifier if isinstance(identifier, str) else None
    if language is not None and not _LANGUAGE_RE.match(language):
        language = None
    return content, language


def _source_markdown(doc: dict[str, Any]) -> str | None:
    source = doc.get("source")
    if not isinstance(source, dict):
        return None
    media_type, text = source.get("mediaType"), source.get("content")
    if not _is_one_of(media_type, MARKDOWN_TYPES) or not isinstance(text, str) or not text:
        return None
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CONTENT_BYTES:
        raise ParseError("too_large", "source.content")
    return None if _UNSAFE_SOURCE_RE.search(_MFM_TAGS_RE.sub("", text)) else _storable(text)


def _addressing(doc: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    counted = 0
    for key in ("to", "cc", "bto", "bcc", "audience"):
        value = doc.get(key)
        counted += len(value) if isinstance(value, list) else int(value is not None)
    if counted > MAX_ADDRESSEES:
        raise ParseError("too_many", "to/cc")
    return _iri_list(doc.get("to"), "to", MAX_ADDRESSEES), _iri_list(doc.get("cc"), "cc", MAX_ADDRESSEES)


def parse_note(doc: object) -> NoteData:
    doc = _require_dict(doc)
    note_type = _type(doc)
    if note_type not in NOTE_TYPES:
        raise ParseError("unsupported_type", "type")
    note_id = _iri(doc.get("id"), "id", required=True)
    assert note_id is not None  # noqa: S101 - required above
    author = _attributed_to(doc.get("attributedTo"))
    if not same_origin(author, note_id):
        raise ParseError("not_same_origin", "attributedTo")
    content, language = _content_and_language(doc)
    to, cc = _addressing(doc)
    hashtags, mentions, tag_links = _tags(doc.get("tag"))
    name = plain(_str(doc, "name"), MAX_TITLE_CHARS)
    summary = plain(_str(doc, "summary"), MAX_SUMMARY_CHARS)
    return NoteData(
        id=note_id,
        type=note_type,
        attributed_to=author,
        name=name or None,
        content_html=_html(content, "content", max_bytes=MAX_CONTENT_BYTES),
        source_markdown=_source_markdown(doc),
        summary=summary or None,
        sensitive=bool(_bool(doc, "sensitive")),
        published=parse_datetime(doc.get("published"), "published"),
        updated=parse_datetime(doc.get("updated"), "updated"),
        in_reply_to=_iri(doc.get("inReplyTo"), "inReplyTo"),
        url=_link_url(doc.get("url"), "url", media_prefix="text/html"),
        to=to,
        cc=cc,
        audience=_iri(doc.get("audience"), "audience"),
        hashtags=hashtags,
        mentions=mentions,
        attachments=_attachments(doc.get("attachment")),
        poll=_poll(doc) if note_type == "Question" else None,
        language=language,
        context=_context(doc),
        tag_links=tag_links,
    )


MAX_CONTEXT_CHARS = 2048


def _context(doc: dict[str, Any]) -> str | None:
    for key in ("context", "conversation"):
        value = doc.get(key)
        if isinstance(value, dict):
            value = value.get("id")
        if (
            isinstance(value, str)
            and 0 < len(value) <= MAX_CONTEXT_CHARS
            and value.isprintable()
            and not any(c.isspace() for c in value)
        ):
            return value
    return None


# --- activities -------------------------------------------------------------------------------


def _embedded(value: dict[str, Any], depth: int) -> NoteData | ActorData | TombstoneData | ActivityData | None:
    """Parse an embedded object of a known kind; None when it is of a kind we only keep the id of."""
    kind = _type(value)
    if kind in NOTE_TYPES:
        return parse_note(value)
    if kind in ACTOR_TYPES:
        return parse_actor(value)
    if kind == "Tombstone":
        tombstone_id = _iri(value.get("id"), "object.id", required=True)
        assert tombstone_id is not None  # noqa: S101 - required above
        former = _str(value, "formerType", field="object.formerType")
        return TombstoneData(id=tombstone_id, former_type=former if former and _TYPE_RE.match(former) else None)
    if "actor" in value and depth < MAX_EMBED_DEPTH:
        return _parse_activity(value, depth + 1)
    return None


def _object(activity_type: str, actor: str, value: object, depth: int) -> tuple[Any, tuple[str, ...]]:
    if isinstance(value, list):
        if len(value) > MAX_ADDRESSEES:
            raise ParseError("too_many", "object")
        iris = []
        for item in value:
            iri = _iri(item, "object", required=True, allow_fragment=True)
            if iri not in iris:
                iris.append(iri)
        return (iris[0] if iris else None), tuple(iris)
    if not isinstance(value, dict):
        single = _iri(value, "object", allow_fragment=True)
        return single, (single,) if single else ()
    object_id = _iri(value.get("id"), "object.id", allow_fragment=True)
    trusted = activity_type in ("Accept", "Reject") or (object_id is not None and same_origin(object_id, actor))
    if not trusted:
        if object_id is None:
            raise ParseError("missing", "object.id")
        return object_id, (object_id,)
    parsed = _embedded(value, depth)
    if parsed is None:
        if object_id is None:
            raise ParseError("missing", "object.id")
        return object_id, (object_id,)
    return parsed, (parsed.id,)


def _check_object_rules(activity_type: str, actor: str, obj: Any, object_id: str | None) -> None:
    if activity_type in _OWN_OBJECT:
        if object_id is None:
            raise ParseError("missing", "object")
        if not same_origin(object_id, actor):
            raise ParseError("not_same_origin", "object")
    if activity_type == "Update" and isinstance(obj, ActorData) and obj.id != actor:
        raise ParseError("actor_mismatch", "object")
    if activity_type == "Undo" and isinstance(obj, ActivityData) and obj.actor != actor:
        raise ParseError("actor_mismatch", "object.actor")
    if activity_type == "Move" and object_id != actor:
        raise ParseError("actor_mismatch", "object")
    accepting = activity_type in ("Accept", "Reject") and isinstance(obj, ActivityData)
    if accepting and obj.type == "Follow" and obj.object_id != actor:
        raise ParseError("actor_mismatch", "object.object")


def _parse_activity(doc: object, depth: int) -> ActivityData:
    doc = _require_dict(doc)
    activity_type = _type(doc)
    if activity_type in NOTE_TYPES or activity_type in ACTOR_TYPES or activity_type == "Tombstone":
        raise ParseError("unsupported_type", "type")
    if doc.get("actor") is None:
        raise ParseError("missing", "actor")
    actor = _iri(doc.get("actor"), "actor", required=True)
    assert actor is not None  # noqa: S101 - required above
    activity_id = _iri(doc.get("id"), "id", required=True, allow_fragment=True)
    assert activity_id is not None  # noqa: S101 - required above
    if not same_origin(activity_id, actor):
        raise ParseError("not_same_origin", "id")
    obj, objects = _object(activity_type, actor, doc.get("object"), depth)
    object_id = objects[0] if objects else None
    _check_object_rules(activity_type, actor, obj, object_id)
    if activity_type == "Move" and doc.get("target") is None:
        raise ParseError("missing", "target")
    to, cc = _addressing(doc)
    content = plain(_str(doc, "content"), MAX_SUMMARY_CHARS)
    return ActivityData(
        id=activity_id,
        type=activity_type,
        actor=actor,
        object=obj,
        object_id=object_id,
        objects=objects,
        target=_iri(doc.get("target"), "target", allow_fragment=True),
        instrument=_iri(doc.get("instrument"), "instrument", allow_fragment=True),
        to=to,
        cc=cc,
        published=parse_datetime(doc.get("published"), "published"),
        content=content or None,
    )


def parse_activity(doc: object) -> ActivityData:
    return _parse_activity(doc, 0)


# --- addressing -------------------------------------------------------------------------------

def is_public(to: Iterable[str], cc: Iterable[str] = ()) -> bool:
    """Addressed to Public in any of its three spellings, in `to` or `cc`."""
    return any(_is_one_of(address, PUBLIC_ALIASES) for address in (*to, *cc))


def addressing_of(
    to: Iterable[str],
    cc: Iterable[str],
    followers_url: str | None,
    *,
    mentions: Iterable[str] | None = None,
    author: str | None = None,
) -> Addressing:
    """ActivityPub addressing in the protocol-neutral terms every adapter shares
    (kith/federation/addressing.py): Public in `to` is listed, in `cc` only unlisted; the
    author's followers collection; everyone else by id, the author's own id (when given) left out."""
    to, cc = tuple(to), tuple(cc)
    others = (address for address in (*to, *cc) if not _is_one_of(address, PUBLIC_ALIASES))
    return Addressing(
        public=is_public(to, cc),
        listed=is_public(to),
        followers=bool(followers_url) and followers_url in (*to, *cc),
        recipients=tuple(address for address in others if address not in (author, followers_url)),
        mentions=None if mentions is None else tuple(mentions),
    )


def classify_addressing(
    to: Iterable[str],
    cc: Iterable[str],
    followers_url: str | None,
    *,
    mentions: Iterable[str] | None = None,
    author: str | None = None,
) -> Reach:
    """Mastodon's reading of an audience (kith.federation.addressing.reach_of).

    public: Public in `to`; unlisted: Public only in `cc`; followers: the
    author's followers collection addressed, no Public; limited: nobody else
    addressed (the author's own id, when given, does not count); direct: only
    people.  With `mentions` given, a direct audience that includes someone
    without a Mention tag is "limited" (Mastodon's word for a post addressed to
    chosen people, which is what a Kith aspect post looks like on the wire).
    """
    return reach_of(addressing_of(to, cc, followers_url, mentions=mentions, author=author))


def audience_of(note: NoteData) -> tuple[str, ...]:
    """Everyone and every collection the note is addressed to, Public left out, in order, once each."""
    seen: list[str] = []
    for address in (*note.to, *note.cc, *((note.audience,) if note.audience else ())):
        if address not in PUBLIC_ALIASES and address not in seen:
            seen.append(address)
    return tuple(seen)
