"""Mastodon.py's admin account methods against a real pod (`kith serve`): a moderator lists
accounts (v1 and v2), reads one, moderates (warn, silence, disable, suspend) and undoes it,
and the person's apps see the moderation_warning notification."""

from __future__ import annotations

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError

from tests.harness import Pod

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("mastodon-py-admin-accounts")]

ADMIN_SCOPES = "read write admin:read admin:write"


@pytest.fixture(scope="module")
def pod(tmp_path_factory):
    home = Pod("mastopy-admin", tmp_path_factory.mktemp("pod-mastopy-admin"), host="127.0.0.41")
    try:
        home.start()
        home.create_users("mod", "alice", "bob")
        home.kith("manage", "shell", "--verbosity", "0", "-c", (
            "from kith.people.models import Account\n"
            "from kith.people.services import set_role\n"
            "set_role(None, Account.objects.get(username='mod'), 'moderator')\n"
        ))
        yield home
    finally:
        home.destroy()


@pytest.fixture(scope="module")
def clients(pod) -> dict[str, Mastodon]:
    tokens = pod.tokens("mod", "alice", scopes=ADMIN_SCOPES)
    return {name: Mastodon(access_token=token, api_base_url=pod.url, request_timeout=30)
            for name, token in tokens.items()}


def _names(rows) -> list[str]:
    # Mastodon.py declares its v1 listing as returning one AdminAccount, so it leaves the list's
    # items plain dicts: read them by key, which its AttribAccessDicts answer too.
    return [row["username"] for row in rows]


def _id_of(mod: Mastodon, username: str) -> str:
    [found] = [account for account in mod.admin_accounts_v2(origin="local", username=username)
               if account.username == username]
    return found.id


def test_list_and_read_accounts(clients):
    mod = clients["mod"]
    listed = mod.admin_accounts()  # Mastodon.py's default: local, active
    assert {"mod", "alice", "bob"} <= set(_names(listed))
    staff = mod.admin_accounts_v2(permissions="staff")
    assert _names(staff) == ["mod"]
    alice = mod.admin_account(_id_of(mod, "alice"))
    assert alice.username == "alice"
    assert alice.account.acct == "alice"
    assert not alice.suspended
    assert not alice.silenced


def test_a_person_without_the_role_is_refused(clients):
    with pytest.raises(MastodonAPIError):
        clients["alice"].admin_accounts()


def test_moderate_and_undo(clients, pod):
    mod = clients["mod"]
    alice_id = _id_of(mod, "alice")
    bob_id = _id_of(mod, "bob")

    mod.admin_account_moderate(alice_id, text="Mind the rules")  # no action: a warning
    warnings = [note for note in clients["alice"].notifications() if note.type == "moderation_warning"]
    assert len(warnings) == 1
    assert warnings[0].moderation_warning.text == "Mind the rules"
    assert warnings[0].moderation_warning.action == "none"

    mod.admin_account_moderate(alice_id, "silence", text="too loud")
    assert mod.admin_account(alice_id).silenced
    assert _names(mod.admin_accounts(status="silenced")) == ["alice"]
    assert not mod.admin_account_unsilence(alice_id).silenced

    mod.admin_account_moderate(bob_id, "disable", text="hacked?")
    assert mod.admin_account(bob_id).disabled
    assert not mod.admin_account_enable(bob_id).disabled

    mod.admin_account_moderate(bob_id, "suspend", text="spam")
    assert mod.admin_account(bob_id).suspended
    assert _names(mod.admin_accounts_v2(status="suspended")) == ["bob"]
    assert not mod.admin_account_unsuspend(bob_id).suspended

    kinds = pod.query("SELECT kind, ended_reason FROM moderation_accountaction ORDER BY id")
    assert kinds == [("warn", ""), ("limit", "lifted"), ("freeze", "lifted"), ("suspend", "lifted")]
