"""Mastodon's admin API for domain policies, allowed domains and canonical e-mail blocks
(/api/v1/admin/domain_blocks, /domain_allows, /canonical_email_blocks), and the public list
of domain policies (/api/v1/instance/domain_blocks).

Staff read (moderators too: `admin:read:*`); only admins change (Mastodon asks for "Manage
Federation" and "Manage Blocks").  The services in kith.moderation decide, audit and act.

The public list is shown to everyone, signed in or not: Mastodon leaves it to a setting
(nobody, users, everyone); Kith chooses everyone, as a pod's policies are part of what a
newcomer should know before joining (obfuscated entries stay obfuscated)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Form, Query, Schema
from pydantic import Field

from kith.api.auth import staff
from kith.api.entities import iso
from kith.api.pagination import PageParams, link_header
from kith.api.routing import ApiRouter
from kith.api.schemas import Empty
from kith.core.errors import Invalid, NotFound
from kith.core.paging import page_ids
from kith.moderation import domains, email_blocks
from kith.moderation.models import CanonicalEmailBlock, DomainAllow, DomainPolicy, DomainSeverity
from kith.people.models import Account

router = ApiRouter(tags=["admin"])

ADMIN_PAGE = 100
MAX_ADMIN_PAGE = 500  # as Mastodon


class AdminDomainBlock(Schema):
    id: str
    domain: str
    digest: str
    created_at: str
    severity: str
    reject_media: bool
    reject_reports: bool
    private_comment: str | None
    public_comment: str | None
    obfuscate: bool


class AdminDomainAllow(Schema):
    id: str
    domain: str
    created_at: str


class AdminCanonicalEmailBlock(Schema):
    id: str
    canonical_email_hash: str


class DomainBlock(Schema):
    domain: str
    digest: str
    severity: str
    comment: str | None = None


def _staff(request: HttpRequest) -> Account:
    """The admin or moderator the token belongs to (kith.api.auth.StaffOAuth set it)."""
    account: Account = getattr(request, "staff")  # noqa: B009 (set at run time, unknown to the type)
    return account


def _block(policy: DomainPolicy) -> dict[str, object]:
    return {
        "id": str(policy.id),
        "domain": policy.domain,
        "digest": domains.domain_digest(policy.domain),
        "created_at": iso(policy.created_at),
        "severity": policy.severity,
        "reject_media": policy.reject_media,
        "reject_reports": policy.reject_reports,
        "private_comment": policy.private_comment or None,
        "public_comment": policy.public_comment or None,
        "obfuscate": policy.obfuscate,
    }


def _allow(allow: DomainAllow) -> dict[str, object]:
    return {"id": str(allow.id), "domain": allow.domain, "created_at": iso(allow.created_at)}


def _email_block(block: CanonicalEmailBlock) -> dict[str, object]:
    return {"id": str(block.id), "canonical_email_hash": block.canonical_email_hash}


def _paged(request: HttpRequest, response: HttpResponse, queryset: QuerySet[Any], page: PageParams) -> list[int]:
    paging = page.to_page(default=ADMIN_PAGE, maximum=MAX_ADMIN_PAGE)
    ids = page_ids(queryset, paging)
    link_header(request, response, ids, limit=paging.limit)
    return ids


def _severity(value: str | None) -> str:
    """Mastodon.py documents "limit" for media-only policies; Mastodon's value is "noop"."""
    if value is None or value == "":
        return DomainSeverity.SILENCE
    if value == "limit":
        return DomainSeverity.NOOP
    if value not in DomainSeverity.values:
        raise Invalid("severity is one of noop, silence, suspend.")
    return value


# ---- domain blocks ---------------------------------------------------------------------


class DomainBlockBody(Schema):
    domain: str | None = Field(None, max_length=1000)
    severity: str | None = Field(None, max_length=32)
    reject_media: bool | None = None
    reject_reports: bool | None = None
    private_comment: str | None = Field(None, max_length=domains.MAX_COMMENT_LENGTH)
    public_comment: str | None = Field(None, max_length=domains.MAX_COMMENT_LENGTH)
    obfuscate: bool | None = None


