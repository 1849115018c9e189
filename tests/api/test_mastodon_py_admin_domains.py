"""Mastodon.py's admin methods for domain blocks, domain allows and canonical e-mail blocks,
against a real pod (`kith serve`), as an admin's app would call them."""

from __future__ import annotations

import hashlib

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError

from tests.harness import Pod
from tests.harness.pod import PASSWORD

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("mastodon-py-admin-domains")]

ADMIN_SCOPES = "read write admin:read admin:write"


@pytest.fixture(scope="module")
def pod(tmp_path_factory):
    pod = Pod("mastopy-domains", tmp_path_factory.mktemp("pod-mastopy-domains"), host="127.0.0.9")
    try:
        pod.start()
        yield pod
    finally:
        pod.destroy()


@pytest.fixture(scope="module")
def tokens(pod) -> dict[str, str]:
    """An admin and a plain user, with tokens carrying the admin scopes (one process start)."""
    code = (
        "from kith.api.tokens import issue_token\n"
        "from kith.people.services import create_local_account\n"
        f"admin = create_local_account('boss', 'boss@{pod.host}.test', {PASSWORD!r}, is_admin=True)\n"
        f"user = create_local_account('plain', 'plain@{pod.host}.test', {PASSWORD!r})\n"
        f"print(issue_token(admin, 'harness', {ADMIN_SCOPES!r}))\n"
        f"print(issue_token(user, 'harness', {ADMIN_SCOPES!r}))\n"
    )
    admin, user = pod.kith("manage", "shell", "--verbosity", "0", "-c", code).stdout.split()[-2:]
    return {"admin": admin, "user": user}


def client(pod: Pod, token: str) -> Mastodon:
    return Mastodon(access_token=token, api_base_url=pod.url, request_timeout=30)


def test_domain_blocks_through_mastodon_py(pod, tokens):
    admin = client(pod, tokens["admin"])
    block = admin.admin_create_domain_block(
        "Bad.Example", severity="suspend", reject_media=True, private_comment="raids", public_comment="harassment",
    )
    assert block.domain == "bad.example"
    assert block.severity == "suspend"
    assert block.reject_media is True
    assert block.reject_reports is False
    assert block.digest == hashlib.sha256(b"bad.example").hexdigest()
    assert [b.id for b in admin.admin_domain_blocks()] == [block.id]
    assert admin.admin_domain_blocks(id=block.id).private_comment == "raids"
    updated = admin.admin_update_domain_block(block.id, severity="silence", obfuscate=True)
    assert updated.severity == "silence"
    assert updated.obfuscate is True
    assert updated.public_comment == "harassment"
    public = admin.instance_domain_blocks()
    assert [entry.severity for entry in public] == ["silence"]
    assert public[0].domain != "bad.example"
    admin.admin_delete_domain_block(block.id)
    assert admin.admin_domain_blocks() == []
    with pytest.raises(MastodonAPIError):
        admin.admin_domain_blocks(id=block.id)


def test_a_plain_user_is_refused(pod, tokens):
    with pytest.raises(MastodonAPIError):
        client(pod, tokens["user"]).admin_create_domain_block("other.example", severity="suspend")


def test_domain_allows_through_mastodon_py(pod, tokens):
    admin = client(pod, tokens["admin"])
    allow = admin.admin_create_domain_allow("friends.example")
    assert allow.domain == "friends.example"
    assert [a.id for a in admin.admin_domain_allows()] == [allow.id]
    assert admin.admin_domain_allow(allow.id).domain == "friends.example"
    admin.admin_delete_domain_allow(allow.id)
    assert admin.admin_domain_allows() == []


def test_canonical_email_blocks_through_mastodon_py(pod, tokens):
    admin = client(pod, tokens["admin"])
    block = admin.admin_create_canonical_email_block(email="Spam.Mer+1@example.com")
    assert block.canonical_email_hash == hashlib.sha256(b"spammer@example.com").hexdigest()
    assert [b.id for b in admin.admin_test_canonical_email_block("spammer@example.com")] == [block.id]
    assert admin.admin_canonical_email_block(block.id).id == block.id
    assert [b.id for b in admin.admin_canonical_email_blocks()] == [block.id]
    signup = pod.kith("user", "create", "spammy", "--email", "spammer@example.com", "--password", PASSWORD,
                      check=False)
    assert signup.returncode == 2
    assert "not possible" in signup.stderr
    admin.admin_delete_canonical_email_block(block.id)
    assert admin.admin_canonical_email_blocks() == []
