"""Domain events -> ActivityPub activities -> durable deliveries.

This is federation's consumer of the same events that timelines surface
locally.  Each handler renders the activity, works out the inboxes (one per
shared inbox for public things; each member's own inbox for limited ones) and
hands them to kith.federation.delivery, which owns retries.  The heavy part
runs in the worker: subscribers only enqueue a job.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from huey import crontab

from kith.core import events
from kith.core.durable import DurableRows
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.context import AS_PUBLIC
from kith.federation.activitypub.models import (
    FollowActivity,
    InboundActivity,
    PollUpdate,
    RemoteActor,
    RemoteObject,
)
from kith.federation.delivery import drop_deliveries, enqueue_deliveries
from kith.federation.models import Delivery
from kith.graph.models import Follow, FollowState
from kith.jobs import periodic, task
from kith.messaging.models import Message
from kith.people.models import Person
from kith.social.media import finish_processing
from kith.social.models import Comment, Like, Post, Visibility
from kith.visibility import delivered_to_followers

CONTENT_TYPE = "application/activity+json"


def _send(activity: dict, inboxes: Iterable[str], signer: Person | None, subject: str) -> None:
    targets = sorted(set(inboxes))
    if not targets:
        return
    enqueue_deliveries(
        protocol="activitypub",
        activity_uri=activity["id"],
        body=json.dumps(activity, separators=(",", ":"), ensure_ascii=False).encode(),
        content_type=CONTENT_TYPE,
        inboxes=targets,
        signer=signer,
        subject=subject,
    )


def _follower_inboxes(person: Person) -> set[str]:
    """One inbox per server for everyone following `person` (shared inboxes where offered)."""
    actors = RemoteActor.objects.filter(
        person__following_rel__followee=person, person__following_rel__state=FollowState.ACCEPTED
    ).only("inbox", "shared_inbox")
    return {actor.delivery_inbox for actor in actors}


def _personal_inboxes(persons: Iterable[Person]) -> set[str]:
    ids = [p.id for p in persons if not p.is_local]
    return set(RemoteActor.objects.filter(person_id__in=ids).values_list("inbox", flat=True))


def _shared_inboxes(persons: Iterable[Person]) -> set[str]:
    ids = [p.id for p in persons if not p.is_local]
    return {actor.delivery_inbox for actor in RemoteActor.objects.filter(person_id__in=ids)}


def _audience(post: Post) -> list[Person]:
    return [row.person for row in post.audience.select_related("person__ap_actor")]


def post_inboxes(post: Post) -> set[str]:
    """Where a post (and everything about it) goes: its audience, or its author's followers."""
    if delivered_to_followers(post):
        return _follower_inboxes(post.author) | _shared_inboxes(post.mentions.all())
    # Limited: each member's own inbox, so no server has to sort out who may see it.
    return _personal_inboxes(_audience(post))


def _previous_inboxes(subject: str) -> set[str]:
    return set(Delivery.objects.filter(subject=subject).values_list("inbox", flat=True).distinct())


def _load_post(post_id: int) -> Post | None:
    return (
        Post.objects.select_related("author", "reshare_of__author__ap_actor", "reshare_of__ap_object")
        .prefetch_related("media", "tags")
        .filter(id=post_id)
        .first()
    )


def _thread(post: Post) -> render.Thread | None:
    """A message's place in its conversation; None for any other post."""
    if post.visibility != Visibility.DIRECT:
        return None
    message = Message.objects.select_related("conversation__ap_context").filter(post_id=post.id).first()
    if message is None:
        return None
    conversation = message.conversation
    context = getattr(conversation, "ap_context", None)
    previous = (
        Message.objects.filter(conversation=conversation, post_id__lt=post.id)
        .select_related("post__author__ap_actor", "post__ap_object")
        .order_by("-post_id")
        .first()
    )
    return render.Thread(
        context=context.uri if context is not None else uris.conversation(conversation.id),
        in_reply_to=render.post_uri(previous.post) if previous is not None else None,
        subject=conversation.subject or None,
    )


# ---- posts -------------------------------------------------------------------------------------


