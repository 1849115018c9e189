"""Applying stored activities in the worker: reports (Flag) and what each handler refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kith.federation.activitypub import inbound, uris
from kith.federation.activitypub.models import InboundActivity, InboundState, RemoteActor
from kith.graph.models import Follow
from kith.moderation.models import Report
from kith.people.remote import upsert_remote_person
from kith.social.services import publish_post

pytestmark = pytest.mark.django_db(transaction=True)
REMOTE = "https://mastodon.example"


def _remote_actor(username: str, actor_type: str = "Person") -> RemoteActor:
    person = upsert_remote_person(username, "mastodon.example")
    return RemoteActor.objects.create(
        person=person, uri=f"{REMOTE}/users/{username}", inbox=f"{REMOTE}/users/{username}/inbox",
        shared_inbox=f"{REMOTE}/inbox", key_id=f"{REMOTE}/users/{username}#main-key",
        public_key_pem="unused", actor_type=actor_type, fetched_at=timezone.now(),
    )


def _apply(payload: dict) -> InboundActivity:
    stored = InboundActivity.objects.create(
        activity_uri=payload["id"], actor_uri=payload["actor"], activity_type=payload["type"], payload=payload
    )
    inbound.apply(stored)
    stored.refresh_from_db()
    return stored


def test_flag_from_an_instance_actor_files_an_anonymous_report(alice):
    instance = _remote_actor("mastodon.example", actor_type="Application")
    post = publish_post(alice, "something reportable")
    applied = _apply({
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{REMOTE}/flags/1", "type": "Flag",
        "actor": instance.uri, "content": "Spam, <b>obviously</b>",
        "object": [uris.actor("alice"), uris.post("alice", post.id)],
    })
    assert applied.state == InboundState.DONE, applied.error
    report = Report.objects.get()
    assert report.target == alice
    assert report.reporter is None
    assert report.reporter_domain == "mastodon.example"
    assert list(report.posts.all()) == [post]
    assert "<b>" not in report.comment


def test_flag_about_nobody_here_is_dropped(alice):
    instance = _remote_actor("mastodon.example", actor_type="Application")
    applied = _apply({
        "id": f"{REMOTE}/flags/2", "type": "Flag", "actor": instance.uri,
        "object": [f"{REMOTE}/users/someone"],
    })
    assert applied.state == InboundState.DROPPED
    assert not Report.objects.exists()


def test_flag_cannot_attach_someone_elses_posts(alice, bob):
    reporter = _remote_actor("ann")
    bobs = publish_post(bob, "bob's post")
    _apply({
        "id": f"{REMOTE}/flags/3", "type": "Flag", "actor": reporter.uri,
        "object": [uris.actor("alice"), uris.post("bob", bobs.id)],
    })
    report = Report.objects.get()
    # Even a person's own Flag names only their server: staff here see "someone on mastodon.example".
    assert (report.reporter, report.reporter_domain) == (None, "mastodon.example")
    assert list(report.posts.all()) == []


def test_flag_reaches_the_queue_with_a_snapshot_and_staff_are_told(alice, bob):
    from kith.people.services import set_role
    from kith.social.services import add_comment
    from kith.timelines.models import Notification

    set_role(None, bob.account, "moderator")
    instance = _remote_actor("mastodon.example", actor_type="Application")
    post = publish_post(alice, "reported words")
    comment = add_comment(alice, post, "reported reply")
    _apply({
        "id": f"{REMOTE}/flags/4", "type": "Flag", "actor": instance.uri, "content": "bad",
        "object": [uris.actor("alice"), uris.post("alice", post.id), uris.comment("alice", comment.id)],
    })
    report = Report.objects.get()
    assert [c.id for c in report.comments.all()] == [comment.id]
    assert [shot["kind"] for shot in report.snapshot] == ["post", "comment"]
    assert "reported words" in report.snapshot[0]["html"]
    notice = Notification.objects.get(recipient=bob, kind="admin_report")
    assert notice.data == {"report_id": report.id}


def test_move_must_come_from_the_account_itself(alice):
    ann = _remote_actor("ann")
    applied = _apply({
        "id": f"{REMOTE}/users/ann#moves/1", "type": "Move", "actor": ann.uri,
        "object": f"{REMOTE}/users/someone_else", "target": f"{REMOTE}/users/ann2",
    })
    assert applied.state == InboundState.FAILED


def test_a_note_marked_sensitive_without_a_warning_stays_sensitive_both_ways(alice):
    import json
    from pathlib import Path

    from kith.federation.activitypub import render
    from kith.social.models import Post

    actor = _remote_actor("alice")
    note = json.loads(Path("tests/fixtures/remote/mastodon/note__public.json").read_text())
    note.update(sensitive=True, summary=None, attributedTo=actor.uri)
    assert _apply({"id": f"{note['id']}/activity", "type": "Create", "actor": actor.uri,
                   "object": note}).state == "done"
    assert Post.objects.get(author=actor.person).sensitive is True

    local = publish_post(alice, "photos from the clinic", sensitive=True)
    assert render.note(local)["sensitive"] is True


def test_posts_of_an_account_staff_marked_sensitive_go_out_sensitive(alice):
    """kith.visibility rule 16: Person.force_sensitive marks every post's media on the wire too."""
    from kith.federation.activitypub import render
    from kith.people.services import set_force_sensitive

    post = publish_post(alice, "holiday photos")
    assert render.note(post)["sensitive"] is False
    set_force_sensitive(None, alice, True)
    post.author.refresh_from_db()
    assert render.note(post)["sensitive"] is True


