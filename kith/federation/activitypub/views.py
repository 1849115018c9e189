"""ActivityPub endpoints: thin handlers over render.py and the domain selectors."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from kith.core.errors import NotFound
from kith.federation.activitypub import render, uris
from kith.federation.activitypub.outbound import comment_addressing
from kith.federation.activitypub.outbound.suspension import restored_like_id
from kith.federation.keys import instance_key
from kith.graph.models import Follow, FollowState
from kith.people.models import AccountState, Person
from kith.social.models import Comment, Like, Post
from kith.social.selectors import post_for
from kith.visibility import can_see_comment, can_see_post, publicly_listed_posts, visible_posts

ACTIVITY_JSON = "application/activity+json; charset=utf-8"


def activity_response(document: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(json.dumps(document), content_type=ACTIVITY_JSON, status=status)
    response["Vary"] = "Accept"
    return response


@require_GET
def actor(request: HttpRequest, username: str) -> HttpResponse:
    person = Person.objects.filter(username__iexact=username, domain="").prefetch_related("profile_tags").first()
    if person is None:
        return activity_response({"error": "no such actor"}, status=404)
    if person.state == AccountState.DELETED:
        return activity_response(render.tombstone(uris.actor(person.username)), status=410)
    if person.state != AccountState.ACTIVE:
        # Suspended: gone for others until a moderator lifts it.
        return activity_response({"error": "this actor is suspended"}, status=410)
    return activity_response(render.actor(person))


@require_GET
def instance_actor(request: HttpRequest) -> HttpResponse:
    return activity_response(render.instance_actor(instance_key().public_key_pem))


# ---- objects and collections ---------------------------------------------------------------------

PAGE_SIZE = 20


def _signed_viewer(request: HttpRequest) -> Person | None:
    """The remote person a signed GET speaks for, if any (authorized fetch); None when unsigned."""
    if "signature" not in {name.lower() for name in request.headers}:
        return None
    # Imported here: the inbox module pulls in the whole inbound machinery.
    from kith.federation.activitypub.inbox import verify_signature

    try:
        return verify_signature(request, b"").person
    except Exception:  # any failure means "not authenticated", never a 500
        return None


def _local_person_or_404(username: str) -> Person | None:
    return Person.objects.filter(username__iexact=username, domain="", state=AccountState.ACTIVE).first()


GONE = {"error": "gone"}


def _gone(username: str) -> bool:
    """The local person `username` is suspended or deleted: everything under their actor id
    (outbox, followers, following, posts, comments, likes) answers 410 Gone, as the actor
    does, and shows nothing (Mastodon answers so for accounts that are unavailable)."""
    return Person.objects.filter(username__iexact=username, domain="").exclude(state=AccountState.ACTIVE).exists()


def _absent(username: str) -> HttpResponse:
    if _gone(username):
        return activity_response(GONE, status=410)
    return activity_response({"error": "not found"}, status=404)


@require_GET
def post_object(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    """A post as a Note.  Limited posts only for a signed fetch by someone in the audience."""
    viewer = _signed_viewer(request)
    try:
        post = post_for(viewer, post_id)
    except NotFound:
        return _absent(username)
    if post.author.username.lower() != username.lower() or not post.author.is_local or post.reshare_of_id:
        return activity_response({"error": "not found"}, status=404)
    return activity_response(render.note(post))


@require_GET
def outbox(request: HttpRequest, username: str) -> HttpResponse:
    """Public posts only, newest first, as Create activities (limited posts never appear here)."""
    person = _local_person_or_404(username)
    if person is None:
        return _absent(username)
    base = uris.outbox(person.username)
    public = visible_posts(None, publicly_listed_posts(Post.objects.filter(author=person)))
    if "page" not in request.GET:
        return activity_response({
            "@context": "https://www.w3.org/ns/activitystreams", "id": base, "type": "OrderedCollection",
            "totalItems": public.count(), "first": f"{base}?page=true", "last": f"{base}?page=true&min_id=0",
        })
    max_id = request.GET.get("max_id", "")
    if max_id.isdigit():
        public = public.filter(id__lt=int(max_id))
    posts = list(public.select_related("author").prefetch_related("media", "tags").order_by("-id")[:PAGE_SIZE])
    items = []
    for post in posts:
        note = render.note(post)
        note.pop("@context")
        items.append({"id": uris.activity(note["id"], "create"), "type": "Create", "actor": note["attributedTo"],
                      "published": note["published"], "to": note["to"], "cc": note["cc"], "object": note})
    page = {
        "@context": "https://www.w3.org/ns/activitystreams", "id": request.build_absolute_uri(),
        "type": "OrderedCollectionPage", "partOf": base, "orderedItems": items,
    }
    if len(posts) == PAGE_SIZE:
        page["next"] = f"{base}?page=true&max_id={posts[-1].id}"
    return activity_response(page)


def _people_collection(request: HttpRequest, username: str, which: str) -> HttpResponse:
    """Followers/following: counts for everyone; the list only of people who are public about it."""
    person = _local_person_or_404(username)
    if person is None:
        return _absent(username)
    base = uris.followers(person.username) if which == "followers" else uris.following(person.username)
    relations = Follow.objects.filter(state=FollowState.ACCEPTED)
    relations = relations.filter(followee=person) if which == "followers" else relations.filter(follower=person)
    total = relations.count()
    if "page" not in request.GET:
        return activity_response({
            "@context": "https://www.w3.org/ns/activitystreams", "id": base, "type": "OrderedCollection",
            "totalItems": total, "first": f"{base}?page=1",
        })
    # Who follows whom is private in a privacy-first network: the pages list only
    # people who chose to be findable (searchable), like Mastodon's "hide network".
    field = "follower" if which == "followers" else "followee"
    shown = relations.filter(**{f"{field}__searchable": True, f"{field}__state": AccountState.ACTIVE})
    page_number = int(request.GET["page"]) if request.GET["page"].isdigit() else 1
    rows = shown.select_related(f"{field}__ap_actor").order_by("-id")[(page_number - 1) * PAGE_SIZE : page_number * PAGE_SIZE]
    items = [render.actor_uri(getattr(row, field)) for row in rows]
    page = {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{base}?page={page_number}",
        "type": "OrderedCollectionPage", "partOf": base, "totalItems": total, "orderedItems": items,
    }
    if len(items) == PAGE_SIZE:
        page["next"] = f"{base}?page={page_number + 1}"
    return activity_response(page)


@require_GET
def followers(request: HttpRequest, username: str) -> HttpResponse:
    return _people_collection(request, username, "followers")


@require_GET
def following(request: HttpRequest, username: str) -> HttpResponse:
    return _people_collection(request, username, "following")


@require_GET
def comment_object(request: HttpRequest, username: str, comment_id: int) -> HttpResponse:
    """A comment as a Note, for servers that refetch forwarded replies (through visibility, like posts)."""
    comment = (
        Comment.objects.select_related("author", "post__author", "parent__author")
        .filter(id=comment_id, author__username__iexact=username, author__domain="")
        .first()
    )
    if comment is None or not can_see_comment(_signed_viewer(request), comment):
        return _absent(username)
    return activity_response(render.comment_note(comment, comment_addressing(comment)))


@require_GET
def like_object(request: HttpRequest, username: str, like_id: int) -> HttpResponse:
    """A local person's Like, so servers given a forwarded copy can check it (same visibility as its target)."""
    liked = Like.objects.select_related("person", "post__author", "comment__author", "comment__post__author").filter(
        id=like_id, person__username__iexact=username, person__domain=""
    ).first()
    if liked is None or not liked.person.is_active:
        return _absent(username)
    viewer = _signed_viewer(request)
    visible = (
        can_see_post(viewer, liked.post) if liked.post
        else liked.comment is not None and can_see_comment(viewer, liked.comment)
    )
    if not visible:
        return activity_response({"error": "not found"}, status=404)
    target = render.post_uri(liked.post) if liked.post else render.comment_uri(liked.comment)
    activity_id = uris.like(liked.person.username, liked.id)
    restored = request.GET.get("restored", "")
    if restored.isascii() and restored.isdigit() and len(restored) <= 16:
        # The same Like sent again after a suspension was lifted, under its own id (outbound.suspension).
        activity_id = restored_like_id(liked.person.username, liked.id, int(restored))
    return activity_response(render.wrap("Like", liked.person, target, activity_id=activity_id))
