"""Account actions (kith.moderation.actions): each kind on local and remote accounts, lifting,
lapsing, appeals and who may act."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kith.core.errors import Conflict, Invalid, NotAllowed, NotFound
from kith.moderation import actions
from kith.moderation.jobs import _lapse_at_start
from kith.moderation.models import (
    AccountAction,
    ActionKind,
    Appeal,
    AppealState,
    AuditLogEntry,
    DomainPolicy,
    DomainSeverity,
    PodRule,
    Report,
    ReportState,
)
from kith.moderation.services import file_report
from kith.people.auth import AccountBackend
from kith.people.models import Account, AccountState, Person, Role
from kith.people.remote import upsert_remote_person
from kith.people.services import set_role
from kith.social import remote as social_remote
from kith.social.models import Comment, Post, PostRevision, Visibility
from kith.social.services import add_comment, publish_post
from kith.timelines.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod(db) -> Account:
    account = factories.person("mod").account
    set_role(None, account, Role.MODERATOR)
    return account


@pytest.fixture
def admin(db) -> Account:
    account = factories.person("boss").account
    set_role(None, account, Role.ADMIN)
    return account


@pytest.fixture
def rule(db) -> PodRule:
    return PodRule.objects.create(text="No harassment", position=1)


@pytest.fixture
def troll(db) -> Person:
    return upsert_remote_person("troll", "bad.example")


def _state(person: Person) -> Person:
    return Person.objects.select_related("account").get(id=person.id)


def _warnings(person: Person) -> list[dict]:
    return list(Notification.objects.filter(recipient=person, kind="moderation_warning").values_list("data", flat=True))


def test_warn_changes_nothing_but_tells_the_person_with_the_rules(mod, alice, rule):
    action = actions.take_action(mod, alice, ActionKind.WARN, reason="Be kind", rule_ids=[rule.id])
    assert action.rules == [{"id": str(rule.id), "text": "No harassment"}]
    assert action.moderator == mod
    assert action.reason == "Be kind"
    fresh = _state(alice)
    assert fresh.is_active
    assert not fresh.limited
    assert fresh.account.state == AccountState.ACTIVE
    assert _warnings(alice) == [{"action_id": action.id}]
    entry = AuditLogEntry.objects.get(action="account_action.warn")
    assert entry.actor == mod
    assert entry.reason == "Be kind"
    assert entry.data["action_id"] == action.id


def test_a_rule_snapshot_keeps_its_text_when_the_rule_changes(mod, alice, rule):
    action = actions.take_action(mod, alice, ActionKind.WARN, rule_ids=[rule.id])
    PodRule.objects.filter(id=rule.id).update(text="Something else")
    action.refresh_from_db()
    assert action.rules[0]["text"] == "No harassment"


def test_unknown_or_removed_rules_are_refused(mod, alice, rule):
    with pytest.raises(Invalid):
        actions.take_action(mod, alice, ActionKind.WARN, rule_ids=[rule.id + 100])
    PodRule.objects.filter(id=rule.id).update(deleted_at=timezone.now())
    with pytest.raises(Invalid):
        actions.take_action(mod, alice, ActionKind.WARN, rule_ids=[rule.id])
    with pytest.raises(Invalid):
        actions.take_action(mod, alice, ActionKind.WARN, rule_ids=["x"])
    assert not AccountAction.objects.exists()


def test_warning_a_remote_person_records_it_without_notice(mod, troll):
    action = actions.take_action(mod, troll, ActionKind.WARN, reason="spam")
    assert action.target == troll
    assert not Notification.objects.filter(kind="moderation_warning").exists()


def test_delete_removes_the_named_posts_and_comments(mod, alice, bob):
    keep = publish_post(alice, "fine")
    bad = publish_post(alice, "bad")
    comment = add_comment(alice, publish_post(bob, "bob's"), "nasty")
    action = actions.take_action(mod, alice, ActionKind.DELETE, post_ids=[bad.id], comment_ids=[comment.id])
    assert set(Post.objects.filter(author=alice).values_list("id", flat=True)) == {keep.id}
    assert not Comment.objects.filter(id=comment.id).exists()
    assert action.post_ids == [str(bad.id)]
    assert action.comment_ids == [str(comment.id)]


def test_delete_refuses_what_is_not_the_targets_and_changes_nothing(mod, alice, bob):
    theirs = publish_post(bob, "bob's")
    own = publish_post(alice, "alice's")
    with pytest.raises(NotFound):
        actions.take_action(mod, alice, ActionKind.DELETE, post_ids=[own.id, theirs.id])
    assert Post.objects.filter(id__in=[own.id, theirs.id]).count() == 2
    with pytest.raises(Invalid):
        actions.take_action(mod, alice, ActionKind.DELETE)
    assert not AccountAction.objects.exists()


def test_delete_a_remote_persons_post(mod, troll):
    post = social_remote.record_remote_post(troll, social_remote.RemoteContent(html="<p>spam</p>"),
                                            visibility=Visibility.PUBLIC)
    actions.take_action(mod, troll, ActionKind.DELETE, post_ids=[post.id])
    assert not Post.objects.filter(id=post.id).exists()


def test_sensitive_on_posts_marks_them_as_an_edit(mod, alice):
    post = publish_post(alice, "look")
    actions.take_action(mod, alice, ActionKind.SENSITIVE, post_ids=[post.id])
    post.refresh_from_db()
    assert post.sensitive
    assert post.edited_at is not None
    assert PostRevision.objects.filter(post=post, sensitive=False).exists()
    assert not _state(alice).force_sensitive


def test_sensitive_without_posts_marks_the_account_until_lifted(mod, alice):
    action = actions.take_action(mod, alice, ActionKind.SENSITIVE, reason="gore")
    assert _state(alice).force_sensitive
    with pytest.raises(Conflict):
        actions.take_action(mod, alice, ActionKind.SENSITIVE)
    actions.lift_action(mod, action, why="lifted")
    assert not _state(alice).force_sensitive
    action.refresh_from_db()
    assert action.ended_reason == "lifted"
    assert action.ended_at is not None


def test_limit_sets_the_flag_and_lifting_clears_it(mod, alice, troll):
    local = actions.take_action(mod, alice, ActionKind.LIMIT, reason="borderline")
    remote = actions.take_action(mod, troll, ActionKind.LIMIT)
    assert _state(alice).limited
    assert _state(troll).limited
    actions.lift_action(mod, local, why="lifted")
    actions.lift_action(mod, remote, why="lifted")
    assert not _state(alice).limited
    assert not _state(troll).limited


def test_lifting_a_limit_keeps_a_silenced_domains_person_limited(mod, troll):
    DomainPolicy.objects.create(domain="example", severity=DomainSeverity.SILENCE)
    action = actions.take_action(mod, troll, ActionKind.LIMIT)
    actions.lift_action(mod, action, why="lifted")
    assert _state(troll).limited


def test_freeze_stops_login_and_keeps_content(mod, alice):
    post = publish_post(alice, "stays")
    actions.take_action(mod, alice, ActionKind.FREEZE, reason="compromised?")
    fresh = _state(alice)
    assert fresh.account.state == AccountState.FROZEN
    assert fresh.is_active
    assert Post.objects.filter(id=post.id).exists()
    assert AccountBackend().authenticate(None, username="alice", password=factories.PASSWORD) is None
    assert AccountBackend().get_user(fresh.account.pk) is None  # its session ends


def test_freeze_is_for_local_accounts_only(mod, troll):
    with pytest.raises(Invalid):
        actions.take_action(mod, troll, ActionKind.FREEZE)


def test_unfreeze_by_lifting(mod, alice):
    action = actions.take_action(mod, alice, ActionKind.FREEZE)
    actions.lift_action(mod, action, why="lifted")
    assert AccountBackend().authenticate(None, username="alice", password=factories.PASSWORD) is not None


def test_suspend_local_and_lift_restores(mod, alice):
    action = actions.take_action(mod, alice, ActionKind.SUSPEND, reason="spam")
    fresh = _state(alice)
    assert fresh.state == AccountState.SUSPENDED
    assert fresh.suspended_at is not None
    assert fresh.account.state == AccountState.SUSPENDED
    with pytest.raises(Conflict):
        actions.take_action(mod, alice, ActionKind.SUSPEND)
    actions.lift_action(mod, action, why="lifted")
    fresh = _state(alice)
    assert fresh.state == AccountState.ACTIVE
    assert fresh.account.state == AccountState.ACTIVE


def test_an_action_keeps_the_reported_posts_as_its_grounds(mod, alice, bob):
    """The report page's action form sends the reported posts with any kind of action: a limit or
    a suspension keeps them as its grounds (Mastodon's strikes list them) and touches none."""
    reported = publish_post(alice, "Buy coins here")
    theirs = publish_post(bob, "Bob's own post")
    action = actions.take_action(mod, alice, ActionKind.LIMIT, reason="spam", post_ids=[reported.id, theirs.id])
    assert action.post_ids == [str(reported.id)]  # only the target's own
    assert Post.objects.filter(id=reported.id).exists()
    with pytest.raises(Conflict):  # grounds do not make a second limit a different action
        actions.take_action(mod, alice, ActionKind.LIMIT, post_ids=[reported.id])
    suspension = actions.take_action(mod, alice, ActionKind.SUSPEND, reason="spam", post_ids=[reported.id])
    assert suspension.post_ids == [str(reported.id)]
    assert _state(alice).state == AccountState.SUSPENDED


def test_suspend_remote_purges_their_content_and_keeps_them_out(mod, troll, alice):
    post = social_remote.record_remote_post(troll, social_remote.RemoteContent(html="<p>spam</p>"),
                                            visibility=Visibility.PUBLIC)
    actions.take_action(mod, troll, ActionKind.SUSPEND, reason="spam farm")
    fresh = _state(troll)
    assert fresh.state == AccountState.SUSPENDED
    assert fresh.suspended_at is not None
    assert not Post.objects.filter(id=post.id).exists()
    # Discovered again: still suspended, and nothing new of theirs is taken in.
    again = upsert_remote_person("troll", "bad.example")
    assert again.state == AccountState.SUSPENDED
    with pytest.raises(NotAllowed):
        social_remote.record_remote_post(again, social_remote.RemoteContent(html="<p>more</p>"),
                                         visibility=Visibility.PUBLIC)


def test_suspending_a_remote_account_severs_its_follows_and_tells_the_local_people(mod, troll, alice, bob):
    from kith.graph.models import Follow, FollowState
    from kith.graph.services import follow

    follow(alice, troll)
    Follow.objects.create(follower=troll, followee=bob, state=FollowState.ACCEPTED)
    actions.take_action(mod, troll, ActionKind.SUSPEND, reason="spam farm")
    assert not Follow.objects.filter(follower=troll).exists()
    assert not Follow.objects.filter(followee=troll).exists()
    told = {n.recipient_id: n.data for n in Notification.objects.filter(kind="severed_relationships")}
    assert told == {
        alice.id: {"account": troll.handle, "followers_lost": 0, "following_lost": 1},
        bob.id: {"account": troll.handle, "followers_lost": 1, "following_lost": 0},
    }


def test_unsuspend_remote(mod, troll):
    action = actions.take_action(mod, troll, ActionKind.SUSPEND)
    actions.lift_action(mod, action, why="lifted")
    assert _state(troll).state == AccountState.ACTIVE
    assert _state(troll).suspended_at is None


def test_lift_kind_reverses_a_state_set_without_an_action(mod, alice):
    from kith.people.services import set_limited

    set_limited(None, alice, True)
    assert actions.lift_kind(mod, alice, ActionKind.LIMIT) == 0
    assert not _state(alice).limited


def test_an_action_resolves_its_report_saying_what_was_done(mod, alice, bob):
    report = file_report(alice, reporter=bob, comment="rude")
    action = actions.take_action(mod, alice, ActionKind.LIMIT, report=report)
    report.refresh_from_db()
    assert action.report == report
    assert report.state == ReportState.RESOLVED
    assert report.resolved_by == mod
    assert report.outcome == actions.OUTCOMES[ActionKind.LIMIT]


def test_a_closed_report_is_refused_before_anything_changes(mod, alice, bob):
    from kith.moderation.reports import resolve_report

    report = resolve_report(mod, file_report(alice, reporter=bob), dismissed=True)
    with pytest.raises(Conflict):
        actions.take_action(mod, alice, ActionKind.LIMIT, report=report)
    assert not _state(alice).limited
    assert not AccountAction.objects.exists()


def test_a_report_about_someone_else_is_refused(mod, alice, bob, carol):
    report = file_report(carol, reporter=bob)
    with pytest.raises(Invalid):
        actions.take_action(mod, alice, ActionKind.WARN, report=report)
    assert Report.objects.get(id=report.id).state == ReportState.OPEN


def test_only_staff_act_and_not_on_their_equals(mod, admin, alice, bob):
    with pytest.raises(NotAllowed):
        actions.take_action(bob.account, alice, ActionKind.WARN)
    with pytest.raises(NotAllowed):
        actions.take_action(mod, admin.person, ActionKind.SUSPEND)
    with pytest.raises(NotAllowed):
        actions.take_action(mod, mod.person, ActionKind.WARN)
    other_mod = factories.person("mod2").account
    set_role(None, other_mod, Role.MODERATOR)
    with pytest.raises(NotAllowed):
        actions.take_action(mod, other_mod.person, ActionKind.FREEZE)
    actions.take_action(admin, other_mod.person, ActionKind.WARN)  # an admin outranks a moderator
    action = actions.take_action(mod, alice, ActionKind.LIMIT)
    with pytest.raises(NotAllowed):
        actions.lift_action(bob.account, action, why="lifted")
    # The command line (no account) acts as the pod.
    actions.take_action(None, bob, ActionKind.WARN)


def test_expiry_only_for_lasting_actions_and_in_the_future(mod, alice):
    with pytest.raises(Invalid):
        actions.take_action(mod, alice, ActionKind.WARN, expires_at=timezone.now() + timedelta(days=1))
    with pytest.raises(Invalid):
        actions.take_action(mod, alice, ActionKind.LIMIT, expires_at=timezone.now() - timedelta(seconds=1))


def test_timed_actions_lapse_on_their_own_once(mod, alice, troll):
    limit = actions.take_action(mod, alice, ActionKind.LIMIT, expires_at=timezone.now() + timedelta(hours=1))
    suspension = actions.take_action(mod, troll, ActionKind.SUSPEND, expires_at=timezone.now() + timedelta(hours=2))
    lasting = actions.take_action(mod, alice, ActionKind.FREEZE)
    assert actions.lapse_expired_actions() == 0
    assert actions.lapse_expired_actions(timezone.now() + timedelta(minutes=61)) == 1
    assert not _state(alice).limited
    assert _state(troll).state == AccountState.SUSPENDED
    limit.refresh_from_db()
    assert limit.ended_reason == "lapsed"
    # Later: the suspension lapses; running again (as after a crash) ends nothing twice.
    AccountAction.objects.filter(id=suspension.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _lapse_at_start(True) == 1
    assert actions.lapse_expired_actions() == 0
    assert _state(troll).state == AccountState.ACTIVE
    lasting.refresh_from_db()
    assert lasting.ended_at is None
    assert _state(alice).account.state == AccountState.FROZEN


def test_a_state_held_by_two_actions_stays_until_both_end(mod, alice):
    limit = actions.take_action(mod, alice, ActionKind.LIMIT, expires_at=timezone.now() + timedelta(hours=1))
    actions.lift_action(mod, limit, why="lifted")
    first = actions.take_action(mod, alice, ActionKind.LIMIT, expires_at=timezone.now() + timedelta(hours=1))
    # A second one while the first is in force is refused: lift first.
    with pytest.raises(Conflict):
        actions.take_action(mod, alice, ActionKind.LIMIT)
    actions.lift_action(None, first, why="lapsed")
    with pytest.raises(Conflict):
        actions.lift_action(None, first, why="lapsed")


def test_appeal_once_by_the_target_only(mod, alice, bob):
    action = actions.take_action(mod, alice, ActionKind.WARN, reason="rude")
    with pytest.raises(NotFound):
        actions.file_appeal(bob, action, "not me")
    with pytest.raises(Invalid):
        actions.file_appeal(alice, action, "   ")
    appeal = actions.file_appeal(alice, action, "I was quoting someone")
    assert appeal.state == AppealState.PENDING
    with pytest.raises(Conflict):
        actions.file_appeal(alice, action, "again")
    assert Appeal.objects.count() == 1


def test_appeal_within_thirty_days_of_an_action_in_force(mod, alice):
    old = actions.take_action(mod, alice, ActionKind.WARN)
    AccountAction.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=31))
    old.refresh_from_db()
    with pytest.raises(Conflict):
        actions.file_appeal(alice, old, "please")
    ended = actions.take_action(mod, alice, ActionKind.LIMIT)
    actions.lift_action(mod, ended, why="lifted")
    with pytest.raises(Conflict):
        actions.file_appeal(alice, ended, "please")