def test_a_stored_activity_whose_job_was_lost_is_applied_by_the_sweep(alice):
    """The row is the durable record (huey drops a job whose worker dies mid-task)."""
    actor = _remote_actor("lost")
    payload = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{REMOTE}/follows/lost", "type": "Follow",
               "actor": actor.uri, "object": uris.actor("alice")}
    stored = InboundActivity.objects.create(
        activity_uri=payload["id"], actor_uri=actor.uri, activity_type="Follow", payload=payload
    )
    young = InboundActivity.objects.create(
        activity_uri=f"{REMOTE}/follows/young", actor_uri=actor.uri, activity_type="Follow",
        payload={**payload, "id": f"{REMOTE}/follows/young"},
    )
    assert inbound.sweep_pending_inbound() == 0  # a young row's job is still on its way
    later = timezone.now() + inbound.SWEEP_AFTER + timedelta(seconds=1)
    InboundActivity.objects.filter(id=young.id).update(received_at=later)
    assert inbound.sweep_pending_inbound(now=later) == 1
    stored.refresh_from_db()
    assert stored.state == InboundState.DONE, stored.error
    assert Follow.objects.filter(follower=actor.person, followee=alice).exists()
    assert InboundActivity.objects.get(id=young.id).state == InboundState.PENDING


def test_the_sweep_gives_up_on_a_row_that_never_applies(alice, monkeypatch):
    actor = _remote_actor("poison")
    stored = InboundActivity.objects.create(
        activity_uri=f"{REMOTE}/poison", actor_uri=actor.uri, activity_type="Follow", payload={"id": f"{REMOTE}/poison"}
    )
    monkeypatch.setattr(inbound, "apply", lambda row: None)  # as if apply() crashed every time
    later = timezone.now() + inbound.SWEEP_AFTER + timedelta(seconds=1)
    swept = [inbound.sweep_pending_inbound(now=later) for _ in range(inbound.MAX_SWEEPS + 2)]
    assert swept == [1] * inbound.MAX_SWEEPS + [0, 0]
    stored.refresh_from_db()
    assert stored.state == InboundState.PENDING


def _public_note(actor: RemoteActor, number: int, published: str) -> dict:
    return {
        "id": f"{actor.uri}/statuses/{number}", "type": "Note", "attributedTo": actor.uri,
        "published": published, "content": f"<p>erin says {number}</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{actor.uri}/followers"],
    }


