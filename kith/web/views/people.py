"""Profiles (local and remote) and what one person can do about another."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kith.core.errors import DomainError
from kith.graph import selectors as graph_selectors
from kith.graph import services as graph
from kith.moderation import selectors as moderation
from kith.moderation.services import file_report
from kith.people.models import Person
from kith.social import selectors
from kith.social.lookup import find_person
from kith.social.models import Post
from kith.timelines.models import FilterContext
from kith.timelines.reading import ReaderFilters
from kith.visibility import Viewer, can_see_private_profile
from kith.web.forms import AspectMembershipForm, ReportForm
from kith.web.helpers import (
    back,
    domain_errors,
    fragment,
    is_htmx,
    list_page,
    me,
    member,
    member_person,
    next_max_id,
    page_from,
    parse_id,
    render_form,
    safe_next,
    submitted,
)
from kith.web.templatetags.kith_web import profile_path


def person_or_404(handle: str, viewer: Viewer) -> Person:
    person = find_person(handle, viewer)
    if person is None:
        raise Http404("No such person.")
    return person


@domain_errors
def profile(request: HttpRequest, handle: str) -> HttpResponse:
    viewer = me(request)
    person = person_or_404(handle, viewer)
    posts = selectors.person_posts(viewer, person, page_from(request))
    context = {
        "person": person,
        "posts": ReaderFilters(viewer, FilterContext.ACCOUNT).apply_to_posts(posts),
        "next_max_id": next_max_id(posts),  # what was read, hidden posts included
        "profile_tags": list(person.profile_tags.all()),
        "show_private": can_see_private_profile(viewer, person),
    }
    if viewer is not None and viewer.id != person.id:
        context |= relationship_context(viewer, person)
    return list_page(request, "web/profile.html", context)


def relationship_context(viewer: Person, person: Person) -> dict:
    """What the profile's relationship box shows: how the two relate, and the viewer's aspects as a menu."""
    relationship = graph_selectors.relationship(viewer, person)
    form = AspectMembershipForm(aspects=list(graph_selectors.aspects_of(viewer)), initial={"aspects": relationship.aspect_ids})
    return {"person": person, "relationship": relationship, "membership_form": form}


def relationship_changed(request: HttpRequest, viewer: Person, person: Person) -> HttpResponse:
    """After an action on the profile: htmx gets the relationship box anew, a plain form goes back."""
    if is_htmx(request):
        return fragment(request, "web/_relationship.html", relationship_context(viewer, person))
    return back(request, profile_path(person))


# Each is called as action(viewer, person).
ACTIONS: dict[str, Callable[[Person, Person], object]] = {
    "follow": graph.follow,
    "unfollow": graph.unfollow,
    "block": graph.block,
    "unblock": graph.unblock,
    "mute": graph.mute,
    "unmute": graph.unmute,
    "accept": graph.accept_follow_request,
    "reject": graph.reject_follow_request,
    "remove_follower": graph.remove_follower,
}


# Asked first: GET shows what it will do (a page; kith.js shows it as a dialog), POST does it.
CONFIRMED_ACTIONS = {"block"}
# Said afterwards on the next page (a plain form; htmx swaps the relationship box, which says it).
DONE_MESSAGES = {
    "block": gettext_lazy("You have blocked %(name)s: you no longer see each other's posts, and neither of you follows the other."),
    "unblock": gettext_lazy("You have unblocked %(name)s."),
}


@member
@require_http_methods(["GET", "POST"])
def relate(request: HttpRequest, handle: str, action: str) -> HttpResponse:
    viewer = member_person(request)
    person = person_or_404(handle, viewer)
    if request.method == "GET":
        if action not in CONFIRMED_ACTIONS:
            return HttpResponseNotAllowed(["POST"])
        next_url = safe_next(request, request.GET.get("next", ""))
        context = {"person": person, "next_url": next_url, "cancel_url": next_url or profile_path(person)}
        return render(request, f"web/person_{action}.html", context)
    ACTIONS[action](viewer, person)
    if action in DONE_MESSAGES and not is_htmx(request):
        messages.success(request, DONE_MESSAGES[action] % {"name": person.name})
    return relationship_changed(request, viewer, person)


@member
@require_POST
def aspect_membership(request: HttpRequest, handle: str) -> HttpResponse:
    """Set which of the viewer's aspects the person is in (the profile's checkbox menu)."""
    viewer = member_person(request)
    person = person_or_404(handle, viewer)
    aspects = {aspect.id: aspect for aspect in graph_selectors.aspects_of(viewer)}
    form = AspectMembershipForm(request.POST, aspects=list(aspects.values()))
    if form.is_valid():
        wanted = set(form.cleaned_data["aspects"])
        current = set(graph_selectors.relationship(viewer, person).aspect_ids)
        for aspect_id in sorted(wanted - current):
            graph.add_to_aspect(viewer, aspects[aspect_id], person)
        for aspect_id in sorted(current - wanted):
            graph.remove_from_aspect(viewer, aspects[aspect_id], person)
    return relationship_changed(request, viewer, person)


RECENT_POSTS_OFFERED = 10


def _excerpt(post: Post) -> str:
    text = " ".join(strip_tags(post.content_warning or post.html).split())
    when = date_format(post.created_at, "SHORT_DATE_FORMAT")
    return f"{when}: {Truncator(text).chars(80) or _('(no text)')}"


@member
def report(request: HttpRequest, handle: str) -> HttpResponse:
    """Report a person, or one of their posts or comments (`?post=ID`, `?comment=ID`: the Report
    action under it), to this pod's moderators, and to their server if wanted.  Any of their
    recent posts the reporter sees may be attached; the reported one is checked already."""
    viewer = member_person(request)
    person = person_or_404(handle, viewer)
    data = submitted(request)
    reported_post_id = parse_id((data or request.GET).get("post", "") or "")
    reported_comment_id = parse_id((data.get("reported_comment", "") if data else request.GET.get("comment", "")) or "")
    try:
        reported_post = selectors.post_for(viewer, reported_post_id) if reported_post_id else None
        reported_comment = selectors.comment_for(viewer, reported_comment_id) if reported_comment_id else None
    except DomainError as exc:
        raise Http404(str(exc)) from exc
    if (reported_post and reported_post.author_id != person.id) or (
        reported_comment and reported_comment.author_id != person.id
    ):
        raise Http404("No such post.")
    offered = [reported_post] if reported_post else []
    offered += [
        post for post in selectors.person_posts(viewer, person)[:RECENT_POSTS_OFFERED]
        if not post.reshare_of_id and post.id != reported_post_id
    ]
    form = ReportForm(
        data,
        initial={"post": reported_post_id, "reported_comment": reported_comment_id,
                 "posts": [reported_post_id] if reported_post_id else []},
        rule_choices=[(rule.id, rule.text) for rule in moderation.pod_rules()],
        post_choices=[(post.id, _excerpt(post)) for post in offered],
    )
    context = {"person": person, "reported_post": reported_post, "reported_comment": reported_comment}
    if form.is_bound and form.is_valid():
        by_id = {post.id: post for post in offered}
        try:
            file_report(
                person, reporter=viewer, posts=[by_id[post_id] for post_id in form.cleaned_data["posts"]],
                comments=[reported_comment] if reported_comment else [], comment=form.cleaned_data["comment"],
                forward=form.cleaned_data["forward"], category=form.cleaned_data["category"],
                rule_ids=form.cleaned_data["rules"] if form.cleaned_data["category"] == "violation" else [],
            )
        except DomainError as exc:
            return render_form(request, "web/report.html", context, form=form, error=exc)
        messages.success(request, _("Thank you: the moderators will look at it."))
        return redirect(profile_path(person))
    return render_form(request, "web/report.html", context, form=form)