def test_approving_an_appeal_lifts_a_suspension_and_tells_the_person(mod, alice):
    action = actions.take_action(mod, alice, ActionKind.SUSPEND, reason="spam")
    appeal = actions.file_appeal(alice, action, "It was not spam")
    actions.decide_appeal(mod, appeal, approve=True)
    fresh = _state(alice)
    assert fresh.state == AccountState.ACTIVE
    assert fresh.account.state == AccountState.ACTIVE
    action.refresh_from_db()
    appeal.refresh_from_db()
    assert action.ended_reason == "appeal"
    assert appeal.state == AppealState.APPROVED
    assert appeal.decided_by == mod
    assert {"action_id": action.id, "appeal": "approved"} in _warnings(alice)
    with pytest.raises(Conflict):
        actions.decide_appeal(mod, appeal, approve=False)


def test_rejecting_an_appeal_keeps_the_action(mod, alice, bob):
    action = actions.take_action(mod, alice, ActionKind.LIMIT)
    appeal = actions.file_appeal(alice, action, "please")
    with pytest.raises(NotAllowed):
        actions.decide_appeal(bob.account, appeal, approve=True)
    actions.decide_appeal(mod, appeal, approve=False)
    assert _state(alice).limited
    action.refresh_from_db()
    assert action.ended_at is None
    assert {"action_id": action.id, "appeal": "rejected"} in _warnings(alice)
    assert AuditLogEntry.objects.filter(action="appeal.rejected", actor=mod).exists()