def test_a_post_applied_before_the_accept_still_reaches_the_new_follower(alice):
    """The Accept of a follow request and the followee's next post travel as separate deliveries:
    when the Accept comes second (its first delivery refused by a busy pod, or the two applied by
    concurrent worker threads) the post must still reach the follower's stream."""
    from kith.graph import services as graph
    from kith.graph.models import FollowState
    from kith.timelines.models import StreamEntry

    erin = _remote_actor("erin")
    before = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _apply({"id": f"{erin.uri}/1/activity", "type": "Create", "actor": erin.uri,
                   "object": _public_note(erin, 1, before)}).state == "done"
    follow = graph.follow(alice, erin.person)
    assert follow.state == FollowState.PENDING  # until erin's server answers
    # Sent after the request (its server's clock may be behind ours: arriving here is what counts).
    assert _apply({"id": f"{erin.uri}/2/activity", "type": "Create", "actor": erin.uri,
                   "object": _public_note(erin, 2, before)}).state == "done"
    stream = StreamEntry.objects.filter(owner=alice)
    assert not stream.exists()

    from kith.federation.activitypub.models import FollowActivity

    accept = {"id": f"{erin.uri}#accepts/1", "type": "Accept", "actor": erin.uri,
              "object": FollowActivity.objects.get(follow=follow).uri}
    assert _apply(accept).state == "done"

    assert Follow.objects.get(id=follow.id).state == FollowState.ACCEPTED
    # The post that came while the request waited is in her stream; the one from before it is not.
    assert [entry.post.source or entry.post.html for entry in stream] == ["<p>erin says 2</p>"]


def test_hashtags_and_mentions_of_a_remote_note_open_this_pods_pages(alice):
    """Rewritten once, on arrival: the tag page here, this pod's page for each person (a local
    one, a remote one known here, and one not known yet, by the handle the note gives)."""
    import json
    from pathlib import Path

    from kith.api import entities
    from kith.social import selectors
    from kith.social.models import Post

    actor = _remote_actor("mara")
    known = _remote_actor("zoe")
    note = json.loads(Path("tests/fixtures/remote/mastodon/note__public.json").read_text())
    note.update(attributedTo=actor.uri, id=f"{actor.uri}/statuses/1")
    note["tag"] = [
        {"type": "Hashtag", "href": f"{REMOTE}/tags/gardening", "name": "#Gardening"},
        {"type": "Mention", "href": uris.actor("alice"), "name": "@alice@testserver"},
        {"type": "Mention", "href": known.uri, "name": "@zoe@mastodon.example"},
        {"type": "Mention", "href": "https://elsewhere.example/users/ned", "name": "@ned@elsewhere.example"},
    ]
    note["content"] = (
        f'<p><a href="{REMOTE}/tags/Gardening" class="mention hashtag" rel="tag">#<span>Gardening</span></a> '
        '<span class="h-card"><a href="http://testserver/@alice" class="u-url mention">@<span>alice</span></a></span> '
        f'<span class="h-card"><a href="{REMOTE}/@zoe" class="u-url mention">@<span>zoe</span></a></span> '
        '<span class="h-card"><a href="https://elsewhere.example/@ned" class="u-url mention">@<span>ned</span></a></span> '
        '<a href="https://example.org/read">a link</a></p>'
    )
    assert _apply({"id": f"{note['id']}/activity", "type": "Create", "actor": actor.uri, "object": note}).state == "done"

    post = Post.objects.get(author=actor.person)
    assert 'href="http://testserver/tags/gardening" title="https://mastodon.example/tags/Gardening"' in post.html
    assert 'href="http://testserver/@alice" title="http://testserver/@alice"' in post.html
    assert 'href="http://testserver/@zoe@mastodon.example"' in post.html
    assert 'href="http://testserver/@ned@elsewhere.example"' in post.html
    assert '<a href="https://example.org/read" rel="nofollow noopener noreferrer">a link</a>' in post.html
    # A Mastodon client links a mention by the account's url: the same address.
    status = entities.status(alice, selectors.post_for(alice, post.id))
    for mention in status["mentions"]:
        assert f'href="{mention["url"]}"' in status["content"]
    assert {m["acct"] for m in status["mentions"]} == {"alice", "zoe@mastodon.example"}


