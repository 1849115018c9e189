"""Actor documents (Person, Service, Application, Group, Organization) -> ActorData.

Part of the wire parser (parse.py, whose docstring holds the rules: ids, same origin,
sizes, text); split off by concept.  Use it as `parse.parse_actor`.
"""

from __future__ import annotations

from typing import Any

from kith.core.text import normalise_tag
from kith.federation import multikey
from kith.federation.activitypub.parse import (  # the wire parser's own helpers and limits
    _TAG_NAME_RE,
    _USERNAME_RE,
    ACTOR_TYPES,
    MAX_ALIASES,
    MAX_NAME_CHARS,
    MAX_PEM_CHARS,
    MAX_PROFILE_FIELDS,
    MAX_SUMMARY_CHARS,
    MAX_TAGS,
    ActorData,
    ParseError,
    _bool,
    _check_url,
    _html,
    _iri,
    _iri_list,
    _link_url,
    _require_dict,
    _same_origin_iri,
    _str,
    _type,
    parse_datetime,
    plain,
    same_origin,
)


def _public_key(doc: dict[str, Any], actor_id: str) -> tuple[str | None, str | None]:
    keys = doc.get("publicKey")
    if keys is None:
        return None, None
    candidates = keys if isinstance(keys, list) else [keys]
    if len(candidates) > 10:
        raise ParseError("too_many", "publicKey")
    for key in candidates:
        if isinstance(key, str):  # a reference to a key document: nothing to read here
            continue
        key = _require_dict(key, "publicKey")
        owner = _iri(key.get("owner"), "publicKey.owner", required=True)
        if owner != actor_id:
            raise ParseError("key_owner_mismatch", "publicKey.owner")
        key_id = _iri(key.get("id"), "publicKey.id", required=True, allow_fragment=True)
        assert key_id is not None  # noqa: S101 - required above; narrows the type
        if not same_origin(key_id, actor_id):
            raise ParseError("not_same_origin", "publicKey.id")
        pem = _str(key, "publicKeyPem", field="publicKey.publicKeyPem")
        if pem is None:
            raise ParseError("missing", "publicKey.publicKeyPem")
        pem = pem.strip()
        if len(pem) > MAX_PEM_CHARS or not pem.startswith("-----BEGIN ") or "<" in pem:
            raise ParseError("bad_key", "publicKey.publicKeyPem")
        return key_id, pem
    return None, None


MAX_MULTIKEYS = 10


def _multikeys(doc: dict[str, Any], actor_id: str) -> tuple[tuple[str, str], ...]:
    """The actor's FEP-521a `assertionMethod` keys, as (key id, PEM).

    A key is taken only if it is controlled by the actor and named by a fragment of the
    actor's id (so one key id can only ever mean one actor).  Anything else is skipped,
    never an error: a key of another controller or origin, of a type Kith cannot read
    (P-256, a key document by reference, a bad encoding).  The actor stays usable with
    its `publicKey` and the keys that pass; skipped keys verify nothing.
    """
    value = doc.get("assertionMethod")
    items = value if isinstance(value, list) else ([] if value is None else [value])
    found: dict[str, str] = {}
    for item in items[:MAX_MULTIKEYS]:
        if not isinstance(item, dict) or item.get("type") != "Multikey":
            continue
        controller, key_id = item.get("controller"), item.get("id")
        if controller != actor_id or not isinstance(key_id, str) or "#" not in key_id:
            continue
        try:
            key_id = _check_url(key_id, "assertionMethod.id", allow_fragment=True)
        except ParseError:
            continue
        if key_id.split("#", 1)[0] != actor_id or not key_id.split("#", 1)[1]:
            continue
        try:
            found.setdefault(key_id, multikey.decode_to_pem(item.get("publicKeyMultibase")))
        except multikey.MultikeyError:
            continue
    return tuple(found.items())


