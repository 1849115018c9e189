"""Composing, reading and acting on posts and comments."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kith.core.errors import DomainError, NotAllowed
from kith.graph.selectors import aspects_with_members
from kith.messaging import selectors as conversation_selectors
from kith.people.models import Person
from kith.social import drafts, selectors, services
from kith.social.media import upload_media
from kith.social.models import Comment, Media, Post, Visibility
from kith.timelines.models import FilterContext
from kith.timelines.reading import ReaderFilters
from kith.visibility import can_reshare
from kith.web import audience
from kith.web.forms import CommentForm, ComposeForm, EditCommentForm, EditPostForm, VoteForm
from kith.web.helpers import (
    back,
    domain_errors,
    fragment,
    is_htmx,
    me,
    member,
    member_person,
    parse_id,
    render_form,
    safe_next,
    submitted,
)


def compose_form(person: Person, data=None, files=None) -> ComposeForm:
    # Aspects come with their members: the audience labels name who is in each.
    aspects = aspects_with_members(person)
    return ComposeForm(data, files, author=person, aspects=aspects, initial={"audience": ["all_aspects"]})


def pending_media(person: Person, media_ids: list[int]) -> list[Media]:
    """The person's uploaded, not yet posted photos among `media_ids`, in that order."""
    found = {m.id: m for m in Media.objects.filter(id__in=media_ids, owner=person, post__isnull=True)}
    return [found[media_id] for media_id in media_ids if media_id in found]


@member
def new(request: HttpRequest) -> HttpResponse:
    return render(request, "web/compose.html", {"form": compose_form(member_person(request))})


@member
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """Publish, or with `preview` show first who will see the post.

    Photos are uploaded as soon as they arrive; a preview (or an error) sends
    their ids back in the page so they are not lost.  From the stream's compose
    box (htmx) the answer is the box again, with the new post for the top of the list.
    """
    person = member_person(request)
    form = compose_form(person, request.POST, request.FILES)
    media_ids = form.kept_media_ids
    template = "web/_compose.html" if is_htmx(request) else "web/compose.html"
    context: dict[str, Any] = {"inline": is_htmx(request)}
    if not form.is_valid():
        return render_form(request, template, {**context, "photos": pending_media(person, media_ids)}, form=form)
    try:
        for photo, alt in form.new_photos():
            media_ids.append(upload_media(person, photo, alt).id)
        if "preview" in request.POST:
            context |= {"preview": audience.preview(form), "photos": pending_media(person, media_ids)}
            return render_form(request, template, context, form=form)
        post = drafts.submit(person, form.compose(media_ids))
    except DomainError as exc:
        return render_form(request, template, {**context, "photos": pending_media(person, media_ids)}, form=form, error=exc)
    if is_htmx(request):
        context |= {
            "form": compose_form(person), "published": selectors.post_for(person, post.id), "next_url": reverse("web:stream"),
        }
        return fragment(request, "web/_compose.html", context)
    return redirect("web:post", post.id)


@member
@require_POST
def audience_preview(request: HttpRequest) -> HttpResponse:
    """Who the compose box's current choice reaches, named (htmx asks on every change; nothing is uploaded)."""
    form = compose_form(member_person(request), request.POST)
    shown = None
    if form.is_valid():
        try:
            shown = audience.preview(form)
        except DomainError as exc:  # someone chosen who can no longer be written to: publishing would refuse too
            form.add_error(None, str(exc))
    context = {"preview": shown, "form": form}
    return fragment(request, "web/_audience_preview.html", context)


def thread(comments: list[Comment]) -> list[Comment]:
    """Top-level comments, each with `.children` (replies in order); replies whose parent is hidden go top level."""
    shown = {comment.id for comment in comments}
    children: dict[int | None, list[Comment]] = defaultdict(list)
    for comment in comments:
        children[comment.parent_id if comment.parent_id in shown else None].append(comment)
    for comment in comments:
        comment.children = children.get(comment.id, [])
    return children[None]


