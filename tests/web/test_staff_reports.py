"""Reporting from the web UI (posts, comments, profiles) and the staff's report queue and
report page: snapshot, history, assignment, notes, forwarding, resolving, the action form."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kith.federation.activitypub.models import RemoteActor
from kith.federation.models import Delivery
from kith.moderation.models import AccountAction, PodRule, Report, ReportState
from kith.moderation.reports import resolve_report
from kith.moderation.services import file_report
from kith.people.remote import upsert_remote_person
from kith.people.services import set_role
from kith.social.models import Visibility
from kith.social.services import add_comment, delete_post, edit_post, publish_post
from tests import factories
from tests.web.conftest import client_for, page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def moderator(db):
    person = factories.person("mod")
    set_role(None, person.account, "moderator")
    return person


@pytest.fixture
def as_mod(moderator):
    moderator.account.refresh_from_db()
    return client_for(moderator)


def _remote(username: str = "spammer"):
    person = upsert_remote_person(username, "mastodon.example")
    RemoteActor.objects.create(
        person=person, uri=f"https://mastodon.example/users/{username}",
        inbox=f"https://mastodon.example/users/{username}/inbox", shared_inbox="https://mastodon.example/inbox",
        key_id=f"https://mastodon.example/users/{username}#main-key", public_key_pem="unused", fetched_at=timezone.now(),
    )
    return person


# ---- reporting --------------------------------------------------------------------------------


def test_every_post_and_comment_has_a_report_action_but_ones_own(alice, bob, as_alice):
    post = publish_post(bob, "bob writes")
    own = publish_post(alice, "alice writes")
    comment = add_comment(bob, own, "bob answers")
    assert f"/@bob/report?post={post.id}" in page(as_alice, "/@bob")
    assert f"report?post={own.id}" not in page(as_alice, "/@alice")
    thread = page(as_alice, f"/posts/{own.id}")
    assert f"/@bob/report?comment={comment.id}" in thread
    assert f'id="comment-{comment.id}-report"' in thread


def test_the_report_form_offers_category_rules_and_recent_posts(alice, bob, as_alice):
    PodRule.objects.create(text="No harassment")
    reported = publish_post(bob, "the reported one")
    other = publish_post(bob, "another one")
    hidden = publish_post(bob, "for carol only", visibility=Visibility.LIMITED, person_ids=[])
    form = page(as_alice, f"/@bob/report?post={reported.id}")
    assert re.search(rf'<input type="checkbox" name="posts" value="{reported.id}"[^>]*checked', form)
    assert re.search(rf'<input type="checkbox" name="posts" value="{other.id}"(?![^>]*checked)', form)
    assert f'value="{hidden.id}"' not in form
    assert "for carol only" not in form
    assert "No harassment" in form
    assert 'value="violation"' in form
    assert "<legend>" in form  # choices grouped for screen readers
    assert "Also send the report" not in form  # bob is of this pod


def test_report_a_post_with_a_rule(alice, bob, as_alice):
    rule = PodRule.objects.create(text="No harassment")
    reported = publish_post(bob, "the reported one")
    other = publish_post(bob, "another one")
    response = as_alice.post("/@bob/report", {
        "post": reported.id, "posts": [reported.id, other.id], "category": "violation", "rules": [rule.id],
        "comment": "harassing me",
    })
    assert response.status_code == 302
    report = Report.objects.get()
    assert sorted(p.id for p in report.posts.all()) == sorted([reported.id, other.id])
    assert (report.category, report.rules) == ("violation", [{"id": str(rule.id), "text": "No harassment"}])


def test_a_ticked_rule_is_never_dropped(alice, bob, as_alice):
    rule = PodRule.objects.create(text="Be kind")
    reported = publish_post(bob, "unkind words")
    # The category left at its default: the rule ticked makes it a rule violation.
    assert as_alice.post("/@bob/report", {"post": reported.id, "rules": [rule.id]}).status_code == 302
    assert (Report.objects.get().category, Report.objects.get().rules) == (
        "violation", [{"id": str(rule.id), "text": "Be kind"}]
    )
    # Spam with a rule ticked is sent back, the text kept, rather than the rule lost.
    refused = as_alice.post("/@bob/report", {"post": reported.id, "category": "spam", "rules": [rule.id],
                                             "comment": "kept text"})
    assert refused.status_code == 400
    assert "kept text" in refused.content.decode()
    assert Report.objects.count() == 1


def test_a_violation_without_rules_is_refused_in_place(alice, bob, as_alice):
    PodRule.objects.create(text="No harassment")
    response = as_alice.post("/@bob/report", {"category": "violation", "comment": "keep this text"})
    assert response.status_code == 422
    assert "names the rules broken" in response.content.decode()
    assert "keep this text" in response.content.decode()
    assert not Report.objects.exists()


def test_a_post_the_reporter_cannot_see_cannot_be_attached(alice, bob, carol, as_alice):
    hidden = publish_post(bob, "for carol", visibility=Visibility.LIMITED, person_ids=[carol.id])
    assert as_alice.get(f"/@bob/report?post={hidden.id}").status_code == 404
    response = as_alice.post("/@bob/report", {"posts": [hidden.id]})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_report_a_comment(alice, bob, as_alice):
    post = publish_post(alice, "mine")
    comment = add_comment(bob, post, "nasty reply")
    form = page(as_alice, f"/@bob/report?comment={comment.id}")
    assert "nasty reply" in form
    response = as_alice.post("/@bob/report", {"reported_comment": comment.id, "category": "spam"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert [c.id for c in report.comments.all()] == [comment.id]
    assert report.snapshot[0]["kind"] == "comment"
    assert as_alice.get(f"/@alice/report?comment={comment.id}").status_code == 404  # not alice's comment


def test_a_remote_person_can_be_reported_to_their_server_too(alice, as_alice):
    _remote()
    assert "Also send the report" in page(as_alice, "/@spammer@mastodon.example/report")
    as_alice.post("/@spammer@mastodon.example/report", {"comment": "spam", "forward": "on"})
    report = Report.objects.get()
    assert report.forwarded
    assert Delivery.objects.filter(subject=f"report:{report.id}").exists()


# ---- the queue --------------------------------------------------------------------------------


def test_the_queue_is_for_staff_only(alice, bob, as_alice, as_mod):
    file_report(bob, reporter=alice)
    assert as_alice.get("/moderation/").status_code == 404
    assert as_alice.get(f"/moderation/reports/{Report.objects.get().id}").status_code == 404
    assert as_alice.post(f"/moderation/reports/{Report.objects.get().id}/resolve").status_code == 404
    assert page(as_mod, "/moderation/")


def test_the_queue_lists_open_reports_and_filters(alice, bob, carol, moderator, as_mod):
    open_one = file_report(bob, reporter=alice, comment="about bob", category="spam")
    closed = file_report(carol, reporter=alice, comment="about carol")
    resolve_report(moderator.account, closed, outcome="done")
    remote = file_report(bob, reporter_domain="other.example", comment="from afar")
    queue = page(as_mod, "/moderation/")
    assert f"/moderation/reports/{open_one.id}" in queue
    assert f"/moderation/reports/{remote.id}" in queue
    assert f"/moderation/reports/{closed.id}" not in queue
    assert "someone on other.example" in queue
    assert "alice@" in queue
    assert "spam" in queue
    assert f"/moderation/reports/{closed.id}" in page(as_mod, "/moderation/?state=resolved")
    assert f"/moderation/reports/{open_one.id}" not in page(as_mod, "/moderation/?state=resolved")
    assert "No open reports" in page(as_mod, "/moderation/?mine=1")
    assert page(as_mod, "/moderation/?state=nonsense")  # falls back to open


def test_the_queue_does_not_grow_queries_with_reports(alice, bob, carol, as_mod):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert as_mod.get("/moderation/?state=all").status_code == 200
        return len(captured.captured_queries)

    file_report(bob, reporter=alice, posts=[publish_post(bob, "one")])
    first = queries()
    for number in range(6):
        target = bob if number % 2 else carol
        file_report(target, reporter=alice if number % 3 else None, reporter_domain="" if number % 3 else "x.example",
                    posts=[publish_post(target, f"post {number}")])
    assert queries() == first


# ---- the report page ----------------------------------------------------------------------------


def test_the_report_page_shows_the_snapshot_the_content_now_and_the_history(alice, bob, carol, moderator, as_mod):
    post = publish_post(bob, "original words")
    gone = publish_post(bob, "deleted words")
    earlier = file_report(bob, reporter=carol, comment="earlier")
    AccountAction.objects.create(target=bob, moderator=moderator.account, kind="warn", reason="be nice")
    report = file_report(bob, reporter=alice, posts=[post, gone], comment="look at this")
    edit_post(bob, post, "edited words")
    delete_post(bob, gone)
    shown = page(as_mod, f"/moderation/reports/{report.id}")
    assert "original words" in shown
    assert "deleted words" in shown
    assert "edited words" in shown  # as it is now
    assert "Some of what was reported has been deleted since, or is not shown to you: see it as reported above." in shown
    assert f"/moderation/reports/{earlier.id}" in shown
    # All of it still there: no claim that some is gone.
    whole = file_report(bob, reporter=carol, posts=[post])
    assert "has been deleted since" not in page(as_mod, f"/moderation/reports/{whole.id}")
    assert "be nice" in shown
    assert "look at this" in shown
    # The action form, for the accounts part's view.
    assert f'action="/moderation/accounts/{bob.id}/action"' in shown
    assert f'name="report_id" value="{report.id}"' in shown
    assert f'name="post_ids" value="{post.id}"' in shown
    for field in ('name="kind" value="suspend"', 'name="reason"', 'name="expires_in"'):
        assert field in shown


def test_assign_note_resolve_and_reopen_through_the_page(alice, bob, moderator, as_mod):
    report = file_report(bob, reporter=alice)
    base = f"/moderation/reports/{report.id}"
    assert as_mod.post(f"{base}/assign").status_code == 302
    report.refresh_from_db()
    assert report.assigned_to_id == moderator.account.id
    assert "Unassign" in page(as_mod, base)
    assert f"/moderation/reports/{report.id}" in page(as_mod, "/moderation/?mine=1")
    as_mod.post(f"{base}/note", {"text": "a private thought"})
    assert "a private thought" in page(as_mod, base)
    assert "a private thought" not in page(client_for(alice), "/notifications")
    assert as_mod.post(f"{base}/note", {"text": ""}).status_code == 422
    as_mod.post(f"{base}/resolve", {"outcome": "We talked to them."})
    report.refresh_from_db()
    assert (report.state, report.outcome) == (ReportState.RESOLVED, "We talked to them.")
    again = as_mod.post(f"{base}/resolve", {"outcome": "twice"})
    assert again.status_code == 409
    assert "closed already" in again.content.decode()
    as_mod.post(f"{base}/reopen")
    as_mod.post(f"{base}/resolve", {"dismiss": "1"})
    report.refresh_from_db()
    assert report.state == ReportState.DISMISSED
    assert as_mod.post(f"{base}/unassign").status_code == 302
    assert as_mod.get("/moderation/reports/999999").status_code == 404
    assert as_mod.get(f"{base}/resolve").status_code == 405


def test_forward_from_the_report_page(alice, as_mod):
    spammer = _remote()
    report = file_report(spammer, reporter=alice, comment="spam")
    assert "Forward to mastodon.example" in page(as_mod, f"/moderation/reports/{report.id}")
    as_mod.post(f"/moderation/reports/{report.id}/forward")
    assert Delivery.objects.filter(subject=f"report:{report.id}").exists()
    assert "Forward to mastodon.example" not in page(as_mod, f"/moderation/reports/{report.id}")
    assert as_mod.post(f"/moderation/reports/{report.id}/forward").status_code == 409


# ---- notifications ------------------------------------------------------------------------------


def test_staff_are_told_of_new_reports_and_reporters_of_outcomes(alice, bob, moderator, as_mod, as_alice):
    report = file_report(bob, reporter=alice)
    file_report(bob, reporter_domain="other.example")
    notes = page(as_mod, "/notifications")
    assert f"/moderation/reports/{report.id}" in notes
    assert "reported bob@" in notes
    assert "Someone on other.example reported bob@" in notes
    resolve_report(moderator.account, report, outcome="We suspended the account.")
    told = page(as_alice, "/notifications")
    assert "Your report about bob was handled: We suspended the account." in told
    assert "/moderation/" not in told
    set_role(None, moderator.account, "user")
    assert f"/moderation/reports/{report.id}" not in page(client_for(moderator), "/notifications")


def test_hostile_ids_are_a_clear_answer(alice, bob, as_mod, as_alice):
    huge = "9" * 30
    assert as_mod.get(f"/moderation/reports/{huge}").status_code == 404
    assert as_mod.post(f"/moderation/reports/{huge}/resolve").status_code == 404
    assert as_alice.get(f"/@bob/report?post={huge}").status_code == 200  # not an id: nothing named
    assert as_alice.post("/@bob/report", {"posts": [huge], "rules": [huge]}).status_code == 400
    assert as_alice.post("/@bob/report", {"category": "nonsense"}).status_code == 400
    assert not Report.objects.exists()