@pytest.mark.django_db(transaction=True)
def test_deleting_and_marking_a_local_post_federates_to_who_got_it(mod, alice):
    """A staff deletion is the author's deletion to other pods: a Delete goes to the inboxes
    the post went to (and marking media sensitive sends an Update)."""
    from kith.federation.activitypub.models import RemoteActor
    from kith.federation.models import Delivery
    from kith.graph.services import follow

    reader = upsert_remote_person("reader", "far.example")
    RemoteActor.objects.create(
        person=reader, uri="https://far.example/users/reader", inbox="https://far.example/users/reader/inbox",
        shared_inbox="https://far.example/inbox", key_id="https://far.example/users/reader#main-key",
        public_key_pem="unused", fetched_at=timezone.now(),
    )
    follow(reader, alice)  # alice is not locked: accepted at once
    marked = publish_post(alice, "photo-ish")
    deleted = publish_post(alice, "spam")
    assert Delivery.objects.filter(subject=f"post:{deleted.id}").exists()

    actions.take_action(mod, alice, ActionKind.SENSITIVE, post_ids=[marked.id])
    actions.take_action(mod, alice, ActionKind.DELETE, post_ids=[deleted.id])

    bodies = [bytes(body) for body in Delivery.objects.filter(host="far.example").values_list("body", flat=True)]
    assert any(b'"Update"' in body and str(marked.id).encode() in body for body in bodies)
    assert any(b'"Delete"' in body and str(deleted.id).encode() in body for body in bodies)