@task()
def federate_post(post_id: int) -> None:
    # Photos are described by what processing finds (type, size, blurhash) and served only once
    # processed: a photo posted straight after its upload would otherwise go out unserved, and
    # the receiving server, finding nothing there, would give it up.
    finish_processing(post_id)
    post = _load_post(post_id)
    if post is None or not post.author.is_local:
        return
    if post.reshare_of_id:
        root = post.reshare_of
        activity = render.wrap(
            "Announce", post.author, render.post_uri(root),
            activity_id=uris.activity(uris.post(post.author.username, post.id), "announce"),
            to=[AS_PUBLIC], cc=[uris.followers(post.author.username), render.actor_uri(root.author)],
            published=render._iso(post.created_at),
        )
        _send(activity, _follower_inboxes(post.author) | _shared_inboxes([root.author]), post.author, f"post:{post.id}")
        return
    audience = _audience(post) if post.is_limited else None
    note = render.note(post, audience, _thread(post))
    activity = render.wrap(
        "Create", post.author, note, activity_id=uris.activity(note["id"], "create"),
        to=note["to"], cc=note["cc"], published=note["published"],
    )
    _send(activity, post_inboxes(post), post.author, f"post:{post.id}")


@task()
def federate_edit(post_id: int) -> None:
    finish_processing(post_id)  # photos added by the edit (see federate_post)
    post = _load_post(post_id)
    if post is None or not post.author.is_local or post.edited_at is None:
        return
    note = render.note(post, _audience(post) if post.is_limited else None, _thread(post))
    stamp = int(post.edited_at.timestamp())
    activity = render.wrap(
        "Update", post.author, note, activity_id=uris.activity(note["id"], "update", stamp),
        to=note["to"], cc=note["cc"],
    )
    _send(activity, post_inboxes(post) | _previous_inboxes(f"post:{post.id}"), post.author, f"post:{post.id}")


@task()
def federate_delete(post_id: int, author_id: int) -> None:
    author = Person.objects.filter(id=author_id).first()
    subject = f"post:{post_id}"
    if author is None or not author.is_local:
        return
    # Whatever had not gone out yet stays home; everyone who got it hears of the deletion.
    drop_deliveries(subject)
    object_uri = uris.post(author.username, post_id)
    announce_id = uris.activity(object_uri, "announce")
    if Delivery.objects.filter(subject=subject, activity_uri=announce_id).exists():
        # A reshare went out as an Announce, which other servers know by its own id: it is taken
        # back by an Undo naming it, as Mastodon does (a Delete of the post's id matched nothing).
        announce = {"id": announce_id, "type": "Announce", "actor": render.actor_uri(author)}
        undo = render.wrap("Undo", author, announce, activity_id=uris.activity(object_uri, "undo"), to=[AS_PUBLIC])
        _send(undo, _previous_inboxes(subject), author, f"delete:{subject}")
        return
    activity = render.wrap(
        "Delete", author, render.tombstone(object_uri, "Note") | {"@context": None},
        activity_id=uris.activity(object_uri, "delete"), to=[AS_PUBLIC],
    )
    activity["object"].pop("@context", None)
    _send(activity, _previous_inboxes(subject), author, f"delete:{subject}")


@events.subscribe(events.PostPublished, in_worker=True)
def _on_post(event: events.PostPublished) -> None:
    federate_post.call_local(event.post_id)


@events.subscribe(events.PostEdited, in_worker=True)
def _on_edit(event: events.PostEdited) -> None:
    federate_edit.call_local(event.post_id)


@events.subscribe(events.PostDeleted, in_worker=True)
def _on_delete(event: events.PostDeleted) -> None:
    federate_delete.call_local(event.post_id, event.author_id)


# ---- comments ----------------------------------------------------------------------------------


def comment_addressing(comment: Comment) -> dict[str, list[str]]:
    post = comment.post
    if post.is_limited:
        return render.addressing(post, _audience(post))
    return {"to": [AS_PUBLIC], "cc": [uris.followers(comment.author.username)]}


def _comment_inboxes(comment: Comment) -> set[str]:
    post = comment.post
    inboxes = _shared_inboxes([post.author]) if not post.author.is_local else set()
    if post.author.is_local or post.is_limited:
        inboxes |= post_inboxes(post)
    if not post.is_limited:
        inboxes |= _follower_inboxes(comment.author)
    return inboxes


