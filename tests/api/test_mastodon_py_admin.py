"""Mastodon.py's admin methods for reports against a running pod: a person reports a post
through the client API, a moderator lists, reads, assigns, resolves and reopens it.  The
tests build on each other, in order."""

from __future__ import annotations

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError

from tests.harness import Pod
from tests.harness.pod import PASSWORD

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("mastodon-py-admin")]

ADMIN_SCOPES = "read write admin:read admin:write"


@pytest.fixture(scope="module")
def pod(tmp_path_factory):
    home = Pod("mastopy-admin", tmp_path_factory.mktemp("pod-mastopy-admin"), host="127.0.0.41")
    try:
        home.start()
        # One `kith` process: two people and a moderator, with their tokens.
        code = (
            "from kith.api.tokens import issue_token\n"
            "from kith.people.models import Account\n"
            "from kith.people.services import create_local_account, set_role\n"
            "for name in ['alice', 'bob', 'mod']:\n"
            f"    create_local_account(name, name + '@example.test', {PASSWORD!r}, is_admin=False,\n"
            "                         default_aspects=False, language=None)\n"
            "set_role(None, Account.objects.get(username='mod'), 'moderator')\n"
            "for name in ['alice', 'bob']:\n"
            "    print(issue_token(Account.objects.get(username=name), 'harness', 'read write'))\n"
            f"print(issue_token(Account.objects.get(username='mod'), 'harness', {ADMIN_SCOPES!r}))\n"
        )
        tokens = home.kith("manage", "shell", "--verbosity", "0", "-c", code).stdout.split()
        home.tokens_for_tests = dict(zip(["alice", "bob", "mod"], tokens[-3:], strict=True))  # type: ignore[attr-defined]
        yield home
    finally:
        home.destroy()


@pytest.fixture(scope="module")
def state() -> dict:
    return {}


def client(pod: Pod, who: str) -> Mastodon:
    return Mastodon(access_token=pod.tokens_for_tests[who], api_base_url=pod.url, request_timeout=30)


def test_a_person_reports_a_post(pod, state):
    alice = client(pod, "alice")
    bob = alice.account_lookup("bob")
    state["bob_id"] = bob.id
    mod = client(pod, "mod")
    post = client(pod, "bob").status_post("buy my stuff")
    state["post_id"] = post.id
    report = alice.report(bob.id, status_ids=[post.id], comment="spam", category="spam")
    state["report_id"] = report.id
    assert report.target_account.id == bob.id
    assert mod.account_verify_credentials().username == "mod"


def test_admin_reports_lists_the_open_report(pod, state):
    mod = client(pod, "mod")
    reports = mod.admin_reports()
    assert [r.id for r in reports] == [state["report_id"]]
    found = reports[0]
    assert found.action_taken is False
    assert found.category == "spam"
    assert found.comment == "spam"
    assert found.account.username == "alice"
    assert found.target_account.id == state["bob_id"]
    assert found.target_account.account.acct == "bob"
    assert [s.id for s in found.statuses] == [state["post_id"]]
    assert mod.admin_reports(resolved=True) == []
    assert [r.id for r in mod.admin_reports(target_account_id=state["bob_id"])] == [state["report_id"]]


def test_admin_report_assign_and_unassign(pod, state):
    mod = client(pod, "mod")
    assigned = mod.admin_report_assign(state["report_id"])
    assert assigned.assigned_account.username == "mod"
    assert mod.admin_report(state["report_id"]).assigned_account.username == "mod"
    assert mod.admin_report_unassign(state["report_id"]).assigned_account is None


def test_admin_report_resolve_and_reopen(pod, state):
    mod = client(pod, "mod")
    resolved = mod.admin_report_resolve(state["report_id"])
    assert resolved.action_taken is True
    assert resolved.action_taken_by_account.username == "mod"
    assert resolved.action_taken_at is not None
    assert mod.admin_reports() == []
    assert [r.id for r in mod.admin_reports(resolved=True)] == [state["report_id"]]
    reopened = mod.admin_report_reopen(state["report_id"])
    assert reopened.action_taken is False
    assert [r.id for r in mod.admin_reports()] == [state["report_id"]]


def test_staff_see_the_report_as_an_admin_report_notification(pod, state):
    notes = client(pod, "mod").notifications(types=["admin.report"])
    assert [(n.type, n.report.id) for n in notes] == [("admin.report", state["report_id"])]


def test_a_person_without_a_role_is_refused(pod, state):
    with pytest.raises(MastodonAPIError):
        client(pod, "alice").admin_reports()