# ---- review fixes (group A) ------------------------------------------------------------------


def test_staff_lift_only_the_actions_of_those_below_them(mod, admin, alice):
    other_mod = factories.person("mod2").account
    set_role(None, other_mod, Role.MODERATOR)
    on_mod = actions.take_action(admin, mod.person, ActionKind.LIMIT)
    on_other = actions.take_action(admin, other_mod.person, ActionKind.SENSITIVE)
    with pytest.raises(NotAllowed):
        actions.lift_action(mod, on_mod, why="lifted")  # their own
    with pytest.raises(NotAllowed):
        actions.lift_action(mod, on_other, why="lifted")  # their equal's
    with pytest.raises(NotAllowed):
        actions.lift_action(mod, on_other, why="appeal")
    assert _state(mod.person).limited
    actions.lift_action(admin, on_mod, why="lifted")
    assert not _state(mod.person).limited
    # The lapse job (no account) ends anyone's.
    timed = actions.take_action(admin, other_mod.person, ActionKind.LIMIT, expires_at=timezone.now() + timedelta(hours=1))
    assert actions.lapse_expired_actions(timezone.now() + timedelta(hours=2)) == 1
    timed.refresh_from_db()
    assert timed.ended_reason == "lapsed"


def test_a_timed_suspension_is_kept_until_it_lapses_however_long(mod, alice, bob):
    from kith.moderation.suspensions import RETENTION, purge_expired_suspensions

    timed = actions.take_action(mod, alice, ActionKind.SUSPEND, expires_at=timezone.now() + timedelta(days=90))
    actions.take_action(mod, bob, ActionKind.SUSPEND)
    later = timezone.now() + RETENTION + timedelta(days=1)
    assert purge_expired_suspensions(now=later) == 1  # bob's open-ended one only
    assert _state(alice).account.state == AccountState.SUSPENDED
    assert _state(bob).state == AccountState.DELETED
    assert actions.lapse_expired_actions(timezone.now() + timedelta(days=91)) == 1
    timed.refresh_from_db()
    assert timed.ended_reason == "lapsed"
    assert _state(alice).account.state == AccountState.ACTIVE
    assert _state(alice).is_active