@task()
def federate_comment(comment_id: int) -> None:
    comment = (
        Comment.objects.select_related("author", "post__author__ap_actor", "post__ap_object", "parent__author")
        .filter(id=comment_id)
        .first()
    )
    if comment is None:
        return
    if not comment.author.is_local:
        _forward_remote_comment(comment)
        return
    note = render.comment_note(comment, comment_addressing(comment))
    activity = render.wrap(
        "Create", comment.author, note, activity_id=uris.activity(note["id"], "create"),
        to=note["to"], cc=note["cc"], published=note["published"],
    )
    _send(activity, _comment_inboxes(comment), comment.author, f"comment:{comment.id}")


def _forward_remote_comment(comment: Comment) -> None:
    """A remote comment on a local public post travels on to the post's followers.

    The original activity is forwarded unchanged, signed by the post's author;
    receivers refetch the comment from its own server before believing it.
    Comments on limited posts need no forwarding: their authors' pods address
    every member of the audience directly.
    """
    post = comment.post
    if not post.author.is_local or post.is_limited:
        return
    origin = RemoteObject.objects.filter(comment=comment).first()
    inbound = InboundActivity.objects.filter(activity_uri=origin.activity_uri).first() if origin else None
    if inbound is None:
        return
    commenter_host = comment.author.domain
    inboxes = {inbox for inbox in post_inboxes(post) if commenter_host not in inbox}
    _send(inbound.payload, inboxes, post.author, f"comment:{comment.id}")


@events.subscribe(events.CommentCreated, in_worker=True)
def _on_comment(event: events.CommentCreated) -> None:
    federate_comment.call_local(event.comment_id)


@task()
def federate_comment_edit(comment_id: int) -> None:
    comment = (
        Comment.objects.select_related("author", "post__author__ap_actor", "post__ap_object", "parent__author")
        .filter(id=comment_id, author__domain="")
        .first()
    )
    if comment is None or comment.edited_at is None:
        return
    note = render.comment_note(comment, comment_addressing(comment))
    activity = render.wrap(
        "Update", comment.author, note, activity_id=uris.activity(note["id"], "update", int(comment.edited_at.timestamp())),
        to=note["to"], cc=note["cc"],
    )
    subject = f"comment:{comment.id}"
    _send(activity, _comment_inboxes(comment) | _previous_inboxes(subject), comment.author, subject)


@events.subscribe(events.CommentEdited, in_worker=True)
def _on_comment_edit(event: events.CommentEdited) -> None:
    federate_comment_edit.call_local(event.comment_id)


@task()
def federate_comment_delete(comment_id: int, post_id: int, author_id: int) -> None:
    author = Person.objects.filter(id=author_id).first()
    if author is None or not author.is_local:
        return
    subject = f"comment:{comment_id}"
    drop_deliveries(subject)
    object_uri = uris.comment(author.username, comment_id)
    tombstone = render.tombstone(object_uri, "Note")
    tombstone.pop("@context")
    activity = render.wrap("Delete", author, tombstone, activity_id=uris.activity(object_uri, "delete"), to=[AS_PUBLIC])
    _send(activity, _previous_inboxes(subject), author, f"delete:{subject}")


@events.subscribe(events.CommentDeleted, in_worker=True)
def _on_comment_delete(event: events.CommentDeleted) -> None:
    federate_comment_delete.call_local(event.comment_id, event.post_id, event.author_id)


# ---- likes ---------------------------------------------------------------------------------------


@task()
def federate_like(like_id: int) -> None:
    liked = Like.objects.select_related("person", "post__author", "comment__post__author", "comment__author").filter(id=like_id).first()
    if liked is None:
        return
    if not liked.person.is_local:
        _forward_remote_like(liked)
        return
    post = liked.post or liked.comment.post
    target = render.post_uri(liked.post) if liked.post else render.comment_uri(liked.comment)
    author = liked.post.author if liked.post else liked.comment.author
    activity = render.wrap(
        "Like", liked.person, target, activity_id=uris.like(liked.person.username, liked.id),
        to=[render.actor_uri(author)],
    )
    inboxes = _shared_inboxes([author, post.author]) | (post_inboxes(post) if post.is_limited or post.author.is_local else set())
    _send(activity, inboxes, liked.person, f"like:{liked.id}")


