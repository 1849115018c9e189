"""Roles, the pod's rules and the audit log (issue 14): who may do what, rules that admins edit
and reports cite, KITH_POD_RULES seeding the rules once, and a log nothing changes."""

from __future__ import annotations

import pytest

from kith.core.errors import Conflict, Invalid, NotAllowed, NotFound
from kith.moderation import log, permissions
from kith.moderation import rules as pod_rules
from kith.moderation.models import AuditLogEntry, AuditLogIsAppendOnly, PodRule, ReportCategory
from kith.moderation.services import file_report
from kith.people.models import AccountState, Role
from kith.people.services import create_local_account, set_role
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin():
    return create_local_account("boss", "boss@example.test", factories.PASSWORD, is_admin=True)


@pytest.fixture
def moderator(admin):
    account = factories.person("mod").account
    set_role(admin, account, Role.MODERATOR)
    account.refresh_from_db()
    return account


def texts() -> list[str]:
    return [rule.text for rule in pod_rules.active_rules()]


# ---- permissions and roles ------------------------------------------------------------------


def test_only_active_staff_pass_the_permission_checks(admin, moderator, alice):
    user = alice.account
    assert [permissions.is_staff(a) for a in (admin, moderator, user, None)] == [True, True, False, True]
    assert [permissions.is_admin(a) for a in (admin, moderator, user, None)] == [True, False, False, True]
    with pytest.raises(NotAllowed):
        permissions.require_staff(user)
    with pytest.raises(NotAllowed):
        permissions.require_admin(moderator)
    permissions.require_admin(None)  # the command line
    # A frozen admin keeps the role on the row but acts no more until the freeze is lifted.
    admin.state = AccountState.FROZEN
    assert not permissions.is_staff(admin)
    assert not permissions.is_admin(admin)


def test_staff_members_are_the_active_admins_then_moderators(admin, moderator, alice):
    assert [p.username for p in permissions.staff_members()] == ["boss", "mod"]
    set_role(None, alice.account, Role.ADMIN)
    assert [p.username for p in permissions.staff_members()] == ["alice", "boss", "mod"]


def test_roles_change_only_by_an_admin_and_the_pod_keeps_one(admin, moderator, alice):
    with pytest.raises(NotAllowed):
        set_role(moderator, alice.account, Role.MODERATOR)
    with pytest.raises(Invalid):
        set_role(admin, alice.account, "owner")
    with pytest.raises(Conflict):
        set_role(admin, admin, Role.USER)  # the last admin
    set_role(admin, alice.account, Role.ADMIN, "a second admin")
    alice.account.refresh_from_db()
    assert (alice.account.role, alice.account.is_staff, alice.account.is_superuser) == ("admin", True, True)
    set_role(alice.account, admin, Role.USER)
    admin.refresh_from_db()
    assert (admin.role, admin.is_staff, admin.is_superuser) == ("user", False, False)
    entries = AuditLogEntry.objects.filter(action="account.role").order_by("id")
    assert [(e.actor_id, e.target_id, e.data["before"], e.data["after"]) for e in entries] == [
        (admin.id, str(moderator.id), "user", "moderator"),
        (admin.id, str(alice.account.id), "user", "admin"),
        (alice.account.id, str(admin.id), "admin", "user"),
    ]
    assert entries[1].reason == "a second admin"


# ---- rules ----------------------------------------------------------------------------------


def test_an_admin_adds_edits_reorders_and_removes_rules_each_audited(admin):
    be_kind = pod_rules.add_rule(admin, "  Be kind.  ", "No insults, no pile-ons.")
    spam = pod_rules.add_rule(admin, "No spam.")
    nsfw = pod_rules.add_rule(admin, "Mark adult content sensitive.")
    assert texts() == ["Be kind.", "No spam.", "Mark adult content sensitive."]
    assert be_kind.hint == "No insults, no pile-ons."

    pod_rules.edit_rule(admin, spam.id, text="No spam or advertising.", hint="Once is spam too.", reason="wording")
    pod_rules.move_rule(admin, nsfw.id, -1)
    assert texts() == ["Be kind.", "Mark adult content sensitive.", "No spam or advertising."]
    pod_rules.move_rule(admin, be_kind.id, -1)  # first already: nothing changes, nothing is logged
    pod_rules.reorder_rules(admin, [spam.id, be_kind.id, nsfw.id])
    assert texts() == ["No spam or advertising.", "Be kind.", "Mark adult content sensitive."]

    pod_rules.remove_rule(admin, be_kind.id)
    assert texts() == ["No spam or advertising.", "Mark adult content sensitive."]
    # The removed rule's row stays (reports and actions citing it still read), and its id is not reused.
    assert PodRule.objects.get(id=be_kind.id).deleted_at is not None
    later = pod_rules.add_rule(admin, "Be kind, really.")
    assert later.id > nsfw.id
    assert [rule.position for rule in pod_rules.active_rules()] == [0, 1, 2]

    entries = list(AuditLogEntry.objects.filter(action__startswith="rule.").order_by("id"))
    assert [e.action for e in entries] == [
        "rule.add", "rule.add", "rule.add", "rule.edit", "rule.reorder", "rule.reorder", "rule.remove", "rule.add",
    ]
    assert all(e.actor_id == admin.id for e in entries)
    edit = entries[3]
    assert (edit.target_type, edit.target_id, edit.reason) == ("PodRule", str(spam.id), "wording")
    assert edit.data["before"] == {"text": "No spam.", "hint": ""}
    assert edit.data["after"] == {"text": "No spam or advertising.", "hint": "Once is spam too."}
    assert entries[5].data["order"] == [str(spam.id), str(be_kind.id), str(nsfw.id)]