def test_lifting_a_suspension_leaves_a_frozen_account_frozen(mod, alice, bob):
    actions.take_action(mod, alice, ActionKind.FREEZE)
    suspension = actions.take_action(mod, alice, ActionKind.SUSPEND)
    actions.lift_action(mod, suspension, why="lifted")
    fresh = _state(alice)
    assert fresh.account.state == AccountState.FROZEN  # the freeze is still in force
    assert fresh.state == AccountState.ACTIVE  # the person and their content are back
    # The same by lifting the kind (Mastodon's unsuspend).
    actions.take_action(mod, bob, ActionKind.FREEZE)
    actions.take_action(mod, bob, ActionKind.SUSPEND)
    assert actions.lift_kind(mod, bob, ActionKind.SUSPEND) == 1
    assert _state(bob).account.state == AccountState.FROZEN
    # Without a freeze in force the account is active again.
    actions.lift_kind(mod, bob, ActionKind.FREEZE)
    assert _state(bob).account.state == AccountState.ACTIVE


def test_actions_on_a_purged_or_deleted_account_end_without_blocking_the_lapse(mod, alice, bob, carol):
    from kith.moderation.suspensions import RETENTION, purge_expired_suspensions
    from kith.people.services import delete_account

    # An account purged after its suspension, or deleted: its actions in force end with it.
    suspension = actions.take_action(mod, alice, ActionKind.SUSPEND)
    limit = actions.take_action(mod, alice, ActionKind.LIMIT, expires_at=timezone.now() + timedelta(days=60))
    assert purge_expired_suspensions(now=timezone.now() + RETENTION + timedelta(days=1)) == 1
    on_bob = actions.take_action(mod, bob, ActionKind.SENSITIVE)
    delete_account(bob.account)
    for action in (suspension, limit, on_bob):
        action.refresh_from_db()
        assert action.ended_at is not None
        assert action.ended_reason == "gone"
    # A row left in force on a gone target (from before this) ends on the next lapse instead of
    # failing forever in front of the others.
    stuck = actions.take_action(mod, carol, ActionKind.LIMIT, expires_at=timezone.now() + timedelta(hours=1))
    Person.objects.filter(id=carol.id).update(state=AccountState.DELETED)
    Account.objects.filter(pk=carol.account_id).update(state=AccountState.DELETED)
    dave = factories.person("dave")
    behind = actions.take_action(mod, dave, ActionKind.LIMIT, expires_at=timezone.now() + timedelta(hours=2))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(actions, "LAPSE_BATCH", 1)
        assert actions.lapse_expired_actions(timezone.now() + timedelta(hours=3)) == 1
        assert actions.lapse_expired_actions(timezone.now() + timedelta(hours=3)) == 1
    stuck.refresh_from_db()
    behind.refresh_from_db()
    assert stuck.ended_reason == "gone"
    assert behind.ended_reason == "lapsed"
    assert not _state(dave).limited


