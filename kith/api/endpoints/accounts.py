"""Accounts: /api/v1/accounts/... (profiles, their statuses and follows, search, lookup).

The actions between two accounts (follow, block, mute ...) and the lists of
them are in `relationships.py`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Schema
from ninja.files import UploadedFile

from kith.api import entities
from kith.api.auth import OAuth, me, public_read, viewer
from kith.api.filtering import apply_filters
from kith.api.pagination import PageParams, link_header
from kith.api.routing import ApiRouter
from kith.api.schemas import Account, AccountList, CredentialAccount, Status
from kith.core.errors import NotFound
from kith.graph import selectors as graph
from kith.people import services as people
from kith.people.models import Person
from kith.people.selectors import person_by_handle
from kith.social import search
from kith.social import selectors as posts
from kith.social.lookup import find_person
from kith.social.selectors import Page
from kith.visibility import visible_persons

router = ApiRouter(tags=["accounts"])

# Mastodon pages accounts by 40 (and statuses by 20); Kith's pages hold at most 40.
ACCOUNTS_PAGE = 40


def visible_account(request: HttpRequest, account_id: int) -> Person:
    """The person behind `account_id` if the viewer may see them (404 otherwise, as for nobody)."""
    person = visible_persons(viewer(request), Person.objects.filter(id=account_id)).first()
    if person is None:
        raise NotFound("Record not found")
    return person


def accounts_page(request: HttpRequest, page: PageParams) -> Page:
    """The page asked for, with Mastodon's default of 40 accounts when no `limit` is given."""
    if "limit" not in request.GET:
        page = page.model_copy(update={"limit": ACCOUNTS_PAGE})
    return page.to_page()


# ---- the viewer's own account -----------------------------------------------------------


@router.get("/v1/accounts/verify_credentials", response=CredentialAccount,
            auth=OAuth("read:accounts"), exclude_none=False)
def verify_credentials(request: HttpRequest) -> dict:
    return entities.credential_account(me(request))


class CredentialsForm(Schema):
    """PATCH /api/v1/accounts/update_credentials.  `bot`, `hide_collections`, `fields_attributes`
    and `source[...]` are accepted (clients send the whole form) but Kith has no place for them."""

    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    bot: bool | None = None
    hide_collections: bool | None = None
    fields_attributes: Any = None
    source: dict[str, Any] | None = None


@router.patch("/v1/accounts/update_credentials", response=CredentialAccount,
              auth=OAuth("write:accounts"), exclude_none=False)
def update_credentials(request: HttpRequest, form: Form[CredentialsForm],
                       avatar: File[UploadedFile] = None,
                       header: File[UploadedFile] = None) -> dict:
    person = me(request)
    changes: dict[str, Any] = {}
    if form.display_name is not None:
        changes["display_name"] = form.display_name
    if form.note is not None:
        changes["bio"] = form.note
    if form.locked is not None:
        changes["locked"] = form.locked
    # Kith has one switch for being findable: Mastodon's `discoverable` (or `indexable`).
    findable = form.discoverable if form.discoverable is not None else form.indexable
    if findable is not None:
        changes["searchable"] = findable
    people.update_profile(person, avatar=avatar, header=header, **changes)
    person.refresh_from_db()
    return entities.credential_account(person)


# ---- finding accounts -------------------------------------------------------------------


class LookupParams(Schema):
    acct: str


@router.get("/v1/accounts/lookup", response=Account, auth=public_read("read:accounts"))
def lookup(request: HttpRequest, params: Query[LookupParams]) -> dict:
    """An account known here by its handle (`name` or `name@domain`); never asks other servers."""
    found = person_by_handle(params.acct, viewer(request))
    if found is None:
        raise NotFound("Record not found")
    return entities.account(visible_account(request, found.id))


class AccountSearchParams(Schema):
    q: str
    limit: int = ACCOUNTS_PAGE
    offset: int = 0
    resolve: bool = False
    following: bool = False


@router.get("/v1/accounts/search", response=list[Account], auth=OAuth("read:accounts"))
def search_accounts(request: HttpRequest, params: Query[AccountSearchParams]) -> list[dict]:
    """People by name or handle; `resolve=true` fetches a `name@domain` handle from its server
    (as the web's search does), `following=true` keeps only people the viewer follows."""
    reader = me(request)
    limit = max(1, min(params.limit, ACCOUNTS_PAGE))
    offset = max(0, params.offset)
    matches = search.people_matching(reader, params.q)
    if params.following:
        matches = matches.filter(id__in=graph.followee_ids(reader))
    found = list(matches[offset : offset + limit])
    if params.resolve and offset == 0 and "@" in params.q.strip().lstrip("@"):
        resolved = find_person(params.q.strip(), reader)
        if (
            resolved is not None
            and resolved.id not in {p.id for p in found}
            and visible_persons(reader, Person.objects.filter(id=resolved.id)).exists()
            and (not params.following or graph.followee_ids(reader).filter(followee_id=resolved.id).exists())
        ):
            found = [resolved, *found][:limit]
    return entities.accounts(found)


# ---- one account ------------------------------------------------------------------------


@router.get("/v1/accounts/{int:account_id}", response=Account, auth=public_read("read:accounts"))
def get_account(request: HttpRequest, account_id: int) -> dict:
    return entities.account(visible_account(request, account_id))


class AccountStatusesParams(Schema):
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    only_media: bool = False
    pinned: bool = False
    tagged: str | None = None


@router.get("/v1/accounts/{int:account_id}/statuses", response=list[Status], auth=public_read("read:statuses"))
def account_statuses(request: HttpRequest, response: HttpResponse, account_id: int,
                     page: Query[PageParams], params: Query[AccountStatusesParams]) -> list[dict]:
    """The account's posts (and, unless exclude_replies, their comments, which clients show as
    replies), as the viewer may see them."""
    person = visible_account(request, account_id)
    paging = page.to_page()
    items = posts.person_statuses(
        viewer(request), person, paging,
        replies=not params.exclude_replies, reshares=not params.exclude_reblogs,
        only_media=params.only_media, pinned=params.pinned, tagged=params.tagged or None,
    )
    link_header(request, response, [item.id for item in items], limit=paging.limit)
    return apply_filters(viewer(request), "account", entities.statuses(viewer(request), items))


@router.get("/v1/accounts/{int:account_id}/followers", response=list[Account], auth=public_read("read:accounts"))
def followers(request: HttpRequest, response: HttpResponse, account_id: int, page: Query[PageParams]) -> list[dict]:
    person = visible_account(request, account_id)
    paging = accounts_page(request, page)
    rows = graph.followers_page(person, viewer(request), paging)
    link_header(request, response, [row.id for row in rows], limit=paging.limit)
    return entities.accounts([row.follower for row in rows])


@router.get("/v1/accounts/{int:account_id}/following", response=list[Account], auth=public_read("read:accounts"))
def following(request: HttpRequest, response: HttpResponse, account_id: int, page: Query[PageParams]) -> list[dict]:
    person = visible_account(request, account_id)
    paging = accounts_page(request, page)
    rows = graph.following_page(person, viewer(request), paging)
    link_header(request, response, [row.id for row in rows], limit=paging.limit)
    return entities.accounts([row.followee for row in rows])


@router.get("/v1/accounts/{int:account_id}/lists", response=list[AccountList], auth=OAuth("read:lists"))
def lists_containing(request: HttpRequest, account_id: int) -> list[dict]:
    """The viewer's aspects (Mastodon lists) this account is in."""
    person = visible_account(request, account_id)
    return [entities.list_entity(aspect) for aspect in graph.aspects_containing(me(request), person)]
