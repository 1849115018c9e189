"""Mastodon's admin API for domain blocks, domain allows and canonical e-mail blocks, and the
public /api/v1/instance/domain_blocks."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.moderation import domains
from kith.moderation.models import AuditLogEntry, CanonicalEmailBlock, DomainAllow, DomainPolicy
from kith.people.models import Role
from kith.people.services import set_role
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
ADMIN_SCOPES = "read admin:read admin:write"


@pytest.fixture
def admin_api(api_as):
    person = factories.person("boss")
    set_role(None, person.account, Role.ADMIN)
    return api_as(person, ADMIN_SCOPES)


@pytest.fixture
def moderator_api(api_as):
    person = factories.person("mod")
    set_role(None, person.account, Role.MODERATOR)
    return api_as(person, ADMIN_SCOPES)


def test_create_read_update_delete_a_domain_block(admin_api):
    status, created = admin_api.post("/api/v1/admin/domain_blocks", {
        "domain": "Bad.Example.", "severity": "suspend", "reject_media": True, "private_comment": "raids",
        "public_comment": "harassment", "obfuscate": True,
    })
    assert status == 200, created
    assert created["domain"] == "bad.example"
    assert created["severity"] == "suspend"
    assert created["digest"] == hashlib.sha256(b"bad.example").hexdigest()
    assert created["private_comment"] == "raids"
    assert created["obfuscate"] is True
    block_id = created["id"]
    assert admin_api.get(f"/api/v1/admin/domain_blocks/{block_id}") == (200, created)
    status, listed = admin_api.get("/api/v1/admin/domain_blocks")
    assert status == 200
    assert [b["id"] for b in listed] == [block_id]
    status, updated = admin_api.put(f"/api/v1/admin/domain_blocks/{block_id}", {"severity": "silence"})
    assert status == 200, updated
    assert (updated["severity"], updated["reject_media"], updated["public_comment"]) == ("silence", True, "harassment")
    assert admin_api.delete(f"/api/v1/admin/domain_blocks/{block_id}") == (200, {})
    assert not DomainPolicy.objects.exists()
    assert AuditLogEntry.objects.filter(action__startswith="domain.").count() == 3


def test_form_bodies_as_mastodon_py_sends_them(admin_api):
    status, created = admin_api.post(
        "/api/v1/admin/domain_blocks", {"domain": "form.example", "severity": "noop", "reject_media": "1"}, form=True
    )
    assert status == 200, created
    assert (created["severity"], created["reject_media"], created["reject_reports"]) == ("noop", True, False)


def test_bad_requests_are_clear_4xx(admin_api):
    assert admin_api.post("/api/v1/admin/domain_blocks", {})[0] == 422
    assert admin_api.post("/api/v1/admin/domain_blocks", {"domain": "not a domain"})[0] == 422
    assert admin_api.post("/api/v1/admin/domain_blocks", {"domain": "x.example", "severity": "nuke"})[0] == 422
    assert admin_api.post("/api/v1/admin/domain_blocks", {"domain": "x.example"})[0] == 200
    assert admin_api.post("/api/v1/admin/domain_blocks", {"domain": "X.example"})[0] == 409
    assert admin_api.get("/api/v1/admin/domain_blocks/999999")[0] == 404
    assert admin_api.put("/api/v1/admin/domain_blocks/999999", {"severity": "noop"})[0] == 404
    assert admin_api.delete("/api/v1/admin/domain_blocks/999999")[0] == 404


def test_moderators_read_but_do_not_change(admin_api, moderator_api):
    admin_api.post("/api/v1/admin/domain_blocks", {"domain": "x.example"})
    assert moderator_api.get("/api/v1/admin/domain_blocks")[0] == 200
    assert moderator_api.post("/api/v1/admin/domain_blocks", {"domain": "y.example"})[0] == 403
    assert moderator_api.post("/api/v1/admin/domain_allows", {"domain": "y.example"})[0] == 403
    assert moderator_api.get("/api/v1/admin/canonical_email_blocks")[0] == 403
    assert DomainPolicy.objects.count() == 1


def test_users_and_missing_scopes_are_refused(api_as, alice):
    assert api_as(alice, ADMIN_SCOPES).get("/api/v1/admin/domain_blocks")[0] == 403
    boss = factories.person("boss2")
    set_role(None, boss.account, Role.ADMIN)
    assert api_as(boss, "read write").get("/api/v1/admin/domain_blocks")[0] == 403
    assert api_as(None).get("/api/v1/admin/domain_blocks")[0] == 401


def test_domain_allows(admin_api):
    status, allow = admin_api.post("/api/v1/admin/domain_allows", {"domain": "Friends.Example"})
    assert status == 200
    assert allow["domain"] == "friends.example"
    assert admin_api.post("/api/v1/admin/domain_allows", {"domain": "friends.example"})[1]["id"] == allow["id"]
    assert admin_api.get(f"/api/v1/admin/domain_allows/{allow['id']}") == (200, allow)
    assert admin_api.get("/api/v1/admin/domain_allows")[1] == [allow]
    assert admin_api.delete(f"/api/v1/admin/domain_allows/{allow['id']}") == (200, {})
    assert not DomainAllow.objects.exists()


def test_canonical_email_blocks(admin_api):
    status, block = admin_api.post("/api/v1/admin/canonical_email_blocks", {"email": "Spam.Mer+x@example.com"})
    assert status == 200, block
    assert block["canonical_email_hash"] == hashlib.sha256(b"spammer@example.com").hexdigest()
    assert admin_api.post("/api/v1/admin/canonical_email_blocks/test", {"email": "spammer+y@example.com"}) == (
        200, [block]
    )
    assert admin_api.post("/api/v1/admin/canonical_email_blocks/test", {"email": "other@example.com"}) == (200, [])
    digest = hashlib.sha256(b"x@example.com").hexdigest()
    status, by_hash = admin_api.post("/api/v1/admin/canonical_email_blocks", {"canonical_email_hash": digest})
    assert status == 200
    assert by_hash["canonical_email_hash"] == digest
    assert admin_api.post("/api/v1/admin/canonical_email_blocks", {"canonical_email_hash": "zz"})[0] == 422
    assert admin_api.get(f"/api/v1/admin/canonical_email_blocks/{block['id']}") == (200, block)
    assert len(admin_api.get("/api/v1/admin/canonical_email_blocks")[1]) == 2
    assert admin_api.delete(f"/api/v1/admin/canonical_email_blocks/{block['id']}") == (200, {})
    assert CanonicalEmailBlock.objects.count() == 1


def test_public_list_is_open_to_everyone_and_hides_private_comments(admin_api, api_as):
    admin_api.post("/api/v1/admin/domain_blocks", {
        "domain": "hidden-server.example", "severity": "suspend", "public_comment": "spam",
        "private_comment": "secret", "obfuscate": True,
    })
    admin_api.post("/api/v1/admin/domain_blocks", {"domain": "quiet.example", "severity": "noop", "reject_reports": True})
    status, listed = api_as(None).get("/api/v1/instance/domain_blocks")
    assert status == 200
    assert len(listed) == 1  # a reports-only policy limits nothing people see, as in Mastodon
    (entry,) = listed
    assert entry["domain"] != "hidden-server.example"
    assert "*" in entry["domain"]
    assert entry == {"domain": entry["domain"], "digest": hashlib.sha256(b"hidden-server.example").hexdigest(),
                     "severity": "suspend", "comment": "spam"}


def test_lists_are_paged_in_a_fixed_number_of_queries(admin_api):
    for n in range(3):
        domains.set_policy(None, f"pod{n}.example")
    admin_api.get("/api/v1/admin/domain_blocks")

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            status, body = admin_api.get("/api/v1/admin/domain_blocks", {"limit": limit})
        assert status == 200
        assert len(body) == limit
        return len(captured.captured_queries)

    small = queries(1)
    for n in range(3, 12):
        domains.set_policy(None, f"pod{n}.example")
    assert queries(10) == small
    status, page = admin_api.get("/api/v1/admin/domain_blocks", {"limit": 5})
    assert 'rel="next"' in admin_api.last["Link"]
    max_id = min(int(b["id"]) for b in page)
    status, rest = admin_api.get("/api/v1/admin/domain_blocks", {"max_id": max_id, "limit": 50})
    assert {b["id"] for b in rest}.isdisjoint({b["id"] for b in page})
    assert len(page) + len(rest) == 12


@pytest.mark.parametrize("body", [
    {"domain": "\x00"},
    {"domain": "a\ud800.example"},
    {"domain": "x" * 2000},
    {"domain": ["a.example"]},
    {"domain": "a.example", "severity": ["suspend"]},
    {"domain": "a.example", "reject_media": "maybe"},
    {"domain": "a.example", "public_comment": "x" * 6000},
    {"domain": "a.example", "public_comment": {"nested": True}},
    {"domain": "xn--.example"},
    {"domain": "[::1"},
])
def test_hostile_bodies_are_4xx(admin_api, body):
    status, _ = admin_api.post("/api/v1/admin/domain_blocks", body)
    assert 400 <= status < 500
    assert not DomainPolicy.objects.exists()


def test_hostile_email_bodies_are_4xx(admin_api):
    for body in ({"email": "\x00@\x00"}, {"email": "a\ud800@example.com"}, {"email": ["a@b"]}, {},
                 {"canonical_email_hash": "g" * 64}, {"email": "a@b.example", "canonical_email_hash": "0" * 64}):
        status, _ = admin_api.post("/api/v1/admin/canonical_email_blocks", body)
        assert 400 <= status < 500, body
    assert 400 <= admin_api.post("/api/v1/admin/canonical_email_blocks/test", {"email": "\x00"})[0] < 500
