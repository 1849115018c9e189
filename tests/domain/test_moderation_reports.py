"""The report queue's domain: filing keeps a snapshot and tells staff; staff assign, note,
forward, resolve and reopen, each audited; only staff may."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from kith.core.errors import Conflict, Invalid, NotAllowed
from kith.federation.activitypub.models import RemoteActor, RemoteObject
from kith.federation.models import Delivery
from kith.moderation import reports, selectors
from kith.moderation.models import AccountAction, AuditLogEntry, PodRule, ReportState
from kith.moderation.services import file_report
from kith.people.remote import upsert_remote_person
from kith.people.services import set_role
from kith.social.models import Media, MediaState, Post
from kith.social.services import add_comment, delete_post, edit_post, publish_post
from kith.timelines.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
REMOTE = "https://mastodon.example"


@pytest.fixture
def moderator(db):
    person = factories.person("mod")
    set_role(None, person.account, "moderator")
    person.account.refresh_from_db()
    return person


def _remote_actor(username: str) -> RemoteActor:
    person = upsert_remote_person(username, "mastodon.example")
    return RemoteActor.objects.create(
        person=person, uri=f"{REMOTE}/users/{username}", inbox=f"{REMOTE}/users/{username}/inbox",
        shared_inbox=f"{REMOTE}/inbox", key_id=f"{REMOTE}/users/{username}#main-key",
        public_key_pem="unused", fetched_at=timezone.now(),
    )


def test_the_snapshot_keeps_posts_and_comments_as_reported(alice, bob):
    post = publish_post(bob, "first words", content_warning="rude")
    Media.objects.create(owner=bob, post=post, file="media/x.png", content_type="image/png",
                         description="a rude picture", state=MediaState.READY)
    comment = add_comment(bob, post, "a rude comment")
    report = file_report(bob, reporter=alice, posts=[post], comments=[comment], comment="look")
    post_id = post.id
    edit_post(bob, post, "second words")
    delete_post(bob, post)
    report.refresh_from_db()
    shots = {shot["kind"]: shot for shot in report.snapshot}
    assert "first words" in shots["post"]["html"]
    assert shots["post"]["content_warning"] == "rude"
    assert shots["post"]["uri"].endswith(f"/posts/{post_id}")
    assert shots["post"]["media"][0]["description"] == "a rude picture"
    assert shots["post"]["media"][0]["url"].endswith("/original")
    assert "a rude comment" in shots["comment"]["html"]
    assert shots["comment"]["uri"].endswith(f"/comments/{comment.id}")
    assert shots["post"]["created_at"]


def test_a_remote_posts_snapshot_has_its_uri(alice):
    remote = _remote_actor("spammer")
    post = Post.objects.create(author=remote.person, source="buy", html="<p>buy</p>", created_at=timezone.now())
    RemoteObject.objects.create(uri=f"{REMOTE}/statuses/9", kind="post", post=post)
    report = file_report(remote.person, reporter=alice, posts=[post])
    assert report.snapshot[0]["uri"] == f"{REMOTE}/statuses/9"


def test_every_staff_member_is_notified_of_a_new_report(alice, bob, carol, moderator):
    admin = factories.person("boss")
    set_role(None, admin.account, "admin")
    report = file_report(bob, reporter=alice, comment="spam", category="spam")
    notified = Notification.objects.filter(kind="admin_report")
    assert sorted(n.recipient_id for n in notified) == sorted([moderator.id, admin.id])
    assert all(n.data == {"report_id": report.id} and n.actor_id == alice.id for n in notified)
    assert not Notification.objects.filter(recipient__in=[alice, bob, carol], kind="admin_report").exists()


def test_a_report_about_or_by_a_moderator_does_not_notify_them(alice, bob, moderator):
    file_report(moderator, reporter=alice)
    file_report(bob, reporter=moderator)
    assert not Notification.objects.filter(recipient=moderator, kind="admin_report").exists()


def test_rules_are_pod_rules_by_id(alice, bob):
    kind = PodRule.objects.create(text="Be kind", position=1)
    gone = PodRule.objects.create(text="Old rule", position=2, deleted_at=timezone.now())
    report = file_report(bob, reporter=alice, category="violation", rule_ids=[kind.id])
    assert report.rules == [{"id": str(kind.id), "text": "Be kind"}]
    with pytest.raises(Invalid):
        file_report(bob, reporter=alice, category="violation", rule_ids=[gone.id])
    with pytest.raises(Invalid):
        file_report(bob, reporter=alice, category="violation")


def test_assign_note_resolve_reopen_are_audited(alice, bob, moderator):
    staff = moderator.account
    report = file_report(bob, reporter=alice)
    reports.assign_report(staff, report, staff)
    reports.assign_report(staff, report, staff)  # again: nothing new
    reports.add_note(staff, report, "looks like spam")
    reports.resolve_report(staff, report, outcome="We removed the post.")
    with pytest.raises(Conflict):
        reports.resolve_report(staff, report)
    reports.reopen_report(staff, report)
    reports.assign_report(staff, report, None)
    report.refresh_from_db()
    assert (report.state, report.assigned_to_id, report.resolved_by_id) == (ReportState.OPEN, None, None)
    assert [n.text for n in report.notes.all()] == ["looks like spam"]
    actions = list(AuditLogEntry.objects.filter(target_type="Report").order_by("id").values_list("action", flat=True))
    assert actions == ["report.file", "report.assign", "report.note", "report.resolve", "report.reopen", "report.unassign"]
    outcome = Notification.objects.get(recipient=alice, kind="report_outcome")
    assert outcome.data == {"report_id": report.id}


def test_only_staff_work_on_reports(alice, bob, carol):
    report = file_report(bob, reporter=alice)
    for act in (lambda: reports.assign_report(carol.account, report, carol.account),
                lambda: reports.add_note(carol.account, report, "hi"),
                lambda: reports.resolve_report(carol.account, report),
                lambda: reports.forward_report(carol.account, report)):
        with pytest.raises(NotAllowed):
            act()


def test_a_report_is_assigned_to_staff_only_and_notes_need_text(alice, bob, moderator):
    report = file_report(bob, reporter=alice)
    with pytest.raises(Invalid):
        reports.assign_report(moderator.account, report, alice.account)
    with pytest.raises(Invalid):
        reports.add_note(moderator.account, report, "   ")


def test_staff_forward_a_report_once_without_the_reporter(alice, moderator):
    remote = _remote_actor("spammer")
    report = file_report(remote.person, reporter=alice, comment="spam")
    assert not Delivery.objects.exists()
    reports.forward_report(moderator.account, report)
    body = json.loads(bytes(Delivery.objects.get(subject=f"report:{report.id}").body))
    assert body["type"] == "Flag"
    assert "alice" not in json.dumps(body)
    with pytest.raises(Conflict):
        reports.forward_report(moderator.account, report)
    local = file_report(moderator, reporter=alice)
    with pytest.raises(Invalid):
        reports.forward_report(moderator.account, local)


def test_the_queue_puts_open_reports_first_and_filters(alice, bob, carol, moderator):
    staff = moderator.account
    older = file_report(bob, reporter=alice, posts=[publish_post(bob, "x")])
    closed = file_report(carol, reporter=alice)
    newest = file_report(bob, reporter=carol)
    reports.resolve_report(staff, closed, outcome="done")
    reports.assign_report(staff, older, staff)
    everything = selectors.report_queue(staff, state="all")
    assert [r.id for r in everything] == [newest.id, older.id, closed.id]
    assert [r.id for r in selectors.report_queue(staff)] == [newest.id, older.id]
    assert [r.id for r in selectors.report_queue(staff, state="resolved")] == [closed.id]
    assert [r.id for r in selectors.report_queue(staff, mine=True)] == [older.id]
    row = everything[1]
    assert (row.post_total, row.comment_total, row.note_total, row.target_report_total) == (1, 0, 0, 2)


def test_the_report_page_has_the_history(alice, bob, carol, moderator):
    earlier = file_report(bob, reporter=carol)
    AccountAction.objects.create(target=bob, moderator=moderator.account, kind="warn", reason="be nice")
    report = file_report(bob, reporter=alice)
    found = selectors.report_page(report.id, moderator)
    assert [r.id for r in found.earlier_reports] == [earlier.id]
    assert [a.reason for a in found.actions] == ["be nice"]