def test_rules_are_an_admins_to_change(admin, moderator, alice):
    rule = pod_rules.add_rule(admin, "Be kind.")
    for who in (moderator, alice.account):
        with pytest.raises(NotAllowed):
            pod_rules.add_rule(who, "Mine now.")
        with pytest.raises(NotAllowed):
            pod_rules.edit_rule(who, rule.id, text="Be mean.")
        with pytest.raises(NotAllowed):
            pod_rules.remove_rule(who, rule.id)
        with pytest.raises(NotAllowed):
            pod_rules.reorder_rules(who, [rule.id])
    assert texts() == ["Be kind."]
    pod_rules.add_rule(None, "From the command line.")  # the operator
    assert texts() == ["Be kind.", "From the command line."]


def test_rule_input_is_checked(admin):
    rule = pod_rules.add_rule(admin, "Be kind.")
    for text, hint in (("", ""), ("   ", "hint"), ("x" * 501, ""), ("ok", "h" * 2001), ("nul\x00", ""), ("ok", "\x00")):
        with pytest.raises(Invalid):
            pod_rules.add_rule(admin, text, hint)
        with pytest.raises(Invalid):
            pod_rules.edit_rule(admin, rule.id, text=text, hint=hint)
    other = pod_rules.add_rule(admin, "No spam.")
    for order in ([rule.id], [rule.id, rule.id], [rule.id, other.id, 999], [other.id, 999]):
        with pytest.raises(Invalid):
            pod_rules.reorder_rules(admin, order)
    pod_rules.remove_rule(admin, other.id)
    for act in (lambda: pod_rules.edit_rule(admin, other.id, text="back"), lambda: pod_rules.remove_rule(admin, other.id),
                lambda: pod_rules.move_rule(admin, other.id, 1), lambda: pod_rules.edit_rule(admin, 12345, text="x")):
        with pytest.raises(NotFound):
            act()
    assert texts() == ["Be kind."]


def test_the_setting_seeds_the_rules_once_while_the_table_is_empty(settings, admin):
    settings.KITH_POD_RULES = []
    assert pod_rules.active_rules() == []
    assert not PodRule.objects.exists()
    # The operator sets the variable later: the rules appear at the next read, in its order.
    settings.KITH_POD_RULES = ["Be kind.", "No spam."]
    assert texts() == ["Be kind.", "No spam."]
    assert texts() == ["Be kind.", "No spam."]  # once, not at each read
    seeded = AuditLogEntry.objects.get(action="rule.seed")
    assert (seeded.actor_id, seeded.data["count"], seeded.reason) == (None, 2, "from KITH_POD_RULES")
    # From then on the table is the truth: the variable is not read again, even with every rule removed.
    settings.KITH_POD_RULES = ["Something else."]
    for rule in pod_rules.active_rules():
        pod_rules.remove_rule(admin, rule.id)
    assert pod_rules.active_rules() == []
    assert AuditLogEntry.objects.filter(action="rule.seed").count() == 1


def test_an_admin_adding_the_first_rule_keeps_the_operators_rules_first(settings, admin):
    settings.KITH_POD_RULES = ["From the variable."]
    pod_rules.add_rule(admin, "Added on the page.")
    assert texts() == ["From the variable.", "Added on the page."]


# ---- rules cited by reports ----------------------------------------------------------------