def _forward_remote_like(liked: Like) -> None:
    """A remote like of a local public post travels on to the post's followers, like replies do.

    Receivers refetch the Like from the liker's server before counting it.
    """
    post = liked.post or liked.comment.post
    if not post.author.is_local or post.is_limited:
        return
    origin = RemoteObject.objects.filter(like=liked).first()
    inbound = InboundActivity.objects.filter(activity_uri=origin.activity_uri).first() if origin else None
    if inbound is None:
        return
    inboxes = {inbox for inbox in post_inboxes(post) if liked.person.domain not in inbox}
    _send(inbound.payload, inboxes, post.author, f"like:{liked.id}")


@task()
def federate_unlike(like_id: int, person_id: int, post_id: int | None = None, comment_id: int | None = None) -> None:
    person = Person.objects.filter(id=person_id).first()
    if person is None or not person.is_local:
        return
    subject = f"like:{like_id}"
    drop_deliveries(subject)
    like_uri = uris.like(person.username, like_id)
    # The Like is embedded: it no longer exists to be fetched by its id.
    like: str | dict = like_uri
    post = Post.objects.select_related("author__ap_actor", "ap_object").filter(id=post_id).first() if post_id else None
    comment = (
        Comment.objects.select_related("author__ap_actor", "ap_object").filter(id=comment_id).first() if comment_id else None
    )
    if post is not None or comment is not None:
        target = render.post_uri(post) if post is not None else render.comment_uri(comment)
        like = {"id": like_uri, "type": "Like", "actor": render.actor_uri(person), "object": target}
    activity = render.wrap("Undo", person, like, activity_id=uris.activity(like_uri, "undo"))
    _send(activity, _previous_inboxes(subject), person, f"undo:{subject}")


@events.subscribe(events.LikeAdded, in_worker=True)
def _on_like(event: events.LikeAdded) -> None:
    federate_like.call_local(event.like_id)


@events.subscribe(events.LikeRemoved, in_worker=True)
def _on_unlike(event: events.LikeRemoved) -> None:
    federate_unlike.call_local(event.like_id, event.person_id, event.post_id, event.comment_id)


# ---- the graph -----------------------------------------------------------------------------------


def _follow_uri(follow: Follow) -> str:
    return f"{uris.actor(follow.follower.username)}/follows/{follow.id}"


@task()
def federate_follow(follow_id: int) -> None:
    follow = Follow.objects.select_related("follower", "followee__ap_actor").filter(id=follow_id).first()
    if follow is None:
        return
    if follow.follower.is_local and not follow.followee.is_local:
        activity_uri = _follow_uri(follow)
        FollowActivity.objects.update_or_create(follow=follow, defaults={"uri": activity_uri})
        activity = render.wrap(
            "Follow", follow.follower, render.actor_uri(follow.followee), activity_id=activity_uri
        )
        subject = f"follow:{follow.follower_id}:{follow.followee_id}"
        _send(activity, [follow.followee.ap_actor.inbox], follow.follower, subject)
    elif not follow.follower.is_local and follow.followee.is_local and follow.state == FollowState.ACCEPTED:
        _answer_follow(follow, "Accept")


def _answer_follow(follow: Follow, verdict: str, follower: Person | None = None, followee: Person | None = None) -> None:
    follower = follower or follow.follower
    followee = followee or follow.followee
    known = FollowActivity.objects.filter(follow=follow).first() if follow is not None else None
    follow_object = known.uri if known else {"type": "Follow", "actor": render.actor_uri(follower), "object": render.actor_uri(followee)}
    stamp = follow.id if follow is not None else follower.id
    activity = render.wrap(
        verdict, followee, follow_object,
        activity_id=f"{uris.actor(followee.username)}/{verdict.lower()}s/{stamp}",
    )
    _send(activity, [follower.ap_actor.inbox], followee, f"{verdict.lower()}:{follower.id}:{followee.id}")


@task()
def federate_follow_accepted(follow_id: int) -> None:
    follow = Follow.objects.select_related("follower__ap_actor", "followee").filter(id=follow_id).first()
    if follow is not None and not follow.follower.is_local and follow.followee.is_local:
        _answer_follow(follow, "Accept")