def render_post(request: HttpRequest, post: Post, comment_form: CommentForm | None = None, status: int = 200):
    """The post page; a comment or reply that was refused comes back in its own box, with its text and error."""
    viewer = me(request)
    # The reader's own filters for threads (kith.timelines.reading), as the API's context endpoint.
    comments = ReaderFilters(viewer, FilterContext.THREAD).apply_to_comments(selectors.comments_for(viewer, post))
    context = {
        "post": post,
        "thread": thread(comments),
        "likers": selectors.likers(viewer, post, limit=10),
        "can_reshare": can_reshare(viewer, post),
        "revisions": list(post.revisions.all()) if post.edited_at else [],
        "comment_form": comment_form or CommentForm(),
    }
    reply_to = parse_id(comment_form.data.get("parent", "")) if comment_form is not None and comment_form.is_bound else None
    if reply_to is not None and reply_to in {comment.id for comment in comments}:
        context |= {"reply_form": comment_form, "reply_to": reply_to, "comment_form": CommentForm()}
    elif reply_to is not None and comment_form is not None:
        # The comment answered is gone: the text comes back in the main box, as a new comment.
        kept = CommentForm({"text": comment_form.data.get("text", "")})
        kept.is_valid()
        for error in comment_form.non_field_errors():
            kept.add_error(None, error)
        context["comment_form"] = kept
    return render(request, "web/post.html", context, status=status)


@domain_errors
def detail(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = me(request)
    post = selectors.post_for(viewer, post_id)
    if post.reshare_of_id:
        return redirect("web:post", post.reshare_of_id)
    if post.visibility == Visibility.DIRECT and viewer is not None:
        # A message: it is read in its conversation (a post_for check passed: the viewer is in it).
        conversation = conversation_selectors.conversation_of_post(viewer, post.id)
        if conversation is not None:
            return redirect(f"{reverse('web:conversation', args=[conversation.id])}#message-{post.id}")
    return render_post(request, post)


@member
def edit(request: HttpRequest, post_id: int) -> HttpResponse:
    person = member_person(request)
    post = selectors.post_for(person, post_id)
    if post.author_id != person.id or post.reshare_of_id:
        return redirect("web:post", post.id)
    form = EditPostForm(submitted(request), initial={"text": post.source, "content_warning": post.content_warning})
    if form.is_bound and form.is_valid():
        try:
            services.edit_post(person, post, form.cleaned_data["text"], content_warning=form.cleaned_data["content_warning"])
        except DomainError as exc:
            return render_form(request, "web/post_edit.html", {"post": post}, form=form, error=exc)
        return redirect("web:post", post.id)
    return render_form(request, "web/post_edit.html", {"post": post}, form=form)


@member
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, post_id: int) -> HttpResponse:
    """GET asks first (a page; kith.js shows it as a dialog), POST deletes and says so on the next page."""
    person = member_person(request)
    post = selectors.post_for(person, post_id)
    if post.author_id != person.id:
        raise NotAllowed(_("Only the author can delete a post."))
    own_page = reverse("web:post", args=[post.id])
    if request.method == "GET":
        next_url = safe_next(request, request.GET.get("next", ""))
        context = {"post": post, "next_url": next_url, "cancel_url": next_url or own_page}
        return render(request, "web/post_delete.html", context)
    services.delete_post(person, post)
    messages.success(request, _("Your post has been deleted."))
    target = safe_next(request, request.POST.get("next", ""))
    if not target or target.split("#", 1)[0].split("?", 1)[0] == own_page:
        return redirect("web:stream")
    return redirect(target)


POST_ACTIONS = {
    "like": lambda person, post: services.like(person, post=post),
    "unlike": lambda person, post: services.unlike(person, post=post),
    "reshare": services.reshare,
    "unreshare": services.undo_reshare,
}