# ---- likes and reshares undone, in whatever order they are applied ---------------------------
# Deliveries go out concurrently and inbound jobs run concurrently, so a Like or Announce, its
# Undo and a second Like or Announce (favourite, unfavourite, favourite again) may be applied
# in any order.  Found by the soak (bench/soak.py): the second Announce raised IntegrityError.


def _shared(actor: RemoteActor, post, n: int, kind: str = "Announce") -> dict:
    return {"id": f"{actor.uri}/statuses/{n}/activity", "type": kind, "actor": actor.uri,
            "object": uris.post("alice", post.id), "to": ["https://www.w3.org/ns/activitystreams#Public"]}


def _undo(actor: RemoteActor, inner: dict) -> dict:
    return {"id": f"{inner['id']}/undo", "type": "Undo", "actor": actor.uri, "object": inner}


@pytest.mark.parametrize("kind", ["Announce", "Like"])
def test_a_second_like_or_announce_applied_before_the_undo_of_the_first_stands(alice, kind):
    from kith.social.models import Like, Post

    ann = _remote_actor("ann")
    post = publish_post(alice, "share me")
    made = (Post.objects.filter(author=ann.person, reshare_of=post) if kind == "Announce"
            else Like.objects.filter(person=ann.person, post=post))
    first, second = _shared(ann, post, 1, kind), _shared(ann, post, 2, kind)
    assert _apply(first).state == InboundState.DONE
    assert _apply(second).state == InboundState.DONE
    assert _apply(_undo(ann, first)).state == InboundState.DROPPED  # taken back, then given again
    assert made.count() == 1
    post.refresh_from_db()
    assert (post.reshare_count if kind == "Announce" else post.like_count) == 1
    assert _apply(_undo(ann, second)).state == InboundState.DONE
    assert not made.exists()
    post.refresh_from_db()
    assert (post.reshare_count if kind == "Announce" else post.like_count) == 0


@pytest.mark.parametrize("kind", ["Announce", "Like"])
def test_an_undo_applied_before_its_like_or_announce_wins(alice, kind):
    from kith.social.models import Like, Post

    ann = _remote_actor("ann")
    post = publish_post(alice, "share me")
    given = _shared(ann, post, 3, kind)
    assert _apply(_undo(ann, given)).state == InboundState.DROPPED
    assert _apply(given).state == InboundState.DROPPED
    assert not Post.objects.filter(author=ann.person, reshare_of=post).exists()
    assert not Like.objects.filter(person=ann.person, post=post).exists()
    # Someone else's Undo leaves no mark on ann's.
    bea = _remote_actor("bea")
    other = _shared(ann, post, 4, kind)
    _apply({**_undo(bea, other), "id": f"{bea.uri}/undo/4"})
    assert _apply(other).state == InboundState.DONE


class _Killed(BaseException):
    """A process killed at that instant (not an error the handler could catch)."""


def test_a_kill_between_applying_and_recording_loses_both_so_the_replay_applies_it(alice, monkeypatch):
    """What an activity wrote and its row's outcome commit together: killed in between, the
    replay applies it ("done"), rather than finding the note stored and ending "dropped"."""
    from kith.social.models import Post

    erin = _remote_actor("erin")
    payload = {"id": f"{erin.uri}/9/activity", "type": "Create", "actor": erin.uri,
               "object": _public_note(erin, 9, "2026-12-07T10:00:00Z")}
    stored = InboundActivity.objects.create(
        activity_uri=payload["id"], actor_uri=payload["actor"], activity_type=payload["type"], payload=payload
    )
    real_record = inbound._record

    def killed(*args):
        raise _Killed

    monkeypatch.setattr(inbound, "_record", killed)
    with pytest.raises(_Killed):
        inbound.apply(stored)
    assert not Post.objects.filter(author=erin.person).exists()
    monkeypatch.setattr(inbound, "_record", real_record)
    inbound.apply(stored)
    stored.refresh_from_db()
    assert stored.state == InboundState.DONE
    assert Post.objects.filter(author=erin.person).count() == 1
