"""Mastodon's admin API for reports (/api/v1/admin/reports) and the admin.report notification."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.moderation.models import AuditLogEntry, PodRule, Report, ReportState
from kith.moderation.services import file_report
from kith.people.services import set_role
from kith.social.models import Visibility
from kith.social.services import add_comment, publish_post
from kith.timelines.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
ADMIN_SCOPES = "read write admin:read admin:write"


@pytest.fixture
def moderator(db):
    person = factories.person("mod")
    set_role(None, person.account, "moderator")
    person.account.refresh_from_db()
    return person


@pytest.fixture
def as_mod(api_as, moderator):
    return api_as(moderator, scopes=ADMIN_SCOPES)


def test_staff_only_with_the_admin_scope(api_as, alice, bob, moderator):
    file_report(bob, reporter=alice)
    assert api_as(alice, scopes=ADMIN_SCOPES).get("/api/v1/admin/reports")[0] == 403
    assert api_as(moderator, scopes="read write").get("/api/v1/admin/reports")[0] == 403
    assert api_as(None).get("/api/v1/admin/reports")[0] == 401
    assert api_as(moderator, scopes="admin:read:reports").get("/api/v1/admin/reports")[0] == 200
    assert api_as(moderator, scopes="admin:read:reports").post(
        f"/api/v1/admin/reports/{Report.objects.get().id}/resolve")[0] == 403


def test_a_report_entity_is_mastodons_admin_report(as_mod, alice, bob, moderator):
    rule = PodRule.objects.create(text="Be kind")
    post = publish_post(bob, "rude words")
    comment = add_comment(bob, publish_post(alice, "mine"), "rude reply")
    report = file_report(bob, reporter=alice, posts=[post], comments=[comment], comment="look",
                         category="violation", rule_ids=[rule.id])
    status, body = as_mod.get(f"/api/v1/admin/reports/{report.id}")
    assert status == 200, body
    assert set(body) == {
        "id", "action_taken", "action_taken_at", "category", "comment", "forwarded", "created_at", "updated_at",
        "account", "target_account", "assigned_account", "action_taken_by_account", "statuses", "rules",
    }
    assert (body["id"], body["action_taken"], body["category"], body["comment"]) == (str(report.id), False, "violation", "look")
    assert body["account"]["username"] == "alice"
    assert body["account"]["account"]["acct"] == "alice"
    assert body["target_account"]["id"] == str(bob.id)
    assert body["target_account"]["email"] == "bob@example.test"
    assert body["target_account"]["role"]["id"] == "-99"
    assert (body["target_account"]["suspended"], body["target_account"]["silenced"]) == (False, False)
    assert [s["id"] for s in body["statuses"]] == sorted([str(post.id), str(comment.id)])
    assert body["rules"] == [{"id": str(rule.id), "text": "Be kind", "hint": ""}]
    assert body["assigned_account"] is None
    assert body["action_taken_by_account"] is None
    assert as_mod.get("/api/v1/admin/reports/999999")[0] == 404


def test_list_filters_and_pages(as_mod, alice, bob, carol, moderator):
    first = file_report(bob, reporter=alice)
    second = file_report(carol, reporter=alice)
    third = file_report(bob, reporter=carol)
    as_mod.post(f"/api/v1/admin/reports/{second.id}/resolve")
    ids = lambda body: [r["id"] for r in body]  # noqa: E731
    assert ids(as_mod.get("/api/v1/admin/reports")[1]) == [str(third.id), str(first.id)]
    assert ids(as_mod.get("/api/v1/admin/reports", {"resolved": "true"})[1]) == [str(second.id)]
    assert ids(as_mod.get("/api/v1/admin/reports", {"resolved": "true", "unresolved": "true"})[1]) == [
        str(third.id), str(second.id), str(first.id)]
    assert ids(as_mod.get("/api/v1/admin/reports", {"target_account_id": bob.id})[1]) == [str(third.id), str(first.id)]
    assert ids(as_mod.get("/api/v1/admin/reports", {"account_id": carol.id})[1]) == [str(third.id)]
    status, body = as_mod.get("/api/v1/admin/reports", {"limit": 1})
    assert ids(body) == [str(third.id)]
    assert f"max_id={third.id}" in as_mod.last["Link"]
    assert ids(as_mod.get("/api/v1/admin/reports", {"max_id": third.id})[1]) == [str(first.id)]
    assert as_mod.get("/api/v1/admin/reports", {"account_id": "nope"})[0] == 422


def test_assign_unassign_resolve_reopen(as_mod, alice, bob, moderator):
    report = file_report(bob, reporter=alice)
    base = f"/api/v1/admin/reports/{report.id}"
    status, body = as_mod.post(f"{base}/assign_to_self")
    assert status == 200
    assert body["assigned_account"]["id"] == str(moderator.id)
    assert body["assigned_account"]["role"]["name"] == "Moderator"
    status, body = as_mod.post(f"{base}/unassign")
    assert body["assigned_account"] is None
    status, body = as_mod.post(f"{base}/resolve")
    assert (body["action_taken"], body["action_taken_by_account"]["id"]) == (True, str(moderator.id))
    assert body["action_taken_at"]
    assert as_mod.post(f"{base}/resolve")[0] == 200  # as Mastodon: closed already is fine
    assert Notification.objects.filter(recipient=alice, kind="report_outcome").count() == 1
    status, body = as_mod.post(f"{base}/reopen")
    assert (body["action_taken"], body["action_taken_at"]) == (False, None)
    assert Report.objects.get().state == ReportState.OPEN
    logged = set(AuditLogEntry.objects.filter(actor=moderator.account).values_list("action", flat=True))
    assert logged == {"report.assign", "report.unassign", "report.resolve", "report.reopen"}
    assert as_mod.post("/api/v1/admin/reports/999999/resolve")[0] == 404


def test_statuses_are_the_ones_the_staff_member_may_see(as_mod, alice, bob, moderator):
    hidden = publish_post(bob, "only for alice", visibility=Visibility.LIMITED, person_ids=[alice.id])
    report = file_report(bob, reporter=alice, posts=[hidden])
    body = as_mod.get(f"/api/v1/admin/reports/{report.id}")[1]
    assert body["statuses"] == []
    assert "only for alice" in Report.objects.get().snapshot[0]["html"]  # the web page shows it as reported


def test_the_list_costs_the_same_queries_for_more_reports(as_mod, alice, bob, carol, moderator):
    def queries() -> int:
        as_mod.get("/api/v1/admin/reports", {"resolved": "true", "unresolved": "true"})
        with CaptureQueriesContext(connection) as captured:
            status, _ = as_mod.get("/api/v1/admin/reports", {"resolved": "true", "unresolved": "true"})
        assert status == 200
        return len(captured.captured_queries)

    one = file_report(bob, reporter=alice, posts=[publish_post(bob, "p")])
    as_mod.post(f"/api/v1/admin/reports/{one.id}/assign_to_self")
    as_mod.post(f"/api/v1/admin/reports/{one.id}/resolve")
    file_report(carol, reporter_domain="far.example")
    before = queries()
    for number in range(5):
        target = bob if number % 2 else carol
        made = file_report(target, reporter=alice, posts=[publish_post(target, f"x{number}")])
        as_mod.post(f"/api/v1/admin/reports/{made.id}/assign_to_self")
        if number % 2:
            as_mod.post(f"/api/v1/admin/reports/{made.id}/resolve")
    assert queries() == before


def test_staff_get_admin_report_notifications(api_as, alice, bob, moderator):
    report = file_report(bob, reporter=alice, comment="spam!")
    status, body = api_as(moderator).get("/api/v1/notifications")
    assert status == 200
    assert [(n["type"], n["account"]["id"], n["report"]["id"]) for n in body] == [
        ("admin.report", str(alice.id), str(report.id))]
    assert body[0]["report"]["target_account"]["id"] == str(bob.id)
    assert [n["type"] for n in api_as(moderator).get("/api/v1/notifications", {"types[]": ["admin.report"]})[1]] == [
        "admin.report"]
    # The reporter's outcome notice has no Mastodon type: not in clients' lists (the web shows it).
    from kith.moderation.reports import resolve_report

    resolve_report(moderator.account, report, outcome="done")
    assert Notification.objects.filter(recipient=alice, kind="report_outcome").exists()
    assert api_as(alice).get("/api/v1/notifications")[1] == []
    # Someone no longer staff is not shown reports.
    set_role(None, moderator.account, "user")
    assert api_as(moderator).get("/api/v1/notifications")[1] == []


def test_hostile_ids_are_a_clear_answer(as_mod):
    huge = "9" * 30
    assert as_mod.get(f"/api/v1/admin/reports/{huge}")[0] in (404, 422)
    assert as_mod.post(f"/api/v1/admin/reports/{huge}/resolve")[0] in (404, 422)
    assert as_mod.get("/api/v1/admin/reports", {"max_id": huge})[0] == 422
