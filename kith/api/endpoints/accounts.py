"""Accounts: /api/v1/accounts/..."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query

from kith.api import entities
from kith.api.auth import PUBLIC, OAuth, me, viewer
from kith.api.pagination import PageParams, link_header
from kith.api.routing import ApiRouter
from kith.api.schemas import Account, CredentialAccount, Status
from kith.core.errors import NotFound
from kith.people.models import Person
from kith.social import selectors as posts
from kith.visibility import visible_persons

router = ApiRouter(tags=["accounts"])


def visible_account(request: HttpRequest, account_id: int) -> Person:
    """The person behind `account_id` if the viewer may see them (404 otherwise, as for nobody)."""
    person = visible_persons(viewer(request), Person.objects.filter(id=account_id)).first()
    if person is None:
        raise NotFound("Record not found")
    return person


@router.get("/v1/accounts/verify_credentials", response=CredentialAccount,
            auth=OAuth("read:accounts"), exclude_none=False)
def verify_credentials(request: HttpRequest) -> dict:
    return entities.credential_account(me(request))


@router.get("/v1/accounts/{account_id}", response=Account, auth=PUBLIC)
def get_account(request: HttpRequest, account_id: int) -> dict:
    return entities.account(visible_account(request, account_id))


@router.get("/v1/accounts/{account_id}/statuses", response=list[Status], auth=PUBLIC)
def account_statuses(request: HttpRequest, response: HttpResponse, account_id: int,
                     page: Query[PageParams]) -> list[dict]:
    person = visible_account(request, account_id)
    items = posts.person_posts(viewer(request), person, page.to_page())
    link_header(request, response, [item.id for item in items], limit=page.to_page().limit)
    return entities.statuses(viewer(request), items)