def test_a_frozen_or_suspended_staff_member_acts_no_more(mod, admin, alice, bob):
    from kith.moderation import email_blocks, reports
    from kith.people.services import freeze_account

    report = file_report(alice, reporter=bob, comment="spam")
    other_admin = factories.person("boss2").account
    set_role(None, other_admin, Role.ADMIN)
    freeze_account(None, admin, "")
    freeze_account(None, mod, "")
    admin.refresh_from_db()
    mod.refresh_from_db()
    assert admin.role == Role.ADMIN
    assert not admin.is_admin
    assert not admin.is_moderator
    assert mod.role == Role.MODERATOR
    assert not mod.is_moderator
    with pytest.raises(NotAllowed):
        set_role(admin, alice.account, Role.MODERATOR)
    with pytest.raises(NotAllowed):
        actions.take_action(mod, alice, ActionKind.WARN)
    with pytest.raises(NotAllowed):
        actions.take_action(admin, alice, ActionKind.WARN)
    with pytest.raises(NotAllowed):
        reports.resolve_report(mod, report, dismissed=True)
    with pytest.raises(NotAllowed):
        email_blocks.block_email(admin, email="spam@example.com")
    assert alice.account.role == Role.USER
    # An active admin still does all of it.
    set_role(other_admin, alice.account, Role.MODERATOR)
    reports.resolve_report(other_admin, report, dismissed=True)