@member
@require_POST
def act(request: HttpRequest, post_id: int, action: str) -> HttpResponse:
    """Like, unlike, reshare or undo a reshare, then go back where the button was (htmx: new buttons in place)."""
    person = member_person(request)
    post = selectors.post_for(person, post_id)
    POST_ACTIONS[action](person, post)
    if is_htmx(request):
        shown = selectors.post_for(person, post.reshare_of_id or post.id)
        context = {
            "shown": shown,
            "item_id": parse_id(request.POST.get("item", "")) or shown.id,
            "next_url": request.POST.get("next", "").split("#", 1)[0] or reverse("web:post", args=[shown.id]),
        }
        return fragment(request, "web/_post_actions.html", context)
    return back(request, reverse("web:post", args=[post.reshare_of_id or post.id]))


@member
@require_POST
def vote(request: HttpRequest, post_id: int) -> HttpResponse:
    person = member_person(request)
    post = selectors.post_for(person, post_id)
    if getattr(post, "poll", None) is None:
        return redirect("web:post", post.id)
    form = VoteForm(request.POST, options=list(post.poll.options.all()))
    error, status = "", 200
    if not form.is_valid():
        error, status = _("Choose an answer to vote."), 400
    else:
        try:
            services.vote(person, post, form.cleaned_data["option"])
        except DomainError as exc:  # ended, own poll, voted already: said in place
            error, status = str(exc), exc.status
    if is_htmx(request):
        post = selectors.post_for(person, post.id)
        context = {"post": post, "poll": post.poll, "vote_error": error, "next_url": request.POST.get("next", "")}
        return fragment(request, "web/_poll.html", context, status=status)
    if error:
        messages.error(request, error)
    return back(request, reverse("web:post", args=[post.id]))


@domain_errors
def likers(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = me(request)
    post = selectors.post_for(viewer, post_id)
    return render(request, "web/likers.html", {"post": post, "people": selectors.likers(viewer, post, limit=200)})


# ---- comments -------------------------------------------------------------------


@member
@require_POST
def comment(request: HttpRequest, post_id: int) -> HttpResponse:
    person = member_person(request)
    post = selectors.post_for(person, post_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render_post(request, post, form, status=400)
    parent_id = form.cleaned_data["parent"]
    try:
        parent = selectors.comment_for(person, parent_id) if parent_id else None
        created = services.add_comment(person, post, form.cleaned_data["text"], parent=parent)
    except DomainError as exc:
        form.add_error(None, str(exc))
        return render_post(request, post, form, status=exc.status)
    return redirect(reverse("web:post", args=[created.post_id]) + f"#comment-{created.id}")


@member
def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    person = member_person(request)
    target = selectors.comment_for(person, comment_id)
    if target.author_id != person.id:
        return redirect("web:post", target.post_id)
    form = EditCommentForm(submitted(request), initial={"text": target.source})
    if form.is_bound and form.is_valid():
        try:
            services.edit_comment(person, target, form.cleaned_data["text"])
        except DomainError as exc:
            return render_form(request, "web/comment_edit.html", {"comment": target}, form=form, error=exc)
        return redirect(reverse("web:post", args=[target.post_id]) + f"#comment-{target.id}")
    return render_form(request, "web/comment_edit.html", {"comment": target}, form=form)


COMMENT_ACTIONS = {
    "like": lambda person, comment: services.like(person, comment=comment),
    "unlike": lambda person, comment: services.unlike(person, comment=comment),
    "delete": services.delete_comment,
}


@member
@require_POST
def comment_act(request: HttpRequest, comment_id: int, action: str) -> HttpResponse:
    person = member_person(request)
    target = selectors.comment_for(person, comment_id)
    COMMENT_ACTIONS[action](person, target)
    anchor = "#comments" if action == "delete" else f"#comment-{target.id}"
    return redirect(reverse("web:post", args=[target.post_id]) + anchor)
