"""Relationships: following, blocking and muting accounts, and the lists of them.

/api/v1/accounts/:id/{follow,unfollow,block,unblock,mute,unmute,remove_from_followers},
/api/v1/accounts/relationships, /api/v1/accounts/familiar_followers,
/api/v1/follow_requests, /api/v1/blocks, /api/v1/mutes, /api/v1/domain_blocks.

Every action answers with the Relationship as it stands afterwards.  Writes go
through kith.graph.services, which emit the domain events federation listens
to (a follow of a remote person becomes a Follow activity there).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Form, Query, Schema

from kith.api import entities
from kith.api.auth import OAuth, me
from kith.api.endpoints.accounts import accounts_page, visible_account
from kith.api.pagination import PageParams, link_header
from kith.api.params import DbId
from kith.api.routing import ApiRouter
from kith.api.schemas import Account, Empty, FamiliarFollowers, MutedAccount, Relationship
from kith.core.errors import Invalid, NotFound
from kith.graph import selectors as graph
from kith.graph import services
from kith.people.models import Person

router = ApiRouter(tags=["relationships"])

MAX_IDS = 100  # ids per relationships / familiar_followers request
DOMAIN_BLOCKS_PAGE = 40  # Mastodon's default is 100; Kith's pages hold at most 40


def related_account(request: HttpRequest, account_id: int) -> Person:
    """The account to act on: any active one, even across a block (to unblock, unmute ...)."""
    person = graph.related_person(account_id)
    if person is None:
        raise NotFound("Record not found")
    return person


def _answer(request: HttpRequest, person: Person) -> dict:
    return entities.relationship(me(request), person)


# ---- actions ----------------------------------------------------------------------------


class FollowForm(Schema):
    """`reblogs`, `notify` and `languages` are accepted; Kith shows every boost of people
    followed and has no per-person notifications or language filters."""

    reblogs: bool | None = None
    notify: bool | None = None
    languages: list[str] | None = None


@router.post("/v1/accounts/{int:account_id}/follow", response=Relationship, auth=OAuth("write:follows"))
def follow(request: HttpRequest, account_id: int, form: Form[FollowForm]) -> dict:
    """Follow (a request, for locked accounts and people of other servers until they answer)."""
    person = visible_account(request, account_id)
    services.follow(me(request), person)
    return _answer(request, person)


@router.post("/v1/accounts/{int:account_id}/unfollow", response=Relationship, auth=OAuth("write:follows"))
def unfollow(request: HttpRequest, account_id: int) -> dict:
    person = related_account(request, account_id)
    services.unfollow(me(request), person)
    return _answer(request, person)


@router.post("/v1/accounts/{int:account_id}/remove_from_followers", response=Relationship,
             auth=OAuth("write:follows"))
def remove_from_followers(request: HttpRequest, account_id: int) -> dict:
    person = related_account(request, account_id)
    services.remove_follower(me(request), person)
    return _answer(request, person)


@router.post("/v1/accounts/{int:account_id}/block", response=Relationship, auth=OAuth("write:blocks"))
def block(request: HttpRequest, account_id: int) -> dict:
    person = related_account(request, account_id)
    services.block(me(request), person)
    return _answer(request, person)


@router.post("/v1/accounts/{int:account_id}/unblock", response=Relationship, auth=OAuth("write:blocks"))
def unblock(request: HttpRequest, account_id: int) -> dict:
    person = related_account(request, account_id)
    services.unblock(me(request), person)
    return _answer(request, person)


class MuteForm(Schema):
    notifications: bool = True
    duration: int = 0  # seconds; 0 for ever


@router.post("/v1/accounts/{int:account_id}/mute", response=Relationship, auth=OAuth("write:mutes"))
def mute(request: HttpRequest, account_id: int, form: Form[MuteForm]) -> dict:
    person = related_account(request, account_id)
    services.mute(me(request), person, notifications=form.notifications, duration=form.duration or None)
    return _answer(request, person)


@router.post("/v1/accounts/{int:account_id}/unmute", response=Relationship, auth=OAuth("write:mutes"))
def unmute(request: HttpRequest, account_id: int) -> dict:
    person = related_account(request, account_id)
    services.unmute(me(request), person)
    return _answer(request, person)


# ---- several accounts at once ---------------------------------------------------------------


class IdsParams(Schema):
    id: list[DbId] = []


def _ids(params: IdsParams) -> list[int]:
    if len(params.id) > MAX_IDS:
        raise Invalid(f"At most {MAX_IDS} ids at once.")
    return params.id


@router.get("/v1/accounts/relationships", response=list[Relationship], auth=OAuth("read:follows"))
def relationships(request: HttpRequest, params: Query[IdsParams]) -> list[dict]:
    """The viewer's relationship with each account asked for (unknown or suspended ones are left
    out), in a fixed number of queries however many are asked."""
    return entities.relationships(me(request), graph.related_persons(_ids(params)))


@router.get("/v1/accounts/familiar_followers", response=list[FamiliarFollowers], auth=OAuth("read:follows"))
def familiar_followers(request: HttpRequest, params: Query[IdsParams]) -> list[dict]:
    """For each account: the people the viewer follows who follow it too."""
    reader = me(request)
    persons = graph.related_persons(_ids(params))
    familiar = graph.familiar_followers(reader, persons)
    everyone = {p.id: p for followers in familiar.values() for p in followers}
    rendered = {int(entity["id"]): entity for entity in entities.accounts(list(everyone.values()))}
    return [
        {"id": str(person.id), "accounts": [rendered[p.id] for p in familiar[person.id]]} for person in persons
    ]


# ---- follow requests ----------------------------------------------------------------------


@router.get("/v1/follow_requests", response=list[Account], auth=OAuth("read:follows"))
def follow_requests(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[dict]:
    paging = accounts_page(request, page)
    rows = graph.follow_requests_page(me(request), paging)
    link_header(request, response, [row.id for row in rows], limit=paging.limit)
    return entities.accounts([row.follower for row in rows])


@router.post("/v1/follow_requests/{int:account_id}/authorize", response=Relationship,
             auth=OAuth("write:follows"))
def authorize_follow_request(request: HttpRequest, account_id: int) -> dict:
    person = related_account(request, account_id)
    services.accept_follow_request(me(request), person)
    return _answer(request, person)


@router.post("/v1/follow_requests/{int:account_id}/reject", response=Relationship, auth=OAuth("write:follows"))
def reject_follow_request(request: HttpRequest, account_id: int) -> dict:
    person = related_account(request, account_id)
    services.reject_follow_request(me(request), person)
    return _answer(request, person)


# ---- blocks, mutes, domain blocks -----------------------------------------------------------


@router.get("/v1/blocks", response=list[Account], auth=OAuth("read:blocks"))
def blocks(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[dict]:
    paging = accounts_page(request, page)
    rows = graph.blocks_page(me(request), paging)
    link_header(request, response, [row.id for row in rows], limit=paging.limit)
    return entities.accounts([row.blocked for row in rows])


@router.get("/v1/mutes", response=list[MutedAccount], auth=OAuth("read:mutes"))
def mutes(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[dict]:
    paging = accounts_page(request, page)
    rows = graph.mutes_page(me(request), paging)
    link_header(request, response, [row.id for row in rows], limit=paging.limit)
    rendered = entities.accounts([row.muted for row in rows])
    for entity, row in zip(rendered, rows, strict=True):
        entity["mute_expires_at"] = entities.iso(row.expires_at)
    return rendered


@router.get("/v1/domain_blocks", response=list[str], auth=OAuth("read:blocks"))
def domain_blocks(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[str]:
    if "limit" not in request.GET:
        page = page.model_copy(update={"limit": DOMAIN_BLOCKS_PAGE})
    paging = page.to_page()
    rows = graph.domain_blocks_page(me(request), paging)
    link_header(request, response, [row.id for row in rows], limit=paging.limit)
    return [row.domain for row in rows]


class DomainForm(Schema):
    domain: str | None = None


def _domain(request: HttpRequest, form: DomainForm) -> str:
    # Some clients put `domain` in the query string, even of a DELETE.
    domain = form.domain or request.GET.get("domain", "")
    if not domain.strip():
        raise Invalid("Give a domain.")
    return domain


@router.post("/v1/domain_blocks", response=Empty, auth=OAuth("write:blocks"))
def block_domain(request: HttpRequest, form: Form[DomainForm]) -> dict:
    """Hide a whole server: its posts and notifications, and its people among your followers."""
    services.block_domain(me(request), _domain(request, form))
    return {}


@router.delete("/v1/domain_blocks", response=Empty, auth=OAuth("write:blocks"))
def unblock_domain(request: HttpRequest, form: Form[DomainForm]) -> dict:
    services.unblock_domain(me(request), _domain(request, form))
    return {}

