"""The inbox endpoints: verify, store, answer 202; the worker applies (the inbound package).

Order matters and each step answers a clear 4xx: too big (413), not JSON (400),
unsigned or badly signed (401: Fedify and others retry with another signature
scheme on 401), key not owned by the activity's actor (401), not an activity
(400).  Nothing is written before the signature checks out.  Signatures are
draft-cavage (httpsig.py) or RFC 9421 (rfc9421.py, chosen by a Signature-Input
header).
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kith.core import jsonbody
from kith.federation import httpsig, rfc9421
from kith.federation.activitypub import actors
from kith.federation.activitypub.inbound import apply_inbound_job, local_person
from kith.federation.activitypub.models import InboundActivity, InboundState, RemoteActor
from kith.federation.activitypub.parse import ParseError, parse_activity, same_origin
from kith.federation.delivery import host_answered, inbox_host
from kith.jobs import enqueue_on_commit
from kith.moderation import domains as domain_policies

log = logging.getLogger(__name__)
MAX_ACTIVITY_BYTES = 512 * 1024
REFETCH_KEY_INTERVAL = 60  # seconds between refetches of one key after a failed verification


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _target_uris(request: HttpRequest) -> list[str]:
    """The URIs a signed request may have been sent to: our public scheme, then the one it came in on."""
    host = request.headers.get("Host", "")
    path = request.get_full_path()
    schemes = dict.fromkeys((urlsplit(settings.KITH_URL).scheme, request.scheme))
    return [f"{scheme}://{host}{path}" for scheme in schemes]


def _may_refetch_key(key_id: str) -> bool:
    """At most one refetch per key per REFETCH_KEY_INTERVAL: a flood of forged signatures naming
    someone's key must not turn into a flood of fetches from their server."""
    marker = "kith:ap:key-refetch:" + hashlib.sha256(key_id.encode()).hexdigest()
    return cache.add(marker, 1, REFETCH_KEY_INTERVAL)


def verify_signature(request: HttpRequest, body: bytes) -> RemoteActor:
    """The remote actor whose key signed this request, or SignatureError/ResolveError.

    RFC 9421 when the request has a Signature-Input header, draft-cavage otherwise.
    Everything that needs no key (coverage, digest, time) is checked before any key
    is fetched; a signature that then fails with a cached key is retried once with a
    freshly fetched one (key rotation).
    """
    headers = {name.lower(): value for name, value in request.headers.items()}
    if "signature-input" in headers:
        prepared = rfc9421.prepare(request.method, _target_uris(request), headers, body)
        key_id, check = prepared.key_id, prepared.verify_with
    elif "signature" in headers:
        params = httpsig.check(request.method, headers, body)
        path, query = request.path, request.META.get("QUERY_STRING", "")
        key_id = params.key_id

        def check(pem: str) -> None:
            httpsig.verify_with(params, request.method, path, query, headers, pem)
    else:
        raise httpsig.SignatureError("the request is not signed")
    asked_at = timezone.now()
    actor = actors.actor_for_key(key_id)
    try:
        check(actors.public_key_pem(actor, key_id))  # its publicKey or an FEP-521a Multikey
    except httpsig.SignatureMismatch:
        # The key may have been rotated: fetch it again, once (not when it was fetched for
        # this very request, and not for every forgery).
        if actor.fetched_at >= asked_at or not _may_refetch_key(key_id):
            raise
        actor = actors.actor_for_key(key_id, refresh=True)
        check(actors.public_key_pem(actor, key_id))
    return actor