@task()
def federate_follow_rejected(follower_id: int, followee_id: int) -> None:
    people = {p.id: p for p in Person.objects.select_related("ap_actor").filter(id__in=[follower_id, followee_id])}
    follower, followee = people.get(follower_id), people.get(followee_id)
    if follower and followee and not follower.is_local and followee.is_local:
        _answer_follow(None, "Reject", follower=follower, followee=followee)


@task()
def federate_unfollow(follower_id: int, followee_id: int) -> None:
    people = {p.id: p for p in Person.objects.select_related("ap_actor").filter(id__in=[follower_id, followee_id])}
    follower, followee = people.get(follower_id), people.get(followee_id)
    if not (follower and followee and follower.is_local and not followee.is_local):
        return
    sent = Delivery.objects.filter(subject=f"follow:{follower_id}:{followee_id}").values_list("activity_uri", flat=True).first()
    # The Follow is embedded, not just named: Kith does not serve its Follow activities, and
    # receivers such as Fedify apps (undo.getObject()) must see what is undone (as Mastodon sends it).
    follow_object = {"type": "Follow", "actor": render.actor_uri(follower), "object": render.actor_uri(followee)}
    if sent:
        follow_object = {"id": sent, **follow_object}
    activity = render.wrap(
        "Undo", follower, follow_object,
        activity_id=f"{uris.actor(follower.username)}/unfollows/{followee.id}-{int(time.time())}",
    )
    _send(activity, [followee.ap_actor.inbox], follower, f"unfollow:{follower_id}:{followee_id}")


@task()
def federate_block(blocker_id: int, blocked_id: int, undo: bool = False) -> None:
    people = {p.id: p for p in Person.objects.select_related("ap_actor").filter(id__in=[blocker_id, blocked_id])}
    blocker, blocked = people.get(blocker_id), people.get(blocked_id)
    if not (blocker and blocked and blocker.is_local and not blocked.is_local):
        return
    block_uri = f"{uris.actor(blocker.username)}/blocks/{blocked.id}"
    block = render.wrap("Block", blocker, render.actor_uri(blocked), activity_id=block_uri)
    if undo:
        block.pop("@context")
        activity = render.wrap("Undo", blocker, block, activity_id=uris.activity(block_uri, "undo"))
    else:
        activity = block
    _send(activity, [blocked.ap_actor.inbox], blocker, f"block:{blocker_id}:{blocked_id}:{int(undo)}")


@events.subscribe(events.FollowRequested, in_worker=True)
def _on_follow(event: events.FollowRequested) -> None:
    federate_follow.call_local(event.follow_id)


@events.subscribe(events.FollowAccepted, in_worker=True)
def _on_follow_accepted(event: events.FollowAccepted) -> None:
    federate_follow_accepted.call_local(event.follow_id)


@events.subscribe(events.FollowRejected, in_worker=True)
def _on_follow_rejected(event: events.FollowRejected) -> None:
    federate_follow_rejected.call_local(event.follower_id, event.followee_id)


@events.subscribe(events.Unfollowed, in_worker=True)
def _on_unfollow(event: events.Unfollowed) -> None:
    federate_unfollow.call_local(event.follower_id, event.followee_id)


@events.subscribe(events.PersonBlocked, in_worker=True)
def _on_block(event: events.PersonBlocked) -> None:
    federate_block.call_local(event.blocker_id, event.blocked_id)


@events.subscribe(events.PersonUnblocked, in_worker=True)
def _on_unblock(event: events.PersonUnblocked) -> None:
    federate_block.call_local(event.blocker_id, event.blocked_id, undo=True)


# ---- profiles ----------------------------------------------------------------------------------


@task()
def federate_profile(person_id: int) -> None:
    person = Person.objects.filter(id=person_id, domain="").prefetch_related("profile_tags").first()
    if person is None or not person.is_active:
        return
    actor = render.actor(person)
    actor.pop("@context")
    stamp = int(person.updated_at.timestamp())
    activity = render.wrap(
        "Update", person, actor, activity_id=uris.activity(actor["id"], "update", stamp),
        to=[AS_PUBLIC], cc=[uris.followers(person.username)],
    )
    _send(activity, _follower_inboxes(person), person, f"profile:{person.id}")


