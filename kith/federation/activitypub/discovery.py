"""WebFinger, NodeInfo and host-meta: how other servers find this pod and its people."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from kith import __version__
from kith.federation.activitypub import uris
from kith.people.models import Account, AccountState, Person
from kith.social.models import Post

NODEINFO_SCHEMAS = {
    "2.0": "http://nodeinfo.diaspora.software/ns/schema/2.0",
    "2.1": "http://nodeinfo.diaspora.software/ns/schema/2.1",
}
JRD = "application/jrd+json"


def _cors(response: HttpResponse) -> HttpResponse:
    # Discovery documents are public and read by browser-based clients too.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _local_person_for_resource(resource: str) -> Person | None:
    resource = resource.strip()
    username = None
    if resource.lower().startswith("acct:"):
        name, _, domain = resource[5:].lstrip("@").partition("@")
        if domain.lower() == settings.KITH_DOMAIN.lower():
            username = name
    else:
        for prefix in (uris.actor(""), uris.profile_page("")):
            if resource.startswith(prefix):
                username = resource[len(prefix):]
                break
    if not username or "/" in username:
        return None
    return Person.objects.filter(username__iexact=username, domain="", state=AccountState.ACTIVE).first()


@require_GET
def webfinger(request: HttpRequest) -> HttpResponse:
    resource = request.GET.get("resource", "")
    if not resource or len(resource) > 512:
        return _cors(JsonResponse({"error": "the resource parameter is required"}, status=400))
    if resource.lower() in (f"acct:{settings.KITH_DOMAIN}@{settings.KITH_DOMAIN}", uris.instance_actor()):
        subject, actor_uri, profile = f"acct:{settings.KITH_DOMAIN}@{settings.KITH_DOMAIN}", uris.instance_actor(), settings.KITH_URL
    else:
        person = _local_person_for_resource(resource)
        if person is None:
            return _cors(JsonResponse({"error": "no such person here"}, status=404))
        subject = f"acct:{person.username}@{settings.KITH_DOMAIN}"
        actor_uri, profile = uris.actor(person.username), uris.profile_page(person.username)
    document = {
        "subject": subject,
        "aliases": [actor_uri, profile],
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
            {"rel": "self", "type": "application/activity+json", "href": actor_uri},
        ],
    }
    return _cors(JsonResponse(document, content_type=JRD))


@require_GET
def host_meta(request: HttpRequest) -> HttpResponse:
    template = f"{settings.KITH_URL}/.well-known/webfinger?resource={{uri}}"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/jrd+json" template="{template}"/>\n'
        "</XRD>\n"
    )
    return _cors(HttpResponse(xml, content_type="application/xrd+xml"))


@require_GET
def nodeinfo_index(request: HttpRequest) -> HttpResponse:
    links = [{"rel": rel, "href": f"{settings.KITH_URL}/nodeinfo/{version}"} for version, rel in NODEINFO_SCHEMAS.items()]
    return _cors(JsonResponse({"links": links}))


def _usage() -> dict:
    """Counts for NodeInfo, cached: crawlers poll it and counting is not free."""
    usage = cache.get("kith:nodeinfo:usage")
    if usage is None:
        now = timezone.now()
        local_accounts = Account.objects.filter(state=AccountState.ACTIVE, person__isnull=False)
        usage = {
            "users": {
                "total": local_accounts.count(),
                "activeMonth": local_accounts.filter(last_login__gte=now - timedelta(days=30)).count(),
                "activeHalfyear": local_accounts.filter(last_login__gte=now - timedelta(days=180)).count(),
            },
            "localPosts": Post.objects.filter(author__domain="", reshare_of__isnull=True).count(),
        }
        cache.set("kith:nodeinfo:usage", usage, 600)
    return usage


@require_GET
def nodeinfo(request: HttpRequest, version: str) -> HttpResponse:
    if version not in NODEINFO_SCHEMAS:
        return JsonResponse({"error": "unknown NodeInfo version"}, status=404)
    software = {"name": "kith", "version": __version__}
    if version == "2.1":
        software["repository"] = "https://github.com/kith-social/kith"
    document = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": settings.KITH_REGISTRATIONS_OPEN,
        "usage": _usage(),
        "metadata": {"nodeName": settings.KITH_DOMAIN},
    }
    content_type = f'application/json; profile="{NODEINFO_SCHEMAS[version]}#"'
    return _cors(JsonResponse(document, content_type=content_type))