def test_a_report_cites_rules_by_id_and_keeps_their_words(admin, alice, bob):
    kind = pod_rules.add_rule(admin, "Be kind.")
    spam = pod_rules.add_rule(admin, "No spam.")
    report = file_report(bob, reporter=alice, category=ReportCategory.VIOLATION, rule_ids=[spam.id, kind.id, spam.id])
    # In the pod's order, each once.
    assert report.rules == [{"id": str(kind.id), "text": "Be kind."}, {"id": str(spam.id), "text": "No spam."}]
    pod_rules.edit_rule(admin, spam.id, text="No advertising.")
    pod_rules.remove_rule(admin, kind.id)
    report.refresh_from_db()
    assert report.rules == [{"id": str(kind.id), "text": "Be kind."}, {"id": str(spam.id), "text": "No spam."}]
    # A removed rule and an unknown one cannot be cited.
    for rule_ids in ([kind.id], [999_999], [1_000_000_000_000]):
        with pytest.raises(Invalid):
            file_report(bob, reporter=alice, category=ReportCategory.VIOLATION, rule_ids=rule_ids)
    assert pod_rules.cite([spam.id]) == [{"id": str(spam.id), "text": "No advertising."}]
    assert pod_rules.cite([]) == []


def test_a_report_may_cite_rules_still_only_in_the_setting(settings, alice, bob):
    settings.KITH_POD_RULES = ["Be kind."]
    # A client read /api/v1/instance/rules (which seeds) before reporting; cite seeds as well.
    [rule] = pod_rules.active_rules()
    report = file_report(bob, reporter=alice, category=ReportCategory.VIOLATION, rule_ids=[rule.id])
    assert report.rules == [{"id": str(rule.id), "text": "Be kind."}]


# ---- the audit log --------------------------------------------------------------------------


def test_audit_log_entries_are_never_changed_or_deleted(admin):
    pod_rules.add_rule(admin, "Be kind.")
    entry = AuditLogEntry.objects.get(action="rule.add")
    entry.reason = "rewritten history"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditLogEntry.objects.filter(id=entry.id).update(reason="rewritten")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditLogEntry.objects.all().delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditLogEntry.objects.bulk_update([entry], ["reason"])
    entry.refresh_from_db()
    assert entry.reason == ""
    # Django's own bookkeeping still works: an actor's account row deleted leaves the entry, actorless.
    admin.delete()
    entry.refresh_from_db()
    assert entry.actor_id is None


def test_the_log_reads_newest_first_filtered_with_targets_named(admin, moderator, alice, bob):
    rule = pod_rules.add_rule(admin, "Be kind.")
    set_role(admin, alice.account, Role.MODERATOR, "helps out")
    report = file_report(bob, reporter=alice, comment="spam")
    set_role(None, bob.account, Role.MODERATOR)

    rows = log.page()
    assert [(row.actor, row.entry.action) for row in rows][:4] == [
        ("command line", "account.role"), (alice.handle, "report.file"),  # a report: who filed it
        ("boss", "account.role"), ("boss", "rule.add"),
    ]
    assert rows[0].target.label == bob.handle
    assert rows[0].target.person_id == bob.id
    assert rows[1].target.report_id == report.id
    assert bob.handle in rows[1].target.label
    assert rows[2].target.person_id == alice.id
    assert rows[2].entry.reason == "helps out"
    assert rows[3].target.label == f"rule {rule.id}: Be kind."

    assert [r.entry.action for r in log.page(log.LogFilter(action="rule.add"))] == ["rule.add"]
    assert {r.entry.action for r in log.page(log.LogFilter(actor="BOSS"))} == {"account.role", "rule.add"}
    assert {r.entry.action for r in log.page(log.LogFilter(actor="command line"))} == {
        "account.create_admin", "account.role", "report.file",
    }
    # About bob: his role (audited on his account) and the report about him.
    assert [r.entry.action for r in log.page(log.LogFilter(target="@bob"))] == ["account.role", "report.file"]
    with pytest.raises(log.UnknownName):
        log.page(log.LogFilter(actor="nobody"))
    with pytest.raises(log.UnknownName):
        log.page(log.LogFilter(target="nobody@nowhere.example"))

    newest, *_ = log.page(limit=1)
    assert [r.entry.id for r in log.page(before=newest.entry.id, limit=2)] == [rows[1].entry.id, rows[2].entry.id]
    assert "account.role" in log.actions()
    assert "rule.add" in log.actions()


def test_reading_a_page_of_the_log_costs_the_same_queries_however_many_targets(admin, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # One query per kind of target on the page (accounts, reports, rules), not per entry.
    for number in range(2):
        person = factories.person(f"few{number}")
        set_role(admin, person.account, Role.MODERATOR)
        file_report(person, comment="x")
        pod_rules.add_rule(admin, f"Rule {number}")
    with CaptureQueriesContext(connection) as few:
        log.page()
    for number in range(16):
        person = factories.person(f"many{number}")
        set_role(admin, person.account, Role.MODERATOR)
        file_report(person, comment="x")
        pod_rules.add_rule(admin, f"More {number}")
    with django_assert_max_num_queries(len(few)):
        rows = log.page()
    assert len(rows) == log.PAGE_SIZE
