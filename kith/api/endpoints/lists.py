"""Lists: /api/v1/lists/...  A Mastodon list is a Kith aspect.

Kith's meaning is kept: putting someone in an aspect is *sharing with them* (your limited
posts to that aspect reach them, and you follow them, as diaspora* does), not only reading
them.  So adding an account needs no earlier follow (Mastodon asks for one), and removing
someone from their last aspect stops sharing with them and unfollows them.  Deleting a list
does the same for members in no other aspect.  Posts already shared keep their audience.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Form, Query, Schema
from pydantic import Field

from kith.api import entities
from kith.api.auth import OAuth, me
from kith.api.pagination import PageParams, link_header
from kith.api.params import DbId
from kith.api.routing import ApiRouter
from kith.api.schemas import Account, AccountList, Empty
from kith.core.errors import Invalid, NotFound
from kith.core.paging import page_ids
from kith.graph import selectors as graph
from kith.graph import services as graph_services
from kith.graph.models import Aspect
from kith.people.models import Person
from kith.visibility import visible_persons

router = ApiRouter(tags=["lists"])

REPLIES_POLICIES = ("followed", "list", "none")
LIST_ACCOUNTS_PAGE = 40
MAX_LIST_ACCOUNTS_PAGE = 80
# Adding someone shares with and follows them (a notification, a Follow to their server):
# one request may not do that to thousands of people at once.
MAX_ACCOUNT_IDS = 100


def own_aspect(request: HttpRequest, list_id: int) -> Aspect:
    aspect = graph.aspects_of(me(request)).filter(id=list_id).first()
    if aspect is None:
        raise NotFound("Record not found")
    return aspect


class ListBody(Schema):
    title: str | None = None
    replies_policy: str | None = None
    exclusive: bool | None = None


def _check_options(body: ListBody) -> None:
    """Kith's list timeline holds members' posts (never other replies): every policy reads the
    same, so any valid one is accepted; an aspect cannot hide its members from home."""
    if body.replies_policy is not None and body.replies_policy not in REPLIES_POLICIES:
        raise Invalid("replies_policy is one of followed, list, none.")
    if body.exclusive:
        raise Invalid("Kith lists are aspects and are never exclusive.")


@router.get("/v1/lists", response=list[AccountList], auth=OAuth("read:lists"))
def lists(request: HttpRequest) -> list[dict]:
    return [entities.list_entity(aspect) for aspect in graph.aspects_of(me(request))]


@router.get("/v1/lists/{int:list_id}", response=AccountList, auth=OAuth("read:lists"))
def get_list(request: HttpRequest, list_id: int) -> dict:
    return entities.list_entity(own_aspect(request, list_id))


@router.post("/v1/lists", response=AccountList, auth=OAuth("write:lists"))
def create_list(request: HttpRequest, body: Form[ListBody]) -> dict:
    _check_options(body)
    return entities.list_entity(graph_services.create_aspect(me(request), body.title or ""))


@router.put("/v1/lists/{int:list_id}", response=AccountList, auth=OAuth("write:lists"))
def update_list(request: HttpRequest, list_id: int, body: Form[ListBody]) -> dict:
    aspect = own_aspect(request, list_id)
    _check_options(body)
    if body.title is not None:
        aspect = graph_services.rename_aspect(me(request), aspect, body.title)
    return entities.list_entity(aspect)


@router.delete("/v1/lists/{int:list_id}", response=Empty, auth=OAuth("write:lists"))
def delete_list(request: HttpRequest, list_id: int) -> dict:
    graph_services.delete_aspect(me(request), own_aspect(request, list_id))
    return {}


class ListAccountsPage(PageParams):
    limit: int = LIST_ACCOUNTS_PAGE  # 0: every member, as Mastodon allows


@router.get("/v1/lists/{int:list_id}/accounts", response=list[Account], auth=OAuth("read:lists"))
def list_accounts(request: HttpRequest, response: HttpResponse, list_id: int,
                  page: Query[ListAccountsPage]) -> list[dict]:
    aspect = own_aspect(request, list_id)
    members = graph.contacts(me(request), aspect)
    if page.limit == 0:
        people = list(members.order_by("-id"))
    else:
        paging = page.to_page(default=LIST_ACCOUNTS_PAGE, maximum=MAX_LIST_ACCOUNTS_PAGE)
        ids = page_ids(members, paging)
        by_id = Person.objects.in_bulk(ids)
        people = [by_id[i] for i in ids if i in by_id]
        link_header(request, response, ids, limit=paging.limit)
    return entities.accounts(people)


class AccountIds(Schema):
    account_ids: list[DbId] = Field([], max_length=MAX_ACCOUNT_IDS)


def _people(request: HttpRequest, account_ids: list[int]) -> list[Person]:
    if not account_ids:
        # Some clients send a DELETE's parameters in the query string.
        raw = request.GET.getlist("account_ids[]") or request.GET.getlist("account_ids")
        try:
            account_ids = [int(value) for value in raw]
        except ValueError as error:
            raise Invalid("account_ids are account ids.") from error
        if len(account_ids) > MAX_ACCOUNT_IDS or any(not -(2**63) <= i < 2**63 for i in account_ids):
            raise Invalid(f"account_ids are at most {MAX_ACCOUNT_IDS} account ids.")
    if not account_ids:
        raise Invalid("account_ids is required.")
    found = {p.id: p for p in visible_persons(me(request), Person.objects.filter(id__in=account_ids))}
    if len(found) != len(set(account_ids)):
        raise NotFound("Record not found")
    return [found[i] for i in dict.fromkeys(account_ids)]


@router.post("/v1/lists/{int:list_id}/accounts", response=Empty, auth=OAuth("write:lists"))
def add_accounts(request: HttpRequest, list_id: int, body: Form[AccountIds]) -> dict:
    aspect = own_aspect(request, list_id)
    with transaction.atomic():  # all of them or none
        for person in _people(request, body.account_ids):
            graph_services.add_to_aspect(me(request), aspect, person)
    return {}


@router.delete("/v1/lists/{int:list_id}/accounts", response=Empty, auth=OAuth("write:lists"))
def remove_accounts(request: HttpRequest, list_id: int, body: Form[AccountIds]) -> dict:
    aspect = own_aspect(request, list_id)
    with transaction.atomic():
        for person in _people(request, body.account_ids):
            graph_services.remove_from_aspect(me(request), aspect, person)
    return {}
