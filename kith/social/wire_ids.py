"""The ids other servers know people, posts and comments by: this pod's own, and the stored ids
of remote ones.  The client API shows them (`uri` of accounts and statuses).

This module knows no protocol.  A federation adapter registers its `WireIds` at app ready
(kith/federation/activitypub/apps.py): how it spells this pod's ids, and the table where it
keeps the ids of remote rows (read in the caller's own batched query, so that showing them
costs no query of its own).  With none registered there are none; callers fall back to web
addresses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class RemoteIdTable:
    """Where an adapter stores remote rows' ids: `model` has a column `key` naming the domain row
    (a person, post or comment id) and a column `uri` holding the id other servers use."""

    model: type[models.Model]
    key: str
    uri: str = "uri"


@dataclass(frozen=True)
class WireIds:
    person: Callable[[str], str]  # a local person's id, by username
    post: Callable[[str, int], str]  # a local post's id, by author's username and post id
    comment: Callable[[str, int], str]  # a local comment's id, by author's username and comment id
    remote_people: RemoteIdTable
    remote_posts: RemoteIdTable
    remote_comments: RemoteIdTable


_registered: WireIds | None = None


def register_wire_ids(wire_ids: WireIds) -> None:
    global _registered
    _registered = wire_ids


def wire_ids() -> WireIds | None:
    """The registered adapter's ids, or None when no federation adapter is installed."""
    return _registered