@task()
def federate_person_deleted(person_id: int) -> None:
    person = Person.objects.filter(id=person_id, domain="").first()
    if person is None:
        return
    actor_id = uris.actor(person.username)
    inboxes = _follower_inboxes(person) | {
        actor.delivery_inbox for actor in RemoteActor.objects.filter(person__follower_rel__follower=person)
    } | set(Delivery.objects.filter(signer=person).values_list("inbox", flat=True).distinct()[:5000])
    activity = render.wrap("Delete", person, actor_id, activity_id=uris.activity(actor_id, "delete"), to=[AS_PUBLIC])
    _send(activity, inboxes, person, f"delete:person:{person.id}")


@task()
def federate_move(person_id: int, target_id: int) -> None:
    """Account migration: the old account's followers hear of the new one (Mastodon's Move)."""
    people = {p.id: p for p in Person.objects.select_related("ap_actor").filter(id__in=[person_id, target_id])}
    person, target = people.get(person_id), people.get(target_id)
    if not (person and target and person.is_local):
        return
    old_uri = render.actor_uri(person)
    activity = render.wrap(
        "Move", person, old_uri, activity_id=f"{old_uri}/moves/{target.id}",
        target=render.actor_uri(target), to=[uris.followers(person.username)],
    )
    _send(activity, _follower_inboxes(person), person, f"move:{person.id}")


@events.subscribe(events.AccountMoved, in_worker=True)
def _on_move(event: events.AccountMoved) -> None:
    federate_move.call_local(event.person_id, event.target_id)


@events.subscribe(events.ProfileUpdated, in_worker=True)
def _on_profile(event: events.ProfileUpdated) -> None:
    federate_profile.call_local(event.person_id)


@events.subscribe(events.PersonDeleted, in_worker=True)
def _on_person_deleted(event: events.PersonDeleted) -> None:
    federate_person_deleted.call_local(event.person_id)


# ---- reports -------------------------------------------------------------------------------


@task()
def federate_report(report_id: int) -> None:
    """A report about someone of another server, sent to it as Mastodon does: a Flag from the
    instance actor, so the reporter stays anonymous; the comment goes along, the posts by URI."""
    from kith.moderation.models import Report

    report = Report.objects.select_related("target__ap_actor").filter(id=report_id).first()
    if report is None or report.target.is_local or not hasattr(report.target, "ap_actor"):
        return
    target = report.target
    posts = report.posts.select_related("ap_object").filter(author=target, ap_object__isnull=False)
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{uris.instance_actor()}/flags/{report.id}",
        "type": "Flag",
        "actor": uris.instance_actor(),
        "object": [render.actor_uri(target), *(render.post_uri(post) for post in posts)],
        "content": report.comment,
    }
    _send(activity, [target.ap_actor.inbox], None, f"report:{report.id}")


@events.subscribe(events.ReportForwarded, in_worker=True)
def _on_report_forwarded(event: events.ReportForwarded) -> None:
    federate_report.call_local(event.report_id)


# ---- polls ----------------------------------------------------------------------------------


@task()
def federate_votes(vote_ids: tuple[int, ...]) -> None:
    """A local person's votes in a remote poll: one Note per option, sent to the poll's author."""
    from kith.social.models import PollVote

    votes = PollVote.objects.select_related("person", "option", "poll__post__author__ap_actor", "poll__post__ap_object").filter(id__in=vote_ids)
    for vote in votes:
        post = vote.poll.post
        if not vote.person.is_local or post.author.is_local:
            continue
        voter = vote.person
        note_id = f"{uris.actor(voter.username)}/votes/{vote.id}"
        note = {
            "id": note_id, "type": "Note", "attributedTo": render.actor_uri(voter), "name": vote.option.title,
            "inReplyTo": render.post_uri(post), "to": [render.actor_uri(post.author)], "cc": [],
        }
        activity = render.wrap("Create", voter, note, activity_id=uris.activity(note_id, "create"), to=note["to"])
        _send(activity, [post.author.ap_actor.inbox], voter, f"vote:{vote.id}")


