"""Mastodon's admin accounts API (kith/api/endpoints/admin_accounts.py) and the
moderation_warning notification with its AccountWarning."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.moderation import actions
from kith.moderation.models import AccountAction, ActionKind, ReportState
from kith.moderation.services import file_report
from kith.people.models import AccountState, Person, Role
from kith.people.remote import upsert_remote_person
from kith.people.services import set_role
from kith.social.services import publish_post
from tests import factories
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

ADMIN_SCOPES = "read write admin:read admin:write"


@pytest.fixture
def mod(db) -> Person:
    person = factories.person("mod")
    set_role(None, person.account, Role.MODERATOR)
    return person


@pytest.fixture
def mod_api(mod) -> ApiClient:
    return ApiClient(mod, ADMIN_SCOPES)


def _person(person_id: int) -> Person:
    return Person.objects.select_related("account").get(id=person_id)


def test_staff_and_the_admin_scope_are_needed(alice, bob, mod):
    assert ApiClient(bob, ADMIN_SCOPES).get("/api/v1/admin/accounts")[0] == 403
    assert ApiClient(mod, "read write").get("/api/v1/admin/accounts")[0] == 403
    assert ApiClient(bob, ADMIN_SCOPES).post(f"/api/v1/admin/accounts/{alice.id}/action", {"type": "suspend"})[0] == 403
    assert _person(alice.id).is_active
    assert ApiClient().get("/api/v1/admin/accounts")[0] == 401


def test_one_account_as_admin_account(mod_api, alice):
    status, body = mod_api.get(f"/api/v1/admin/accounts/{alice.id}")
    assert status == 200
    assert body["id"] == str(alice.id)
    assert body["username"] == "alice"
    assert body["domain"] is None
    assert body["email"] == "alice@example.test"
    assert body["account"]["acct"] == "alice"
    assert (body["disabled"], body["silenced"], body["suspended"], body["sensitized"]) == (False, False, False, False)
    assert body["role"]["id"] == "-99"
    assert mod_api.get("/api/v1/admin/accounts/424242")[0] == 404


def test_v1_list_filters(mod_api, mod, alice, bob):
    troll = upsert_remote_person("troll", "bad.example")
    actions.take_action(mod.account, troll, ActionKind.LIMIT)
    actions.take_action(mod.account, bob, ActionKind.FREEZE)

    def handles(params: dict) -> set[str]:
        status, body = mod_api.get("/api/v1/admin/accounts", params)
        assert status == 200, body
        return {item["account"]["acct"] for item in body}

    assert handles({"local": "true"}) >= {"alice", "bob", "mod"}
    assert "troll@bad.example" not in handles({"local": "true"})
    assert handles({"remote": "true"}) == {"troll@bad.example"}
    assert handles({"silenced": "true"}) == {"troll@bad.example"}
    assert handles({"disabled": "true"}) == {"bob"}
    assert "bob" not in handles({"active": "true"})
    assert handles({"staff": "true"}) == {"mod"}
    assert handles({"username": "ali"}) == {"alice"}
    assert handles({"by_domain": "bad.example"}) == {"troll@bad.example"}
    assert handles({"pending": "true"}) == set()


def test_v2_list_filters(mod_api, mod, alice):
    troll = upsert_remote_person("troll", "bad.example")
    actions.take_action(mod.account, troll, ActionKind.SUSPEND)
    status, body = mod_api.get("/api/v2/admin/accounts", {"origin": "remote", "status": "suspended"})
    assert status == 200
    assert [item["username"] for item in body] == ["troll"]
    assert body[0]["suspended"] is True
    assert body[0]["domain"] == "bad.example"
    assert mod_api.get("/api/v2/admin/accounts", {"origin": "mars"})[0] == 422
    assert mod_api.get("/api/v2/admin/accounts", {"permissions": "staff"})[1][0]["username"] == "mod"


def test_the_list_does_not_query_per_account(mod_api, mod):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert mod_api.get("/api/v1/admin/accounts")[0] == 200
        return len(captured.captured_queries)

    first = count()
    for number in range(6):
        actions.take_action(mod.account, factories.person(f"many{number}"), ActionKind.LIMIT)
        upsert_remote_person(f"far{number}", "far.example")
    assert count() <= first


@pytest.mark.parametrize(("kind", "field", "undo"), [
    ("disable", "disabled", "enable"),
    ("silence", "silenced", "unsilence"),
    ("suspend", "suspended", "unsuspend"),
    ("sensitive", "sensitized", "unsensitive"),
])
def test_action_and_its_undoing(mod_api, alice, kind, field, undo):
    status, _body = mod_api.post(f"/api/v1/admin/accounts/{alice.id}/action", {"type": kind, "text": "why"}, form=True)
    assert status == 200
    assert mod_api.get(f"/api/v1/admin/accounts/{alice.id}")[1][field] is True
    assert AccountAction.objects.get().reason == "why"
    status, body = mod_api.post(f"/api/v1/admin/accounts/{alice.id}/{undo}")
    assert status == 200
    assert body[field] is False
    assert AccountAction.objects.get().ended_reason == "lifted"


def test_action_none_warns_and_settles_a_report(mod_api, alice, bob):
    report = file_report(alice, reporter=bob, comment="meh")
    status, _ = mod_api.post(f"/api/v1/admin/accounts/{alice.id}/action",
                             {"type": "none", "report_id": str(report.id), "text": "careful", "warning_preset_id": "3"})
    assert status == 200
    action = AccountAction.objects.get()
    assert action.kind == "warn"
    assert action.report_id == report.id
    report.refresh_from_db()
    assert report.state == ReportState.RESOLVED


def test_bad_actions_are_4xx(mod_api, alice, mod):
    troll = upsert_remote_person("troll", "bad.example")
    assert mod_api.post(f"/api/v1/admin/accounts/{alice.id}/action", {"type": "explode"})[0] == 422
    assert mod_api.post(f"/api/v1/admin/accounts/{troll.id}/action", {"type": "disable"})[0] == 422
    assert mod_api.post(f"/api/v1/admin/accounts/{alice.id}/action", {"type": "none", "report_id": "99999"})[0] == 404
    assert mod_api.post(f"/api/v1/admin/accounts/{mod.id}/action", {"type": "suspend"})[0] == 403
    assert mod_api.post(f"/api/v1/admin/accounts/{alice.id}/approve")[0] == 403
    assert mod_api.post(f"/api/v1/admin/accounts/{alice.id}/reject")[0] == 403
    assert not AccountAction.objects.exists()


def test_delete_a_suspended_local_account_admin_only(mod_api, mod, alice):
    boss = factories.person("boss")
    set_role(None, boss.account, Role.ADMIN)
    admin_api = ApiClient(boss, ADMIN_SCOPES)
    assert admin_api.delete(f"/api/v1/admin/accounts/{alice.id}")[0] == 403  # not suspended
    actions.take_action(mod.account, alice, ActionKind.SUSPEND)
    assert mod_api.delete(f"/api/v1/admin/accounts/{alice.id}")[0] == 403  # a moderator
    status, body = admin_api.delete(f"/api/v1/admin/accounts/{alice.id}")
    assert status == 200
    assert body["username"] == "alice"
    assert _person(alice.id).state == AccountState.DELETED


def test_moderation_warning_notification(mod, alice):
    post = publish_post(alice, "bad")
    action = actions.take_action(mod.account, alice, ActionKind.SENSITIVE, reason="gore", post_ids=[post.id])
    actions.file_appeal(alice, action, "it was ketchup")
    status, body = ApiClient(alice).get("/api/v1/notifications")
    assert status == 200
    [note] = [n for n in body if n["type"] == "moderation_warning"]
    warning = note["moderation_warning"]
    assert warning["id"] == str(action.id)
    assert warning["action"] == "mark_statuses_as_sensitive"
    assert warning["text"] == "gore"
    assert warning["status_ids"] == [str(post.id)]
    assert warning["appeal"] == {"text": "it was ketchup", "state": "pending"}
    assert warning["target_account"]["id"] == str(alice.id)
    status, only = ApiClient(alice).get("/api/v1/notifications", {"types[]": "moderation_warning"})
    assert [n["id"] for n in only] == [note["id"]]
    status, single = ApiClient(alice).get(f"/api/v1/notifications/{note['id']}")
    assert single["moderation_warning"]["id"] == str(action.id)


@pytest.mark.django_db(transaction=True)  # the follow's notification is written after its commit
def test_other_notifications_carry_no_moderation_warning(alice, bob):
    from kith.graph.services import follow

    follow(bob, alice)
    status, body = ApiClient(alice).get("/api/v1/notifications")
    assert status == 200
    assert body
    assert all("moderation_warning" not in note for note in body)