def test_lifting_a_remote_suspension_keeps_them_suspended_while_their_domain_is(mod, troll):
    suspension = actions.take_action(mod, troll, ActionKind.SUSPEND)
    DomainPolicy.objects.create(domain="bad.example", severity=DomainSeverity.SUSPEND)
    actions.lift_action(mod, suspension, why="lifted")
    assert _state(troll).state == AccountState.SUSPENDED
    actions.lift_kind(mod, troll, ActionKind.SUSPEND)
    assert _state(troll).state == AccountState.SUSPENDED
    DomainPolicy.objects.filter(domain="bad.example").update(severity=DomainSeverity.SILENCE)
    actions.lift_kind(mod, troll, ActionKind.SUSPEND)
    assert _state(troll).state == AccountState.ACTIVE


def test_one_action_writes_one_audit_entry_carrying_its_id(mod, alice, troll):
    for target, kind in ((alice, ActionKind.SUSPEND), (alice, ActionKind.LIMIT), (alice, ActionKind.SENSITIVE),
                         (troll, ActionKind.SUSPEND)):
        before = AuditLogEntry.objects.count()
        action = actions.take_action(mod, target, kind)
        entries = list(AuditLogEntry.objects.order_by("id")[before:])
        assert [(e.action, e.data["action_id"]) for e in entries] == [(f"account_action.{kind}", action.id)]
        before = AuditLogEntry.objects.count()
        actions.lift_action(mod, action, why="lifted")
        entries = list(AuditLogEntry.objects.order_by("id")[before:])
        assert [(e.action, e.data["action_id"]) for e in entries] == [("account_action.lifted", action.id)]
    frozen = actions.take_action(mod, alice, ActionKind.FREEZE)
    assert list(AuditLogEntry.objects.filter(action__in=["account.freeze", "account.suspend", "person.limit",
                                                         "person.sensitive", "person.suspend"])) == []
    assert AuditLogEntry.objects.filter(action="account_action.freeze", data__action_id=frozen.id).exists()
    # A state set without an action and lifted by kind is still logged by the people service.
    from kith.people.services import set_limited

    set_limited(None, alice, True)
    actions.lift_kind(mod, alice, ActionKind.LIMIT)
    assert AuditLogEntry.objects.filter(action="person.unlimit").count() == 1


def test_limiting_or_marking_sensitive_bumps_the_person_updated_at(mod, alice):
    from kith.people.services import set_force_sensitive, set_limited

    Person.objects.filter(id=alice.id).update(updated_at=timezone.now() - timedelta(days=1))
    before = _state(alice).updated_at
    set_limited(mod, alice, True)
    after_limit = _state(alice).updated_at
    assert after_limit > before
    Person.objects.filter(id=alice.id).update(updated_at=before)
    set_force_sensitive(mod, alice, True)
    assert _state(alice).updated_at > before