# A local poll's counts travel as an Update of the Question (as Mastodon sends them), debounced:
# the first change waits POLL_UPDATE_DELAY so a burst of votes makes one Update, and a poll
# sends at most one Update per POLL_UPDATE_INTERVAL.  The pending Update is a PollUpdate row
# (written when the vote's event is handled), so a lost job or a restart loses nothing: the
# minute sweep sends whatever is due.
POLL_UPDATE_DELAY = timedelta(seconds=5)
POLL_UPDATE_INTERVAL = timedelta(seconds=60)
POLL_UPDATE_SWEEP_BATCH = 500
# A pending Update is claimed by clearing `due_at` in the transaction that hands it to delivery.
POLL_UPDATES = DurableRows(PollUpdate, key_field="post_id", lease_field=None, attempts_field=None)


def poll_counts_changed(post_id: int, *, now: datetime | None = None) -> datetime | None:
    """Note that a local poll's counts changed.  Returns when its Update is due, or None when one
    is pending already (it will carry this change too, since it renders the counts when sent)."""
    now = now or timezone.now()
    PollUpdate.objects.get_or_create(post_id=post_id)
    with transaction.atomic():
        row = PollUpdate.objects.select_for_update().get(post_id=post_id)
        if row.due_at is not None:
            return None
        due = now + POLL_UPDATE_DELAY
        if row.sent_at is not None:
            due = max(due, row.sent_at + POLL_UPDATE_INTERVAL)
        row.due_at = due
        row.save(update_fields=["due_at"])
    return due


def send_poll_update(post_id: int, *, now: datetime | None = None) -> bool:
    """Send the pending Update(Question) of a local poll if it is due; True if one went out."""
    now = now or timezone.now()
    with transaction.atomic():
        if not POLL_UPDATES.take_due(post_id, now=now):
            return False  # sent already by another job or the sweep, or not yet due
        row = PollUpdate.objects.get(post_id=post_id)
        post = _load_post(post_id)
        if post is None or not post.author.is_local or not hasattr(post, "poll") or post.reshare_of_id:
            row.delete()
            return False
        note = render.note(post, _audience(post) if post.is_limited else None)
        number = row.sent_count + 1
        activity = render.wrap(
            "Update", post.author, note, activity_id=f"{note['id']}/activity/update/poll/{number}",
            to=note["to"], cc=note["cc"],
        )
        subject = f"post:{post.id}"  # deleting the post drops a pending Update with the rest
        inboxes = post_inboxes(post) | _previous_inboxes(subject)
        if not post.is_limited:
            # Remote voters who do not follow the author hear of the result too (Mastodon does so).
            voters = Person.objects.filter(poll_votes__poll_id=post.id, domain__gt="").distinct()
            inboxes |= _shared_inboxes(voters)
        _send(activity, inboxes, post.author, subject)
        row.sent_at, row.sent_count = now, number
        row.save(update_fields=["sent_at", "sent_count"])
    return True


@task()
def federate_poll_counts(post_id: int) -> None:
    send_poll_update(post_id)


def send_due_poll_updates(*, now: datetime | None = None) -> int:
    """Send every pending poll Update that is due (the jobs' safety net); returns how many went."""
    now = now or timezone.now()
    due = POLL_UPDATES.sweep(POLL_UPDATES.due(now), order_by="due_at", limit=POLL_UPDATE_SWEEP_BATCH)
    return sum(send_poll_update(post_id, now=now) for post_id in due)


@periodic(crontab(minute="*"))
def send_due_poll_updates_job() -> None:
    send_due_poll_updates()


def _local_poll_of(vote_ids: tuple[int, ...]) -> int | None:
    from kith.social.models import PollVote

    return (
        PollVote.objects.filter(id__in=vote_ids, poll__post__author__domain="")
        .values_list("poll_id", flat=True)
        .first()
    )


@events.subscribe(events.PollVoted, in_worker=True)
def _on_vote(event: events.PollVoted) -> None:
    federate_votes.call_local(event.vote_ids)
    post_id = _local_poll_of(event.vote_ids)
    if post_id is not None:
        due = poll_counts_changed(post_id)
        if due is not None:
            federate_poll_counts.schedule(args=(post_id,), delay=max(1.0, (due - timezone.now()).total_seconds()))