def _profile_fields(value: object) -> tuple[tuple[str, str], ...]:
    items = value if isinstance(value, list) else ([] if value is None else [value])
    fields: list[tuple[str, str]] = []
    for item in items[: MAX_PROFILE_FIELDS * 4]:
        if not isinstance(item, dict):
            raise ParseError("wrong_type", "attachment")
        if item.get("type") != "PropertyValue":
            continue
        name = plain(_str(item, "name", field="attachment.name"), MAX_NAME_CHARS)
        value_html = _html(_str(item, "value", field="attachment.value"), "attachment.value", max_chars=2_000)
        if name:
            fields.append((name, value_html))
        if len(fields) == MAX_PROFILE_FIELDS:
            break
    return tuple(fields)


def _picture_url(value: object, field: str) -> str | None:
    """An avatar's or header's URL, on any host (servers keep them on a media host or CDN of
    their own).  A malformed one is dropped, never an error: a broken picture must not make the
    actor unusable.  Whether it is an image is for the copy in the worker to find out."""
    try:
        return _link_url(value, field, media_prefix="image/")
    except ParseError:
        return None


MAX_ACTOR_HASHTAGS = 5  # what a profile shows (kith.people.services.MAX_PROFILE_TAGS)


def _actor_hashtags(value: object) -> tuple[str, ...]:
    """The first Hashtags of an actor's `tag`.  Never an error: emoji, mentions, bare references
    and malformed entries are skipped, and only the first MAX_TAGS entries are read, so a
    profile with odd tags still federates."""
    items = value if isinstance(value, list) else ([] if value is None else [value])
    found: list[str] = []
    for item in items[:MAX_TAGS]:
        if not isinstance(item, dict) or item.get("type") != "Hashtag" or not isinstance(item.get("name"), str):
            continue
        name = normalise_tag(plain(item["name"], 101))
        if len(name) <= 64 and _TAG_NAME_RE.match(name) and name not in found:
            found.append(name)
        if len(found) == MAX_ACTOR_HASHTAGS:
            break
    return tuple(found)


def parse_actor(doc: object) -> ActorData:
    doc = _require_dict(doc)
    actor_type = _type(doc)
    if actor_type not in ACTOR_TYPES:
        raise ParseError("unsupported_type", "type")
    actor_id = _iri(doc.get("id"), "id", required=True)
    assert actor_id is not None  # noqa: S101 - required above
    username = _str(doc, "preferredUsername")
    if username is None:
        raise ParseError("missing", "preferredUsername")
    if not _USERNAME_RE.match(username):
        raise ParseError("bad_username", "preferredUsername")
    endpoints = doc.get("endpoints")
    shared_inbox = None
    if endpoints is not None:
        shared_inbox = _same_origin_iri(_require_dict(endpoints, "endpoints"), "sharedInbox", actor_id)
    key_id, pem = _public_key(doc, actor_id)
    inbox = _same_origin_iri(doc, "inbox", actor_id, required=True)
    assert inbox is not None  # noqa: S101 - required above
    return ActorData(
        id=actor_id,
        type=actor_type,
        preferred_username=username,
        name=plain(_str(doc, "name"), MAX_NAME_CHARS),
        summary_html=_html(_str(doc, "summary"), "summary", max_chars=MAX_SUMMARY_CHARS),
        url=_link_url(doc.get("url"), "url", media_prefix="text/html"),
        inbox=inbox,
        shared_inbox=shared_inbox,
        outbox=_same_origin_iri(doc, "outbox", actor_id),
        followers=_same_origin_iri(doc, "followers", actor_id),
        following=_same_origin_iri(doc, "following", actor_id),
        featured=_iri(doc.get("featured"), "featured"),
        manually_approves_followers=bool(_bool(doc, "manuallyApprovesFollowers")),
        discoverable=_bool(doc, "discoverable"),
        indexable=_bool(doc, "indexable"),
        icon_url=_picture_url(doc.get("icon"), "icon"),
        image_url=_picture_url(doc.get("image"), "image"),
        key_id=key_id,
        public_key_pem=pem,
        published=parse_datetime(doc.get("published"), "published"),
        moved_to=_iri(doc.get("movedTo"), "movedTo"),
        also_known_as=_iri_list(doc.get("alsoKnownAs"), "alsoKnownAs", MAX_ALIASES),
        fields=_profile_fields(doc.get("attachment")),
        multikeys=_multikeys(doc, actor_id),
        hashtags=_actor_hashtags(doc.get("tag")),
    )


# --- notes ------------------------------------------------------------------------------------