@router.get("/v1/admin/domain_blocks", response=list[AdminDomainBlock], auth=staff("admin:read:domain_blocks"))
def domain_blocks(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[dict[str, object]]:
    ids = _paged(request, response, DomainPolicy.objects.all(), page)
    found = DomainPolicy.objects.in_bulk(ids)
    return [_block(found[i]) for i in ids if i in found]


@router.get("/v1/admin/domain_blocks/{int:block_id}", response=AdminDomainBlock,
            auth=staff("admin:read:domain_blocks"))
def domain_block(request: HttpRequest, block_id: int) -> dict[str, object]:
    return _block(domains.get_policy(block_id))


@router.post("/v1/admin/domain_blocks", response=AdminDomainBlock,
             auth=staff("admin:write:domain_blocks", admin_only=True))
def create_domain_block(request: HttpRequest, body: Form[DomainBlockBody]) -> dict[str, object]:
    if not body.domain:
        raise Invalid("domain is required.")
    name = domains.ensure_new(body.domain)
    policy = domains.set_policy(
        _staff(request), name, severity=_severity(body.severity), reject_media=bool(body.reject_media),
        reject_reports=bool(body.reject_reports), private_comment=body.private_comment or "",
        public_comment=body.public_comment or "", obfuscate=bool(body.obfuscate),
    )
    return _block(policy)


@router.put("/v1/admin/domain_blocks/{int:block_id}", response=AdminDomainBlock,
            auth=staff("admin:write:domain_blocks", admin_only=True))
def update_domain_block(request: HttpRequest, block_id: int, body: Form[DomainBlockBody]) -> dict[str, object]:
    policy = domains.get_policy(block_id)

    def given(value: object, current: object) -> object:
        return current if value is None else value

    updated = domains.set_policy(
        _staff(request), policy.domain,
        severity=_severity(body.severity) if body.severity else policy.severity,
        reject_media=bool(given(body.reject_media, policy.reject_media)),
        reject_reports=bool(given(body.reject_reports, policy.reject_reports)),
        private_comment=str(given(body.private_comment, policy.private_comment)),
        public_comment=str(given(body.public_comment, policy.public_comment)),
        obfuscate=bool(given(body.obfuscate, policy.obfuscate)),
    )
    return _block(updated)


@router.delete("/v1/admin/domain_blocks/{int:block_id}", response=Empty,
               auth=staff("admin:write:domain_blocks", admin_only=True))
def delete_domain_block(request: HttpRequest, block_id: int) -> dict[str, object]:
    domains.lift_policy(_staff(request), domains.get_policy(block_id).domain)
    return {}


# ---- domain allows ---------------------------------------------------------------------


class DomainAllowBody(Schema):
    domain: str | None = Field(None, max_length=1000)


def _get_allow(allow_id: int) -> DomainAllow:
    allow = DomainAllow.objects.filter(id=allow_id).first()
    if allow is None:
        raise NotFound("Record not found")
    return allow


@router.get("/v1/admin/domain_allows", response=list[AdminDomainAllow], auth=staff("admin:read:domain_allows"))
def domain_allows(request: HttpRequest, response: HttpResponse, page: Query[PageParams]) -> list[dict[str, object]]:
    ids = _paged(request, response, DomainAllow.objects.all(), page)
    found = DomainAllow.objects.in_bulk(ids)
    return [_allow(found[i]) for i in ids if i in found]


@router.get("/v1/admin/domain_allows/{int:allow_id}", response=AdminDomainAllow,
            auth=staff("admin:read:domain_allows"))
def domain_allow(request: HttpRequest, allow_id: int) -> dict[str, object]:
    return _allow(_get_allow(allow_id))


@router.post("/v1/admin/domain_allows", response=AdminDomainAllow,
             auth=staff("admin:write:domain_allows", admin_only=True))
def create_domain_allow(request: HttpRequest, body: Form[DomainAllowBody]) -> dict[str, object]:
    if not body.domain:
        raise Invalid("domain is required.")
    return _allow(domains.allow_domain(_staff(request), body.domain))


@router.delete("/v1/admin/domain_allows/{int:allow_id}", response=Empty,
               auth=staff("admin:write:domain_allows", admin_only=True))
def delete_domain_allow(request: HttpRequest, allow_id: int) -> dict[str, object]:
    domains.disallow_domain(_staff(request), _get_allow(allow_id))
    return {}


# ---- canonical e-mail blocks -------------------------------------------------------------


class EmailBlockBody(Schema):
    email: str | None = Field(None, max_length=1000)
    canonical_email_hash: str | None = Field(None, max_length=200)


class EmailTestBody(Schema):
    email: str | None = Field(None, max_length=1000)


@router.get("/v1/admin/canonical_email_blocks", response=list[AdminCanonicalEmailBlock],
            auth=staff("admin:read:canonical_email_blocks", admin_only=True))
def canonical_email_blocks(request: HttpRequest, response: HttpResponse,
                           page: Query[PageParams]) -> list[dict[str, object]]:
    ids = _paged(request, response, CanonicalEmailBlock.objects.all(), page)
    found = CanonicalEmailBlock.objects.in_bulk(ids)
    return [_email_block(found[i]) for i in ids if i in found]


@router.get("/v1/admin/canonical_email_blocks/{int:block_id}", response=AdminCanonicalEmailBlock,
            auth=staff("admin:read:canonical_email_blocks", admin_only=True))
def canonical_email_block(request: HttpRequest, block_id: int) -> dict[str, object]:
    block = CanonicalEmailBlock.objects.filter(id=block_id).first()
    if block is None:
        raise NotFound("Record not found")
    return _email_block(block)


@router.post("/v1/admin/canonical_email_blocks/test", response=list[AdminCanonicalEmailBlock],
             auth=staff("admin:read:canonical_email_blocks", admin_only=True))
def test_canonical_email_block(request: HttpRequest, body: Form[EmailTestBody]) -> list[dict[str, object]]:
    if not body.email:
        raise Invalid("email is required.")
    return [_email_block(block) for block in email_blocks.matching(body.email)]


@router.post("/v1/admin/canonical_email_blocks", response=AdminCanonicalEmailBlock,
             auth=staff("admin:write:canonical_email_blocks", admin_only=True))
def create_canonical_email_block(request: HttpRequest, body: Form[EmailBlockBody]) -> dict[str, object]:
    block = email_blocks.block_email(
        _staff(request), email=body.email or "", canonical_hash=body.canonical_email_hash or "",
    )
    return _email_block(block)


@router.delete("/v1/admin/canonical_email_blocks/{int:block_id}", response=Empty,
               auth=staff("admin:write:canonical_email_blocks", admin_only=True))
def delete_canonical_email_block(request: HttpRequest, block_id: int) -> dict[str, object]:
    email_blocks.unblock_email(_staff(request), block_id)
    return {}


# ---- the public list ---------------------------------------------------------------------


@router.get("/v1/instance/domain_blocks", response=list[DomainBlock], auth=None)
def public_domain_blocks(request: HttpRequest) -> list[dict[str, object]]:
    return [
        {"domain": block.domain, "digest": block.digest, "severity": block.severity, "comment": block.comment or None}
        for block in domains.public_list()
    ]
