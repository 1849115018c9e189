"""The moderation area's account pages, the person's own view of what moderation did
(/settings/moderation, notifications) and the log-in refusal with its appeal form."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kith.moderation import actions
from kith.moderation.models import AccountAction, ActionKind, Appeal, AppealState, PodRule, ReportState
from kith.moderation.services import file_report
from kith.people.models import AccountState, Person, Role
from kith.people.remote import upsert_remote_person
from kith.people.services import set_role
from kith.social.models import Post
from kith.social.services import publish_post
from tests import factories
from tests.web.conftest import client_for, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod(db) -> Person:
    person = factories.person("mod")
    set_role(None, person.account, Role.MODERATOR)
    return person


@pytest.fixture
def as_mod(mod) -> Client:
    return client_for(mod)


def test_the_account_pages_are_for_staff_only(alice, as_bob):
    assert as_bob.get("/moderation/accounts/").status_code == 404
    assert as_bob.get(f"/moderation/accounts/{alice.id}").status_code == 404
    assert as_bob.post(f"/moderation/accounts/{alice.id}/action", {"kind": "suspend"}).status_code == 404
    assert Person.objects.get(id=alice.id).is_active
    assert Client().get("/moderation/accounts/").status_code == 302  # to the log-in page


def test_search_and_filters(as_mod, alice, bob, mod):
    troll = upsert_remote_person("troll", "bad.example")
    actions.take_action(mod.account, troll, ActionKind.LIMIT)
    actions.take_action(mod.account, bob, ActionKind.FREEZE)
    everyone = page(as_mod, "/moderation/accounts/")
    assert "alice@testserver" in everyone
    assert "troll@bad.example" in everyone
    found = page(as_mod, "/moderation/accounts/?q=troll@bad")
    assert "troll@bad.example" in found
    assert "alice@testserver" not in found
    local = page(as_mod, "/moderation/accounts/?origin=local")
    assert "alice@testserver" in local
    assert "troll@bad.example" not in local
    limited = page(as_mod, "/moderation/accounts/?status=limited")
    assert "troll@bad.example" in limited
    assert "alice@testserver" not in limited
    frozen = page(as_mod, "/moderation/accounts/?status=frozen")
    assert "bob@testserver" in frozen
    assert "alice@testserver" not in frozen
    assert "alice@testserver" in page(as_mod, "/moderation/accounts/?q=alice@testserver")
    assert "No account matches" in page(as_mod, "/moderation/accounts/?status=suspended")
    assert page(as_mod, "/moderation/accounts/?origin=mars&status=<x>&max_id=abc")  # odd input: no 500


def test_pending_appeals_are_counted_and_filtered(as_mod, mod, alice, bob):
    action = actions.take_action(mod.account, alice, ActionKind.LIMIT)
    actions.take_action(mod.account, bob, ActionKind.LIMIT)
    assert "appeal waits" not in page(as_mod, "/moderation/accounts/")
    actions.file_appeal(alice, action, "please")
    assert "1 appeal waits for a decision" in page(as_mod, "/moderation/accounts/")
    appealed = page(as_mod, "/moderation/accounts/?status=appealed")
    assert "alice@testserver" in appealed
    assert "bob@testserver" not in appealed


def test_the_list_does_not_query_per_account(as_mod, mod):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert as_mod.get("/moderation/accounts/").status_code == 200
        return len(captured.captured_queries)

    first = count()
    for number in range(8):
        person = factories.person(f"many{number}")
        actions.take_action(mod.account, person, ActionKind.LIMIT)
        upsert_remote_person(f"far{number}", f"pod{number}.example")
    assert count() <= first


def test_the_account_page_shows_history_reports_and_the_form(as_mod, mod, alice, bob):
    rule = PodRule.objects.create(text="Be excellent")
    file_report(alice, reporter=bob, comment="she was rude")
    action = actions.take_action(mod.account, alice, ActionKind.LIMIT, reason="rude again", rule_ids=[rule.id])
    actions.file_appeal(alice, action, "I am sorry")
    html = page(as_mod, f"/moderation/accounts/{alice.id}")
    assert "rude again" in html
    assert "Be excellent" in html
    assert "I am sorry" in html
    assert "she was rude" in html
    assert f'action="/moderation/accounts/{alice.id}/action"' in html
    assert 'name="expires_in"' in html
    assert 'name="rule_ids"' in html
    assert "/moderation/pod/roles/" not in html  # a moderator changes no roles
    assert as_mod.get("/moderation/accounts/999999").status_code == 404


def test_an_admin_sees_the_role_form(alice):
    boss = factories.person("boss")
    set_role(None, boss.account, Role.ADMIN)
    assert f"/moderation/pod/roles/{alice.account.pk}" in page(client_for(boss), f"/moderation/accounts/{alice.id}")


def test_the_action_form_acts_and_settles_a_report(as_mod, mod, alice, bob):
    post = publish_post(alice, "awful")
    report = file_report(alice, reporter=bob, posts=[post])
    rule = PodRule.objects.create(text="No spam")
    response = as_mod.post(f"/moderation/accounts/{alice.id}/action", {
        "kind": "delete", "reason": "spam", "rule_ids": [str(rule.id)], "post_ids": f"{post.id}",
        "report_id": str(report.id),
    })
    assert response.status_code == 302
    assert response["Location"].startswith("/moderation/")
    assert not Post.objects.filter(id=post.id).exists()
    action = AccountAction.objects.get()
    assert action.kind == "delete"
    assert action.rules == [{"id": str(rule.id), "text": "No spam"}]
    report.refresh_from_db()
    assert report.state == ReportState.RESOLVED


def test_a_timed_action_from_the_form(as_mod, alice):
    response = as_mod.post(f"/moderation/accounts/{alice.id}/action",
                           {"kind": "suspend", "reason": "cool off", "expires_in": "604800"})
    assert response["Location"] == f"/moderation/accounts/{alice.id}"
    action = AccountAction.objects.get()
    assert action.expires_at is not None
    assert Person.objects.get(id=alice.id).state == AccountState.SUSPENDED


def test_bad_form_input_is_said_not_a_500(as_mod, alice):
    for data in ({"kind": "explode"}, {"kind": "limit", "expires_in": "soon"}, {"kind": "limit", "expires_in": "-5"},
                 {"kind": "delete", "post_ids": "abc"}, {"kind": "warn", "report_id": "99999"},
                 {"kind": "warn", "rule_ids": "12345"}):
        response = as_mod.post(f"/moderation/accounts/{alice.id}/action", data, follow=True)
        assert response.status_code == 200
        assert b'class="message error"' in response.content, data
    assert not AccountAction.objects.exists()


def test_lift_and_decide_appeals_from_the_page(as_mod, mod, alice, bob):
    limit = actions.take_action(mod.account, alice, ActionKind.LIMIT)
    as_mod.post(f"/moderation/accounts/actions/{limit.id}/lift")
    assert not Person.objects.get(id=alice.id).limited
    freeze = actions.take_action(mod.account, bob, ActionKind.FREEZE)
    appeal = actions.file_appeal(bob, freeze, "my little brother did it")
    response = as_mod.post(f"/moderation/accounts/appeals/{appeal.id}/approve")
    assert response["Location"] == f"/moderation/accounts/{bob.id}"
    assert Appeal.objects.get(id=appeal.id).state == AppealState.APPROVED
    assert Person.objects.get(id=bob.id).account.state == AccountState.ACTIVE
    # Twice: a message, not a 500.
    assert as_mod.post(f"/moderation/accounts/appeals/{appeal.id}/reject", follow=True).status_code == 200
    assert as_mod.post("/moderation/accounts/appeals/424242/reject").status_code == 404


def test_the_person_sees_the_warning_and_appeals_once(mod, alice, as_alice):
    rule = PodRule.objects.create(text="No shouting")
    action = actions.take_action(mod.account, alice, ActionKind.WARN, reason="STOP SHOUTING", rule_ids=[rule.id])
    notes = page(as_alice, "/notifications")
    assert "The moderators took an action on your account (warn)" in notes
    assert f"/settings/moderation#action-{action.id}" in notes
    settings_page = page(as_alice, "/settings/moderation")
    assert "STOP SHOUTING" in settings_page
    assert "No shouting" in settings_page
    assert f'action="/settings/moderation/{action.id}/appeal"' in settings_page
    as_alice.post(f"/settings/moderation/{action.id}/appeal", {"text": "I have a loud keyboard"})
    assert Appeal.objects.get(action=action).text == "I have a loud keyboard"
    again = as_alice.post(f"/settings/moderation/{action.id}/appeal", {"text": "again"}, follow=True)
    assert b"appealed this action already" in again.content
    assert "have not decided yet" in page(as_alice, "/settings/moderation")
    actions.decide_appeal(mod.account, Appeal.objects.get(action=action), approve=False)
    assert "rejected your appeal" in page(as_alice, "/notifications")


def test_someone_elses_action_cannot_be_appealed(mod, alice, as_bob):
    action = actions.take_action(mod.account, alice, ActionKind.WARN)
    assert as_bob.post(f"/settings/moderation/{action.id}/appeal", {"text": "x"}).status_code == 302
    assert not Appeal.objects.exists()


def test_a_frozen_person_with_the_right_password_sees_why_and_appeals(mod, alice):
    action = actions.take_action(mod.account, alice, ActionKind.FREEZE, reason="your account sent spam")
    client = Client()
    wrong = client.post("/login", {"username": "alice", "password": "wrong password"})
    assert b"your account sent spam" not in wrong.content
    refused = client.post("/login", {"username": "alice", "password": factories.PASSWORD})
    assert refused.status_code == 403
    assert b"your account sent spam" in refused.content
    assert f'action="/login/appeal/{action.id}"'.encode() in refused.content
    assert "_auth_user_id" not in client.session  # not logged in
    assert client.get("/settings/moderation").status_code == 302
    answered = client.post(f"/login/appeal/{action.id}", {"text": "It was a hacker"})
    assert answered.status_code == 200
    assert Appeal.objects.get(action=action).text == "It was a hacker"


def test_a_suspended_person_sees_why(mod, alice):
    actions.take_action(mod.account, alice, ActionKind.SUSPEND, reason="hate speech")
    refused = Client().post("/login", {"username": "alice@example.test", "password": factories.PASSWORD})
    assert refused.status_code == 403
    assert b"hate speech" in refused.content


def test_an_appeal_without_a_refused_login_is_refused(mod, alice):
    action = actions.take_action(mod.account, alice, ActionKind.FREEZE)
    assert Client().post(f"/login/appeal/{action.id}", {"text": "x"}).status_code == 404
    assert not Appeal.objects.exists()


def test_the_action_form_says_a_timed_suspension_is_kept_until_it_lapses(as_mod, alice):
    html = page(as_mod, f"/moderation/accounts/{alice.id}")
    assert 'aria-describedby="action-expires-hint"' in html
    assert "a timed one keeps the account&#x27;s data until it lapses" in html or \
        "a timed one keeps the account's data until it lapses" in html