@csrf_exempt
@require_POST
def inbox(request: HttpRequest, username: str | None = None) -> HttpResponse:
    declared = request.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 15 or int(declared) > MAX_ACTIVITY_BYTES):
        return _error(413, "activity too large")
    body = request.read(MAX_ACTIVITY_BYTES + 1)
    if len(body) > MAX_ACTIVITY_BYTES:
        return _error(413, "activity too large")
    if username is not None and local_person(f"{actors.uris.actor(username)}") is None:
        return _error(404, "no such inbox")
    try:
        document = jsonbody.loads(body)  # bounded depth: deep nesting is a 400, not a 500
    except jsonbody.TooDeep:
        return _error(400, f"the body is not JSON Kith accepts: it nests more than {jsonbody.MAX_DEPTH} levels")
    except ValueError:
        return _error(400, "the body is not JSON")
    if not isinstance(document, dict):
        return _error(400, "the body is not a JSON object")
    document = jsonbody.storable(document)  # stored as it came, but for NUL and lone surrogates
    claimed_actor = document.get("actor")
    claimed_host = inbox_host(claimed_actor) if isinstance(claimed_actor, str) else None
    if claimed_host is not None and not domain_policies.federates_with(claimed_host):
        # Refused before any key is fetched from there (a suspended domain, or allow-list mode).
        return _error(403, "this pod does not federate with the actor's server")
    try:
        signer = verify_signature(request, body)
    except (httpsig.SignatureError, actors.ResolveError) as exc:
        return _error(401, f"signature not accepted: {exc}")
    signer_host = inbox_host(signer.uri)
    if signer_host not in (None, claimed_host) and not domain_policies.federates_with(signer_host):
        return _error(403, "this pod does not federate with the signer's server")
    try:
        activity = parse_activity(document)
    except ParseError as exc:
        return _error(400, f"not an activity Kith accepts: {exc}")
    host_answered(inbox_host(signer.uri) or signer.person.domain)
    forwarded_by = ""
    if activity.actor != signer.uri:
        # Inbox forwarding (a post's author passing a reply on to its audience): accepted
        # only for things that can be refetched from their own server, which is done
        # before anything is believed.
        if not _forwardable(activity):
            return _error(401, "the signing key does not belong to the activity's actor")
        forwarded_by = signer.uri
    return _store(activity.id, activity.actor, activity.type, document, forwarded_by)


# Forwarded Create/Update: the object is refetched from its own server.  Forwarded
# Like: the Like itself is refetched from the liker's server (Kith serves its likes).
FORWARDABLE_BY_OBJECT = frozenset({"Create", "Update"})
FORWARDABLE_BY_ID = frozenset({"Like"})


def _forwardable(activity) -> bool:
    if activity.type in FORWARDABLE_BY_OBJECT:
        return bool(activity.object_id) and same_origin(activity.object_id, activity.actor)
    return activity.type in FORWARDABLE_BY_ID and same_origin(activity.id, activity.actor)


def _store(activity_id: str, actor_uri: str, activity_type: str, document: dict, forwarded_by: str = "") -> HttpResponse:
    row = InboundActivity(activity_uri=activity_id, actor_uri=actor_uri, activity_type=activity_type,
                          payload=document, forwarded_by=forwarded_by)
    try:
        # Most activities are new: INSERT first (one statement), look only on a repeat.
        with transaction.atomic():
            row.save(force_insert=True)
            enqueue_on_commit(apply_inbound_job, row.id)
        return HttpResponse(status=202)
    except IntegrityError:  # already stored (a retry, or the same activity twice at once)
        pass
    with transaction.atomic():
        stored = InboundActivity.objects.select_for_update().filter(activity_uri=activity_id).first()
        if (stored is not None and stored.forwarded_by and not forwarded_by
                and stored.state != InboundState.DONE):
            # A forwarded copy never stands in for the signed original: anyone could
            # otherwise "forward" the ids of activities they expect (they are often
            # predictable) and have the real ones ignored as repeats.
            InboundActivity.objects.filter(id=stored.id).update(
                actor_uri=actor_uri, activity_type=activity_type, payload=document, forwarded_by="",
                state=InboundState.PENDING, error="", applied_at=None,
            )
            enqueue_on_commit(apply_inbound_job, stored.id)
    return HttpResponse(status=202)
