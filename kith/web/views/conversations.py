"""Private conversations: list, start, read and reply."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kith.core.errors import DomainError
from kith.messaging import selectors, services
from kith.web.forms import ConversationForm, MessageForm
from kith.web.helpers import member, member_person, render_form, submitted


@member
def conversations(request: HttpRequest) -> HttpResponse:
    return render(request, "web/conversations.html", {"conversations": selectors.conversations_for(member_person(request))})


@member
def new(request: HttpRequest) -> HttpResponse:
    person = member_person(request)
    form = ConversationForm(submitted(request), author=person, initial={"recipients": request.GET.get("to", "")})
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            conversation = services.start_conversation(person, data["recipients"], data["subject"], data["text"])
        except DomainError as exc:
            return render_form(request, "web/conversation_new.html", {}, form=form, error=exc)
        return redirect("web:conversation", conversation.id)
    return render_form(request, "web/conversation_new.html", {}, form=form)


@member
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Read (which marks it read) and reply."""
    person = member_person(request)
    current = selectors.conversation_for(person, conversation_id)
    form = MessageForm(submitted(request))
    if form.is_bound and form.is_valid():
        try:
            services.send_message(person, current, form.cleaned_data["text"])
        except DomainError as exc:
            context = {"conversation": current, "messages_in": selectors.messages_in(current, person)}
            return render_form(request, "web/conversation.html", context, form=form, error=exc)
        return redirect("web:conversation", current.id)
    services.mark_read(person, current)
    context = {"conversation": current, "messages_in": selectors.messages_in(current, person).prefetch_related("post__media")}
    return render_form(request, "web/conversation.html", context, form=form)
