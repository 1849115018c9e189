"""Small pieces every page uses: the acting person, domain errors as pages, safe redirects, paging."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from kith.core.errors import DomainError
from kith.core.paging import PAGE_SIZE, Page
from kith.people.models import Account, Person

View = Callable[..., HttpResponse]


def me(request: HttpRequest) -> Person | None:
    """The person the request acts as, or None for an anonymous visitor."""
    if not request.user.is_authenticated:
        return None
    return request.user.person


def member_person(request: HttpRequest) -> Person:
    """The person a page behind `member` acts as: login is required there, so never None."""
    person = me(request)
    if person is None:
        raise PermissionDenied  # only reached by a view that forgot `member`
    return person


def member_account(request: HttpRequest) -> Account:
    """The account a page behind `member` acts as (never anonymous there)."""
    if not isinstance(request.user, Account):
        raise PermissionDenied  # only reached by a view that forgot `member`
    return request.user


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "web/error.html", {"message": str(exc)}, status=exc.status)


def domain_errors(view: View) -> View:
    """Turn a DomainError raised by a service or selector into a page with its status."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return error_page(request, exc)

    return wrapper


def member(view: View) -> View:
    """Login required, and domain errors shown as pages.

    htmx would follow the redirect to the login page and swap that page into a box:
    it is told to load the login page instead (back to the page it was on)."""
    protected = login_required(domain_errors(view))

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if is_htmx(request) and not request.user.is_authenticated:
            here = safe_next(request, request.headers.get("HX-Current-URL", ""))
            response = HttpResponse(status=401)
            response["HX-Redirect"] = redirect_to_login(urlsplit(here).path or "/")["Location"]
            return response
        return protected(request, *args, **kwargs)

    return wrapper


def safe_next(request: HttpRequest, target: str) -> str:
    """`target` when it points into this site, else ''."""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to the form's `next` field when it points into this site, else to `default`."""
    return redirect(safe_next(request, request.POST.get("next") or request.GET.get("next") or "") or default)


MAX_ID = 2**63 - 1  # ids are signed 64-bit; a larger number would overflow the database's integer


def parse_id(raw: str) -> int | None:
    """An id from a query string or hidden field, or None for anything else."""
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        return None
    return int(raw)


def page_from(request: HttpRequest) -> Page:
    """`?max_id=` for "load more"; anything that is not an id starts at the newest."""
    return Page(max_id=parse_id(request.GET.get("max_id", "")))


def next_max_id(items: list, key: str = "id") -> int | None:
    """The id to ask for the next page with, when this page was full."""
    if len(items) < PAGE_SIZE:
        return None
    return getattr(items[-1], key)


def submitted(request: HttpRequest):
    """The POSTed data to bind a form to, or None on GET (so an empty POST still shows errors)."""
    return request.POST if request.method == "POST" else None


def render_form(
    request: HttpRequest, template: str, context: dict, *, form, error: DomainError | None = None
) -> HttpResponse:
    """Render a page holding `form`: a service's DomainError is shown on the form with its status,
    a form that failed validation answers 400."""
    status = 200
    if error is not None:
        form.add_error(None, str(error))
        status = error.status
    elif form.is_bound and form.errors:
        status = 400
    return render(request, template, {"form": form, **context}, status=status)


# ---- htmx: the same views answer with a fragment when the page asked for one --------


def is_htmx(request: HttpRequest) -> bool:
    """True for a request htmx sent from a page (it swaps the answer into that page)."""
    return request.headers.get("HX-Request") == "true"


def fragment(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A piece of a page for htmx to swap in; `Vary` keeps caches from mixing it up with the page."""
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def list_page(request: HttpRequest, template: str, context: dict, items: str = "web/_post_page.html") -> HttpResponse:
    """A page with a "load more" list: htmx's "load more" gets only the next items (and the next link)."""
    if is_htmx(request) and "max_id" in request.GET:
        return fragment(request, items, context)
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def staff_member(view: View) -> View:
    """A page of the moderation area: logged in, and a moderator or an admin (others get 404,
    which does not tell them the area exists)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not getattr(request.user, "is_moderator", False):
            raise Http404
        return view(request, *args, **kwargs)

    return member(wrapper)


def admin_member(view: View) -> View:
    """A page only admins use (pod rules, domain policies, roles); moderators get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not getattr(request.user, "is_admin", False):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return staff_member(wrapper)
